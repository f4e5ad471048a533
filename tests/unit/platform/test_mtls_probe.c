/* The node's probe of declared mTLS ports (platform/mtls_probe.h): the classification of what a
 * probe saw, table-driven, and the probe itself against servers of this test's own on loopback
 * (OpenSSL in a thread): one demanding a client certificate in TLS 1.3 (alert 116 after the
 * handshake) and in TLS 1.2 (an alert during it), one that does not demand it, one presenting
 * another certificate, one that speaks HTTP, one that answers nothing, and a closed port. */
#include "platform/mtls_probe.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- classification ---- */

static struct platform_mtls_probe_observation seen(bool connected, bool tls, bool done, int alert, bool leaf,
						   bool matches)
{
	struct platform_mtls_probe_observation o = { .connected = connected,
						     .tls_seen = tls,
						     .handshake_done = done,
						     .alert = alert,
						     .leaf_seen = leaf,
						     .leaf_matches = matches };
	return o;
}

static void test_classify(void **state)
{
	(void)state;
	struct {
		struct platform_mtls_probe_observation o;
		enum platform_mtls_probe_result want;
	} cases[] = {
		{ seen(false, false, false, -1, false, false), MTLS_PROBE_UNREACHABLE },
		/* connected, nothing TLS came back (HTTP, silence, a close) */
		{ seen(true, false, false, -1, false, false), MTLS_PROBE_PLAINTEXT },
		/* TLS 1.3: done on our side, then alert 116 */
		{ seen(true, true, true, 116, true, true), MTLS_PROBE_OK },
		/* TLS 1.2: handshake_failure during the handshake */
		{ seen(true, true, false, 40, true, true), MTLS_PROBE_OK },
		/* done and no alert: it took us without a certificate, whatever leaf it showed */
		{ seen(true, true, true, -1, true, true), MTLS_PROBE_NO_CLIENT_AUTH },
		{ seen(true, true, true, -1, true, false), MTLS_PROBE_NO_CLIENT_AUTH },
		/* refused, but with another leaf */
		{ seen(true, true, true, 116, true, false), MTLS_PROBE_STALE_CERTIFICATE },
		{ seen(true, true, false, 40, true, false), MTLS_PROBE_STALE_CERTIFICATE },
		/* refused before any certificate (a version or cipher mismatch) */
		{ seen(true, true, false, 70, false, false), MTLS_PROBE_UNREACHABLE },
		/* the right leaf, then a time-out or close without an alert: not a refusal we can see */
		{ seen(true, true, false, -1, true, true), MTLS_PROBE_UNREACHABLE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (platform_mtls_probe_classify(&cases[i].o) != cases[i].want)
			fail_msg("case %zu: %s, want %s", i,
				 platform_mtls_probe_result_name(platform_mtls_probe_classify(&cases[i].o)),
				 platform_mtls_probe_result_name(cases[i].want));
	assert_string_equal(platform_mtls_probe_result_name(MTLS_PROBE_OK), "ok");
	assert_string_equal(platform_mtls_probe_result_name(MTLS_PROBE_PLAINTEXT), "plaintext");
	assert_string_equal(platform_mtls_probe_result_name(MTLS_PROBE_NO_CLIENT_AUTH), "no-client-auth");
	assert_string_equal(platform_mtls_probe_result_name(MTLS_PROBE_STALE_CERTIFICATE), "stale-certificate");
	assert_string_equal(platform_mtls_probe_result_name(MTLS_PROBE_UNREACHABLE), "unreachable");
	assert_string_equal(platform_mtls_probe_result_name(MTLS_PROBE_RESULT_MAX), "unknown");

	struct platform_mtls_probe_observation o = seen(true, true, true, 116, true, false);
	snprintf(o.presented_serial, sizeof(o.presented_serial), "0A1B");
	char *text = platform_mtls_probe_describe(8443, MTLS_PROBE_STALE_CERTIFICATE, &o);
	assert_non_null(
	    strstr(text, "port 8443 presented a certificate other than the pod's current one (serial 0A1B)"));
	free(text);
}

/* ---- the probe against servers of our own ---- */

enum server_kind { TLS13_REQUIRE, TLS12_REQUIRE, TLS_NO_CLIENT_AUTH, HTTP, SILENT };

struct server {
	enum server_kind kind;
	int listener;
	uint16_t port;
	X509 *cert;
	EVP_PKEY *key;
	pthread_t thread;
};

static X509 *self_signed(EVP_PKEY *key, long serial)
{
	X509 *cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_NAME *name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"ns/pod", -1, -1, 0);
	X509_set_issuer_name(cert, name);
	X509_set_pubkey(cert, key);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	return cert;
}

static void *serve(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->listener, NULL, NULL);
	if (fd < 0)
		return NULL;
	char buf[512];
	if (s->kind == HTTP) {
		(void)!read(fd, buf, sizeof(buf));
		const char *answer = "HTTP/1.0 400 Bad Request\r\n\r\n";
		(void)!write(fd, answer, strlen(answer));
	} else if (s->kind == SILENT) {
		(void)!read(fd, buf, sizeof(buf));
		usleep(2500 * 1000); /* past the probe's 2 s */
	} else {
		SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
		SSL_CTX_use_certificate(ctx, s->cert);
		SSL_CTX_use_PrivateKey(ctx, s->key);
		if (s->kind == TLS12_REQUIRE)
			SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
		if (s->kind != TLS_NO_CLIENT_AUTH)
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		SSL *ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		struct timeval tv = { .tv_sec = 3 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (SSL_accept(ssl) == 1)
			(void)SSL_read(ssl, buf, sizeof(buf)); /* until the client goes */
		SSL_free(ssl);
		SSL_CTX_free(ctx);
	}
	close(fd);
	return NULL;
}

static void server_start(struct server *s, enum server_kind kind, X509 *cert, EVP_PKEY *key)
{
	s->kind = kind;
	s->cert = cert;
	s->key = key;
	s->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	assert_int_equal(bind(s->listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(s->listener, 1), 0);
	assert_int_equal(getsockname(s->listener, (struct sockaddr *)&addr, &len), 0);
	s->port = ntohs(addr.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->listener);
}

struct keys {
	EVP_PKEY *key;
	X509 *pod, *other;
	unsigned char *pod_der;
	int pod_len;
};

static int keys_setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));
	k->key = EVP_EC_gen("P-256");
	k->pod = self_signed(k->key, 0x1234);
	k->other = self_signed(k->key, 0x5678);
	k->pod_len = i2d_X509(k->pod, &k->pod_der);
	*state = k;
	return 0;
}

static int keys_teardown(void **state)
{
	struct keys *k = *state;
	OPENSSL_free(k->pod_der);
	X509_free(k->pod);
	X509_free(k->other);
	EVP_PKEY_free(k->key);
	free(k);
	return 0;
}

static enum platform_mtls_probe_result probe(struct keys *k, enum server_kind kind, X509 *presented,
					     struct platform_mtls_probe_observation *o)
{
	struct server s;
	server_start(&s, kind, presented, k->key);
	platform_mtls_probe_run("127.0.0.1", s.port, k->pod_der, (size_t)k->pod_len, 2000, o);
	server_stop(&s);
	return platform_mtls_probe_classify(o);
}

static void test_probe_servers(void **state)
{
	struct keys *k = *state;
	struct platform_mtls_probe_observation o;

	assert_int_equal(probe(k, TLS13_REQUIRE, k->pod, &o), MTLS_PROBE_OK);
	assert_int_equal(o.alert, 116);
	assert_string_equal(o.detail, "alert 116 certificate required");
	assert_true(o.handshake_done);
	assert_string_equal(o.presented_serial, "1234");

	assert_int_equal(probe(k, TLS12_REQUIRE, k->pod, &o), MTLS_PROBE_OK);
	assert_false(o.handshake_done);
	assert_true(o.alert >= 0);

	assert_int_equal(probe(k, TLS_NO_CLIENT_AUTH, k->pod, &o), MTLS_PROBE_NO_CLIENT_AUTH);

	assert_int_equal(probe(k, TLS13_REQUIRE, k->other, &o), MTLS_PROBE_STALE_CERTIFICATE);
	assert_string_equal(o.presented_serial, "5678");
	char *text = platform_mtls_probe_describe(9443, MTLS_PROBE_STALE_CERTIFICATE, &o);
	assert_non_null(strstr(text, "(serial 5678)"));
	free(text);

	assert_int_equal(probe(k, HTTP, NULL, &o), MTLS_PROBE_PLAINTEXT);
	assert_true(o.connected);
	assert_false(o.tls_seen);

	assert_int_equal(probe(k, SILENT, NULL, &o), MTLS_PROBE_PLAINTEXT);
	assert_non_null(strstr(o.detail, "timed out"));
}

static void test_probe_closed_port(void **state)
{
	struct keys *k = *state;
	/* A port nobody listens on: bound, never listening. */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	struct platform_mtls_probe_observation o;
	platform_mtls_probe_run("127.0.0.1", ntohs(addr.sin_port), k->pod_der, (size_t)k->pod_len, 2000, &o);
	close(fd);
	assert_int_equal(platform_mtls_probe_classify(&o), MTLS_PROBE_UNREACHABLE);
	assert_false(o.connected);
	assert_non_null(strstr(o.detail, "connect: Connection refused"));
	platform_mtls_probe_run("not an address", 1, k->pod_der, (size_t)k->pod_len, 2000, &o);
	assert_int_equal(platform_mtls_probe_classify(&o), MTLS_PROBE_UNREACHABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test_setup_teardown(test_probe_servers, keys_setup, keys_teardown),
		cmocka_unit_test_setup_teardown(test_probe_closed_port, keys_setup, keys_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
