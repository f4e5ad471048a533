/* kms_load: a load generator for the KMS v2 plugin. Opens --clients HTTP/2 connections to the unix
 * socket and keeps one gRPC call in flight on each (as many kube-apiservers would), all from one
 * epoll loop so the generator itself needs little CPU next to the server on a small machine.
 * Prints one JSON line: operations, operations per second, latency p50/p99, errors. */
#include "kms.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS_MAX 256

struct request {
	const char *path;
	uint8_t *body; /* gRPC-framed message */
	size_t len;
};

struct client {
	int fd;
	nghttp2_session *session;
	const struct request *req;
	size_t sent;                           /* body bytes handed to nghttp2 for the current call */
	int status;                            /* grpc-status of the current call, -1 before the trailers */
	uint8_t reply[2048], last_reply[2048]; /* the call in flight, the last one completed */
	size_t reply_len, last_reply_len;
	int64_t started_ns;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct {
	uint64_t ops, errors;
	uint32_t *latency_us;
	size_t latency_count, latency_cap;
	bool stop;
} stats;

static void die(const char *what)
{
	fprintf(stderr, "kms_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint8_t *frame(const ProtobufCMessage *msg, size_t *ret_len)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *out = malloc(n + 5);
	out[0] = 0;
	out[1] = (uint8_t)(n >> 24), out[2] = (uint8_t)(n >> 16), out[3] = (uint8_t)(n >> 8), out[4] = (uint8_t)n;
	protobuf_c_message_pack(msg, out + 5);
	*ret_len = n + 5;
	return out;
}

static ssize_t send_cb(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *user)
{
	(void)s, (void)flags;
	struct client *c = user;
	ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN ? NGHTTP2_ERR_WOULDBLOCK : NGHTTP2_ERR_CALLBACK_FAILURE;
	return n;
}

static ssize_t body_cb(nghttp2_session *s, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
		       nghttp2_data_source *src, void *user)
{
	(void)s, (void)id, (void)src;
	struct client *c = user;
	size_t n = c->req->len - c->sent;
	if (n > len)
		n = len;
	memcpy(buf, c->req->body + c->sent, n);
	c->sent += n;
	if (c->sent == c->req->len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static void submit(struct client *c)
{
	nghttp2_nv headers[] = {
#define NV(n, v) { (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE }
		NV(":method", "POST"),
		NV(":scheme", "http"),
		NV(":path", c->req->path),
		NV(":authority", "localhost"),
		NV("content-type", "application/grpc"),
		NV("te", "trailers"),
#undef NV
	};
	nghttp2_data_provider provider = { .read_callback = body_cb };
	c->sent = 0;
	c->status = -1;
	c->reply_len = 0;
	c->started_ns = now_ns();
	if (nghttp2_submit_request(c->session, NULL, headers, 6, &provider, c) < 0) {
		fprintf(stderr, "kms_load: cannot submit a request\n");
		exit(1);
	}
}

static int header_cb(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
		     const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
	(void)s, (void)f, (void)flags, (void)valuelen;
	struct client *c = user;
	if (namelen == 11 && memcmp(name, "grpc-status", 11) == 0)
		c->status = atoi((const char *)value);
	return 0;
}

static int data_cb(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
	(void)s, (void)flags, (void)id;
	struct client *c = user;
	if (c->reply_len + len <= sizeof(c->reply)) {
		memcpy(c->reply + c->reply_len, data, len);
		c->reply_len += len;
	}
	return 0;
}

static int close_cb(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
	(void)s, (void)id;
	struct client *c = user;
	if (code != 0 || c->status != 0) {
		stats.errors++;
	} else {
		stats.ops++;
		memcpy(c->last_reply, c->reply, c->reply_len);
		c->last_reply_len = c->reply_len;
		if (stats.latency_count < stats.latency_cap)
			stats.latency_us[stats.latency_count++] = (uint32_t)((now_ns() - c->started_ns) / 1000);
	}
	if (!stats.stop)
		submit(c);
	return 0;
}

static void connect_client(struct client *c, const char *path, const struct request *req)
{
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die(path);
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	nghttp2_session_callbacks *cb;
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_send_callback(cb, send_cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, header_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, data_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, close_cb);
	nghttp2_session_client_new(&c->session, cb, c);
	nghttp2_session_callbacks_del(cb);
	nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, NULL, 0);
	c->req = req;
	submit(c);
}

/* Runs clients until deadline_ns (or until each finished one call when once is set). */
static void run(struct client *clients, int n, int64_t deadline_ns, bool once)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &clients[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, clients[i].fd, &ev);
		nghttp2_session_send(clients[i].session);
	}
	uint64_t start_ops = stats.ops + stats.errors;
	while (!stats.stop) {
		struct epoll_event events[CLIENTS_MAX];
		int ready = epoll_wait(ep, events, CLIENTS_MAX, 100);
		for (int i = 0; i < ready; i++) {
			struct client *c = events[i].data.ptr;
			uint8_t buf[16384];
			ssize_t got;
			while ((got = read(c->fd, buf, sizeof(buf))) > 0)
				if (nghttp2_session_mem_recv(c->session, buf, (size_t)got) < 0)
					die("HTTP/2 protocol error");
			if (got == 0) {
				fprintf(stderr, "kms_load: the server closed a connection\n");
				exit(1);
			}
			nghttp2_session_send(c->session);
		}
		if (now_ns() >= deadline_ns || (once && stats.ops + stats.errors - start_ops >= (uint64_t)n))
			stats.stop = true;
	}
	close(ep);
}

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *socket_path = NULL, *op = "encrypt";
	int n = 16;
	double seconds = 5;
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "clients", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 't' },
		{ "op", required_argument, NULL, 'o' },
		{ 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (ch) {
		case 's': socket_path = optarg; break;
		case 'c': n = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'o': op = optarg; break;
		default: return 2;
		}
	}
	if (!socket_path || n < 1 || n > CLIENTS_MAX || seconds <= 0 ||
	    (strcmp(op, "encrypt") != 0 && strcmp(op, "decrypt") != 0)) {
		fprintf(stderr, "usage: kms_load --socket PATH [--clients 1-%d] [--seconds S] [--op encrypt|decrypt]\n",
			CLIENTS_MAX);
		return 2;
	}
	/* A 32-byte data key, as kube-apiserver sends. */
	uint8_t dek[32];
	for (size_t i = 0; i < sizeof(dek); i++)
		dek[i] = (uint8_t)(i * 7 + 1);
	V2__EncryptRequest enc = V2__ENCRYPT_REQUEST__INIT;
	enc.plaintext = (ProtobufCBinaryData){ .data = dek, .len = sizeof(dek) };
	enc.uid = "kms-load";
	struct request encrypt_req = { .path = "/v2.KeyManagementService/Encrypt" };
	encrypt_req.body = frame(&enc.base, &encrypt_req.len);

	struct client *clients = calloc((size_t)n, sizeof(*clients));
	const struct request *req = &encrypt_req;
	struct request decrypt_req = { .path = "/v2.KeyManagementService/Decrypt" };
	if (strcmp(op, "decrypt") == 0) {
		/* One Encrypt first gives the ciphertext and key id every Decrypt then sends. */
		connect_client(&clients[0], socket_path, &encrypt_req);
		run(clients, 1, now_ns() + 5000000000LL, true);
		V2__EncryptResponse *resp =
		    clients[0].last_reply_len > 5
			? v2__encrypt_response__unpack(NULL, clients[0].last_reply_len - 5, clients[0].last_reply + 5)
			: NULL;
		if (!resp) {
			fprintf(stderr, "kms_load: the first Encrypt failed\n");
			return 1;
		}
		V2__DecryptRequest dec = V2__DECRYPT_REQUEST__INIT;
		dec.ciphertext = resp->ciphertext;
		dec.key_id = resp->key_id;
		dec.uid = "kms-load";
		decrypt_req.body = frame(&dec.base, &decrypt_req.len);
		nghttp2_session_del(clients[0].session);
		close(clients[0].fd);
		stats = (typeof(stats)){ 0 };
		req = &decrypt_req;
	}
	stats.latency_cap = 20u << 20;
	stats.latency_us = malloc(stats.latency_cap * sizeof(uint32_t));
	for (int i = 0; i < n; i++)
		connect_client(&clients[i], socket_path, req);
	int64_t start = now_ns();
	run(clients, n, start + (int64_t)(seconds * 1e9), false);
	double elapsed = (double)(now_ns() - start) / 1e9;
	qsort(stats.latency_us, stats.latency_count, sizeof(uint32_t), compare_u32);
	uint32_t p50 = stats.latency_count ? stats.latency_us[stats.latency_count / 2] : 0;
	uint32_t p99 = stats.latency_count ? stats.latency_us[stats.latency_count * 99 / 100] : 0;
	printf("{\"op\":\"%s\",\"clients\":%d,\"seconds\":%.2f,\"ops\":%llu,\"ops_per_s\":%.0f,\"p50_us\":%u,"
	       "\"p99_us\":%u,\"errors\":%llu}\n",
	       op, n, elapsed, (unsigned long long)stats.ops, (double)stats.ops / elapsed, p50, p99,
	       (unsigned long long)stats.errors);
	return stats.errors ? 1 : 0;
}
