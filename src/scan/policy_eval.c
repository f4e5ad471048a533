/* Judging policies against facts (docs/scan.md, "Policies").
 *
 * A section matches when all its criteria hold, and a criterion on one kind of entity must hold for
 * the same entity as the section's other criteria on that kind: "Fixable" and "Severity >= high"
 * for one finding, not a fixable low one beside an unfixable critical one. The facts are walked as
 * the tree they describe:
 *
 *   workload ── volumes
 *            └─ containers ── image ── findings | packages | malware | secrets | misconfigurations
 *
 * Without a workload (a build), each image of the facts stands in for a container. Siblings are
 * independent (a section on a hostPath volume and a privileged container needs one of each); a
 * child is judged only under a parent that matched. Every match becomes a message naming the
 * concrete values ("container "app" is privileged", "CVE-2022-1271 (high) in gzip 1.10-4, fixed in
 * 1.12-1"), at most POLICY_MAX_MESSAGES per violation.
 *
 * Malformed facts are an error, never a non-match: the decision fails closed. The shape (lists of
 * objects, names) is checked before any policy is judged; a member is checked where a field reads
 * it (policy_extract*.c), so the walk itself can take the shape as given. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "scan/policy_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const item_keys[POLICY_ENTITY_MAX] = {
	[POLICY_ENTITY_FINDING] = "findings",
	[POLICY_ENTITY_PACKAGE] = "packages",
	[POLICY_ENTITY_MALWARE] = "malware",
	[POLICY_ENTITY_SECRET] = "secrets",
	[POLICY_ENTITY_MISCONFIG] = "misconfigurations",
};

#define ITEM_ENTITIES                                                                                                  \
	(1u << POLICY_ENTITY_FINDING | 1u << POLICY_ENTITY_PACKAGE | 1u << POLICY_ENTITY_MALWARE |                     \
	 1u << POLICY_ENTITY_SECRET | 1u << POLICY_ENTITY_MISCONFIG)
#define IMAGE_ENTITIES     (1u << POLICY_ENTITY_IMAGE | ITEM_ENTITIES)
#define CONTAINER_ENTITIES (1u << POLICY_ENTITY_CONTAINER | IMAGE_ENTITIES)

struct walk {
	const struct policy_section *sec;
	const json_t *facts;
	struct cc_error *err;
};

/* ---- one criterion ---- */

static bool compare(double x, enum policy_op op, double want)
{
	switch (op) {
	case POLICY_OP_LT: return x < want;
	case POLICY_OP_LE: return x <= want;
	case POLICY_OP_GT: return x > want;
	case POLICY_OP_GE: return x >= want;
	default: return x == want;
	}
}

static bool value_matches(const struct policy_criterion *c, const struct policy_value *v, const json_t *x)
{
	const struct policy_field *f = c->field;
	switch (f->type) {
	case POLICY_TYPE_STRING: {
		const char *s = json_string_value(x);
		if (!s)
			return false;
		if (v->op == POLICY_OP_REGEX)
			return regexec(&v->re, s, 0, NULL, 0) == 0;
		if (f->flags & (POLICY_FIELD_FOLD_CASE | POLICY_FIELD_CAPABILITY))
			return strcasecmp(s, v->text) == 0;
		return strcmp(s, v->text) == 0;
	}
	case POLICY_TYPE_BOOL: return json_is_boolean(x) && json_is_true(x) == (v->number != 0);
	case POLICY_TYPE_NUMBER: return json_is_number(x) && compare(json_number_value(x), v->op, v->number);
	case POLICY_TYPE_SEVERITY: {
		int rank = policy_severity_rank(json_string_value(x));
		return compare(rank < 0 ? 0 : rank, v->op, v->number);
	}
	default: return false;
	}
}

/* A value as a message shows it; an environment variable's value is withheld (it may be a secret). */
static void append_value(struct cc_buf *out, const struct policy_field *f, const json_t *x)
{
	if (json_is_string(x)) {
		const char *s = json_string_value(x);
		if (f->flags & POLICY_FIELD_WITHHOLD)
			cc_buf_append(out, s, strcspn(s, "="));
		else
			cc_buf_append_str(out, s);
	} else if (json_is_integer(x)) {
		cc_buf_appendf(out, "%lld", (long long)json_integer_value(x));
	} else if (json_is_number(x)) {
		cc_buf_appendf(out, "%g", json_number_value(x));
	}
}

/* The field's phrase with its "%s" replaced by x. */
static void append_phrase(struct cc_buf *out, const struct policy_field *f, const json_t *x)
{
	const char *hole = strstr(f->phrase, "%s");
	if (out->len)
		cc_buf_append_str(out, ", ");
	if (!hole) {
		cc_buf_append_str(out, f->phrase);
		return;
	}
	cc_buf_append(out, f->phrase, (size_t)(hole - f->phrase));
	append_value(out, f, x);
	cc_buf_append_str(out, hole + 2);
}

/* "has no runtime class cocoon", "has no dropped capability ALL", "has no tag matching `v1\..*`". */
static void append_negation(struct cc_buf *out, const struct policy_criterion *c)
{
	if (out->len)
		cc_buf_append_str(out, ", ");
	cc_buf_appendf(out, "has no %s", c->field->phrase_not);
	static const char *const ops[POLICY_OP_MAX] = {
		[POLICY_OP_LT] = "< ", [POLICY_OP_LE] = "<= ", [POLICY_OP_GT] = "> ", [POLICY_OP_GE] = ">= "
	};
	for (size_t i = 0; i < c->n_values; i++) {
		const struct policy_value *v = &c->values[i];
		cc_buf_append_str(out, i == 0 ? " " : c->match_all ? " and " : " or ");
		if (v->op == POLICY_OP_REGEX)
			cc_buf_appendf(out, "matching `%s`", v->text);
		else /* a comparison written in the value is in its text already */
			cc_buf_appendf(out, "%s%s", ops[c->op] ? ops[c->op] : "", v->text);
	}
}

static void describe(struct cc_buf *out, const struct policy_criterion *c, const json_t *values, const json_t *matched)
{
	const struct policy_field *f = c->field;
	if (!f->phrase)
		return; /* a finding, package, ...: the item's description says it all */
	if (f->type == POLICY_TYPE_BOOL) {
		/* The value the entity has, whichever way the criterion was put. */
		const json_t *x = json_array_size(matched) ? json_array_get(matched, 0) : json_array_get(values, 0);
		if (x) {
			if (out->len)
				cc_buf_append_str(out, ", ");
			cc_buf_append_str(out, json_is_true(x) ? f->phrase : f->phrase_not);
		}
		return;
	}
	if (c->negate) {
		append_negation(out, c);
		return;
	}
	size_t i;
	json_t *x;
	json_array_foreach ((json_t *)matched, i, x)
		append_phrase(out, f, x);
}

static bool contains(const json_t *array, const json_t *x)
{
	size_t i;
	json_t *y;
	json_array_foreach ((json_t *)array, i, y)
		if (json_equal(y, x))
			return true;
	return false;
}

/* 1 when c holds for s (its phrase appended to phrases when given), 0 when not, or an error. */
static int criterion_holds(const struct policy_criterion *c, const struct policy_subject *s, struct cc_buf *phrases,
			   struct cc_error *err)
{
	_cleanup_json_ json_t *values = json_array(), *matched = json_array();
	int r = c->field->extract(s, values, err);
	if (r < 0)
		return r;
	if (r == POLICY_NOT_JUDGED)
		return 0;
	bool holds;
	if (c->op == POLICY_OP_EXISTS) {
		holds = json_array_size(values) > 0;
		for (size_t i = 0; i < json_array_size(values) && i < POLICY_MAX_PHRASES; i++)
			json_array_append(matched, json_array_get(values, i));
	} else {
		bool hit[POLICY_MAX_VALUES] = { false };
		size_t hits = 0, i;
		json_t *x;
		json_array_foreach (values, i, x)
			for (size_t k = 0; k < c->n_values; k++)
				if (value_matches(c, &c->values[k], x)) {
					hits += !hit[k];
					hit[k] = true;
					if (json_array_size(matched) < POLICY_MAX_PHRASES && !contains(matched, x))
						json_array_append(matched, x);
				}
		holds = c->match_all ? hits == c->n_values : hits > 0;
	}
	if (c->negate)
		holds = !holds;
	if (holds && phrases)
		describe(phrases, c, values, matched);
	return holds;
}

/* Whether every criterion of the section on entity holds for s. */
static int entity_holds(const struct walk *w, enum policy_entity entity, const struct policy_subject *s,
			struct cc_buf *phrases)
{
	for (size_t i = 0; i < w->sec->n_criteria; i++) {
		const struct policy_criterion *c = &w->sec->criteria[i];
		if (c->entity != entity)
			continue;
		int r = criterion_holds(c, s, phrases, w->err);
		if (r <= 0)
			return r;
	}
	return 1;
}

static bool uses(const struct walk *w, unsigned entities)
{
	return (w->sec->entities & entities) != 0;
}

/* The messages of one match: POLICY_MAX_MESSAGES kept (so gathering them stays linear however many
 * findings match), the rest counted. */
struct messages {
	json_t *list;
	size_t more;
};

static void messages_clear(struct messages *m)
{
	json_decref(m->list);
}

static void add_message_json(struct messages *m, json_t *text)
{
	if (contains(m->list, text))
		return;
	if (json_array_size(m->list) < POLICY_MAX_MESSAGES)
		json_array_append(m->list, text);
	else
		m->more++;
}

static void add_message(struct messages *m, const char *text)
{
	json_t *s = json_string(text);
	add_message_json(m, s);
	json_decref(s);
}

static void merge_messages(struct messages *into, const struct messages *from)
{
	size_t i;
	json_t *text;
	json_array_foreach (from->list, i, text)
		add_message_json(into, text);
	into->more += from->more;
}

/* ---- the tree ---- */

/* The reference a message names the image by: its one reference (an image built with several tags
 * is "image"; the tag that matched is in the message). */
static const char *image_label(const struct policy_subject *s)
{
	return s->image_refs && s->image_refs[0] && !s->image_refs[1] ? s->image_refs[0] : NULL;
}

/* The image's criteria and, under it, the items'. head is what the message says before (the
 * container); the image's own phrases follow it. */
static int match_image(const struct walk *w, const struct policy_subject *s, const char *head, struct messages *out)
{
	_cleanup_buf_ struct cc_buf phrases = CC_BUF_INIT, msg = CC_BUF_INIT;
	int r = entity_holds(w, POLICY_ENTITY_IMAGE, s, &phrases);
	if (r <= 0)
		return r;
	const char *ref = image_label(s);
	cc_buf_append_str(&msg, head);
	if (phrases.len && s->container)
		cc_buf_appendf(&msg, ", image%s%s %s", ref ? " " : "", ref ? ref : "", phrases.data);
	else if (phrases.len && msg.len)
		cc_buf_appendf(&msg, ", %s", phrases.data);
	else if (phrases.len)
		cc_buf_appendf(&msg, "image%s%s %s", ref ? " " : "", ref ? ref : "", phrases.data);
	else if (s->container && ref)
		cc_buf_appendf(&msg, " (image %s)", ref);
	if (!uses(w, ITEM_ENTITIES)) {
		add_message(out, msg.data ? msg.data : "");
		return 1;
	}
	if (!s->report)
		return 0;
	_cleanup_(messages_clear) struct messages found = { json_array(), 0 };
	for (int kind = POLICY_ENTITY_FINDING; kind < POLICY_ENTITY_MAX; kind++) {
		if (!uses(w, 1u << kind))
			continue;
		size_t n = 0, i;
		json_t *item;
		json_array_foreach (json_object_get(s->report, item_keys[kind]), i, item) {
			struct policy_subject sub = *s;
			sub.item = item;
			sub.item_kind = (enum policy_entity)kind;
			if ((r = entity_holds(w, (enum policy_entity)kind, &sub, NULL)) < 0)
				return r;
			if (r == 0)
				continue;
			n++;
			_cleanup_buf_ struct cc_buf text = CC_BUF_INIT;
			if (msg.len)
				cc_buf_appendf(&text, "%s: ", msg.data);
			policy_item_describe(&text, (enum policy_entity)kind, item);
			add_message(&found, text.data);
		}
		if (n == 0)
			return 0;
	}
	merge_messages(out, &found);
	return 1;
}

static int match_container(const struct walk *w, const struct policy_subject *s, struct messages *out)
{
	_cleanup_buf_ struct cc_buf phrases = CC_BUF_INIT, head = CC_BUF_INIT;
	int r = entity_holds(w, POLICY_ENTITY_CONTAINER, s, &phrases);
	if (r <= 0)
		return r;
	const char *ref = image_label(s);
	if (s->container)
		cc_buf_appendf(&head, "container \"%s\"", s->container_name);
	else if (phrases.len)
		cc_buf_appendf(&head, "image%s%s", ref ? " " : "", ref ? ref : "");
	if (phrases.len)
		cc_buf_appendf(&head, " %s", phrases.data);
	if (uses(w, IMAGE_ENTITIES))
		return match_image(w, s, head.data ? head.data : "", out);
	add_message(out, head.data ? head.data : "");
	return 1;
}

/* The report of a container's image: images[ref], else the facts' one image. */
static const json_t *report_for(const json_t *facts, const char *ref)
{
	const json_t *r = ref ? json_object_get(json_object_get(facts, "images"), ref) : NULL;
	if (json_is_object(r))
		return r;
	r = json_object_get(facts, "image");
	return json_is_object(r) ? r : NULL;
}

static int match_pod_containers(const struct walk *w, const struct policy_subject *root, struct messages *out)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	int matched = 0;
	for (size_t l = 0; l < CC_ARRAY_SIZE(lists); l++) {
		size_t i;
		json_t *c;
		json_array_foreach (json_object_get(root->pod_spec, lists[l]), i, c) {
			const char *refs[] = { json_string_value(json_object_get(c, "image")), NULL };
			struct policy_subject s = *root;
			s.container = c;
			s.container_name = json_string_value(json_object_get(c, "name"));
			s.image_refs = refs[0] ? refs : NULL;
			s.report = report_for(w->facts, refs[0]);
			int r = match_container(w, &s, out);
			if (r < 0)
				return r;
			matched += r;
		}
	}
	return matched > 0;
}

/* Without a workload: the facts' image (by its repo tags) and each of images (by its key). */
static int match_images(const struct walk *w, const struct policy_subject *root, struct messages *out)
{
	int matched = 0, r;
	const json_t *image = json_object_get(w->facts, "image");
	if (json_is_object(image)) {
		json_t *tags = json_object_get(json_object_get(image, "image"), "repo_tags");
		size_t n = json_is_array(tags) ? json_array_size(tags) : 0, k = 0, i;
		_cleanup_free_ const char **refs = cc_xcalloc(n + 1, sizeof(refs[0]));
		json_t *t;
		json_array_foreach (tags, i, t)
			if (json_is_string(t))
				refs[k++] = json_string_value(t);
		struct policy_subject s = *root;
		s.report = image;
		s.image_refs = k ? refs : NULL;
		if ((r = match_container(w, &s, out)) < 0)
			return r;
		matched += r;
	}
	const char *key;
	json_t *report;
	json_object_foreach (json_object_get(w->facts, "images"), key, report) {
		const char *refs[] = { key, NULL };
		struct policy_subject s = *root;
		s.report = json_is_object(report) ? report : NULL;
		s.image_refs = refs;
		if ((r = match_container(w, &s, out)) < 0)
			return r;
		matched += r;
	}
	return matched > 0;
}

static int match_volumes(const struct walk *w, const struct policy_subject *root, struct messages *out)
{
	int matched = 0;
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(root->pod_spec, "volumes"), i, v) {
		json_t *name = json_object_get(v, "name");
		struct policy_subject s = *root;
		s.volume = v;
		_cleanup_buf_ struct cc_buf phrases = CC_BUF_INIT;
		int r = entity_holds(w, POLICY_ENTITY_VOLUME, &s, &phrases);
		if (r < 0)
			return r;
		if (r) {
			_cleanup_free_ char *text =
			    cc_xasprintf("volume \"%s\" %s", json_string_value(name), phrases.data);
			add_message(out, text);
			matched = 1;
		}
	}
	return matched;
}

static void workload_label(struct cc_buf *out, const json_t *workload)
{
	const char *kind = json_string_value(json_object_get(workload, "kind"));
	const char *ns = json_string_value(json_object_get(workload, "namespace"));
	const char *name = json_string_value(json_object_get(workload, "name"));
	cc_buf_appendf(out, "%s %s%s%s", kind ? kind : "workload", ns ? ns : "", ns ? "/" : "", name ? name : "?");
}

/* Whether section matches the facts under root; its messages are added to messages. Returns 1
 * matched, 0 not, or a negative errno for malformed facts. */
static int section_evaluate(const struct policy_section *section, const struct policy_subject *root,
			    const json_t *facts, struct messages *messages, struct cc_error *err)
{
	struct walk w = { .sec = section, .facts = facts, .err = err };
	_cleanup_(messages_clear) struct messages found = { json_array(), 0 };
	int r;
	if (uses(&w, 1u << POLICY_ENTITY_WORKLOAD)) {
		_cleanup_buf_ struct cc_buf phrases = CC_BUF_INIT, text = CC_BUF_INIT;
		if ((r = entity_holds(&w, POLICY_ENTITY_WORKLOAD, root, &phrases)) <= 0)
			return r;
		workload_label(&text, root->workload);
		cc_buf_appendf(&text, " %s", phrases.data);
		add_message(&found, text.data);
	}
	if (uses(&w, 1u << POLICY_ENTITY_VOLUME) && (r = match_volumes(&w, root, &found)) <= 0)
		return r;
	if (uses(&w, CONTAINER_ENTITIES)) {
		r = root->workload ? match_pod_containers(&w, root, &found) : match_images(&w, root, &found);
		if (r <= 0)
			return r;
	}
	merge_messages(messages, &found);
	return 1;
}

/* ---- the set ---- */

/* The arrays of a report are arrays of objects (what is inside them is checked where it is read). */
static int check_report(const json_t *report, const char *where, struct cc_error *err)
{
	for (int kind = POLICY_ENTITY_FINDING; kind < POLICY_ENTITY_MAX; kind++) {
		json_t *items = json_object_get(report, item_keys[kind]);
		if (!items || json_is_null(items))
			continue;
		if (!json_is_array(items))
			return cc_error_set(err, EINVAL, "facts: %s: `%s` is not an array", where, item_keys[kind]);
		size_t i;
		json_t *item;
		json_array_foreach (items, i, item)
			if (!json_is_object(item))
				return cc_error_set(err, EINVAL, "facts: %s: %s[%zu] is not an object", where,
						    item_keys[kind], i);
	}
	json_t *image = json_object_get(report, "image");
	if (image && !json_is_object(image) && !json_is_null(image))
		return cc_error_set(err, EINVAL, "facts: %s: `image` is not an object", where);
	return 0;
}

static int check_workload(const json_t *workload, struct cc_error *err)
{
	static const char *const names[] = { "kind", "namespace", "name" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(names); i++) {
		json_t *v = json_object_get(workload, names[i]);
		if (v && !json_is_string(v) && !json_is_null(v))
			return cc_error_set(err, EINVAL, "facts: workload: `%s` is not a string", names[i]);
	}
	static const char *const maps[] = { "labels", "annotations" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(maps); i++) {
		json_t *map = json_object_get(workload, maps[i]), *v;
		if (map && !json_is_object(map) && !json_is_null(map))
			return cc_error_set(err, EINVAL, "facts: workload: `%s` is not an object", maps[i]);
		const char *key;
		json_object_foreach (map, key, v)
			if (!json_is_string(v))
				return cc_error_set(err, EINVAL, "facts: workload.%s: `%.64s` is not a string", maps[i],
						    key);
	}
	json_t *spec = json_object_get(workload, "podSpec");
	if (spec && !json_is_object(spec))
		return cc_error_set(err, EINVAL, "facts: workload: `podSpec` is not an object");
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers", "volumes" };
	for (size_t l = 0; l < CC_ARRAY_SIZE(lists); l++) {
		json_t *list = json_object_get(spec, lists[l]), *c;
		if (list && !json_is_array(list) && !json_is_null(list))
			return cc_error_set(err, EINVAL, "facts: podSpec: `%s` is not an array", lists[l]);
		size_t i;
		json_array_foreach (list, i, c) {
			json_t *name = json_object_get(c, "name"), *image = json_object_get(c, "image");
			bool volume = l == 3;
			if (!json_is_object(c) || !json_is_string(name) || (!volume && image && !json_is_string(image)))
				return cc_error_set(err, EINVAL, "facts: podSpec.%s[%zu] is not a %s with a name%s",
						    lists[l], i, volume ? "volume" : "container",
						    volume ? "" : " and an image");
		}
	}
	return 0;
}

static int check_facts(const json_t *facts, struct policy_subject *root, struct cc_error *err)
{
	if (!json_is_object(facts))
		return cc_error_set(err, EINVAL, "facts: not a JSON object");
	json_t *stage = json_object_get(facts, "stage");
	if (scan_policy_stage_parse(json_string_value(stage), &root->stage) < 0)
		return cc_error_set(err, EINVAL, "facts: `stage` is not build, deploy or runtime");
	json_t *image = json_object_get(facts, "image"), *images = json_object_get(facts, "images");
	json_t *workload = json_object_get(facts, "workload"), *now = json_object_get(facts, "now");
	if (image && !json_is_object(image) && !json_is_null(image))
		return cc_error_set(err, EINVAL, "facts: `image` is not a scan report or null");
	if (images && !json_is_object(images) && !json_is_null(images))
		return cc_error_set(err, EINVAL,
				    "facts: `images` is not an object of image references to scan reports");
	const char *key;
	json_t *report;
	int r;
	json_object_foreach (images, key, report) {
		if (!json_is_object(report) && !json_is_null(report))
			return cc_error_set(err, EINVAL, "facts: images[\"%.200s\"] is not a scan report or null", key);
		_cleanup_free_ char *where = cc_xasprintf("images[\"%.200s\"]", key);
		if ((r = check_report(report, where, err)) < 0)
			return r;
	}
	if ((r = check_report(image, "image", err)) < 0)
		return r;
	if (workload && !json_is_object(workload) && !json_is_null(workload))
		return cc_error_set(err, EINVAL, "facts: `workload` is not an object or null");
	/* A build judges images only: a workload beside them is not built, and is not judged. */
	if (json_is_object(workload) && root->stage != SCAN_POLICY_STAGE_BUILD) {
		if ((r = check_workload(workload, err)) < 0)
			return r;
		root->workload = workload;
		root->pod_spec = json_object_get(workload, "podSpec");
	}
	int64_t ns;
	if (now && (!json_is_string(now) || cc_time_parse_rfc3339(json_string_value(now), &ns) < 0))
		return cc_error_set(err, EINVAL, "facts: `now` is not an RFC 3339 time");
	root->now = now ? ns / 1000000000 : (long long)time(NULL);
	return 0;
}

static json_t *violation(const struct policy *p, enum scan_policy_stage stage, json_t *sections,
			 struct messages *messages)
{
	if (messages->more) {
		_cleanup_free_ char *more = cc_xasprintf("... and %zu more", messages->more);
		json_array_append_new(messages->list, json_string(more));
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:s?}", "policy", p->name, "severity",
			 policy_severity_name(p->severity), "stage", scan_policy_stage_name(stage), "enforcement",
			 scan_policy_enforcement_name(p->enforcement[stage]), "section", json_array_get(sections, 0),
			 "sections", sections, "messages", messages->list, "remediation", p->remediation);
}

int scan_policy_evaluate(const struct scan_policy_set *set, const json_t *facts, json_t **ret_violations,
			 struct cc_error *err)
{
	struct policy_subject root = { 0 };
	int r = check_facts(facts, &root, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *out = json_array();
	for (size_t i = 0; i < set->n_policies; i++) {
		const struct policy *p = set->policies[i];
		if (p->disabled || !(p->stages & POLICY_STAGE_BIT(root.stage)))
			continue;
		_cleanup_json_ json_t *sections = json_array();
		_cleanup_(messages_clear) struct messages messages = { json_array(), 0 };
		for (size_t k = 0; k < p->n_sections; k++) {
			if ((r = section_evaluate(&p->sections[k], &root, facts, &messages, err)) < 0)
				return r;
			if (r)
				json_array_append_new(sections, json_string(p->sections[k].name));
		}
		if (json_array_size(sections))
			json_array_append_new(out, violation(p, root.stage, sections, &messages));
	}
	*ret_violations = CC_TAKE_PTR(out);
	return 0;
}

static bool blocking(const json_t *v, enum scan_policy_stage stage)
{
	const char *want =
	    scan_policy_enforcement_name(stage == SCAN_POLICY_STAGE_BUILD ? SCAN_POLICY_FAIL : SCAN_POLICY_DENY);
	const char *at = json_string_value(json_object_get(v, "stage"));
	const char *e = json_string_value(json_object_get(v, "enforcement"));
	return at && e && strcmp(at, scan_policy_stage_name(stage)) == 0 && strcmp(e, want) == 0;
}

bool scan_policy_blocks(const json_t *violations, enum scan_policy_stage stage)
{
	size_t i;
	json_t *v;
	json_array_foreach ((json_t *)violations, i, v)
		if (blocking(v, stage))
			return true;
	return false;
}

#define REFUSAL_MAX 4096

char *scan_policy_refusal(const json_t *violations, enum scan_policy_stage stage)
{
	_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
	size_t i, k;
	json_t *v, *m;
	json_array_foreach ((json_t *)violations, i, v) {
		if (!blocking(v, stage))
			continue;
		cc_buf_appendf(&out, "%spolicy \"%s\": ", out.len ? "; " : "",
			       json_string_value(json_object_get(v, "policy")));
		json_array_foreach (json_object_get(v, "messages"), k, m)
			cc_buf_appendf(&out, "%s%s", k ? ", " : "", json_string_value(m));
		if (out.len > REFUSAL_MAX) {
			out.len = REFUSAL_MAX;
			while (out.len && ((unsigned char)out.data[out.len] & 0xc0) == 0x80)
				out.len--; /* not inside a UTF-8 sequence */
			out.data[out.len] = '\0';
			cc_buf_append_str(&out, " ...");
			break;
		}
	}
	return out.len ? cc_buf_steal(&out, NULL) : NULL;
}

json_t *scan_policy_facts(enum scan_policy_stage stage, json_t *image, json_t *images, json_t *workload)
{
	json_t *facts = json_pack("{s:s, s:O?, s:O?}", "stage", scan_policy_stage_name(stage), "image", image,
				  "workload", workload);
	if (images)
		json_object_set(facts, "images", images);
	return facts;
}
