/* One HTTP(S) exchange with its headers, redirects and a streamed, hashed body (http_fetch.h).
 *
 * A separate file from client.c because its concerns differ: client.c serves JSON APIs with small
 * bodies and keeps connections; this serves downloads that may be gigabytes, go to a file, must be
 * hashed as they stream, and whose headers (WWW-Authenticate, Docker-Content-Digest) matter.
 *
 * With redirects followed, curl reports the headers of every answer in turn; only the last one's
 * are kept (a status line starts over), and a body is taken only from a final answer, never from a
 * 3xx. A custom Authorization header is not sent on to another host (curl does that since 7.58),
 * and a redirect from https may only go to https. */
#include "lib/net/http_fetch.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/digest.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_SIZE   (16u << 20)
#define ERROR_BODY_MAX     (64u << 10)
#define HEADERS_MAX        (64u << 10)
#define DEFAULT_CONNECT_MS 30000L
#define DEFAULT_STALL_S    60L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct fetch {
	const struct cc_http_fetch_config *cfg;
	struct cc_http_fetch_result *res;
	CURL *curl;
	struct cc_digest_ctx *digest;
	uint64_t max;
	bool overflow, write_failed, headers_overflow, cancelled;
	int write_errno;
};

static bool final_answer(struct fetch *f, long *ret_status)
{
	long status = 0;
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
	*ret_status = status;
	return status < 300 || status >= 400;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fetch *f = userdata;
	size_t n = size * nmemb;
	long status;
	if (!final_answer(f, &status))
		return n; /* a redirect's body: nothing anyone reads */
	bool ok = status >= 200 && status < 300;
	if (ok && f->res->size + n > f->max) {
		f->overflow = true;
		return 0; /* makes curl abort the transfer */
	}
	if (ok && f->cfg->out_fd >= 0) {
		if (cc_write_all(f->cfg->out_fd, ptr, n) < 0) {
			f->write_failed = true;
			f->write_errno = errno;
			return 0;
		}
	} else if (cc_buf_append(&f->res->body, ptr, n) < 0) {
		f->overflow = true;
		return 0;
	}
	if (ok)
		cc_digest_update(f->digest, ptr, n);
	f->res->size += n;
	if (f->cfg->on_progress) {
		curl_off_t total = 0;
		curl_easy_getinfo(f->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total);
		f->cfg->on_progress(f->cfg->progress_ctx, f->res->size, total > 0 ? (uint64_t)total : 0);
	}
	return n;
}

/* curl calls this often, also while nothing arrives: where a cancellation is noticed. */
static int on_xfer(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct fetch *f = userdata;
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (f->cfg->cancel && __atomic_load_n(f->cfg->cancel, __ATOMIC_RELAXED)) {
		f->cancelled = true;
		return 1;
	}
	return 0;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
	struct fetch *f = userdata;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0)
		cc_buf_reset(&f->res->headers); /* a new answer (after a redirect or a 100) */
	if (cc_buf_append(&f->res->headers, line, n) < 0) {
		f->headers_overflow = true;
		return 0;
	}
	return n;
}

void cc_http_fetch_result_free(struct cc_http_fetch_result *res)
{
	cc_buf_free(&res->body);
	cc_buf_free(&res->headers);
	free(res->effective_url);
	res->effective_url = NULL;
}

char *cc_http_fetch_header(const struct cc_http_fetch_result *res, const char *name)
{
	size_t name_len = strlen(name);
	const char *p = res->headers.data, *end = p ? p + res->headers.len : NULL;
	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		if ((size_t)(line_end - p) > name_len && strncasecmp(p, name, name_len) == 0 && p[name_len] == ':') {
			const char *v = p + name_len + 1;
			while (v < line_end && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = line_end;
			while (ve > v && isspace((unsigned char)ve[-1]))
				ve--;
			return cc_xstrndup(v, (size_t)(ve - v));
		}
		p = eol ? eol + 1 : end;
	}
	return NULL;
}

/* Whether anything answered, and whether TLS was the trouble (see http_fetch.h). */
static int transport_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST: return ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT: return ETIMEDOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS: return EPROTO;
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_UNSUPPORTED_PROTOCOL: return EPROTO;
	default: return EIO;
	}
}

static void set_options(struct fetch *f, const char *method, const char *url, struct curl_slist *headers, char *errbuf)
{
	const struct cc_http_fetch_config *cfg = f->cfg;
	CURL *curl = f->curl;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
			 cfg->connect_timeout_ms > 0 ? (long)cfg->connect_timeout_ms : DEFAULT_CONNECT_MS);
	if (cfg->timeout_ms > 0)
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
			 cfg->stall_timeout_s > 0 ? (long)cfg->stall_timeout_s : DEFAULT_STALL_S);
	if (cfg->max_redirects > 0) {
		curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(curl, CURLOPT_MAXREDIRS, (long)cfg->max_redirects);
		/* No downgrade: what started over https stays on https. */
		curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
				 strncasecmp(url, "https:", 6) == 0 ? "https" : "http,https");
	}
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, f);
	if (cfg->cancel) {
		curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_xfer);
		curl_easy_setopt(curl, CURLOPT_XFERINFODATA, f);
		curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	}
	if (cfg->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->ca_pem) {
		struct curl_blob blob = { .data = (void *)cfg->ca_pem,
					  .len = strlen(cfg->ca_pem),
					  .flags = CURL_BLOB_COPY };
		curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (cfg->insecure) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cfg->user_agent)
		curl_easy_setopt(curl, CURLOPT_USERAGENT, cfg->user_agent);
	if (cfg->basic_auth) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERPWD, cfg->basic_auth);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
}

static int transfer_error(struct fetch *f, CURLcode rc, const char *method, const char *url, const char *errbuf,
			  struct cc_error *err)
{
	if (f->cancelled)
		return cc_error_set(err, ECANCELED, "%s %s: cancelled", method, url);
	if (f->overflow)
		return cc_error_set(err, EMSGSIZE, "%s %s: the answer is larger than %llu bytes", method, url,
				    (unsigned long long)(f->res->status >= 300 ? ERROR_BODY_MAX : f->max));
	if (f->write_failed)
		return cc_error_set_errno(err, f->write_errno ? f->write_errno : EIO, "%s %s: write the body", method,
					  url);
	if (f->headers_overflow)
		return cc_error_set(err, EMSGSIZE, "%s %s: the answer's headers are larger than %u bytes", method, url,
				    HEADERS_MAX);
	return cc_error_set(err, transport_errno(rc), "%s %s: %s", method, url,
			    errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

int cc_http_fetch(const struct cc_http_fetch_config *cfg, const char *method, const char *url,
		  struct cc_http_fetch_result *res, struct cc_error *err)
{
	pthread_once(&curl_once, curl_init_once);
	*res = (struct cc_http_fetch_result){ 0 };
	struct fetch f = { .cfg = cfg, .res = res, .max = cfg->max_size ? cfg->max_size : DEFAULT_MAX_SIZE };
	/* In memory the limit is the buffer's; an error's body is kept small when the body goes to a file. */
	size_t memory_limit = cfg->out_fd >= 0 ? ERROR_BODY_MAX : (f.max > SIZE_MAX - 1 ? SIZE_MAX - 1 : f.max);
	cc_buf_init_limited(&res->body, memory_limit);
	cc_buf_init_limited(&res->headers, HEADERS_MAX);
	int r = cc_digest_begin(CC_DIGEST_SHA256, &f.digest, err);
	if (r < 0)
		return r;
	f.curl = curl_easy_init();
	if (!f.curl) {
		cc_digest_abort(f.digest);
		return cc_error_set(err, ENOMEM, "cannot create an HTTP client");
	}
	struct curl_slist *headers = NULL;
	for (const char *const *h = cfg->headers; h && *h; h++)
		headers = curl_slist_append(headers, *h);
	char errbuf[CURL_ERROR_SIZE] = "";
	set_options(&f, method, url, headers, errbuf);

	CURLcode rc = curl_easy_perform(f.curl);
	curl_easy_getinfo(f.curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (rc != CURLE_OK) {
		r = transfer_error(&f, rc, method, url, errbuf, err);
		cc_digest_abort(f.digest);
		cc_http_fetch_result_free(res);
	} else {
		char *type = NULL, *effective = NULL;
		curl_easy_getinfo(f.curl, CURLINFO_CONTENT_TYPE, &type);
		snprintf(res->content_type, sizeof(res->content_type), "%s", type ? type : "");
		curl_easy_getinfo(f.curl, CURLINFO_EFFECTIVE_URL, &effective);
		res->effective_url = cc_xstrdup(effective ? effective : url);
		r = cc_digest_end(f.digest, res->sha256, err);
	}
	if (cfg->basic_auth) /* curl keeps a copy of the password in the handle until cleanup */
		curl_easy_setopt(f.curl, CURLOPT_USERPWD, "");
	curl_slist_free_all(headers);
	curl_easy_cleanup(f.curl);
	return r;
}
