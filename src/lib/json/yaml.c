/* libfyaml -> jansson conversion. libfyaml builds the document tree (and reports syntax errors with
 * line and column); we walk it once, typing plain scalars, expanding aliases under a node budget,
 * and applying merge keys. */
#include "json/yaml.h"

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "base/utf8.h"
#include "json/json.h"

#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct convert {
	const char *what;
	size_t nodes;
	struct cc_error *err;
};

static bool scalar_in(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == len && memcmp(s, *words, len) == 0)
			return true;
	return false;
}

static const char *const null_words[] = { "~", "null", "Null", "NULL", NULL };
static const char *const true_words[] = {
	"true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", NULL
};
static const char *const false_words[] = { "false", "False", "FALSE", "n",   "N",   "no",
					   "No",    "NO",    "off",   "Off", "OFF", NULL };

/* Integers as YAML 1.1 / Go's strconv.ParseInt(s, 0, 64): optional sign, 0x / 0o / 0b / leading-0
 * octal, underscores between digits. */
static bool parse_plain_int(const char *s, size_t len, json_int_t *ret)
{
	char digits[72];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_')
			continue;
		if (n + 1 >= sizeof(digits))
			return false;
		digits[n++] = s[i];
	}
	digits[n] = '\0';
	const char *p = digits;
	bool negative = false;
	if (*p == '+' || *p == '-')
		negative = *p++ == '-';
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1] != '\0')
		base = 8, p += 1;
	if (*p == '\0' || *p == '+' || *p == '-')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, base);
	if (*end != '\0' || errno == ERANGE)
		return false;
	if (negative) {
		if (v > (unsigned long long)INT64_MAX + 1)
			return false;
		*ret = (json_int_t)(0 - v);
	} else {
		if (v > INT64_MAX)
			return false;
		*ret = (json_int_t)v;
	}
	return true;
}

static bool parse_plain_float(const char *s, size_t len, double *ret)
{
	char text[128];
	if (len == 0 || len >= sizeof(text))
		return false;
	/* Only decimal notation: strtod would also accept hex floats, "inf" and "nan". */
	bool digit = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			digit = true;
		else if (!strchr("+-.eE_", c))
			return false;
	}
	if (!digit)
		return false;
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '_')
			text[n++] = s[i];
	text[n] = '\0';
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(v))
		return false;
	*ret = v;
	return true;
}

static bool tag_is(struct fy_node *node, const char *full)
{
	size_t len;
	const char *tag = fy_node_get_tag(node, &len);
	return tag && strlen(full) == len && memcmp(tag, full, len) == 0;
}

static json_t *convert_scalar(struct fy_node *node, struct convert *cv)
{
	size_t len;
	const char *s = fy_node_get_scalar(node, &len);
	if (!s)
		s = "", len = 0;
	if (tag_is(node, "tag:yaml.org,2002:str") || fy_node_get_style(node) != FYNS_PLAIN)
		return json_stringn(s, len);
	if (len == 0 || scalar_in(s, len, null_words))
		return json_null();
	if (scalar_in(s, len, true_words))
		return json_true();
	if (scalar_in(s, len, false_words))
		return json_false();
	json_int_t i;
	if (parse_plain_int(s, len, &i))
		return json_integer(i);
	double d;
	if (parse_plain_float(s, len, &d))
		return json_real(d);
	json_t *str = json_stringn(s, len);
	if (!str)
		cc_error_set(cv->err, EINVAL, "%s: scalar is not valid UTF-8", cv->what);
	return str;
}

static json_t *convert_node(struct fy_node *node, struct convert *cv, int depth);

static int merge_into(json_t *target, json_t *source, struct convert *cv)
{
	if (json_is_object(source)) {
		const char *key;
		json_t *value;
		json_object_foreach (source, key, value) {
			if (!json_object_get(target, key))
				json_object_set(target, key, value);
		}
		return 0;
	}
	if (json_is_array(source)) {
		size_t i;
		json_t *item;
		json_array_foreach (source, i, item) {
			if (!json_is_object(item) || merge_into(target, item, cv) < 0)
				return cc_error_set(cv->err, EINVAL,
						    "%s: merge key `<<` needs a mapping or a list of mappings",
						    cv->what);
		}
		return 0;
	}
	return cc_error_set(cv->err, EINVAL, "%s: merge key `<<` needs a mapping or a list of mappings", cv->what);
}

static json_t *convert_mapping(struct fy_node *node, struct convert *cv, int depth)
{
	json_t *obj = json_object();
	json_t *merges = json_array();
	void *iter = NULL;
	struct fy_node_pair *pair;
	while ((pair = fy_node_mapping_iterate(node, &iter))) {
		struct fy_node *key_node = fy_node_pair_key(pair);
		struct fy_node *value_node = fy_node_pair_value(pair);
		if (key_node && fy_node_is_alias(key_node))
			key_node = fy_node_resolve_alias(key_node);
		if (!key_node || !fy_node_is_scalar(key_node)) {
			cc_error_set(cv->err, EINVAL, "%s: mapping keys must be scalars", cv->what);
			goto fail;
		}
		size_t klen;
		const char *key = fy_node_get_scalar(key_node, &klen);
		if (!key)
			key = "", klen = 0;
		json_t *value = convert_node(value_node, cv, depth + 1);
		if (!value)
			goto fail;
		if (klen == 2 && memcmp(key, "<<", 2) == 0 && fy_node_get_style(key_node) == FYNS_PLAIN) {
			json_array_append_new(merges, value);
			continue;
		}
		if (memchr(key, '\0', klen)) {
			json_decref(value);
			cc_error_set(cv->err, EINVAL, "%s: mapping key contains a NUL byte", cv->what);
			goto fail;
		}
		_cleanup_free_ char *k = cc_xstrndup(key, klen);
		if (json_object_get(obj, k)) {
			json_decref(value);
			cc_error_set(cv->err, EINVAL, "%s: duplicate mapping key `%s`", cv->what, k);
			goto fail;
		}
		if (json_object_set_new(obj, k, value) < 0) {
			cc_error_set(cv->err, EINVAL, "%s: mapping key `%s` is not valid UTF-8", cv->what, k);
			goto fail;
		}
	}
	/* Merge keys (YAML 1.1 merge type): explicit keys win, earlier merges win over later ones. */
	size_t i;
	json_t *source;
	json_array_foreach (merges, i, source) {
		if (merge_into(obj, source, cv) < 0)
			goto fail;
	}
	json_decref(merges);
	return obj;
fail:
	json_decref(merges);
	json_decref(obj);
	return NULL;
}

static json_t *convert_node(struct fy_node *node, struct convert *cv, int depth)
{
	if (!node)
		return json_null();
	if (depth > CC_JSON_MAX_DEPTH) {
		cc_error_set(cv->err, EINVAL, "%s: nesting deeper than %d levels", cv->what, CC_JSON_MAX_DEPTH);
		return NULL;
	}
	if (++cv->nodes > CC_YAML_MAX_NODES) {
		cc_error_set(cv->err, E2BIG, "%s: more than %d values after alias expansion", cv->what,
			     CC_YAML_MAX_NODES);
		return NULL;
	}
	if (fy_node_is_alias(node)) {
		struct fy_node *target = fy_node_resolve_alias(node);
		if (!target) {
			cc_error_set(cv->err, EINVAL, "%s: alias to an undefined anchor", cv->what);
			return NULL;
		}
		return convert_node(target, cv, depth + 1);
	}
	switch (fy_node_get_type(node)) {
	case FYNT_SCALAR: return convert_scalar(node, cv);
	case FYNT_SEQUENCE: {
		json_t *arr = json_array();
		void *iter = NULL;
		struct fy_node *item;
		while ((item = fy_node_sequence_iterate(node, &iter))) {
			json_t *value = convert_node(item, cv, depth + 1);
			if (!value) {
				json_decref(arr);
				return NULL;
			}
			json_array_append_new(arr, value);
		}
		return arr;
	}
	case FYNT_MAPPING: return convert_mapping(node, cv, depth);
	}
	cc_error_set(cv->err, EINVAL, "%s: unknown YAML node type", cv->what);
	return NULL;
}

static int syntax_error(struct fy_diag *diag, const char *what, struct cc_error *err)
{
	void *iter = NULL;
	struct fy_diag_error *e = diag ? fy_diag_errors_iterate(diag, &iter) : NULL;
	if (e)
		return cc_error_set(err, EINVAL, "%s: invalid YAML at line %d, column %d: %s", what, e->line + 1,
				    e->column + 1, e->msg);
	return cc_error_set(err, EINVAL, "%s: invalid YAML", what);
}

int cc_yaml_parse_stream(const char *data, size_t len, const char *what, json_t **ret_docs, struct cc_error *err)
{
	if (len > CC_YAML_MAX_SIZE)
		return cc_error_set(err, EMSGSIZE, "%s: YAML input of %zu bytes exceeds the limit of %u bytes", what,
				    len, CC_YAML_MAX_SIZE);
	/* YAML streams here are UTF-8 (Kubernetes manifests always are). Checking first gives a
	 * precise error and keeps invalid bytes away from libfyaml, which 0.7.12 can loop on
	 * (found by tests/fuzz/fuzz_yaml: "%" followed by invalid UTF-8 in a directive). */
	size_t bad;
	if (!cc_utf8_valid(data, len, &bad)) {
		size_t line = 1;
		for (size_t i = 0; i < bad; i++)
			line += data[i] == '\n';
		return cc_error_set(err, EILSEQ, "%s: invalid UTF-8 at byte %zu (line %zu)", what, bad, line);
	}
	struct fy_diag_cfg dcfg;
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.level = FYET_ERROR;
	struct fy_diag *diag = fy_diag_create(&dcfg);
	if (!diag)
		return cc_error_set(err, ENOMEM, "%s: cannot create YAML diagnostics", what);
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg cfg = {
		.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DEFAULT_VERSION_AUTO,
		.diag = diag,
	};
	struct fy_parser *parser = fy_parser_create(&cfg);
	int r = 0;
	json_t *docs = json_array();
	if (!parser) {
		r = cc_error_set(err, ENOMEM, "%s: cannot create YAML parser", what);
		goto out;
	}
	if (fy_parser_set_string(parser, data, len) != 0) {
		r = cc_error_set(err, EINVAL, "%s: cannot read YAML input", what);
		goto out;
	}
	struct convert cv = { .what = what, .err = err };
	struct fy_document *doc;
	int index = 0;
	while ((doc = fy_parse_load_document(parser))) {
		index++;
		struct fy_node *root = fy_document_root(doc);
		if (root) {
			json_t *value = convert_node(root, &cv, 0);
			if (!value) {
				fy_parse_document_destroy(parser, doc);
				r = cc_error_prefix(err, "document %d", index);
				goto out;
			}
			if (!json_is_null(value))
				json_array_append_new(docs, value);
			else
				json_decref(value);
		}
		fy_parse_document_destroy(parser, doc);
	}
	if (fy_parser_get_stream_error(parser)) {
		r = syntax_error(diag, what, err);
		goto out;
	}
out:
	if (parser)
		fy_parser_destroy(parser);
	fy_diag_destroy(diag);
	if (r < 0) {
		json_decref(docs);
		return r;
	}
	*ret_docs = docs;
	return 0;
}

int cc_yaml_parse_one(const char *data, size_t len, const char *what, json_t **ret, struct cc_error *err)
{
	json_t *docs;
	int r = cc_yaml_parse_stream(data, len, what, &docs, err);
	if (r < 0)
		return r;
	if (json_array_size(docs) != 1) {
		size_t n = json_array_size(docs);
		json_decref(docs);
		return cc_error_set(err, EINVAL, "%s: expected exactly one YAML document, found %zu", what, n);
	}
	*ret = json_incref(json_array_get(docs, 0));
	json_decref(docs);
	return 0;
}

int cc_yaml_load_file(const char *path, json_t **ret_docs, struct cc_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = cc_read_file(path, CC_YAML_MAX_SIZE, &data, &len, err);
	if (r < 0)
		return r;
	return cc_yaml_parse_stream(data, len, path, ret_docs, err);
}
