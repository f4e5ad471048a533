/* cc_server end to end in one process: TLS with and without client certificates, limits, timeouts,
 * unix sockets, shutdown. The client side is lib/net's libcurl client and raw sockets. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/x509.h"
#include "lib/net/client.h"
#include "lib/net/server.h"
#include "net_unit.h"
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

struct pki {
	char *dir;
	char ca[256], server_cert[256], server_key[256], client_cert[256], client_key[256];
	char rogue_cert[256], rogue_key[256]; /* a client certificate from another CA */
	char server_as_client_cert[256], server_as_client_key[256];
};

static void issue(const struct cc_cert_request *req, X509 *ca, EVP_PKEY *ca_key, const char *cert_path,
		  const char *key_path, X509 **ret_cert, EVP_PKEY **ret_key)
{
	struct cc_error err = { 0 };
	X509 *cert;
	EVP_PKEY *key;
	assert_int_equal(cc_x509_issue(req, ca, ca_key, &cert, &key, &err), 0);
	if (cert_path) {
		assert_int_equal(cc_x509_write_cert(cert_path, cert, &err), 0);
		assert_int_equal(cc_x509_write_key(key_path, key, &err), 0);
	}
	if (ret_cert) {
		*ret_cert = cert;
		*ret_key = key;
	} else {
		X509_free(cert);
		EVP_PKEY_free(key);
	}
}

static struct pki pki;

static int setup_pki(void **state)
{
	pki.dir = unit_tmpdir();
#define P(field, name) snprintf(pki.field, sizeof(pki.field), "%s/" name, pki.dir)
	P(ca, "ca.crt");
	P(server_cert, "server.crt");
	P(server_key, "server.key");
	P(client_cert, "client.crt");
	P(client_key, "client.key");
	P(rogue_cert, "rogue.crt");
	P(rogue_key, "rogue.key");
#undef P
	char ca_key_path[256];
	snprintf(ca_key_path, sizeof(ca_key_path), "%s/ca.key", pki.dir);
	X509 *ca, *rogue_ca;
	EVP_PKEY *ca_key, *rogue_ca_key;
	struct cc_cert_request ca_req = { .usage = CC_CERT_CA, .common_name = "unit CA", .days = 1 };
	issue(&ca_req, NULL, NULL, pki.ca, ca_key_path, &ca, &ca_key);
	struct cc_cert_request server = {
		.usage = CC_CERT_SERVER, .common_name = "server", .subject_alt_names = "IP:127.0.0.1", .days = 1
	};
	issue(&server, ca, ca_key, pki.server_cert, pki.server_key, NULL, NULL);
	struct cc_cert_request client = {
		.usage = CC_CERT_CLIENT, .common_name = "alice", .organization = "ops", .days = 1
	};
	issue(&client, ca, ca_key, pki.client_cert, pki.client_key, NULL, NULL);
	struct cc_cert_request rogue_ca_req = { .usage = CC_CERT_CA, .common_name = "unit CA", .days = 1 };
	issue(&rogue_ca_req, NULL, NULL, NULL, NULL, &rogue_ca, &rogue_ca_key);
	issue(&client, rogue_ca, rogue_ca_key, pki.rogue_cert, pki.rogue_key, NULL, NULL);
	X509_free(ca), X509_free(rogue_ca);
	EVP_PKEY_free(ca_key), EVP_PKEY_free(rogue_ca_key);
	return 0;
}

static int teardown_pki(void **state)
{
	unit_rmdir(pki.dir);
	return 0;
}

static void whoami(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	cc_buf_appendf(&resp->body, "%s|%s|%d|%s|%zu", req->peer->cert_verified ? "verified" : "anonymous",
		       req->peer->common_name, req->peer->group_count,
		       req->peer->group_count ? req->peer->groups[0] : "", req->body.len);
}

static const struct cc_http_route routes[] = { { .path = "/whoami", .handler = whoami } };

static struct cc_server *start(bool require_cert, int request_timeout_ms)
{
	struct cc_server_config cfg = {
		.listen = "127.0.0.1:0",
		.tls_cert = pki.server_cert,
		.tls_key = pki.server_key,
		.client_ca = pki.ca,
		.require_client_cert = require_cert,
		.routes = routes,
		.route_count = 1,
		.max_body = 1000,
		.request_timeout_ms = request_timeout_ms,
	};
	struct cc_server *srv;
	struct cc_error err = { 0 };
	if (cc_server_start(&cfg, &srv, &err) < 0)
		fail_msg("start: %s", err.message);
	return srv;
}

static int request(struct cc_server *srv, const char *cert, const char *key, const char *body, size_t body_len,
		   struct cc_http_result *res, struct cc_error *err)
{
	char url[64];
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/whoami", cc_server_port(srv));
	struct cc_http_client_config cfg = {
		.ca_file = pki.ca, .cert_file = cert, .key_file = key, .timeout_ms = 5000
	};
	return cc_http_client_request(&cfg, body ? "POST" : "GET", url, body ? "text/plain" : NULL, body, body_len, res,
				      err);
}

static void test_mutual_tls_identity(void **state)
{
	struct cc_server *srv = start(true, 0);
	struct cc_http_result res;
	struct cc_error err = { 0 };
	assert_int_equal(request(srv, pki.client_cert, pki.client_key, NULL, 0, &res, &err), 0);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body.data, "verified|alice|1|ops|0");
	cc_http_result_free(&res);
	cc_server_stop(srv);
}

static void test_missing_or_wrong_client_cert_refused(void **state)
{
	struct cc_server *srv = start(true, 0);
	struct cc_http_result res;
	struct cc_error err = { 0 };
	assert_true(request(srv, NULL, NULL, NULL, 0, &res, &err) < 0);
	assert_true(request(srv, pki.rogue_cert, pki.rogue_key, NULL, 0, &res, &err) < 0);
	/* A server certificate lacks clientAuth: refused as a client certificate. */
	assert_true(request(srv, pki.server_cert, pki.server_key, NULL, 0, &res, &err) < 0);
	cc_server_stop(srv);
}

static void test_optional_client_cert(void **state)
{
	struct cc_server *srv = start(false, 0);
	struct cc_http_result res;
	struct cc_error err = { 0 };
	assert_int_equal(request(srv, NULL, NULL, NULL, 0, &res, &err), 0);
	assert_string_equal(res.body.data, "anonymous||0||0");
	cc_http_result_free(&res);
	cc_server_stop(srv);
}

static void test_body_limit(void **state)
{
	struct cc_server *srv = start(true, 0);
	struct cc_http_result res;
	struct cc_error err = { 0 };
	char body[1001];
	memset(body, 'b', sizeof(body));
	assert_int_equal(request(srv, pki.client_cert, pki.client_key, body, 1000, &res, &err), 0);
	assert_int_equal(res.status, 200);
	cc_http_result_free(&res);
	assert_int_equal(request(srv, pki.client_cert, pki.client_key, body, 1001, &res, &err), 0);
	assert_int_equal(res.status, 413);
	cc_http_result_free(&res);
	cc_server_stop(srv);
}

static void test_plain_http_to_tls_port_and_slow_handshake(void **state)
{
	struct cc_server *srv = start(true, 300);
	int fd = connect_tcp(cc_server_port(srv));
	const char *req = "GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf)); /* closed (or a TLS alert), never an HTTP answer */
	assert_true(n <= 0 || strncmp(buf, "HTTP/", 5) != 0);
	close(fd);
	/* A client that connects and says nothing is dropped after the handshake timeout. */
	fd = connect_tcp(cc_server_port(srv));
	int64_t start_ms = 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	start_ms = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	n = read(fd, buf, sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	assert_true(n <= 0);
	assert_true(ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - start_ms < 5000);
	close(fd);
	cc_server_stop(srv);
}

static void test_unix_socket_plain_http_and_slowloris(void **state)
{
	char *dir = unit_tmpdir();
	char listen[256];
	snprintf(listen, sizeof(listen), "unix:%s/s.sock", dir);
	struct cc_server_config cfg = {
		.listen = listen, .routes = routes, .route_count = 1, .request_timeout_ms = 300
	};
	struct cc_server *srv;
	struct cc_error err = { 0 };
	assert_int_equal(cc_server_start(&cfg, &srv, &err), 0);
	assert_int_equal(cc_server_port(srv), -1);
	struct cc_http_client_config ccfg = { .unix_socket = listen + 5, .timeout_ms = 5000 };
	struct cc_http_result res;
	assert_int_equal(cc_http_client_request(&ccfg, "GET", "http://localhost/whoami", NULL, NULL, 0, &res, &err), 0);
	assert_int_equal(res.status, 200);
	cc_http_result_free(&res);
	/* Slowloris: half a request, then silence. The server answers 408 and closes. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", listen + 5);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	const char *partial = "GET /whoami HTTP/1.1\r\nHost: x\r\n";
	assert_int_equal(write(fd, partial, strlen(partial)), (ssize_t)strlen(partial));
	char buf[512] = "";
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	assert_true(strncmp(buf, "HTTP/1.1 408", 12) == 0);
	close(fd);
	/* Garbage gets a 4xx/5xx answer, not a crash; the server keeps serving. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, "\x01\x02garbage\r\n\r\n", 13), 13);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, " 501 ") ? buf : strstr(buf, " 400 "));
	close(fd);
	assert_int_equal(cc_http_client_request(&ccfg, "GET", "http://localhost/whoami", NULL, NULL, 0, &res, &err), 0);
	cc_http_result_free(&res);
	cc_server_stop(srv);
	assert_int_not_equal(access(listen + 5, F_OK), 0); /* socket file removed */
	unit_rmdir(dir);
}

static void test_stop_with_idle_connection(void **state)
{
	struct cc_server *srv = start(false, 0);
	int fd = connect_tcp(cc_server_port(srv));
	usleep(50000);
	cc_server_stop(srv); /* must not wait for the idle timeout */
	close(fd);
}

static void test_refuses_bad_configs(void **state)
{
	struct cc_error err = { 0 };
	struct cc_server *srv;
	struct cc_server_config plain_public = { .listen = "0.0.0.0:0", .routes = routes, .route_count = 1 };
	assert_int_equal(cc_server_start(&plain_public, &srv, &err), -EINVAL);
	assert_non_null(strstr(err.message, "refusing plain HTTP"));
	struct cc_server_config no_ca = { .listen = "127.0.0.1:0",
					  .tls_cert = pki.server_cert,
					  .tls_key = pki.server_key,
					  .require_client_cert = true };
	assert_int_equal(cc_server_start(&no_ca, &srv, &err), -EINVAL);
	struct cc_server_config wrong_key = { .listen = "127.0.0.1:0",
					      .tls_cert = pki.server_cert,
					      .tls_key = pki.client_key };
	assert_int_equal(cc_server_start(&wrong_key, &srv, &err), -EINVAL);
	assert_true(strstr(err.message, "does not match") || strstr(err.message, "key values mismatch"));
	struct cc_server_config missing = { .listen = "127.0.0.1:0", .tls_cert = "/nonexistent.crt" };
	assert_int_equal(cc_server_start(&missing, &srv, &err), -EINVAL);
	assert_non_null(strstr(err.message, "/nonexistent.crt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutual_tls_identity),
		cmocka_unit_test(test_missing_or_wrong_client_cert_refused),
		cmocka_unit_test(test_optional_client_cert),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_plain_http_to_tls_port_and_slow_handshake),
		cmocka_unit_test(test_unix_socket_plain_http_and_slowloris),
		cmocka_unit_test(test_stop_with_idle_connection),
		cmocka_unit_test(test_refuses_bad_configs),
	};
	return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
