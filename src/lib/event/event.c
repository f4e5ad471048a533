/* The security event record: construction, canonical JSON, and validated parsing. */
#include "lib/event/event.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/base/utf8.h"
#include "lib/crypto/random.h"
#include "lib/json/json.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const verdict_names[CC_VERDICT_MAX] = {
	[CC_VERDICT_NONE] = "none",
	[CC_VERDICT_ALLOW] = "allow",
	[CC_VERDICT_DENY] = "deny",
	[CC_VERDICT_ERROR] = "error",
};

static const char *const severity_names[CC_SEVERITY_MAX] = {
	"emergency", "alert", "critical", "error", "warning", "notice", "info", "debug",
};

const char *cc_event_verdict_to_string(enum cc_event_verdict v)
{
	return v < CC_VERDICT_MAX ? verdict_names[v] : "invalid";
}

enum cc_event_verdict cc_event_verdict_from_string(const char *s)
{
	for (int i = 0; i < CC_VERDICT_MAX; i++)
		if (s && strcmp(s, verdict_names[i]) == 0)
			return (enum cc_event_verdict)i;
	return CC_VERDICT_MAX;
}

const char *cc_event_severity_to_string(enum cc_event_severity s)
{
	return s < CC_SEVERITY_MAX ? severity_names[s] : "invalid";
}

enum cc_event_severity cc_event_severity_from_string(const char *s)
{
	for (int i = 0; i < CC_SEVERITY_MAX; i++)
		if (s && strcmp(s, severity_names[i]) == 0)
			return (enum cc_event_severity)i;
	return CC_SEVERITY_MAX;
}

/* Copies at most CC_EVENT_FIELD_MAX bytes without splitting a UTF-8 sequence. */
static char *bounded_copy(const char *value)
{
	if (!value)
		return NULL;
	size_t len = strlen(value);
	if (len <= CC_EVENT_FIELD_MAX)
		return cc_xstrdup(value);
	size_t cut = CC_EVENT_FIELD_MAX - 3;
	while (cut > 0 && ((unsigned char)value[cut] & 0xC0) == 0x80)
		cut--;
	char *out = cc_xmalloc(cut + 4);
	memcpy(out, value, cut);
	memcpy(out + cut, "\xe2\x80\xa6", 4); /* U+2026 HORIZONTAL ELLIPSIS and NUL */
	return out;
}

static void replace(char **field, const char *value)
{
	free(*field);
	*field = bounded_copy(value);
}

static char host[256];
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

static void read_host_name(void)
{
	gethostname(host, sizeof(host) - 1);
}

/* The host name is read once per process: events are made in hot paths (the audit forwarder). */
static const char *host_name(void)
{
	pthread_once(&host_once, read_host_name);
	return host;
}

int cc_event_new(const char *component, const char *action, struct cc_event **ret, struct cc_error *err)
{
	char id[37];
	int r = cc_random_uuid(id, err);
	return r < 0 ? r : cc_event_new_with_id(component, action, id, ret, err);
}

int cc_event_new_with_id(const char *component, const char *action, const char *id, struct cc_event **ret,
			 struct cc_error *err)
{
	(void)err;
	struct cc_event *ev = cc_xcalloc(1, sizeof(*ev));
	memcpy(ev->id, id, strnlen(id, sizeof(ev->id) - 1)); /* calloc'd: NUL-terminated */

	ev->time_ns = cc_time_now_ns();
	ev->component = bounded_copy(component);
	ev->action = bounded_copy(action);
	ev->node = cc_xstrdup(host_name());
	ev->severity = CC_SEVERITY_INFO;
	ev->verdict = CC_VERDICT_NONE;
	*ret = ev;
	return 0;
}

void cc_event_free(struct cc_event *ev)
{
	if (!ev)
		return;
	free(ev->component);
	free(ev->node);
	free(ev->tenant);
	free(ev->actor);
	free(ev->action);
	free(ev->object);
	free(ev->reason);
	json_decref(ev->extra);
	free(ev->extra_text_key);
	free(ev->extra_text);
	free(ev);
}

void cc_event_set_actor(struct cc_event *ev, const char *actor)
{
	replace(&ev->actor, actor);
}

void cc_event_set_object(struct cc_event *ev, const char *object)
{
	replace(&ev->object, object);
}

void cc_event_set_tenant(struct cc_event *ev, const char *tenant)
{
	replace(&ev->tenant, tenant);
}

void cc_event_set_node(struct cc_event *ev, const char *node)
{
	replace(&ev->node, node);
}

void cc_event_set_reason(struct cc_event *ev, const char *fmt, ...)
{
	/* Formatted whole, then cut by bounded_copy at a character boundary (a fixed buffer would
	 * cut wherever it ends, possibly inside a character, and the field would be dropped as
	 * invalid UTF-8). */
	va_list ap;
	va_start(ap, fmt);
	char *text = cc_xvasprintf(fmt, ap);
	va_end(ap);
	replace(&ev->reason, text);
	free(text);
}

void cc_event_set_verdict(struct cc_event *ev, enum cc_event_verdict verdict, enum cc_event_severity severity)
{
	ev->verdict = verdict < CC_VERDICT_MAX ? verdict : CC_VERDICT_ERROR;
	ev->severity = severity < CC_SEVERITY_MAX ? severity : CC_SEVERITY_ERROR;
}

static void clear_extra_text(struct cc_event *ev)
{
	free(ev->extra_text_key);
	free(ev->extra_text);
	ev->extra_text_key = ev->extra_text = NULL;
}

void cc_event_set_extra(struct cc_event *ev, const char *key, json_t *value)
{
	if (ev->extra_text_key && strcmp(ev->extra_text_key, key) == 0)
		clear_extra_text(ev);
	if (!ev->extra)
		ev->extra = json_object();
	json_object_set_new(ev->extra, key, value ? value : json_null());
}

void cc_event_set_extra_text(struct cc_event *ev, const char *key, char *canonical)
{
	clear_extra_text(ev);
	if (ev->extra)
		json_object_del(ev->extra, key);
	ev->extra_text_key = cc_xstrdup(key);
	ev->extra_text = canonical;
}

static json_t *extra_text_tree(const struct cc_event *ev)
{
	json_t *value = json_loads(ev->extra_text, JSON_DECODE_ANY, NULL);
	return value ? value : json_null(); /* not canonical JSON: a caller's bug, kept visible */
}

void cc_event_expand_extra(struct cc_event *ev)
{
	if (!ev->extra_text_key)
		return;
	_cleanup_free_ char *key = cc_xstrdup(ev->extra_text_key);
	cc_event_set_extra(ev, key, extra_text_tree(ev));
}

static void set_optional(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
}

json_t *cc_event_to_json(const struct cc_event *ev)
{
	char time[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339(ev->time_ns, time, sizeof(time));
	json_t *obj = json_object();
	json_object_set_new(obj, "schema", json_string(CC_EVENT_SCHEMA));
	json_object_set_new(obj, "id", json_string(ev->id));
	json_object_set_new(obj, "time", json_string(time));
	set_optional(obj, "component", ev->component);
	set_optional(obj, "node", ev->node);
	set_optional(obj, "tenant", ev->tenant);
	set_optional(obj, "actor", ev->actor);
	set_optional(obj, "action", ev->action);
	set_optional(obj, "object", ev->object);
	json_object_set_new(obj, "verdict", json_string(cc_event_verdict_to_string(ev->verdict)));
	set_optional(obj, "reason", ev->reason);
	json_object_set_new(obj, "severity", json_string(cc_event_severity_to_string(ev->severity)));
	if (ev->extra_text_key) {
		json_t *extra = ev->extra ? json_copy(ev->extra) : json_object();
		json_object_set_new(extra, ev->extra_text_key, extra_text_tree(ev));
		json_object_set_new(obj, "extra", extra);
	} else if (ev->extra && json_object_size(ev->extra) > 0) {
		json_object_set(obj, "extra", ev->extra);
	}
	return obj;
}

/* One member of the canonical form. Values that are not valid UTF-8 are left out, as
 * cc_event_to_json leaves them out (jansson refuses them), so both forms stay the same bytes. */
static void append_member(struct cc_buf *out, bool *first, const char *key, const char *value)
{
	if (!value || !cc_utf8_valid(value, strlen(value), NULL))
		return;
	cc_buf_append_str(out, *first ? "{\"" : ",\"");
	cc_buf_append_str(out, key);
	cc_buf_append(out, "\":", 2);
	cc_json_string_append(out, value, strlen(value));
	*first = false;
}

struct extra_member {
	const char *key;
	const json_t *tree; /* NULL: the text field */
};

static int by_extra_key(const void *a, const void *b)
{
	return strcmp(((const struct extra_member *)a)->key, ((const struct extra_member *)b)->key);
}

/* The extra object with its text field merged in at its sorted place. */
static void append_extra(struct cc_buf *out, const struct cc_event *ev)
{
	if (!ev->extra_text_key) {
		cc_json_canonical_append(out, ev->extra);
		return;
	}
	size_t n = (ev->extra ? json_object_size(ev->extra) : 0) + 1, i = 0;
	struct extra_member *members = cc_xcalloc(n, sizeof(*members));
	const char *key;
	json_t *value;
	if (ev->extra)
		json_object_foreach (ev->extra, key, value)
			members[i++] = (struct extra_member){ key, value };
	members[i] = (struct extra_member){ ev->extra_text_key, NULL };
	qsort(members, n, sizeof(*members), by_extra_key);
	for (i = 0; i < n; i++) {
		cc_buf_append(out, i ? "," : "{", 1);
		cc_json_string_append(out, members[i].key, strlen(members[i].key));
		cc_buf_append(out, ":", 1);
		if (members[i].tree)
			cc_json_canonical_append(out, members[i].tree);
		else
			cc_buf_append_str(out, ev->extra_text);
	}
	cc_buf_append(out, "}", 1);
	free(members);
}

/* Written member by member in sorted key order instead of building a tree and sorting it: the
 * audit pipeline hashes every event in this form. fuzz_event checks it byte for byte against
 * cc_json_canonical(cc_event_to_json(ev)). */
void cc_event_canonical_append(struct cc_buf *out, const struct cc_event *ev)
{
	char time[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339(ev->time_ns, time, sizeof(time));
	bool first = true;
	append_member(out, &first, "action", ev->action);
	append_member(out, &first, "actor", ev->actor);
	append_member(out, &first, "component", ev->component);
	if (ev->extra_text_key || (ev->extra && json_object_size(ev->extra) > 0)) {
		cc_buf_append_str(out, first ? "{\"extra\":" : ",\"extra\":");
		append_extra(out, ev);
		first = false;
	}
	append_member(out, &first, "id", ev->id);
	append_member(out, &first, "node", ev->node);
	append_member(out, &first, "object", ev->object);
	append_member(out, &first, "reason", ev->reason);
	append_member(out, &first, "schema", CC_EVENT_SCHEMA);
	append_member(out, &first, "severity", cc_event_severity_to_string(ev->severity));
	append_member(out, &first, "tenant", ev->tenant);
	append_member(out, &first, "time", time);
	append_member(out, &first, "verdict", cc_event_verdict_to_string(ev->verdict));
	cc_buf_append(out, "}", 1);
}

char *cc_event_canonical(const struct cc_event *ev)
{
	struct cc_buf out = CC_BUF_INIT;
	cc_event_canonical_append(&out, ev);
	return out.data;
}

static bool id_is_valid(const char *id)
{
	size_t len = strlen(id);
	if (len == 0 || len > 36)
		return false;
	/* UUIDs and Kubernetes auditIDs: letters, digits, '-' and '_' only, so an id is safe to put
	 * in any output format without escaping. */
	return id[strspn(id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_")] == '\0';
}

static int read_text(const json_t *obj, const char *field, bool required, char **out, struct cc_error *err)
{
	const char *value;
	int r = cc_json_get_string(obj, field, required, &value, err);
	if (r < 0)
		return r;
	if (value && strlen(value) > CC_EVENT_FIELD_MAX)
		return cc_error_set(err, EMSGSIZE, "field `%s` is longer than %d bytes", field, CC_EVENT_FIELD_MAX);
	if (value && strlen(value) != json_string_length(json_object_get(obj, field)))
		return cc_error_set(err, EINVAL, "field `%s` contains a NUL byte", field);
	*out = value ? cc_xstrdup(value) : NULL;
	return 0;
}

int cc_event_from_json(const json_t *obj, struct cc_event **ret, struct cc_error *err)
{
	if (!json_is_object(obj))
		return cc_error_set(err, EINVAL, "event must be a JSON object");
	const char *schema, *id, *time, *verdict, *severity;
	int r;
	if ((r = cc_json_get_string(obj, "schema", false, &schema, err)) < 0 ||
	    (r = cc_json_get_string(obj, "id", true, &id, err)) < 0 ||
	    (r = cc_json_get_string(obj, "time", true, &time, err)) < 0 ||
	    (r = cc_json_get_string(obj, "verdict", false, &verdict, err)) < 0 ||
	    (r = cc_json_get_string(obj, "severity", false, &severity, err)) < 0)
		return cc_error_prefix(err, "invalid event");
	if (schema && strcmp(schema, CC_EVENT_SCHEMA) != 0)
		return cc_error_set(err, EINVAL, "invalid event: unsupported schema `%.64s` (expected %s)", schema,
				    CC_EVENT_SCHEMA);
	if (!id_is_valid(id))
		return cc_error_set(err, EINVAL, "invalid event: id must be 1-36 characters of [A-Za-z0-9_-]");
	struct cc_event *ev = cc_xcalloc(1, sizeof(*ev));
	memcpy(ev->id, id, strnlen(id, sizeof(ev->id) - 1)); /* calloc'd: NUL-terminated */
	if (cc_time_parse_rfc3339(time, &ev->time_ns) < 0) {
		r = cc_error_set(err, EINVAL, "invalid event: `time` is not an RFC 3339 timestamp");
		goto fail;
	}
	ev->verdict = verdict ? cc_event_verdict_from_string(verdict) : CC_VERDICT_NONE;
	if (ev->verdict == CC_VERDICT_MAX) {
		r = cc_error_set(err, EINVAL, "invalid event: verdict must be none, allow, deny or error");
		goto fail;
	}
	ev->severity = severity ? cc_event_severity_from_string(severity) : CC_SEVERITY_INFO;
	if (ev->severity == CC_SEVERITY_MAX) {
		r = cc_error_set(err, EINVAL, "invalid event: unknown severity (use an RFC 5424 name such as notice)");
		goto fail;
	}
	struct {
		const char *field;
		char **dest;
		bool required;
	} texts[] = {
		{ "component", &ev->component, true }, { "action", &ev->action, true },
		{ "node", &ev->node, false },          { "tenant", &ev->tenant, false },
		{ "actor", &ev->actor, false },        { "object", &ev->object, false },
		{ "reason", &ev->reason, false },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(texts); i++) {
		r = read_text(obj, texts[i].field, texts[i].required, texts[i].dest, err);
		if (r < 0) {
			cc_error_prefix(err, "invalid event");
			goto fail;
		}
	}
	json_t *extra;
	r = cc_json_get_object(obj, "extra", false, &extra, err);
	if (r < 0) {
		cc_error_prefix(err, "invalid event");
		goto fail;
	}
	ev->extra = extra ? json_incref(extra) : NULL;
	*ret = ev;
	return 0;
fail:
	cc_event_free(ev);
	return r;
}

int cc_event_parse(const char *data, size_t len, struct cc_event **ret, struct cc_error *err)
{
	/* The canonical form is never longer than the text it was parsed from (it drops whitespace
	 * and escapes nothing that was not escaped), so bounding the text bounds the event. */
	if (len > CC_EVENT_MAX_SIZE)
		return cc_error_set(err, EMSGSIZE, "invalid event: %zu bytes, more than the limit of %u", len,
				    CC_EVENT_MAX_SIZE);
	_cleanup_json_ json_t *obj = NULL;
	int r = cc_json_parse(data, len, CC_EVENT_MAX_SIZE, "event", &obj, err);
	if (r < 0)
		return r;
	return cc_event_from_json(obj, ret, err);
}
