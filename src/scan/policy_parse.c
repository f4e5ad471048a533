/* Reading one policy document (docs/scan.md, "Policies"): every member checked, every value of the
 * type its field takes, every regular expression compiled, every criterion judgeable at every stage
 * of its policy. A problem is refused with a sentence that names the file, the policy, the section
 * and the criterion, because a policy that loads with a typo in it (a field misspelt, a value of the
 * wrong type) would silently never match: the one failure of a security policy nobody notices. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/policy_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What each stage can do about a violation: build fails the CI step, deploy refuses admission,
 * runtime stops the workload. */
static const unsigned stage_enforcements[SCAN_POLICY_STAGE_MAX] = {
	[SCAN_POLICY_STAGE_BUILD] = 1u << SCAN_POLICY_INFORM | 1u << SCAN_POLICY_WARN | 1u << SCAN_POLICY_FAIL,
	[SCAN_POLICY_STAGE_DEPLOY] = 1u << SCAN_POLICY_INFORM | 1u << SCAN_POLICY_WARN | 1u << SCAN_POLICY_DENY,
	[SCAN_POLICY_STAGE_RUNTIME] = 1u << SCAN_POLICY_INFORM | 1u << SCAN_POLICY_WARN | 1u << SCAN_POLICY_DENY,
};

static void section_clear(struct policy_section *sec)
{
	for (size_t i = 0; i < sec->n_criteria; i++) {
		struct policy_criterion *c = &sec->criteria[i];
		for (size_t k = 0; k < c->n_values; k++) {
			free(c->values[k].text);
			if (c->values[k].has_re)
				regfree(&c->values[k].re);
		}
		free(c->values);
	}
	free(sec->criteria);
	free(sec->name);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_sections; i++)
		section_clear(&p->sections[i]);
	free(p->sections);
	free(p->name);
	free(p->description);
	free(p->rationale);
	free(p->remediation);
	free(p->source);
	json_decref(p->categories);
	free(p);
}
CC_DEFINE_CLEANUP_FUNC(struct policy *, policy_free)

/* ---- reading one document ---- */

/* Refuses a member of obj not in allowed (a misspelt key would otherwise be ignored). */
static int check_keys(const json_t *obj, const char *const *allowed, const char *where, struct cc_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)obj, key, v) {
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known) {
			char list[256] = "";
			for (const char *const *a = allowed; *a; a++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 a == allowed ? "" : ", ", *a);
			return cc_error_set(err, EINVAL, "%s: unknown key `%.64s` (known: %s)", where, key, list);
		}
	}
	return 0;
}

/* An optional string member of at most max bytes, copied. */
static int get_text(const json_t *obj, const char *key, size_t max, const char *where, char **ret, struct cc_error *err)
{
	json_t *v = json_object_get(obj, key);
	*ret = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cc_error_set(err, EINVAL, "%s: `%s` is not a string", where, key);
	if (json_string_length(v) > max)
		return cc_error_set(err, EINVAL, "%s: `%s` is longer than %zu bytes", where, key, max);
	*ret = cc_xstrdup(json_string_value(v));
	return 0;
}

/* A scalar as the text it was written as: YAML reads `values: [true, 7]` as a bool and a number. */
static char *scalar_text(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return cc_xstrdup(json_string_value(v));
	case JSON_TRUE: return cc_xstrdup("true");
	case JSON_FALSE: return cc_xstrdup("false");
	case JSON_INTEGER: return cc_xasprintf("%lld", (long long)json_integer_value(v));
	case JSON_REAL: return cc_xasprintf("%.17g", json_real_value(v));
	default: return NULL;
	}
}

static bool valid_name(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > POLICY_MAX_NAME || !isalnum((unsigned char)name[0]) ||
	    !isalnum((unsigned char)name[len - 1]))
		return false;
	for (const char *p = name; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '.'))
			return false;
	return true;
}

static const struct {
	const char *name;
	enum policy_op op;
} op_names[] = {
	{ "equals", POLICY_OP_EQ },     { "=", POLICY_OP_EQ },  { "regex", POLICY_OP_REGEX },
	{ "exists", POLICY_OP_EXISTS }, { "<", POLICY_OP_LT },  { "<=", POLICY_OP_LE },
	{ ">", POLICY_OP_GT },          { ">=", POLICY_OP_GE },
};

static bool op_allowed(enum policy_type type, enum policy_op op)
{
	switch (type) {
	case POLICY_TYPE_STRING: return op == POLICY_OP_EQ || op == POLICY_OP_REGEX || op == POLICY_OP_EXISTS;
	case POLICY_TYPE_BOOL: return op == POLICY_OP_EQ;
	default: return op != POLICY_OP_REGEX;
	}
}

json_t *policy_operators_json(enum policy_type type)
{
	json_t *ops = json_array();
	for (size_t k = 0; k < CC_ARRAY_SIZE(op_names); k++)
		if (op_allowed(type, op_names[k].op) && strcmp(op_names[k].name, "=") != 0)
			json_array_append_new(ops, json_string(op_names[k].name));
	return ops;
}

/* A comparison written in front of a number or severity: ">= 7.0", "<low". */
static enum policy_op leading_comparison(const char **text)
{
	static const struct {
		const char *sym;
		enum policy_op op;
	} syms[] = { { "<=", POLICY_OP_LE },
		     { ">=", POLICY_OP_GE },
		     { "<", POLICY_OP_LT },
		     { ">", POLICY_OP_GT },
		     { "=", POLICY_OP_EQ } };
	while (isspace((unsigned char)**text))
		(*text)++;
	for (size_t i = 0; i < CC_ARRAY_SIZE(syms); i++)
		if (strncmp(*text, syms[i].sym, strlen(syms[i].sym)) == 0) {
			*text += strlen(syms[i].sym);
			while (isspace((unsigned char)**text))
				(*text)++;
			return syms[i].op;
		}
	return POLICY_OP_MAX;
}

/* POSIX ERE, anchored to the whole value. Back-references are refused: they are not ERE, and glibc's
 * matcher takes exponential time on them. */
static int compile_regex(const struct policy_field *f, struct policy_value *v, const char *where, struct cc_error *err)
{
	for (const char *p = v->text; *p; p++)
		if (*p == '\\' && p[1]) {
			if (isdigit((unsigned char)p[1]))
				return cc_error_set(err, EINVAL,
						    "%s: regular expression `%s`: back-references are not POSIX ERE",
						    where, v->text);
			p++;
		}
	_cleanup_free_ char *anchored = cc_xasprintf("^(%s)$", v->text);
	int flags = REG_EXTENDED | REG_NOSUB;
	if (f->flags & (POLICY_FIELD_FOLD_CASE | POLICY_FIELD_CAPABILITY))
		flags |= REG_ICASE;
	int r = regcomp(&v->re, anchored, flags);
	if (r != 0) {
		char why[128];
		regerror(r, &v->re, why, sizeof(why));
		return cc_error_set(err, EINVAL, "%s: regular expression `%s`: %s", where, v->text, why);
	}
	v->has_re = true;
	return 0;
}

static int parse_number(const char *text, double *ret)
{
	char *end;
	errno = 0;
	double d = strtod(text, &end);
	while (isspace((unsigned char)*end))
		end++;
	if (end == text || *end || errno || !isfinite(d))
		return -EINVAL;
	*ret = d;
	return 0;
}

static int parse_value(const struct policy_criterion *c, const json_t *raw, struct policy_value *v, const char *where,
		       struct cc_error *err)
{
	const struct policy_field *f = c->field;
	v->op = c->op;
	v->text = scalar_text(raw);
	if (!v->text)
		return cc_error_set(err, EINVAL, "%s: a value is not a string, number or boolean", where);
	if (strlen(v->text) > POLICY_MAX_VALUE)
		return cc_error_set(err, EINVAL, "%s: a value is longer than %d bytes", where, POLICY_MAX_VALUE);
	switch (f->type) {
	case POLICY_TYPE_STRING:
		if (c->op == POLICY_OP_REGEX)
			return compile_regex(f, v, where, err);
		if (f->flags & POLICY_FIELD_CAPABILITY)
			policy_capability_normalize(v->text);
		return 0;
	case POLICY_TYPE_BOOL:
		if (strcasecmp(v->text, "true") != 0 && strcasecmp(v->text, "false") != 0)
			return cc_error_set(err, EINVAL, "%s: `%s` is not true or false", where, v->text);
		v->number = strcasecmp(v->text, "true") == 0;
		return 0;
	default: break;
	}
	const char *rest = v->text;
	enum policy_op written = leading_comparison(&rest);
	if (written != POLICY_OP_MAX) {
		if (c->op != POLICY_OP_EQ)
			return cc_error_set(err, EINVAL,
					    "%s: `%s` has a comparison and so has `operator`: give it once", where,
					    v->text);
		v->op = written;
	}
	if (f->type == POLICY_TYPE_NUMBER) {
		if (parse_number(rest, &v->number) < 0)
			return cc_error_set(err, EINVAL, "%s: `%s` is not a number (or a comparison such as `>= 7.0`)",
					    where, v->text);
		return 0;
	}
	int rank = policy_severity_rank(rest);
	if (rank < 0)
		return cc_error_set(err, EINVAL,
				    "%s: `%s` is not a severity (critical, high, medium, low, negligible, unknown), "
				    "with or without a comparison such as `>= high`",
				    where, v->text);
	v->number = rank;
	return 0;
}

static const char *const criterion_keys[] = { "field", "values", "operator", "match", "negate", NULL };

static int parse_criterion(const json_t *raw, struct policy_criterion *c, const char *section_where, size_t index,
			   struct cc_error *err)
{
	_cleanup_free_ char *where = cc_xasprintf("%s: criterion %zu", section_where, index + 1);
	if (!json_is_object(raw))
		return cc_error_set(err, EINVAL, "%s: is not a mapping of field, values, operator, match, negate",
				    where);
	json_t *field = json_object_get(raw, "field");
	if (!json_is_string(field))
		return cc_error_set(err, EINVAL, "%s: no `field` (a name such as `Privileged Container`)", where);
	free(where);
	where = cc_xasprintf("%s: criterion %zu (`%.64s`)", section_where, index + 1, json_string_value(field));
	int r = check_keys(raw, criterion_keys, where, err);
	if (r < 0)
		return r;
	if (!(c->field = policy_field_find(json_string_value(field))))
		return cc_error_set(err, EINVAL, "%s: unknown field; `cocoon scan policy fields` lists them", where);
	c->entity = c->field->entity;

	json_t *op = json_object_get(raw, "operator");
	c->op = POLICY_OP_EQ;
	if (op) {
		bool found = false;
		for (size_t i = 0; json_is_string(op) && i < CC_ARRAY_SIZE(op_names) && !found; i++)
			if (strcmp(json_string_value(op), op_names[i].name) == 0) {
				c->op = op_names[i].op;
				found = true;
			}
		if (!found)
			return cc_error_set(err, EINVAL,
					    "%s: `operator` is none of equals, regex, exists, <, <=, >, >=", where);
	}
	if (!op_allowed(c->field->type, c->op))
		return cc_error_set(err, EINVAL, "%s: a %s field does not take the operator `%s`", where,
				    policy_type_name(c->field->type), json_string_value(op));

	json_t *match = json_object_get(raw, "match"), *negate = json_object_get(raw, "negate");
	if (match && (!json_is_string(match) ||
		      (strcmp(json_string_value(match), "any") != 0 && strcmp(json_string_value(match), "all") != 0)))
		return cc_error_set(err, EINVAL, "%s: `match` is any (a value matches: the default) or all", where);
	c->match_all = match && strcmp(json_string_value(match), "all") == 0;
	if (negate && !json_is_boolean(negate))
		return cc_error_set(err, EINVAL, "%s: `negate` is not true or false", where);
	c->negate = negate && json_is_true(negate);

	json_t *values = json_object_get(raw, "values");
	if (c->op == POLICY_OP_EXISTS) {
		if (values)
			return cc_error_set(err, EINVAL, "%s: `exists` takes no values", where);
		if (c->match_all)
			return cc_error_set(err, EINVAL, "%s: `exists` takes no `match`", where);
		return 0;
	}
	if (!json_is_array(values) || json_array_size(values) == 0)
		return cc_error_set(err, EINVAL, "%s: `values` is not a non-empty list", where);
	if (json_array_size(values) > POLICY_MAX_VALUES)
		return cc_error_set(err, EINVAL, "%s: more than %d values", where, POLICY_MAX_VALUES);
	c->values = cc_xcalloc(json_array_size(values), sizeof(c->values[0]));
	size_t i;
	json_t *v;
	json_array_foreach (values, i, v) {
		c->n_values = i + 1;
		if ((r = parse_value(c, v, &c->values[i], where, err)) < 0)
			return r;
	}
	return 0;
}

static const char *const section_keys[] = { "name", "criteria", NULL };

static int parse_section(const json_t *raw, struct policy_section *sec, const char *policy_where, size_t index,
			 struct cc_error *err)
{
	_cleanup_free_ char *where = cc_xasprintf("%s: section %zu", policy_where, index + 1);
	if (!json_is_object(raw))
		return cc_error_set(err, EINVAL, "%s: is not a mapping of name and criteria", where);
	int r;
	if ((r = get_text(raw, "name", POLICY_MAX_NAME, where, &sec->name, err)) < 0)
		return r;
	sec->named = sec->name != NULL;
	if (sec->named) {
		free(where);
		where = cc_xasprintf("%s: section `%s`", policy_where, sec->name);
	} else
		sec->name = cc_xasprintf("section %zu", index + 1);
	if ((r = check_keys(raw, section_keys, where, err)) < 0)
		return r;
	json_t *criteria = json_object_get(raw, "criteria");
	if (!json_is_array(criteria) || json_array_size(criteria) == 0)
		return cc_error_set(err, EINVAL, "%s: no criteria (an empty section would match everything)", where);
	if (json_array_size(criteria) > POLICY_MAX_CRITERIA)
		return cc_error_set(err, EINVAL, "%s: more than %d criteria", where, POLICY_MAX_CRITERIA);
	sec->criteria = cc_xcalloc(json_array_size(criteria), sizeof(sec->criteria[0]));
	size_t i;
	json_t *c;
	json_array_foreach (criteria, i, c) {
		sec->n_criteria = i + 1;
		if ((r = parse_criterion(c, &sec->criteria[i], where, i, err)) < 0)
			return r;
		sec->entities |= 1u << sec->criteria[i].entity;
	}
	/* Package fields beside finding fields judge the finding's package ("CVE-... in openssl"). */
	if (sec->entities & (1u << POLICY_ENTITY_FINDING) && sec->entities & (1u << POLICY_ENTITY_PACKAGE)) {
		for (i = 0; i < sec->n_criteria; i++)
			if (sec->criteria[i].entity == POLICY_ENTITY_PACKAGE)
				sec->criteria[i].entity = POLICY_ENTITY_FINDING;
		sec->entities &= ~(1u << POLICY_ENTITY_PACKAGE);
	}
	return 0;
}

static int stage_refused(const struct policy *p, size_t section, size_t criterion, int stage, const char *where,
			 struct cc_error *err)
{
	const struct policy_section *sec = &p->sections[section];
	char label[POLICY_MAX_NAME + 16];
	if (sec->named)
		snprintf(label, sizeof(label), "section `%s`", sec->name);
	else
		snprintf(label, sizeof(label), "section %zu", section + 1);
	const char *name = scan_policy_stage_name((enum scan_policy_stage)stage);
	return cc_error_set(
	    err, EINVAL,
	    "%s: %s: criterion %zu (`%s`): the field cannot be judged at %s (it needs a workload); take "
	    "%s out of lifecycleStages",
	    where, label, criterion + 1, sec->criteria[criterion].field->name, name, name);
}

/* Every criterion can be judged at every stage of the policy. */
static int check_stages(const struct policy *p, const char *where, struct cc_error *err)
{
	for (size_t i = 0; i < p->n_sections; i++)
		for (size_t k = 0; k < p->sections[i].n_criteria; k++) {
			const struct policy_field *f = p->sections[i].criteria[k].field;
			for (int st = 0; st < SCAN_POLICY_STAGE_MAX; st++)
				if (p->stages & POLICY_STAGE_BIT(st) && !(f->stages & POLICY_STAGE_BIT(st)))
					return stage_refused(p, i, k, st, where, err);
		}
	return 0;
}

static int parse_stages(const json_t *spec, struct policy *p, const char *where, struct cc_error *err)
{
	json_t *stages = json_object_get(spec, "lifecycleStages");
	if (!json_is_array(stages) || json_array_size(stages) == 0)
		return cc_error_set(err, EINVAL,
				    "%s: `lifecycleStages` is not a non-empty list of build, deploy, runtime", where);
	size_t i;
	json_t *s;
	json_array_foreach (stages, i, s) {
		enum scan_policy_stage st;
		if (scan_policy_stage_parse(json_string_value(s), &st) < 0)
			return cc_error_set(err, EINVAL, "%s: lifecycleStages[%zu] is not build, deploy or runtime",
					    where, i);
		if (p->stages & POLICY_STAGE_BIT(st))
			return cc_error_set(err, EINVAL, "%s: lifecycleStages names %s twice", where,
					    scan_policy_stage_name(st));
		p->stages |= POLICY_STAGE_BIT(st);
	}
	json_t *enforcement = json_object_get(spec, "enforcement");
	if (!enforcement)
		return 0;
	if (!json_is_object(enforcement))
		return cc_error_set(err, EINVAL,
				    "%s: `enforcement` is not a mapping of stage to inform, warn, fail, deny", where);
	const char *key;
	json_t *v;
	json_object_foreach (enforcement, key, v) {
		enum scan_policy_stage st;
		if (scan_policy_stage_parse(key, &st) < 0)
			return cc_error_set(err, EINVAL, "%s: enforcement: `%.64s` is not build, deploy or runtime",
					    where, key);
		if (!(p->stages & POLICY_STAGE_BIT(st)))
			return cc_error_set(
			    err, EINVAL, "%s: enforcement: %s is not one of the policy's lifecycleStages", where, key);
		int e = -1;
		for (int k = 0; json_is_string(v) && k < SCAN_POLICY_ENFORCEMENT_MAX; k++)
			if (strcmp(json_string_value(v), scan_policy_enforcement_name(k)) == 0)
				e = k;
		if (e < 0 || !(stage_enforcements[st] & (1u << e)))
			return cc_error_set(err, EINVAL, "%s: enforcement: %s takes %s, not `%.32s`", where, key,
					    st == SCAN_POLICY_STAGE_BUILD ? "inform, warn or fail"
									  : "inform, warn or deny",
					    json_is_string(v) ? json_string_value(v) : "(not a string)");
		p->enforcement[st] = (enum scan_policy_enforcement)e;
	}
	return 0;
}

static const char *const document_keys[] = { "apiVersion", "kind", "metadata", "spec", NULL };
static const char *const metadata_keys[] = { "name", "labels", "annotations", NULL };
static const char *const spec_keys[] = { "description",     "rationale",   "remediation", "categories", "severity",
					 "lifecycleStages", "enforcement", "disabled",    "sections",   NULL };

static int parse_spec(const json_t *spec, struct policy *p, const char *where, struct cc_error *err)
{
	int r;
	if ((r = check_keys(spec, spec_keys, where, err)) < 0 ||
	    (r = get_text(spec, "description", POLICY_MAX_TEXT, where, &p->description, err)) < 0 ||
	    (r = get_text(spec, "rationale", POLICY_MAX_TEXT, where, &p->rationale, err)) < 0 ||
	    (r = get_text(spec, "remediation", POLICY_MAX_TEXT, where, &p->remediation, err)) < 0)
		return r;
	json_t *severity = json_object_get(spec, "severity");
	p->severity = policy_severity_rank(json_string_value(severity));
	if (p->severity < policy_severity_rank("low"))
		return cc_error_set(err, EINVAL, "%s: `severity` is not critical, high, medium or low", where);
	json_t *categories = json_object_get(spec, "categories");
	if (categories) {
		size_t i;
		json_t *c;
		if (!json_is_array(categories))
			return cc_error_set(err, EINVAL, "%s: `categories` is not a list of strings", where);
		json_array_foreach (categories, i, c)
			if (!json_is_string(c) || json_string_length(c) > POLICY_MAX_NAME)
				return cc_error_set(err, EINVAL, "%s: categories[%zu] is not a short string", where, i);
		p->categories = json_incref(categories);
	}
	json_t *disabled = json_object_get(spec, "disabled");
	if (disabled && !json_is_boolean(disabled))
		return cc_error_set(err, EINVAL, "%s: `disabled` is not true or false", where);
	p->disabled = disabled && json_is_true(disabled);
	if ((r = parse_stages(spec, p, where, err)) < 0)
		return r;
	json_t *sections = json_object_get(spec, "sections");
	if (!json_is_array(sections) || json_array_size(sections) == 0)
		return cc_error_set(err, EINVAL, "%s: `sections` is not a non-empty list", where);
	if (json_array_size(sections) > POLICY_MAX_SECTIONS)
		return cc_error_set(err, EINVAL, "%s: more than %d sections", where, POLICY_MAX_SECTIONS);
	p->sections = cc_xcalloc(json_array_size(sections), sizeof(p->sections[0]));
	size_t i;
	json_t *s;
	json_array_foreach (sections, i, s) {
		p->n_sections = i + 1;
		if ((r = parse_section(s, &p->sections[i], where, i, err)) < 0)
			return r;
	}
	return check_stages(p, where, err);
}

/* One SecurityPolicy document; what names the file, index the document in it. */
int policy_parse(const json_t *doc, const char *what, size_t index, struct policy **ret, struct cc_error *err)
{
	_cleanup_free_ char *where = cc_xasprintf("%s: document %zu", what, index + 1);
	if (!json_is_object(doc))
		return cc_error_set(err, EINVAL, "%s: is not a mapping (apiVersion, kind, metadata, spec)", where);
	json_t *metadata = json_object_get(doc, "metadata");
	json_t *name = json_object_get(metadata, "name");
	if (json_is_string(name)) {
		free(where);
		where = cc_xasprintf("%s: policy `%.253s`", what, json_string_value(name));
	}
	int r;
	if ((r = check_keys(doc, document_keys, where, err)) < 0)
		return r;
	json_t *api = json_object_get(doc, "apiVersion"), *kind = json_object_get(doc, "kind");
	if (!json_is_string(api) || strcmp(json_string_value(api), "cocoon.dev/v1") != 0)
		return cc_error_set(err, EINVAL, "%s: `apiVersion` is not cocoon.dev/v1", where);
	if (!json_is_string(kind) || strcmp(json_string_value(kind), "SecurityPolicy") != 0)
		return cc_error_set(err, EINVAL, "%s: `kind` is not SecurityPolicy", where);
	if (!json_is_object(metadata) || (r = check_keys(metadata, metadata_keys, where, err)) < 0)
		return json_is_object(metadata) ? r : cc_error_set(err, EINVAL, "%s: no `metadata` mapping", where);
	if (!json_is_string(name) || !valid_name(json_string_value(name)))
		return cc_error_set(err, EINVAL,
				    "%s: metadata.name is not a name of lower-case letters, digits, `-` and `.` (at "
				    "most %d, starting and ending with a letter or digit)",
				    where, POLICY_MAX_NAME);
	json_t *spec = json_object_get(doc, "spec");
	if (!json_is_object(spec))
		return cc_error_set(err, EINVAL, "%s: no `spec` mapping", where);
	_cleanup_(policy_freep) struct policy *p = cc_xcalloc(1, sizeof(*p));
	p->name = cc_xstrdup(json_string_value(name));
	p->source = cc_xstrdup(what);
	if ((r = parse_spec(spec, p, where, err)) < 0)
		return r;
	*ret = CC_TAKE_PTR(p);
	return 0;
}

/* The policy documents of a parsed stream: each document, the elements of a document that is a
 * list, the items of a `kind: List`. */
json_t *policy_documents(json_t *stream)
{
	json_t *out = json_array();
	size_t i;
	json_t *doc;
	json_array_foreach (stream, i, doc) {
		json_t *kind = json_object_get(doc, "kind"), *items = json_object_get(doc, "items");
		bool list = json_is_string(kind) && (strcmp(json_string_value(kind), "List") == 0 ||
						     strcmp(json_string_value(kind), "SecurityPolicyList") == 0);
		if (list && json_is_array(items))
			json_array_extend(out, items);
		else if (json_is_array(doc))
			json_array_extend(out, doc);
		else
			json_array_append(out, doc);
	}
	return out;
}
