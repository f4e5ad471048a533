/* cocoon kms serve: the Kubernetes KMS v2 plugin on a unix socket (src/keys/kms.h). */
#include "keys/kms.h"

#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/stop.h"
#include "lib/crypto/secure.h"
#include "lib/event/emit.h"
#include "lib/event/event.h"
#include "lib/net/server.h"
#include "lib/store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_STORE   "sqlite:/var/lib/cocoon/state.db"
#define DEFAULT_POLL_MS 500

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon kms serve --socket PATH --key NAME --root-key FILE [--store STORE] [--tenant T]\n"
		"                        [--poll-ms MS]\n\n"
		"Serves /v2.KeyManagementService (Status, Encrypt, Decrypt) on a unix socket (mode 0600) for\n"
		"kube-apiserver's EncryptionConfiguration (kms apiVersion v2). Data keys are wrapped with the\n"
		"primary version of key NAME (cocoon key create/rotate); the key ring is re-read every --poll-ms\n"
		"(default %d), so a rotation changes the key_id of Status and Encrypt without a restart, and\n"
		"ciphertexts of older versions decrypt until those are retired. STORE: sqlite:PATH (default\n"
		"%s) or etcd:URL[,URL...]. Refused requests are audit events when COCOON_AUDIT_SOCKET is set.\n"
		"Stops on SIGTERM or SIGINT.\n",
		DEFAULT_POLL_MS, DEFAULT_STORE);
}

/* While serving: picks up a rotation (another process wrote a new version) so key_id follows it. */
struct key_watch {
	struct kms_service *svc;
	const char *tenant, *name;
};

static void reload_key(void *ctx)
{
	struct key_watch *w = ctx;
	struct cc_error err = { 0 };
	bool changed = false;
	if (kms_service_refresh(w->svc, &changed, &err) < 0) {
		cc_warning("cannot reload key %s/%s, still serving the loaded versions: %s", w->tenant, w->name,
			   cc_error_message(&err));
	} else if (changed) {
		char key_id[160];
		kms_service_key_id(w->svc, key_id, sizeof(key_id));
		cc_info("key rotated: the write key is now %s", key_id);
		cc_event_emit_decision("kms", "kms.key_rotated", NULL, w->tenant, key_id, true, NULL);
	}
}

static int serve(const char *socket, const char *store_url, const char *tenant, const char *name, const char *root_key,
		 long poll_ms)
{
	struct cc_error err = { 0 };
	uint8_t root[KEYS_ROOT_KEY_SIZE];
	if (keys_root_key_load(root_key, root, &err) < 0) {
		cli_error("cocoon kms", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	struct cc_store *store = NULL;
	struct kms_service *svc = NULL;
	struct cc_server *server = NULL;
	int r = cc_store_open(store_url, &store, &err);
	if (r == 0)
		r = kms_service_new(store, root, tenant, name, &svc, &err);
	cc_wipe(root, sizeof(root));
	const char *audit_socket = getenv("COCOON_AUDIT_SOCKET");
	if (r == 0 && audit_socket)
		r = cc_event_sink_open_socket(audit_socket, &err);

	cc_stop_signals_block(); /* before the server's threads start: they inherit the block */
	char listen[512];
	snprintf(listen, sizeof(listen), "unix:%s", socket);
	struct cc_grpc_method methods[KMS_METHOD_COUNT];
	if (r == 0) {
		kms_service_methods(svc, methods);
		struct cc_server_config cfg = {
			.listen = listen,
			.socket_mode = 0600,
			.grpc_methods = methods,
			.grpc_method_count = KMS_METHOD_COUNT,
		};
		r = cc_server_start(&cfg, &server, &err);
	}
	if (r < 0) {
		cli_error("cocoon kms", "%s", cc_error_message(&err));
		goto out;
	}
	char key_id[160];
	kms_service_key_id(svc, key_id, sizeof(key_id));
	cc_info("cocoon kms serving KMS v2 on %s with key %s (store %s)", socket, key_id, cc_store_backend(store));
	struct key_watch watch = { .svc = svc, .tenant = tenant, .name = name };
	cc_wait_until_stopped(poll_ms, reload_key, &watch);
out:
	cc_server_stop(server);
	kms_service_free(svc);
	cc_store_close(store);
	cc_event_sink_close();
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cmd_kms(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "serve") != 0) {
		bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
		usage(help ? stdout : stderr);
		return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },   { "key", required_argument, NULL, 'k' },
		{ "root-key", required_argument, NULL, 'r' }, { "store", required_argument, NULL, 'S' },
		{ "tenant", required_argument, NULL, 't' },   { "poll-ms", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },           { 0 },
	};
	const char *socket = NULL, *name = NULL, *root_key = NULL, *store = DEFAULT_STORE, *tenant = "default";
	long poll_ms = DEFAULT_POLL_MS;
	optind = 1;
	int c;
	while ((c = getopt_long(argc - 1, argv + 1, "h", options, NULL)) != -1) {
		switch (c) {
		case 's': socket = optarg; break;
		case 'k': name = optarg; break;
		case 'r': root_key = optarg; break;
		case 'S': store = optarg; break;
		case 't': tenant = optarg; break;
		case 'p': {
			char *end;
			poll_ms = strtol(optarg, &end, 10);
			if (*end || poll_ms < 50 || poll_ms > 60000) {
				cli_error("cocoon kms", "--poll-ms `%s` must be 50 to 60000", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!socket || !name || !root_key || optind != argc - 1) {
		cli_error("cocoon kms", "serve needs --socket PATH, --key NAME and --root-key FILE");
		return CLI_EXIT_USAGE;
	}
	return serve(socket, store, tenant, name, root_key, poll_ms);
}
