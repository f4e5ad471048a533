#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/canonical_scan.h"
#include "lib/json/json.h"
#include "unit.h"

#include <errno.h>

enum test_slot {
	SLOT_NONE = CC_JSON_SLOT_NONE,
	SLOT_ROOT = CC_JSON_SLOT_ROOT,
	SLOT_NAME,
	SLOT_COUNT_FIELD,
	SLOT_LIST,
	SLOT_ITEM,
	SLOT_INNER,
	SLOT_FLAG,
	SLOT_REAL,
	SLOT_COUNT,
};

static const struct cc_json_slot_key test_keys[] = {
	{ SLOT_ROOT, "name", SLOT_NAME },  { SLOT_ROOT, "count", SLOT_COUNT_FIELD }, { SLOT_ROOT, "list", SLOT_LIST },
	{ SLOT_LIST, NULL, SLOT_ITEM },    { SLOT_ROOT, "inner", SLOT_INNER },       { SLOT_INNER, "flag", SLOT_FLAG },
	{ SLOT_INNER, "real", SLOT_REAL },
};

static struct cc_json_scanner *test_scanner(void)
{
	return cc_json_scanner_new(test_keys, CC_ARRAY_SIZE(test_keys), SLOT_COUNT);
}

/* The scanner's text is cc_json_canonical's of the tree cc_json_parse builds, byte for byte. */
static void test_canonical_matches_the_tree(void **state)
{
	static const char *docs[] = {
		"{ \"b\": 1, \"a\": [true, null, \"\\u00e9\"], \"c\": {\"z\": 1.5, \"y\": -2} }",
		" [ ] ",
		"{}",
		"\"a\\/b\\\"c\\\\\\n\\t\\u001f\\u007f\\ud83d\\ude00\"",
		"[-0, 0, 10, -9223372036854775808, 9223372036854775807]",
		"[1e3, 2.50, -0.0, 1E-2, 123456789012345678901234567890.5]",
		"{\"\xc3\xa9\":1,\"e\":2,\"\":3,\"E\":{\"b\":[{\"y\":1,\"x\":2}],\"a\":false}}",
		"\t\r\n{\"k\" :\"v\" , \"j\": \"\\u2028\"}\n",
	};
	_cleanup_(cc_json_scanner_freep) struct cc_json_scanner *s = test_scanner();
	for (size_t i = 0; i < CC_ARRAY_SIZE(docs); i++) {
		struct cc_error err = { 0 };
		json_t *tree;
		assert_int_equal(cc_json_parse(docs[i], strlen(docs[i]), 1024, "t", &tree, &err), 0);
		char *expected = cc_json_canonical(tree);
		assert_int_equal(cc_json_scanner_read(s, docs[i], strlen(docs[i]), "t", &err), 0);
		size_t len;
		const char *text = cc_json_scanner_text(s, &len);
		assert_string_equal(text, expected);
		assert_int_equal(len, strlen(expected));
		free(expected);
		json_decref(tree);
	}
}

static void test_noted_values(void **state)
{
	struct cc_error err = { 0 };
	_cleanup_(cc_json_scanner_freep) struct cc_json_scanner *s = test_scanner();
	const char *doc = "{\"name\":\"a\\u00e9\\n\",\"count\":-42,\"list\":[\"x\", 7, \"y\"],"
			  "\"inner\":{\"flag\":true,\"real\":1.5,\"name\":\"not noted\"},\"other\":{\"name\":\"no\"}}";
	assert_int_equal(cc_json_scanner_read(s, doc, strlen(doc), "t", &err), 0);
	assert_int_equal(cc_json_scanner_noted(s, SLOT_ROOT)->type, CC_JSON_NOTED_OBJECT);
	const struct cc_json_noted *name = cc_json_scanner_noted(s, SLOT_NAME);
	assert_int_equal(name->type, CC_JSON_NOTED_STRING);
	assert_string_equal(name->text, "a\xc3\xa9\n");
	assert_int_equal(name->len, 4);
	const struct cc_json_noted *count = cc_json_scanner_noted(s, SLOT_COUNT_FIELD);
	assert_int_equal(count->type, CC_JSON_NOTED_INTEGER);
	assert_int_equal(count->integer, -42);
	const struct cc_json_noted *list = cc_json_scanner_noted(s, SLOT_LIST);
	assert_int_equal(list->type, CC_JSON_NOTED_ARRAY);
	assert_string_equal(list->text, "[\"x\",7,\"y\"]");
	assert_int_equal(cc_json_scanner_noted(s, SLOT_INNER)->type, CC_JSON_NOTED_OBJECT);
	assert_int_equal(cc_json_scanner_noted(s, SLOT_FLAG)->type, CC_JSON_NOTED_TRUE);
	assert_int_equal(cc_json_scanner_noted(s, SLOT_REAL)->type, CC_JSON_NOTED_REAL);
	/* The last element is what the slot holds; every element is in the list of notes, in order. */
	const struct cc_json_noted *item = cc_json_scanner_noted(s, SLOT_ITEM);
	assert_int_equal(item->type, CC_JSON_NOTED_STRING);
	assert_string_equal(item->text, "y");
	const char *items[3] = { 0 };
	size_t n_items = 0;
	for (size_t i = 0; i < cc_json_scanner_note_count(s); i++) {
		const struct cc_json_noted *n = cc_json_scanner_note(s, i);
		if (n->slot == SLOT_ITEM) {
			assert_true(n_items < 3);
			items[n_items++] = n->type == CC_JSON_NOTED_STRING ? n->text : "(integer)";
		}
	}
	assert_int_equal(n_items, 3);
	assert_string_equal(items[0], "x");
	assert_string_equal(items[1], "(integer)");
	assert_string_equal(items[2], "y");
	assert_null(cc_json_scanner_note(s, cc_json_scanner_note_count(s)));

	/* The next read starts afresh: what it does not hold is absent. */
	assert_int_equal(cc_json_scanner_read(s, "{\"name\":null}", 13, "t", &err), 0);
	assert_int_equal(cc_json_scanner_noted(s, SLOT_NAME)->type, CC_JSON_NOTED_NULL);
	assert_int_equal(cc_json_scanner_noted(s, SLOT_COUNT_FIELD)->type, CC_JSON_NOTED_ABSENT);
	assert_int_equal(cc_json_scanner_noted(s, SLOT_ITEM)->type, CC_JSON_NOTED_ABSENT);
	/* A document that is not an object notes nothing below the root. */
	assert_int_equal(cc_json_scanner_read(s, "[{\"name\":\"x\"}]", 14, "t", &err), 0);
	assert_int_equal(cc_json_scanner_noted(s, SLOT_ROOT)->type, CC_JSON_NOTED_ARRAY);
	assert_int_equal(cc_json_scanner_noted(s, SLOT_NAME)->type, CC_JSON_NOTED_ABSENT);
	/* The text handed over is the caller's. */
	size_t len;
	char *text = cc_json_scanner_steal_text(s, &len);
	assert_string_equal(text, "[{\"name\":\"x\"}]");
	assert_int_equal(len, 14);
	free(text);
}

static void assert_refused(struct cc_json_scanner *s, const char *doc, size_t len, size_t at, const char *why)
{
	struct cc_error err = { 0 };
	json_t *tree;
	/* cc_json_parse refuses it too. */
	assert_int_equal(cc_json_parse(doc, len, 1024, "t", &tree, &err), -EINVAL);
	assert_int_equal(cc_json_scanner_read(s, doc, len, "doc.json", &err), -EINVAL);
	assert_int_equal(cc_json_scanner_error_offset(s), at);
	char expected[128];
	snprintf(expected, sizeof(expected), "doc.json: invalid JSON at byte %zu: %s", at, why);
	assert_string_equal(err.message, expected);
}

static void test_refusals_name_the_position(void **state)
{
	_cleanup_(cc_json_scanner_freep) struct cc_json_scanner *s = test_scanner();
	assert_refused(s, "{\"a\":1,\"b\":[],\"a\":2}", 20, 20, "duplicate object key");
	/* Equal after decoding is a duplicate too. */
	assert_refused(s, "{\"a\":1,\"\\u0061\":2}", 18, 18, "duplicate object key");
	assert_refused(s, "[\"a\\u0000b\"]", 12, 9, "\\u0000 is not allowed");
	assert_refused(s, "[\"\xff\"]", 5, 2, "invalid UTF-8 in string");
	/* After an escape, a run of plain bytes is checked where it ends. */
	assert_refused(s, "[\"ok\\n\xc3\"]", 9, 7, "invalid UTF-8 in string");
	assert_refused(s, "[\"\\ud800\"]", 10, 8, "high surrogate without its low surrogate in \\u escape");
	assert_refused(s, "[1] x", 5, 4, "text after the JSON value");
	assert_refused(s, "[99999999999999999999]", 22, 21, "integer out of the 64-bit range");

	/* CC_JSON_MAX_DEPTH levels are read; one more is refused where it opens. */
	char deep[2 * (CC_JSON_MAX_DEPTH + 1)];
	memset(deep, '[', CC_JSON_MAX_DEPTH);
	memset(deep + CC_JSON_MAX_DEPTH, ']', CC_JSON_MAX_DEPTH);
	struct cc_error err = { 0 };
	assert_int_equal(cc_json_scanner_read(s, deep, 2 * CC_JSON_MAX_DEPTH, "t", &err), 0);
	memset(deep, '[', CC_JSON_MAX_DEPTH + 1);
	memset(deep + CC_JSON_MAX_DEPTH + 1, ']', CC_JSON_MAX_DEPTH + 1);
	assert_refused(s, deep, sizeof(deep), CC_JSON_MAX_DEPTH, "nesting too deep");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_matches_the_tree),
		cmocka_unit_test(test_noted_values),
		cmocka_unit_test(test_refusals_name_the_position),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
