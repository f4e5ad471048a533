/* Protocol-independent HTTP: request and response objects, JSON helpers and the router. */
#include "lib/net/http.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/net/response_stream.h"
#include "lib/net/websocket.h"
#include "lib/net/websocket_session.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

const char *cc_http_status_text(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

const char *cc_http_request_header(const struct cc_http_request *req, const char *name)
{
	for (size_t i = 0; i < req->header_count; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

int cc_http_request_add_header(struct cc_http_request *req, const char *name, size_t name_len, const char *value,
			       size_t value_len)
{
	if (req->header_count >= CC_HTTP_MAX_HEADERS)
		return -E2BIG;
	/* RFC 9110 §5.5: field values must not carry NUL, CR or LF (they would split headers). */
	for (size_t i = 0; i < value_len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c == 0 || c == '\r' || c == '\n')
			return -EINVAL;
	}
	char *n = cc_xstrndup(name, name_len);
	for (char *p = n; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	/* Trim optional whitespace around the value (RFC 9110 §5.5). */
	while (value_len > 0 && (*value == ' ' || *value == '\t'))
		value++, value_len--;
	while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
		value_len--;
	req->headers[req->header_count].name = n;
	req->headers[req->header_count].value = cc_xstrndup(value, value_len);
	req->header_count++;
	return 0;
}

int cc_http_percent_decode(char *s)
{
	char *out = s;
	for (char *p = s; *p; p++) {
		if (*p != '%') {
			*out++ = *p;
			continue;
		}
		int hi, lo;
		char h = p[1], l = h ? p[2] : '\0';
		hi = h >= '0' && h <= '9' ? h - '0' : (h | 32) >= 'a' && (h | 32) <= 'f' ? (h | 32) - 'a' + 10 : -1;
		lo = l >= '0' && l <= '9' ? l - '0' : (l | 32) >= 'a' && (l | 32) <= 'f' ? (l | 32) - 'a' + 10 : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -EINVAL;
		*out++ = (char)(hi << 4 | lo);
		p += 2;
	}
	*out = '\0';
	return 0;
}

int cc_http_request_set_target(struct cc_http_request *req, const char *target, size_t len)
{
	if (len == 0 || memchr(target, '\0', len))
		return -EINVAL;
	free(req->target);
	free(req->path);
	free(req->query);
	req->path = req->query = NULL;
	req->target = cc_xstrndup(target, len);
	if (strcmp(req->target, "*") == 0) {
		req->path = cc_xstrdup("*");
		return 0;
	}
	/* Only origin-form (RFC 9112 §3.2.1): this is not a proxy. */
	if (req->target[0] != '/')
		return -EINVAL;
	char *q = strchr(req->target, '?');
	size_t path_len = q ? (size_t)(q - req->target) : len;
	if (q)
		req->query = cc_xstrdup(q + 1);
	char *hash = req->query ? strchr(req->query, '#') : NULL;
	if (hash)
		*hash = '\0';
	req->path = cc_xstrndup(req->target, path_len);
	char *frag = strchr(req->path, '#');
	if (frag)
		*frag = '\0';
	return cc_http_percent_decode(req->path);
}

/* Finds the next parameter called name from *pos on; its decoded value (malloc'd), or NULL at the end
 * (*ret_bad set when a value had a bad escape). */
static char *next_query_value(const char **pos, const char *name, bool *ret_bad)
{
	size_t name_len = strlen(name);
	const char *p = *pos;
	*ret_bad = false;
	while (*p) {
		size_t seg = strcspn(p, "&");
		const char *start = p;
		p += seg;
		if (*p == '&')
			p++;
		*pos = p;
		if (seg == name_len && strncmp(start, name, name_len) == 0)
			return cc_xstrdup("");
		if (seg > name_len && strncmp(start, name, name_len) == 0 && start[name_len] == '=') {
			char *value = cc_xstrndup(start + name_len + 1, seg - name_len - 1);
			for (char *c = value; *c; c++)
				if (*c == '+')
					*c = ' ';
			if (cc_http_percent_decode(value) < 0) {
				free(value);
				*ret_bad = true;
				return NULL;
			}
			return value;
		}
	}
	*pos = p;
	return NULL;
}

char *cc_http_request_query(const struct cc_http_request *req, const char *name)
{
	if (!req->query)
		return NULL;
	const char *pos = req->query;
	bool bad;
	return next_query_value(&pos, name, &bad);
}

int cc_http_request_query_all(const struct cc_http_request *req, const char *name, char ***ret_values)
{
	char **values = cc_xcalloc(1, sizeof(*values));
	size_t count = 0;
	const char *pos = req->query ? req->query : "";
	for (;;) {
		bool bad;
		char *v = next_query_value(&pos, name, &bad);
		if (bad) {
			cc_http_query_values_free(values);
			return -EINVAL;
		}
		if (!v)
			break;
		values = cc_xrealloc(values, (count + 2) * sizeof(*values));
		values[count++] = v;
		values[count] = NULL;
	}
	*ret_values = values;
	return (int)count;
}

void cc_http_query_values_free(char **values)
{
	for (char **v = values; v && *v; v++)
		free(*v);
	free(values);
}

void cc_http_request_reset(struct cc_http_request *req)
{
	for (size_t i = 0; i < req->header_count; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	free(req->method);
	free(req->target);
	free(req->path);
	free(req->query);
	cc_buf_free(&req->body);
	const struct cc_peer *peer = req->peer;
	*req = (struct cc_http_request){ .peer = peer };
}

void cc_http_response_init(struct cc_http_response *resp)
{
	*resp = (struct cc_http_response){ .status = 200 };
	snprintf(resp->content_type, sizeof(resp->content_type), "text/plain; charset=utf-8");
}

void cc_http_response_free(struct cc_http_response *resp)
{
	for (size_t i = 0; i < resp->header_count; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	resp->header_count = 0;
	cc_buf_free(&resp->body);
	if (resp->stream) {
		/* Never handed to a connection (an error after the handler chose to stream): the producer
		 * sees a closed stream. */
		cc_response_stream_abandon(resp->stream);
		resp->stream = NULL;
	}
	if (resp->websocket) {
		/* The same for an upgrade that never reached its connection. */
		cc_websocket_abandon(resp->websocket, CC_WS_CLOSE_ABNORMAL);
		resp->websocket = NULL;
	}
}

void cc_http_response_add_header(struct cc_http_response *resp, const char *name, const char *value)
{
	if (resp->header_count >= CC_ARRAY_SIZE(resp->headers))
		return;
	resp->headers[resp->header_count].name = cc_xstrdup(name);
	resp->headers[resp->header_count].value = cc_xstrdup(value);
	resp->header_count++;
}

void cc_http_response_json(struct cc_http_response *resp, int status, json_t *value)
{
	resp->status = status;
	snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
	cc_buf_reset(&resp->body);
	char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	json_decref(value);
	if (text) {
		cc_buf_append_str(&resp->body, text);
		cc_buf_append(&resp->body, "\n", 1);
		free(text);
	}
}

void cc_http_response_error(struct cc_http_response *resp, int status, const char *fmt, ...)
{
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	cc_http_response_json(resp, status,
			      json_pack("{s:{s:i, s:s, s:s}}", "error", "code", status, "status",
					cc_http_status_text(status), "message", message));
}

int cc_http_request_json(const struct cc_http_request *req, struct cc_http_response *resp, json_t **ret)
{
	const char *type = cc_http_request_header(req, "content-type");
	if (type && strncasecmp(type, "application/json", 16) != 0) {
		cc_http_response_error(resp, 415, "request body must be application/json, not `%s`", type);
		return -EINVAL;
	}
	struct cc_error err = { 0 };
	int r = cc_json_parse(req->body.data ? req->body.data : "", req->body.len, CC_JSON_MAX_SIZE, "request body",
			      ret, &err);
	if (r < 0)
		cc_http_response_error(resp, r == -EMSGSIZE ? 413 : 400, "%s", cc_error_message(&err));
	return r;
}

bool cc_http_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c)); /* strchr finds the terminator for 0 */
}

static bool path_matches(const struct cc_http_route *route, const char *path)
{
	if (route->prefix)
		return strncmp(path, route->path, strlen(route->path)) == 0;
	return strcmp(path, route->path) == 0;
}

static bool method_matches(const struct cc_http_route *route, const char *method)
{
	return !route->method || strcmp(route->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(route->method, "GET") == 0);
}

const struct cc_http_route *cc_http_find_route(const struct cc_http_route *routes, size_t count, const char *method,
					       const char *path)
{
	for (size_t i = 0; i < count; i++)
		if (path_matches(&routes[i], path) && method_matches(&routes[i], method))
			return &routes[i];
	return NULL;
}

size_t cc_http_body_limit(const struct cc_http_route *routes, size_t count, const char *method, const char *path,
			  size_t fallback)
{
	const struct cc_http_route *route = cc_http_find_route(routes, count, method, path);
	if (!route)
		return 0;
	return route->max_body ? route->max_body : fallback;
}

void cc_http_dispatch(const struct cc_http_route *routes, size_t count, const struct cc_http_request *req,
		      struct cc_http_response *resp)
{
	char allow[128] = "";
	bool path_found = false;
	for (size_t i = 0; i < count; i++) {
		if (!path_matches(&routes[i], req->path))
			continue;
		if (method_matches(&routes[i], req->method)) {
			routes[i].handler(req, resp, routes[i].userdata);
			return;
		}
		path_found = true;
		size_t used = strlen(allow);
		snprintf(allow + used, sizeof(allow) - used, "%s%s", used ? ", " : "", routes[i].method);
	}
	if (path_found) {
		cc_http_response_error(resp, 405, "method %s is not allowed on %s (allowed: %s)", req->method,
				       req->path, allow);
		cc_http_response_add_header(resp, "allow", allow);
		return;
	}
	cc_http_response_error(resp, 404, "no such endpoint: %s", req->path);
}
