/* cocoon image: pull, load, import, list, inspect and remove images in the local store
 * (src/image/store.h, src/image/pull.h, src/image/import.h). */
#include "cmd/cli.h"
#include "commands.h"
#include "image/import.h"
#include "image/pull.h"
#include "image/store.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM "cocoon image"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon image pull [--ca FILE] [--creds USER:PASSWORD] [--authfile FILE]\n"
		"                         [--tls-verify=false] [--store DIR] [--json] [--quiet] REF\n"
		"       cocoon image load FILE [--name REF] [--store DIR] [--json] [--quiet]\n"
		"       cocoon image import [--change INSTRUCTION]... [--message TEXT] [--store DIR] [--json]\n"
		"                           [--quiet] TARBALL|- NAME\n"
		"       cocoon image list [--store DIR] [--json]\n"
		"       cocoon image inspect REF [--store DIR]\n"
		"       cocoon image rm REF [--store DIR]\n\n"
		"pull fetches REF (REGISTRY[:PORT]/NAME[:TAG] or REGISTRY[:PORT]/NAME@sha256:HEX) from its OCI\n"
		"registry over HTTPS (the system's CAs, or --ca FILE), this machine's linux platform from an\n"
		"index, each blob checked against its digest and only those the store lacks fetched; a name\n"
		"without a registry is refused (localhost/NAME is a local image). Credentials: --creds, else\n"
		"--authfile or the auth file podman login writes. --tls-verify=false accepts an unverified\n"
		"certificate and a registry speaking plain HTTP.\n"
		"load reads a docker-archive (`docker save`, `podman save --format docker-archive`) or an\n"
		"oci-archive (`podman save --format oci-archive`), gzip or zstd layers included, checks every\n"
		"blob and layer against its digest, and unpacks each layer once for overlayfs; --name tags the\n"
		"archive's image. REF is a name (`busybox` means `busybox:latest`), NAME@sha256:HEX, a manifest\n"
		"digest or an image ID (12 or more hex digits). rm untags a name, and removes the image with\n"
		"its last name or when given a digest; layers another image uses stay.\n"
		"import makes a one-layer image NAME of a root filesystem tarball (tar, gzip or zstd; - reads\n"
		"standard input), as podman import does; each --change (-c) is a Dockerfile instruction for its\n"
		"config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR, e.g.\n"
		"-c 'ENV PATH=/bin' -c 'CMD [\"/bin/sh\"]'. SOURCE_DATE_EPOCH sets its creation time.\n"
		"The store is DIR (default %s, or COCOON_IMAGE_STORE).\n"
		"Limits: COCOON_IMAGE_MAX_ENTRY_SIZE and COCOON_IMAGE_MAX_LAYER_SIZE (bytes) override %llu and\n"
		"%llu per file and per unpacked layer.\n",
		IMAGE_STORE_DEFAULT_ROOT, (unsigned long long)IMAGE_DEFAULT_MAX_ENTRY_SIZE,
		(unsigned long long)IMAGE_DEFAULT_MAX_LAYER_SIZE);
}

struct image_args {
	const char *verb, *arg, *name, *store, *message;
	const char *ca, *authfile;
	char *creds;
	bool tls_verify;
	char **changes;
	size_t n_changes;
	bool json, quiet;
};

static void image_args_clear(struct image_args *a)
{
	free(a->changes);
	if (a->creds)
		OPENSSL_cleanse(a->creds, strlen(a->creds));
	free(a->creds);
}

/* podman's boolean flags: --tls-verify, --tls-verify=true, --tls-verify=false. */
static int parse_bool(const char *option, const char *value, bool *ret)
{
	if (!value || strcmp(value, "true") == 0)
		*ret = true;
	else if (strcmp(value, "false") == 0)
		*ret = false;
	else {
		cli_error(PROGRAM, "--%s takes true or false, not `%s`", option, value);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int parse(int argc, char **argv, struct image_args *a)
{
	static const struct option options[] = {
		{ "name", required_argument, NULL, 'n' },     { "store", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },           { "quiet", no_argument, NULL, 'q' },
		{ "change", required_argument, NULL, 'c' },   { "message", required_argument, NULL, 'm' },
		{ "ca", required_argument, NULL, 'C' },       { "creds", required_argument, NULL, 'u' },
		{ "authfile", required_argument, NULL, 'a' }, { "tls-verify", optional_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },           { 0 },
	};
	const char *env_store = getenv("COCOON_IMAGE_STORE");
	*a = (struct image_args){ .verb = argv[0],
				  .store = env_store && *env_store ? env_store : NULL,
				  .tls_verify = true };
	bool registry_options = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "hqc:m:", options, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->changes = cc_xrealloc(a->changes, (a->n_changes + 1) * sizeof(*a->changes));
			a->changes[a->n_changes++] = optarg;
			break;
		case 'm': a->message = optarg; break;
		case 'n': a->name = optarg; break;
		case 's': a->store = optarg; break;
		case 'j': a->json = true; break;
		case 'q': a->quiet = true; break;
		case 'C': a->ca = optarg, registry_options = true; break;
		case 'a': a->authfile = optarg, registry_options = true; break;
		case 'u':
			free(a->creds);
			a->creds = cc_xstrdup(optarg);
			OPENSSL_cleanse(optarg, strlen(optarg)); /* off the command line ps shows */
			registry_options = true;
			break;
		case 't':
			if (parse_bool("tls-verify", optarg, &a->tls_verify))
				return CLI_EXIT_USAGE;
			registry_options = true;
			break;
		case 'h': usage(stdout); return -1;
		default: return CLI_EXIT_USAGE;
		}
	}
	bool import = strcmp(a->verb, "import") == 0;
	if (registry_options && strcmp(a->verb, "pull") != 0) {
		cli_error(PROGRAM, "--ca, --creds, --authfile and --tls-verify are options of pull");
		return CLI_EXIT_USAGE;
	}
	if (a->creds && !strchr(a->creds, ':')) {
		cli_error(PROGRAM, "--creds takes USER:PASSWORD");
		return CLI_EXIT_USAGE;
	}
	if ((a->n_changes || a->message) && !import) {
		cli_error(PROGRAM, "--change and --message are options of import");
		return CLI_EXIT_USAGE;
	}
	if (import) {
		if (optind + 2 != argc) {
			cli_error(PROGRAM, "import needs TARBALL (or - for standard input) and NAME");
			return CLI_EXIT_USAGE;
		}
		a->arg = argv[optind];
		a->name = argv[optind + 1];
		return 0;
	}
	bool wants_arg = strcmp(a->verb, "list") != 0;
	if (optind + (wants_arg ? 1 : 0) != argc) {
		cli_error(PROGRAM, wants_arg ? "%s needs exactly one %s" : "%s takes no arguments", a->verb,
			  strcmp(a->verb, "load") == 0 ? "FILE" : "REF");
		return CLI_EXIT_USAGE;
	}
	a->arg = wants_arg ? argv[optind] : NULL;
	if (a->name && strcmp(a->verb, "load") != 0) {
		cli_error(PROGRAM, "--name is an option of load");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int limit_from_env(const char *var, uint64_t *limit)
{
	const char *v = getenv(var);
	if (!v || !*v)
		return 0;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (*end || n == 0) {
		cli_error(PROGRAM, "%s=`%s` is not a number of bytes", var, v);
		return CLI_EXIT_USAGE;
	}
	*limit = n;
	return 0;
}

static void progress(void *ctx, const char *line)
{
	fprintf(stderr, "%s\n", line);
}

static json_t *strings_json(char **a, size_t n)
{
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_string(a[i]));
	return out;
}

static json_t *info_json(const struct image_info *i)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:s, s:s}", "digest", i->digest, "id", i->id, "names",
			 strings_json(i->names, i->n_names), "repo_digests",
			 strings_json(i->repo_digests, i->n_repo_digests), "size", (json_int_t)i->size, "layers",
			 (json_int_t)i->n_layers, "created", i->created, "format", i->format);
}

static void print_json(json_t *v)
{
	_cleanup_free_ char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", text);
	json_decref(v);
}

static void print_loaded(const struct image_args *a, const char *verb, struct image_load_result *res)
{
	if (a->json) {
		json_t *images = json_array();
		for (size_t i = 0; i < res->n_images; i++)
			json_array_append_new(images, info_json(&res->images[i]));
		print_json(json_pack("{s:o, s:I, s:I}", "images", images, "layers_unpacked",
				     (json_int_t)res->layers_unpacked, "devices_skipped",
				     (json_int_t)res->devices_skipped));
	} else {
		for (size_t i = 0; i < res->n_images; i++) {
			const struct image_info *info = &res->images[i];
			printf("%s image %s (%s, id %s)\n", verb, info->n_names ? info->names[0] : "<no name>",
			       info->digest, info->id);
			for (size_t j = 1; j < info->n_names; j++)
				printf("  also named %s\n", info->names[j]);
		}
		if (res->devices_skipped)
			printf("%llu device node(s) skipped: layers may not create devices\n",
			       (unsigned long long)res->devices_skipped);
	}
}

static int do_load(const struct image_args *a, struct image_store *store)
{
	struct cc_error err = { 0 };
	struct image_load_result res = { 0 };
	if (!a->quiet && !a->json)
		image_store_set_progress(store, progress, NULL);
	if (image_store_load(store, a->arg, a->name, &res, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	print_loaded(a, "Loaded", &res);
	image_load_result_clear(&res);
	return CLI_EXIT_OK;
}

static void print_pulled(const struct image_args *a, const struct image_pull_result *res, double seconds)
{
	const struct image_info *info = &res->image;
	if (a->json) {
		json_t *out = info_json(info);
		json_object_set_new(out, "reference", json_string(res->reference));
		json_object_set_new(out, "index_digest",
				    res->index_digest ? json_string(res->index_digest) : json_null());
		json_object_set_new(out, "local", json_boolean(res->local));
		json_object_set_new(out, "blobs_fetched", json_integer((json_int_t)res->blobs_fetched));
		json_object_set_new(out, "blobs_skipped", json_integer((json_int_t)res->blobs_skipped));
		json_object_set_new(out, "bytes_fetched", json_integer((json_int_t)res->bytes_fetched));
		json_object_set_new(out, "layers_unpacked", json_integer((json_int_t)res->layers_unpacked));
		json_object_set_new(out, "seconds", json_real(seconds));
		print_json(out);
		return;
	}
	if (res->local) {
		printf("Image %s is local (%s, id %s): nothing to pull\n", res->reference, info->digest, info->id);
		return;
	}
	printf("Pulled image %s (%s, id %s) in %.1fs: %llu blob(s) fetched (%.1f MB), %llu already in the store\n",
	       res->reference, info->digest, info->id, seconds, (unsigned long long)res->blobs_fetched,
	       (double)res->bytes_fetched / 1e6, (unsigned long long)res->blobs_skipped);
}

static int do_pull(const struct image_args *a, struct image_store *store)
{
	struct image_pull_options opts;
	image_pull_options_default(&opts);
	opts.ca_file = a->ca;
	opts.tls_verify = a->tls_verify;
	opts.creds = a->creds;
	opts.auth_file = a->authfile;
	struct cc_error err = { 0 };
	struct image_pull_result res = { 0 };
	if (!a->quiet && !a->json)
		image_store_set_progress(store, progress, NULL);
	int64_t start = cc_time_monotonic_ms();
	if (image_store_pull(store, a->arg, &opts, &res, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return err.code == EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
	}
	print_pulled(a, &res, (double)(cc_time_monotonic_ms() - start) / 1000.0);
	image_pull_result_clear(&res);
	return CLI_EXIT_OK;
}

/* SOURCE_DATE_EPOCH (reproducible-builds.org): the creation time, so the same tarball and changes
 * give the same image ID. */
static int source_date_epoch(int64_t *ret)
{
	const char *v = getenv("SOURCE_DATE_EPOCH");
	*ret = -1;
	if (!v || !*v)
		return 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (*end || n < 0) {
		cli_error(PROGRAM, "SOURCE_DATE_EPOCH=`%s` is not a number of seconds since 1970", v);
		return CLI_EXIT_USAGE;
	}
	*ret = n;
	return 0;
}

static int do_import(const struct image_args *a, struct image_store *store)
{
	struct image_import_options opts = {
		.name = a->name,
		.changes = (const char *const *)a->changes,
		.n_changes = a->n_changes,
		.message = a->message,
	};
	int r = source_date_epoch(&opts.created);
	if (r)
		return r;
	struct cc_error err = { 0 };
	/* A wrong instruction is a wrong command line: said before the tarball is read. */
	for (size_t i = 0; i < a->n_changes; i++) {
		_cleanup_json_ json_t *scratch = json_object();
		if (image_change_apply(scratch, a->changes[i], &err) < 0) {
			cli_error(PROGRAM, "%s", cc_error_message(&err));
			return CLI_EXIT_USAGE;
		}
	}
	struct image_load_result res = { 0 };
	if (!a->quiet && !a->json)
		image_store_set_progress(store, progress, NULL);
	if (image_store_import(store, a->arg, &opts, &res, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	print_loaded(a, "Imported", &res);
	image_load_result_clear(&res);
	return CLI_EXIT_OK;
}

static int do_list(const struct image_args *a, struct image_store *store)
{
	struct cc_error err = { 0 };
	struct image_info *infos;
	size_t n;
	if (image_store_list(store, &infos, &n, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (a->json) {
		json_t *images = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(images, info_json(&infos[i]));
		print_json(images);
	} else {
		printf("%-40s %-14s %-21s %10s  %s\n", "NAME", "ID", "CREATED", "SIZE", "DIGEST");
		for (size_t i = 0; i < n; i++) {
			const struct image_info *info = &infos[i];
			for (size_t j = 0; j < (info->n_names ? info->n_names : 1); j++)
				printf("%-40s %-14.12s %-21.19s %8.1fMB  %s\n",
				       info->n_names ? info->names[j] : "<none>", info->id + 7, info->created,
				       (double)info->size / 1e6, info->digest);
		}
	}
	image_info_free_array(infos, n);
	return CLI_EXIT_OK;
}

static int do_inspect(const struct image_args *a, struct image_store *store)
{
	struct cc_error err = { 0 };
	_cleanup_(image_resolved_freep) struct image_resolved *res = NULL;
	if (image_store_resolve(store, a->arg, &res, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	const struct image_config *c = &res->config;
	json_t *out = info_json(&res->info);
	json_object_set_new(out, "layer_dirs", strings_json(res->layer_dirs, res->n_layer_dirs));
	json_object_set_new(out, "diff_ids", strings_json(res->diff_ids, res->n_layer_dirs));
	json_t *labels = json_object();
	for (size_t i = 0; i < c->n_labels; i++) {
		const char *eq = strchr(c->labels[i], '=');
		_cleanup_free_ char *key = cc_xstrndup(c->labels[i], (size_t)(eq - c->labels[i]));
		json_object_set_new(labels, key, json_string(eq + 1));
	}
	json_object_set_new(out, "config",
			    json_pack("{s:o, s:o, s:o, s:s, s:s, s:o, s:o}", "Env", strings_json(c->env, c->n_env),
				      "Entrypoint", strings_json(c->entrypoint, c->n_entrypoint), "Cmd",
				      strings_json(c->cmd, c->n_cmd), "WorkingDir", c->working_dir, "User", c->user,
				      "ExposedPorts", strings_json(c->exposed_ports, c->n_exposed_ports), "Labels",
				      labels));
	print_json(out);
	return CLI_EXIT_OK;
}

static int do_rm(const struct image_args *a, struct image_store *store)
{
	struct cc_error err = { 0 };
	if (image_store_remove(store, a->arg, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	printf("Removed %s\n", a->arg);
	return CLI_EXIT_OK;
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	static const struct {
		const char *verb;
		int (*run)(const struct image_args *a, struct image_store *store);
	} verbs[] = { { "pull", do_pull }, { "load", do_load },       { "import", do_import }, { "list", do_list },
		      { "ls", do_list },   { "inspect", do_inspect }, { "rm", do_rm },         { "remove", do_rm } };
	for (size_t i = 0; i < CC_ARRAY_SIZE(verbs); i++) {
		if (strcmp(argv[1], verbs[i].verb) != 0)
			continue;
		_cleanup_(image_args_clear) struct image_args a = { 0 };
		int r = parse(argc - 1, argv + 1, &a);
		if (r != 0)
			return r < 0 ? CLI_EXIT_OK : r;
		struct image_unpack_options opts;
		image_unpack_options_default(&opts);
		if ((r = limit_from_env("COCOON_IMAGE_MAX_ENTRY_SIZE", &opts.limits.max_entry_size)) ||
		    (r = limit_from_env("COCOON_IMAGE_MAX_LAYER_SIZE", &opts.limits.max_layer_size)))
			return r;
		struct cc_error err = { 0 };
		_cleanup_(image_store_freep) struct image_store *store = NULL;
		if (image_store_open(a.store, &opts, &store, &err) < 0) {
			cli_error(PROGRAM, "%s", cc_error_message(&err));
			return CLI_EXIT_FAILURE;
		}
		return verbs[i].run(&a, store);
	}
	cli_error(PROGRAM, "unknown verb `%s`; run 'cocoon image --help'", argv[1]);
	return CLI_EXIT_USAGE;
}
