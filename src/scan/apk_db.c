/* apk-tools' database of installed packages, /lib/apk/db/installed (Alpine, Wolfi, Chainguard).
 * apk writes it as stanzas of "X:value" lines, X one letter, separated by a blank line (apk-tools
 * src/database.c, apk_db_write_fdb; the letters are those of the APKINDEX, apk-spec's "Package
 * index"). Read here: P name, V version, A arch, o origin (the source package, named by the
 * secdb), L license; the rest (C checksum, F/R the files, Z their checksums, ...) is skipped. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/inventory.h"
#include "scan/inventory_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

enum apk_field {
	FIELD_NAME,
	FIELD_VERSION,
	FIELD_ARCH,
	FIELD_ORIGIN,
	FIELD_LICENSE,
	FIELD_MAX,
};

static const char field_letters[FIELD_MAX] = {
	[FIELD_NAME] = 'P', [FIELD_VERSION] = 'V', [FIELD_ARCH] = 'A', [FIELD_ORIGIN] = 'o', [FIELD_LICENSE] = 'L',
};

struct span {
	const char *p; /* NULL: absent */
	size_t n;
	size_t line_no;
};

struct stanza {
	size_t first_line; /* 0: no line read yet */
	struct span fields[FIELD_MAX];
};

struct apk_parse {
	const char *db_path;
	const char *what; /* the database, for messages */
	struct scan_inventory *inv;
	struct stanza stanza;
};

static int field_line(struct apk_parse *ps, const char *line, size_t n, size_t line_no, struct cc_error *err)
{
	if (n < 2 || line[1] != ':')
		return cc_error_set(err, EBADMSG, "not an `X:value` line");
	struct stanza *st = &ps->stanza;
	if (!st->first_line)
		st->first_line = line_no;
	const char *letter = memchr(field_letters, line[0], FIELD_MAX);
	if (!letter)
		return 0;
	struct span *field = &st->fields[letter - field_letters];
	if (field->p)
		return cc_error_set(err, EBADMSG, "a second %c: line in the stanza (the first is line %zu)", line[0],
				    field->line_no);
	*field = (struct span){ .p = line + 2, .n = n - 2, .line_no = line_no };
	return 0;
}

/* A kept value as a string: NULL when absent (or empty) and optional, refused when required or bad. */
static int field_string(const struct stanza *st, enum apk_field f, bool required, char **ret, struct cc_error *err)
{
	const struct span *field = &st->fields[f];
	if (!field->p || field->n == 0) {
		if (required)
			return cc_error_set(err, EBADMSG, "no %c: line", field_letters[f]);
		*ret = NULL;
		return 0;
	}
	const char *problem = scan_value_problem(field->p, field->n);
	if (problem)
		return cc_error_set(err, EBADMSG, "%c: (line %zu) has %s", field_letters[f], field->line_no, problem);
	*ret = cc_xstrndup(field->p, field->n);
	return 0;
}

static int stanza_add(struct apk_parse *ps, struct cc_error *err)
{
	const struct stanza *st = &ps->stanza;
	_cleanup_free_ char *name = NULL, *version = NULL, *arch = NULL, *origin = NULL, *license = NULL;
	int r;
	if ((r = field_string(st, FIELD_NAME, true, &name, err)) < 0 ||
	    (r = field_string(st, FIELD_VERSION, true, &version, err)) < 0 ||
	    (r = field_string(st, FIELD_ARCH, false, &arch, err)) < 0 ||
	    (r = field_string(st, FIELD_ORIGIN, false, &origin, err)) < 0 ||
	    (r = field_string(st, FIELD_LICENSE, false, &license, err)) < 0 ||
	    (r = scan_inventory_room(ps->inv, ps->what, err)) < 0)
		return r;
	scan_inventory_add(ps->inv, &(struct scan_package){
					.type = SCAN_PACKAGE_APK,
					.name = name,
					.version = version,
					.arch = arch,
					.source_name = origin ? origin : name,
					.source_version = version,
					.license = license,
					.db_path = (char *)ps->db_path,
				    });
	return 0;
}

/* Adds the stanza read so far (if any) and starts the next one. */
static int stanza_end(struct apk_parse *ps, struct cc_error *err)
{
	int r = 0;
	if (ps->stanza.first_line) {
		r = stanza_add(ps, err);
		if (r < 0) {
			const struct span *name = &ps->stanza.fields[FIELD_NAME];
			if (name->p && name->n && !scan_value_problem(name->p, name->n))
				cc_error_prefix(err, "%s: stanza at line %zu (package `%.*s`)", ps->what,
						ps->stanza.first_line, (int)name->n, name->p);
			else
				cc_error_prefix(err, "%s: stanza at line %zu", ps->what, ps->stanza.first_line);
		}
	}
	ps->stanza = (struct stanza){ 0 };
	return r;
}

int scan_apk_parse(const char *data, size_t len, const char *db_path, struct scan_inventory *inv, struct cc_error *err)
{
	struct apk_parse ps = { .db_path = db_path, .what = db_path ? db_path : "apk installed", .inv = inv };
	int r = scan_db_size_check(len, SCAN_INVENTORY_DB_MAX, ps.what, err);
	if (r < 0)
		return r;
	size_t before = inv->n_packages;
	struct scan_lines lines = { .data = data, .len = len };
	const char *line;
	size_t n;
	while (r == 0 && scan_lines_next(&lines, &line, &n)) {
		if (scan_line_blank(line, n)) {
			r = stanza_end(&ps, err);
		} else {
			r = field_line(&ps, line, n, lines.line_no, err);
			if (r < 0)
				cc_error_prefix(err, "%s: line %zu", ps.what, lines.line_no);
		}
	}
	if (r == 0)
		r = stanza_end(&ps, err);
	if (r < 0)
		scan_inventory_truncate(inv, before);
	return r;
}
