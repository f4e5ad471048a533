/* cocoon scale provider serve: the Cluster Autoscaler externalgrpc provider over mutual TLS
 * (src/scale/provider/). This file parses the command line, opens the audit sink and waits for the
 * stop signal; the provider library does the rest. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/stop.h"
#include "lib/event/emit.h"
#include "lib/net/server.h"
#include "scale/provider/driver.h"
#include "scale/provider/events.h"
#include "scale/provider/provider.h"
#include "scale/provider/service.h"
#include "scale/provider/template.h"
#include "scale/quantity.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM                "cocoon scale provider"
#define DEFAULT_DRIVER_TIMEOUT 600
#define DEFAULT_REFRESH        60 /* Cluster Autoscaler calls Refresh about every 10 s */
#define DEFAULT_BLOCK_COUNT    4
#define MAX_BLOCKS             1000

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon scale provider serve --listen ADDR --cert FILE --key FILE --client-ca FILE\n"
		"                                   --driver exec:SCRIPT --state DIR [--nodes-per-block N]\n"
		"                                   [--max-blocks N] [--blocks ID,ID,...]\n"
		"                                   [--driver-timeout SECONDS] [--refresh-interval SECONDS]\n"
		"                                   [--event-log FILE] [template node options]\n\n"
		"Serves Cluster Autoscaler's externalgrpc CloudProvider service on ADDR (HOST:PORT) over TLS,\n"
		"to clients with a certificate chained to --client-ca only. Each SKU block is one node group of\n"
		"0 or --nodes-per-block nodes (default %d), grown and shrunk whole: IncreaseSize must ask for a\n"
		"whole block, DeleteNodes must name all its nodes, a create that comes up short is rolled back.\n"
		"--blocks lists the node groups (DNS labels; default block-1..block-N, N = --max-blocks or %d);\n"
		"--max-blocks caps how many hold nodes at once (default: all of them).\n\n"
		"The driver makes the nodes: exec:SCRIPT runs `SCRIPT create BLOCK NODES`, `SCRIPT delete BLOCK`\n"
		"and `SCRIPT list` (JSON on stdout, see cocoon-scale-provider(1)); a step that takes longer than\n"
		"--driver-timeout seconds (default %d) is killed with its process group and has failed.\n"
		"The blocks are kept in DIR/blocks.json and reconciled with `SCRIPT list` at start, and again\n"
		"on Refresh at most every --refresh-interval seconds (default %d; 0: at every Refresh), which\n"
		"deletes nothing: a half-made block it finds is listed with error info for CA to delete. Every\n"
		"decision and step is an audit event, to --event-log FILE or COCOON_AUDIT_SOCKET; a step whose\n"
		"event cannot be written fails. Stops on SIGTERM or SIGINT.\n\n"
		"The template node (NodeGroupTemplateNodeInfo: what CA simulates a new block's nodes as):\n"
		"  --node-cpu Q              a node's cpu (default 4000m)\n"
		"  --node-memory Q           a node's memory (default 8Gi)\n"
		"  --node-pods N             pods per node (default %d)\n"
		"  --reserve-cpu Q           cpu kept for the system: allocatable = capacity - reserve (default 0)\n"
		"  --reserve-memory Q        memory kept for the system (default 0)\n"
		"  --node-instance-type T    the node.kubernetes.io/instance-type label\n"
		"  --node-label KEY=VALUE    a label of every node (repeatable; kubernetes.io/os, kubernetes.io/arch\n"
		"                            from uname, kubernetes.io/hostname and scale.cocoon.dev/block are set)\n"
		"  --node-taint KEY=VALUE:EFFECT  a taint of every node (repeatable; KEY:EFFECT without a value;\n"
		"                            EFFECT NoSchedule, PreferNoSchedule or NoExecute)\n",
		SCALE_DEFAULT_NODES_PER_BLOCK, DEFAULT_BLOCK_COUNT, DEFAULT_DRIVER_TIMEOUT, DEFAULT_REFRESH,
		SCALE_TEMPLATE_DEFAULT_PODS);
}

struct options {
	const char *listen, *cert, *key, *client_ca, *driver, *state, *blocks, *event_log;
	long nodes_per_block, max_blocks, driver_timeout, refresh_interval;
	struct scale_template node; /* owned: scale_template_clear */
};

static int parse_number(const char *flag, const char *value, long min, long max, long *ret)
{
	char *end;
	errno = 0;
	long v = strtol(value, &end, 10);
	if (errno || end == value || *end || v < min || v > max) {
		cli_error(PROGRAM, "%s `%s` must be a number from %ld to %ld", flag, value, min, max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* Splits --blocks (or makes block-1..block-N); every id a DNS label, none twice. */
static int block_ids(const struct options *o, char ***ret, size_t *ret_count)
{
	char **ids = NULL;
	size_t n = 0;
	if (!o->blocks) {
		n = o->max_blocks > 0 ? (size_t)o->max_blocks : DEFAULT_BLOCK_COUNT;
		ids = cc_xcalloc(n, sizeof(*ids));
		for (size_t i = 0; i < n; i++)
			ids[i] = cc_xasprintf("block-%zu", i + 1);
	} else {
		_cleanup_free_ char *copy = cc_xstrdup(o->blocks);
		char *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			ids = cc_xrealloc(ids, (n + 1) * sizeof(*ids));
			ids[n++] = cc_xstrdup(t);
		}
	}
	int r = n == 0 ? -EINVAL : 0;
	if (r < 0)
		cli_error(PROGRAM, "--blocks `%s` names no block", o->blocks);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct cc_error err = { 0 };
		if (scale_block_id_check(ids[i], &err) < 0) {
			cli_error(PROGRAM, "--blocks: %s", cc_error_message(&err));
			r = -EINVAL;
		}
		for (size_t j = 0; j < i && r == 0; j++) {
			if (strcmp(ids[i], ids[j]) == 0) {
				cli_error(PROGRAM, "--blocks names %s twice", ids[i]);
				r = -EINVAL;
			}
		}
	}
	*ret = ids;
	*ret_count = n;
	return r;
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Refused connections are security decisions: record them (accepted ones are routine). */
static void record_authentication(const struct cc_peer *peer, const char *reason, void *userdata)
{
	if (!reason)
		return;
	struct cc_event *ev;
	if (cc_event_new("scale", "provider.authenticate", &ev, NULL) < 0)
		return;
	cc_event_set_actor(ev, peer->cert_verified ? peer->common_name : "anonymous");
	cc_event_set_object(ev, "scale-provider");
	cc_event_set_extra(ev, "sourceAddress", json_string(peer->address));
	cc_event_set_verdict(ev, CC_VERDICT_DENY, CC_SEVERITY_WARNING);
	cc_event_set_reason(ev, "%s", reason);
	cc_event_emit(ev);
}

static int open_audit_sink(const char *event_log)
{
	struct cc_error err = { 0 };
	const char *socket = getenv("COCOON_AUDIT_SOCKET");
	int r = 0;
	if (event_log)
		r = cc_event_sink_open_file(event_log, &err);
	else if (socket)
		r = cc_event_sink_open_socket(socket, &err);
	else
		cc_warning("no --event-log and no COCOON_AUDIT_SOCKET: scale events go to the debug log only");
	if (r < 0)
		cli_error(PROGRAM, "audit events: %s", cc_error_message(&err));
	return r;
}

static int serve(const struct options *o, char **ids, size_t count)
{
	struct cc_error err = { 0 };
	if (open_audit_sink(o->event_log) < 0)
		return CLI_EXIT_FAILURE;
	cc_stop_signals_block(); /* before the server's threads start: they inherit the block */
	struct scale_driver *driver = NULL;
	struct scale_provider *provider = NULL;
	struct cc_server *server = NULL;
	struct scale_driver_options dopts = { .timeout_ms = (int)o->driver_timeout * 1000 };
	struct scale_provider_config cfg = {
		.state_dir = o->state,
		.nodes_per_block = (int)o->nodes_per_block,
		.max_blocks = (int)(o->max_blocks > 0 ? o->max_blocks : (long)count),
		.blocks = (const char *const *)ids,
		.block_count = count,
		.refresh_interval_s = (int)o->refresh_interval,
		.node_template = &o->node,
	};
	int r = scale_driver_open(o->driver, &dopts, &driver, &err);
	if (r == 0)
		r = scale_provider_new(&cfg, driver, &provider, &err);
	if (r == 0)
		r = scale_provider_reconcile(provider, &err);
	struct cc_grpc_method methods[SCALE_PROVIDER_METHOD_COUNT];
	if (r == 0) {
		scale_provider_service_methods(provider, methods);
		struct cc_server_config scfg = {
			.listen = o->listen,
			.tls_cert = o->cert,
			.tls_key = o->key,
			.client_ca = o->client_ca,
			.require_client_cert = true,
			.grpc_methods = methods,
			.grpc_method_count = SCALE_PROVIDER_METHOD_COUNT,
			.on_authenticate = record_authentication,
		};
		r = cc_server_start(&scfg, &server, &err);
	}
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
	} else {
		cc_info("%s serving %zu blocks of %ld nodes on port %d with driver %s", PROGRAM, count,
			o->nodes_per_block, cc_server_port(server), scale_driver_describe(driver));
		cc_wait_until_stopped(0, NULL, NULL);
	}
	cc_server_stop(server);
	scale_provider_free(provider);
	scale_driver_close(driver);
	cc_event_sink_close();
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

enum {
	OPT_REFRESH = 256,
	OPT_NODE_CPU,
	OPT_NODE_MEMORY,
	OPT_NODE_PODS,
	OPT_RESERVE_CPU,
	OPT_RESERVE_MEMORY,
	OPT_INSTANCE_TYPE,
	OPT_LABEL,
	OPT_TAINT,
};

/* The template node's flags; 1 when c is none of them. */
static int parse_template_option(int c, const char *arg, struct scale_template *t)
{
	struct cc_error err = { 0 };
	long pods;
	int r;
	switch (c) {
	case OPT_NODE_CPU: r = scale_parse_cpu(arg, &t->cpu_milli, &err); break;
	case OPT_NODE_MEMORY: r = scale_parse_memory(arg, &t->memory_bytes, &err); break;
	case OPT_RESERVE_CPU: r = scale_parse_cpu(arg, &t->reserve_cpu_milli, &err); break;
	case OPT_RESERVE_MEMORY: r = scale_parse_memory(arg, &t->reserve_memory_bytes, &err); break;
	case OPT_INSTANCE_TYPE: r = scale_template_set_instance_type(t, arg, &err); break;
	case OPT_LABEL: r = scale_template_add_label(t, arg, &err); break;
	case OPT_TAINT: r = scale_template_add_taint(t, arg, &err); break;
	case OPT_NODE_PODS:
		if ((r = parse_number("--node-pods", arg, 1, 100000, &pods)) == 0)
			t->pods = pods;
		return r;
	default: return 1;
	}
	if (r < 0)
		cli_error(PROGRAM, "%s", cc_error_message(&err));
	return r;
}

static int parse(int argc, char **argv, struct options *o)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "client-ca", required_argument, NULL, 'a' },
		{ "driver", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ "nodes-per-block", required_argument, NULL, 'n' },
		{ "max-blocks", required_argument, NULL, 'm' },
		{ "blocks", required_argument, NULL, 'b' },
		{ "driver-timeout", required_argument, NULL, 't' },
		{ "event-log", required_argument, NULL, 'e' },
		{ "refresh-interval", required_argument, NULL, OPT_REFRESH },
		{ "node-cpu", required_argument, NULL, OPT_NODE_CPU },
		{ "node-memory", required_argument, NULL, OPT_NODE_MEMORY },
		{ "node-pods", required_argument, NULL, OPT_NODE_PODS },
		{ "reserve-cpu", required_argument, NULL, OPT_RESERVE_CPU },
		{ "reserve-memory", required_argument, NULL, OPT_RESERVE_MEMORY },
		{ "node-instance-type", required_argument, NULL, OPT_INSTANCE_TYPE },
		{ "node-label", required_argument, NULL, OPT_LABEL },
		{ "node-taint", required_argument, NULL, OPT_TAINT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	o->nodes_per_block = SCALE_DEFAULT_NODES_PER_BLOCK;
	o->driver_timeout = DEFAULT_DRIVER_TIMEOUT;
	o->refresh_interval = DEFAULT_REFRESH;
	optind = 1;
	opterr = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		int r = 0;
		switch (c) {
		case 'l': o->listen = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'k': o->key = optarg; break;
		case 'a': o->client_ca = optarg; break;
		case 'd': o->driver = optarg; break;
		case 's': o->state = optarg; break;
		case 'b': o->blocks = optarg; break;
		case 'e': o->event_log = optarg; break;
		case 'n': r = parse_number("--nodes-per-block", optarg, 1, 1000, &o->nodes_per_block); break;
		case 'm': r = parse_number("--max-blocks", optarg, 1, MAX_BLOCKS, &o->max_blocks); break;
		case 't': r = parse_number("--driver-timeout", optarg, 1, 86400, &o->driver_timeout); break;
		case OPT_REFRESH: r = parse_number("--refresh-interval", optarg, 0, 86400, &o->refresh_interval); break;
		case 'h': usage(stdout); return 1;
		case '?': return -EINVAL;
		default:
			if ((r = parse_template_option(c, optarg, &o->node)) > 0)
				return -EINVAL;
		}
		if (r < 0)
			return r;
	}
	if (optind != argc) {
		cli_error(PROGRAM, "unexpected argument `%s`", argv[optind]);
		return -EINVAL;
	}
	const char *missing = !o->listen      ? "--listen ADDR"
			      : !o->cert      ? "--cert FILE"
			      : !o->key       ? "--key FILE"
			      : !o->client_ca ? "--client-ca FILE (clients must present a certificate of this CA)"
			      : !o->driver    ? "--driver exec:SCRIPT"
			      : !o->state     ? "--state DIR"
					      : NULL;
	if (missing) {
		cli_error(PROGRAM, "serve needs %s; see --help", missing);
		return -EINVAL;
	}
	struct cc_error err = { 0 };
	if (scale_template_check(&o->node, &err) < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return -EINVAL;
	}
	return 0;
}

int cmd_scale_provider(int argc, char **argv)
{
	bool help =
	    argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0);
	if (argc < 2 || help || strcmp(argv[1], "serve") != 0) {
		if (argc >= 2 && !help)
			cli_error(PROGRAM, "unknown command `%s`: the command is serve", argv[1]);
		usage(help ? stdout : stderr);
		return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	struct options o = { 0 };
	scale_template_init(&o.node);
	int r = parse(argc - 1, argv + 1, &o);
	if (r != 0) {
		scale_template_clear(&o.node);
		return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	char **ids;
	size_t count;
	r = block_ids(&o, &ids, &count);
	if (r == 0 && o.max_blocks > (long)count) {
		cli_error(PROGRAM, "--max-blocks %ld is more than the %zu blocks of --blocks", o.max_blocks, count);
		r = -EINVAL;
	}
	int code = r < 0 ? CLI_EXIT_USAGE : serve(&o, ids, count);
	free_ids(ids, count);
	scale_template_clear(&o.node);
	return code;
}
