/* cocoon status: whether a running cocoond is healthy and ready (its /readyz?verbose, as kubectl get
 * --raw='/readyz?verbose' shows a control plane's), what it runs (pods and containers running, from
 * its /metrics; the node's Ready condition), its version and who it authenticated the caller as. By
 * default through the local socket; over HTTPS with mutual TLS when a server or credentials are
 * given. The exit status says which of healthy, unhealthy or not running it is. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/net/client.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Beyond cli.h's codes: nothing answers where cocoond should be (as `systemctl status` uses 3). */
#define STATUS_NOT_RUNNING 3

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon status [OPTIONS]\n"
		     "\n"
		     "Asks a running cocoond whether it is healthy and ready (GET /readyz?verbose: each check),\n"
		     "what it runs (pods and containers running, the node's Ready condition), its version and\n"
		     "who it authenticated you as. Through its local socket (DATA_DIR/cocoond.sock, root only)\n"
		     "unless --server or credentials are given: then over HTTPS with mutual TLS.\n"
		     "\n"
		     "  -d, --data-dir DIR  cocoond's data directory (default /var/lib/cocoon)\n"
		     "      --socket PATH   the local socket (default DATA_DIR/cocoond.sock)\n"
		     "      --server URL    API URL, over TCP (default https://127.0.0.1:7443 with --pki, --ca,\n"
		     "                      --cert or --key)\n"
		     "      --pki DIR       take ca.crt, admin.crt and admin.key from DIR (default DATA_DIR/pki)\n"
		     "      --ca FILE       CA bundle to verify the server\n"
		     "      --cert FILE     client certificate\n"
		     "      --key FILE      client key\n"
		     "      --json          print one JSON object\n"
		     "\n"
		     "Exit status: 0 healthy and ready, 1 not ready or a request failed, 2 usage, 3 cocoond is\n"
		     "not running (nothing answers at the socket or address).\n");
}

struct check {
	char name[128];
	bool ok;
};

struct report {
	const char *server;
	bool ready;
	long readyz_status;
	struct check checks[16];
	size_t check_count;
	json_t *version, *identity;
	/* What cocoond runs; -1 when it would not say (a caller who may not read /metrics). */
	double running_pods, running_containers;
	json_t *nodes; /* [{name, ready}], or NULL */
};

/* "[+]etcd ok", "[+]etcd excluded: ok", "[-]etcd failed: reason withheld": the check lines of a
 * verbose /readyz; the last line ("readyz check passed") is not one. */
static void parse_checks(const char *body, struct report *rep)
{
	for (const char *line = body; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > 3 && line[0] == '[' && (line[1] == '+' || line[1] == '-') && line[2] == ']' &&
		    rep->check_count < CC_ARRAY_SIZE(rep->checks)) {
			struct check *c = &rep->checks[rep->check_count++];
			size_t name_len = strcspn(line + 3, " \n");
			snprintf(c->name, sizeof(c->name), "%.*s", (int)name_len, line + 3);
			c->ok = line[1] == '+';
		}
		line = end ? end + 1 : NULL;
	}
}

static int get_readiness(const struct cc_http_client_config *cfg, struct report *rep, struct cc_error *err)
{
	_cleanup_free_ char *url = cc_xasprintf("%s/readyz?verbose", rep->server);
	struct cc_http_result res;
	int r = cc_http_client_request(cfg, "GET", url, NULL, NULL, 0, &res, err);
	if (r < 0)
		return r;
	rep->readyz_status = res.status;
	rep->ready = res.status == 200;
	if (res.status == 200 || res.status == 500)
		parse_checks(res.body.data, rep);
	cc_http_result_free(&res);
	return 0;
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
		*ret = NULL;
		return cc_error_set(err, EPROTO, "GET %s: HTTP %ld", url, status);
	}
	return 0;
}

/* The value of the sample that starts with prefix ("kubelet_running_pods "), or -1. */
static double sample_value(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *line = text; line && *line;) {
		if (strncmp(line, prefix, n) == 0)
			return strtod(line + n, NULL);
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return -1;
}

/* Pods and containers running (kubelet's gauges in /metrics) and the nodes' Ready conditions. Both
 * need more than an authenticated caller; what is refused is left out. */
static void get_summary(const struct cc_http_client_config *cfg, struct report *rep)
{
	rep->running_pods = rep->running_containers = -1;
	_cleanup_free_ char *url = cc_xasprintf("%s/metrics", rep->server);
	struct cc_http_result res;
	struct cc_error err = { 0 };
	if (cc_http_client_request(cfg, "GET", url, NULL, NULL, 0, &res, &err) == 0) {
		if (res.status == 200) {
			rep->running_pods = sample_value(res.body.data, "kubelet_running_pods ");
			rep->running_containers =
			    sample_value(res.body.data, "kubelet_running_containers{container_state=\"running\"} ");
		}
		cc_http_result_free(&res);
	}
	_cleanup_json_ json_t *nodes = NULL;
	if (get_json(cfg, rep->server, "/api/v1/nodes", &nodes, &err) < 0)
		return;
	rep->nodes = json_array();
	size_t i, j;
	json_t *node, *cond;
	json_array_foreach (json_object_get(nodes, "items"), i, node) {
		const char *name = json_string_value(json_object_get(json_object_get(node, "metadata"), "name"));
		bool ready = false;
		json_array_foreach (json_object_get(json_object_get(node, "status"), "conditions"), j, cond) {
			const char *type = json_string_value(json_object_get(cond, "type"));
			const char *status = json_string_value(json_object_get(cond, "status"));
			if (type && strcmp(type, "Ready") == 0)
				ready = status && strcmp(status, "True") == 0;
		}
		json_array_append_new(rep->nodes, json_pack("{s:s, s:b}", "name", name ? name : "", "ready", ready));
	}
}

static void print_json(const struct report *rep)
{
	json_t *checks = json_array();
	for (size_t i = 0; i < rep->check_count; i++)
		json_array_append_new(checks,
				      json_pack("{s:s, s:b}", "name", rep->checks[i].name, "ok", rep->checks[i].ok));
	json_t *out = json_pack("{s:s, s:b, s:s, s:b, s:o, s:O, s:O}", "server", rep->server, "running", true, "health",
				rep->ready ? "ok" : "failing", "ready", rep->ready, "checks", checks, "version",
				rep->version, "identity", rep->identity);
	if (rep->running_pods >= 0)
		json_object_set_new(out, "pods",
				    json_pack("{s:I, s:I}", "running", (json_int_t)rep->running_pods,
					      "containersRunning",
					      (json_int_t)(rep->running_containers > 0 ? rep->running_containers : 0)));
	if (rep->nodes)
		json_object_set(out, "nodes", rep->nodes);
	char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
	printf("%s\n", text);
	free(text);
	json_decref(out);
}

static void print_text(const struct report *rep)
{
	const char *v = json_string_value(json_object_get(rep->version, "version"));
	printf("server:   %s (cocoond %s)\n", rep->server, v ? v : "?");
	if (rep->readyz_status == 200 || rep->readyz_status == 500)
		printf("health:   %s\n", rep->ready ? "ok" : "failing (readyz check failed)");
	else
		printf("health:   failing (GET /readyz: HTTP %ld)\n", rep->readyz_status);
	if (rep->check_count > 0) {
		printf("checks:  ");
		for (size_t i = 0; i < rep->check_count; i++)
			printf(" [%c]%s", rep->checks[i].ok ? '+' : '-', rep->checks[i].name);
		printf("\n");
	}
	if (rep->running_pods >= 0)
		printf("pods:     %.0f running (%.0f containers running)\n", rep->running_pods,
		       rep->running_containers > 0 ? rep->running_containers : 0);
	size_t i;
	json_t *node;
	json_array_foreach (rep->nodes, i, node)
		printf("node:     %s %s\n", json_string_value(json_object_get(node, "name")),
		       json_is_true(json_object_get(node, "ready")) ? "Ready" : "NotReady");
	const char *user = json_string_value(json_object_get(rep->identity, "user"));
	const char *how = json_string_value(json_object_get(rep->identity, "authenticatedBy"));
	printf("you are:  %s, authenticated by %s\n", user ? user : "anonymous", how ? how : "nothing");
	json_t *groups = json_object_get(rep->identity, "groups");
	if (json_array_size(groups) > 0) {
		printf("groups:  ");
		json_t *g;
		json_array_foreach (groups, i, g)
			printf(" %s", json_string_value(g));
		printf("\n");
	}
}

/* Nothing answered: say so, as JSON too when asked for it. */
static int not_running(const char *server, const char *where, bool json, struct cc_error *err)
{
	if (json) {
		json_t *out = json_pack("{s:s, s:b, s:s}", "server", server, "running", false, "health", "not running");
		char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
		printf("%s\n", text);
		free(text);
		json_decref(out);
	}
	cli_error("cocoon status", "cocoond is not running: nothing answers at %s (%s)", where, cc_error_message(err));
	return STATUS_NOT_RUNNING;
}

int cmd_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "data-dir", required_argument, NULL, 'd' }, { "server", required_argument, NULL, 's' },
		{ "pki", required_argument, NULL, 'p' },      { "ca", required_argument, NULL, 'c' },
		{ "cert", required_argument, NULL, 'C' },     { "key", required_argument, NULL, 'k' },
		{ "socket", required_argument, NULL, 'u' },   { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },           { 0 },
	};
	const char *data_dir = "/var/lib/cocoon", *server = NULL, *pki = NULL, *socket_path = NULL;
	struct cc_http_client_config cfg = { .timeout_ms = 10000 };
	bool json = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "d:h", options, NULL)) != -1) {
		switch (c) {
		case 'd': data_dir = optarg; break;
		case 's': server = optarg; break;
		case 'p': pki = optarg; break;
		case 'c': cfg.ca_file = optarg; break;
		case 'C': cfg.cert_file = optarg; break;
		case 'k': cfg.key_file = optarg; break;
		case 'u': socket_path = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("cocoon status", "unexpected argument `%s`", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	/* TCP when asked for by a server or credentials (and never together with --socket). */
	bool tcp = !socket_path && (server || pki || cfg.ca_file || cfg.cert_file || cfg.key_file);
	_cleanup_free_ char *pki_dir = pki ? cc_xstrdup(pki) : cc_xasprintf("%s/pki", data_dir);
	_cleanup_free_ char *ca = cc_xasprintf("%s/ca.crt", pki_dir);
	_cleanup_free_ char *cert = cc_xasprintf("%s/admin.crt", pki_dir);
	_cleanup_free_ char *key = cc_xasprintf("%s/admin.key", pki_dir);
	_cleanup_free_ char *default_socket = cc_xasprintf("%s/cocoond.sock", data_dir);
	_cleanup_free_ char *where = NULL;
	struct report rep = { 0 };
	if (tcp) {
		rep.server = server ? server : "https://127.0.0.1:7443";
		cfg.ca_file = cfg.ca_file ? cfg.ca_file : ca;
		if (!cfg.cert_file) {
			cfg.cert_file = cert;
			cfg.key_file = cfg.key_file ? cfg.key_file : key;
		}
		where = cc_xstrdup(rep.server);
	} else {
		cfg.unix_socket = socket_path ? socket_path : default_socket;
		rep.server = "http://localhost";
		where = cc_xasprintf("unix:%s", cfg.unix_socket);
		if (access(cfg.unix_socket, F_OK) == 0 && access(cfg.unix_socket, W_OK) < 0) {
			cli_error("cocoon status",
				  "cannot open cocoond's socket `%s`: %s (it is root's: run as root, or "
				  "use --server with a client certificate)",
				  cfg.unix_socket, strerror(errno));
			return CLI_EXIT_FAILURE;
		}
	}

	struct cc_error err = { 0 };
	int r = get_readiness(&cfg, &rep, &err);
	if (r == -ECONNREFUSED)
		return not_running(where, where, json, &err);
	if (r == 0 && get_json(&cfg, rep.server, "/version", &rep.version, &err) == 0)
		r = get_json(&cfg, rep.server, "/v1/whoami", &rep.identity, &err);
	else if (r == 0)
		r = -EPROTO;
	if (r < 0) {
		json_decref(rep.version);
		cli_error("cocoon status", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	get_summary(&cfg, &rep);
	if (!tcp)
		rep.server = where;
	if (json)
		print_json(&rep);
	else
		print_text(&rep);
	json_decref(rep.version);
	json_decref(rep.identity);
	json_decref(rep.nodes);
	return rep.ready ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
