/* Label selectors (k8s.io/apimachinery/pkg/labels/selector.go) and field selectors
 * (pkg/fields/selector.go) as kube-apiserver parses and matches them.
 *
 * The label selector's string form has a small grammar, parsed here the way Kubernetes does: a lexer
 * cuts the whole string into tokens first (identifiers run up to whitespace or one of `=!(),<>`;
 * `in` and `notin` are keywords only where an operator is expected, so a label may be called `in`),
 * then a recursive-descent parser reads comma-separated requirements. Every requirement is validated
 * as NewRequirement validates it, so `a in ()`, a key of 64 characters or a value with a space fail
 * here exactly where kube-apiserver answers 400.
 *
 * Field selectors have no grammar beyond `field(=|==|!=)value` terms split on unescaped commas; which
 * fields exist is the caller's business (each kind has its own list). */
#include "platform/selector.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/kube_object.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for element n of an array that grows by doubling: reallocated at 0 and at each power of two
 * from 4, so a selector of n terms costs O(n) copying (ASan's realloc always copies). */
static void *array_room(void *array, size_t n, size_t size)
{
	if ((n > 0 && n < 4) || (n >= 4 && (n & (n - 1)) != 0))
		return array;
	size_t cap = n < 4 ? 4 : 2 * n;
	if (cap > SIZE_MAX / size)
		abort();
	return cc_xrealloc(array, cap * size);
}

/* ---- Label keys and values (k8s.io/apimachinery/pkg/util/validation) ---- */

/* The rules are the library's (lib/json/kube_object.h); the messages are kube-apiserver's. */
#define LABEL_NAME_MAX    KUBE_LABEL_NAME_MAX
#define DNS_SUBDOMAIN_MAX KUBE_DNS_SUBDOMAIN_MAX

int platform_label_key_check(const char *key, struct cc_error *err)
{
	const char *slash = strchr(key, '/');
	const char *name = slash ? slash + 1 : key;
	size_t n = strlen(name);
	if (slash && strchr(name, '/'))
		return cc_error_set(
		    err, EINVAL,
		    "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
		    "start and end with an alphanumeric character, with an optional DNS subdomain prefix "
		    "and '/' (e.g. 'example.com/MyName')");
	if (slash) {
		size_t np = (size_t)(slash - key);
		if (np == 0)
			return cc_error_set(err, EINVAL, "prefix part must be non-empty");
		if (np > DNS_SUBDOMAIN_MAX)
			return cc_error_set(err, EINVAL, "prefix part must be no more than %d characters",
					    DNS_SUBDOMAIN_MAX);
		if (!kube_dns_subdomain_chars_ok(key, np))
			return cc_error_set(err, EINVAL,
					    "prefix part a lowercase RFC 1123 subdomain must consist of lower case "
					    "alphanumeric characters, '-' or '.', and must start and end with an "
					    "alphanumeric character (e.g. 'example.com')");
	}
	if (n == 0)
		return cc_error_set(err, EINVAL, "name part must be non-empty");
	if (n > LABEL_NAME_MAX)
		return cc_error_set(err, EINVAL, "name part must be no more than %d characters", LABEL_NAME_MAX);
	if (!kube_label_name_chars_ok(name, n))
		return cc_error_set(
		    err, EINVAL,
		    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
		    "and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc')");
	return 0;
}

int platform_label_value_check(const char *value, struct cc_error *err)
{
	size_t n = strlen(value);
	if (n > LABEL_NAME_MAX)
		return cc_error_set(err, EINVAL, "must be no more than %d characters", LABEL_NAME_MAX);
	if (n > 0 && !kube_label_name_chars_ok(value, n))
		return cc_error_set(
		    err, EINVAL,
		    "a valid label must be an empty string or consist of alphanumeric characters, '-', "
		    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', "
		    "or 'my_value', or '12345')");
	return 0;
}

/* strconv.ParseInt(s, 10, 64): an optional sign and decimal digits, within int64. */
static bool parse_int64(const char *s, int64_t *ret)
{
	bool negative = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	if (*s == '\0')
		return false;
	uint64_t v = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = negative ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* ---- Requirements ---- */

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void requirement_clear(struct platform_selector_requirement *r)
{
	free(r->key);
	for (size_t i = 0; i < r->n_values; i++)
		free(r->values[i]);
	free(r->values);
}

/* NewRequirement: takes key and values (allocated) in every case and checks them as Kubernetes
 * does: the key, the number of values the operator needs, then each value. */
static int requirement_init(struct platform_selector_requirement *r, char *key, enum platform_selector_op op,
			    char **values, size_t n, struct cc_error *err)
{
	int64_t ignored;
	if (n > 1)
		qsort(values, n, sizeof(char *), compare_strings);
	size_t unique = 0;
	for (size_t i = 0; i < n; i++) {
		if (unique > 0 && strcmp(values[unique - 1], values[i]) == 0)
			free(values[i]);
		else
			values[unique++] = values[i];
	}
	*r = (struct platform_selector_requirement){ key, op, values, unique };
	int res = platform_label_key_check(key, err);
	if (res < 0)
		return cc_error_prefix(err, "key `%s`", key);
	if ((op == PLATFORM_SELECTOR_IN || op == PLATFORM_SELECTOR_NOT_IN) && unique == 0)
		return cc_error_set(err, EINVAL, "values: for 'in', 'notin' operators, values set can't be empty");
	if ((op == PLATFORM_SELECTOR_EQUALS || op == PLATFORM_SELECTOR_NOT_EQUALS) && unique != 1)
		return cc_error_set(err, EINVAL, "values: exact-match compatibility requires one single value");
	if ((op == PLATFORM_SELECTOR_EXISTS || op == PLATFORM_SELECTOR_DOES_NOT_EXIST) && unique != 0)
		return cc_error_set(err, EINVAL, "values: values set must be empty for exists and does not exist");
	if (op == PLATFORM_SELECTOR_GREATER_THAN || op == PLATFORM_SELECTOR_LESS_THAN) {
		if (unique != 1)
			return cc_error_set(err, EINVAL,
					    "values: for 'Gt', 'Lt' operators, exactly one value is required");
		if (!parse_int64(values[0], &ignored))
			return cc_error_set(err, EINVAL,
					    "value `%s`: for 'Gt', 'Lt' operators, the value must be an integer",
					    values[0]);
	}
	for (size_t i = 0; i < unique; i++)
		if ((res = platform_label_value_check(values[i], err)) < 0)
			return cc_error_prefix(err, "value `%s`", values[i]);
	return 0;
}

static struct platform_selector_requirement *selector_add(struct platform_selector *sel)
{
	sel->requirements = array_room(sel->requirements, sel->n_requirements, sizeof(*sel->requirements));
	struct platform_selector_requirement *r = &sel->requirements[sel->n_requirements++];
	*r = (struct platform_selector_requirement){ 0 };
	return r;
}

static int compare_requirements(const void *a, const void *b)
{
	const struct platform_selector_requirement *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x < y ? -1 : x > y);
}

void platform_selector_free(struct platform_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n_requirements; i++)
		requirement_clear(&sel->requirements[i]);
	free(sel->requirements);
	free(sel);
}

struct platform_selector *platform_selector_copy(const struct platform_selector *sel)
{
	struct platform_selector *copy = cc_xcalloc(1, sizeof(*copy));
	copy->nothing = sel->nothing;
	copy->n_requirements = sel->n_requirements;
	copy->requirements = cc_xcalloc(sel->n_requirements ? sel->n_requirements : 1, sizeof(*copy->requirements));
	for (size_t i = 0; i < sel->n_requirements; i++) {
		const struct platform_selector_requirement *r = &sel->requirements[i];
		char **values = cc_xcalloc(r->n_values ? r->n_values : 1, sizeof(char *));
		for (size_t j = 0; j < r->n_values; j++)
			values[j] = cc_xstrdup(r->values[j]);
		copy->requirements[i] =
		    (struct platform_selector_requirement){ cc_xstrdup(r->key), r->op, values, r->n_values };
	}
	return copy;
}

/* ---- The string form: lexer ---- */

enum token_type {
	TOKEN_END,
	TOKEN_IDENTIFIER,
	TOKEN_NOT, /* ! */
	TOKEN_NOT_EQUALS,
	TOKEN_EQUALS,
	TOKEN_DOUBLE_EQUALS,
	TOKEN_GREATER_THAN,
	TOKEN_LESS_THAN,
	TOKEN_IN,
	TOKEN_NOT_IN,
	TOKEN_OPEN,
	TOKEN_CLOSE,
	TOKEN_COMMA,
};

struct token {
	enum token_type type;
	const char *start;
	size_t len;
};

static const struct {
	const char *text;
	enum token_type type;
} keywords[] = {
	{ "!", TOKEN_NOT },          { "!=", TOKEN_NOT_EQUALS }, { "=", TOKEN_EQUALS }, { "==", TOKEN_DOUBLE_EQUALS },
	{ ">", TOKEN_GREATER_THAN }, { "<", TOKEN_LESS_THAN },   { "in", TOKEN_IN },    { "notin", TOKEN_NOT_IN },
	{ "(", TOKEN_OPEN },         { ")", TOKEN_CLOSE },       { ",", TOKEN_COMMA },
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
	return c != '\0' && strchr("=!(),<>", c) != NULL;
}

static enum token_type keyword(const char *s, size_t len)
{
	for (size_t i = 0; i < CC_ARRAY_SIZE(keywords); i++)
		if (strlen(keywords[i].text) == len && memcmp(keywords[i].text, s, len) == 0)
			return keywords[i].type;
	return TOKEN_IDENTIFIER;
}

/* One token at s (after whitespace). Symbols are taken greedily as long as they still form one
 * ("!=" and "==", but "=!" is "=" then "!"), as Lexer.scanSpecialSymbol does. */
static struct token lex_one(const char *s)
{
	while (is_space(*s))
		s++;
	if (*s == '\0')
		return (struct token){ TOKEN_END, s, 0 };
	if (is_special(*s)) {
		size_t len = is_special(s[1]) && keyword(s, 2) != TOKEN_IDENTIFIER ? 2 : 1;
		return (struct token){ keyword(s, len), s, len };
	}
	size_t len = 0;
	while (s[len] && !is_space(s[len]) && !is_special(s[len]))
		len++;
	return (struct token){ keyword(s, len), s, len };
}

/* ---- The string form: parser (selector.go Parser) ---- */

struct parser {
	struct token *tokens; /* ends with TOKEN_END */
	size_t n, pos;
	const char *term; /* where the requirement being parsed starts, for messages */
	struct cc_error *err;
};

/* Where values are expected, `in` and `notin` are plain identifiers (Parser.lookahead(Values)). */
static struct token peek(const struct parser *p, bool values)
{
	struct token t = p->tokens[p->pos];
	if (values && (t.type == TOKEN_IN || t.type == TOKEN_NOT_IN))
		t.type = TOKEN_IDENTIFIER;
	return t;
}

static struct token next(struct parser *p, bool values)
{
	struct token t = peek(p, values);
	if (p->pos + 1 < p->n)
		p->pos++;
	return t;
}

/* The requirement being parsed, up to the next comma outside parentheses. */
static int term_length(const char *term)
{
	int depth = 0, n = 0;
	for (; term[n] && n < 200; n++) {
		depth += term[n] == '(' ? 1 : term[n] == ')' ? -1 : 0;
		if (term[n] == ',' && depth <= 0)
			break;
	}
	return n;
}

static int parse_fail(struct parser *p, struct token found, const char *expected)
{
	return cc_error_set(p->err, EINVAL, "unable to parse requirement `%.*s`: found %s%.*s%s, expected: %s",
			    term_length(p->term), p->term, found.type == TOKEN_END ? "end of string" : "'",
			    (int)found.len, found.start, found.type == TOKEN_END ? "" : "'", expected);
}

/* parseIdentifiersList and parseValues: "(a,b)"; "()" and empty places such as "(a,)" are the empty
 * value, as in Kubernetes. */
static int parse_values(struct parser *p, char ***values, size_t *n)
{
	struct token t = next(p, true);
	if (t.type != TOKEN_OPEN)
		return parse_fail(p, t, "'('");
	bool want_value = true;
	for (;;) {
		t = next(p, true);
		if (t.type == TOKEN_CLOSE || t.type == TOKEN_COMMA) {
			if (want_value) {
				*values = array_room(*values, *n, sizeof(char *));
				(*values)[(*n)++] = cc_xstrdup("");
			}
			if (t.type == TOKEN_CLOSE)
				return 0;
			want_value = true;
		} else if (t.type == TOKEN_IDENTIFIER && want_value) {
			*values = array_room(*values, *n, sizeof(char *));
			(*values)[(*n)++] = cc_xstrndup(t.start, t.len);
			want_value = false;
		} else {
			return parse_fail(p, t, want_value ? "',', ')' or identifier" : "',' or ')'");
		}
	}
}

static int parse_operator(struct parser *p, enum platform_selector_op *ret)
{
	struct token t = next(p, false);
	switch (t.type) {
	case TOKEN_IN: *ret = PLATFORM_SELECTOR_IN; return 0;
	case TOKEN_NOT_IN: *ret = PLATFORM_SELECTOR_NOT_IN; return 0;
	case TOKEN_EQUALS:
	case TOKEN_DOUBLE_EQUALS: *ret = PLATFORM_SELECTOR_EQUALS; return 0;
	case TOKEN_NOT_EQUALS: *ret = PLATFORM_SELECTOR_NOT_EQUALS; return 0;
	case TOKEN_GREATER_THAN: *ret = PLATFORM_SELECTOR_GREATER_THAN; return 0;
	case TOKEN_LESS_THAN: *ret = PLATFORM_SELECTOR_LESS_THAN; return 0;
	default: return parse_fail(p, t, "=, ==, !=, in, notin, <, >");
	}
}

/* parseRequirement: [!]key, or key OP value, or key (not)in (values). */
static int parse_requirement(struct parser *p, struct platform_selector *sel)
{
	enum platform_selector_op op = PLATFORM_SELECTOR_EXISTS;
	char **values = NULL;
	size_t n = 0;
	struct token t = next(p, true);
	if (t.type == TOKEN_NOT) {
		op = PLATFORM_SELECTOR_DOES_NOT_EXIST;
		t = next(p, true);
	}
	if (t.type != TOKEN_IDENTIFIER)
		return parse_fail(p, t, "identifier");
	_cleanup_free_ char *key = cc_xstrndup(t.start, t.len);
	int r = platform_label_key_check(key, p->err);
	if (r < 0)
		return cc_error_prefix(p->err, "unable to parse requirement `%.*s`: key `%s`", term_length(p->term),
				       p->term, key);
	enum token_type after = peek(p, true).type;
	if (op != PLATFORM_SELECTOR_DOES_NOT_EXIST && after != TOKEN_END && after != TOKEN_COMMA) {
		r = parse_operator(p, &op);
		if (r == 0 && (op == PLATFORM_SELECTOR_IN || op == PLATFORM_SELECTOR_NOT_IN)) {
			r = parse_values(p, &values, &n);
		} else if (r == 0) {
			/* parseExactValue: "a=" is the empty value. */
			t = peek(p, true);
			values = cc_xcalloc(1, sizeof(char *));
			n = 1;
			values[0] = t.type == TOKEN_END || t.type == TOKEN_COMMA ? cc_xstrdup("") : NULL;
			if (!values[0] && (t = next(p, true)).type == TOKEN_IDENTIFIER)
				values[0] = cc_xstrndup(t.start, t.len);
			if (!values[0]) {
				n = 0;
				r = parse_fail(p, t, "identifier");
			}
		}
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(values[i]);
		free(values);
		return r;
	}
	r = requirement_init(selector_add(sel), CC_TAKE_PTR(key), op, values, n, p->err);
	if (r < 0)
		return cc_error_prefix(p->err, "unable to parse requirement `%.*s`", term_length(p->term), p->term);
	return 0;
}

/* Parser.parse: requirements separated by commas. */
static int parse_selector(struct parser *p, struct platform_selector *sel)
{
	for (;;) {
		struct token t = peek(p, true);
		if (t.type == TOKEN_END)
			return 0;
		p->term = t.start;
		if (t.type != TOKEN_IDENTIFIER && t.type != TOKEN_NOT)
			return parse_fail(p, t, "!, identifier, or 'end of string'");
		int r = parse_requirement(p, sel);
		if (r < 0)
			return r;
		t = next(p, true);
		if (t.type == TOKEN_END)
			return 0;
		if (t.type != TOKEN_COMMA)
			return parse_fail(p, t, "',' or 'end of string'");
		t = peek(p, true);
		if (t.type != TOKEN_IDENTIFIER && t.type != TOKEN_NOT)
			return parse_fail(p, t, "identifier after ','");
	}
}

int platform_selector_parse(const char *text, struct platform_selector **ret, struct cc_error *err)
{
	struct parser p = { .term = text, .err = err };
	for (const char *s = text;;) {
		struct token t = lex_one(s);
		p.tokens = array_room(p.tokens, p.n, sizeof(*p.tokens));
		p.tokens[p.n++] = t;
		if (t.type == TOKEN_END)
			break;
		s = t.start + t.len;
	}
	_cleanup_(platform_selector_freep) struct platform_selector *sel = cc_xcalloc(1, sizeof(*sel));
	int r = parse_selector(&p, sel);
	free(p.tokens);
	if (r < 0)
		return r;
	if (sel->n_requirements > 1)
		qsort(sel->requirements, sel->n_requirements, sizeof(*sel->requirements), compare_requirements);
	*ret = CC_TAKE_PTR(sel);
	return 0;
}

/* ---- The object form (metav1.LabelSelectorAsSelector) ---- */

static int selector_match_labels(struct platform_selector *sel, const json_t *labels, struct cc_error *err)
{
	const char *key;
	json_t *value;
	if (!labels || json_is_null(labels))
		return 0;
	if (!json_is_object(labels))
		return cc_error_set(err, EINVAL, "label selector: `matchLabels` is not an object");
	json_object_foreach ((json_t *)labels, key, value) {
		if (!json_is_string(value))
			return cc_error_set(err, EINVAL, "label selector: matchLabels.%s is not a string", key);
		char **values = cc_xcalloc(1, sizeof(char *));
		values[0] = cc_xstrdup(json_string_value(value));
		int r = requirement_init(selector_add(sel), cc_xstrdup(key), PLATFORM_SELECTOR_EQUALS, values, 1, err);
		if (r < 0)
			return cc_error_prefix(err, "label selector: matchLabels");
	}
	return 0;
}

static const struct {
	const char *name;
	enum platform_selector_op op;
} expression_ops[] = {
	{ "In", PLATFORM_SELECTOR_IN },
	{ "NotIn", PLATFORM_SELECTOR_NOT_IN },
	{ "Exists", PLATFORM_SELECTOR_EXISTS },
	{ "DoesNotExist", PLATFORM_SELECTOR_DOES_NOT_EXIST },
};

static int selector_expression(struct platform_selector *sel, const json_t *e, struct cc_error *err)
{
	const char *key = json_string_value(json_object_get(e, "key"));
	const char *op_name = json_string_value(json_object_get(e, "operator"));
	const json_t *list = json_object_get(e, "values");
	if (!json_is_object(e) || !key)
		return cc_error_set(err, EINVAL, "key: Required value (a string)");
	if (!op_name)
		return cc_error_set(err, EINVAL, "operator: Required value (In, NotIn, Exists or DoesNotExist)");
	size_t o = 0;
	while (o < CC_ARRAY_SIZE(expression_ops) && strcmp(expression_ops[o].name, op_name) != 0)
		o++;
	if (o == CC_ARRAY_SIZE(expression_ops))
		return cc_error_set(err, EINVAL, "operator: \"%s\" is not a valid label selector operator", op_name);
	if (list && !json_is_null(list) && !json_is_array(list))
		return cc_error_set(err, EINVAL, "values: not a list of strings");
	size_t n = json_array_size(list);
	char **values = cc_xcalloc(n ? n : 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(json_array_get(list, i));
		if (!v) {
			for (size_t j = 0; j < i; j++)
				free(values[j]);
			free(values);
			return cc_error_set(err, EINVAL, "values[%zu]: not a string", i);
		}
		values[i] = cc_xstrdup(v);
	}
	return requirement_init(selector_add(sel), cc_xstrdup(key), expression_ops[o].op, values, n, err);
}

int platform_selector_from_json(const json_t *selector, struct platform_selector **ret, struct cc_error *err)
{
	_cleanup_(platform_selector_freep) struct platform_selector *sel = cc_xcalloc(1, sizeof(*sel));
	if (!selector || json_is_null(selector)) {
		sel->nothing = true;
		*ret = CC_TAKE_PTR(sel);
		return 0;
	}
	if (!json_is_object(selector))
		return cc_error_set(err, EINVAL, "label selector: not an object (matchLabels, matchExpressions)");
	int r = selector_match_labels(sel, json_object_get(selector, "matchLabels"), err);
	if (r < 0)
		return r;
	const json_t *expressions = json_object_get(selector, "matchExpressions");
	if (expressions && !json_is_null(expressions) && !json_is_array(expressions))
		return cc_error_set(err, EINVAL, "label selector: `matchExpressions` is not a list");
	for (size_t i = 0; i < json_array_size(expressions); i++) {
		r = selector_expression(sel, json_array_get(expressions, i), err);
		if (r < 0)
			return cc_error_prefix(err, "label selector: matchExpressions[%zu]", i);
	}
	if (sel->n_requirements > 1)
		qsort(sel->requirements, sel->n_requirements, sizeof(*sel->requirements), compare_requirements);
	*ret = CC_TAKE_PTR(sel);
	return 0;
}

/* ---- Matching and printing ---- */

static bool requirement_has_value(const struct platform_selector_requirement *r, const char *value)
{
	return r->n_values > 0 && bsearch(&value, r->values, r->n_values, sizeof(char *), compare_strings) != NULL;
}

/* Requirement.Matches */
static bool requirement_matches(const struct platform_selector_requirement *r, const json_t *labels)
{
	const char *value = json_string_value(json_object_get(labels, r->key));
	int64_t have, want;
	switch (r->op) {
	case PLATFORM_SELECTOR_EQUALS:
	case PLATFORM_SELECTOR_IN: return value && requirement_has_value(r, value);
	case PLATFORM_SELECTOR_NOT_EQUALS:
	case PLATFORM_SELECTOR_NOT_IN: return !value || !requirement_has_value(r, value);
	case PLATFORM_SELECTOR_EXISTS: return value != NULL;
	case PLATFORM_SELECTOR_DOES_NOT_EXIST: return value == NULL;
	case PLATFORM_SELECTOR_GREATER_THAN:
	case PLATFORM_SELECTOR_LESS_THAN:
		if (!value || r->n_values != 1 || !parse_int64(value, &have) || !parse_int64(r->values[0], &want))
			return false;
		return r->op == PLATFORM_SELECTOR_GREATER_THAN ? have > want : have < want;
	}
	return false;
}

bool platform_selector_matches(const struct platform_selector *sel, const json_t *labels)
{
	if (sel->nothing)
		return false;
	for (size_t i = 0; i < sel->n_requirements; i++)
		if (!requirement_matches(&sel->requirements[i], json_is_object(labels) ? labels : NULL))
			return false;
	return true;
}

/* Requirement.String */
static void requirement_format(struct cc_buf *out, const struct platform_selector_requirement *r)
{
	static const char *const ops[] = {
		[PLATFORM_SELECTOR_EQUALS] = "=",       [PLATFORM_SELECTOR_NOT_EQUALS] = "!=",
		[PLATFORM_SELECTOR_IN] = " in (",       [PLATFORM_SELECTOR_NOT_IN] = " notin (",
		[PLATFORM_SELECTOR_GREATER_THAN] = ">", [PLATFORM_SELECTOR_LESS_THAN] = "<",
	};
	if (r->op == PLATFORM_SELECTOR_DOES_NOT_EXIST)
		cc_buf_append_str(out, "!");
	cc_buf_append_str(out, r->key);
	if (r->op == PLATFORM_SELECTOR_EXISTS || r->op == PLATFORM_SELECTOR_DOES_NOT_EXIST)
		return;
	cc_buf_append_str(out, ops[r->op]);
	for (size_t i = 0; i < r->n_values; i++) {
		if (i > 0)
			cc_buf_append_str(out, ",");
		cc_buf_append_str(out, r->values[i]);
	}
	if (r->op == PLATFORM_SELECTOR_IN || r->op == PLATFORM_SELECTOR_NOT_IN)
		cc_buf_append_str(out, ")");
}

char *platform_selector_format(const struct platform_selector *sel)
{
	_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
	for (size_t i = 0; i < sel->n_requirements; i++) {
		if (i > 0)
			cc_buf_append_str(&out, ",");
		requirement_format(&out, &sel->requirements[i]);
	}
	return cc_xstrndup(out.data ? (const char *)out.data : "", out.len);
}

/* ---- Field selectors (fields.ParseSelector) ---- */

void platform_field_selector_free(struct platform_field_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n_requirements; i++) {
		free(sel->requirements[i].field);
		free(sel->requirements[i].value);
	}
	free(sel->requirements);
	free(sel);
}

struct platform_field_selector *platform_field_selector_copy(const struct platform_field_selector *sel)
{
	struct platform_field_selector *copy = cc_xcalloc(1, sizeof(*copy));
	copy->n_requirements = sel->n_requirements;
	copy->requirements = cc_xcalloc(sel->n_requirements ? sel->n_requirements : 1, sizeof(*copy->requirements));
	for (size_t i = 0; i < sel->n_requirements; i++) {
		const struct platform_field_requirement *r = &sel->requirements[i];
		copy->requirements[i] =
		    (struct platform_field_requirement){ cc_xstrdup(r->field), cc_xstrdup(r->value), r->negated };
	}
	return copy;
}

/* UnescapeValue: `\\`, `\,` and `\=` stand for themselves; a bare ',' or '=' and any other escape
 * are errors. */
static int field_unescape(const char *s, size_t n, char **ret, struct cc_error *err)
{
	_cleanup_free_ char *out = cc_xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ',' || s[i] == '=')
			return cc_error_set(err, EINVAL, "invalid field selector: unescaped character in value: %c",
					    s[i]);
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (i + 1 >= n)
			return cc_error_set(err, EINVAL, "invalid field selector: invalid escape sequence: \\");
		if (s[i + 1] != '\\' && s[i + 1] != ',' && s[i + 1] != '=')
			return cc_error_set(err, EINVAL, "invalid field selector: invalid escape sequence: \\%c",
					    s[i + 1]);
		out[o++] = s[++i];
	}
	out[o] = '\0';
	*ret = CC_TAKE_PTR(out);
	return 0;
}

/* splitTerm: the first "!=", "==" or "=" splits a term; the field cannot be escaped. */
static int field_term(struct platform_field_selector *sel, const char *term, size_t n, struct cc_error *err)
{
	for (size_t i = 0; i < n; i++) {
		size_t op = strncmp(term + i, "!=", 2) == 0 || strncmp(term + i, "==", 2) == 0 ? 2 : term[i] == '=';
		if (op == 0 || i + op > n)
			continue;
		char *value = NULL;
		int r = field_unescape(term + i + op, n - i - op, &value, err);
		if (r < 0)
			return r;
		sel->requirements = array_room(sel->requirements, sel->n_requirements, sizeof(*sel->requirements));
		sel->requirements[sel->n_requirements++] =
		    (struct platform_field_requirement){ cc_xstrndup(term, i), value, term[i] == '!' };
		return 0;
	}
	return cc_error_set(err, EINVAL,
			    "invalid selector: can't understand `%.*s` (field=value, field==value or "
			    "field!=value)",
			    (int)(n > 200 ? 200 : n), term);
}

int platform_field_selector_parse(const char *text, struct platform_field_selector **ret, struct cc_error *err)
{
	_cleanup_(platform_field_selector_freep) struct platform_field_selector *sel = cc_xcalloc(1, sizeof(*sel));
	size_t start = 0;
	bool escaped = false;
	for (size_t i = 0;; i++) {
		/* splitTerms: commas split, unless escaped; empty terms are skipped. */
		if (text[i] != '\0' && (escaped || text[i] != ',')) {
			escaped = !escaped && text[i] == '\\';
			continue;
		}
		if (i > start) {
			int r = field_term(sel, text + start, i - start, err);
			if (r < 0)
				return r;
		}
		if (text[i] == '\0')
			break;
		start = i + 1;
	}
	*ret = CC_TAKE_PTR(sel);
	return 0;
}

/* The field's value as text for comparison, or NULL when it is an object or a list. Absent and
 * null are "". *scratch holds a formatted number. */
static const char *field_value(const json_t *object, const char *path, char *scratch, size_t size)
{
	const json_t *v = object;
	for (const char *p = path; v;) {
		size_t n = strcspn(p, ".");
		_cleanup_free_ char *key = cc_xstrndup(p, n);
		v = json_is_object(v) ? json_object_get(v, key) : NULL;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	if (!v || json_is_null(v))
		return "";
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(scratch, size, "%" PRId64, (int64_t)json_integer_value(v));
		return scratch;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_real(v)) {
		snprintf(scratch, size, "%.17g", json_real_value(v));
		return scratch;
	}
	return NULL;
}

bool platform_field_selector_matches(const struct platform_field_selector *sel, const json_t *object)
{
	char scratch[64];
	for (size_t i = 0; i < sel->n_requirements; i++) {
		const struct platform_field_requirement *r = &sel->requirements[i];
		const char *value = field_value(object, r->field, scratch, sizeof(scratch));
		bool equal = value && strcmp(value, r->value) == 0;
		if (equal == r->negated)
			return false;
	}
	return true;
}

const char **platform_field_selector_fields(const struct platform_field_selector *sel)
{
	const char **fields = cc_xcalloc(sel->n_requirements + 1, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < sel->n_requirements; i++) {
		size_t j = 0;
		while (j < n && strcmp(fields[j], sel->requirements[i].field) != 0)
			j++;
		if (j == n)
			fields[n++] = sel->requirements[i].field;
	}
	return fields;
}

int platform_field_selector_check(const struct platform_field_selector *sel, const char *const *supported,
				  struct cc_error *err)
{
	for (size_t i = 0; i < sel->n_requirements; i++) {
		const char *field = sel->requirements[i].field;
		size_t j = 0;
		while (supported[j] && strcmp(supported[j], field) != 0)
			j++;
		if (!supported[j])
			return cc_error_set(err, EINVAL, "field label not supported: %s", field);
	}
	return 0;
}
