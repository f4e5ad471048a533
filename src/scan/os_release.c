/* os-release(5): which distribution and release a root filesystem is, from /etc/os-release (or
 * /usr/lib/os-release). The file is a list of shell variable assignments without expansion; quoting
 * follows systemd's parse_env_file(), the reference reader of the format: '...' literal, "..." with
 * \" \\ \$ \` escapes, a backslash outside quotes escaping the next character, whitespace inside an
 * unquoted value kept and trailing whitespace dropped. Values spanning lines are refused. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/inventory.h"
#include "scan/inventory_parse.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The keys kept, and where in struct scan_os. */
static const struct {
	const char *key;
	size_t offset;
} kept_keys[] = {
	{ "ID", offsetof(struct scan_os, id) },
	{ "VERSION_ID", offsetof(struct scan_os, version_id) },
	{ "VERSION_CODENAME", offsetof(struct scan_os, version_codename) },
	{ "PRETTY_NAME", offsetof(struct scan_os, pretty_name) },
};

static char **kept_field(struct scan_os *os, const char *key, size_t key_len)
{
	for (size_t i = 0; i < CC_ARRAY_SIZE(kept_keys); i++)
		if (strlen(kept_keys[i].key) == key_len && memcmp(kept_keys[i].key, key, key_len) == 0)
			return (char **)((char *)os + kept_keys[i].offset);
	return NULL;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool key_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* Appends to out unless out is NULL (a key that is not kept is only checked for its syntax). */
static int emit(struct cc_buf *out, const char *s, size_t n, struct cc_error *err)
{
	if (out && cc_buf_append(out, s, n) < 0)
		return cc_error_set(err, EBADMSG, "the value is longer than %d bytes", SCAN_INVENTORY_VALUE_MAX);
	return 0;
}

/* The value part of one line (after `=`), unquoted into out. */
static int unquote(const char *s, size_t n, struct cc_buf *out, struct cc_error *err)
{
	enum { UNQUOTED, SINGLE, DOUBLE } state = UNQUOTED;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		char c = s[i];
		if (state == SINGLE) {
			if (c == '\'')
				state = UNQUOTED;
			else
				r = emit(out, &c, 1, err);
		} else if (state == DOUBLE) {
			if (c == '"')
				state = UNQUOTED;
			else if (c == '\\' && i + 1 < n && memchr("\"\\$`", s[i + 1], 4))
				r = emit(out, &s[++i], 1, err);
			else
				r = emit(out, &c, 1, err);
		} else if (c == '\'' || c == '"') {
			state = c == '"' ? DOUBLE : SINGLE;
		} else if (c == '\\') {
			if (i + 1 == n)
				return cc_error_set(
				    err, EBADMSG,
				    "a backslash ends the line (values spanning lines are not supported)");
			r = emit(out, &s[++i], 1, err);
		} else if (blank(c)) {
			size_t end = i;
			while (end < n && blank(s[end]))
				end++;
			if (end == n)
				break; /* trailing whitespace */
			r = emit(out, s + i, end - i, err);
			i = end - 1;
		} else {
			r = emit(out, &c, 1, err);
		}
	}
	if (r < 0)
		return r;
	if (state != UNQUOTED)
		return cc_error_set(err, EBADMSG, "the %s quote is not closed on its line",
				    state == DOUBLE ? "double" : "single");
	return 0;
}

static int parse_line(const char *line, size_t n, struct scan_os *os, struct cc_error *err)
{
	size_t i = 0;
	while (i < n && blank(line[i]))
		i++;
	if (i == n || line[i] == '#')
		return 0;
	size_t key_start = i;
	while (i < n && key_char(line[i], i == key_start))
		i++;
	if (i == key_start || i == n || line[i] != '=')
		return cc_error_set(err, EBADMSG, "not a KEY=value assignment");
	const char *key = line + key_start;
	size_t key_len = i - key_start;
	i++;

	char **field = kept_field(os, key, key_len);
	_cleanup_buf_ struct cc_buf value = CC_BUF_INIT;
	cc_buf_init_limited(&value, SCAN_INVENTORY_VALUE_MAX);
	int r = unquote(line + i, n - i, field ? &value : NULL, err);
	if (r < 0) {
		cc_error_prefix(err, "%.*s", (int)key_len, key);
		return r;
	}
	if (!field)
		return 0;
	const char *problem = scan_value_problem(value.data ? value.data : "", value.len);
	if (problem)
		return cc_error_set(err, EBADMSG, "%.*s: the value has %s", (int)key_len, key, problem);
	free(*field); /* as in the shell, a later assignment wins */
	*field = value.len ? cc_buf_steal(&value, NULL) : NULL;
	return 0;
}

int scan_os_release_parse(const char *data, size_t len, struct scan_os *ret, struct cc_error *err)
{
	int r = scan_db_size_check(len, SCAN_INVENTORY_OS_RELEASE_MAX, "os-release", err);
	if (r < 0)
		return r;
	_cleanup_(scan_os_clear) struct scan_os os = { 0 };
	struct scan_lines lines = { .data = data, .len = len };
	const char *line;
	size_t n;
	while (scan_lines_next(&lines, &line, &n)) {
		if (n > 0 && line[n - 1] == '\r')
			n--;
		r = parse_line(line, n, &os, err);
		if (r < 0) {
			cc_error_prefix(err, "os-release line %zu", lines.line_no);
			return r;
		}
	}
	*ret = os;
	os = (struct scan_os){ 0 };
	return 0;
}
