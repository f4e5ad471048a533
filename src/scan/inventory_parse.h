/* What the inventory parsers (os_release.c, dpkg_db.c, apk_db.c, rpm_header.c, rpm_sqlite.c) share
 * and the image scanner does not need: the checks every database and every kept value pass, the
 * rollback that leaves an inventory as it was when a database fails half-way (in inventory.c), and
 * the line reader of the text databases. */
#pragma once

#include "scan/inventory.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* What is wrong with a value about to be kept, as words to follow "has" ("more than 4096 bytes",
 * "a control character" (NUL included), "invalid UTF-8"), or NULL when nothing is. The values end up
 * in reports printed on terminals and in JSON, so they must be text. */
const char *scan_value_problem(const char *value, size_t len);

/* -EFBIG with err naming what (a database path) when len is over max. */
int scan_db_size_check(size_t len, size_t max, const char *what, struct cc_error *err);

/* -E2BIG with err naming what when inv is full (SCAN_INVENTORY_PACKAGES_MAX). */
int scan_inventory_room(const struct scan_inventory *inv, const char *what, struct cc_error *err);

/* Frees the packages from index n on (those a failed parse added). */
void scan_inventory_truncate(struct scan_inventory *inv, size_t n);

/* Lines of a text database: each line without its newline (the last one may lack it), numbered
 * from 1 for messages. */
struct scan_lines {
	const char *data;
	size_t len;
	size_t pos;
	size_t line_no; /* of the line last returned */
};

static inline bool scan_lines_next(struct scan_lines *l, const char **ret_line, size_t *ret_len)
{
	if (l->pos >= l->len)
		return false;
	const char *line = l->data + l->pos;
	const char *newline = memchr(line, '\n', l->len - l->pos);
	size_t n = newline ? (size_t)(newline - line) : l->len - l->pos;
	l->pos += n + (newline ? 1 : 0);
	l->line_no++;
	*ret_line = line;
	*ret_len = n;
	return true;
}

/* A line of nothing but spaces and tabs: what separates the stanzas of dpkg's and apk's databases. */
static inline bool scan_line_blank(const char *line, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return false;
	return true;
}

/* scan_rpm_header_parse without the database size check and the "<db>: rpm header" in front of a
 * message, for rpm_sqlite.c, which names the header by its hnum instead. */
int scan_rpm_header_read(const void *blob, size_t len, const char *db_path, struct scan_inventory *inv,
			 struct cc_error *err);
