/* YAML -> jansson with libyaml's event parser.
 *
 * Why libyaml (docs/design/yaml.md): it is the parser that Go's gopkg.in/yaml (and so Kubernetes'
 * sigs.k8s.io/yaml) was ported from, it is fuzzed continuously by OSS-Fuzz, and its parser keeps
 * explicit stacks instead of recursing. libfyaml 0.7.12, used before, took an alias name followed
 * by a slash as a path expression and read past a buffer resolving it, and looped forever on a `%`
 * directive with invalid UTF-8 (both found by tests/fuzz/fuzz_yaml).
 *
 * The conversion is ours: one pass over the events, scalars typed by YAML 1.1 rules as Kubernetes
 * types them, anchors kept per document and resolved by their exact name (an alias is never a path),
 * alias expansion counted against a node budget, merge keys applied, duplicate keys refused. */
#include "lib/json/yaml.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/utf8.h"
#include "lib/json/json.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* A node that carried an anchor: what an alias to it expands to. */
struct anchor {
	char *name;
	json_t *value;
	size_t nodes; /* values in the subtree, after its own aliases were expanded */
	int height;   /* nesting levels of the subtree */
	char *key;    /* scalars: the text as written, for use as a mapping key */
	size_t key_len;
	bool is_scalar;
};

struct reader {
	yaml_parser_t parser;
	yaml_event_t event; /* the current event, owned */
	bool have_event;
	const char *what;
	size_t nodes;
	struct anchor *anchors;
	size_t anchor_count;
	size_t anchor_capacity;
	struct cc_error *err;
};

/* A converted node and what an anchor on it must remember. */
struct node {
	json_t *value;
	int height;
	const char *scalar; /* points into the event; valid until the next event */
	size_t scalar_len;
	bool is_scalar;
	bool plain;
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

static int syntax_error(struct reader *rd)
{
	const yaml_parser_t *p = &rd->parser;
	if (p->error == YAML_MEMORY_ERROR)
		return cc_error_set(rd->err, ENOMEM, "%s: out of memory while parsing YAML", rd->what);
	const char *problem = p->problem ? p->problem : "malformed input";
	if (p->context)
		return cc_error_set(rd->err, EINVAL, "%s: invalid YAML at line %zu, column %zu: %s %s", rd->what,
				    p->problem_mark.line + 1, p->problem_mark.column + 1, problem, p->context);
	return cc_error_set(rd->err, EINVAL, "%s: invalid YAML at line %zu, column %zu: %s", rd->what,
			    p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

/* Replaces the current event with the next one. */
static int next_event(struct reader *rd)
{
	if (rd->have_event)
		yaml_event_delete(&rd->event);
	rd->have_event = false;
	if (!yaml_parser_parse(&rd->parser, &rd->event))
		return syntax_error(rd);
	rd->have_event = true;
	return 0;
}

static int semantic_error(struct reader *rd, int code, const char *what)
{
	return cc_error_set(rd->err, code, "%s: line %zu, column %zu: %s", rd->what, rd->event.start_mark.line + 1,
			    rd->event.start_mark.column + 1, what);
}

static int count_nodes(struct reader *rd, size_t n)
{
	if (n > CC_YAML_MAX_NODES || rd->nodes > CC_YAML_MAX_NODES - n)
		return cc_error_set(rd->err, E2BIG, "%s: more than %d values after alias expansion", rd->what,
				    CC_YAML_MAX_NODES);
	rd->nodes += n;
	return 0;
}

static json_t *convert_scalar(struct reader *rd)
{
	const yaml_event_t *ev = &rd->event;
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	/* Quoted and block scalars, and `!!str` or the non-specific `!`, are strings; other tags are
	 * typed as if untagged, as before. */
	bool string = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		      (tag && (strcmp(tag, YAML_STR_TAG) == 0 || strcmp(tag, "!") == 0));
	json_t *value;
	json_int_t i;
	double d;
	if (string)
		value = json_stringn(s, len);
	else if (len == 0 || scalar_in(s, len, null_words))
		value = json_null();
	else if (scalar_in(s, len, true_words))
		value = json_true();
	else if (scalar_in(s, len, false_words))
		value = json_false();
	else if (parse_plain_int(s, len, &i))
		value = json_integer(i);
	else if (parse_plain_float(s, len, &d))
		value = json_real(d);
	else
		value = json_stringn(s, len);
	if (!value)
		semantic_error(rd, EINVAL, "scalar is not valid UTF-8");
	return value;
}

static struct anchor *find_anchor(struct reader *rd, const char *name)
{
	/* A name may be defined again; an alias refers to the latest definition (YAML 1.2 §3.2.2.2). */
	for (size_t i = rd->anchor_count; i > 0; i--)
		if (strcmp(rd->anchors[i - 1].name, name) == 0)
			return &rd->anchors[i - 1];
	return NULL;
}

static void remember_anchor(struct reader *rd, const char *name, const struct node *node, size_t nodes)
{
	if (rd->anchor_count == rd->anchor_capacity) {
		rd->anchor_capacity = rd->anchor_capacity ? rd->anchor_capacity * 2 : 8;
		rd->anchors = cc_xrealloc(rd->anchors, rd->anchor_capacity * sizeof(*rd->anchors));
	}
	struct anchor *a = &rd->anchors[rd->anchor_count++];
	*a = (struct anchor){
		.name = cc_xstrdup(name),
		.value = json_incref(node->value),
		.nodes = nodes,
		.height = node->height,
		.is_scalar = node->is_scalar,
	};
	if (node->is_scalar) {
		a->key = cc_xstrndup(node->scalar, node->scalar_len); /* NUL bytes inside are refused as keys */
		a->key_len = node->scalar_len;
	}
}

static void forget_anchors(struct reader *rd)
{
	for (size_t i = 0; i < rd->anchor_count; i++) {
		free(rd->anchors[i].name);
		free(rd->anchors[i].key);
		json_decref(rd->anchors[i].value);
	}
	rd->anchor_count = 0;
}

static int convert_node(struct reader *rd, int depth, struct node *ret);

/* An alias expands to a copy of its anchor's value: the tree stays a tree that callers may edit. */
static int expand_alias(struct reader *rd, int depth, struct node *ret)
{
	const char *name = (const char *)rd->event.data.alias.anchor;
	struct anchor *a = find_anchor(rd, name);
	if (!a) {
		char why[160];
		snprintf(why, sizeof(why), "alias *%.100s refers to an undefined anchor", name);
		return semantic_error(rd, EINVAL, why);
	}
	if (depth + a->height > CC_JSON_MAX_DEPTH)
		return semantic_error(rd, EINVAL, "nesting deeper than the limit once the alias is expanded");
	int r = count_nodes(rd, a->nodes);
	if (r < 0)
		return r;
	*ret = (struct node){
		.value = json_deep_copy(a->value),
		.height = a->height,
		.scalar = a->key,
		.scalar_len = a->key_len,
		.is_scalar = a->is_scalar,
		.plain = false, /* `*a` as a key is never the merge key */
	};
	if (!ret->value)
		return cc_error_set(rd->err, ENOMEM, "%s: out of memory expanding alias *%s", rd->what, name);
	return 0;
}

static int merge_into(json_t *target, json_t *source, struct reader *rd)
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
			if (!json_is_object(item) || merge_into(target, item, rd) < 0)
				return cc_error_set(rd->err, EINVAL,
						    "%s: merge key `<<` needs a mapping or a list of mappings",
						    rd->what);
		}
		return 0;
	}
	return cc_error_set(rd->err, EINVAL, "%s: merge key `<<` needs a mapping or a list of mappings", rd->what);
}

static int convert_sequence(struct reader *rd, int depth, struct node *ret)
{
	json_t *arr = json_array();
	int height = 0, r;
	for (;;) {
		r = next_event(rd);
		if (r < 0)
			goto fail;
		if (rd->event.type == YAML_SEQUENCE_END_EVENT)
			break;
		struct node item;
		r = convert_node(rd, depth + 1, &item);
		if (r < 0)
			goto fail;
		json_array_append_new(arr, item.value);
		if (item.height > height)
			height = item.height;
	}
	*ret = (struct node){ .value = arr, .height = height + 1 };
	return 0;
fail:
	json_decref(arr);
	return r;
}

/* One key of a mapping: a scalar, or an alias to one. Its text goes into *ret_key. */
static int read_key(struct reader *rd, int depth, char **ret_key, yaml_mark_t *ret_mark, bool *ret_merge)
{
	*ret_mark = rd->event.start_mark;
	if (rd->event.type != YAML_SCALAR_EVENT && rd->event.type != YAML_ALIAS_EVENT)
		return semantic_error(rd, EINVAL, "mapping keys must be scalars");
	struct node key;
	int r = convert_node(rd, depth + 1, &key);
	if (r < 0)
		return r;
	json_decref(key.value);
	if (!key.is_scalar)
		return semantic_error(rd, EINVAL, "mapping keys must be scalars");
	if (memchr(key.scalar, '\0', key.scalar_len))
		return semantic_error(rd, EINVAL, "mapping key contains a NUL byte");
	*ret_merge = key.plain && key.scalar_len == 2 && memcmp(key.scalar, "<<", 2) == 0;
	*ret_key = cc_xstrndup(key.scalar, key.scalar_len);
	return 0;
}

static int convert_mapping(struct reader *rd, int depth, struct node *ret)
{
	json_t *obj = json_object();
	json_t *merges = json_array();
	int height = 0, r;
	for (;;) {
		r = next_event(rd);
		if (r < 0)
			goto fail;
		if (rd->event.type == YAML_MAPPING_END_EVENT)
			break;
		_cleanup_free_ char *key = NULL;
		yaml_mark_t at;
		bool merge = false;
		r = read_key(rd, depth, &key, &at, &merge);
		if (r < 0)
			goto fail;
		r = next_event(rd);
		if (r < 0)
			goto fail;
		struct node value;
		r = convert_node(rd, depth + 1, &value);
		if (r < 0)
			goto fail;
		if (value.height > height)
			height = value.height;
		if (merge) {
			json_array_append_new(merges, value.value);
			continue;
		}
		if (json_object_get(obj, key)) {
			json_decref(value.value);
			r = cc_error_set(rd->err, EINVAL, "%s: line %zu, column %zu: duplicate mapping key `%.200s`",
					 rd->what, at.line + 1, at.column + 1, key);
			goto fail;
		}
		if (json_object_set_new(obj, key, value.value) < 0) {
			r = cc_error_set(rd->err, EINVAL, "%s: line %zu, column %zu: mapping key is not valid UTF-8",
					 rd->what, at.line + 1, at.column + 1);
			goto fail;
		}
	}
	/* Merge keys (YAML 1.1 merge type): explicit keys win, earlier merges win over later ones. */
	size_t i;
	json_t *source;
	json_array_foreach (merges, i, source) {
		r = merge_into(obj, source, rd);
		if (r < 0)
			goto fail;
	}
	json_decref(merges);
	*ret = (struct node){ .value = obj, .height = height + 1 };
	return 0;
fail:
	json_decref(merges);
	json_decref(obj);
	return r;
}

/* Converts the node that starts at the current event; on return the current event is its last. */
static int convert_node(struct reader *rd, int depth, struct node *ret)
{
	if (depth > CC_JSON_MAX_DEPTH)
		return cc_error_set(rd->err, EINVAL, "%s: line %zu: nesting deeper than %d levels", rd->what,
				    rd->event.start_mark.line + 1, CC_JSON_MAX_DEPTH);
	if (rd->event.type == YAML_ALIAS_EVENT)
		return expand_alias(rd, depth, ret);
	size_t nodes_before = rd->nodes;
	int r = count_nodes(rd, 1);
	if (r < 0)
		return r;
	/* The anchor name is copied: the event that carries it is replaced while children are read. */
	_cleanup_free_ char *anchor = NULL;
	switch (rd->event.type) {
	case YAML_SCALAR_EVENT:
		if (rd->event.data.scalar.anchor)
			anchor = cc_xstrdup((const char *)rd->event.data.scalar.anchor);
		*ret = (struct node){
			.value = convert_scalar(rd),
			.scalar = (const char *)rd->event.data.scalar.value,
			.scalar_len = rd->event.data.scalar.length,
			.is_scalar = true,
			.plain = rd->event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !rd->event.data.scalar.tag,
		};
		if (!ret->value)
			return -EINVAL;
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (rd->event.data.sequence_start.anchor)
			anchor = cc_xstrdup((const char *)rd->event.data.sequence_start.anchor);
		r = convert_sequence(rd, depth, ret);
		break;
	case YAML_MAPPING_START_EVENT:
		if (rd->event.data.mapping_start.anchor)
			anchor = cc_xstrdup((const char *)rd->event.data.mapping_start.anchor);
		r = convert_mapping(rd, depth, ret);
		break;
	default: return semantic_error(rd, EINVAL, "unexpected YAML event");
	}
	if (r < 0)
		return r;
	/* Defined once the node is complete: an alias inside its own anchor's node (`&a [*a]`) is
	 * undefined, so no document can refer to itself. */
	if (anchor)
		remember_anchor(rd, anchor, ret, rd->nodes - nodes_before);
	return 0;
}

/* Reads the documents of the stream; the current event is STREAM_START. */
static int convert_stream(struct reader *rd, json_t *docs)
{
	for (;;) {
		int r = next_event(rd);
		if (r < 0)
			return r;
		if (rd->event.type == YAML_STREAM_END_EVENT)
			return 0;
		if (rd->event.type != YAML_DOCUMENT_START_EVENT)
			return semantic_error(rd, EINVAL, "expected a document");
		r = next_event(rd);
		struct node root = { 0 };
		if (r == 0)
			r = convert_node(rd, 0, &root);
		if (r == 0)
			r = next_event(rd); /* DOCUMENT_END */
		forget_anchors(rd);         /* anchors are scoped to their document (YAML 1.2 §3.2.2.2) */
		if (r < 0) {
			json_decref(root.value);
			return r; /* every message names its line */
		}
		/* Empty documents are skipped, as kubectl does. */
		if (json_is_null(root.value))
			json_decref(root.value);
		else
			json_array_append_new(docs, root.value);
	}
}

int cc_yaml_parse_stream(const char *data, size_t len, const char *what, json_t **ret_docs, struct cc_error *err)
{
	if (len > CC_YAML_MAX_SIZE)
		return cc_error_set(err, EMSGSIZE, "%s: YAML input of %zu bytes exceeds the limit of %u bytes", what,
				    len, CC_YAML_MAX_SIZE);
	/* YAML streams here are UTF-8 (Kubernetes manifests always are): a precise error, and libyaml
	 * never sees another encoding (it would otherwise guess UTF-16 from a BOM). */
	size_t bad;
	if (!cc_utf8_valid(data, len, &bad)) {
		size_t line = 1;
		for (size_t i = 0; i < bad; i++)
			line += data[i] == '\n';
		return cc_error_set(err, EILSEQ, "%s: invalid UTF-8 at byte %zu (line %zu)", what, bad, line);
	}
	struct reader rd = { .what = what, .err = err };
	if (!yaml_parser_initialize(&rd.parser))
		return cc_error_set(err, ENOMEM, "%s: cannot create the YAML parser", what);
	yaml_parser_set_input_string(&rd.parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&rd.parser, YAML_UTF8_ENCODING);
	json_t *docs = json_array();
	int r = next_event(&rd);
	if (r == 0)
		r = convert_stream(&rd, docs);
	if (rd.have_event)
		yaml_event_delete(&rd.event);
	forget_anchors(&rd);
	free(rd.anchors);
	yaml_parser_delete(&rd.parser);
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
