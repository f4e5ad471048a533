/* The node's probe of a declared mTLS port (see mtls_probe.h).
 *
 * One non-blocking socket and one deadline for everything: the connection, the handshake, and in
 * TLS 1.3 the read after it (the client's side of a 1.3 handshake completes before the server has
 * seen the client's empty Certificate, so its refusal, alert 116, arrives on the first read). What
 * the server sent is recorded by OpenSSL's callbacks: the message callback sees handshake messages
 * and alerts (so "TLS answered"), the info callback the alerts' descriptions, and the certificate
 * verification callback replaces verification altogether: it keeps a comparison of the presented
 * leaf with the pod's and accepts, since the probe judges the certificate by that comparison only. */
#include "platform/mtls_probe.h"

#include "lib/base/cleanup.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/x509.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TLS_ALERT_CLOSE_NOTIFY  0
#define TLS_ALERT_USER_CANCELED 90

static const char *const result_names[MTLS_PROBE_RESULT_MAX] = {
	[MTLS_PROBE_OK] = "ok",
	[MTLS_PROBE_PLAINTEXT] = "plaintext",
	[MTLS_PROBE_NO_CLIENT_AUTH] = "no-client-auth",
	[MTLS_PROBE_STALE_CERTIFICATE] = "stale-certificate",
	[MTLS_PROBE_UNREACHABLE] = "unreachable",
};

const char *platform_mtls_probe_result_name(enum platform_mtls_probe_result result)
{
	return result < MTLS_PROBE_RESULT_MAX ? result_names[result] : "unknown";
}

enum platform_mtls_probe_result platform_mtls_probe_classify(const struct platform_mtls_probe_observation *o)
{
	if (!o->connected)
		return MTLS_PROBE_UNREACHABLE;
	if (!o->tls_seen)
		return MTLS_PROBE_PLAINTEXT;
	if (o->handshake_done && o->alert < 0)
		return MTLS_PROBE_NO_CLIENT_AUTH; /* whatever leaf it showed: it took a client without one */
	if (!o->leaf_seen)
		return MTLS_PROBE_UNREACHABLE; /* refused before it showed a certificate */
	if (!o->leaf_matches)
		return MTLS_PROBE_STALE_CERTIFICATE;
	/* The leaf is right; the refusal must be the server's own alert, not a time-out or a close. */
	return o->alert >= 0 ? MTLS_PROBE_OK : MTLS_PROBE_UNREACHABLE;
}

char *platform_mtls_probe_describe(uint16_t port, enum platform_mtls_probe_result result,
				   const struct platform_mtls_probe_observation *o)
{
	switch (result) {
	case MTLS_PROBE_OK:
		return cc_xasprintf("port %u refused a TLS handshake without a client certificate (%s) and presented "
				    "the pod's current certificate",
				    (unsigned)port, o->detail);
	case MTLS_PROBE_PLAINTEXT:
		return cc_xasprintf("port %u does not answer as TLS (%s)", (unsigned)port, o->detail);
	case MTLS_PROBE_NO_CLIENT_AUTH:
		return cc_xasprintf("port %u completed a TLS handshake without a client certificate: it must demand "
				    "one (openssl s_server -Verify 1 -verify_return_error, or the server's "
				    "equivalent)",
				    (unsigned)port);
	case MTLS_PROBE_STALE_CERTIFICATE:
		return cc_xasprintf("port %u presented a certificate other than the pod's current one (serial %s): "
				    "the server must reload the mtls files after each rotation",
				    (unsigned)port, o->presented_serial[0] ? o->presented_serial : "unreadable");
	case MTLS_PROBE_UNREACHABLE:
	default: return cc_xasprintf("port %u could not be probed: %s", (unsigned)port, o->detail);
	}
}

/* ---- the probe ---- */

static void detail(struct platform_mtls_probe_observation *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void detail(struct platform_mtls_probe_observation *o, const char *fmt, ...)
{
	if (o->detail[0])
		return; /* the first cause is the one told */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->detail, sizeof(o->detail), fmt, ap);
	va_end(ap);
}

static void on_message(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
	struct platform_mtls_probe_observation *o = arg;
	(void)version, (void)buf, (void)len, (void)ssl;
	if (!write_p && (content_type == SSL3_RT_HANDSHAKE || content_type == SSL3_RT_ALERT))
		o->tls_seen = true;
}

/* OpenSSL 3.0 names TLS 1.3's certificate_required (RFC 8446 §6.2) "unknown". */
static const char *alert_name(int ret)
{
	switch (ret & 0xff) {
	case 116: return "certificate required";
	default: return SSL_alert_desc_string_long(ret);
	}
}

static void on_info(const SSL *ssl, int where, int ret)
{
	struct platform_mtls_probe_observation *o = SSL_get_app_data(ssl);
	if (!(where & SSL_CB_READ_ALERT))
		return;
	int description = ret & 0xff;
	if (description == TLS_ALERT_CLOSE_NOTIFY || description == TLS_ALERT_USER_CANCELED || o->alert >= 0)
		return;
	o->alert = description;
	snprintf(o->detail, sizeof(o->detail), "alert %d %s", description, alert_name(ret));
}

struct leaf_check {
	struct platform_mtls_probe_observation *o;
	const unsigned char *expected;
	size_t expected_len;
};

/* Replaces the chain's verification: the leaf is compared, never trusted. */
static int on_certificate(X509_STORE_CTX *store, void *arg)
{
	struct leaf_check *check = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(store);
	if (!leaf || check->o->leaf_seen)
		return 1;
	check->o->leaf_seen = true;
	unsigned char *der = NULL;
	int len = i2d_X509(leaf, &der);
	check->o->leaf_matches =
	    len > 0 && (size_t)len == check->expected_len && memcmp(der, check->expected, check->expected_len) == 0;
	OPENSSL_free(der);
	/* the broker's form (lower-case hex); "" for a serial longer than RFC 5280's 20 octets */
	char hex[CC_X509_SERIAL_HEX_MAX];
	if (cc_x509_serial_hex(X509_get0_serialNumber(leaf), hex, NULL) == 0)
		snprintf(check->o->presented_serial, sizeof(check->o->presented_serial), "%s", hex);
	return 1;
}

/* Waits for the socket until the deadline: false when it passed. */
static bool wait_for(int fd, short events, int64_t deadline_ms)
{
	for (;;) {
		int64_t left = deadline_ms - cc_time_monotonic_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = { .fd = fd, .events = events };
		int n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return true;
		if (n == 0 || errno != EINTR)
			return false;
	}
}

static int connect_to(const char *ipv4, uint16_t port, int64_t deadline_ms, struct platform_mtls_probe_observation *o)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, ipv4, &addr.sin_addr) != 1) {
		detail(o, "`%s` is not an IPv4 address", ipv4);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		detail(o, "socket: %s", strerror(errno));
		return -1;
	}
	int e = 0;
	socklen_t elen = sizeof(e);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		e = errno;
		if (e == EINPROGRESS) {
			e = wait_for(fd, POLLOUT, deadline_ms) ? 0 : ETIMEDOUT;
			if (e == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
				e = errno;
		}
	}
	if (e != 0) {
		detail(o, "connect: %s", strerror(e));
		close(fd);
		return -1;
	}
	o->connected = true;
	return fd;
}

static void openssl_detail(struct platform_mtls_probe_observation *o, const char *what)
{
	unsigned long code = ERR_peek_last_error();
	char text[200] = "";
	if (code)
		ERR_error_string_n(code, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%s", errno ? strerror(errno) : "the connection was closed");
	detail(o, "%s: %s", what, text);
}

/* Drives one OpenSSL call on the non-blocking socket until it completes, fails or the deadline
 * passes: 1 done, 0 ended (closed, error, time-out), with a detail. */
static int drive(SSL *ssl, int fd, int64_t deadline_ms, bool handshake, struct platform_mtls_probe_observation *o)
{
	char buf[512];
	for (;;) {
		ERR_clear_error();
		errno = 0;
		int rc = handshake ? SSL_connect(ssl) : SSL_read(ssl, buf, sizeof(buf));
		if (rc > 0)
			return 1;
		int e = SSL_get_error(ssl, rc);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_for(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms))
				continue;
			detail(o, "%s: timed out", handshake ? "handshake" : "read after the handshake");
			return 0;
		}
		openssl_detail(o, handshake ? "handshake" : "read after the handshake");
		return 0;
	}
}

void platform_mtls_probe_run(const char *ipv4, uint16_t port, const unsigned char *expected_der, size_t expected_len,
			     int timeout_ms, struct platform_mtls_probe_observation *ret)
{
	struct platform_mtls_probe_observation *o = ret;
	memset(o, 0, sizeof(*o));
	o->alert = -1;
	int64_t deadline = cc_time_monotonic_ms() + timeout_ms;
	int fd = connect_to(ipv4, port, deadline, o);
	if (fd < 0)
		return;
	struct leaf_check check = { .o = o, .expected = expected_der, .expected_len = expected_len };
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	if (ctx) {
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_cert_verify_callback(ctx, on_certificate, &check);
		ssl = SSL_new(ctx);
	}
	if (!ssl) {
		openssl_detail(o, "TLS client");
		goto out;
	}
	SSL_set_app_data(ssl, o);
	SSL_set_info_callback(ssl, on_info);
	SSL_set_msg_callback(ssl, on_message);
	SSL_set_msg_callback_arg(ssl, o);
	SSL_set_fd(ssl, fd);
	o->handshake_done = drive(ssl, fd, deadline, true, o) == 1;
	/* TLS 1.3: the refusal of our empty Certificate comes after our Finished. Data or a
	 * time-out instead means the server took us without a certificate. */
	if (o->handshake_done && drive(ssl, fd, deadline, false, o) == 1)
		detail(o, "%s", "the server sent application data");
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
}
