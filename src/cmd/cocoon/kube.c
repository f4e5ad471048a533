/* cocoon get / apply / delete: kubectl's everyday verbs against cocoond's Kubernetes API, for hosts
 * without kubectl (a fresh Debian has none). Same API, same output shapes: `get` prints the server's
 * Table (kubectl's columns), `-o json|name`; `apply -f` sends each document as a server-side apply
 * (application/apply-patch+yaml) and says created, configured or unchanged; `delete` takes names or
 * files. Resources are found through discovery by plural, singular, short name or kind. */
#include "cmd/cli.h"
#include "commands.h"
#include "kube_client.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon get RESOURCE [NAME] [-n NS | -A] [-l SELECTOR] [-o wide|json|name]\n"
		     "       cocoon apply -f FILE|- [-n NS]\n"
		     "       cocoon delete RESOURCE NAME... [-n NS]  |  cocoon delete -f FILE|-\n"
		     "\n"
		     "kubectl's everyday verbs against cocoond's Kubernetes API. RESOURCE is a plural, singular or\n"
		     "short name, or a kind (pods, pod, po, Pod). apply sends each YAML or JSON document as a\n"
		     "server-side apply.\n"
		     "\n" KUBE_CONNECTION_USAGE);
}

/* ---- get ---- */

/* A Table cell as text: strings as they are, numbers in decimal. */
static void cell_text(const json_t *row, size_t column, char *out, size_t size)
{
	const json_t *v = json_array_get(json_object_get(row, "cells"), column);
	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
	else
		snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
}

static const char *row_namespace(const json_t *row)
{
	return json_string_value(
	    json_object_get(json_object_get(json_object_get(row, "object"), "metadata"), "namespace"));
}

static void print_table(const struct kube *k, const json_t *table)
{
	bool wide = k->output && strcmp(k->output, "wide") == 0;
	const json_t *columns = json_object_get(table, "columnDefinitions");
	const json_t *rows = json_object_get(table, "rows");
	if (json_array_size(rows) == 0) {
		if (k->all_namespaces)
			fprintf(stderr, "No resources found\n");
		else
			fprintf(stderr, "No resources found in %s namespace.\n",
				k->namespace ? k->namespace : "default");
		return;
	}
	size_t ncol = json_array_size(columns), width[32] = { 0 };
	bool shown[32] = { false };
	size_t ns_width = strlen("NAMESPACE");
	for (size_t c = 0; c < ncol && c < 32; c++) {
		const json_t *col = json_array_get(columns, c);
		shown[c] = wide || json_integer_value(json_object_get(col, "priority")) == 0;
		width[c] = strlen(json_string_value(json_object_get(col, "name")) ?: "");
	}
	size_t r;
	const json_t *row;
	char cell[512];
	json_array_foreach (rows, r, row) {
		const char *ns = row_namespace(row);
		if (ns && strlen(ns) > ns_width)
			ns_width = strlen(ns);
		for (size_t c = 0; c < ncol && c < 32; c++) {
			cell_text(row, c, cell, sizeof(cell));
			if (strlen(cell) > width[c])
				width[c] = strlen(cell);
		}
	}
	if (k->all_namespaces)
		printf("%-*s   ", (int)ns_width, "NAMESPACE");
	size_t last = 0;
	for (size_t c = 0; c < ncol && c < 32; c++)
		if (shown[c])
			last = c;
	for (size_t c = 0, first = 1; c < ncol && c < 32; c++) {
		if (!shown[c])
			continue;
		char head[64];
		snprintf(head, sizeof(head), "%s",
			 json_string_value(json_object_get(json_array_get(columns, c), "name")));
		for (char *p = head; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		printf("%s%-*s", first ? "" : "   ", c == last ? 0 : (int)width[c], head);
		first = 0;
	}
	printf("\n");
	json_array_foreach (rows, r, row) {
		if (k->all_namespaces)
			printf("%-*s   ", (int)ns_width, row_namespace(row) ?: "");
		for (size_t c = 0, first = 1; c < ncol && c < 32; c++) {
			if (!shown[c])
				continue;
			cell_text(row, c, cell, sizeof(cell));
			printf("%s%-*s", first ? "" : "   ", c == last ? 0 : (int)width[c], cell);
			first = 0;
		}
		printf("\n");
	}
}

static int get(struct kube *k, int argc, char **argv)
{
	if (argc < 1 || argc > 2) {
		cli_error(k->program, "get needs RESOURCE [NAME]");
		return CLI_EXIT_USAGE;
	}
	struct resource r;
	if (kube_load_discovery(k) < 0 || !kube_find_resource(k, argv[0], NULL, &r))
		return CLI_EXIT_FAILURE;
	const char *ns = k->all_namespaces ? NULL : (k->namespace ? k->namespace : "default");
	_cleanup_free_ char *path = kube_object_path(&r, ns, argc == 2 ? argv[1] : NULL);
	_cleanup_free_ char *query = NULL;
	if (k->selector) {
		_cleanup_free_ char *enc = kube_query_escape(k->selector);
		query = cc_xasprintf("%s?labelSelector=%s", path, enc);
	}
	bool table = !k->output || strcmp(k->output, "wide") == 0;
	long status;
	_cleanup_json_ json_t *doc = NULL;
	if (kube_request(k, "GET", query ? query : path, NULL, NULL,
			 table ? "application/json;as=Table;v=v1;g=meta.k8s.io, application/json" : NULL, &status,
			 &doc) < 0)
		return CLI_EXIT_FAILURE;
	if (status == 404) {
		fprintf(stderr, "Error from server (NotFound): %s\n",
			json_string_value(json_object_get(doc, "message")) ?: "not found");
		return CLI_EXIT_FAILURE;
	}
	if (table) {
		print_table(k, doc);
	} else if (strcmp(k->output, "json") == 0) {
		_cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(4) | JSON_SORT_KEYS);
		printf("%s\n", text);
	} else if (strcmp(k->output, "name") == 0) {
		char type[160];
		kube_type_name(&r, type, sizeof(type));
		json_t *items = json_object_get(doc, "items");
		if (!items)
			items = json_pack("[O]", doc);
		else
			json_incref(items);
		size_t i;
		json_t *item;
		json_array_foreach (items, i, item)
			printf("%s/%s\n", type,
			       json_string_value(json_object_get(json_object_get(item, "metadata"), "name")));
		json_decref(items);
	} else {
		cli_error(k->program, "unknown output format `%s` (wide, json or name)", k->output);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* ---- apply and delete -f ---- */

static int for_each_document(struct kube *k, int (*fn)(struct kube *k, json_t *doc))
{
	_cleanup_json_ json_t *docs = NULL;
	struct cc_error err = { 0 };
	int r;
	if (strcmp(k->file, "-") == 0) {
		_cleanup_free_ char *data = NULL;
		size_t len;
		r = cc_read_fd(0, "standard input", 4u << 20, &data, &len, &err);
		if (r == 0)
			r = cc_yaml_parse_stream(data, len, "standard input", &docs, &err);
	} else {
		r = cc_yaml_load_file(k->file, &docs, &err);
	}
	if (r < 0) {
		cli_error(k->program, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (kube_load_discovery(k) < 0)
		return CLI_EXIT_FAILURE;
	int failed = 0;
	size_t i;
	json_t *doc;
	json_array_foreach (docs, i, doc)
		failed |= fn(k, doc) != 0;
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int document_target(struct kube *k, json_t *doc, struct resource *r, const char **ret_ns, const char **ret_name)
{
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	const char *api_version = json_string_value(json_object_get(doc, "apiVersion"));
	const json_t *meta = json_object_get(doc, "metadata");
	*ret_name = json_string_value(json_object_get(meta, "name"));
	if (!kind || !api_version || !*ret_name) {
		cli_error(k->program, "%s: a document without kind, apiVersion or metadata.name", k->file);
		return -1;
	}
	if (!kube_find_resource(k, kind, api_version, r))
		return -1;
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	*ret_ns = ns ? ns : (k->namespace ? k->namespace : "default");
	return 0;
}

static int apply_one(struct kube *k, json_t *doc)
{
	struct resource r;
	const char *ns, *name;
	if (document_target(k, doc, &r, &ns, &name) < 0)
		return -1;
	_cleanup_free_ char *path = kube_object_path(&r, ns, name);
	long status;
	_cleanup_json_ json_t *before = NULL, *after = NULL;
	if (kube_request(k, "GET", path, NULL, NULL, NULL, &status, &before) < 0)
		return -1;
	bool existed = status == 200;
	_cleanup_free_ char *apply = cc_xasprintf("%s?fieldManager=cocoon&force=true", path);
	_cleanup_free_ char *body = json_dumps(doc, JSON_COMPACT);
	if (kube_request(k, "PATCH", apply, "application/apply-patch+yaml", body, NULL, &status, &after) < 0 ||
	    status >= 400)
		return -1;
	const char *rv_before =
	    json_string_value(json_object_get(json_object_get(before, "metadata"), "resourceVersion"));
	const char *rv_after =
	    json_string_value(json_object_get(json_object_get(after, "metadata"), "resourceVersion"));
	char type[160];
	kube_type_name(&r, type, sizeof(type));
	printf("%s/%s %s\n", type, name,
	       !existed ? "created"
			: (rv_before && rv_after && strcmp(rv_before, rv_after) == 0 ? "unchanged" : "configured"));
	return 0;
}

static int delete_named(struct kube *k, const struct resource *r, const char *ns, const char *name)
{
	_cleanup_free_ char *path = kube_object_path(r, ns, name);
	long status;
	_cleanup_json_ json_t *gone = NULL;
	if (kube_request(k, "DELETE", path, NULL, NULL, NULL, &status, &gone) < 0)
		return -1;
	if (status == 404) {
		fprintf(stderr, "Error from server (NotFound): %s\n",
			json_string_value(json_object_get(gone, "message")) ?: "not found");
		return -1;
	}
	char type[160];
	kube_type_name(r, type, sizeof(type));
	printf("%s \"%s\" deleted\n", type, name);
	return 0;
}

static int delete_one(struct kube *k, json_t *doc)
{
	struct resource r;
	const char *ns, *name;
	if (document_target(k, doc, &r, &ns, &name) < 0)
		return -1;
	return delete_named(k, &r, ns, name);
}

/* ---- the commands ---- */

static int run(int argc, char **argv, const char *verb)
{
	static const struct option verb_options[] = {
		{ "all-namespaces", no_argument, NULL, 'A' }, { "selector", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },   { "filename", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },           { 0 },
	};
	_cleanup_free_ struct option *options = kube_options(verb_options);
	char program[32];
	snprintf(program, sizeof(program), "cocoon %s", verb);
	struct kube k;
	kube_init(&k, program);
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "n:Al:o:f:h", options, NULL)) != -1) {
		if (kube_option(&k, c, optarg))
			continue;
		switch (c) {
		case 'A': k.all_namespaces = true; break;
		case 'l': k.selector = optarg; break;
		case 'o': k.output = optarg; break;
		case 'f': k.file = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	kube_connect(&k);
	int rc;
	if (strcmp(verb, "get") == 0) {
		rc = get(&k, argc - optind, argv + optind);
	} else if (strcmp(verb, "apply") == 0) {
		if (!k.file) {
			cli_error(program, "apply needs -f FILE (or - for standard input)");
			return CLI_EXIT_USAGE;
		}
		rc = for_each_document(&k, apply_one);
	} else if (k.file) {
		rc = for_each_document(&k, delete_one);
	} else if (argc - optind < 2) {
		cli_error(program, "delete needs RESOURCE NAME... or -f FILE");
		rc = CLI_EXIT_USAGE;
	} else {
		struct resource r;
		rc = kube_load_discovery(&k) < 0 || !kube_find_resource(&k, argv[optind], NULL, &r) ? CLI_EXIT_FAILURE
												    : CLI_EXIT_OK;
		for (int i = optind + 1; rc == CLI_EXIT_OK && i < argc; i++)
			if (delete_named(&k, &r, k.namespace ? k.namespace : "default", argv[i]) < 0)
				rc = CLI_EXIT_FAILURE;
	}
	kube_clear(&k);
	return rc;
}

int cmd_get(int argc, char **argv)
{
	return run(argc, argv, "get");
}

int cmd_apply(int argc, char **argv)
{
	return run(argc, argv, "apply");
}

int cmd_delete(int argc, char **argv)
{
	return run(argc, argv, "delete");
}
