/* The client side of bench/net/run.sh: holds many connections open and measures the latency of
 * small GETs on one more connection meanwhile.
 *
 *   bench_load --port P [--h2-port P2] [--idle N] [--watches N] [--stalled N --stalled-source A]
 *              [--requests N] [--tls CA]
 *
 *   --idle N      HTTP/1.1 connections that made one request and then stay open (keep-alive)
 *   --watches N   HTTP/2 connections (h2c prior knowledge, on --h2-port or --port) each with one
 *                 stream open on GET /events, waiting for events that never come
 *   --stalled N   TCP connections from --stalled-source (default 127.0.0.2) that never send a byte
 *                 (against a TLS port: handshakes that never start)
 *   --tls-idle N  with --tls: TLS connections from 127.0.0.3 that complete the handshake (no client
 *                 certificate) and then say nothing
 *   --requests N  GET /small on one keep-alive connection, one after the other (default 2000);
 *                 with --tls CA over TLS, verified against CA
 *   --path P      measure GET P instead of /small
 *   --cert F, --key F  a client certificate for the measuring connection (mutual TLS)
 *   --bearer T    send Authorization: Bearer T with each measured request
 *
 * Prints one JSON line: connections held, and p50/p90/p99/max latency in microseconds. The raw
 * bytes of HTTP/2 are written by hand (preface, SETTINGS, one HEADERS frame with HPACK literals), so
 * the tool needs nothing but OpenSSL. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int connect_to(int port, const char *source)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (source) {
		struct sockaddr_in src = { .sin_family = AF_INET };
		inet_pton(AF_INET, source, &src.sin_addr);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			close(fd);
			return -1;
		}
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static bool write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Reads one HTTP/1.1 response with Content-Length (all our test responses have one); the body is
 * counted, not kept, so a list of a thousand objects needs no buffer of its size. */
static bool read_response(int fd, SSL *ssl)
{
	char buf[16384];
	size_t have = 0, body = 0, head = 0;
	bool in_body = false;
	for (;;) {
		int n = ssl ? SSL_read(ssl, buf + have, (int)(sizeof(buf) - have - 1))
			    : (int)read(fd, buf + have, sizeof(buf) - have - 1);
		if (n <= 0)
			return false;
		if (in_body) {
			have += (size_t)n;
			if (have >= body)
				return true;
			have = 0; /* drop what was counted */
			body -= (size_t)n;
			continue;
		}
		have += (size_t)n;
		buf[have] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end) {
			if (have >= sizeof(buf) - 1)
				return false; /* a head this large is not ours */
			continue;
		}
		head = (size_t)(end + 4 - buf);
		char *cl = strcasestr(buf, "content-length:");
		body = cl ? strtoul(cl + 15, NULL, 10) : 0;
		if (have - head >= body)
			return true;
		body -= have - head;
		have = 0;
		in_body = true;
	}
}

/* The measured request: GET /small unless --path says otherwise. */
static char GET_SMALL[1024] = "GET /small HTTP/1.1\r\nHost: localhost\r\n\r\n";

static int hold_idle(int port, int count)
{
	int held = 0;
	for (int i = 0; i < count; i++) {
		int fd = connect_to(port, NULL);
		if (fd < 0)
			break;
		if (!write_all(fd, GET_SMALL, strlen(GET_SMALL)) || !read_response(fd, NULL)) {
			close(fd);
			break;
		}
		held++; /* left open */
	}
	return held;
}

/* h2c: preface, empty SETTINGS, SETTINGS ack later ignored, HEADERS (END_HEADERS, no END_STREAM
 * needed for GET? a GET ends its stream: END_STREAM set) for GET /events. HPACK (RFC 7541):
 * 0x82 :method GET, 0x86 :scheme http, 0x44 :path literal with incremental indexing of name 4,
 * 0x41 :authority literal. */
static int hold_watches(int port, int count)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const uint8_t settings[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
	uint8_t block[64];
	size_t n = 0;
	block[n++] = 0x82;
	block[n++] = 0x86;
	block[n++] = 0x44;
	block[n++] = 7;
	memcpy(block + n, "/events", 7), n += 7;
	block[n++] = 0x41;
	block[n++] = 9;
	memcpy(block + n, "localhost", 9), n += 9;
	uint8_t headers[9 + sizeof(block)] = { 0, 0, (uint8_t)n, 1, 0x4 | 0x1, 0, 0, 0, 1 };
	memcpy(headers + 9, block, n);
	int held = 0;
	for (int i = 0; i < count; i++) {
		int fd = connect_to(port, NULL);
		if (fd < 0)
			break;
		if (!write_all(fd, preface, sizeof(preface) - 1) || !write_all(fd, settings, sizeof(settings)) ||
		    !write_all(fd, headers, 9 + n)) {
			close(fd);
			break;
		}
		held++;
	}
	return held;
}

static int hold_stalled(int port, int count, const char *source)
{
	int held = 0;
	for (int i = 0; i < count; i++) {
		int fd = connect_to(port, source);
		if (fd < 0)
			break;
		held++;
	}
	return held;
}

static int hold_tls_idle(int port, int count, SSL_CTX *ctx)
{
	int held = 0;
	for (int i = 0; i < count; i++) {
		int fd = connect_to(port, "127.0.0.3");
		if (fd < 0)
			break;
		SSL *ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		if (SSL_connect(ssl) != 1) {
			SSL_free(ssl);
			close(fd);
			continue; /* refused (a limit): the attacker keeps trying */
		}
		held++; /* left open, and the SSL object with it */
	}
	return held;
}

static int compare(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int port = 0, h2_port = 0, idle = 0, watches = 0, stalled = 0, tls_idle = 0, requests = 2000;
	const char *source = "127.0.0.2", *ca = NULL, *cert = NULL, *key = NULL;
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'p' },     { "h2-port", required_argument, NULL, 'P' },
		{ "idle", required_argument, NULL, 'i' },     { "watches", required_argument, NULL, 'w' },
		{ "stalled", required_argument, NULL, 's' },  { "stalled-source", required_argument, NULL, 'S' },
		{ "requests", required_argument, NULL, 'r' }, { "tls", required_argument, NULL, 't' },
		{ "tls-idle", required_argument, NULL, 'T' }, { "path", required_argument, NULL, 'x' },
		{ "cert", required_argument, NULL, 'c' },     { "key", required_argument, NULL, 'k' },
		{ "bearer", required_argument, NULL, 'b' },   { NULL, 0, NULL, 0 },
	};
	const char *path = "/small", *bearer = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'p': port = atoi(optarg); break;
		case 'P': h2_port = atoi(optarg); break;
		case 'i': idle = atoi(optarg); break;
		case 'w': watches = atoi(optarg); break;
		case 's': stalled = atoi(optarg); break;
		case 'S': source = optarg; break;
		case 'r': requests = atoi(optarg); break;
		case 't': ca = optarg; break;
		case 'T': tls_idle = atoi(optarg); break;
		case 'x': path = optarg; break;
		case 'b': bearer = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		default: fprintf(stderr, "usage: see the comment at the top of bench_load.c\n"); return 2;
		}
	}
	snprintf(GET_SMALL, sizeof(GET_SMALL), "GET %s HTTP/1.1\r\nHost: localhost\r\n%s%s%s\r\n", path,
		 bearer ? "Authorization: Bearer " : "", bearer ? bearer : "", bearer ? "\r\n" : "");
	if (!port || requests < 1) {
		fprintf(stderr, "bench_load: --port is required\n");
		return 2;
	}
	SSL_CTX *ctx = NULL;
	if (ca) {
		ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_load_verify_locations(ctx, ca, NULL);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (cert && (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
			     SSL_CTX_use_PrivateKey_file(ctx, key ? key : cert, SSL_FILETYPE_PEM) != 1)) {
			ERR_print_errors_fp(stderr);
			return 1;
		}
	}
	int held_idle = hold_idle(port, idle);
	int held_watches = hold_watches(h2_port ? h2_port : port, watches);
	int held_stalled = hold_stalled(port, stalled, source);
	int held_tls_idle = ctx ? hold_tls_idle(port, tls_idle, ctx) : 0;
	usleep(500000); /* let the server take them all in */

	int fd = connect_to(port, NULL);
	SSL *ssl = NULL;
	if (fd >= 0 && ctx) {
		ssl = SSL_new(ctx);
		SSL_set_fd(ssl, fd);
		SSL_set1_host(ssl, "127.0.0.1");
		if (SSL_connect(ssl) != 1) {
			ERR_print_errors_fp(stderr);
			return 1;
		}
	}
	int64_t *lat = calloc((size_t)requests, sizeof(*lat));
	int done = 0;
	for (; fd >= 0 && done < requests; done++) {
		int64_t t0 = now_us();
		bool ok = ssl ? SSL_write(ssl, GET_SMALL, strlen(GET_SMALL)) > 0
			      : write_all(fd, GET_SMALL, strlen(GET_SMALL));
		if (!ok || !read_response(fd, ssl))
			break;
		lat[done] = now_us() - t0;
	}
	if (done == 0) {
		fprintf(stderr, "bench_load: no request succeeded\n");
		return 1;
	}
	qsort(lat, (size_t)done, sizeof(*lat), compare);
	printf("{\"idle\":%d,\"watches\":%d,\"stalled\":%d,\"tls_idle\":%d,\"requests\":%d,\"p50_us\":%lld,\"p90_us\":%"
	       "lld,"
	       "\"p99_us\":%lld,\"max_us\":%lld}\n",
	       held_idle, held_watches, held_stalled, held_tls_idle, done, (long long)lat[done / 2],
	       (long long)lat[done * 9 / 10], (long long)lat[done * 99 / 100], (long long)lat[done - 1]);
	fflush(stdout);
	/* Hold everything until told to stop, so the caller can read the servers' memory. */
	if (getenv("BENCH_HOLD"))
		pause();
	return 0;
}
