/* cocoon describe: kubectl describe against cocoond. The object (or every object of a resource, or
 * those a label selector picks) with its Events (GET .../events?fieldSelector=involvedObject.name=
 * NAME,involvedObject.kind=KIND,involvedObject.uid=UID, as kubectl asks); pods and deployments
 * through kubectl's own describers (describe_pod.c), every other kind through kubectl's generic
 * one: name, namespace, labels and annotations, then every field of the object as "Field Name: value"
 * (metadata, spec, status), then the events. */
#include "describe.h"

#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRAM "cocoon describe"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon describe RESOURCE [NAME...] [-n NS] [-l SELECTOR]\n"
		     "       cocoon describe RESOURCE/NAME...\n"
		     "\n"
		     "Shows objects in detail with their events, as kubectl describe does: pods and deployments\n"
		     "in kubectl's layout, other kinds as a list of their fields. Without NAME, every object of the\n"
		     "resource in the namespace (or those -l selects).\n"
		     "\n"
		     "  -l, --selector SELECTOR  only objects with these labels (app=web,tier!=db)\n"
		     "  --show-events=false      leave the events out\n" KUBE_CONNECTION_USAGE);
}

/* ---- helpers of the describers (describe.h) ---- */

json_t *describe_field(const json_t *obj, ...)
{
	va_list ap;
	va_start(ap, obj);
	const json_t *v = obj;
	for (const char *key = va_arg(ap, const char *); key && v; key = va_arg(ap, const char *))
		v = json_object_get(v, key);
	va_end(ap);
	return (json_t *)v;
}

const char *describe_str(const json_t *obj, ...)
{
	va_list ap;
	va_start(ap, obj);
	const json_t *v = obj;
	for (const char *key = va_arg(ap, const char *); key && v; key = va_arg(ap, const char *))
		v = json_object_get(v, key);
	va_end(ap);
	return json_string_value(v) ?: "";
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **describe_sorted_keys(const json_t *obj, size_t *ret_n)
{
	const char **keys = cc_xcalloc(json_object_size(obj) + 1, sizeof(char *));
	size_t n = 0;
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)obj, key, v)
		keys[n++] = key;
	qsort(keys, n, sizeof(char *), compare_strings);
	*ret_n = n;
	return keys;
}

void describe_time(const char *rfc3339, char *out, size_t size)
{
	int64_t ns;
	time_t t = 0;
	if (rfc3339 && *rfc3339 && cc_time_parse_rfc3339(rfc3339, &ns) == 0)
		t = (time_t)(ns / 1000000000);
	else if (rfc3339 && *rfc3339) {
		snprintf(out, size, "%s", rfc3339);
		return;
	} else {
		/* Go's zero time, as kubectl prints a missing one */
		snprintf(out, size, "Mon, 01 Jan 0001 00:00:00 +0000");
		return;
	}
	struct tm tm;
	gmtime_r(&t, &tm);
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	snprintf(out, size, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
static void human_duration(int64_t seconds, char *out, size_t size)
{
	if (seconds < -1) {
		snprintf(out, size, "<invalid>");
	} else if (seconds < 0) {
		snprintf(out, size, "0s");
	} else if (seconds < 60 * 2) {
		snprintf(out, size, "%llds", (long long)seconds);
	} else if (seconds / 60 < 10) {
		long long m = seconds / 60, s = seconds % 60;
		if (s == 0)
			snprintf(out, size, "%lldm", m);
		else
			snprintf(out, size, "%lldm%llds", m, s);
	} else if (seconds / 60 < 60 * 3) {
		snprintf(out, size, "%lldm", (long long)(seconds / 60));
	} else {
		long long hours = seconds / 3600, m = (seconds / 60) % 60;
		if (hours < 8)
			snprintf(out, size, m ? "%lldh%lldm" : "%lldh", hours, m);
		else if (hours < 48)
			snprintf(out, size, "%lldh", hours);
		else if (hours < 24 * 8)
			snprintf(out, size, hours % 24 ? "%lldd%lldh" : "%lldd", hours / 24, hours % 24);
		else if (hours < 24 * 365 * 2)
			snprintf(out, size, "%lldd", hours / 24);
		else if (hours < 24 * 365 * 8)
			snprintf(out, size, (hours / 24) % 365 ? "%lldy%lldd" : "%lldy", hours / 24 / 365,
				 (hours / 24) % 365);
		else
			snprintf(out, size, "%lldy", hours / 24 / 365);
	}
}

void describe_age(const char *rfc3339, char *out, size_t size)
{
	int64_t ns;
	if (!rfc3339 || !*rfc3339 || cc_time_parse_rfc3339(rfc3339, &ns) < 0) {
		snprintf(out, size, "<unknown>");
		return;
	}
	/* Go's time.Since truncated to seconds by int(d.Seconds()). */
	int64_t since = cc_time_now_ns() - ns;
	human_duration(since / 1000000000, out, size);
}

void describe_labels(struct tabwriter *w, const char *title, const json_t *labels)
{
	tabwriter_printf(w, LEVEL_0, "%s:\t", title);
	size_t n;
	_cleanup_free_ const char **keys = describe_sorted_keys(labels, &n);
	if (n == 0)
		tabwriter_printf(w, LEVEL_0, "<none>\n");
	for (size_t i = 0; i < n; i++)
		tabwriter_printf(w, LEVEL_0, "%s%s=%s\n", i ? "\t" : "", keys[i],
				 json_string_value(json_object_get(labels, keys[i])) ?: "");
}

#define MAX_ANNOTATION_LEN 140

void describe_annotations(struct tabwriter *w, const char *title, const json_t *annotations)
{
	tabwriter_printf(w, LEVEL_0, "%s:\t", title);
	size_t n, shown = 0;
	_cleanup_free_ const char **keys = describe_sorted_keys(annotations, &n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i], "kubectl.kubernetes.io/last-applied-configuration") == 0)
			continue;
		const char *value = json_string_value(json_object_get(annotations, keys[i])) ?: "";
		size_t len = strlen(value);
		if (len && value[len - 1] == '\n')
			len--;
		if (shown++)
			tabwriter_printf(w, LEVEL_0, "\t");
		if (len + strlen(keys[i]) + 2 > MAX_ANNOTATION_LEN || memchr(value, '\n', len)) {
			tabwriter_printf(w, LEVEL_0, "%s:\n", keys[i]);
			for (size_t at = 0; at <= len;) {
				const char *nl = memchr(value + at, '\n', len - at);
				size_t line = nl ? (size_t)(nl - (value + at)) : len - at;
				size_t cut = line > MAX_ANNOTATION_LEN - 2 ? MAX_ANNOTATION_LEN - 2 : line;
				tabwriter_printf(w, LEVEL_0, "\t  %.*s%s\n", (int)cut, value + at,
						 cut < line ? "..." : "");
				at += line + 1;
			}
		} else {
			tabwriter_printf(w, LEVEL_0, "%s: %.*s\n", keys[i], (int)len, value);
		}
	}
	if (!shown)
		tabwriter_printf(w, LEVEL_0, "<none>\n");
}

static int by_toleration_key(const void *a, const void *b)
{
	return strcmp(describe_str(*(const json_t *const *)a, "key", NULL),
		      describe_str(*(const json_t *const *)b, "key", NULL));
}

void describe_tolerations(struct tabwriter *w, const char *title, const json_t *tolerations)
{
	tabwriter_printf(w, LEVEL_0, "%s:\t", title);
	size_t n = json_array_size(tolerations);
	if (n == 0) {
		tabwriter_printf(w, LEVEL_0, "<none>\n");
		return;
	}
	const json_t **list = cc_xcalloc(n, sizeof(*list));
	for (size_t i = 0; i < n; i++)
		list[i] = json_array_get(tolerations, i);
	qsort(list, n, sizeof(*list), by_toleration_key);
	for (size_t i = 0; i < n; i++) {
		const char *key = describe_str(list[i], "key", NULL), *value = describe_str(list[i], "value", NULL);
		const char *effect = describe_str(list[i], "effect", NULL);
		tabwriter_printf(w, LEVEL_0, "%s%s%s%s%s%s", i ? "\t" : "", key, *value ? "=" : "", value,
				 *effect ? ":" : "", effect);
		if (strcmp(describe_str(list[i], "operator", NULL), "Exists") == 0 && !*value)
			tabwriter_printf(w, LEVEL_0, *key || *effect ? " op=Exists" : "op=Exists");
		const json_t *seconds = json_object_get(list[i], "tolerationSeconds");
		if (json_is_integer(seconds))
			tabwriter_printf(w, LEVEL_0, " for %llds", (long long)json_integer_value(seconds));
		tabwriter_printf(w, LEVEL_0, "\n");
	}
	free(list);
}

char *describe_selector(const json_t *selector)
{
	struct cc_buf out = CC_BUF_INIT;
	cc_buf_append(&out, "", 0);
	size_t n;
	const json_t *labels = json_object_get(selector, "matchLabels");
	_cleanup_free_ const char **keys = describe_sorted_keys(labels, &n);
	for (size_t i = 0; i < n; i++)
		cc_buf_appendf(&out, "%s%s=%s", out.len ? "," : "", keys[i],
			       json_string_value(json_object_get(labels, keys[i])) ?: "");
	size_t i, j;
	const json_t *e, *v;
	json_array_foreach (json_object_get(selector, "matchExpressions"), i, e) {
		const char *key = describe_str(e, "key", NULL), *op = describe_str(e, "operator", NULL);
		const char *sep = out.len ? "," : "";
		if (strcmp(op, "Exists") == 0) {
			cc_buf_appendf(&out, "%s%s", sep, key);
		} else if (strcmp(op, "DoesNotExist") == 0) {
			cc_buf_appendf(&out, "%s!%s", sep, key);
		} else {
			cc_buf_appendf(&out, "%s%s %s (", sep, key, strcmp(op, "In") == 0 ? "in" : "notin");
			json_array_foreach (json_object_get(e, "values"), j, v)
				cc_buf_appendf(&out, "%s%s", j ? "," : "", json_string_value(v) ?: "");
			cc_buf_append(&out, ")", 1);
		}
	}
	return cc_buf_steal(&out, NULL);
}

char *describe_controller(const json_t *obj)
{
	size_t i;
	const json_t *ref;
	json_array_foreach (describe_field(obj, "metadata", "ownerReferences", NULL), i, ref)
		if (json_is_true(json_object_get(ref, "controller")))
			return cc_xasprintf("%s/%s", describe_str(ref, "kind", NULL), describe_str(ref, "name", NULL));
	return NULL;
}

/* ---- events ---- */

/* event.SortableEvents: by series.lastObservedTime, else lastTimestamp, else eventTime. */
static int64_t event_time(const json_t *e)
{
	const char *candidates[] = { describe_str(e, "series", "lastObservedTime", NULL),
				     describe_str(e, "lastTimestamp", NULL), describe_str(e, "eventTime", NULL) };
	for (size_t i = 0; i < CC_ARRAY_SIZE(candidates); i++) {
		int64_t ns;
		if (*candidates[i] && cc_time_parse_rfc3339(candidates[i], &ns) == 0)
			return ns;
	}
	return 0;
}

struct timed_event {
	const json_t *event;
	int64_t time;
	size_t index;
};

static int by_time(const void *a, const void *b)
{
	const struct timed_event *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The Age column: the first time, or "LAST (xCOUNT over FIRST)" for a repeated event. */
static void event_age(const json_t *e, char *out, size_t size)
{
	char first[32], last[32];
	const char *event_time_text = describe_str(e, "eventTime", NULL);
	describe_age(*event_time_text ? event_time_text : describe_str(e, "firstTimestamp", NULL), first,
		     sizeof(first));
	const json_t *series = json_object_get(e, "series");
	long long count = json_integer_value(json_object_get(e, "count"));
	if (json_is_object(series)) {
		describe_age(describe_str(series, "lastObservedTime", NULL), last, sizeof(last));
		snprintf(out, size, "%s (x%lld over %s)", last,
			 (long long)json_integer_value(json_object_get(series, "count")), first);
	} else if (count > 1) {
		describe_age(describe_str(e, "lastTimestamp", NULL), last, sizeof(last));
		snprintf(out, size, "%s (x%lld over %s)", last, count, first);
	} else {
		snprintf(out, size, "%s", first);
	}
}

void describe_events(struct tabwriter *w, const json_t *events)
{
	const json_t *items = json_object_get(events, "items");
	size_t n = json_array_size(items);
	if (n == 0) {
		tabwriter_printf(w, LEVEL_0, "Events:\t<none>\n");
		return;
	}
	struct timed_event *list = cc_xcalloc(n, sizeof(*list));
	for (size_t i = 0; i < n; i++)
		list[i] = (struct timed_event){ json_array_get(items, i), event_time(json_array_get(items, i)), i };
	qsort(list, n, sizeof(*list), by_time);
	tabwriter_printf(w, LEVEL_0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
	tabwriter_printf(w, LEVEL_1, "----\t------\t----\t----\t-------\n");
	for (size_t i = 0; i < n; i++) {
		const json_t *e = list[i].event;
		char age[96];
		event_age(e, age, sizeof(age));
		const char *from = describe_str(e, "source", "component", NULL);
		if (!*from)
			from = describe_str(e, "reportingComponent", NULL);
		/* strings.TrimSpace of the message */
		const char *message = describe_str(e, "message", NULL);
		while (isspace((unsigned char)*message))
			message++;
		size_t len = strlen(message);
		while (len && isspace((unsigned char)message[len - 1]))
			len--;
		tabwriter_printf(w, LEVEL_1, "%s\t%s\t%s\t%s\t%.*s\n", describe_str(e, "type", NULL),
				 describe_str(e, "reason", NULL), age, from, (int)len, message);
	}
	free(list);
}

/* ---- the generic describer ---- */

/* fatih/camelcase.Split as kubectl's smartLabelFor uses it: "creationTimestamp" -> "Creation
 * Timestamp", "apiVersion" -> "API Version", "podIP" -> "Pod IP". */
static char *smart_label(const char *field)
{
	for (const char *p = field; *p; p++)
		if (!isalpha((unsigned char)*p) && *p != '-')
			return cc_xstrdup(field);
	/* Runs of one class (lower, upper, other), then an upper run followed by a lower one gives
	 * its last letter to it ("PDFLoader" -> "PDF", "Loader"). */
	size_t len = strlen(field), n_parts = 0;
	size_t *starts = cc_xcalloc(len + 2, sizeof(size_t));
	int last = -1;
	for (size_t i = 0; i < len; i++) {
		int class = islower((unsigned char)field[i]) ? 1 : isupper((unsigned char)field[i]) ? 2 : 4;
		if (class != last)
			starts[n_parts++] = i;
		last = class;
	}
	starts[n_parts] = len;
	for (size_t i = 0; i + 1 < n_parts; i++)
		if (isupper((unsigned char)field[starts[i]]) && islower((unsigned char)field[starts[i + 1]]))
			starts[i + 1]--; /* a one-letter run is left empty, and skipped below */
	static const char *const acronyms[] = { "API", "URL", "UID", "OSB", "GUID" };
	struct cc_buf out = CC_BUF_INIT;
	cc_buf_append(&out, "", 0);
	for (size_t i = 0; i < n_parts; i++) {
		size_t part_len = starts[i + 1] - starts[i];
		if (part_len == 0)
			continue;
		char part[256];
		snprintf(part, sizeof(part), "%.*s", (int)part_len, field + starts[i]);
		bool acronym = false;
		for (size_t a = 0; a < CC_ARRAY_SIZE(acronyms); a++)
			acronym |= strcasecmp(part, acronyms[a]) == 0;
		for (size_t c = 0; part[c]; c++)
			if (acronym || c == 0)
				part[c] = (char)toupper((unsigned char)part[c]);
		cc_buf_appendf(&out, "%s%s", out.len ? " " : "", part);
	}
	free(starts);
	return cc_buf_steal(&out, NULL);
}

/* Go's %v of a JSON scalar as unstructured content holds it. */
static void scalar_text(const json_t *v, char *out, size_t size)
{
	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(out, size, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(out, size, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(out, size, "<nil>");
}

/* printUnstructuredContent: fields sorted, objects and lists below their name one level deeper. */
static void describe_content(struct tabwriter *w, int level, const json_t *content, const char *prefix)
{
	static const char *const skip[] = { ".metadata.managedFields", ".metadata.name", ".metadata.namespace",
					    ".metadata.labels", ".metadata.annotations" };
	size_t n;
	_cleanup_free_ const char **keys = describe_sorted_keys(content, &n);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *path = cc_xasprintf("%s.%s", prefix, keys[i]);
		bool skipped = false;
		for (size_t s = 0; s < CC_ARRAY_SIZE(skip); s++)
			skipped |= strcmp(path, skip[s]) == 0;
		if (skipped)
			continue;
		const json_t *v = json_object_get(content, keys[i]);
		_cleanup_free_ char *label = smart_label(keys[i]);
		if (json_is_object(v)) {
			tabwriter_printf(w, level, "%s:\n", label);
			describe_content(w, level + 1, v, path);
		} else if (json_is_array(v)) {
			tabwriter_printf(w, level, "%s:\n", label);
			size_t j;
			const json_t *child;
			json_array_foreach (v, j, child) {
				if (json_is_object(child)) {
					describe_content(w, level + 1, child, path);
				} else {
					char text[4096];
					scalar_text(child, text, sizeof(text));
					tabwriter_printf(w, level + 1, "%s\n", text);
				}
			}
		} else {
			char text[4096];
			scalar_text(v, text, sizeof(text));
			tabwriter_printf(w, level, "%s:\t%s\n", label, text);
		}
	}
}

static void describe_generic(struct tabwriter *w, const json_t *obj, const json_t *events)
{
	tabwriter_printf(w, LEVEL_0, "Name:\t%s\n", describe_str(obj, "metadata", "name", NULL));
	tabwriter_printf(w, LEVEL_0, "Namespace:\t%s\n", describe_str(obj, "metadata", "namespace", NULL));
	describe_labels(w, "Labels", describe_field(obj, "metadata", "labels", NULL));
	describe_annotations(w, "Annotations", describe_field(obj, "metadata", "annotations", NULL));
	describe_content(w, LEVEL_0, obj, "");
	if (events)
		describe_events(w, events);
}

/* ---- the command ---- */

struct describe_args {
	struct kube k;
	const char *selector;
	bool show_events;
};

/* The object's events, as kubectl's searchEvents asks for them; NULL when they cannot be had (the
 * description goes on without them, as kubectl's does). */
static json_t *object_events(struct describe_args *a, const json_t *obj)
{
	const char *ns = describe_str(obj, "metadata", "namespace", NULL);
	_cleanup_free_ char *selector =
	    cc_xasprintf("involvedObject.name=%s,%s%s%sinvolvedObject.kind=%s,involvedObject.uid=%s",
			 describe_str(obj, "metadata", "name", NULL), *ns ? "involvedObject.namespace=" : "", ns,
			 *ns ? "," : "", describe_str(obj, "kind", NULL), describe_str(obj, "metadata", "uid", NULL));
	_cleanup_free_ char *query = kube_query_escape(selector);
	_cleanup_free_ char *path = *ns ? cc_xasprintf("/api/v1/namespaces/%s/events?fieldSelector=%s", ns, query)
					: cc_xasprintf("/api/v1/events?fieldSelector=%s", query);
	long status;
	json_t *events = NULL;
	if (kube_request(&a->k, "GET", path, NULL, NULL, NULL, &status, &events) < 0 || status != 200) {
		json_decref(events);
		return NULL;
	}
	return events;
}

static int describe_one(struct describe_args *a, const struct resource *r, const json_t *obj, bool first)
{
	_cleanup_json_ json_t *events = a->show_events ? object_events(a, obj) : NULL;
	const char *kind = json_string_value(json_object_get(r->info, "kind")) ?: "";
	struct tabwriter w = { CC_BUF_INIT };
	if (strcmp(kind, "Pod") == 0 && !*r->group) {
		describe_pod(&w, obj, events);
	} else if (strcmp(kind, "Deployment") == 0 && strncmp(r->group, "apps/", 5) == 0) {
		_cleanup_free_ char *path = cc_xasprintf("/apis/apps/v1/namespaces/%s/replicasets",
							 describe_str(obj, "metadata", "namespace", NULL));
		_cleanup_json_ json_t *replica_sets = NULL;
		long status;
		if (kube_request(&a->k, "GET", path, NULL, NULL, NULL, &status, &replica_sets) < 0 || status != 200) {
			json_decref(replica_sets);
			replica_sets = NULL;
		}
		describe_deployment(&w, obj, replica_sets, events);
	} else {
		describe_generic(&w, obj, events);
	}
	if (!first)
		printf("\n\n");
	tabwriter_flush(&w, stdout);
	tabwriter_free(&w);
	return 0;
}

/* A list answers without kind and apiVersion in its items: put them back, as the generic
 * describer prints them. */
static void set_kind(json_t *obj, const struct resource *r)
{
	if (json_object_get(obj, "kind"))
		return;
	const char *version = strncmp(r->prefix, "/apis/", 6) == 0 ? r->prefix + 6 : r->prefix + 5;
	json_object_set_new(obj, "apiVersion", json_string(version));
	json_object_set_new(obj, "kind", json_string(json_string_value(json_object_get(r->info, "kind")) ?: ""));
}

static int describe_named(struct describe_args *a, const char *type, const char *name, bool *first)
{
	struct resource r;
	if (!kube_find_resource(&a->k, type, NULL, &r))
		return -1;
	_cleanup_free_ char *escaped = kube_query_escape(name);
	_cleanup_free_ char *path = kube_object_path(&r, kube_namespace(&a->k), escaped);
	_cleanup_json_ json_t *obj = NULL;
	if (kube_get(&a->k, path, &obj) < 0)
		return -1;
	set_kind(obj, &r);
	describe_one(a, &r, obj, *first);
	*first = false;
	return 0;
}

static int describe_all(struct describe_args *a, const char *type, bool *first)
{
	struct resource r;
	if (!kube_find_resource(&a->k, type, NULL, &r))
		return -1;
	_cleanup_free_ char *path = kube_object_path(&r, kube_namespace(&a->k), NULL);
	if (a->selector) {
		_cleanup_free_ char *sel = kube_query_escape(a->selector);
		char *with = cc_xasprintf("%s?labelSelector=%s", path, sel);
		free(path);
		path = with;
	}
	_cleanup_json_ json_t *list = NULL;
	if (kube_get(&a->k, path, &list) < 0)
		return -1;
	size_t i;
	json_t *obj;
	json_array_foreach (json_object_get(list, "items"), i, obj) {
		set_kind(obj, &r);
		describe_one(a, &r, obj, *first);
		*first = false;
	}
	if (json_array_size(json_object_get(list, "items")) == 0)
		fprintf(stderr, "No resources found in %s namespace.\n", kube_namespace(&a->k));
	return 0;
}

int cmd_describe(int argc, char **argv)
{
	enum { OPT_SHOW_EVENTS = 0x200 };
	static const struct option verb_options[] = {
		{ "selector", required_argument, NULL, 'l' },
		{ "show-events", optional_argument, NULL, OPT_SHOW_EVENTS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_free_ struct option *options = kube_options(verb_options);
	struct describe_args a = { .show_events = true };
	kube_init(&a.k, PROGRAM);
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "n:l:h", options, NULL)) != -1) {
		if (kube_option(&a.k, c, optarg))
			continue;
		switch (c) {
		case 'l': a.selector = optarg; break;
		case OPT_SHOW_EVENTS:
			if (optarg && strcmp(optarg, "false") != 0 && strcmp(optarg, "true") != 0) {
				cli_error(PROGRAM, "--show-events takes true or false");
				return CLI_EXIT_USAGE;
			}
			a.show_events = !optarg || strcmp(optarg, "true") == 0;
			break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind == argc) {
		cli_error(PROGRAM, "describe needs RESOURCE [NAME...] or RESOURCE/NAME; run 'cocoon describe --help'");
		return CLI_EXIT_USAGE;
	}
	kube_connect(&a.k);
	int rc = CLI_EXIT_OK;
	bool first = true;
	if (kube_load_discovery(&a.k) < 0) {
		rc = CLI_EXIT_FAILURE;
	} else if (strchr(argv[optind], '/')) {
		/* TYPE/NAME ... */
		for (int i = optind; i < argc; i++) {
			const char *slash = strchr(argv[i], '/');
			if (!slash) {
				cli_error(PROGRAM, "`%s`: give every object as TYPE/NAME when the first is", argv[i]);
				rc = CLI_EXIT_USAGE;
				break;
			}
			_cleanup_free_ char *type = cc_xstrndup(argv[i], (size_t)(slash - argv[i]));
			if (describe_named(&a, type, slash + 1, &first) < 0)
				rc = CLI_EXIT_FAILURE;
		}
	} else if (optind + 1 == argc) {
		if (describe_all(&a, argv[optind], &first) < 0)
			rc = CLI_EXIT_FAILURE;
	} else {
		for (int i = optind + 1; i < argc; i++)
			if (describe_named(&a, argv[optind], argv[i], &first) < 0)
				rc = CLI_EXIT_FAILURE;
	}
	kube_clear(&a.k);
	return rc;
}
