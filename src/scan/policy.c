/* Policy sets (docs/scan.md, "Policies"): loading YAML or JSON files, directories and the embedded
 * default set, all or nothing per call; linting; listing. Documents are read by policy_parse.c.
 *
 * A document:
 *   apiVersion: cocoon.dev/v1
 *   kind: SecurityPolicy
 *   metadata: {name: NAME}
 *   spec: {description, rationale, remediation, categories, severity, lifecycleStages, enforcement,
 *          disabled, sections: [{name, criteria: [{field, values, operator, match, negate}]}]}
 * Evaluation is in policy_eval.c, the fields in policy_fields.c. */
#include "scan/policy.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/str.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "scan/policy_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* src/scan/policies/default.yaml, embedded at build time (scripts/embed-file.py). */
extern const char scan_policy_default_yaml[];
extern const size_t scan_policy_default_yaml_size;

#define DEFAULT_SOURCE "default policies"

static const char *const stage_names[SCAN_POLICY_STAGE_MAX] = { "build", "deploy", "runtime" };
static const char *const enforcement_names[SCAN_POLICY_ENFORCEMENT_MAX] = { "inform", "warn", "fail", "deny" };

const char *scan_policy_stage_name(enum scan_policy_stage stage)
{
	return stage < SCAN_POLICY_STAGE_MAX ? stage_names[stage] : "?";
}

int scan_policy_stage_parse(const char *name, enum scan_policy_stage *ret)
{
	for (int i = 0; name && i < SCAN_POLICY_STAGE_MAX; i++)
		if (strcmp(name, stage_names[i]) == 0) {
			*ret = (enum scan_policy_stage)i;
			return 0;
		}
	return -EINVAL;
}

const char *scan_policy_enforcement_name(enum scan_policy_enforcement enforcement)
{
	return enforcement < SCAN_POLICY_ENFORCEMENT_MAX ? enforcement_names[enforcement] : "?";
}

/* ---- the set ---- */

struct scan_policy_set *scan_policy_set_new(void)
{
	return cc_xcalloc(1, sizeof(struct scan_policy_set));
}

static void set_clear(struct scan_policy_set *set)
{
	for (size_t i = 0; i < set->n_policies; i++)
		policy_free(set->policies[i]);
	free(set->policies);
	*set = (struct scan_policy_set){ 0 };
}

void scan_policy_set_free(struct scan_policy_set *set)
{
	if (!set)
		return;
	set_clear(set);
	free(set);
}

size_t scan_policy_set_size(const struct scan_policy_set *set)
{
	return set->n_policies;
}

static void set_append(struct scan_policy_set *set, struct policy *p)
{
	if (set->n_policies == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 16;
		set->policies = cc_xrealloc(set->policies, set->cap * sizeof(set->policies[0]));
	}
	set->policies[set->n_policies++] = p;
}

static struct policy *set_find(const struct scan_policy_set *set, const char *name, size_t *ret_index)
{
	for (size_t i = 0; i < set->n_policies; i++)
		if (strcmp(set->policies[i]->name, name) == 0) {
			if (ret_index)
				*ret_index = i;
			return set->policies[i];
		}
	return NULL;
}

/* ---- loading into a set ---- */

/* Parses every document of data into pending (nothing else is touched). */
static int parse_data(const char *data, size_t len, const char *what, struct scan_policy_set *pending,
		      struct cc_error *err)
{
	_cleanup_json_ json_t *stream = NULL;
	int r = cc_yaml_parse_stream(data, len, what, &stream, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *docs = policy_documents(stream);
	size_t i;
	json_t *doc;
	json_array_foreach (docs, i, doc) {
		if (pending->n_policies >= POLICY_MAX_POLICIES)
			return cc_error_set(err, E2BIG, "%s: more than %d policies", what, POLICY_MAX_POLICIES);
		struct policy *p = NULL;
		if ((r = policy_parse(doc, what, i, &p, err)) < 0)
			return r;
		set_append(pending, p);
	}
	return 0;
}

/* Adds pending to set, or nothing when a name clashes. A policy from a file replaces a default one
 * of its name (the way to change a default's enforcement, or turn it off with `disabled: true`). */
static int commit(struct scan_policy_set *set, struct scan_policy_set *pending, struct cc_error *err)
{
	if (set->n_policies + pending->n_policies > POLICY_MAX_POLICIES)
		return cc_error_set(err, E2BIG, "more than %d policies", POLICY_MAX_POLICIES);
	for (size_t i = 0; i < pending->n_policies; i++) {
		struct policy *p = pending->policies[i], *other;
		for (size_t k = 0; k < i; k++)
			if (strcmp(pending->policies[k]->name, p->name) == 0)
				return cc_error_set(err, EEXIST, "policy `%s` is defined twice: in %s and in %s",
						    p->name, pending->policies[k]->source, p->source);
		if ((other = set_find(set, p->name, NULL)) && !(other->from_default && !p->from_default))
			return cc_error_set(err, EEXIST, "policy `%s` is defined twice: in %s and in %s", p->name,
					    other->source, p->source);
	}
	for (size_t i = 0; i < pending->n_policies; i++) {
		struct policy *p = pending->policies[i];
		size_t at;
		if (set_find(set, p->name, &at)) {
			policy_free(set->policies[at]);
			set->policies[at] = p;
		} else {
			set_append(set, p);
		}
	}
	pending->n_policies = 0;
	return 0;
}

int scan_policy_load_data(struct scan_policy_set *set, const char *data, size_t len, const char *what,
			  struct cc_error *err)
{
	struct scan_policy_set pending = { 0 };
	int r = parse_data(data, len, what, &pending, err);
	if (r >= 0)
		r = commit(set, &pending, err);
	set_clear(&pending);
	return r;
}

int scan_policy_load_default(struct scan_policy_set *set, struct cc_error *err)
{
	struct scan_policy_set pending = { 0 };
	int r = parse_data(scan_policy_default_yaml, scan_policy_default_yaml_size, DEFAULT_SOURCE, &pending, err);
	for (size_t i = 0; r >= 0 && i < pending.n_policies; i++)
		pending.policies[i]->from_default = true;
	if (r >= 0)
		r = commit(set, &pending, err);
	set_clear(&pending);
	return r;
}

static bool policy_file_name(const char *name)
{
	if (name[0] == '.')
		return false;
	/* not hidden, so there is a name before the suffix */
	return cc_str_has_suffix(name, ".yaml") || cc_str_has_suffix(name, ".yml") || cc_str_has_suffix(name, ".json");
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The policy files of path: itself, or a directory's *.yaml, *.yml, *.json in name order. */
static int policy_files(const char *path, char ***ret, size_t *ret_n, struct cc_error *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return cc_error_set_errno(err, errno, "policy path `%s`", path);
	char **files = NULL;
	size_t n = 0;
	if (!S_ISDIR(st.st_mode)) {
		files = cc_xcalloc(1, sizeof(files[0]));
		files[n++] = cc_xstrdup(path);
	} else {
		DIR *d = opendir(path);
		if (!d)
			return cc_error_set_errno(err, errno, "policy directory `%s`", path);
		struct dirent *de;
		while ((de = readdir(d)))
			if (policy_file_name(de->d_name)) {
				files = cc_xrealloc(files, (n + 1) * sizeof(files[0]));
				files[n++] = cc_xasprintf("%s/%s", path, de->d_name);
			}
		closedir(d);
		if (n)
			qsort(files, n, sizeof(files[0]), compare_names);
	}
	*ret = files;
	*ret_n = n;
	return 0;
}

static void free_files(char **files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

static int read_policy_file(const char *file, char **ret_data, size_t *ret_len, struct cc_error *err)
{
	int r = cc_read_file(file, CC_YAML_MAX_SIZE, ret_data, ret_len, err);
	if (r < 0)
		cc_error_prefix(err, "policy file `%s`", file);
	return r;
}

int scan_policy_load_path(struct scan_policy_set *set, const char *path, struct cc_error *err)
{
	char **files;
	size_t n;
	int r = policy_files(path, &files, &n, err);
	if (r < 0)
		return r;
	struct scan_policy_set pending = { 0 };
	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ char *data = NULL;
		size_t len;
		if ((r = read_policy_file(files[i], &data, &len, err)) >= 0)
			r = parse_data(data, len, files[i], &pending, err);
	}
	if (r >= 0)
		r = commit(set, &pending, err);
	set_clear(&pending);
	free_files(files, n);
	return r;
}

/* ---- lint ---- */

static int lint_file(const char *file, struct scan_policy_set *seen, void (*report)(void *, const char *), void *ctx)
{
	struct cc_error err = { 0 };
	_cleanup_free_ char *data = NULL;
	size_t len;
	_cleanup_json_ json_t *stream = NULL;
	if (read_policy_file(file, &data, &len, &err) < 0 || cc_yaml_parse_stream(data, len, file, &stream, &err) < 0) {
		report(ctx, cc_error_message(&err));
		return 1;
	}
	_cleanup_json_ json_t *docs = policy_documents(stream);
	int problems = 0;
	size_t i;
	json_t *doc;
	json_array_foreach (docs, i, doc) {
		struct policy *p = NULL;
		cc_error_clear(&err);
		if (policy_parse(doc, file, i, &p, &err) < 0) {
			report(ctx, cc_error_message(&err));
			problems++;
			continue;
		}
		struct policy *other = set_find(seen, p->name, NULL);
		if (other) {
			cc_error_set(&err, EEXIST, "policy `%s` is defined twice: in %s and in %s", p->name,
				     other->source, p->source);
			report(ctx, cc_error_message(&err));
			problems++;
			policy_free(p);
			continue;
		}
		set_append(seen, p);
	}
	return problems;
}

int scan_policy_lint_path(const char *path, void (*report)(void *ctx, const char *problem), void *ctx)
{
	struct cc_error err = { 0 };
	char **files;
	size_t n;
	int r = policy_files(path, &files, &n, &err);
	if (r < 0) {
		report(ctx, cc_error_message(&err));
		return r;
	}
	struct scan_policy_set seen = { 0 };
	int problems = 0;
	for (size_t i = 0; i < n; i++)
		problems += lint_file(files[i], &seen, report, ctx);
	set_clear(&seen);
	free_files(files, n);
	return problems;
}

/* ---- describing ---- */

static json_t *stages_json(unsigned stages)
{
	json_t *out = json_array();
	for (int st = 0; st < SCAN_POLICY_STAGE_MAX; st++)
		if (stages & POLICY_STAGE_BIT(st))
			json_array_append_new(out, json_string(stage_names[st]));
	return out;
}

json_t *scan_policy_set_json(const struct scan_policy_set *set)
{
	json_t *out = json_array();
	for (size_t i = 0; i < set->n_policies; i++) {
		const struct policy *p = set->policies[i];
		json_t *enforcement = json_object(), *sections = json_array();
		for (int st = 0; st < SCAN_POLICY_STAGE_MAX; st++)
			if (p->stages & POLICY_STAGE_BIT(st))
				json_object_set_new(enforcement, stage_names[st],
						    json_string(enforcement_names[p->enforcement[st]]));
		for (size_t k = 0; k < p->n_sections; k++)
			json_array_append_new(sections, json_string(p->sections[k].name));
		json_array_append_new(
		    out, json_pack("{s:s, s:s, s:o, s:o, s:b, s:s?, s:s?, s:s?, s:O?, s:s, s:o}", "name", p->name,
				   "severity", policy_severity_name(p->severity), "stages", stages_json(p->stages),
				   "enforcement", enforcement, "disabled", p->disabled, "description", p->description,
				   "rationale", p->rationale, "remediation", p->remediation, "categories",
				   p->categories, "source", p->source, "sections", sections));
	}
	return out;
}

json_t *scan_policy_fields_json(void)
{
	json_t *out = json_array();
	for (size_t i = 0; i < policy_fields_count; i++) {
		const struct policy_field *f = &policy_fields[i];
		json_t *ops = policy_operators_json(f->type);
		json_array_append_new(out, json_pack("{s:s, s:s, s:o, s:o, s:s}", "name", f->name, "type",
						     policy_type_name(f->type), "stages", stages_json(f->stages),
						     "operators", ops, "description", f->description));
	}
	return out;
}
