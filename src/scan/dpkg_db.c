/* dpkg's database of installed packages: /var/lib/dpkg/status, or the files of
 * /var/lib/dpkg/status.d/ that distroless images carry instead (one stanza or a few each, no Status
 * field). The format is deb822(5) as dpkg writes it: stanzas of "Field: value" lines separated by
 * blank lines, a line that starts with a space or a tab continuing the field before it, field names
 * matched without regard to case. Only the one-line fields below are read; the multi-line ones
 * (Description, Conffiles, ...) are skipped with their continuation lines. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/inventory.h"
#include "scan/inventory_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* A field's value as a span of the input, and the line it is on. */
struct span {
	const char *p; /* NULL: the field is absent */
	size_t n;
	size_t line_no;
};

enum dpkg_field {
	FIELD_PACKAGE,
	FIELD_STATUS,
	FIELD_VERSION,
	FIELD_ARCHITECTURE,
	FIELD_SOURCE,
	FIELD_MAX,
};

static const char *const field_names[FIELD_MAX] = {
	[FIELD_PACKAGE] = "Package",           [FIELD_STATUS] = "Status", [FIELD_VERSION] = "Version",
	[FIELD_ARCHITECTURE] = "Architecture", [FIELD_SOURCE] = "Source",
};

struct stanza {
	size_t first_line; /* 0: no field read yet */
	struct span fields[FIELD_MAX];
	/* The field the next continuation line belongs to: one of fields[], FIELD_MAX for one that is
	 * not kept (those may span lines). */
	enum dpkg_field last;
};

struct dpkg_parse {
	const char *db_path;
	const char *what; /* the database, for messages */
	struct scan_inventory *inv;
	struct stanza stanza;
};

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static void trim(const char **p, size_t *n)
{
	while (*n > 0 && blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && blank((*p)[*n - 1]))
		(*n)--;
}

static enum dpkg_field field_of(const char *name, size_t n)
{
	for (int f = 0; f < FIELD_MAX; f++)
		if (strlen(field_names[f]) == n && strncasecmp(field_names[f], name, n) == 0)
			return f;
	return FIELD_MAX;
}

/* ---- Lines ---- */

static int field_line(struct dpkg_parse *ps, const char *line, size_t n, size_t line_no, struct cc_error *err)
{
	const char *colon = memchr(line, ':', n);
	if (!colon || colon == line)
		return cc_error_set(err, EBADMSG, "not a `Field: value` line");
	size_t name_len = (size_t)(colon - line);
	const char *value = colon + 1;
	size_t value_len = n - name_len - 1;
	trim(&value, &value_len);

	struct stanza *st = &ps->stanza;
	if (!st->first_line)
		st->first_line = line_no;
	st->last = field_of(line, name_len);
	if (st->last == FIELD_MAX)
		return 0;
	struct span *field = &st->fields[st->last];
	if (field->p)
		return cc_error_set(err, EBADMSG, "a second %s field in the stanza (the first is on line %zu)",
				    field_names[st->last], field->line_no);
	*field = (struct span){ .p = value, .n = value_len, .line_no = line_no };
	return 0;
}

static int continuation_line(struct dpkg_parse *ps, struct cc_error *err)
{
	struct stanza *st = &ps->stanza;
	if (!st->first_line)
		return cc_error_set(err, EBADMSG,
				    "a continuation line (it starts with a blank) with no field before it");
	if (st->last != FIELD_MAX)
		return cc_error_set(err, EBADMSG, "the %s field continues on this line, but it is a one-line field",
				    field_names[st->last]);
	return 0;
}

/* ---- Stanzas ---- */

static bool word_in(const char *word, size_t len, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(set[i]) == len && memcmp(set[i], word, len) == 0)
			return true;
	return false;
}

/* Status: want flag status (dpkg-query(1), "Package information"). The status word decides; the other
 * two are only checked to be dpkg's. */
static int status_installed(const struct span *status, bool *ret, struct cc_error *err)
{
	static const char *const wants[] = { "unknown", "install", "hold", "deinstall", "purge" };
	static const char *const flags[] = { "ok", "reinstreq" };
	static const char *const installed[] = { "installed", "triggers-pending", "triggers-awaited" };
	static const char *const not_installed[] = { "not-installed", "config-files", "half-installed", "unpacked",
						     "half-configured" };
	const char *words[3];
	size_t lens[3], w = 0;
	const char *p = status->p, *end = status->p + status->n;
	while (p < end) {
		const char *space = memchr(p, ' ', (size_t)(end - p));
		size_t len = space ? (size_t)(space - p) : (size_t)(end - p);
		if (w == 3 || len == 0)
			return cc_error_set(err, EBADMSG, "Status is not `want flag status`");
		words[w] = p;
		lens[w++] = len;
		p += len + (space ? 1 : 0);
	}
	if (w != 3)
		return cc_error_set(err, EBADMSG, "Status is not `want flag status`");

	bool yes = word_in(words[2], lens[2], installed, CC_ARRAY_SIZE(installed));
	if (!word_in(words[0], lens[0], wants, CC_ARRAY_SIZE(wants)) ||
	    !word_in(words[1], lens[1], flags, CC_ARRAY_SIZE(flags)) ||
	    (!yes && !word_in(words[2], lens[2], not_installed, CC_ARRAY_SIZE(not_installed))))
		return cc_error_set(err, EBADMSG, "Status has a word dpkg does not write");
	*ret = yes;
	return 0;
}

/* Source: name [(version)] (deb-src-control(5)). */
static int split_source(const struct span *source, char **ret_name, char **ret_version, struct cc_error *err)
{
	const char *p = source->p;
	size_t n = source->n;
	const char *space = memchr(p, ' ', n);
	size_t name_len = space ? (size_t)(space - p) : n;
	const char *version = NULL;
	size_t version_len = 0;
	if (space) {
		const char *rest = space;
		size_t rest_len = n - name_len;
		trim(&rest, &rest_len);
		if (rest_len < 3 || rest[0] != '(' || rest[rest_len - 1] != ')')
			return cc_error_set(err, EBADMSG, "Source is not `name` or `name (version)`");
		version = rest + 1;
		version_len = rest_len - 2;
		trim(&version, &version_len);
		if (version_len == 0 || memchr(version, ' ', version_len) || memchr(version, '\t', version_len))
			return cc_error_set(err, EBADMSG, "Source has no version between its parentheses");
	}
	if (name_len == 0 || memchr(p, '\t', name_len))
		return cc_error_set(err, EBADMSG, "Source is not `name` or `name (version)`");
	const char *problem = scan_value_problem(p, name_len);
	if (!problem && version)
		problem = scan_value_problem(version, version_len);
	if (problem)
		return cc_error_set(err, EBADMSG, "Source has %s", problem);
	*ret_name = cc_xstrndup(p, name_len);
	*ret_version = version ? cc_xstrndup(version, version_len) : NULL;
	return 0;
}

/* A kept value as a string: NULL when absent and optional, refused when required or bad. */
static int field_string(const struct stanza *st, enum dpkg_field f, bool required, char **ret, struct cc_error *err)
{
	const struct span *field = &st->fields[f];
	if (!field->p || field->n == 0) {
		if (required)
			return cc_error_set(err, EBADMSG, "no %s", field_names[f]);
		*ret = NULL;
		return 0;
	}
	const char *problem = scan_value_problem(field->p, field->n);
	if (problem)
		return cc_error_set(err, EBADMSG, "%s (line %zu) has %s", field_names[f], field->line_no, problem);
	*ret = cc_xstrndup(field->p, field->n);
	return 0;
}

static int stanza_add(struct dpkg_parse *ps, struct cc_error *err)
{
	const struct stanza *st = &ps->stanza;
	_cleanup_free_ char *name = NULL, *version = NULL, *arch = NULL, *source_name = NULL, *source_version = NULL;
	int r = field_string(st, FIELD_PACKAGE, true, &name, err);
	if (r < 0)
		return r;
	if (st->fields[FIELD_STATUS].p) {
		bool installed = false;
		r = status_installed(&st->fields[FIELD_STATUS], &installed, err);
		if (r < 0 || !installed)
			return r;
	}
	if ((r = field_string(st, FIELD_VERSION, true, &version, err)) < 0 ||
	    (r = field_string(st, FIELD_ARCHITECTURE, false, &arch, err)) < 0)
		return r;
	if (st->fields[FIELD_SOURCE].p && st->fields[FIELD_SOURCE].n > 0) {
		r = split_source(&st->fields[FIELD_SOURCE], &source_name, &source_version, err);
		if (r < 0)
			return r;
	}
	if ((r = scan_inventory_room(ps->inv, ps->what, err)) < 0)
		return r;
	scan_inventory_add(ps->inv, &(struct scan_package){
					.type = SCAN_PACKAGE_DEB,
					.name = name,
					.version = version,
					.arch = arch,
					.source_name = source_name ? source_name : name,
					.source_version = source_version ? source_version : version,
					.db_path = (char *)ps->db_path,
				    });
	return 0;
}

/* Adds the stanza read so far (if any) and starts the next one. */
static int stanza_end(struct dpkg_parse *ps, struct cc_error *err)
{
	int r = 0;
	if (ps->stanza.first_line) {
		r = stanza_add(ps, err);
		if (r < 0) {
			const struct span *package = &ps->stanza.fields[FIELD_PACKAGE];
			if (package->p && !scan_value_problem(package->p, package->n))
				cc_error_prefix(err, "%s: stanza at line %zu (package `%.*s`)", ps->what,
						ps->stanza.first_line, (int)package->n, package->p);
			else
				cc_error_prefix(err, "%s: stanza at line %zu", ps->what, ps->stanza.first_line);
		}
	}
	ps->stanza = (struct stanza){ 0 };
	return r;
}

static int parse_lines(struct dpkg_parse *ps, const char *data, size_t len, struct cc_error *err)
{
	struct scan_lines lines = { .data = data, .len = len };
	const char *line;
	size_t n;
	while (scan_lines_next(&lines, &line, &n)) {
		int r;
		if (scan_line_blank(line, n))
			r = stanza_end(ps, err);
		else if (blank(line[0]))
			r = continuation_line(ps, err);
		else
			r = field_line(ps, line, n, lines.line_no, err);
		if (r < 0) {
			if (!scan_line_blank(line, n))
				cc_error_prefix(err, "%s: line %zu", ps->what, lines.line_no);
			return r;
		}
	}
	return stanza_end(ps, err);
}

int scan_dpkg_parse(const char *data, size_t len, const char *db_path, struct scan_inventory *inv, struct cc_error *err)
{
	struct dpkg_parse ps = { .db_path = db_path, .what = db_path ? db_path : "dpkg status", .inv = inv };
	int r = scan_db_size_check(len, SCAN_INVENTORY_DB_MAX, ps.what, err);
	if (r < 0)
		return r;
	size_t before = inv->n_packages;
	r = parse_lines(&ps, data, len, err);
	if (r < 0)
		scan_inventory_truncate(inv, before);
	return r;
}
