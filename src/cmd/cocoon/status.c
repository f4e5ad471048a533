/* cocoon status: health, version and the caller's identity as a running cocoond sees them. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/net/client.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon status [OPTIONS]\n"
		     "\n"
		     "Connects to cocoond with mutual TLS (or its unix socket) and prints its health, its version\n"
		     "and who the server authenticated you as.\n"
		     "\n"
		     "  --server URL     API URL (default https://127.0.0.1:7443)\n"
		     "  --pki DIR        take ca.crt, admin.crt and admin.key from DIR (default /var/lib/cocoon/pki)\n"
		     "  --ca FILE        CA bundle to verify the server\n"
		     "  --cert FILE      client certificate\n"
		     "  --key FILE       client key\n"
		     "  --socket PATH    use the local unix socket instead of TCP\n"
		     "  --json           print one JSON object\n");
}

static int get_json(const struct cc_http_client_config *cfg, const char *base, const char *path, json_t **ret,
		    struct cc_error *err)
{
	_cleanup_free_ char *url = cc_xasprintf("%s%s", base, path);
	long status;
	int r = cc_http_client_json(cfg, "GET", url, NULL, &status, ret, err);
	if (r < 0)
		return r;
	if (status != 200) {
		json_decref(*ret);
		return cc_error_set(err, EPROTO, "GET %s: HTTP %ld", url, status);
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "server", required_argument, NULL, 's' },
		{ "pki", required_argument, NULL, 'p' },
		{ "ca", required_argument, NULL, 'c' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'k' },
		{ "socket", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *server = "https://127.0.0.1:7443", *pki = "/var/lib/cocoon/pki";
	struct cc_http_client_config cfg = { .timeout_ms = 10000 };
	bool json = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 's': server = optarg; break;
		case 'p': pki = optarg; break;
		case 'c': cfg.ca_file = optarg; break;
		case 'C': cfg.cert_file = optarg; break;
		case 'k': cfg.key_file = optarg; break;
		case 'u': cfg.unix_socket = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	_cleanup_free_ char *ca = cc_xasprintf("%s/ca.crt", pki);
	_cleanup_free_ char *cert = cc_xasprintf("%s/admin.crt", pki);
	_cleanup_free_ char *key = cc_xasprintf("%s/admin.key", pki);
	if (cfg.unix_socket) {
		server = "http://localhost";
	} else {
		if (!cfg.ca_file)
			cfg.ca_file = ca;
		if (!cfg.cert_file) {
			cfg.cert_file = cert;
			cfg.key_file = cfg.key_file ? cfg.key_file : key;
		}
	}
	struct cc_error err = { 0 };
	_cleanup_free_ char *health_url = cc_xasprintf("%s/healthz", server);
	struct cc_http_result health;
	if (cc_http_client_request(&cfg, "GET", health_url, NULL, NULL, 0, &health, &err) < 0) {
		cli_error("cocoon status", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	bool healthy = health.status == 200;
	cc_http_result_free(&health);
	_cleanup_json_ json_t *version = NULL;
	_cleanup_json_ json_t *whoami = NULL;
	if (get_json(&cfg, server, "/version", &version, &err) < 0 ||
	    get_json(&cfg, server, "/v1/whoami", &whoami, &err) < 0) {
		cli_error("cocoon status", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (json) {
		json_t *out = json_pack("{s:s, s:s, s:O, s:O}", "server", server, "health", healthy ? "ok" : "failing",
					"version", version, "identity", whoami);
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", text);
		free(text);
		json_decref(out);
		return healthy ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	}
	const char *v = json_string_value(json_object_get(version, "version"));
	const char *user = json_string_value(json_object_get(whoami, "user"));
	const char *how = json_string_value(json_object_get(whoami, "authenticatedBy"));
	printf("server:   %s (cocoond %s)\nhealth:   %s\nyou are:  %s, authenticated by %s\n", server, v ? v : "?",
	       healthy ? "ok" : "failing", user ? user : "anonymous", how ? how : "nothing");
	json_t *groups = json_object_get(whoami, "groups");
	if (json_array_size(groups) > 0) {
		printf("groups:  ");
		size_t i;
		json_t *g;
		json_array_foreach (groups, i, g)
			printf(" %s", json_string_value(g));
		printf("\n");
	}
	return healthy ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
