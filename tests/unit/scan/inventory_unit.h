/* Helpers of the inventory tests (test_dpkg_db.c, test_apk_db.c, test_rpm_*.c, ...): fixtures read
 * from the source tree, packages looked up by name, and the checks every failed parse must pass. */
#pragma once

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/inventory.h"
#include "unit.h"

#include <stdbool.h>
#include <sys/stat.h>

/* The whole of COCOON_SOURCE_ROOT/rel (meson's test() sets the variable), NUL-terminated. */
static inline char *unit_fixture(const char *rel, size_t *ret_len)
{
	const char *root = getenv("COCOON_SOURCE_ROOT");
	if (!root)
		fail_msg("COCOON_SOURCE_ROOT is not set: run the test through meson (it sets it)");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s", path);
	struct stat st;
	assert_int_equal(fstat(fileno(f), &st), 0);
	size_t len = (size_t)st.st_size;
	char *data = malloc(len + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, len, f), len);
	data[len] = '\0';
	fclose(f);
	*ret_len = len;
	return data;
}

static inline const struct scan_package *unit_package(const struct scan_inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->n_packages; i++)
		if (strcmp(inv->packages[i].name, name) == 0)
			return &inv->packages[i];
	fail_msg("no package `%s` in the inventory of %zu", name, inv->n_packages);
	return NULL;
}

static inline void unit_assert_str(const char *got, const char *want)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(got, want) != 0)
		fail_msg("got `%s`, want `%s`", got ? got : "(null)", want ? want : "(null)");
}

/* A refused parse: the code wanted, err set, a message naming word (if given). */
static inline void unit_assert_refused(int r, int code, const struct cc_error *err, const char *word)
{
	if (r != -code)
		fail_msg("want %d, got %d (%s)", -code, r, err->message);
	assert_int_equal(err->code, code);
	if (word && !strstr(err->message, word))
		fail_msg("`%s` not in the message: %s", word, err->message);
}

/* A text database parser (scan_dpkg_parse, scan_apk_parse). */
typedef int (*unit_text_db_parser)(const char *data, size_t len, const char *db_path, struct scan_inventory *inv,
				   struct cc_error *err);

/* A refused database leaves the inventory as it was (one package put there first). */
static inline void unit_text_db_refused(unit_text_db_parser parse, const char *db_path, const char *text, int code,
					const char *word)
{
	struct scan_inventory inv = { 0 };
	scan_inventory_add(&inv, &(struct scan_package){ .name = "before", .version = "1" });
	struct cc_error err = { 0 };
	int r = parse(text, strlen(text), db_path, &inv, &err);
	unit_assert_refused(r, code, &err, word);
	assert_int_equal(inv.n_packages, 1);
	unit_assert_str(inv.packages[0].name, "before");
	scan_inventory_free(&inv);
}
