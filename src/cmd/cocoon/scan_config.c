/* cocoon scan config PATH...: the misconfigurations of the workloads in Kubernetes manifests (Pod
 * Security Standards and cocoon's confidential policy; docs/scan.md, "Workload configuration
 * checks"). The checks are src/scan/workload.h's; this file reads the files (YAML streams, JSON,
 * directories walked), says where a document that is not a Kubernetes object is, and prints. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/str.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "scan/report.h"
#include "scan/workload.h"
#include "tabwriter.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRAM "cocoon scan config"
/* Directories are walked this deep; a manifest file is read up to the YAML reader's limit. */
#define MAX_DIR_DEPTH 32
#define MAX_FILE_SIZE CC_YAML_MAX_SIZE

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon scan config [OPTIONS] PATH...\n\n"
		"Checks the workloads of Kubernetes manifests (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,\n"
		"ReplicationController, Job, CronJob, PodTemplate, and Lists of them) against the Pod Security\n"
		"Standards, worded as kube-apiserver words its refusals, and against cocoon's confidential policy\n"
		"(runtimeClassName cocoon, images by digest, nothing of the host's). PATH is a YAML file (several\n"
		"documents allowed), a JSON file, `-` for standard input, or a directory whose *.yaml, *.yml and\n"
		"*.json files are read, subdirectories too (names starting with a dot and symbolic links skipped).\n\n"
		"Options:\n"
		"  -f, --format FORMAT   table (default) or json\n"
		"  --level LEVEL         the Pod Security level: restricted (default, cocoond's), baseline, or\n"
		"                        privileged (no Pod Security checks)\n"
		"  --no-confidential     leave out cocoon's confidential policy\n"
		"  --fail-on SEVERITY    exit 1 when a misconfiguration is at least this severe\n"
		"                        (critical, high, medium, low)\n"
		"  -h, --help            show this help\n\n"
		"Exit codes: 0 scanned (and nothing reached --fail-on), 1 a misconfiguration reached --fail-on or a\n"
		"file could not be read or is not Kubernetes manifests, 2 usage error.\n");
}

struct config_scan {
	enum scan_pss_level level;
	bool confidential;
	const char *file;          /* being read */
	json_t *misconfigurations; /* every one, with "file" */
	json_t *objects;           /* [{file, kind, namespace, name, misconfigurations}] with at least one */
	size_t n_objects, n_workloads, n_failed;
};

static int visit(const struct scan_workload *w, void *userdata)
{
	struct config_scan *s = userdata;
	s->n_objects++;
	if (!w->pod_spec)
		return 0;
	s->n_workloads++;
	json_t *found = json_array();
	scan_workload_misconfigurations(w, s->level, s->confidential, found);
	size_t i;
	json_t *m;
	json_array_foreach (found, i, m) {
		json_object_set_new(m, "file", json_string(s->file));
		json_array_append(s->misconfigurations, m);
	}
	if (!json_array_size(found)) {
		json_decref(found);
		return 0;
	}
	json_array_append_new(s->objects,
			      json_pack("{s:s, s:s, s:o, s:o, s:o}", "file", s->file, "kind", w->kind, "namespace",
					w->namespace ? json_string(w->namespace) : json_null(), "name",
					w->name ? json_string(w->name) : json_null(), "misconfigurations", found));
	return 0;
}

/* kubectl's YAML reader ends a document at a line that is "---" and blanks. */
static bool separator_line(const char *line, size_t n)
{
	if (n < 3 || strncmp(line, "---", 3) != 0)
		return false;
	for (size_t i = 3; i < n; i++)
		if (!strchr(" \t\r", line[i]))
			return false;
	return true;
}

/* A line that holds nothing of a document: blank, a comment, a directive, a document end. */
static bool empty_line(const char *line, size_t n)
{
	size_t i = 0;
	while (i < n && strchr(" \t\r", line[i]))
		i++;
	return i == n || line[i] == '#' || (i == 0 && line[0] == '%') || (n - i >= 3 && !strncmp(line + i, "...", 3));
}

/* The line each document of a YAML stream starts at (its first line with content), to name it in
 * messages: the stream is split where kubectl splits it and each part parsed again, so the
 * documents line up with the whole stream's even where empty ones were skipped. false when they do
 * not (a document started on the line of its `---`), and the messages give document numbers only. */
static bool document_lines(const char *data, size_t len, size_t n_docs, size_t *lines)
{
	size_t doc = 0, line = 1, start = 0, first = 0, pos = 0;
	for (;;) {
		bool at_end = pos >= len;
		const char *eol = at_end ? NULL : memchr(data + pos, '\n', len - pos);
		size_t n = at_end ? 0 : eol ? (size_t)(eol - (data + pos)) : len - pos;
		bool sep = !at_end && separator_line(data + pos, n);
		if (!at_end && !sep && !first && !empty_line(data + pos, n))
			first = line;
		if (sep || at_end) {
			json_t *part = NULL;
			if (cc_yaml_parse_stream(data + start, pos - start, "", &part, NULL) < 0)
				return false;
			size_t k = json_array_size(part);
			json_decref(part);
			for (; k; k--) {
				if (doc == n_docs)
					return false;
				lines[doc++] = first ? first : line;
			}
			start = pos + n + (eol != NULL);
			first = 0;
		}
		if (at_end)
			break;
		pos += n + (eol != NULL);
		line++;
	}
	return doc == n_docs;
}

/* One file's text: JSON when it is named *.json, else a YAML stream (of which JSON is one form). */
static void scan_text(struct config_scan *s, const char *name, const char *data, size_t len)
{
	struct cc_error err = { 0 };
	json_t *docs = NULL;
	bool json = cc_str_has_suffix(name, ".json");
	if (json) {
		json_t *doc;
		if (cc_json_parse(data, len, MAX_FILE_SIZE, name, &doc, &err) == 0)
			docs = json_pack("[o]", doc);
	} else {
		cc_yaml_parse_stream(data, len, name, &docs, &err);
	}
	if (!docs) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		s->n_failed++;
		return;
	}
	size_t n = json_array_size(docs);
	_cleanup_free_ size_t *lines = cc_xcalloc(n ? n : 1, sizeof(size_t));
	bool have_lines = json ? (lines[0] = 1, true) : document_lines(data, len, n, lines);
	s->file = name;
	bool failed = false;
	for (size_t i = 0; i < n; i++) {
		cc_error_clear(&err);
		if (scan_workload_each(json_array_get(docs, i), visit, s, &err) >= 0)
			continue;
		if (have_lines)
			cli_error(PROGRAM, "%s: document %zu (line %zu): %s", name, i + 1, lines[i],
				  cc_error_message(&err));
		else
			cli_error(PROGRAM, "%s: document %zu: %s", name, i + 1, cc_error_message(&err));
		failed = true;
	}
	s->n_failed += failed;
	json_decref(docs);
}

/* A file opened without blocking (a FIFO put where a file was must not hang the walk): a regular
 * file, or, where the user named it, also a pipe or a terminal, read blocking. */
static void scan_fd(struct config_scan *s, int fd, const char *name, bool named)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode) || (!named && !S_ISREG(st.st_mode))) {
		cli_error(PROGRAM, "%s: not a regular file", name);
		s->n_failed++;
		return;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0 && (flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	_cleanup_free_ char *data = NULL;
	size_t len;
	struct cc_error err = { 0 };
	if (cc_read_fd(fd, name, MAX_FILE_SIZE, &data, &len, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		s->n_failed++;
		return;
	}
	scan_text(s, name, data, len);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool manifest_name(const char *name)
{
	return cc_str_has_suffix(name, ".yaml") || cc_str_has_suffix(name, ".yml") || cc_str_has_suffix(name, ".json");
}

/* A directory, held by dir_fd (closed here): its entries in name order, each opened from the
 * directory's fd without following a symbolic link. */
static void scan_dir(struct config_scan *s, int dir_fd, const char *path, int depth)
{
	_cleanup_close_ int fd = dir_fd;
	if (depth > MAX_DIR_DEPTH) {
		cli_error(PROGRAM, "%s: directories nested deeper than %d: not read", path, MAX_DIR_DEPTH);
		s->n_failed++;
		return;
	}
	DIR *dir = cc_opendir_dup(fd);
	if (!dir) {
		cli_error(PROGRAM, "%s: cannot list: %m", path);
		s->n_failed++;
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = cc_xrealloc(names, cap * sizeof(names[0]));
		}
		names[n++] = cc_xstrdup(e->d_name);
	}
	closedir(dir);
	if (n)
		qsort(names, n, sizeof(names[0]), compare_names);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *child =
		    cc_xasprintf("%s%s%s", path, cc_str_has_suffix(path, "/") ? "" : "/", names[i]);
		struct stat st;
		if (fstatat(fd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			cli_error(PROGRAM, "%s: %m", child);
			s->n_failed++;
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				cli_error(PROGRAM, "%s: cannot open: %m", child);
				s->n_failed++;
			} else {
				scan_dir(s, sub, child, depth + 1);
			}
		} else if (S_ISREG(st.st_mode) && manifest_name(names[i])) {
			_cleanup_close_ int file = openat(fd, names[i], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			if (file < 0) {
				cli_error(PROGRAM, "%s: cannot open: %m", child);
				s->n_failed++;
			} else {
				scan_fd(s, file, child, false);
			}
		}
		free(names[i]);
	}
	free(names);
}

/* A PATH as given: `-`, a file (symbolic links followed: the user named it), or a directory. */
static void scan_path(struct config_scan *s, const char *path)
{
	if (strcmp(path, "-") == 0) {
		scan_fd(s, STDIN_FILENO, "-", true);
		return;
	}
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		cli_error(PROGRAM, "%s: cannot open: %m", path);
		s->n_failed++;
		return;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		scan_dir(s, fd, path, 0);
		return;
	}
	scan_fd(s, fd, path, true);
	close(fd);
}

static const char *str(const json_t *o, const char *key, const char *none)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : none;
}

struct row {
	const json_t *m;
	size_t index;
};

static int by_severity(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int rx = scan_severity_rank(str(x->m, "severity", "")), ry = scan_severity_rank(str(y->m, "severity", ""));
	if (rx != ry)
		return ry - rx;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void print_table(const struct config_scan *s)
{
	static const char *const severities[] = { "critical", "high", "medium", "low" };
	size_t counts[4] = { 0 };
	size_t i;
	json_t *m;
	json_array_foreach (s->misconfigurations, i, m)
		for (size_t k = 0; k < 4; k++)
			counts[k] += !strcmp(str(m, "severity", ""), severities[k]);
	printf("Objects: %zu  Workloads: %zu  Misconfigurations: %zu (critical %zu, high %zu, medium %zu, low %zu)\n",
	       s->n_objects, s->n_workloads, json_array_size(s->misconfigurations), counts[0], counts[1], counts[2],
	       counts[3]);
	printf("Checks: Pod Security %s:latest%s\n", scan_pss_level_name(s->level),
	       s->confidential ? ", cocoon confidential policy" : "");
	json_t *object;
	json_array_foreach (s->objects, i, object) {
		const char *ns = str(object, "namespace", NULL);
		printf("\n%s %s%s%s (%s)\n", str(object, "kind", "?"), ns ? ns : "", ns ? "/" : "",
		       str(object, "name", "(unnamed)"), str(object, "file", "?"));
		const json_t *items = json_object_get(object, "misconfigurations");
		size_t n = json_array_size(items);
		struct row *rows = cc_xcalloc(n, sizeof(rows[0]));
		for (size_t k = 0; k < n; k++)
			rows[k] = (struct row){ json_array_get(items, k), k };
		qsort(rows, n, sizeof(rows[0]), by_severity);
		struct tabwriter w = { 0 };
		tabwriter_printf(&w, 0, "SEVERITY\tID\tCONTAINER\tFIELD\tMESSAGE\n");
		for (size_t k = 0; k < n; k++)
			tabwriter_printf(&w, 0, "%s\t%s\t%s\t%s\t%s\n", str(rows[k].m, "severity", "?"),
					 str(rows[k].m, "id", "?"), str(rows[k].m, "container", "-"),
					 str(rows[k].m, "field", "-"), str(rows[k].m, "message", ""));
		tabwriter_flush(&w, stdout);
		tabwriter_free(&w);
		free(rows);
	}
}

static void print_json(const struct config_scan *s, int argc, char **argv)
{
	_cleanup_free_ char *target = NULL;
	for (int i = 0; i < argc; i++) {
		char *joined = cc_xasprintf("%s%s%s", target ? target : "", target ? ", " : "", argv[i]);
		free(target);
		target = joined;
	}
	json_t *doc = json_pack("{s:s, s:I, s:O}", "target", target ? target : "", "objects", (json_int_t)s->n_objects,
				"misconfigurations", s->misconfigurations);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	fputc('\n', stdout);
	json_decref(doc);
}

int cmd_scan_config(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },  { "level", required_argument, NULL, 'l' },
		{ "fail-on", required_argument, NULL, 'F' }, { "no-confidential", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },          { 0 },
	};
	struct config_scan s = { .level = SCAN_PSS_RESTRICTED, .confidential = true };
	const char *format = "table", *fail_on_name = NULL;
	int fail_on = -1;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'l':
			if (scan_pss_level_parse(optarg, &s.level) < 0) {
				cli_error(PROGRAM, "--level takes restricted, baseline or privileged, not `%s`",
					  optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'F':
			fail_on_name = optarg;
			if ((fail_on = scan_severity_rank(optarg)) < 0) {
				cli_error(PROGRAM, "--fail-on takes critical, high, medium or low, not `%s`", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'n': s.confidential = false; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0) {
		cli_error(PROGRAM, "--format takes table or json, not `%s`", format);
		return CLI_EXIT_USAGE;
	}
	if (optind >= argc) {
		cli_error(PROGRAM, "give at least one PATH (a manifest file, a directory of them, or -); see --help");
		return CLI_EXIT_USAGE;
	}
	s.misconfigurations = json_array();
	s.objects = json_array();
	for (int i = optind; i < argc; i++)
		scan_path(&s, argv[i]);
	if (strcmp(format, "json") == 0)
		print_json(&s, argc - optind, argv + optind);
	else
		print_table(&s);
	int rc = CLI_EXIT_OK;
	if (s.n_failed) {
		cli_error(PROGRAM, "%zu %s could not be read or %s not Kubernetes manifests", s.n_failed,
			  s.n_failed == 1 ? "file" : "files", s.n_failed == 1 ? "is" : "are");
		rc = CLI_EXIT_FAILURE;
	}
	size_t i;
	json_t *m;
	bool reached = false;
	json_array_foreach (s.misconfigurations, i, m)
		reached |= fail_on >= 0 && scan_severity_rank(str(m, "severity", "")) >= fail_on;
	if (reached) {
		fprintf(stderr, "%s: misconfigurations at or above --fail-on %s\n", PROGRAM, fail_on_name);
		rc = CLI_EXIT_FAILURE;
	}
	json_decref(s.misconfigurations);
	json_decref(s.objects);
	return rc;
}
