/* cocoon key: named, versioned encryption keys in the state store (src/keys/keyring.h). */
#include "cmd/cli.h"
#include "commands.h"
#include "keys/keyring.h"
#include "keys/root_key_tpm.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/secure.h"
#include "lib/json/json.h"
#include "lib/store/store.h"
#include "lib/tpm/tcti.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_STORE  "sqlite:/var/lib/cocoon/state.db"
#define DEFAULT_TENANT "default"
#define LINE_MAX_BYTES (64 * 1024)

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon key init-root [--tpm] FILE\n"
		"       cocoon key create|rotate NAME --root-key FILE [--store STORE] [--tenant T] [--json]\n"
		"       cocoon key retire NAME --version N --root-key FILE [--store STORE] [--tenant T]\n"
		"       cocoon key list [--store STORE] [--tenant T] [--json]\n"
		"       cocoon key encrypt|decrypt|rewrap NAME --root-key FILE [--store STORE] [--tenant T]\n\n"
		"Keys are AES-256-GCM with versions: create makes version 1; rotate adds a version that becomes\n"
		"the primary (used to encrypt), while older versions still decrypt until retired. Key material is\n"
		"stored sealed under the root key: init-root writes a new one (mode 0600); with --tpm the key is\n"
		"sealed to the node's TPM (COCOON_TPM_TCTI, TPM2TOOLS_TCTI or /dev/tpmrm0) and used as\n"
		"--root-key tpm:FILE, so it never exists in a file and opens on that TPM only.\n"
		"encrypt reads lines of plain text from standard input and prints base64 ciphertexts; decrypt does\n"
		"the reverse; rewrap re-encrypts ciphertexts under the primary version without printing the plain\n"
		"text (do it before retiring a version).\n"
		"STORE is sqlite:PATH (default %s) or etcd:URL[,URL...]; the tenant defaults to `%s`.\n"
		"Every change is recorded as an audit event when COCOON_AUDIT_SOCKET is set.\n",
		DEFAULT_STORE, DEFAULT_TENANT);
}

struct key_args {
	const char *verb, *name, *store_url, *tenant, *root_key;
	long version;
	bool json;
};

static int parse(int argc, char **argv, struct key_args *a)
{
	static const struct option options[] = {
		{ "store", required_argument, NULL, 's' },
		{ "tenant", required_argument, NULL, 't' },
		{ "root-key", required_argument, NULL, 'r' },
		{ "version", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	*a = (struct key_args){ .verb = argv[0], .store_url = DEFAULT_STORE, .tenant = DEFAULT_TENANT, .version = -1 };
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 's': a->store_url = optarg; break;
		case 't': a->tenant = optarg; break;
		case 'r': a->root_key = optarg; break;
		case 'v': {
			char *end;
			a->version = strtol(optarg, &end, 10);
			if (*end || a->version < 1) {
				cli_error("cocoon key", "--version `%s` is not a version number", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'j': a->json = true; break;
		case 'h': usage(stdout); return -1;
		default: return CLI_EXIT_USAGE;
		}
	}
	bool wants_name = strcmp(a->verb, "list") != 0;
	if (wants_name && optind + 1 != argc) {
		cli_error("cocoon key", "%s needs exactly one key NAME", a->verb);
		return CLI_EXIT_USAGE;
	}
	if (!wants_name && optind != argc) {
		cli_error("cocoon key", "list takes no arguments");
		return CLI_EXIT_USAGE;
	}
	a->name = wants_name ? argv[optind] : NULL;
	if (wants_name && !a->root_key) {
		cli_error("cocoon key", "%s needs --root-key FILE", a->verb);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(a->verb, "retire") == 0 && a->version < 0) {
		cli_error("cocoon key", "retire needs --version N");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static int change(const struct key_args *a, struct cc_store *store, const uint8_t *root)
{
	enum keyring_op op = strcmp(a->verb, "create") == 0   ? KEYRING_CREATE
			     : strcmp(a->verb, "rotate") == 0 ? KEYRING_ROTATE
							      : KEYRING_RETIRE;
	struct cc_error err = { 0 };
	uint32_t version = 0;
	char action[32], object[160];
	snprintf(action, sizeof(action), "key.%s", a->verb);
	snprintf(object, sizeof(object), "%s/%s", a->tenant, a->name);
	int r = keyring_change(store, root, a->tenant, a->name, op, (uint32_t)(a->version > 0 ? a->version : 0),
			       &version, &err);
	cli_emit_decision("key", action, object, a->tenant, r == 0, r < 0 ? cc_error_message(&err) : NULL);
	if (r < 0) {
		cli_error("cocoon key", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (a->json)
		printf("{\"tenant\":\"%s\",\"name\":\"%s\",\"version\":%u,\"action\":\"%s\"}\n", a->tenant, a->name,
		       version, a->verb);
	else
		printf("key %s: version %u %s\n", object, version,
		       op == KEYRING_CREATE   ? "created"
		       : op == KEYRING_ROTATE ? "is the new primary"
					      : "retired");
	return CLI_EXIT_OK;
}

static int list(const struct key_args *a, struct cc_store *store)
{
	struct cc_error err = { 0 };
	json_t *keys;
	if (keyring_list(store, a->tenant, &keys, &err) < 0) {
		cli_error("cocoon key", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (a->json) {
		_cleanup_free_ char *text = json_dumps(keys, JSON_COMPACT);
		printf("%s\n", text);
	} else {
		printf("%-24s %-8s %s\n", "NAME", "PRIMARY", "VERSIONS");
		size_t i, j;
		json_t *k, *v;
		json_array_foreach (keys, i, k) {
			printf("%-24s %-8lld", json_string_value(json_object_get(k, "name")),
			       (long long)json_integer_value(json_object_get(k, "primary")));
			json_array_foreach (json_object_get(k, "versions"), j, v)
				printf(" v%lld(%s)", (long long)json_integer_value(json_object_get(v, "version")),
				       json_string_value(json_object_get(v, "state")));
			printf("\n");
		}
	}
	json_decref(keys);
	return CLI_EXIT_OK;
}

/* One line of standard input through encrypt, decrypt or rewrap. */
static int transform_line(const char *verb, const struct keyring *kr, char *line, size_t len, struct cc_error *err)
{
	_cleanup_free_ uint8_t *input = NULL, *plain = NULL, *cipher = NULL;
	size_t input_len = len, plain_len = len;
	if (strcmp(verb, "encrypt") == 0) {
		plain = cc_xmalloc(len + 1); /* the line may hold NUL bytes: copy all len of them */
		memcpy(plain, line, len);
	} else {
		if (cc_base64_decode(line, len, &input, &input_len) < 0)
			return cc_error_set(err, EINVAL, "not base64");
		plain = cc_xmalloc(input_len + 1);
		if (keyring_decrypt(kr, input, input_len, plain, &plain_len, NULL, err) < 0)
			return -EBADMSG;
	}
	int r = 0;
	if (strcmp(verb, "decrypt") == 0) {
		fwrite(plain, 1, plain_len, stdout);
		putchar('\n');
	} else {
		cipher = cc_xmalloc(plain_len + KEYRING_OVERHEAD);
		if ((r = keyring_encrypt(kr, plain, plain_len, cipher, err)) == 0) {
			_cleanup_free_ char *text = cc_base64_encode(cipher, plain_len + KEYRING_OVERHEAD);
			printf("%s\n", text);
		}
	}
	cc_wipe(plain, plain_len);
	return r;
}

static int transform(const struct key_args *a, struct cc_store *store, const uint8_t *root)
{
	struct cc_error err = { 0 };
	struct keyring *kr;
	if (keyring_load(store, root, a->tenant, a->name, &kr, &err) < 0) {
		cli_error("cocoon key", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	char *line = NULL;
	size_t size = 0, number = 0, failed = 0;
	ssize_t n;
	while ((n = getline(&line, &size, stdin)) >= 0) {
		number++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > LINE_MAX_BYTES) {
			cli_error("cocoon key", "line %zu: longer than %d bytes", number, LINE_MAX_BYTES);
			failed++;
			continue;
		}
		if (transform_line(a->verb, kr, line, (size_t)n, &err) < 0) {
			cli_error("cocoon key", "line %zu: %s", number, cc_error_message(&err));
			failed++;
		}
	}
	if (line)
		cc_wipe(line, size);
	free(line);
	keyring_free(kr);
	return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int init_root(int argc, char **argv)
{
	bool tpm = argc == 3 && strcmp(argv[1], "--tpm") == 0;
	if (argc != 2 + tpm) {
		cli_error("cocoon key", "init-root needs [--tpm] FILE");
		return CLI_EXIT_USAGE;
	}
	const char *path = argv[argc - 1];
	struct cc_error err = { 0 };
	int r = tpm ? keys_root_key_tpm_seal(cc_tpm_tcti(), path, &err) : keys_root_key_generate(path, &err);
	if (r < 0) {
		cli_error("cocoon key", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (tpm)
		printf("root key sealed to the TPM in %s; use it as --root-key tpm:%s (it opens on this TPM only)\n",
		       path, path);
	else
		printf("root key written to %s (mode 0600); keep a copy offline: without it no key can be opened\n",
		       path);
	return CLI_EXIT_OK;
}

int cmd_key(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "init-root") == 0)
		return init_root(argc - 1, argv + 1);
	static const char *const verbs[] = { "create", "rotate", "retire", "list", "encrypt", "decrypt", "rewrap" };
	bool known = false;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		known |= strcmp(argv[1], verbs[i]) == 0;
	if (!known) {
		cli_error("cocoon key", "unknown command `%s` (see cocoon key --help)", argv[1]);
		return CLI_EXIT_USAGE;
	}
	struct key_args a;
	int r = parse(argc - 1, argv + 1, &a);
	if (r != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	struct cc_error err = { 0 };
	uint8_t root[KEYS_ROOT_KEY_SIZE];
	if (a.root_key && keys_root_key_load(a.root_key, root, &err) < 0) {
		cli_error("cocoon key", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	struct cc_store *store;
	if (cc_store_open(a.store_url, &store, &err) < 0) {
		cli_error("cocoon key", "%s", cc_error_message(&err));
		cc_wipe(root, sizeof(root));
		return CLI_EXIT_FAILURE;
	}
	if (strcmp(a.verb, "list") == 0)
		r = list(&a, store);
	else if (strcmp(a.verb, "encrypt") == 0 || strcmp(a.verb, "decrypt") == 0 || strcmp(a.verb, "rewrap") == 0)
		r = transform(&a, store, root);
	else
		r = change(&a, store, root);
	cc_store_close(store);
	cc_wipe(root, sizeof(root));
	return r;
}
