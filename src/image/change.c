/* The --change instructions of `cocoon image import` (import.h): one Dockerfile instruction each,
 * applied to the `config` object of an OCI image config. One function per instruction, one table.
 *
 * The syntax is the Dockerfile reference's, where podman 4.3 differs:
 *   - ENV and LABEL take several NAME=VALUE pairs, quoted with "" or '' and escaped with \, or the
 *     older `ENV NAME VALUE` (the rest of the line); podman keeps `ENV A=1 B=2` as one variable
 *     `A=1 B=2`. An ENV of a name already set replaces it. No $VARIABLE is substituted.
 *   - CMD and ENTRYPOINT: a JSON array of strings (exec form), anything else is run by /bin/sh -c
 *     (shell form); `ENTRYPOINT []` clears the entrypoint.
 *   - WORKDIR: a relative path continues the previous WORKDIR (from / at first), the result is
 *     cleaned lexically.
 *   - EXPOSE: one or more PORT, PORT/PROTO or FIRST-LAST/PROTO (tcp, udp, sctp).
 * The instruction may be followed by a space (Dockerfile) or by `=` (podman also takes CMD=sh). */
#include "image/import.h"
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/utf8.h"
#include "lib/json/json.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

/* ---- words ---- */

/* A word of the value, its quotes and escapes removed. */
struct word {
	char *text;
	ssize_t eq; /* where the first `=` outside quotes is in text; -1: none */
	size_t end; /* where the word ends in the value */
};

struct words {
	struct word *w;
	size_t n;
};

static void words_clear(struct words *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->w[i].text);
	free(ws->w);
	*ws = (struct words){ 0 };
}

/* One word from s (split: it ends at whitespace outside quotes; else it is all of s). The shell's
 * rules, as the Dockerfile reference has them for ENV and LABEL: '...' is literal, "..." takes \"
 * \\ \$ and \` as escapes, and outside quotes \ takes the next character as it is. */
static int read_word(const char *s, size_t *pos, bool split, struct word *ret, struct cc_error *err)
{
	_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
	ssize_t eq = -1;
	size_t i = *pos;
	cc_buf_append(&out, "", 0);
	while (s[i] && !(split && isspace((unsigned char)s[i]))) {
		char c = s[i++];
		if (c == '\'') {
			const char *close = strchr(s + i, '\'');
			if (!close)
				return cc_error_set(err, EINVAL, "a ' is not closed");
			cc_buf_append(&out, s + i, (size_t)(close - (s + i)));
			i = (size_t)(close - s) + 1;
		} else if (c == '"') {
			for (;;) {
				if (!s[i])
					return cc_error_set(err, EINVAL, "a \" is not closed");
				if (s[i] == '"')
					break;
				if (s[i] == '\\' && s[i + 1] && strchr("\"\\$`", s[i + 1]))
					i++;
				cc_buf_append(&out, s + i++, 1);
			}
			i++;
		} else if (c == '\\' && s[i]) {
			cc_buf_append(&out, s + i++, 1);
		} else {
			if (c == '=' && eq < 0)
				eq = (ssize_t)out.len;
			cc_buf_append(&out, &c, 1);
		}
	}
	*ret = (struct word){ .text = cc_buf_steal(&out, NULL), .eq = eq, .end = i };
	*pos = i;
	return 0;
}

static int split_words(const char *s, struct words *ret, struct cc_error *err)
{
	struct words ws = { 0 };
	size_t pos = 0;
	for (;;) {
		while (isspace((unsigned char)s[pos]))
			pos++;
		if (!s[pos])
			break;
		struct word w;
		int r = read_word(s, &pos, true, &w, err);
		if (r < 0) {
			words_clear(&ws);
			return r;
		}
		ws.w = cc_xrealloc(ws.w, (ws.n + 1) * sizeof(*ws.w));
		ws.w[ws.n++] = w;
	}
	*ret = ws;
	return 0;
}

/* ENV and LABEL: NAME=VALUE pairs, or NAME VALUE with the rest of the line as the value. Returns
 * [[name, value], ...]. */
static int name_values(const char *instruction, const char *value, json_t **ret, struct cc_error *err)
{
	struct words ws;
	int r = split_words(value, &ws, err);
	if (r < 0)
		return r;
	json_t *pairs = json_array();
	if (ws.n == 0) {
		r = cc_error_set(err, EINVAL, "%s needs NAME=VALUE", instruction);
	} else if (ws.w[0].eq < 0) {
		/* The older form: one name, and the rest of the line (quotes removed, spaces kept). */
		size_t pos = ws.w[0].end;
		while (isspace((unsigned char)value[pos]))
			pos++;
		struct word rest;
		if (ws.n == 1)
			r = cc_error_set(err, EINVAL, "%s %s needs a value: %s NAME=VALUE or %s NAME VALUE",
					 instruction, ws.w[0].text, instruction, instruction);
		else if ((r = read_word(value, &pos, false, &rest, err)) == 0) {
			json_array_append_new(pairs, json_pack("[s, s]", ws.w[0].text, rest.text));
			free(rest.text);
		}
	} else {
		for (size_t i = 0; r == 0 && i < ws.n; i++) {
			struct word *w = &ws.w[i];
			if (w->eq < 0)
				r = cc_error_set(err, EINVAL, "`%s` is not NAME=VALUE (quote a value with spaces)",
						 w->text);
			else if (w->eq == 0)
				r = cc_error_set(err, EINVAL, "`%s` has an empty name", w->text);
			else
				json_array_append_new(pairs,
						      json_pack("[s#, s]", w->text, (int)w->eq, w->text + w->eq + 1));
		}
	}
	words_clear(&ws);
	if (r < 0) {
		json_decref(pairs);
		return r;
	}
	*ret = pairs;
	return 0;
}

/* ---- the instructions ---- */

static int apply_env(json_t *config, const char *value, struct cc_error *err)
{
	_cleanup_json_ json_t *pairs = NULL;
	int r = name_values("ENV", value, &pairs, err);
	if (r < 0)
		return r;
	json_t *env = json_object_get(config, "Env");
	env = json_is_array(env) ? json_copy(env) : json_array();
	size_t i, j;
	json_t *pair, *have;
	json_array_foreach (pairs, i, pair) {
		const char *name = json_string_value(json_array_get(pair, 0));
		json_t *entry = json_sprintf("%s=%s", name, json_string_value(json_array_get(pair, 1)));
		size_t name_len = strlen(name);
		bool replaced = false;
		json_array_foreach (env, j, have) {
			const char *text = json_string_value(have);
			if (text && strncmp(text, name, name_len) == 0 && text[name_len] == '=') {
				json_array_set(env, j, entry);
				replaced = true;
				break;
			}
		}
		if (!replaced)
			json_array_append(env, entry);
		json_decref(entry);
	}
	json_object_set_new(config, "Env", env);
	return 0;
}

static int apply_label(json_t *config, const char *value, struct cc_error *err)
{
	_cleanup_json_ json_t *pairs = NULL;
	int r = name_values("LABEL", value, &pairs, err);
	if (r < 0)
		return r;
	json_t *labels = json_object_get(config, "Labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(config, "Labels", labels);
	}
	size_t i;
	json_t *pair;
	json_array_foreach (pairs, i, pair)
		json_object_set(labels, json_string_value(json_array_get(pair, 0)), json_array_get(pair, 1));
	return 0;
}

/* value as a JSON array of strings, or NULL when it is not one. */
static json_t *string_array(const char *value)
{
	json_t *v = NULL;
	struct cc_error ignored = { 0 };
	if (cc_json_parse(value, strlen(value), IMAGE_CHANGE_MAX_SIZE, "--change", &v, &ignored) < 0)
		return NULL;
	bool strings = json_is_array(v);
	size_t i;
	json_t *item;
	json_array_foreach (v, i, item)
		strings = strings && json_is_string(item);
	if (!strings) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/* The exec form (a JSON array of strings), else the shell form, as the Dockerfile reference has it. */
static json_t *command(const char *value)
{
	json_t *v = value[0] == '[' ? string_array(value) : NULL;
	return v ? v : json_pack("[s, s, s]", "/bin/sh", "-c", value);
}

static int apply_command(json_t *config, const char *field, const char *instruction, const char *value,
			 struct cc_error *err)
{
	if (!*value)
		return cc_error_set(err, EINVAL, "%s needs a command: %s [\"EXECUTABLE\", \"ARG\"] or %s COMMAND LINE",
				    instruction, instruction, instruction);
	json_object_set_new(config, field, command(value));
	return 0;
}

static int apply_cmd(json_t *config, const char *value, struct cc_error *err)
{
	return apply_command(config, "Cmd", "CMD", value, err);
}

static int apply_entrypoint(json_t *config, const char *value, struct cc_error *err)
{
	return apply_command(config, "Entrypoint", "ENTRYPOINT", value, err);
}

/* Lexical cleaning of an absolute path (Go's path.Clean): no `.`, `..` or empty components. */
static char *clean_path(const char *path)
{
	_cleanup_free_ char *copy = cc_xstrdup(path);
	char *out = cc_xcalloc(1, strlen(path) + 2);
	size_t len = 0;
	for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		out[len++] = '/';
		strcpy(out + len, c);
		len += strlen(c);
	}
	if (len == 0)
		strcpy(out, "/");
	return out;
}

static int apply_workdir(json_t *config, const char *value, struct cc_error *err)
{
	if (!*value)
		return cc_error_set(err, EINVAL, "WORKDIR needs a path");
	const char *before = json_string_value(json_object_get(config, "WorkingDir"));
	_cleanup_free_ char *joined =
	    value[0] == '/' ? cc_xstrdup(value) : cc_xasprintf("%s/%s", before && *before ? before : "", value);
	_cleanup_free_ char *clean = clean_path(joined);
	json_object_set_new(config, "WorkingDir", json_string(clean));
	return 0;
}

static int apply_user(json_t *config, const char *value, struct cc_error *err)
{
	if (!*value || strpbrk(value, " \t\r\n"))
		return cc_error_set(err, EINVAL, "USER takes one USER[:GROUP] (a name or a number)");
	json_object_set_new(config, "User", json_string(value));
	return 0;
}

static int apply_stopsignal(json_t *config, const char *value, struct cc_error *err)
{
	if (!*value ||
	    strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-") != strlen(value))
		return cc_error_set(err, EINVAL, "STOPSIGNAL takes one signal (SIGTERM, TERM or 15)");
	json_object_set_new(config, "StopSignal", json_string(value));
	return 0;
}

static int parse_port(const char *s, const char *end, unsigned *ret)
{
	if (s == end || end - s > 5 || strspn(s, "0123456789") < (size_t)(end - s))
		return -EINVAL;
	unsigned long n = strtoul(s, NULL, 10);
	if (n < 1 || n > 65535)
		return -EINVAL;
	*ret = (unsigned)n;
	return 0;
}

/* PORT, PORT/PROTO, FIRST-LAST or FIRST-LAST/PROTO into ports ("80/tcp": {}). */
static int add_ports(json_t *ports, const char *spec, struct cc_error *err)
{
	const char *slash = strchr(spec, '/');
	const char *end = slash ? slash : spec + strlen(spec);
	const char *dash = memchr(spec, '-', (size_t)(end - spec));
	char proto[8] = "tcp";
	if (slash) {
		size_t n = strlen(slash + 1);
		if (n == 0 || n >= sizeof(proto))
			goto bad;
		for (size_t i = 0; i <= n; i++)
			proto[i] = (char)tolower((unsigned char)slash[1 + i]);
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "sctp") != 0)
			goto bad;
	}
	unsigned first, last;
	if (parse_port(spec, dash ? dash : end, &first) < 0 || (dash && parse_port(dash + 1, end, &last) < 0))
		goto bad;
	if (!dash)
		last = first;
	if (last < first)
		goto bad;
	if (json_object_size(ports) + (last - first + 1) > IMAGE_CHANGE_MAX_PORTS)
		return cc_error_set(err, EFBIG, "EXPOSE: more than %d ports", IMAGE_CHANGE_MAX_PORTS);
	for (unsigned p = first; p <= last; p++) {
		char key[32];
		snprintf(key, sizeof(key), "%u/%s", p, proto);
		json_object_set_new(ports, key, json_object());
	}
	return 0;
bad:
	return cc_error_set(err, EINVAL,
			    "EXPOSE: `%s` is not PORT[/PROTO] or FIRST-LAST[/PROTO] (ports 1-65535; tcp, udp or sctp)",
			    spec);
}

static int apply_expose(json_t *config, const char *value, struct cc_error *err)
{
	struct words ws;
	int r = split_words(value, &ws, err);
	if (r < 0)
		return r;
	if (ws.n == 0)
		r = cc_error_set(err, EINVAL, "EXPOSE needs a port: EXPOSE 80 or EXPOSE 53/udp");
	json_t *ports = json_object_get(config, "ExposedPorts");
	ports = json_is_object(ports) ? json_copy(ports) : json_object();
	for (size_t i = 0; r == 0 && i < ws.n; i++)
		r = add_ports(ports, ws.w[i].text, err);
	words_clear(&ws);
	if (r < 0) {
		json_decref(ports);
		return r;
	}
	json_object_set_new(config, "ExposedPorts", ports);
	return 0;
}

/* VOLUME ["/a", "/b"] or VOLUME /a /b. */
static int apply_volume(json_t *config, const char *value, struct cc_error *err)
{
	_cleanup_json_ json_t *list = NULL;
	if (value[0] == '[') {
		list = string_array(value);
		if (!list)
			return cc_error_set(err, EINVAL, "VOLUME: `%s` is not a JSON array of paths", value);
	} else {
		struct words ws;
		int r = split_words(value, &ws, err);
		if (r < 0)
			return r;
		list = json_array();
		for (size_t i = 0; i < ws.n; i++)
			json_array_append_new(list, json_string(ws.w[i].text));
		words_clear(&ws);
	}
	if (json_array_size(list) == 0)
		return cc_error_set(err, EINVAL, "VOLUME needs a path");
	size_t i;
	json_t *v;
	json_array_foreach (list, i, v)
		if (json_string_value(v)[0] != '/')
			return cc_error_set(err, EINVAL, "VOLUME: `%s` is not an absolute path", json_string_value(v));
	json_t *volumes = json_object_get(config, "Volumes");
	if (!json_is_object(volumes)) {
		volumes = json_object();
		json_object_set_new(config, "Volumes", volumes);
	}
	json_array_foreach (list, i, v)
		json_object_set_new(volumes, json_string_value(v), json_object());
	return 0;
}

/* ---- the table ---- */

static const struct {
	const char *name;
	int (*apply)(json_t *config, const char *value, struct cc_error *err);
} instructions[] = {
	{ "CMD", apply_cmd },       { "ENTRYPOINT", apply_entrypoint }, { "ENV", apply_env },
	{ "EXPOSE", apply_expose }, { "LABEL", apply_label },           { "STOPSIGNAL", apply_stopsignal },
	{ "USER", apply_user },     { "VOLUME", apply_volume },         { "WORKDIR", apply_workdir },
};

int image_change_apply(json_t *config, const char *change, struct cc_error *err)
{
	size_t len = strlen(change);
	if (len > IMAGE_CHANGE_MAX_SIZE)
		return cc_error_set(err, EFBIG, "--change `%.40s...` is longer than %u bytes", change,
				    IMAGE_CHANGE_MAX_SIZE);
	if (!cc_utf8_valid(change, len, NULL))
		return cc_error_set(err, EINVAL, "--change `%.100s` is not UTF-8 text", change);
	size_t name_len = 0;
	while (isalpha((unsigned char)change[name_len]))
		name_len++;
	char sep = change[name_len];
	int found = -1;
	for (size_t i = 0; name_len && i < CC_ARRAY_SIZE(instructions); i++)
		if (strlen(instructions[i].name) == name_len &&
		    strncasecmp(instructions[i].name, change, name_len) == 0)
			found = (int)i;
	if (found < 0 || (sep && sep != '=' && !isspace((unsigned char)sep)))
		return cc_error_set(
		    err, EINVAL,
		    "--change `%.100s`: not an instruction cocoon image import applies (CMD, ENTRYPOINT, "
		    "ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)",
		    change);
	/* The value without the whitespace around it. */
	const char *value = change + name_len + (sep ? 1 : 0);
	while (isspace((unsigned char)*value))
		value++;
	size_t value_len = strlen(value);
	while (value_len && isspace((unsigned char)value[value_len - 1]))
		value_len--;
	_cleanup_free_ char *trimmed = cc_xstrndup(value, value_len);
	int r = instructions[found].apply(config, trimmed, err);
	if (r < 0)
		return cc_error_prefix(err, "--change `%.100s`", change);
	return 0;
}
