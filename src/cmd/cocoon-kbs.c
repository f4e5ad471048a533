/* cocoon-kbs: the key broker (src/kbs/kbs.h) on HTTPS, as a binary of its own. The broker is the most
 * sensitive server (it releases the secrets), so it is linked from the key broker, the verifiers, the
 * keys and the library alone, not from the whole CLI (docs/design/tcb.md). `cocoon kbs serve` runs it
 * (src/cmd/cocoon/kbs.c). */
#include "cli.h"
#include "kbs/kbs.h"
#include "kbs/kbs_sa_token.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/stop.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/secure.h"
#include "lib/crypto/x509.h"
#include "lib/event/emit.h"
#include "lib/net/server.h"
#include "lib/store/store.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/ec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM       "cocoon-kbs"
#define DEFAULT_STORE "sqlite:/var/lib/cocoon/state.db"
#define ANCHOR_MAX    (1u << 20)

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon-kbs [serve] --listen ADDR --cert FILE --key FILE --client-ca FILE --root-key FILE\n"
		"                        --token-key FILE [--store STORE] [--snp-chain FILE] [--tdx-root FILE]\n"
		"                        [--ek-ca FILE] [--vcek-cache DIR] [--kds URL [--kds-ca FILE]] [--at TIME]\n"
		"                        [--admin-group NAME] [--events FILE] [--session-ttl SECONDS]\n"
		"                        [--challenge-ttl SECONDS] [--max-challenges-per-source N]\n"
		"                        [--delegate-url URL --delegate-ca FILE --delegate-cert FILE --delegate-key "
		"FILE]\n"
		"                        [--sa-issuer-key FILE]\n\n"
		"The key broker: the Trustee KBS protocol v0 (POST /kbs/v0/auth, POST /kbs/v0/attest,\n"
		"GET /kbs/v0/resource/<repo>/<type>/<tag>) over HTTPS, releasing each tenant's secrets only to\n"
		"workloads whose evidence is authentic and meets the tenant's policy, as JWE to the TEE's key.\n"
		"The admin API (/kbs/v0/admin/<tenant>/policy, resource/..., resources, node/<name>) takes\n"
		"client certificates from --client-ca: O=<tenant> for one tenant, O=--admin-group (default\n"
		"system:masters) for all; with --delegate-url, also bearer tokens of the platform's users (OIDC,\n"
		"service accounts): cocoond's TokenReview says who they are and its SubjectAccessReview whether\n"
		"RBAC lets them get/update/delete tenants.kbs.cocoon.dev named by the tenant (subresources\n"
		"policy, resources, nodes); --delegate-cert/--delegate-key are the broker's own client\n"
		"certificate there (allowed system:auth-delegator), --delegate-ca cocoond's CA. --token-key: the P-256 "
		"key that signs EAR tokens (created, mode 0600,\n"
		"if missing). --snp-chain: AMD's ASK+ARK; --tdx-root: the Intel SGX Root CA; without them that\n"
		"TEE is refused. --vcek-cache DIR keeps VCEKs that verified a report, so SNP guests may leave\n"
		"theirs out afterwards; --kds URL (e.g. https://kdsintf.amd.com/vcek/v1/Milan) fetches a VCEK\n"
		"missing from the cache from AMD (--kds-ca FILE: its CA, default the system's). TPM nodes: an\n"
		"administrator enrolls a node's EK certificate (admin PUT node/<name>), and the node registers\n"
		"its AK by credential activation (POST /kbs/v0/node/register and /activate), with EK\n"
		"certificates checked against --ek-ca. --at pins the certificate time (test data).\n"
		"Pod certificates (POST /kbs/v0/mtls/certificate, an attested session's cookie): --sa-issuer-key\n"
		"is the PEM public key the platform signs service account tokens with (cocoond's\n"
		"DATA/pki/service-account.key, through openssl pkey -pubout); without it none is issued. A\n"
		"tenant's mTLS CA is refused when it is, or is signed by, --client-ca.\n"
		"STORE: sqlite:PATH (default %s) or etcd:URL[,URL...].\n"
		"Every decision is an audit event: to the audit pipeline when COCOON_AUDIT_SOCKET is set, else\n"
		"appended to --events FILE (JSON lines). A session lasts --session-ttl (300 s) from its challenge\n"
		"once it attested; a challenge not answered with authentic evidence lasts --challenge-ttl (60 s),\n"
		"one address holds at most --max-challenges-per-source (64) of them (its oldest is replaced), and\n"
		"a full table (4096) replaces the oldest unanswered one, so a flood of challenges cannot lock\n"
		"guests out.\n"
		"Stops on SIGTERM or SIGINT. `cocoon kbs serve ARGS` runs this binary with the same arguments.\n",
		DEFAULT_STORE);
}

/* The token key, created on first start so a fresh broker works without extra steps. */
static int load_token_key(const char *path, EVP_PKEY **ret, struct cc_error *err)
{
	if (access(path, F_OK) != 0) {
		EVP_PKEY *key = EVP_EC_gen("prime256v1");
		if (!key)
			return cc_error_set(err, EIO, "cannot generate the token key");
		int r = cc_x509_write_key(path, key, err);
		EVP_PKEY_free(key);
		if (r < 0)
			return r;
		cc_info("created the EAR token key %s", path);
	}
	return cc_x509_read_key(path, ret, err);
}

struct serve_args {
	const char *listen, *cert, *key, *client_ca, *root_key, *token_key, *store, *snp_chain, *tdx_root, *ek_ca, *at,
	    *admin_group, *events, *vcek_cache, *kds, *kds_ca, *delegate_url, *delegate_ca, *delegate_cert,
	    *delegate_key, *sa_issuer_key;
	int session_ttl, challenge_ttl, max_challenges_per_source;
};

static int serve(const struct serve_args *a)
{
	struct cc_error err = { 0 };
	uint8_t root[KEYS_ROOT_KEY_SIZE];
	struct cc_store *store = NULL;
	struct kbs *kbs = NULL;
	struct cc_server *server = NULL;
	EVP_PKEY *token_key = NULL, *sa_issuer_key = NULL;
	_cleanup_free_ char *snp = NULL, *tdx = NULL, *ek_ca = NULL, *client_ca = NULL;
	size_t snp_len = 0, tdx_len = 0, ek_ca_len = 0, client_ca_len = 0;
	struct kbs_config cfg = { .admin_group = a->admin_group,
				  .delegate = { .url = a->delegate_url,
						.ca = a->delegate_ca,
						.cert = a->delegate_cert,
						.key = a->delegate_key } };
	int r = keys_root_key_load(a->root_key, root, &err);
	if (r == 0)
		r = load_token_key(a->token_key, &token_key, &err);
	if (r == 0 && a->snp_chain)
		r = cc_read_file(a->snp_chain, ANCHOR_MAX, &snp, &snp_len, &err);
	if (r == 0 && a->tdx_root)
		r = cc_read_file(a->tdx_root, ANCHOR_MAX, &tdx, &tdx_len, &err);
	if (r == 0 && a->vcek_cache)
		r = cc_mkdir_p(a->vcek_cache, 0700, &err);
	if (r == 0 && a->ek_ca)
		r = cc_read_file(a->ek_ca, ANCHOR_MAX, &ek_ca, &ek_ca_len, &err);
	if (r == 0)
		r = cc_read_file(a->client_ca, ANCHOR_MAX, &client_ca, &client_ca_len, &err);
	if (r == 0 && a->sa_issuer_key)
		r = kbs_sa_issuer_key_load(a->sa_issuer_key, &sa_issuer_key, &err);
	if (r == 0 && a->at) {
		int64_t ns;
		r = cc_time_parse_rfc3339(a->at, &ns) < 0
			? cc_error_set(&err, EINVAL, "--at `%s` is not an RFC 3339 time", a->at)
			: 0;
		cfg.verify_at = (time_t)(ns / 1000000000);
	}
	if (r == 0)
		r = cc_store_open(a->store, &store, &err);
	if (r == 0) {
		cfg.store = store;
		cfg.root = root;
		cfg.token_key = token_key;
		cfg.snp_chain = snp;
		cfg.snp_chain_len = snp_len;
		cfg.tdx_root = tdx;
		cfg.tdx_root_len = tdx_len;
		cfg.ek_ca = ek_ca;
		cfg.ek_ca_len = ek_ca_len;
		cfg.client_ca = client_ca;
		cfg.client_ca_len = client_ca_len;
		cfg.sa_issuer_key = sa_issuer_key;
		cfg.vcek_cache = a->vcek_cache;
		cfg.kds_url = a->kds;
		cfg.kds_ca = a->kds_ca;
		cfg.session_ttl = a->session_ttl;
		cfg.challenge_ttl = a->challenge_ttl;
		cfg.max_challenges_per_source = a->max_challenges_per_source;
		r = kbs_new(&cfg, &kbs, &err);
	}
	cc_wipe(root, sizeof(root));
	if (r == 0 && (getenv("COCOON_AUDIT_SOCKET") || a->events))
		r = cc_event_sink_open_default(a->events, &err);
	cc_stop_signals_block(); /* before the server's threads start: they inherit the block */
	if (r == 0) {
		size_t count;
		const struct cc_http_route *routes = kbs_routes(kbs, &count);
		struct cc_server_config scfg = {
			.listen = a->listen,
			.tls_cert = a->cert,
			.tls_key = a->key,
			.client_ca = a->client_ca,
			.require_client_cert = false, /* guests have none; the admin API checks for one */
			.routes = routes,
			.route_count = count,
			.max_body = 1u << 20,
		};
		r = cc_server_start(&scfg, &server, &err);
	}
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
	} else {
		cc_info("cocoon-kbs serving on %s (store %s; SNP %s, TDX %s, TPM registration %s)", a->listen,
			cc_store_backend(store), snp ? "on" : "off", tdx ? "on" : "off", ek_ca ? "on" : "off");
		cc_wait_until_stopped(0, NULL, NULL);
	}
	cc_server_stop(server);
	kbs_free(kbs);
	cc_store_close(store);
	EVP_PKEY_free(token_key);
	EVP_PKEY_free(sa_issuer_key);
	cc_event_sink_close();
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* An integer option within [min, max]; says so and returns false otherwise. */
static bool int_option(const char *name, const char *text, int min, int max, int *ret)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);
	if (errno || end == text || *end || value < min || value > max) {
		cli_error(PROGRAM, "%s `%s` must be %d to %d", name, text, min, max);
		return false;
	}
	*ret = (int)value;
	return true;
}

int main(int argc, char **argv)
{
	/* `cocoon-kbs serve ARGS` (what `cocoon kbs serve ARGS` executes) or `cocoon-kbs ARGS`. */
	if (argc >= 2 && strcmp(argv[1], "serve") == 0) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "client-ca", required_argument, NULL, 'C' },
		{ "root-key", required_argument, NULL, 'r' },
		{ "token-key", required_argument, NULL, 't' },
		{ "store", required_argument, NULL, 's' },
		{ "snp-chain", required_argument, NULL, 'S' },
		{ "tdx-root", required_argument, NULL, 'T' },
		{ "ek-ca", required_argument, NULL, 'E' },
		{ "at", required_argument, NULL, 'a' },
		{ "admin-group", required_argument, NULL, 'g' },
		{ "events", required_argument, NULL, 'v' },
		{ "vcek-cache", required_argument, NULL, 'V' },
		{ "kds", required_argument, NULL, 'K' },
		{ "kds-ca", required_argument, NULL, 'A' },
		{ "session-ttl", required_argument, NULL, 'L' },
		{ "challenge-ttl", required_argument, NULL, 'Q' },
		{ "max-challenges-per-source", required_argument, NULL, 'M' },
		{ "delegate-url", required_argument, NULL, 'D' },
		{ "delegate-ca", required_argument, NULL, 'X' },
		{ "delegate-cert", required_argument, NULL, 'Y' },
		{ "delegate-key", required_argument, NULL, 'Z' },
		{ "sa-issuer-key", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'W' },
		{ 0 },
	};
	struct serve_args a = { .store = DEFAULT_STORE, .admin_group = "system:masters" };
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'l': a.listen = optarg; break;
		case 'c': a.cert = optarg; break;
		case 'k': a.key = optarg; break;
		case 'C': a.client_ca = optarg; break;
		case 'r': a.root_key = optarg; break;
		case 't': a.token_key = optarg; break;
		case 's': a.store = optarg; break;
		case 'S': a.snp_chain = optarg; break;
		case 'T': a.tdx_root = optarg; break;
		case 'E': a.ek_ca = optarg; break;
		case 'v': a.events = optarg; break;
		case 'V': a.vcek_cache = optarg; break;
		case 'K': a.kds = optarg; break;
		case 'A': a.kds_ca = optarg; break;
		case 'L':
			if (!int_option("--session-ttl", optarg, 1, 3600, &a.session_ttl))
				return CLI_EXIT_USAGE;
			break;
		case 'Q':
			if (!int_option("--challenge-ttl", optarg, 1, 3600, &a.challenge_ttl))
				return CLI_EXIT_USAGE;
			break;
		case 'M':
			if (!int_option("--max-challenges-per-source", optarg, 1, 4096, &a.max_challenges_per_source))
				return CLI_EXIT_USAGE;
			break;
		case 'a': a.at = optarg; break;
		case 'g': a.admin_group = optarg; break;
		case 'D': a.delegate_url = optarg; break;
		case 'X': a.delegate_ca = optarg; break;
		case 'Y': a.delegate_cert = optarg; break;
		case 'Z': a.delegate_key = optarg; break;
		case 'I': a.sa_issuer_key = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		case 'W': cli_print_version(PROGRAM, false); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (!a.listen || !a.cert || !a.key || !a.client_ca || !a.root_key || !a.token_key || optind != argc) {
		cli_error(PROGRAM, "serve needs --listen, --cert, --key, --client-ca, --root-key and --token-key");
		return CLI_EXIT_USAGE;
	}
	if (a.delegate_url &&
	    (strncmp(a.delegate_url, "https://", 8) != 0 || !a.delegate_ca || !a.delegate_cert || !a.delegate_key)) {
		cli_error(PROGRAM,
			  "--delegate-url needs an https URL, --delegate-ca, --delegate-cert and --delegate-key");
		return CLI_EXIT_USAGE;
	}
	return serve(&a);
}
