/* kubectl port-forward (see port_forward.h). A session belongs to the port-forward loop: the
 * WebSocket's callbacks (on the server's loop) only queue bytes and post work, under the session's
 * lock; every SPDY frame is parsed, and every pod socket read and written, on the loop. A session's
 * references: one for the WebSocket's callbacks (dropped at on_close), one for the loop's list, and
 * one for each task posted. */
#include "platform/port_forward.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "lib/net/loop.h"
#include "lib/net/spdy.h"
#include "lib/net/websocket_session.h"
#include "platform/resources.h"
#include "platform/status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROTOCOL     "SPDY/3.1+portforward.k8s.io"
#define READ_CHUNK   (32u << 10)  /* one DATA frame of a pod's output */
#define TO_POD_HIGH  (256u << 10) /* the client's messages pause past this much unwritten to pods */
#define STOP_WAIT_MS 3000
#define MAX_CONNS    128 /* forwarded connections of one session at once */

struct pf_conn {
	char request_id[64];
	uint32_t error_stream, data_stream;
	int port;
	int fd;          /* the pod's socket, -1 before the data stream or after it ended */
	uint32_t events; /* what the loop watches fd for; 0: not in the loop */
	bool connecting, client_done, pod_done, data_fin_sent;
	struct cc_buf to_pod;
	struct session *s;
	struct pf_conn *next;
};

struct session {
	struct platform_port_forward *pf;
	atomic_int refs;
	pthread_mutex_t lock;
	struct cc_buf inbound; /* from the client, not yet parsed (under lock) */
	bool process_posted, client_gone;
	/* On the loop only: */
	struct cc_websocket *ws;
	struct cc_spdy_session *spdy;
	int netns;
	char pod[254];
	struct pf_conn *conns;
	size_t conn_count;
	bool blocked;          /* a send was refused: frames wait in pending, pods' output for on_drain */
	struct cc_buf pending; /* frames for the client, in order, while blocked */
	bool reading_paused, ended;
	struct session *next;
};

struct platform_port_forward {
	struct cc_loop *loop;
	pthread_t thread;
	struct session *sessions; /* the loop's */
	atomic_int count;
};

static void release(struct session *s)
{
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	cc_buf_free(&s->inbound);
	cc_buf_free(&s->pending);
	cc_spdy_session_free(s->spdy);
	if (s->netns >= 0)
		close(s->netns);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void post(struct session *s, cc_loop_task_fn fn)
{
	atomic_fetch_add(&s->refs, 1);
	cc_loop_post(s->pf->loop, fn, s);
}

/* ---- to the client ---- */

/* One frame, one binary message; while the client is slow, frames wait in order in s->pending
 * (whole frames: message boundaries mean nothing to the client, a split header block would) and go
 * at on_drain. Pods' output is not read meanwhile, so what waits is small. */
static void send_frame(struct session *s, struct cc_buf *frame)
{
	if (s->ended) {
		cc_buf_free(frame);
		return;
	}
	if (s->blocked) {
		cc_buf_append(&s->pending, frame->data, frame->len);
		cc_buf_free(frame);
		return;
	}
	if (cc_websocket_send(s->ws, frame->data, frame->len) == -ENOBUFS) {
		s->blocked = true;
		cc_buf_append(&s->pending, frame->data, frame->len);
	}
	cc_buf_free(frame);
}

static void send_data(struct session *s, uint32_t stream, uint8_t flags, const void *data, size_t len)
{
	struct cc_buf frame = CC_BUF_INIT;
	cc_spdy_write_data(&frame, stream, flags, data, len);
	send_frame(s, &frame);
}

static void watch(struct pf_conn *c);

/* ---- connections ---- */

static struct pf_conn *find_conn(struct session *s, const char *request_id)
{
	for (struct pf_conn *c = s->conns; c; c = c->next)
		if (strcmp(c->request_id, request_id) == 0)
			return c;
	return NULL;
}

static struct pf_conn *conn_of_stream(struct session *s, uint32_t stream)
{
	for (struct pf_conn *c = s->conns; c; c = c->next)
		if (c->data_stream == stream || c->error_stream == stream)
			return c;
	return NULL;
}

static void close_fd(struct pf_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->events)
		cc_loop_remove(c->s->pf->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->events = 0;
}

static void forget(struct session *s, struct pf_conn *c)
{
	close_fd(c);
	for (struct pf_conn **p = &s->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	s->conn_count--;
	cc_buf_free(&c->to_pod);
	free(c);
}

/* The connection is over: both streams end (the error stream must, or kubectl keeps its local
 * connection open), and c is freed. */
static void finish(struct session *s, struct pf_conn *c)
{
	if (c->data_stream && !c->data_fin_sent)
		send_data(s, c->data_stream, CC_SPDY_FLAG_FIN, NULL, 0);
	if (c->error_stream)
		send_data(s, c->error_stream, CC_SPDY_FLAG_FIN, NULL, 0);
	forget(s, c);
}

/* A failure kubectl shows ("an error occurred forwarding PORT -> PORT: ..."); it ends its session. */
static void fail(struct session *s, struct pf_conn *c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct session *s, struct pf_conn *c, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (c->error_stream)
		send_data(s, c->error_stream, 0, text, strlen(text));
	finish(s, c);
}

/* A TCP socket in the pod's network namespace: this thread enters it for the socket() call only. */
static int pod_socket(struct session *s, struct cc_error *err)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return cc_error_set_errno(err, errno, "open this thread's network namespace");
	if (setns(s->netns, CLONE_NEWNET) < 0) {
		int e = errno;
		close(self);
		return cc_error_set_errno(err, e, "enter the pod's network namespace");
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int e = errno;
	if (setns(self, CLONE_NEWNET) < 0) {
		/* This thread would make every later socket in the pod's namespace: stop, fail closed. */
		cc_log(CC_LOG_ERROR, "port-forward: cannot return to the host's network namespace: %s",
		       strerror(errno));
		abort();
	}
	close(self);
	if (fd < 0)
		return cc_error_set_errno(err, e, "socket in the pod's network namespace");
	return fd;
}

/* kubectl prints this message as the forward's error, as it does kubelet's. */
static void connect_failed(struct session *s, struct pf_conn *c, int e)
{
	fail(s, c,
	     "error forwarding port %d to pod %s: failed to connect to localhost:%d inside the pod's network "
	     "namespace: %s",
	     c->port, s->pod, c->port, strerror(e));
}

static void connect_to_pod(struct session *s, struct pf_conn *c)
{
	struct cc_error err = { 0 };
	int fd = pod_socket(s, &err);
	if (fd < 0) {
		fail(s, c, "error forwarding port %d to pod %s: %s", c->port, s->pod, cc_error_message(&err));
		return;
	}
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)c->port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		connect_failed(s, c, e);
		return;
	}
	c->fd = fd;
	c->connecting = true;
	watch(c);
}

/* ---- the pod's side ---- */

/* Writes what the client sent; false when that ended the connection (c is freed). */
static bool flush_to_pod(struct session *s, struct pf_conn *c)
{
	while (c->to_pod.len) {
		ssize_t n = send(c->fd, c->to_pod.data, c->to_pod.len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			finish(s, c);
			return false;
		}
		cc_buf_consume(&c->to_pod, (size_t)n);
	}
	if (!c->to_pod.len && c->client_done) {
		shutdown(c->fd, SHUT_WR);
		if (c->pod_done) {
			finish(s, c);
			return false;
		}
	}
	watch(c);
	return true;
}

/* One read of the pod's output onto the data stream; its end ends the stream (and, when the
 * client has ended its side too, the connection: c is freed). */
static void read_pod(struct session *s, struct pf_conn *c)
{
	char buf[READ_CHUNK];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n > 0) {
		send_data(s, c->data_stream, 0, buf, (size_t)n);
		return;
	}
	c->pod_done = true;
	if (n < 0 || (c->client_done && !c->to_pod.len)) {
		finish(s, c);
		return;
	}
	send_data(s, c->data_stream, CC_SPDY_FLAG_FIN, NULL, 0);
	c->data_fin_sent = true;
	watch(c);
}

static void on_pod(struct cc_loop *loop, int fd, uint32_t events, void *data)
{
	struct pf_conn *c = data;
	struct session *s = c->s;
	if (c->connecting) {
		int e = 0;
		socklen_t len = sizeof(e);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
		if (e) {
			connect_failed(s, c, e);
			return;
		}
		c->connecting = false;
	}
	if ((events & EPOLLOUT) && !flush_to_pod(s, c))
		return;
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->pod_done && !s->blocked)
		read_pod(s, c);
}

/* What the pod's socket waits for: connected, room for what is queued, output unless the client is
 * slow or the output ended. */
static void watch(struct pf_conn *c)
{
	struct session *s = c->s;
	if (c->fd < 0)
		return;
	uint32_t events = 0;
	if (c->connecting || c->to_pod.len)
		events |= EPOLLOUT;
	if (!c->connecting && !c->pod_done && !s->blocked)
		events |= EPOLLIN;
	if (events == c->events)
		return;
	if (!events)
		cc_loop_remove(s->pf->loop, c->fd);
	else if (!c->events)
		cc_loop_add(s->pf->loop, c->fd, events, on_pod, c);
	else
		cc_loop_modify(s->pf->loop, c->fd, events, c);
	c->events = events;
}

/* ---- the client's frames ---- */

static void stream_opened(struct session *s, const struct cc_spdy_frame *f)
{
	const char *type = json_string_value(json_object_get(f->headers, "streamtype")) ?: "";
	const char *id = json_string_value(json_object_get(f->headers, "requestid")) ?: "";
	const char *port_text = json_string_value(json_object_get(f->headers, "port")) ?: "";
	char *end = NULL;
	long port = strtol(port_text, &end, 10);
	struct cc_buf reply = CC_BUF_INIT;
	struct cc_error err = { 0 };
	json_t *none = json_object();
	cc_spdy_write_syn_reply(s->spdy, &reply, f->stream_id, 0, none, &err);
	json_decref(none);
	send_frame(s, &reply);
	bool data = strcmp(type, "data") == 0, error = strcmp(type, "error") == 0;
	if ((!data && !error) || !*port_text || *end || port < 1 || port > 65535 || strlen(id) >= 64) {
		reply = (struct cc_buf)CC_BUF_INIT;
		cc_spdy_write_rst_stream(&reply, f->stream_id, 1 /* PROTOCOL_ERROR */);
		send_frame(s, &reply);
		return;
	}
	struct pf_conn *c = find_conn(s, id);
	if (!c) {
		if (s->conn_count >= MAX_CONNS) {
			reply = (struct cc_buf)CC_BUF_INIT;
			cc_spdy_write_rst_stream(&reply, f->stream_id, 3 /* REFUSED_STREAM */);
			send_frame(s, &reply);
			return;
		}
		c = cc_xcalloc(1, sizeof(*c));
		snprintf(c->request_id, sizeof(c->request_id), "%s", id);
		c->fd = -1;
		c->port = (int)port;
		c->s = s;
		c->next = s->conns;
		s->conns = c;
		s->conn_count++;
	}
	if (error)
		c->error_stream = f->stream_id;
	else if (!c->data_stream && c->fd < 0) {
		c->data_stream = f->stream_id;
		connect_to_pod(s, c);
	}
}

static void data_arrived(struct session *s, const struct cc_spdy_frame *f)
{
	struct pf_conn *c = conn_of_stream(s, f->stream_id);
	if (!c || f->stream_id != c->data_stream)
		return; /* the error stream carries nothing from the client; a stream we ended */
	cc_buf_append(&c->to_pod, f->data, f->len);
	if (f->flags & CC_SPDY_FLAG_FIN)
		c->client_done = true;
	if (c->fd >= 0 && !c->connecting)
		flush_to_pod(s, c); /* may end the connection */
}

static void handle(struct session *s, const struct cc_spdy_frame *f)
{
	struct cc_buf out = CC_BUF_INIT;
	struct pf_conn *c;
	switch (f->type) {
	case CC_SPDY_SYN_STREAM: stream_opened(s, f); break;
	case CC_SPDY_DATA: data_arrived(s, f); break;
	case CC_SPDY_PING:
		cc_spdy_write_ping(&out, f->ping_id);
		send_frame(s, &out);
		break;
	case CC_SPDY_RST_STREAM:
		if ((c = conn_of_stream(s, f->stream_id)))
			forget(s, c);
		break;
	case CC_SPDY_GOAWAY: s->client_gone = true; break;
	default: break; /* SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do (spdystream keeps no windows) */
	}
}

static size_t queued_to_pods(const struct session *s)
{
	size_t n = 0;
	for (const struct pf_conn *c = s->conns; c; c = c->next)
		n += c->to_pod.len;
	return n;
}

static void end_session(struct session *s);

static void process(struct cc_loop *loop, void *arg)
{
	struct session *s = arg;
	pthread_mutex_lock(&s->lock);
	struct cc_buf in = s->inbound;
	s->inbound = (struct cc_buf)CC_BUF_INIT;
	s->process_posted = false;
	bool gone = s->client_gone;
	pthread_mutex_unlock(&s->lock);
	struct cc_error err = { 0 };
	int r = s->ended ? 0 : cc_spdy_feed(s->spdy, in.data, in.len, &err);
	cc_buf_free(&in);
	struct cc_spdy_frame f;
	while (r >= 0 && !s->ended && (r = cc_spdy_next(s->spdy, &f, &err)) > 0) {
		handle(s, &f);
		cc_spdy_frame_clear(&f);
	}
	if (r < 0)
		cc_debug("port-forward %s: %s", s->pod, cc_error_message(&err));
	if (!s->ended && (r < 0 || gone))
		end_session(s);
	else if (!s->ended) {
		bool pause = queued_to_pods(s) >= TO_POD_HIGH;
		if (pause != s->reading_paused) {
			s->reading_paused = pause;
			cc_websocket_pause(s->ws, pause);
		}
	}
	release(s);
}

/* ---- the session ---- */

static void end_session(struct session *s)
{
	while (s->conns)
		forget(s, s->conns);
	s->ended = true;
	cc_websocket_close(s->ws, 1000, NULL);
	struct platform_port_forward *pf = s->pf;
	for (struct session **p = &pf->sessions; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	atomic_fetch_sub(&pf->count, 1);
	release(s); /* the loop's list */
}

static void drained(struct cc_loop *loop, void *arg)
{
	struct session *s = arg;
	if (!s->ended && s->blocked &&
	    (!s->pending.len || cc_websocket_send(s->ws, s->pending.data, s->pending.len) != -ENOBUFS)) {
		cc_buf_free(&s->pending);
		s->blocked = false;
		for (struct pf_conn *c = s->conns; c; c = c->next)
			watch(c);
	}
	release(s);
}

static void on_message(void *arg, const void *data, size_t len, bool text)
{
	struct session *s = arg;
	pthread_mutex_lock(&s->lock);
	if (text) /* the tunnel is binary; a text message is a client that speaks something else */
		s->client_gone = true;
	else
		cc_buf_append(&s->inbound, data, len);
	bool post_now = !s->process_posted;
	s->process_posted = true;
	pthread_mutex_unlock(&s->lock);
	if (post_now)
		post(s, process);
}

static void on_drain(void *arg)
{
	post(arg, drained);
}

static void on_close(void *arg, uint16_t code)
{
	struct session *s = arg;
	pthread_mutex_lock(&s->lock);
	s->client_gone = true;
	bool post_now = !s->process_posted;
	s->process_posted = true;
	pthread_mutex_unlock(&s->lock);
	if (post_now)
		post(s, process);
	release(s); /* the callbacks' reference */
}

static void adopt(struct cc_loop *loop, void *arg)
{
	struct session *s = arg;
	s->next = s->pf->sessions;
	s->pf->sessions = s; /* the reference this task holds becomes the list's */
}

static const char *const protocols[] = { PROTOCOL, NULL };

void platform_port_forward_serve(struct platform_port_forward *pf, const char *netns, const char *pod,
				 const struct cc_http_request *req, struct cc_http_response *resp)
{
	const struct platform_resource *pods = platform_resource_find("", "v1", "pods");
	if (!cc_http_request_is_websocket(req)) {
		/* kubectl before 1.31 asks for SPDY/3.1 on the connection itself; refused, it says so. */
		platform_status_error(
		    resp, 400, "BadRequest", pods, pod,
		    "port-forward is served over WebSocket (kubectl 1.31 and later; with kubectl 1.30 set "
		    "KUBECTL_PORT_FORWARD_WEBSOCKETS=true); the SPDY upgrade is not supported");
		return;
	}
	struct session *s = cc_xcalloc(1, sizeof(*s));
	s->pf = pf;
	s->netns = open(netns, O_RDONLY | O_CLOEXEC);
	if (s->netns < 0) {
		free(s);
		platform_status_error(resp, 500, NULL, pods, pod, "the pod's network namespace is gone");
		return;
	}
	snprintf(s->pod, sizeof(s->pod), "%s", pod);
	s->spdy = cc_spdy_session_new();
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->refs, 2); /* the callbacks', the loop list's */
	struct cc_websocket_config cfg = { .subprotocols = protocols,
					   .on_message = on_message,
					   .on_drain = on_drain,
					   .on_close = on_close,
					   .arg = s };
	s->ws = cc_http_response_upgrade_websocket(req, resp, &cfg);
	if (!s->ws) {
		atomic_store(&s->refs, 1);
		release(s);
		return;
	}
	atomic_fetch_add(&pf->count, 1);
	cc_loop_post(pf->loop, adopt, s);
}

int platform_port_forward_new(struct platform_port_forward **ret, struct cc_error *err)
{
	struct platform_port_forward *pf = cc_xcalloc(1, sizeof(*pf));
	int r = cc_loop_new(0, NULL, NULL, &pf->loop, err);
	if (r < 0) {
		free(pf);
		return r;
	}
	if (pthread_create(&pf->thread, NULL, cc_loop_thread, pf->loop) != 0) {
		cc_loop_free(pf->loop);
		free(pf);
		return cc_error_set(err, EAGAIN, "cannot start the port-forward thread");
	}
	*ret = pf;
	return 0;
}

static void end_every_session(struct cc_loop *loop, void *arg)
{
	struct platform_port_forward *pf = arg;
	while (pf->sessions)
		end_session(pf->sessions);
}

void platform_port_forward_free(struct platform_port_forward *pf)
{
	if (!pf)
		return;
	cc_loop_post(pf->loop, end_every_session, pf);
	for (int waited = 0; atomic_load(&pf->count) > 0 && waited < STOP_WAIT_MS; waited += 20)
		usleep(20 * 1000);
	cc_loop_quit(pf->loop);
	pthread_join(pf->thread, NULL);
	cc_loop_free(pf->loop);
	free(pf);
}
