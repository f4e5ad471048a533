/* libcurl-based HTTP client. One easy handle per request: simple, thread-safe, and connection
 * reuse is not worth shared state for the CLI and control-plane calls this serves. */
#include "lib/net/client.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
	struct cc_buf *body;
	bool overflow;
	CURL *curl;
	const struct cc_http_client_config *cfg;
	bool stopped; /* on_body asked to end the stream */
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *sink = userdata;
	size_t n = size * nmemb;
	if (sink->cfg->on_body) {
		long status = 0;
		curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300) {
			if (sink->cfg->on_body(sink->cfg->on_body_ctx, ptr, n))
				return n;
			sink->stopped = true;
			return 0;
		}
	}
	if (cc_buf_append(sink->body, ptr, n) < 0) {
		sink->overflow = true;
		return 0; /* makes curl abort the transfer */
	}
	return n;
}

/* Keeps name=value of the first Set-Cookie header (a session cookie, as the KBS protocol uses). */
static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
	struct cc_http_result *res = userdata;
	size_t n = size * nmemb;
	static const char name[] = "set-cookie:";
	if (!res->set_cookie[0] && n > sizeof(name) && strncasecmp(line, name, sizeof(name) - 1) == 0) {
		const char *value = line + sizeof(name) - 1;
		while (*value == ' ')
			value++;
		size_t len = strcspn(value, ";\r\n");
		if (len < sizeof(res->set_cookie))
			snprintf(res->set_cookie, sizeof(res->set_cookie), "%.*s", (int)len, value);
	}
	return n;
}

void cc_http_result_free(struct cc_http_result *res)
{
	cc_buf_free(&res->body);
}

struct cc_http_connection {
	CURL *curl; /* its connection cache holds the open connection */
};

void cc_http_connection_close(struct cc_http_connection *c)
{
	if (c) {
		curl_easy_cleanup(c->curl);
		free(c);
	}
}

/* A handle for one request: the kept one (options reset, connection kept) or a new one. */
static CURL *request_handle(const struct cc_http_client_config *cfg)
{
	if (cfg->connection && *cfg->connection) {
		curl_easy_reset((*cfg->connection)->curl);
		return (*cfg->connection)->curl;
	}
	CURL *curl = curl_easy_init();
	if (curl && cfg->connection) {
		*cfg->connection = cc_xcalloc(1, sizeof(**cfg->connection));
		(*cfg->connection)->curl = curl;
	}
	return curl;
}

/* Whether anything answered: ECONNREFUSED when nothing listens (or the name does not resolve), so
 * that a caller can tell a server that is down from one that failed the exchange (EPROTO: TLS, a
 * broken answer). */
static int transport_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST: return ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT: return ETIMEDOUT;
	default: return EPROTO;
	}
}

int cc_http_client_request(const struct cc_http_client_config *cfg, const char *method, const char *url,
			   const char *content_type, const void *body, size_t body_len, struct cc_http_result *res,
			   struct cc_error *err)
{
	pthread_once(&curl_once, curl_init_once);
	*res = (struct cc_http_result){ 0 };
	cc_buf_init_limited(&res->body, cfg->max_response ? cfg->max_response : 16u << 20);
	CURL *curl = request_handle(cfg);
	if (!curl)
		return cc_error_set(err, ENOMEM, "cannot create an HTTP client");
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink = { .body = &res->body, .curl = curl, .cfg = cfg };

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	if (cfg->timeout_ms >= 0)
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_ms ? cfg->timeout_ms : 30000));
	else
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, res);
	if (cfg->cookie)
		curl_easy_setopt(curl, CURLOPT_COOKIE, cfg->cookie);

	if (cfg->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->cert_file) {
		curl_easy_setopt(curl, CURLOPT_SSLCERT, cfg->cert_file);
		curl_easy_setopt(curl, CURLOPT_SSLKEY, cfg->key_file ? cfg->key_file : cfg->cert_file);
	}
	if (cfg->unix_socket)
		curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, cfg->unix_socket);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	_cleanup_free_ char *type_header = content_type ? cc_xasprintf("Content-Type: %s", content_type) : NULL;
	if (type_header)
		headers = curl_slist_append(headers, type_header);
	_cleanup_free_ char *auth =
	    cfg->bearer_token ? cc_xasprintf("Authorization: Bearer %s", cfg->bearer_token) : NULL;
	if (auth)
		headers = curl_slist_append(headers, auth);
	for (const char *const *h = cfg->headers; h && *h; h++)
		headers = curl_slist_append(headers, *h);
	headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

	CURLcode rc = curl_easy_perform(curl);
	int r = 0;
	if (rc == CURLE_WRITE_ERROR && sink.stopped)
		rc = CURLE_OK; /* the stream's reader had enough */
	if (rc != CURLE_OK) {
		if (sink.overflow)
			r = cc_error_set(err, EMSGSIZE, "%s %s: response larger than %zu bytes", method, url,
					 res->body.limit);
		else
			r = cc_error_set(err, transport_errno(rc), "%s %s: %s", method, url,
					 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		cc_buf_free(&res->body);
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &res->status);
		char *type = NULL;
		curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
		snprintf(res->content_type, sizeof(res->content_type), "%s", type ? type : "");
	}
	if (auth)
		OPENSSL_cleanse(auth, strlen(auth));
	curl_slist_free_all(headers);
	if (!cfg->connection)
		curl_easy_cleanup(curl);
	return r;
}

int cc_http_client_json(const struct cc_http_client_config *cfg, const char *method, const char *url,
			const json_t *body, long *ret_status, json_t **ret_json, struct cc_error *err)
{
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct cc_http_result res;
	int r = cc_http_client_request(cfg, method, url, text ? "application/json" : NULL, text,
				       text ? strlen(text) : 0, &res, err);
	if (r < 0)
		return r;
	json_t *value = NULL;
	if (res.body.len > 0) {
		r = cc_json_parse(res.body.data, res.body.len, res.body.limit, url, &value, err);
		if (r < 0) {
			cc_http_result_free(&res);
			return cc_error_prefix(err, "%s %s (HTTP %ld)", method, url, res.status);
		}
	}
	*ret_status = res.status;
	*ret_json = value;
	cc_http_result_free(&res);
	return 0;
}
