/* libFuzzer target: a Kubernetes API request as cocoond decodes it before anything is stored. The
 * input is "PATH\nCONTENT-TYPE\nBODY": the path is parsed into its target (platform/target.h); the
 * body is decoded as JSON or YAML, admitted as a create into that resource and then as an update of
 * what was admitted, and printed as a Table. Nothing may crash, leak or loop. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "lib/net/http.h"
#include "platform/admit.h"
#include "platform/table.h"
#include "platform/target.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void admit(const struct platform_target *t, json_t *body)
{
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	json_t *created = json_deep_copy(body);
	if (created &&
	    platform_admit_create(t->resource, created, t->namespace ? t->namespace : "default", &resp) == 0) {
		json_t *update = json_deep_copy(body);
		cc_http_response_free(&resp);
		cc_http_response_init(&resp);
		if (update)
			platform_admit_update(t->resource, update, created, t->subresource != NULL, &resp);
		json_decref(update);
		json_t *items = json_pack("[O]", created);
		json_decref(platform_table(t->resource, items, "1"));
		json_decref(items);
	}
	json_decref(created);
	cc_http_response_free(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl1 = memchr(text, '\n', size);
	if (!nl1)
		return 0;
	const char *nl2 = memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - text));
	if (!nl2)
		return 0;
	char *path = strndup(text, (size_t)(nl1 - text));
	char *type = strndup(nl1 + 1, (size_t)(nl2 - nl1 - 1));
	const char *body = nl2 + 1;
	size_t body_len = size - (size_t)(body - text);
	struct platform_target t;
	int r = platform_target_parse(path, &t);
	if (r == 0) {
		struct cc_error err = { 0 };
		json_t *doc = NULL;
		if (strstr(type, "yaml"))
			r = cc_yaml_parse_one(body, body_len, "body", &doc, &err);
		else
			r = cc_json_parse(body, body_len, 1u << 20, "body", &doc, &err);
		if (r == 0)
			admit(&t, doc);
		json_decref(doc);
	}
	platform_target_free(&t);
	free(path);
	free(type);
	return 0;
}
