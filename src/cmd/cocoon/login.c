/* cocoon login: signs a person in with the company's OpenID Connect provider, as kubelogin does for
 * kubectl. The authorization-code flow with PKCE (RFC 7636) through the browser and a listener on
 * 127.0.0.1 (RFC 8252 §7.3), or the device authorization grant (RFC 8628, login_device.c) where no
 * browser runs; the ID token (and refresh token) cached 0600 under
 * ~/.cache/cocoon/oidc/; a kubeconfig whose user is an exec credential plugin (`cocoon login
 * --exec`, client.authentication.k8s.io/v1 ExecCredential), so kubectl gets a fresh token from
 * the cache, a refresh, or a new login, whenever it needs one. The provider's and cocoond's
 * certificates are checked; no token is ever printed except to kubectl, through --exec.
 *
 *   cocoon login --issuer URL --client-id ID [--client-secret S] [--issuer-ca FILE] [--scope S]
 *                [--device | --no-browser] [--timeout SECONDS] [--listen ADDR]
 *                [--kubeconfig FILE --server URL --ca FILE [--name NAME]]
 *   cocoon login --exec --issuer URL --client-id ID ...      (for kubectl) */
#include "login.h"

#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"
#include "lib/json/json.h"
#include "lib/net/client.h"
#include "lib/net/http.h"
#include "lib/net/server.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRAM         "cocoon login"
#define EXPIRY_MARGIN_S 30 /* a token this close to its end is refreshed first */

/* ---- the provider ---- */

static struct cc_http_client_config provider_client(const struct login *l)
{
	return (struct cc_http_client_config){ .ca_file = l->issuer_ca, .timeout_ms = 15000 };
}

static int discover(struct login *l, struct cc_error *err)
{
	_cleanup_free_ char *url = cc_xasprintf("%s%s.well-known/openid-configuration", l->issuer,
						l->issuer[strlen(l->issuer) - 1] == '/' ? "" : "/");
	struct cc_http_client_config cfg = provider_client(l);
	long status = 0;
	int r = cc_http_client_json(&cfg, "GET", url, NULL, &status, &l->discovery, err);
	if (r == 0 && status != 200)
		r = cc_error_set(err, EIO, "GET %s: HTTP %ld", url, status);
	if (r == 0 && (!json_string_value(json_object_get(l->discovery, "authorization_endpoint")) ||
		       !json_string_value(json_object_get(l->discovery, "token_endpoint"))))
		r = cc_error_set(err, EINVAL,
				 "the provider's discovery document names no authorization or token endpoint");
	return r;
}

void login_form_add(struct cc_buf *form, const char *name, const char *value)
{
	char *escaped = curl_easy_escape(NULL, value, 0);
	cc_buf_appendf(form, "%s%s=%s", form->len ? "&" : "", name, escaped ? escaped : "");
	curl_free(escaped);
}

int login_post_form(const struct login *l, const char *endpoint, struct cc_buf *form, long *ret_status, json_t **ret,
		    struct cc_error *err)
{
	login_form_add(form, "client_id", l->client_id);
	if (l->client_secret)
		login_form_add(form, "client_secret", l->client_secret);
	struct cc_http_client_config cfg = provider_client(l);
	struct cc_http_result res = { 0 };
	int r = cc_http_client_request(&cfg, "POST", endpoint, "application/x-www-form-urlencoded", form->data,
				       form->len, &res, err);
	cc_buf_free_secure(form);
	*ret = NULL;
	if (r == 0)
		r = cc_json_parse(res.body.data ? res.body.data : "", res.body.len, 1u << 20, endpoint, ret, err);
	*ret_status = res.status;
	cc_http_result_free(&res);
	return r;
}

const char *login_error_text(const json_t *answer)
{
	return json_string_value(json_object_get(answer, "error_description"))
		   ?: json_string_value(json_object_get(answer, "error"));
}

/* POSTs the form to the token endpoint; *ret is its JSON answer (id_token, refresh_token, ...). */
static int token_request(const struct login *l, struct cc_buf *form, json_t **ret, struct cc_error *err)
{
	long status = 0;
	int r = login_post_form(l, json_string_value(json_object_get(l->discovery, "token_endpoint")), form, &status,
				ret, err);
	if (r == 0 && (status != 200 || !json_string_value(json_object_get(*ret, "id_token")))) {
		const char *why = login_error_text(*ret);
		r = cc_error_set(err, EACCES, "the provider gave no ID token (HTTP %ld%s%s)", status, why ? ": " : "",
				 why ? why : "");
		json_decref(*ret);
		*ret = NULL;
	}
	return r;
}

/* ---- the browser's way back: one request to 127.0.0.1 ---- */

struct callback {
	pthread_mutex_t lock;
	pthread_cond_t done;
	char *code, *state, *error;
	bool answered;
};

static void on_callback(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct callback *cb = userdata;
	pthread_mutex_lock(&cb->lock);
	if (!cb->answered) {
		cb->code = cc_http_request_query(req, "code");
		cb->state = cc_http_request_query(req, "state");
		cb->error = cc_http_request_query(req, "error");
		cb->answered = true;
		pthread_cond_signal(&cb->done);
	}
	pthread_mutex_unlock(&cb->lock);
	resp->status = 200;
	snprintf(resp->content_type, sizeof(resp->content_type), "text/html; charset=utf-8");
	cc_buf_append_str(&resp->body, "<!doctype html><title>cocoon login</title><p>Signed in. You may close this "
				       "window and return to the terminal.</p>\n");
}

static void open_browser(const char *url)
{
	char *argv[] = { "xdg-open", (char *)url, NULL };
	pid_t pid;
	if (posix_spawnp(&pid, "xdg-open", NULL, NULL, argv, NULL) != 0)
		fprintf(stderr, "(no browser could be opened: open the address yourself)\n");
}

static int random_text(size_t bytes, char **ret, struct cc_error *err)
{
	uint8_t raw[64];
	int r = cc_random_bytes(raw, bytes, err);
	if (r == 0)
		*ret = cc_base64url_encode(raw, bytes);
	explicit_bzero(raw, sizeof(raw));
	return r;
}

/* The authorization-code flow with PKCE; *ret the token response. */
static int interactive(struct login *l, json_t **ret, struct cc_error *err)
{
	_cleanup_free_ char *verifier = NULL, *state = NULL, *challenge = NULL;
	uint8_t digest[32];
	int r = random_text(32, &verifier, err);
	if (r == 0)
		r = random_text(16, &state, err);
	if (r == 0)
		r = cc_digest(CC_DIGEST_SHA256, verifier, strlen(verifier), digest, err);
	if (r < 0)
		return r;
	challenge = cc_base64url_encode(digest, sizeof(digest));
	struct callback cb = { .lock = PTHREAD_MUTEX_INITIALIZER };
	pthread_cond_init(&cb.done, NULL);
	struct cc_http_route route = { .method = "GET", .path = "/callback", .handler = on_callback, .userdata = &cb };
	struct cc_server_config scfg = { .listen = l->listen, .routes = &route, .route_count = 1 };
	struct cc_server *server = NULL;
	r = cc_server_start(&scfg, &server, err);
	if (r < 0)
		return cc_error_prefix(err, "listen for the provider's answer on %s", l->listen);
	_cleanup_free_ char *redirect = cc_xasprintf("http://127.0.0.1:%d/callback", cc_server_port(server));
	struct cc_buf url = CC_BUF_INIT;
	cc_buf_append_str(&url, json_string_value(json_object_get(l->discovery, "authorization_endpoint")));
	struct cc_buf query = CC_BUF_INIT;
	login_form_add(&query, "response_type", "code");
	login_form_add(&query, "client_id", l->client_id);
	login_form_add(&query, "redirect_uri", redirect);
	login_form_add(&query, "scope", l->scope);
	login_form_add(&query, "state", state);
	login_form_add(&query, "code_challenge", challenge);
	login_form_add(&query, "code_challenge_method", "S256");
	cc_buf_appendf(&url, "%s%s", strchr(url.data, '?') ? "&" : "?", query.data);
	cc_buf_free(&query);
	fprintf(stderr, "Open this address in a browser to sign in with %s:\n\n  %s\n\n", l->issuer, url.data);
	fflush(stderr);
	if (!l->no_browser)
		open_browser(url.data);
	cc_buf_free(&url);
	pthread_mutex_lock(&cb.lock);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += l->timeout_s;
	while (!cb.answered && pthread_cond_timedwait(&cb.done, &cb.lock, &until) == 0)
		;
	bool answered = cb.answered;
	pthread_mutex_unlock(&cb.lock);
	cc_server_stop(server);
	if (!answered)
		r = cc_error_set(err, ETIMEDOUT, "no answer from the browser within %d s", l->timeout_s);
	else if (cb.error)
		r = cc_error_set(err, EACCES, "the provider refused the sign-in: %s", cb.error);
	else if (!cb.state || strcmp(cb.state, state) != 0)
		r = cc_error_set(err, EACCES, "the answer's state does not match this sign-in (a forged redirect?)");
	else if (!cb.code || !cb.code[0])
		r = cc_error_set(err, EACCES, "the provider's answer carries no code");
	if (r == 0) {
		struct cc_buf form = CC_BUF_INIT;
		login_form_add(&form, "grant_type", "authorization_code");
		login_form_add(&form, "code", cb.code);
		login_form_add(&form, "redirect_uri", redirect);
		login_form_add(&form, "code_verifier", verifier);
		r = token_request(l, &form, ret, err);
	}
	free(cb.code);
	free(cb.state);
	free(cb.error);
	pthread_cond_destroy(&cb.done);
	return r;
}

/* ---- the cache ---- */

static int cache_path(struct login *l, struct cc_error *err)
{
	const char *base = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	_cleanup_free_ char *dir = base && base[0] ? cc_xasprintf("%s/cocoon/oidc", base)
						   : cc_xasprintf("%s/.cache/cocoon/oidc", home ? home : "/root");
	_cleanup_free_ char *key = cc_xasprintf("%s\n%s", l->issuer, l->client_id);
	uint8_t digest[32];
	int r = cc_digest(CC_DIGEST_SHA256, key, strlen(key), digest, err);
	char hex[65];
	if (r == 0)
		cc_hex_encode(digest, 16, hex);
	if (r == 0)
		r = cc_mkdir_p(dir, 0700, err);
	if (r == 0)
		snprintf(l->cache_path, sizeof(l->cache_path), "%s/%.32s.json", dir, hex);
	return r;
}

/* The ID token's exp, read without verifying (the API server verifies; this only schedules). */
static int64_t token_expiry(const char *id_token)
{
	const char *dot1 = strchr(id_token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	_cleanup_free_ uint8_t *payload = NULL;
	size_t len;
	_cleanup_json_ json_t *claims = NULL;
	struct cc_error err = { 0 };
	if (!dot2 || cc_base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload, &len) < 0 ||
	    cc_json_parse((const char *)payload, len, 1u << 16, "claims", &claims, &err) < 0)
		return 0;
	return json_integer_value(json_object_get(claims, "exp"));
}

static int save(const struct login *l, const json_t *tokens, struct cc_error *err)
{
	_cleanup_json_ json_t *kept =
	    json_pack("{s:s, s:s, s:O?, s:O?}", "issuer", l->issuer, "client_id", l->client_id, "id_token",
		      json_object_get(tokens, "id_token"), "refresh_token", json_object_get(tokens, "refresh_token"));
	_cleanup_free_ char *text = json_dumps(kept, JSON_COMPACT);
	int r = cc_write_file_atomic(l->cache_path, text, strlen(text), 0600, err);
	explicit_bzero(text, strlen(text));
	return r;
}

/* A usable ID token: cached and fresh, refreshed, or from a new sign-in (interactive allowed). */
static int obtain(struct login *l, bool interactive_allowed, char **ret_token, struct cc_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	_cleanup_json_ json_t *cached = NULL, *fresh = NULL;
	struct cc_error ignored = { 0 };
	if (cc_read_file(l->cache_path, 1u << 20, &text, &len, &ignored) == 0)
		cc_json_parse(text, len, 1u << 20, l->cache_path, &cached, &ignored);
	const char *id = json_string_value(json_object_get(cached, "id_token"));
	int64_t now = cc_time_now_ns() / 1000000000;
	if (id && token_expiry(id) > now + EXPIRY_MARGIN_S) {
		*ret_token = cc_xstrdup(id);
		return 0;
	}
	int r = discover(l, err);
	const char *refresh = json_string_value(json_object_get(cached, "refresh_token"));
	if (r == 0 && refresh) {
		struct cc_buf form = CC_BUF_INIT;
		login_form_add(&form, "grant_type", "refresh_token");
		login_form_add(&form, "refresh_token", refresh);
		if (token_request(l, &form, &fresh, &ignored) < 0)
			fresh = NULL; /* the refresh token is spent or revoked: sign in again */
	}
	if (r == 0 && !fresh) {
		if (!interactive_allowed)
			return cc_error_set(err, EACCES, "no valid token cached: run `cocoon login` first");
		r = l->device ? login_device(l, &fresh, err) : interactive(l, &fresh, err);
	}
	if (r == 0 && !json_object_get(fresh, "refresh_token") && refresh)
		json_object_set_new(fresh, "refresh_token",
				    json_string(refresh)); /* kept: the provider did not rotate it */
	if (r == 0)
		r = save(l, fresh, err);
	if (r == 0)
		*ret_token = cc_xstrdup(json_string_value(json_object_get(fresh, "id_token")));
	return r;
}

/* ---- output ---- */

static int print_exec_credential(const char *token)
{
	char when[CC_TIME_RFC3339_MAX] = "";
	int64_t exp = token_expiry(token);
	if (exp)
		cc_time_format_rfc3339_seconds(exp * 1000000000LL, when, sizeof(when));
	_cleanup_json_ json_t *cred = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "client.authentication.k8s.io/v1",
						"kind", "ExecCredential", "status", "token", token);
	if (exp)
		json_object_set_new(json_object_get(cred, "status"), "expirationTimestamp", json_string(when));
	_cleanup_free_ char *text = json_dumps(cred, JSON_COMPACT);
	puts(text);
	explicit_bzero(text, strlen(text));
	return CLI_EXIT_OK;
}

/* A kubeconfig (JSON, which kubectl reads as YAML) whose user runs this command with --exec. */
static int write_kubeconfig(const struct login *l, const char *path, const char *server, const char *ca,
			    const char *name, struct cc_error *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return cc_error_set_errno(err, errno, "find this program's path");
	self[n] = '\0';
	json_t *args =
	    json_pack("[s, s, s, s, s, s]", "login", "--exec", "--issuer", l->issuer, "--client-id", l->client_id);
	if (l->issuer_ca)
		json_array_extend(args, json_pack("[s, s]", "--issuer-ca", l->issuer_ca));
	if (strcmp(l->scope, "openid") != 0)
		json_array_extend(args, json_pack("[s, s]", "--scope", l->scope));
	if (l->device) /* a sign-in kubectl needs again is done the same way */
		json_array_append_new(args, json_string("--device"));
	_cleanup_json_ json_t *config =
	    json_pack("{s:s, s:s, s:[{s:s, s:{s:s, s:s}}], s:[{s:s, s:{s:{s:s, s:s, s:o, s:s, s:b}}}], s:[{s:s, "
		      "s:{s:s, s:s}}], s:s}",
		      "apiVersion", "v1", "kind", "Config", "clusters", "name", name, "cluster", "server", server,
		      "certificate-authority", ca, "users", "name", name, "user", "exec", "apiVersion",
		      "client.authentication.k8s.io/v1", "command", self, "args", args, "interactiveMode",
		      "IfAvailable", "provideClusterInfo", 0, "contexts", "name", name, "context", "cluster", name,
		      "user", name, "current-context", name);
	_cleanup_free_ char *text = json_dumps(config, JSON_INDENT(2));
	return cc_write_file_atomic(path, text, strlen(text), 0600, err);
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "Usage: cocoon login --issuer URL --client-id ID [options]\n"
	    "Signs in with an OpenID Connect provider (authorization code with PKCE, through a browser; or\n"
	    "with --device, a code to enter on any other device, for hosts without a browser) and caches the\n"
	    "ID token for kubectl.\n\n"
	    "      --issuer URL         the provider (its /.well-known/openid-configuration)\n"
	    "      --client-id ID       this client's id at the provider\n"
	    "      --client-secret S    its secret, where the provider wants one\n"
	    "      --issuer-ca FILE     CA bundle for the provider (default: the system's)\n"
	    "      --scope SCOPES       space-separated scopes (default \"openid\")\n"
	    "      --device             the device authorization grant (RFC 8628): print an address and a\n"
	    "                           code to enter there, and wait for the sign-in (no listener here)\n"
	    "      --no-browser         print the address only; do not start a browser\n"
	    "      --timeout SECONDS    how long to wait for the sign-in (default 300)\n"
	    "      --listen ADDR        where the browser comes back (default 127.0.0.1:0, any free port)\n"
	    "      --kubeconfig FILE    write a kubeconfig whose user signs in through this command\n"
	    "      --server URL         with --kubeconfig: cocoond's address (https://HOST:PORT)\n"
	    "      --ca FILE            with --kubeconfig: cocoond's CA\n"
	    "      --name NAME          with --kubeconfig: cluster, user and context name (default cocoon-oidc)\n"
	    "      --exec               print a client.authentication.k8s.io/v1 ExecCredential (kubectl runs this)\n"
	    "Tokens are cached 0600 in ~/.cache/cocoon/oidc/.\n");
}

int cmd_login(int argc, char **argv)
{
	enum {
		O_ISSUER = 1000,
		O_CLIENT_ID,
		O_SECRET,
		O_ISSUER_CA,
		O_SCOPE,
		O_NO_BROWSER,
		O_TIMEOUT,
		O_LISTEN,
		O_KUBECONFIG,
		O_SERVER,
		O_CA,
		O_NAME,
		O_EXEC,
		O_DEVICE
	};
	static const struct option options[] = { { "issuer", required_argument, NULL, O_ISSUER },
						 { "client-id", required_argument, NULL, O_CLIENT_ID },
						 { "client-secret", required_argument, NULL, O_SECRET },
						 { "issuer-ca", required_argument, NULL, O_ISSUER_CA },
						 { "scope", required_argument, NULL, O_SCOPE },
						 { "no-browser", no_argument, NULL, O_NO_BROWSER },
						 { "timeout", required_argument, NULL, O_TIMEOUT },
						 { "listen", required_argument, NULL, O_LISTEN },
						 { "kubeconfig", required_argument, NULL, O_KUBECONFIG },
						 { "server", required_argument, NULL, O_SERVER },
						 { "ca", required_argument, NULL, O_CA },
						 { "name", required_argument, NULL, O_NAME },
						 { "exec", no_argument, NULL, O_EXEC },
						 { "device", no_argument, NULL, O_DEVICE },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	struct login l = { .scope = "openid", .listen = "127.0.0.1:0", .timeout_s = 300 };
	const char *kubeconfig = NULL, *server = NULL, *ca = NULL, *name = "cocoon-oidc";
	bool exec = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case O_ISSUER: l.issuer = optarg; break;
		case O_CLIENT_ID: l.client_id = optarg; break;
		case O_SECRET: l.client_secret = optarg; break;
		case O_ISSUER_CA: l.issuer_ca = optarg; break;
		case O_SCOPE: l.scope = optarg; break;
		case O_NO_BROWSER: l.no_browser = true; break;
		case O_TIMEOUT: l.timeout_s = atoi(optarg); break;
		case O_LISTEN: l.listen = optarg; break;
		case O_KUBECONFIG: kubeconfig = optarg; break;
		case O_SERVER: server = optarg; break;
		case O_CA: ca = optarg; break;
		case O_NAME: name = optarg; break;
		case O_EXEC: exec = true; break;
		case O_DEVICE: l.device = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (!l.issuer || !l.client_id || strncmp(l.issuer, "https://", 8) != 0 || l.timeout_s <= 0 ||
	    (kubeconfig && (!server || !ca))) {
		cli_error(PROGRAM,
			  "--issuer (https) and --client-id are required; --kubeconfig needs --server and --ca");
		return CLI_EXIT_USAGE;
	}
	struct cc_error err = { 0 };
	_cleanup_free_ char *token = NULL;
	int r = cache_path(&l, &err);
	/* kubectl runs --exec with our stdin only when it is interactive (interactiveMode IfAvailable). */
	if (r == 0)
		r = obtain(&l, !exec || isatty(STDIN_FILENO), &token, &err);
	if (r == 0 && kubeconfig)
		r = write_kubeconfig(&l, kubeconfig, server, ca, name, &err);
	json_decref(l.discovery);
	if (r < 0) {
		cli_error(PROGRAM, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (exec) {
		int rc = print_exec_credential(token);
		explicit_bzero(token, strlen(token));
		return rc;
	}
	explicit_bzero(token, strlen(token));
	fprintf(stderr, "Signed in with %s; the token is cached in %s.\n", l.issuer, l.cache_path);
	if (kubeconfig)
		fprintf(stderr, "kubectl --kubeconfig %s now signs in as you (context %s).\n", kubeconfig, name);
	return CLI_EXIT_OK;
}
