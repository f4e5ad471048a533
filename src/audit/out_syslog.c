/* syslog+tls://HOST:PORT output: RFC 5424 messages over TLS (RFC 5425) with octet-counting
 * framing (§4.3: "MSG-LEN SP SYSLOG-MSG"), the receiver verified against the CA and its name
 * (RFC 5425 §5.2), our client certificate presented for mutual TLS.
 *
 * Syslog has no application acknowledgement. To not count messages as delivered that the receiver
 * never got (rsyslog issue 2610), a batch is complete only when every byte up to its end has been
 * acknowledged by the receiver's TCP stack (bytes written to the socket, less SIOCOUTQ, the bytes
 * not yet acknowledged) and the receiver has not closed the connection meanwhile. Batches are
 * written ahead and confirmed behind (write/confirm), so the receiver always has the next one. A connection the
 * receiver closed is detected before sending (rsyslog issue 1503: the first message after a close is lost) by polling
 * it for the close. */
#include "audit/output.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/address.h"
#include "lib/net/stream.h"
#include "lib/net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 10000

struct syslog_settings {
	struct audit_tls tls;
};

static const struct audit_setting syslog_settings[] = {
	AUDIT_TLS_SETTINGS(struct syslog_settings, tls),
	AUDIT_TLS_SERVER_NAME_SETTING(struct syslog_settings, tls),
	{ 0 },
};

struct syslog_state {
	SSL_CTX *ctx;
	struct cc_stream conn; /* fd -1 and ssl NULL while disconnected */
	uint16_t connection;   /* counts connections: a mark is valid on its own only */
	bool unconfirmed;      /* bytes were written on this connection that are not confirmed yet */
};

/* A mark: the connection's number in the top 16 bits, the TLS stream offset below. */
#define MARK_OFFSET_BITS 48
#define MARK_OFFSET_MASK ((UINT64_C(1) << MARK_OFFSET_BITS) - 1)

/* Bytes written to the socket on this connection, handshake included. */
static uint64_t bytes_written(const struct syslog_state *s)
{
	return BIO_number_written(SSL_get_wbio(s->conn.ssl));
}

static int tcp_connect(const char *host, unsigned short port, struct cc_error *err)
{
	char service[8];
	snprintf(service, sizeof(service), "%u", port);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	int gai = getaddrinfo(host, service, &hints, &res);
	if (gai != 0)
		return cc_error_set(err, EHOSTUNREACH, "resolve `%s`: %s", host, gai_strerror(gai));
	int fd = -1, saved = ECONNREFUSED;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		struct timeval tv = { IO_TIMEOUT_MS / 1000, 0 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return cc_error_set_errno(err, saved, "connect to syslog receiver %s:%u", host, port);
	return fd;
}

static int make_context(struct audit_output *o, struct syslog_state *s, struct cc_error *err)
{
	const struct audit_tls *tls = &((const struct syslog_settings *)o->settings.values)->tls;
	char why[256];
	s->ctx = SSL_CTX_new(TLS_client_method());
	if (!s->ctx)
		return cc_error_set(err, ENOMEM, "cannot create a TLS context");
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	if (!tls->ca_file)
		return cc_error_set(err, EINVAL, "syslog over TLS needs --ca to verify the receiver");
	if (SSL_CTX_load_verify_locations(s->ctx, tls->ca_file, NULL) != 1)
		return cc_error_set(err, EINVAL, "load CA `%s`: %s", tls->ca_file, cc_tls_last_error(why, sizeof(why)));
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
	if (tls->cert_file) {
		const char *key = tls->key_file ? tls->key_file : tls->cert_file;
		if (SSL_CTX_use_certificate_chain_file(s->ctx, tls->cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(s->ctx, key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(s->ctx) != 1)
			return cc_error_set(err, EINVAL, "load client certificate `%s`: %s", tls->cert_file,
					    cc_tls_last_error(why, sizeof(why)));
	}
	return 0;
}

static int connect_tls(struct audit_output *o, struct syslog_state *s, struct cc_error *err)
{
	struct cc_address addr;
	int r = cc_address_parse(o->target, &addr, err);
	if (r < 0)
		return r;
	if (addr.is_unix || addr.port == 0)
		return cc_error_set(err, EINVAL, "syslog+tls target must be HOST:PORT, not `%s`", o->target);
	if (!s->ctx && (r = make_context(o, s, err)) < 0)
		return r;
	s->conn.fd = tcp_connect(addr.host, addr.port, err);
	if (s->conn.fd < 0)
		return s->conn.fd;
	s->conn.ssl = SSL_new(s->ctx);
	SSL_set_fd(s->conn.ssl, s->conn.fd);
	const struct syslog_settings *cfg = o->settings.values;
	const char *name = cfg->tls.server_name ? cfg->tls.server_name : addr.host;
	unsigned char ip[16];
	X509_VERIFY_PARAM *param = SSL_get0_param(s->conn.ssl);
	if (inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(param, name);
	} else {
		SSL_set_tlsext_host_name(s->conn.ssl, name);
		X509_VERIFY_PARAM_set1_host(param, name, 0);
	}
	char why[256];
	if (SSL_connect(s->conn.ssl) != 1) {
		long verify = SSL_get_verify_result(s->conn.ssl);
		r = cc_error_set(err, EPROTO, "TLS handshake with syslog receiver %s failed: %s", o->target,
				 verify != X509_V_OK ? X509_verify_cert_error_string(verify)
						     : cc_tls_last_error(why, sizeof(why)));
		cc_stream_close(&s->conn);
		return r;
	}
	s->connection++;
	s->unconfirmed = false;
	cc_info("audit output %s: connected (%s)", o->target, SSL_get_version(s->conn.ssl));
	return 0;
}

/* True while the receiver has not closed the connection. Receivers never send on a syslog TLS
 * connection, so anything readable is a close_notify, a reset, or garbage: all end it. */
static bool still_open(struct syslog_state *s)
{
	struct pollfd pfd = { .fd = s->conn.fd, .events = POLLIN };
	if (SSL_pending(s->conn.ssl) > 0)
		return false;
	int n = poll(&pfd, 1, 0);
	return n == 0;
}

/* Waits until the receiver's TCP stack has acknowledged every byte up to the mark. */
static int syslog_confirm(struct audit_output *o, uint64_t mark, struct cc_error *err)
{
	struct syslog_state *s = o->state;
	if (!s || !s->conn.ssl || (uint16_t)(mark >> MARK_OFFSET_BITS) != s->connection)
		return cc_error_set(err, ECONNRESET,
				    "syslog receiver %s: the connection that carried the batch is gone", o->target);
	uint64_t want = mark & MARK_OFFSET_MASK;
	int64_t deadline = cc_time_monotonic_ms() + IO_TIMEOUT_MS;
	for (;;) {
		int unacked = 0;
		if (ioctl(s->conn.fd, SIOCOUTQ, &unacked) < 0)
			return 0; /* not a TCP socket we can inspect: count the write as delivery */
		uint64_t written = bytes_written(s), acked = written - (uint64_t)unacked;
		bool open = still_open(s);
		if (acked >= want && open) {
			s->unconfirmed = acked < written;
			return 0;
		}
		const char *why = !open ? "the receiver closed the connection"
				  : cc_time_monotonic_ms() > deadline
				      ? "the receiver did not acknowledge the batch in time"
				      : NULL;
		if (why) {
			cc_error_set(err, ECONNRESET, "syslog receiver %s: %s (%" PRIu64 " bytes unacknowledged)",
				     o->target, why, want > acked ? want - acked : 0);
			cc_stream_close(&s->conn);
			return -ECONNRESET;
		}
		usleep(200);
	}
}

static int syslog_write(struct audit_output *o, const struct audit_message *batch, size_t count, uint64_t *ret_mark,
			struct cc_error *err)
{
	struct syslog_state *s = o->state;
	if (!s) {
		s = o->state = cc_xcalloc(1, sizeof(*s));
		s->conn.fd = -1;
	}
	if (s->conn.ssl && !still_open(s)) {
		/* Whatever is unconfirmed went with the connection: say so, it is sent again. */
		bool lost = s->unconfirmed;
		cc_stream_close(&s->conn);
		if (lost)
			return cc_error_set(err, ECONNRESET,
					    "syslog receiver %s closed the connection before confirming", o->target);
		cc_info("audit output %s: the receiver closed the connection; reconnecting", o->target);
	}
	int r;
	if (!s->conn.ssl && (r = connect_tls(o, s, err)) < 0)
		return r;
	_cleanup_buf_ struct cc_buf frames = CC_BUF_INIT;
	size_t total = 0;
	for (size_t i = 0; i < count; i++)
		total += batch[i].len + 21;
	cc_buf_reserve(&frames, total);
	for (size_t i = 0; i < count; i++) {
		/* RFC 6587 octet counting: "<length> <message>" */
		char digits[21], *d = digits + sizeof(digits);
		*--d = ' ';
		size_t len = batch[i].len;
		do
			*--d = (char)('0' + len % 10);
		while ((len /= 10) > 0);
		cc_buf_append(&frames, d, (size_t)(digits + sizeof(digits) - d));
		cc_buf_append(&frames, batch[i].data, batch[i].len);
	}
	size_t written = 0;
	while (written < frames.len) {
		size_t n = 0;
		if (SSL_write_ex(s->conn.ssl, frames.data + written, frames.len - written, &n) != 1) {
			char why[256];
			r = cc_error_set(err, EPIPE, "send to syslog receiver %s: %s", o->target,
					 cc_tls_last_error(why, sizeof(why)));
			cc_stream_close(&s->conn);
			return r;
		}
		written += n;
	}
	s->unconfirmed = true;
	*ret_mark = (uint64_t)s->connection << MARK_OFFSET_BITS | (bytes_written(s) & MARK_OFFSET_MASK);
	return 0;
}

static void syslog_close(struct audit_output *o)
{
	struct syslog_state *s = o->state;
	if (!s)
		return;
	cc_stream_close(&s->conn);
	SSL_CTX_free(s->ctx);
	free(s);
	o->state = NULL;
}

const struct audit_output_ops audit_out_syslog_tls = {
	.scheme = "syslog+tls",
	.prefix = "syslog+tls://",
	.usage = "syslog+tls://HOST:PORT",
	.settings = syslog_settings,
	.settings_size = sizeof(struct syslog_settings),
	.default_format = AUDIT_FORMAT_RFC5424,
	.write = syslog_write,
	.confirm = syslog_confirm,
	.close = syslog_close,
};
