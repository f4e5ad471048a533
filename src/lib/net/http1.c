/* HTTP/1.1 framing with http-parser. http-parser does the byte-level grammar (request line,
 * header syntax, chunked decoding, Content-Length conflicts); this file adds our limits, collects
 * the request, and pauses the parser at the two points where the connection must act: headers
 * complete (100-continue or early refusal) and message complete (dispatch).
 *
 * http-parser is lenient where RFC 9112 is not: it takes bare LF as a line end, unfolds obs-fold
 * lines, and reads `Content-Length : 5` (whitespace before the colon) as Content-Length. Leniency in
 * framing is how request smuggling starts, so the header section is checked here before http-parser
 * sees it (check_header_bytes), field names must be tokens, and HTTP/1.1 needs exactly one Host
 * (RFC 9112 §2.2, §3.2, §5.1, §5.2). */
#include "lib/net/http1.h"

#include "lib/base/cleanup.h"
#include "lib/net/budget.h"

#include <errno.h>
#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct http1_parser {
	http_parser parser;
	http_parser_settings settings;
	struct http1_limits limits;
	struct cc_http_request request;
	struct cc_buf url;
	struct cc_buf field;
	struct cc_buf value;
	bool in_value;
	size_t header_bytes;
	bool headers_done;
	bool complete;
	bool keep_alive;
	bool expect_continue;
	bool discard_body; /* no route takes this request: its body is read and dropped */
	size_t discarded;
	size_t body_limit; /* of the current request's route */
	struct cc_mem_charge *charge;
	/* Header-section check (check_header_bytes): state carried across reads. */
	bool scan_done;       /* the empty line ending the header section was seen */
	bool scan_line_start; /* the next byte starts a line */
	bool scan_after_cr;
	size_t scan_lines;
	int error_status;
	char error_text[160];
};

static int fail(struct http1_parser *p, int status, const char *text)
{
	if (!p->error_status) {
		p->error_status = status;
		snprintf(p->error_text, sizeof(p->error_text), "%s", text);
	}
	return -1; /* makes http-parser stop with a callback error */
}

static int count_header_bytes(struct http1_parser *p, size_t len)
{
	p->header_bytes += len;
	if (p->header_bytes > p->limits.max_header_bytes)
		return fail(p, 431, "request line and headers exceed the size limit");
	return 0;
}

static struct http1_parser *from(http_parser *hp)
{
	return hp->data;
}

static int on_url(http_parser *hp, const char *at, size_t len)
{
	struct http1_parser *p = from(hp);
	if (count_header_bytes(p, len) < 0)
		return -1;
	cc_buf_append(&p->url, at, len);
	return 0;
}

static bool is_token(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!cc_http_tchar((unsigned char)s[i]))
			return false;
	return len > 0;
}

static int flush_header(struct http1_parser *p)
{
	if (p->field.len == 0)
		return 0;
	/* RFC 9112 §5.1: no whitespace between the field name and the colon; a server must answer 400. */
	if (!is_token(p->field.data, p->field.len))
		return fail(p, 400,
			    "invalid header field name (whitespace before the colon, or a non-token character)");
	int r = cc_http_request_add_header(&p->request, p->field.data, p->field.len, p->value.data ? p->value.data : "",
					   p->value.len);
	cc_buf_reset(&p->field);
	cc_buf_reset(&p->value);
	if (r == -E2BIG)
		return fail(p, 431, "too many header fields");
	if (r < 0)
		return fail(p, 400, "invalid character in a header value");
	return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
	struct http1_parser *p = from(hp);
	if (count_header_bytes(p, len) < 0)
		return -1;
	if (p->in_value) {
		if (flush_header(p) < 0)
			return -1;
		p->in_value = false;
	}
	cc_buf_append(&p->field, at, len);
	return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
	struct http1_parser *p = from(hp);
	if (count_header_bytes(p, len) < 0)
		return -1;
	p->in_value = true;
	cc_buf_append(&p->value, at, len);
	return 0;
}

static int on_headers_complete(http_parser *hp)
{
	struct http1_parser *p = from(hp);
	if (flush_header(p) < 0)
		return -1;
	struct cc_http_request *req = &p->request;
	req->method = cc_xstrdup(http_method_str((enum http_method)hp->method));
	req->version = hp->http_major * 10 + hp->http_minor;
	if (hp->http_major != 1)
		return fail(p, 505, "only HTTP/1.0 and HTTP/1.1 are spoken here (or HTTP/2 with prior knowledge)");
	if (cc_http_request_set_target(req, p->url.data ? p->url.data : "", p->url.len) < 0)
		return fail(p, 400, "invalid request target (expected an absolute path such as /v1/x)");
	if (req->version == 11) {
		size_t hosts = 0;
		for (size_t i = 0; i < req->header_count; i++)
			hosts += strcmp(req->headers[i].name, "host") == 0;
		if (hosts != 1)
			return fail(p, 400,
				    hosts ? "more than one Host header" : "missing Host header (required in HTTP/1.1)");
	}
	p->body_limit = p->limits.max_body;
	if (p->limits.routes) {
		const struct cc_http_route *route =
		    cc_http_find_route(p->limits.routes, p->limits.route_count, req->method, req->path);
		p->discard_body = route == NULL;
		if (route && route->max_body)
			p->body_limit = route->max_body;
	}
	if (hp->content_length != ULLONG_MAX && hp->content_length > p->body_limit)
		return fail(p, 413, "request body exceeds the size limit");
	const char *expect = cc_http_request_header(req, "expect");
	if (expect) {
		if (strcasecmp(expect, "100-continue") != 0)
			return fail(p, 417, "unsupported Expect header");
		p->expect_continue = true;
	}
	p->keep_alive = http_should_keep_alive(hp) && !hp->upgrade;
	p->headers_done = true;
	http_parser_pause(hp, 1);
	return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
	struct http1_parser *p = from(hp);
	if (p->discard_body) {
		p->discarded += len;
		return p->discarded > p->body_limit ? fail(p, 413, "request body exceeds the size limit") : 0;
	}
	if (p->request.body.len + len > p->body_limit)
		return fail(p, 413, "request body exceeds the size limit");
	if (p->charge && !cc_mem_charge_add(p->charge, len))
		return fail(p, 503, "server busy: request memory budget exhausted, retry later");
	cc_buf_append(&p->request.body, at, len);
	return 0;
}

/* RFC 9112 §2.2: lines end in CRLF (a bare LF is refused, not taken as a line end); §5.2: obs-fold
 * (a header line starting with SP or HTAB) is refused. Scans the header section only. */
static int check_header_bytes(struct http1_parser *p, const char *data, size_t len)
{
	for (size_t i = 0; i < len && !p->scan_done; i++) {
		char c = data[i];
		if (c == '\n') {
			if (!p->scan_after_cr)
				return fail(p, 400, "bare LF in the request head (lines must end in CRLF)");
			p->scan_after_cr = false;
			if (p->scan_line_start && p->scan_lines > 0)
				p->scan_done = true; /* the empty line: the body (if any) follows */
			else if (!p->scan_line_start)
				p->scan_lines++;
			p->scan_line_start = true;
			continue;
		}
		if (p->scan_after_cr)
			return fail(p, 400, "CR not followed by LF in the request head");
		if (c == '\r') {
			p->scan_after_cr = true;
			continue;
		}
		if (p->scan_line_start && p->scan_lines > 0 && (c == ' ' || c == '\t'))
			return fail(p, 400, "obsolete line folding in a header (RFC 9112 §5.2)");
		p->scan_line_start = false;
	}
	return 0;
}

static int on_message_complete(http_parser *hp)
{
	struct http1_parser *p = from(hp);
	p->complete = true;
	p->keep_alive = http_should_keep_alive(hp) && !hp->upgrade;
	http_parser_pause(hp, 1);
	return 0;
}

struct http1_parser *http1_parser_new(const struct http1_limits *limits, const struct cc_peer *peer)
{
	struct http1_parser *p = cc_xcalloc(1, sizeof(*p));
	p->limits = *limits;
	p->settings.on_url = on_url;
	p->settings.on_header_field = on_header_field;
	p->settings.on_header_value = on_header_value;
	p->settings.on_headers_complete = on_headers_complete;
	p->settings.on_body = on_body;
	p->settings.on_message_complete = on_message_complete;
	http_parser_init(&p->parser, HTTP_REQUEST);
	p->parser.data = p;
	p->request.peer = peer;
	p->scan_line_start = true;
	return p;
}

void http1_parser_free(struct http1_parser *p)
{
	if (!p)
		return;
	cc_http_request_reset(&p->request);
	if (p->charge)
		cc_mem_charge_release(p->charge);
	cc_buf_free(&p->url);
	cc_buf_free(&p->field);
	cc_buf_free(&p->value);
	free(p);
}

enum http1_event http1_parser_feed(struct http1_parser *p, const char *data, size_t len, size_t *consumed)
{
	*consumed = 0;
	if (p->error_status)
		return HTTP1_ERROR;
	if (p->complete)
		return HTTP1_REQUEST;
	if (len == 0) /* http-parser reads a zero-length call as end of stream */
		return HTTP1_NEED_MORE;
	bool had_headers = p->headers_done;
	if (!p->scan_done && check_header_bytes(p, data, len) < 0)
		return HTTP1_ERROR;
	http_parser_pause(&p->parser, 0);
	size_t n = http_parser_execute(&p->parser, &p->settings, data, len);
	*consumed = n;
	enum http_errno e = HTTP_PARSER_ERRNO(&p->parser);
	if (p->error_status)
		return HTTP1_ERROR;
	if (e != HPE_OK && e != HPE_PAUSED) {
		if (e == HPE_HEADER_OVERFLOW)
			fail(p, 431, "request headers exceed the size limit");
		else if (e == HPE_INVALID_METHOD)
			fail(p, 501, "unknown request method");
		else {
			char text[160];
			snprintf(text, sizeof(text), "malformed HTTP request: %s", http_errno_description(e));
			fail(p, 400, text);
		}
		return HTTP1_ERROR;
	}
	if (p->complete)
		return HTTP1_REQUEST;
	if (p->headers_done && !had_headers)
		return HTTP1_HEADERS;
	return HTTP1_NEED_MORE;
}

struct cc_http_request *http1_parser_request(struct http1_parser *p)
{
	return &p->request;
}

int http1_parser_error_status(const struct http1_parser *p)
{
	return p->error_status;
}

const char *http1_parser_error_text(const struct http1_parser *p)
{
	return p->error_text;
}

bool http1_parser_keep_alive(const struct http1_parser *p)
{
	return p->keep_alive && !p->error_status;
}

bool http1_parser_expects_continue(const struct http1_parser *p)
{
	return p->expect_continue;
}

void http1_parser_next(struct http1_parser *p)
{
	cc_http_request_reset(&p->request);
	cc_buf_reset(&p->url);
	cc_buf_reset(&p->field);
	cc_buf_reset(&p->value);
	p->in_value = false;
	p->header_bytes = 0;
	p->headers_done = false;
	p->complete = false;
	p->expect_continue = false;
	p->discard_body = false;
	p->discarded = 0;
	if (p->charge)
		cc_mem_charge_release(p->charge);
	p->scan_done = false;
	p->scan_line_start = true;
	p->scan_after_cr = false;
	p->scan_lines = 0;
}

void http1_parser_set_charge(struct http1_parser *p, struct cc_mem_charge *charge)
{
	p->charge = charge;
}

void http1_write_response(struct cc_buf *out, const struct cc_http_response *resp, bool head, bool keep_alive)
{
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm); /* RFC 9110 §5.6.7 IMF-fixdate */
	cc_buf_appendf(out,
		       "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: cocoon\r\nContent-Type: %s\r\nContent-Length: %zu\r\n",
		       resp->status, cc_http_status_text(resp->status), date, resp->content_type, resp->body.len);
	cc_buf_append_str(out, "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n");
	for (size_t i = 0; i < resp->header_count; i++)
		cc_buf_appendf(out, "%s: %s\r\n", resp->headers[i].name, resp->headers[i].value);
	cc_buf_appendf(out, "Connection: %s\r\n\r\n", keep_alive ? "keep-alive" : "close");
	if (!head && resp->body.len)
		cc_buf_append(out, resp->body.data, resp->body.len);
}
