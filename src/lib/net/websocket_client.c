/* The WebSocket client (websocket_client.h): connect (unix, TCP, TLS), the opening handshake read
 * with http_parser, then frames through the shared reader. The socket is non-blocking throughout:
 * waits are poll() with the caller's timeout, and a send that finds no room takes in what the
 * server sends meanwhile (bounded), so that two peers each filling the other's window never both
 * wait. Under TLS a read may consume records that carry no data (TLS 1.3 session tickets), which is
 * why the socket is non-blocking even for a caller that blocks. */
#include "lib/net/websocket_client.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"
#include "lib/net/tls.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS  30000
#define DEFAULT_MAX_MESSAGE (16u << 20)
#define MAX_HANDSHAKE       (64u * 1024) /* the 101's headers, or a refusal with its body */
#define MAX_BUFFERED_IN     (64u << 20)  /* read ahead while a send waits */

struct cc_ws_client {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char peer[300]; /* "unix:/path" or "host:port", for messages */
	char protocol[64];
	struct cc_ws_reader *reader;
	struct cc_buf in; /* read, not yet fed to the reader */
	bool eof, close_sent, closed;
	enum cc_ws_event last; /* CC_WS_CLOSED or CC_WS_ERROR once closed */
	uint16_t close_code;
	char close_reason[512];
	bool text;
	char io_error[160];
};

void cc_ws_refusal_clear(struct cc_ws_refusal *r)
{
	cc_buf_free(&r->body);
	r->status = 0;
}

/* ---- the socket ---- */

static int remaining(int64_t deadline)
{
	int64_t left = deadline - cc_time_monotonic_ms();
	return left < 0 ? 0 : (int)left;
}

/* 1 ready, 0 timed out, -errno. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	for (;;) {
		int n = poll(&p, 1, timeout_ms);
		if (n >= 0)
			return n > 0;
		if (errno != EINTR)
			return -errno;
	}
}

static int connect_unix(struct cc_ws_client *c, const char *path, struct cc_error *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path))
		return cc_error_set(err, ENAMETOOLONG, "unix socket path `%s` is too long", path);
	strcpy(addr.sun_path, path);
	snprintf(c->peer, sizeof(c->peer), "unix:%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return cc_error_set_errno(err, errno, "socket for `%s`", c->peer);
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return cc_error_set_errno(err, errno, "connect to %s", c->peer);
	return 0;
}

static int connect_tcp(struct cc_ws_client *c, const char *host, unsigned short port, int64_t deadline,
		       struct cc_error *err)
{
	snprintf(c->peer, sizeof(c->peer), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	char service[8];
	snprintf(service, sizeof(service), "%u", port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *list = NULL;
	int g = getaddrinfo(host, service, &hints, &list);
	if (g != 0)
		return cc_error_set(err, EHOSTUNREACH, "resolve `%s`: %s", host, gai_strerror(g));
	int r = cc_error_set(err, ECONNREFUSED, "connect to %s: no address", c->peer);
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		int e = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			e = errno;
			if (e == EINPROGRESS) {
				socklen_t len = sizeof(e);
				int w = wait_fd(fd, POLLOUT, remaining(deadline));
				if (w <= 0)
					e = w == 0 ? ETIMEDOUT : -w;
				else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
					e = errno;
			}
		}
		if (e == 0) {
			c->fd = fd;
			r = 0;
			break;
		}
		close(fd);
		r = cc_error_set_errno(err, e, "connect to %s", c->peer);
	}
	freeaddrinfo(list);
	if (r == 0) {
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return r;
}

static int tls_error(struct cc_ws_client *c, struct cc_error *err, const char *what)
{
	char buf[256];
	long verify = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	if (verify != X509_V_OK)
		return cc_error_set(err, EPROTO, "TLS with %s: the server's certificate: %s", c->peer,
				    X509_verify_cert_error_string(verify));
	return cc_error_set(err, EPROTO, "TLS with %s: %s: %s", c->peer, what, cc_tls_last_error(buf, sizeof(buf)));
}

static int start_tls(struct cc_ws_client *c, const struct cc_ws_client_config *cfg, int64_t deadline,
		     struct cc_error *err)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx)
		return tls_error(c, err, "context");
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (cfg->ca_file ? SSL_CTX_load_verify_locations(c->ctx, cfg->ca_file, NULL) != 1
			 : SSL_CTX_set_default_verify_paths(c->ctx) != 1)
		return cc_error_set(err, EINVAL, "load the CA bundle `%s`", cfg->ca_file ? cfg->ca_file : "(system)");
	if (cfg->cert_file && (SSL_CTX_use_certificate_chain_file(c->ctx, cfg->cert_file) != 1 ||
			       SSL_CTX_use_PrivateKey_file(c->ctx, cfg->key_file ? cfg->key_file : cfg->cert_file,
							   SSL_FILETYPE_PEM) != 1 ||
			       SSL_CTX_check_private_key(c->ctx) != 1))
		return cc_error_set(err, EINVAL, "load the client certificate `%s` and key `%s`", cfg->cert_file,
				    cfg->key_file ? cfg->key_file : cfg->cert_file);
	/* HTTP/1.1 only: a WebSocket over HTTP/2 (RFC 8441) is not what this speaks. */
	static const unsigned char alpn[] = "\x08http/1.1";
	SSL_CTX_set_alpn_protos(c->ctx, alpn, sizeof(alpn) - 1);
	c->ssl = SSL_new(c->ctx);
	if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
		return tls_error(c, err, "session");
	unsigned char addr[16];
	bool ip = inet_pton(AF_INET, cfg->host, addr) == 1 || inet_pton(AF_INET6, cfg->host, addr) == 1;
	if (ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), cfg->host) != 1)
			return tls_error(c, err, "expected address");
	} else if (SSL_set_tlsext_host_name(c->ssl, cfg->host) != 1 || SSL_set1_host(c->ssl, cfg->host) != 1) {
		return tls_error(c, err, "expected name");
	}
	for (;;) {
		ERR_clear_error();
		int r = SSL_connect(c->ssl);
		if (r == 1)
			return 0;
		int e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			return tls_error(c, err, "handshake");
		int w = wait_fd(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, remaining(deadline));
		if (w <= 0)
			return cc_error_set(err, ETIMEDOUT, "TLS with %s: the handshake timed out", c->peer);
	}
}

/* Reads what is there into c->in: 1 bytes came, 0 nothing yet, -1 the connection ended (c->eof). */
static int pull(struct cc_ws_client *c)
{
	char buf[64 * 1024];
	ssize_t n;
	if (c->ssl) {
		ERR_clear_error();
		int r = SSL_read(c->ssl, buf, sizeof(buf));
		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return 0;
			if (e != SSL_ERROR_ZERO_RETURN) {
				char why[160];
				snprintf(c->io_error, sizeof(c->io_error), "TLS: %s",
					 cc_tls_last_error(why, sizeof(why)));
			}
			c->eof = true;
			return -1;
		}
		n = r;
	} else {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			if (n < 0)
				snprintf(c->io_error, sizeof(c->io_error), "%s", strerror(errno));
			c->eof = true;
			return -1;
		}
	}
	if (cc_buf_append(&c->in, buf, (size_t)n) < 0)
		abort(); /* no limit is set on c->in; growth is bounded by MAX_BUFFERED_IN in push */
	return 1;
}

/* Writes all of data; -EPIPE when the connection went. */
static int push(struct cc_ws_client *c, const void *data, size_t len, struct cc_error *err)
{
	const char *p = data;
	for (size_t done = 0; done < len;) {
		short want = POLLOUT;
		if (c->ssl) {
			ERR_clear_error();
			int r = SSL_write(c->ssl, p + done, (int)(len - done > (1u << 30) ? (1u << 30) : len - done));
			if (r > 0) {
				done += (size_t)r;
				continue;
			}
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				want = POLLIN;
			else if (e != SSL_ERROR_WANT_WRITE)
				return cc_error_set(err, EPIPE, "send to %s: the connection is gone", c->peer);
		} else {
			ssize_t n = send(c->fd, p + done, len - done, MSG_NOSIGNAL);
			if (n >= 0) {
				done += (size_t)n;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return cc_error_set_errno(err, errno == ECONNRESET ? EPIPE : errno, "send to %s",
							  c->peer);
		}
		/* No room: wait for it, taking in what the server sends meanwhile. */
		bool take = want == POLLOUT && !c->eof && c->in.len < MAX_BUFFERED_IN;
		struct pollfd pfd = { .fd = c->fd, .events = (short)(want | (take ? POLLIN : 0)) };
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return cc_error_set_errno(err, errno, "wait for %s", c->peer);
		if (take && (pfd.revents & POLLIN) && !(pfd.revents & POLLOUT))
			pull(c);
		if ((pfd.revents & (POLLERR | POLLNVAL)) && !(pfd.revents & POLLOUT))
			return cc_error_set(err, EPIPE, "send to %s: the connection is gone", c->peer);
	}
	return 0;
}

/* ---- the opening handshake (RFC 6455 §4.1) ---- */

struct handshake {
	http_parser parser;
	struct cc_buf field, value;
	bool in_value;
	bool headers_done, message_done;
	char upgrade[64], connection[128], accept[64], protocol[64], extensions[64];
	struct cc_buf body;
};

static void keep_header(struct handshake *h)
{
	if (!h->field.len)
		return;
	static const struct {
		const char *name;
		size_t offset, size;
	} wanted[] = {
		{ "upgrade", offsetof(struct handshake, upgrade), sizeof(((struct handshake *)0)->upgrade) },
		{ "connection", offsetof(struct handshake, connection), sizeof(((struct handshake *)0)->connection) },
		{ "sec-websocket-accept", offsetof(struct handshake, accept), sizeof(((struct handshake *)0)->accept) },
		{ "sec-websocket-protocol", offsetof(struct handshake, protocol),
		  sizeof(((struct handshake *)0)->protocol) },
		{ "sec-websocket-extensions", offsetof(struct handshake, extensions),
		  sizeof(((struct handshake *)0)->extensions) },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(wanted); i++)
		if (strcasecmp(h->field.data, wanted[i].name) == 0)
			snprintf((char *)h + wanted[i].offset, wanted[i].size, "%s",
				 h->value.data ? h->value.data : "");
	cc_buf_reset(&h->field);
	cc_buf_reset(&h->value);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct handshake *h = p->data;
	if (h->in_value) {
		keep_header(h);
		h->in_value = false;
	}
	return cc_buf_append(&h->field, at, len) < 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct handshake *h = p->data;
	h->in_value = true;
	return cc_buf_append(&h->value, at, len) < 0;
}

static int on_headers_complete(http_parser *p)
{
	struct handshake *h = p->data;
	keep_header(h);
	h->headers_done = true;
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct handshake *h = p->data;
	size_t room = MAX_HANDSHAKE - h->body.len;
	cc_buf_append(&h->body, at, len < room ? len : room);
	return 0;
}

static int on_message_complete(http_parser *p)
{
	((struct handshake *)p->data)->message_done = true;
	return 0;
}

static bool has_token(const char *list, const char *token)
{
	size_t n = strlen(token);
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		size_t len = strcspn(p, ",");
		size_t trimmed = len;
		while (trimmed && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t'))
			trimmed--;
		if (trimmed == n && strncasecmp(p, token, n) == 0)
			return true;
		p += len;
	}
	return false;
}

static int send_request(struct cc_ws_client *c, const struct cc_ws_client_config *cfg, const char *key,
			struct cc_error *err)
{
	struct cc_buf req = CC_BUF_INIT;
	bool v6 = cfg->host && strchr(cfg->host, ':');
	if (cfg->unix_socket)
		cc_buf_appendf(&req, "GET %s HTTP/1.1\r\nHost: localhost\r\n", cfg->target);
	else
		cc_buf_appendf(&req, "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\n", cfg->target, v6 ? "[" : "", cfg->host,
			       v6 ? "]" : "", cfg->port);
	cc_buf_appendf(&req,
		       "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
		       "Sec-WebSocket-Version: 13\r\nUser-Agent: cocoon\r\n",
		       key);
	for (const char *const *p = cfg->subprotocols; p && *p; p++)
		cc_buf_appendf(&req, "%s%s", p == cfg->subprotocols ? "Sec-WebSocket-Protocol: " : ", ", *p);
	if (cfg->subprotocols && cfg->subprotocols[0])
		cc_buf_append(&req, "\r\n", 2);
	if (cfg->bearer_token)
		cc_buf_appendf(&req, "Authorization: Bearer %s\r\n", cfg->bearer_token);
	cc_buf_append(&req, "\r\n", 2);
	int r = push(c, req.data, req.len, err);
	cc_buf_free_secure(&req); /* it may hold a token */
	return r;
}

/* The 101 must say websocket, upgrade, the accept value of our key, and one of our subprotocols. */
static int check_upgrade(struct cc_ws_client *c, const struct cc_ws_client_config *cfg, const struct handshake *h,
			 const char *key, struct cc_error *err)
{
	char accept[CC_WS_ACCEPT_LEN + 1];
	if (cc_ws_accept_key(key, accept) < 0)
		return cc_error_set(err, EINVAL, "the WebSocket key");
	if (!has_token(h->upgrade, "websocket") || !has_token(h->connection, "upgrade"))
		return cc_error_set(err, EPROTO, "%s answered 101 without Upgrade: websocket and Connection: upgrade",
				    c->peer);
	if (strcmp(h->accept, accept) != 0)
		return cc_error_set(err, EPROTO, "%s answered with Sec-WebSocket-Accept `%s`, not `%s` (RFC 6455 §4.1)",
				    c->peer, h->accept, accept);
	if (h->extensions[0])
		return cc_error_set(err, EPROTO, "%s chose the extension `%s`, which was not offered", c->peer,
				    h->extensions);
	bool offered = false;
	for (const char *const *p = cfg->subprotocols; p && *p; p++)
		offered |= strcmp(*p, h->protocol) == 0;
	if (cfg->subprotocols && cfg->subprotocols[0] && !offered)
		return cc_error_set(err, EPROTO, "%s chose the subprotocol `%s`, which was not offered", c->peer,
				    h->protocol[0] ? h->protocol : "(none)");
	snprintf(c->protocol, sizeof(c->protocol), "%s", h->protocol);
	return 0;
}

static int handshake(struct cc_ws_client *c, const struct cc_ws_client_config *cfg, int64_t deadline,
		     struct cc_ws_refusal *refusal, struct cc_error *err)
{
	uint8_t raw[16];
	int r = cc_random_bytes(raw, sizeof(raw), err);
	if (r < 0)
		return r;
	_cleanup_free_ char *key = cc_base64_encode(raw, sizeof(raw));
	if ((r = send_request(c, cfg, key, err)) < 0)
		return r;
	struct handshake h = { 0 };
	http_parser_settings settings = { .on_header_field = on_header_field,
					  .on_header_value = on_header_value,
					  .on_headers_complete = on_headers_complete,
					  .on_body = on_body,
					  .on_message_complete = on_message_complete };
	http_parser_init(&h.parser, HTTP_RESPONSE);
	h.parser.data = &h;
	size_t total = 0;
	r = 0;
	while (r == 0 && !(h.headers_done && h.parser.upgrade) && !h.message_done) {
		if (c->in.len == 0) {
			if (c->eof) {
				/* The end of the stream ends a body without a length. */
				http_parser_execute(&h.parser, &settings, NULL, 0);
				if (!h.message_done)
					r = cc_error_set(err, ECONNRESET,
							 "%s closed the connection during the WebSocket handshake%s%s",
							 c->peer, c->io_error[0] ? ": " : "", c->io_error);
				break;
			}
			int w = c->ssl && SSL_pending(c->ssl) ? 1 : wait_fd(c->fd, POLLIN, remaining(deadline));
			if (w <= 0) {
				r = cc_error_set(err, ETIMEDOUT, "%s did not answer the WebSocket handshake in time",
						 c->peer);
				break;
			}
			pull(c);
			continue;
		}
		size_t used = http_parser_execute(&h.parser, &settings, c->in.data, c->in.len);
		total += used;
		if (HTTP_PARSER_ERRNO(&h.parser) != HPE_OK && !h.parser.upgrade)
			r = cc_error_set(err, EPROTO, "%s answered the WebSocket handshake with something not HTTP: %s",
					 c->peer, http_errno_description(HTTP_PARSER_ERRNO(&h.parser)));
		else if (total > MAX_HANDSHAKE + 16384 && !h.headers_done)
			r = cc_error_set(err, EMSGSIZE,
					 "%s answered the WebSocket handshake with over %u bytes of headers", c->peer,
					 MAX_HANDSHAKE);
		cc_buf_consume(&c->in, used); /* after a 101, what is left are the first frames */
	}
	if (r == 0 && h.parser.status_code != 101) {
		if (refusal) {
			refusal->status = h.parser.status_code;
			refusal->body = h.body;
			h.body = (struct cc_buf)CC_BUF_INIT;
		}
		r = cc_error_set(err, EPROTO, "%s refused the WebSocket (HTTP %u)", c->peer, h.parser.status_code);
	} else if (r == 0) {
		r = check_upgrade(c, cfg, &h, key, err);
	}
	cc_buf_free(&h.field);
	cc_buf_free(&h.value);
	cc_buf_free(&h.body);
	return r;
}

int cc_ws_client_connect(const struct cc_ws_client_config *cfg, struct cc_ws_client **ret,
			 struct cc_ws_refusal *refusal, struct cc_error *err)
{
	if (refusal)
		*refusal = (struct cc_ws_refusal){ 0 };
	int64_t deadline = cc_time_monotonic_ms() + (cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS);
	struct cc_ws_client *c = cc_xcalloc(1, sizeof(*c));
	c->fd = -1;
	int r;
	if (cfg->unix_socket)
		r = connect_unix(c, cfg->unix_socket, err);
	else if (!cfg->host)
		r = cc_error_set(err, EINVAL, "a WebSocket needs a unix socket or a host");
	else
		r = connect_tcp(c, cfg->host, cfg->port, deadline, err);
	if (r == 0 && cfg->tls && !cfg->unix_socket)
		r = start_tls(c, cfg, deadline, err);
	if (r == 0)
		r = handshake(c, cfg, deadline, refusal, err);
	if (r < 0) {
		cc_ws_client_free(c);
		return r;
	}
	c->reader = cc_ws_reader_new_client(cfg->max_message ? cfg->max_message : DEFAULT_MAX_MESSAGE);
	*ret = c;
	return 0;
}

void cc_ws_client_free(struct cc_ws_client *c)
{
	if (!c)
		return;
	if (c->ssl) {
		SSL_shutdown(c->ssl); /* one attempt: the close handshake already said goodbye */
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	cc_ws_reader_free(c->reader);
	cc_buf_free(&c->in);
	free(c);
}

const char *cc_ws_client_protocol(const struct cc_ws_client *c)
{
	return c->protocol;
}

int cc_ws_client_fd(const struct cc_ws_client *c)
{
	return c->fd;
}

bool cc_ws_client_pending(const struct cc_ws_client *c)
{
	return c->in.len > 0 || (c->ssl && SSL_pending(c->ssl) > 0) || c->eof;
}

/* ---- messages ---- */

static int send_frame(struct cc_ws_client *c, enum cc_ws_opcode opcode, const void *head, size_t head_len,
		      const void *data, size_t len, struct cc_error *err)
{
	uint8_t mask[4];
	int r = cc_random_bytes(mask, sizeof(mask), err);
	if (r < 0)
		return r;
	uint8_t header[CC_WS_MAX_FRAME_HEADER];
	size_t header_len = cc_ws_frame_header(header, opcode, true, head_len + len, mask);
	struct cc_buf frame = CC_BUF_INIT;
	if (cc_buf_reserve(&frame, header_len + head_len + len) < 0)
		return cc_error_set(err, EMSGSIZE, "a message of %zu bytes", head_len + len);
	cc_buf_append(&frame, header, header_len);
	if (head_len)
		cc_buf_append(&frame, head, head_len);
	if (len)
		cc_buf_append(&frame, data, len);
	cc_ws_mask((uint8_t *)frame.data + header_len, head_len + len, mask, 0);
	r = push(c, frame.data, frame.len, err);
	cc_buf_free(&frame);
	return r;
}

int cc_ws_client_send(struct cc_ws_client *c, enum cc_ws_opcode opcode, const void *head, size_t head_len,
		      const void *data, size_t len, struct cc_error *err)
{
	if (c->close_sent || c->closed)
		return cc_error_set(err, EPIPE, "send to %s: the WebSocket is closed", c->peer);
	return send_frame(c, opcode, head, head_len, data, len, err);
}

int cc_ws_client_close(struct cc_ws_client *c, uint16_t code, const char *reason)
{
	if (c->close_sent)
		return 0;
	c->close_sent = true;
	struct cc_buf payload = CC_BUF_INIT;
	if (code != CC_WS_CLOSE_NO_STATUS)
		cc_ws_close_payload(&payload, code, reason);
	struct cc_error ignored = { 0 };
	int r = send_frame(c, CC_WS_OP_CLOSE, NULL, 0, payload.data, payload.len, &ignored);
	cc_buf_free(&payload);
	return r;
}

static enum cc_ws_event finish(struct cc_ws_client *c, enum cc_ws_event ev, uint16_t code, const char *reason)
{
	c->closed = true;
	c->last = ev;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	return ev;
}

enum cc_ws_event cc_ws_client_read(struct cc_ws_client *c, int timeout_ms, const uint8_t **ret_data, size_t *ret_len)
{
	*ret_data = NULL;
	*ret_len = 0;
	if (c->closed)
		return c->last;
	for (bool waited = false;;) {
		while (c->in.len) {
			size_t used;
			enum cc_ws_event ev = cc_ws_reader_feed(c->reader, c->in.data, c->in.len, &used);
			cc_buf_consume(&c->in, used);
			if (ev == CC_WS_MESSAGE) {
				*ret_data = cc_ws_reader_data(c->reader, ret_len);
				c->text = cc_ws_reader_text(c->reader);
				return ev;
			}
			if (ev == CC_WS_PING) {
				size_t n;
				const uint8_t *payload = cc_ws_reader_data(c->reader, &n);
				uint8_t copy[CC_WS_MAX_CONTROL];
				memcpy(copy, payload, n);
				struct cc_error ignored = { 0 };
				if (!c->close_sent)
					send_frame(c, CC_WS_OP_PONG, NULL, 0, copy, n, &ignored);
			} else if (ev == CC_WS_CLOSED) {
				/* §5.5.1: answer with the same code. */
				uint16_t code = cc_ws_reader_close_code(c->reader);
				cc_ws_client_close(c, code, NULL);
				return finish(c, ev, code, cc_ws_reader_close_reason(c->reader));
			} else if (ev == CC_WS_ERROR) {
				uint16_t code = cc_ws_reader_close_code(c->reader);
				cc_ws_client_close(c, code, cc_ws_reader_close_reason(c->reader));
				return finish(c, ev, code, cc_ws_reader_close_reason(c->reader));
			}
		}
		if (c->eof) {
			char why[512];
			snprintf(why, sizeof(why), "%s closed the connection without a close frame%s%s", c->peer,
				 c->io_error[0] ? ": " : "", c->io_error);
			return finish(c, CC_WS_ERROR, CC_WS_CLOSE_ABNORMAL, why);
		}
		if (!(c->ssl && SSL_pending(c->ssl) > 0)) {
			int w = wait_fd(c->fd, POLLIN, waited ? 0 : timeout_ms);
			if (w < 0)
				return finish(c, CC_WS_ERROR, CC_WS_CLOSE_ABNORMAL, strerror(-w));
			if (w == 0)
				return CC_WS_NEED_MORE;
		}
		waited = true;
		if (pull(c) == 0 && !c->in.len && !(c->ssl && SSL_pending(c->ssl) > 0))
			return CC_WS_NEED_MORE; /* a TLS record without data */
	}
}

bool cc_ws_client_text(const struct cc_ws_client *c)
{
	return c->text;
}

uint16_t cc_ws_client_close_code(const struct cc_ws_client *c)
{
	return c->close_code;
}

const char *cc_ws_client_close_reason(const struct cc_ws_client *c)
{
	return c->close_reason;
}
