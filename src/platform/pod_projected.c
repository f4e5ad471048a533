/* Projected and downwardAPI volumes (see pod_projected.h). */
#include "platform/pod_projected.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "platform/objects.h"
#include "platform/pod_env.h"
#include "platform/pod_volumes.h"
#include "platform/sa_tokens.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define TOKEN_RENEW_PERCENT 80 /* kubelet renews a token at 80% of its life */

static unsigned mode_of(const json_t *obj, const char *field, unsigned fallback)
{
	const json_t *m = json_object_get(obj, field);
	return json_is_integer(m) ? (unsigned)json_integer_value(m) & 0777 : fallback;
}

int pod_downward_write(const json_t *pod, const json_t *source, const char *dir, unsigned default_mode,
		       struct cc_error *err)
{
	unsigned mode = mode_of(source, "defaultMode", default_mode);
	struct pod_env_input in = { .pod = pod };
	size_t i;
	const json_t *item;
	json_array_foreach (json_object_get(source, "items"), i, item) {
		const char *path = json_string_value(json_object_get(item, "path")) ?: "";
		const char *field = json_string_value(json_object_get(json_object_get(item, "fieldRef"), "fieldPath"));
		if (!field)
			return cc_error_set(err, EINVAL, "downwardAPI item `%s`: only fieldRef is supported", path);
		_cleanup_free_ char *value = NULL;
		int r = pod_env_field(&in, field, &value, err);
		_cleanup_json_ json_t *text = r == 0 ? json_string(value) : NULL;
		if (r == 0)
			r = pod_volume_write_item(dir, path, text, mode_of(item, "mode", mode), err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Due when absent, or when 80% of the token's life is gone (by the file's age). */
static bool token_due(const char *file, json_int_t seconds)
{
	struct stat st;
	if (stat(file, &st) < 0)
		return true;
	int64_t age = cc_time_now_ns() / 1000000000 - (int64_t)st.st_mtime;
	return age * 100 >= seconds * TOKEN_RENEW_PERCENT;
}

static int write_token(struct platform_objects *objects, struct platform_sa_tokens *tokens, const json_t *pod,
		       const json_t *source, const char *dir, unsigned mode, struct cc_error *err)
{
	const char *path = json_string_value(json_object_get(source, "path")) ?: "";
	const json_t *exp = json_object_get(source, "expirationSeconds");
	json_int_t seconds = json_is_integer(exp) ? json_integer_value(exp) : PLATFORM_SA_DEFAULT_SECONDS;
	if (seconds < PLATFORM_SA_MIN_SECONDS)
		seconds = PLATFORM_SA_MIN_SECONDS;
	_cleanup_free_ char *file = cc_xasprintf("%s/%s", dir, path);
	if (!token_due(file, seconds))
		return 0;
	if (!tokens)
		return cc_error_set(err, ENOTSUP, "serviceAccountToken: this node issues no service account tokens");
	const json_t *meta = json_object_get(pod, "metadata");
	const char *ns = json_string_value(json_object_get(meta, "namespace")) ?: "";
	const char *sa_name =
	    json_string_value(json_object_get(json_object_get(pod, "spec"), "serviceAccountName")) ?: "default";
	_cleanup_json_ json_t *sa = NULL;
	int r =
	    platform_objects_get(objects, platform_resource_find("", "v1", "serviceaccounts"), ns, sa_name, &sa, err);
	if (r < 0)
		return cc_error_prefix(err, "serviceAccountToken: service account %s/%s", ns, sa_name);
	const char *audience = json_string_value(json_object_get(source, "audience"));
	_cleanup_json_ json_t *audiences = audience && audience[0] ? json_pack("[s]", audience) : NULL;
	_cleanup_free_ char *token = NULL;
	r = platform_sa_token_issue(tokens, sa, audiences, seconds, pod, &token, NULL, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *text = json_string(token);
	explicit_bzero(token, strlen(token));
	return pod_volume_write_item(dir, path, text, mode, err);
}

int pod_projected_write(struct platform_objects *objects, struct platform_sa_tokens *tokens, const json_t *pod,
			const json_t *source, const char *dir, struct cc_error *err)
{
	unsigned mode = mode_of(source, "defaultMode", 0644);
	int r = cc_mkdir_p(dir, 0755, err);
	size_t i;
	const json_t *s;
	json_array_foreach (json_object_get(source, "sources"), i, s) {
		const json_t *part;
		if (r < 0)
			break;
		if ((part = json_object_get(s, "secret")))
			r = pod_volume_write_source(objects, pod, part, "secrets", "name", dir, mode, err);
		else if ((part = json_object_get(s, "configMap")))
			r = pod_volume_write_source(objects, pod, part, "configmaps", "name", dir, mode, err);
		else if ((part = json_object_get(s, "downwardAPI")))
			r = pod_downward_write(pod, part, dir, mode, err);
		else if ((part = json_object_get(s, "serviceAccountToken")))
			r = write_token(objects, tokens, pod, part, dir, mode, err);
		else
			r = cc_error_set(err, EINVAL, "projected volume source %zu: unsupported kind", i);
	}
	return r;
}
