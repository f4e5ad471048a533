/* The registry client (registry.h): the version check that picks the scheme and the
 * authentication, manifests, blobs, and the registry's errors turned into sentences.
 *
 * Authentication follows what the registry asks for, as docker and podman do: the version check
 * (GET /v2/) answers 200 (no authentication) or 401 with a challenge. A Bearer challenge sends us to
 * its realm for a token scoped to `repository:NAME:pull`, anonymously or with basic credentials
 * when we have some; a Basic challenge takes the credentials on every request. A 401 later on (a
 * token expired, or scoped too narrowly: the challenge then names the scope) is answered once with a
 * new token. Credentials and tokens are wiped when the client goes and never appear in a message. */
#include "image/registry.h"

#include "image/manifest.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"
#include "lib/net/http_fetch.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CHALLENGE_MAX     8192
#define TOKEN_ANSWER_MAX  (1u << 20)
#define ERROR_TEXT_MAX    300
#define BLOB_REDIRECTS    5
#define AUTH_FILE_MAX     (1u << 20)
#define VERSION_CHECK_MAX (64u << 10)
#define USER_AGENT        "cocoon-image-pull/1"

enum auth_kind { AUTH_NONE, AUTH_BEARER, AUTH_BASIC };

struct registry_client {
	char *domain;   /* as the reference names it: messages and credentials */
	char *endpoint; /* host[:port] actually contacted */
	char *repository;
	char *base; /* "https://endpoint" */
	struct registry_options opts;
	char *ca_file;
	bool insecure; /* TLS without verification (tls_verify false) */
	enum auth_kind auth;
	char *creds; /* "user:password" or NULL */
	char *token;
};

/* ---- WWW-Authenticate ---- */

void registry_challenge_clear(struct registry_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	*c = (struct registry_challenge){ 0 };
}

/* RFC 7230 §3.2.6 tchar */
static bool tchar(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* token or quoted-string at *p; a new string, or NULL when malformed. */
static char *param_value(const char **p)
{
	const char *s = *p;
	if (*s != '"') {
		const char *start = s;
		while (tchar(*s) || *s == '/' || *s == ':' || *s == '=') /* lenient: unquoted URLs happen */
			s++;
		if (s == start)
			return NULL;
		*p = s;
		return cc_xstrndup(start, (size_t)(s - start));
	}
	s++;
	char *out = cc_xmalloc(strlen(s) + 1);
	size_t n = 0;
	for (; *s && *s != '"'; s++) {
		if (*s == '\\') {
			s++;
			if (!*s)
				break;
		}
		out[n++] = *s;
	}
	if (*s != '"') {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*p = s + 1;
	return out;
}

int registry_parse_challenge(const char *value, struct registry_challenge *ret, struct cc_error *err)
{
	if (!value || strlen(value) > CHALLENGE_MAX)
		return cc_error_set(err, EINVAL, "a WWW-Authenticate header is missing or longer than %d bytes",
				    CHALLENGE_MAX);
	struct registry_challenge c = { 0 };
	const char *p = skip_blanks(value), *start = p;
	while (tchar(*p))
		p++;
	if (p == start || (*p && *p != ' ' && *p != '\t'))
		return cc_error_set(err, EINVAL, "WWW-Authenticate `%.200s` names no scheme", value);
	c.scheme = cc_xstrndup(start, (size_t)(p - start));
	for (p = skip_blanks(p); *p;) {
		const char *name = p;
		while (tchar(*p))
			p++;
		size_t name_len = (size_t)(p - name);
		const char *eq = skip_blanks(p);
		if (name_len == 0 || *eq != '=') {
			if (name_len > 0 && *eq != '=')
				break; /* the next challenge's scheme (or a token68): the first one is complete */
			registry_challenge_clear(&c);
			return cc_error_set(err, EINVAL, "WWW-Authenticate `%.200s` is malformed", value);
		}
		p = skip_blanks(eq + 1);
		char *v = param_value(&p);
		if (!v) {
			registry_challenge_clear(&c);
			return cc_error_set(err, EINVAL, "WWW-Authenticate `%.200s` has a malformed value", value);
		}
		char **slot = NULL;
		if (name_len == 5 && strncasecmp(name, "realm", 5) == 0)
			slot = &c.realm;
		else if (name_len == 7 && strncasecmp(name, "service", 7) == 0)
			slot = &c.service;
		else if (name_len == 5 && strncasecmp(name, "scope", 5) == 0)
			slot = &c.scope;
		else if (name_len == 5 && strncasecmp(name, "error", 5) == 0)
			slot = &c.error;
		if (slot && !*slot)
			*slot = v;
		else
			free(v);
		p = skip_blanks(p);
		if (*p == ',')
			p = skip_blanks(p + 1);
		else if (*p) {
			registry_challenge_clear(&c);
			return cc_error_set(err, EINVAL, "WWW-Authenticate `%.200s`: parameters are separated by `,`",
					    value);
		}
	}
	*ret = c;
	return 0;
}

/* ---- requests ---- */

static void secret_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void registry_client_free(struct registry_client *c)
{
	if (!c)
		return;
	free(c->domain);
	free(c->endpoint);
	free(c->repository);
	free(c->base);
	free(c->ca_file);
	secret_free(c->creds);
	secret_free(c->token);
	free(c);
}

const char *registry_client_scheme(const struct registry_client *c)
{
	return strncmp(c->base, "https:", 6) == 0 ? "https" : "http";
}

/* RFC 3986 §2.1 for a query parameter's value. */
static void append_escaped(struct cc_buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-._~", ch))
			cc_buf_append(out, s, 1);
		else
			cc_buf_appendf(out, "%%%02X", ch);
	}
}

/* What the registry said, from the distribution spec's error body {"errors": [{code, message}]}. */
static char *registry_error_text(const struct cc_http_fetch_result *res)
{
	_cleanup_json_ json_t *doc = NULL;
	struct cc_error ignored = { 0 };
	if (res->body.len > 0 &&
	    cc_json_parse(res->body.data, res->body.len, res->body.len + 1, "error", &doc, &ignored) == 0) {
		json_t *first = json_array_get(json_object_get(doc, "errors"), 0);
		const char *code = json_string_value(json_object_get(first, "code"));
		const char *message = json_string_value(json_object_get(first, "message"));
		if (code || message)
			return cc_xasprintf("%.60s%s%.200s", code ? code : "", code && message ? ": " : "",
					    message ? message : "");
	}
	/* Not the spec's JSON: its first line, if it is short printable text. */
	size_t n = strcspn(res->body.data ? res->body.data : "", "\r\n");
	if (n == 0 || n > ERROR_TEXT_MAX)
		return cc_xasprintf("HTTP %ld", res->status);
	for (size_t i = 0; i < n; i++)
		if (!isprint((unsigned char)res->body.data[i]))
			return cc_xasprintf("HTTP %ld", res->status);
	return cc_xstrndup(res->body.data, n);
}

static void fetch_config(const struct registry_client *c, struct cc_http_fetch_config *cfg, const char *const *headers,
			 int out_fd, uint64_t max)
{
	int timeout_ms = 0;
	if (c->opts.deadline_ms) {
		int64_t left = c->opts.deadline_ms - cc_time_monotonic_ms();
		timeout_ms = left < 1 ? 1 : left > INT32_MAX ? INT32_MAX : (int)left;
	}
	*cfg = (struct cc_http_fetch_config){ .ca_file = c->ca_file,
					      .insecure = c->insecure,
					      .headers = headers,
					      .stall_timeout_s = c->opts.stall_timeout_s,
					      .timeout_ms = timeout_ms,
					      .max_size = max,
					      .out_fd = out_fd,
					      .user_agent = USER_AGENT,
					      .cancel = c->opts.cancel };
}

/* A token for the challenge's realm (the token spec's GET with service and scope). */
static int fetch_token(struct registry_client *c, const struct registry_challenge *ch, struct cc_error *err)
{
	if (!ch->realm || (strncmp(ch->realm, "https://", 8) != 0 && strncmp(ch->realm, "http://", 7) != 0))
		return cc_error_set(err, EPROTO, "registry %s asks for a token from realm `%.200s`, which is no URL",
				    c->domain, ch->realm ? ch->realm : "");
	if (strncmp(ch->realm, "http://", 7) == 0 && strcmp(registry_client_scheme(c), "https") == 0 && !c->insecure)
		return cc_error_set(err, EPROTO,
				    "registry %s sends us for a token to `%.200s` over plain HTTP: refused (the "
				    "credentials and token would travel in clear)",
				    c->domain, ch->realm);
	_cleanup_buf_ struct cc_buf url = CC_BUF_INIT;
	cc_buf_append_str(&url, ch->realm);
	char sep = strchr(ch->realm, '?') ? '&' : '?';
	if (ch->service) {
		cc_buf_appendf(&url, "%cservice=", sep);
		append_escaped(&url, ch->service);
		sep = '&';
	}
	_cleanup_free_ char *scope =
	    ch->scope ? cc_xstrdup(ch->scope) : cc_xasprintf("repository:%s:pull", c->repository);
	cc_buf_appendf(&url, "%cscope=", sep);
	append_escaped(&url, scope);
	struct cc_http_fetch_config cfg;
	fetch_config(c, &cfg, NULL, -1, TOKEN_ANSWER_MAX);
	cfg.basic_auth = c->creds;
	cfg.max_redirects = BLOB_REDIRECTS;
	struct cc_http_fetch_result res;
	int r = cc_http_fetch(&cfg, "GET", url.data, &res, err);
	if (r < 0)
		return cc_error_prefix(err, "registry %s: token", c->domain);
	_cleanup_json_ json_t *doc = NULL;
	if (res.status != 200) {
		_cleanup_free_ char *text = registry_error_text(&res);
		r = cc_error_set(err, res.status == 401 || res.status == 403 ? EACCES : EPROTO,
				 "registry %s: the token service %.200s refused %s access to %s: %s", c->domain,
				 ch->realm, c->creds ? "the credentials'" : "anonymous", scope, text);
	} else if ((r = cc_json_parse(res.body.data, res.body.len, TOKEN_ANSWER_MAX, "token answer", &doc, err)) == 0) {
		const char *token = json_string_value(json_object_get(doc, "token"));
		if (!token || !*token)
			token = json_string_value(json_object_get(doc, "access_token"));
		if (!token || !*token || strpbrk(token, "\r\n"))
			r = cc_error_set(err, EPROTO, "registry %s: the token service's answer has no `token`",
					 c->domain);
		else {
			secret_free(c->token);
			c->token = cc_xstrdup(token);
			c->auth = AUTH_BEARER;
		}
	}
	cc_buf_free_secure(&res.body);
	cc_http_fetch_result_free(&res);
	return r;
}

/* Answers a 401: Bearer gets a token, Basic takes the credentials we have. */
static int authenticate(struct registry_client *c, const struct cc_http_fetch_result *res, struct cc_error *err)
{
	_cleanup_free_ char *value = cc_http_fetch_header(res, "WWW-Authenticate");
	struct registry_challenge ch = { 0 };
	int r = registry_parse_challenge(value, &ch, err);
	if (r < 0)
		return cc_error_prefix(err, "registry %s answered 401", c->domain);
	if (strcasecmp(ch.scheme, "Bearer") == 0)
		r = fetch_token(c, &ch, err);
	else if (strcasecmp(ch.scheme, "Basic") == 0 && c->creds)
		c->auth = AUTH_BASIC;
	else if (strcasecmp(ch.scheme, "Basic") == 0)
		r = cc_error_set(err, EACCES,
				 "registry %s asks for a user name and password: give them (--creds USER:PASSWORD, or "
				 "an auth file as `podman login` writes)",
				 c->domain);
	else
		r = cc_error_set(err, ENOTSUP, "registry %s asks for `%.40s` authentication, which is not supported",
				 c->domain, ch.scheme);
	registry_challenge_clear(&ch);
	return r;
}

/* One request with the authentication we have; a 401 is answered once and the request sent again.
 * A 401 after that (or when the challenge is the same as before) is the caller's to report. */
static int request(struct registry_client *c, const char *path, const char *accept, int out_fd, uint64_t max,
		   int redirects, struct cc_http_fetch_result *res, struct cc_error *err)
{
	_cleanup_free_ char *url = cc_xasprintf("%s%s", c->base, path);
	for (int attempt = 0;; attempt++) {
		_cleanup_free_ char *accept_header = accept ? cc_xasprintf("Accept: %s", accept) : NULL;
		char *bearer = c->auth == AUTH_BEARER ? cc_xasprintf("Authorization: Bearer %s", c->token) : NULL;
		const char *headers[3] = { 0 };
		size_t n = 0;
		if (accept_header)
			headers[n++] = accept_header;
		if (bearer)
			headers[n++] = bearer;
		struct cc_http_fetch_config cfg;
		fetch_config(c, &cfg, headers, out_fd, max);
		cfg.max_redirects = redirects;
		cfg.basic_auth = c->auth == AUTH_BASIC ? c->creds : NULL;
		int r = cc_http_fetch(&cfg, "GET", url, res, err);
		secret_free(bearer);
		if (r < 0)
			return r;
		if (res->status != 401 || attempt > 0)
			return 0;
		r = authenticate(c, res, err);
		cc_http_fetch_result_free(res);
		if (r < 0)
			return r;
	}
}

static int status_error(struct registry_client *c, const char *what, const struct cc_http_fetch_result *res,
			struct cc_error *err)
{
	_cleanup_free_ char *text = registry_error_text(res);
	if (res->status == 404)
		return cc_error_set(err, ENOENT, "registry %s has no %s (HTTP 404: %s)", c->domain, what, text);
	int code = res->status == 401 || res->status == 403 ? EACCES : EPROTO;
	return cc_error_set(err, code, "registry %s refused %s (HTTP %ld: %s)", c->domain, what, res->status, text);
}

/* ---- the version check ---- */

static int version_check_at(struct registry_client *c, const char *scheme, struct cc_error *err)
{
	free(c->base);
	c->base = cc_xasprintf("%s://%s", scheme, c->endpoint);
	struct cc_http_fetch_result res;
	int r = request(c, "/v2/", NULL, -1, VERSION_CHECK_MAX, 0, &res, err);
	if (r < 0)
		return r;
	if (res.status != 200)
		r = res.status == 404 ? cc_error_set(err, EPROTO,
						     "%s://%s/v2/ is not found: %s serves no registry (OCI "
						     "distribution API) there",
						     scheme, c->endpoint, c->domain)
				      : status_error(c, "the version check (GET /v2/)", &res, err);
	cc_http_fetch_result_free(&res);
	return r;
}

static int version_check(struct registry_client *c, struct cc_error *err)
{
	int r = version_check_at(c, "https", err);
	/* cc_http_fetch's own failures name the request ("GET URL: ..."); anything else is an answer. */
	bool transport = r < 0 && strncmp(err->message, "GET ", 4) == 0;
	if (c->opts.tls_verify || r == 0 || !transport || r == -ECONNREFUSED || r == -ETIMEDOUT) {
		if (transport && r == -EPROTO && c->opts.tls_verify)
			cc_error_prefix(err,
					"TLS with registry %s failed (trust its CA with --ca FILE, or cocoond "
					"--registry-ca; a registry without TLS needs --tls-verify=false, or cocoond "
					"--insecure-registry)",
					c->domain);
		return r;
	}
	/* tls_verify false and the registry speaks no TLS: podman's fallback to plain HTTP. */
	struct cc_error https_err = *err;
	r = version_check_at(c, "http", err);
	if (r < 0 && strncmp(err->message, "GET ", 4) == 0) {
		struct cc_error http_err = *err;
		return cc_error_set(err, -r, "registry %s answers neither HTTPS (%s) nor HTTP (%s)", c->domain,
				    https_err.message, http_err.message);
	}
	return r;
}

int registry_client_new(const char *domain, const char *repository, const struct registry_options *opts,
			struct registry_client **ret, struct cc_error *err)
{
	struct registry_client *c = cc_xcalloc(1, sizeof(*c));
	c->opts = *opts;
	c->domain = cc_xstrdup(domain);
	bool hub = strcmp(domain, "docker.io") == 0 || strcmp(domain, "index.docker.io") == 0;
	c->endpoint = cc_xstrdup(hub ? "registry-1.docker.io" : domain);
	c->repository =
	    hub && !strchr(repository, '/') ? cc_xasprintf("library/%s", repository) : cc_xstrdup(repository);
	c->ca_file = opts->ca_file ? cc_xstrdup(opts->ca_file) : NULL;
	c->insecure = !opts->tls_verify;
	c->creds = opts->creds ? cc_xstrdup(opts->creds) : NULL;
	c->opts.ca_file = c->opts.creds = c->opts.auth_file = NULL;
	if (c->ca_file && access(c->ca_file, R_OK) < 0) {
		int r = cc_error_set_errno(err, errno, "the CA file `%s` for registry %s", c->ca_file, domain);
		registry_client_free(c);
		return r;
	}
	if (!c->creds) {
		_cleanup_free_ char *path = opts->auth_file ? cc_xstrdup(opts->auth_file) : registry_auth_file();
		struct cc_error auth_err = { 0 };
		c->creds = path ? registry_auth_lookup(path, domain, &auth_err) : NULL;
		if (!c->creds && auth_err.code && opts->auth_file) {
			*err = auth_err;
			registry_client_free(c);
			return -auth_err.code;
		}
	}
	int r = version_check(c, err);
	if (r < 0) {
		registry_client_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

/* ---- manifests and blobs ---- */

void registry_manifest_clear(struct registry_manifest *m)
{
	free(m->data);
	free(m->content_type);
	*m = (struct registry_manifest){ 0 };
}

static void digest_text(const uint8_t md[32], char out[72])
{
	char hex[65];
	cc_hex_encode(md, 32, hex);
	snprintf(out, 72, "sha256:%s", hex);
}

int registry_get_manifest(struct registry_client *c, const char *reference, struct registry_manifest *ret,
			  struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("/v2/%s/manifests/%s", c->repository, reference);
	_cleanup_free_ char *what = cc_xasprintf("manifest %s:%s", c->repository, reference);
	struct cc_http_fetch_result res;
	int r = request(c, path, IMAGE_MANIFEST_ACCEPT, -1, IMAGE_MANIFEST_MAX_SIZE, BLOB_REDIRECTS, &res, err);
	if (r < 0)
		return r == -EMSGSIZE ? cc_error_prefix(err, "the %s", what) : r;
	if (res.status != 200) {
		r = status_error(c, what, &res, err);
		cc_http_fetch_result_free(&res);
		return r;
	}
	struct registry_manifest m = { .content_type = cc_xstrdup(res.content_type) };
	digest_text(res.sha256, m.digest);
	_cleanup_free_ char *header = cc_http_fetch_header(&res, "Docker-Content-Digest");
	if (strncmp(reference, "sha256:", 7) == 0 && strcmp(reference, m.digest) != 0)
		r = cc_error_set(err, EBADMSG, "registry %s sent a %s whose content is %s: refused (digest mismatch)",
				 c->domain, what, m.digest);
	else if (header && strncmp(header, "sha256:", 7) == 0 && strcmp(header, m.digest) != 0)
		r = cc_error_set(err, EBADMSG,
				 "registry %s sent the %s as %.80s, but its content is %s: refused (digest mismatch)",
				 c->domain, what, header, m.digest);
	if (r < 0) {
		registry_manifest_clear(&m);
		cc_http_fetch_result_free(&res);
		return r;
	}
	m.data = cc_buf_steal(&res.body, &m.len);
	cc_http_fetch_result_free(&res);
	*ret = m;
	return 0;
}

int registry_get_blob(struct registry_client *c, const char *digest, uint64_t size, int fd, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("/v2/%s/blobs/%s", c->repository, digest);
	_cleanup_free_ char *what = cc_xasprintf("blob %s", digest);
	struct cc_http_fetch_result res;
	int r = request(c, path, NULL, fd, size ? size : 1, BLOB_REDIRECTS, &res, err);
	if (r == -EMSGSIZE)
		return cc_error_set(err, EBADMSG,
				    "registry %s sent more than the %llu bytes the manifest gives %s: refused",
				    c->domain, (unsigned long long)size, what);
	if (r < 0)
		return r;
	if (res.status != 200)
		r = status_error(c, what, &res, err);
	else {
		char actual[72];
		digest_text(res.sha256, actual);
		if (res.size != size)
			r = cc_error_set(err, EBADMSG,
					 "registry %s sent %llu bytes of %s, the manifest says %llu: refused",
					 c->domain, (unsigned long long)res.size, what, (unsigned long long)size);
		else if (strcmp(actual, digest) != 0)
			r = cc_error_set(err, EBADMSG,
					 "registry %s sent %s with content %s: refused (digest mismatch: the blob is "
					 "corrupt or was tampered with)",
					 c->domain, what, actual);
	}
	cc_http_fetch_result_free(&res);
	return r;
}

/* ---- credentials files ---- */

char *registry_auth_file(void)
{
	const char *env = getenv("REGISTRY_AUTH_FILE");
	if (env && *env)
		return cc_xstrdup(env);
	const char *runtime = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	char *candidates[3] = {
		runtime && *runtime ? cc_xasprintf("%s/containers/auth.json", runtime) : NULL,
		home && *home ? cc_xasprintf("%s/.config/containers/auth.json", home) : NULL,
		home && *home ? cc_xasprintf("%s/.docker/config.json", home) : NULL,
	};
	char *found = NULL;
	for (size_t i = 0; i < CC_ARRAY_SIZE(candidates); i++) {
		if (!found && candidates[i] && access(candidates[i], R_OK) == 0)
			found = CC_TAKE_PTR(candidates[i]);
		free(candidates[i]);
	}
	return found;
}

/* An `auths` key names a registry as "host[:port]", maybe with a scheme or a path after it. */
static bool auth_key_matches(const char *key, const char *domain)
{
	if (strncmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncmp(key, "http://", 7) == 0)
		key += 7;
	size_t n = strlen(domain);
	return strncmp(key, domain, n) == 0 && (key[n] == '\0' || key[n] == '/');
}

static char *entry_creds(json_t *entry)
{
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	if (auth && *auth) {
		uint8_t *raw = NULL;
		size_t len = 0;
		if (cc_base64_decode(auth, strlen(auth), &raw, &len) < 0)
			return NULL;
		char *creds = memchr(raw, ':', len) && !memchr(raw, '\0', len) ? cc_xstrndup((char *)raw, len) : NULL;
		OPENSSL_cleanse(raw, len);
		free(raw);
		return creds;
	}
	const char *user = json_string_value(json_object_get(entry, "username"));
	const char *password = json_string_value(json_object_get(entry, "password"));
	return user && password ? cc_xasprintf("%s:%s", user, password) : NULL;
}

char *registry_auth_lookup(const char *path, const char *domain, struct cc_error *err)
{
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		cc_error_set(err, ENOENT, "the auth file `%s` does not exist", path);
		return NULL;
	}
	char *text = NULL;
	size_t len = 0;
	if (cc_read_file(path, AUTH_FILE_MAX, &text, &len, err) < 0)
		return NULL;
	json_t *doc = NULL;
	int r = cc_json_parse(text, len, AUTH_FILE_MAX, path, &doc, err);
	OPENSSL_cleanse(text, len);
	free(text);
	if (r < 0)
		return NULL;
	char *creds = NULL;
	const char *key;
	json_t *entry;
	json_object_foreach (json_object_get(doc, "auths"), key, entry)
		if (!creds && auth_key_matches(key, domain))
			creds = entry_creds(entry);
	json_decref(doc); /* the decoded strings in it are not wiped: jansson owns them */
	return creds;
}
