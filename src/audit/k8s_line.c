/* One Kubernetes audit log line -> cocoon event, in one pass and without a tree (see k8s.h).
 *
 * The line is read by the canonical scanner of lib/json (canonical_scan.c), which checks it exactly as
 * cc_json_parse would, writes the canonical text the chain hashes, and notes the fields named in the
 * table below; this file turns those into the event. */
#include "audit/k8s.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/canonical_scan.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What a value is to the mapping. */
enum slot {
	SLOT_NONE = CC_JSON_SLOT_NONE,
	SLOT_ROOT = CC_JSON_SLOT_ROOT,
	SLOT_KIND,
	SLOT_API_VERSION,
	SLOT_AUDIT_ID,
	SLOT_VERB,
	SLOT_STAGE_TIMESTAMP,
	SLOT_RECEIVED_TIMESTAMP,
	SLOT_SOURCE_IPS,
	SLOT_SOURCE_IP, /* each element of sourceIPs */
	SLOT_USER,
	SLOT_OBJECT_REF,
	SLOT_RESPONSE_STATUS,
	SLOT_ANNOTATIONS,
	SLOT_USERNAME,
	SLOT_RESOURCE,
	SLOT_SUBRESOURCE,
	SLOT_NAMESPACE,
	SLOT_NAME,
	SLOT_CODE,
	SLOT_REASON,
	SLOT_COUNT,
};

static const struct cc_json_slot_key slot_keys[] = {
	{ SLOT_ROOT, "kind", SLOT_KIND },
	{ SLOT_ROOT, "apiVersion", SLOT_API_VERSION },
	{ SLOT_ROOT, "auditID", SLOT_AUDIT_ID },
	{ SLOT_ROOT, "verb", SLOT_VERB },
	{ SLOT_ROOT, "stageTimestamp", SLOT_STAGE_TIMESTAMP },
	{ SLOT_ROOT, "requestReceivedTimestamp", SLOT_RECEIVED_TIMESTAMP },
	{ SLOT_ROOT, "sourceIPs", SLOT_SOURCE_IPS },
	{ SLOT_ROOT, "user", SLOT_USER },
	{ SLOT_ROOT, "objectRef", SLOT_OBJECT_REF },
	{ SLOT_ROOT, "responseStatus", SLOT_RESPONSE_STATUS },
	{ SLOT_ROOT, "annotations", SLOT_ANNOTATIONS },
	{ SLOT_USER, "username", SLOT_USERNAME },
	{ SLOT_OBJECT_REF, "resource", SLOT_RESOURCE },
	{ SLOT_OBJECT_REF, "subresource", SLOT_SUBRESOURCE },
	{ SLOT_OBJECT_REF, "namespace", SLOT_NAMESPACE },
	{ SLOT_OBJECT_REF, "name", SLOT_NAME },
	{ SLOT_RESPONSE_STATUS, "code", SLOT_CODE },
	{ SLOT_ANNOTATIONS, "authorization.k8s.io/reason", SLOT_REASON },
	{ SLOT_SOURCE_IPS, NULL, SLOT_SOURCE_IP },
};

struct audit_k8s_scanner {
	struct cc_json_scanner *json;
};

static const char *noted_string(const struct cc_json_scanner *s, enum slot slot)
{
	const struct cc_json_noted *n = cc_json_scanner_noted(s, slot);
	return n->type == CC_JSON_NOTED_STRING ? n->text : NULL;
}

static bool noted_not_string(const struct cc_json_scanner *s, enum slot slot)
{
	enum cc_json_noted_type t = cc_json_scanner_noted(s, slot)->type;
	return t != CC_JSON_NOTED_ABSENT && t != CC_JSON_NOTED_NULL && t != CC_JSON_NOTED_STRING;
}

struct audit_k8s_scanner *audit_k8s_scanner_new(void)
{
	struct audit_k8s_scanner *s = cc_xcalloc(1, sizeof(*s));
	s->json = cc_json_scanner_new(slot_keys, CC_ARRAY_SIZE(slot_keys), SLOT_COUNT);
	return s;
}

void audit_k8s_scanner_free(struct audit_k8s_scanner *s)
{
	if (!s)
		return;
	cc_json_scanner_free(s->json);
	free(s);
}

/* sourceIPs as a tree: built from its strings when it holds only strings (as it does), else parsed
 * from its canonical text (jansson's loader cost a fifth of the reading before). */
static json_t *source_ips(const struct cc_json_scanner *s)
{
	size_t count = cc_json_scanner_note_count(s);
	for (size_t i = 0; i < count; i++) {
		const struct cc_json_noted *n = cc_json_scanner_note(s, i);
		if (n->slot == SLOT_SOURCE_IP && n->type != CC_JSON_NOTED_STRING) {
			/* our own canonical text of a value the scanner accepted: the limit only restates it */
			const char *text = cc_json_scanner_noted(s, SLOT_SOURCE_IPS)->text;
			json_t *ips = NULL;
			cc_json_parse(text, strlen(text), 1u << 20, "sourceIPs", &ips, NULL);
			return ips;
		}
	}
	json_t *ips = json_array();
	for (size_t i = 0; i < count; i++) {
		const struct cc_json_noted *n = cc_json_scanner_note(s, i);
		if (n->slot == SLOT_SOURCE_IP)
			json_array_append_new(ips, json_string(n->text));
	}
	return ips;
}

int audit_k8s_scanner_read(struct audit_k8s_scanner *scanner, const char *line, size_t len, struct cc_event **ret,
			   struct cc_error *err)
{
	struct cc_json_scanner *s = scanner->json;
	int r = cc_json_scanner_read(s, line, len, "audit line", err);
	if (r < 0)
		return r;
	if (cc_json_scanner_noted(s, SLOT_ROOT)->type != CC_JSON_NOTED_OBJECT)
		return cc_error_set(err, EINVAL, "Kubernetes audit event must be a JSON object");
	const struct cc_json_noted *code = cc_json_scanner_noted(s, SLOT_CODE);
	struct audit_k8s_fields f = {
		.kind = noted_string(s, SLOT_KIND),
		.api_version = noted_string(s, SLOT_API_VERSION),
		.audit_id = noted_string(s, SLOT_AUDIT_ID),
		.audit_id_not_string = noted_not_string(s, SLOT_AUDIT_ID),
		.verb = noted_string(s, SLOT_VERB),
		.verb_not_string = noted_not_string(s, SLOT_VERB),
		.stage_timestamp = noted_string(s, SLOT_STAGE_TIMESTAMP),
		.received_timestamp = noted_string(s, SLOT_RECEIVED_TIMESTAMP),
		.username = noted_string(s, SLOT_USERNAME),
		.has_object_ref = cc_json_scanner_noted(s, SLOT_OBJECT_REF)->type == CC_JSON_NOTED_OBJECT,
		.resource = noted_string(s, SLOT_RESOURCE),
		.subresource = noted_string(s, SLOT_SUBRESOURCE),
		.namespace_ = noted_string(s, SLOT_NAMESPACE),
		.name = noted_string(s, SLOT_NAME),
		.code = code->type == CC_JSON_NOTED_INTEGER ? code->integer : 0,
		.reason = noted_string(s, SLOT_REASON),
	};
	struct cc_event *ev;
	if ((r = audit_k8s_fields_to_event(&f, &ev, err)) < 0)
		return r;
	if (cc_json_scanner_noted(s, SLOT_SOURCE_IPS)->type == CC_JSON_NOTED_ARRAY)
		cc_event_set_extra(ev, "sourceIPs", source_ips(s));
	/* The text goes with the event; the next line gets a new buffer of its size. */
	cc_event_set_extra_text(ev, "k8s", cc_json_scanner_steal_text(s, NULL));
	*ret = ev;
	return 0;
}

int audit_k8s_line_to_event(const char *line, size_t len, struct cc_event **ret, struct cc_error *err)
{
	struct audit_k8s_scanner *s = audit_k8s_scanner_new();
	int r = audit_k8s_scanner_read(s, line, len, ret, err);
	audit_k8s_scanner_free(s);
	return r;
}
