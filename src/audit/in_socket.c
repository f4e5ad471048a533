/* socket:PATH input: the local audit socket. Every cocoon component sends its security events
 * here, one canonical event JSON per line, and gets "ok <id>" back only once the event is durable
 * in the queue (or "error <reason>" when the event is refused). A producer that does not get "ok"
 * has not been heard: lib/event/emit.c then appends the event to PATH.spool, which this input
 * follows as a file of cocoon events (on the reader thread, its position kept as any file input's),
 * so what was spooled while the forwarder was down or busy reaches the queue once it runs.
 *
 * The writer thread polls this input every round, and everything here is non-blocking, because a
 * producer is not trusted to behave: whatever one does stalls only itself.
 * - Replies are written without blocking; what a producer has not read yet waits in its own
 *   buffer, and a producer whose unread replies pass OUT_MAX is disconnected ("unread").
 * - Each producer is read for at most READ_BUDGET bytes per round, so one flooding the socket
 *   cannot starve the others.
 * - A producer that sent no complete line for the idle timeout (--socket-idle-timeout, 60 s) is
 *   disconnected ("idle"): holding a connection open, or trickling a line byte by byte, keeps no
 *   slot. When all PRODUCERS_MAX slots are taken, a new producer takes the slot of the one idle
 *   longest ("evicted"); only when every producer waits for a durable commit is it refused.
 * - A line longer than an event may be is refused, counted in cocoon_audit_rejected_total, and its
 *   producer disconnected ("line_too_long"): the stream cannot be resynchronised.
 * Refused lines and disconnections are logged, rate-limited, with no more of a line than a short
 * prefix (it may hold what a producer should not have sent), and counted in the metrics. */
#include "audit/follow.h"
#include "audit/input.h"
#include "audit/reader.h"
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/ratelimit.h"
#include "lib/base/timeutil.h"
#include "lib/event/event.h"
#include "lib/net/address.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PRODUCERS_MAX    64
#define OUT_MAX          (64u * 1024)  /* replies a producer has not read before it is disconnected */
#define READ_BUDGET      (256u * 1024) /* bytes read from one producer per round */
#define ACCEPTS_PER_POLL 64
#define LINE_PREFIX_LOG  32 /* bytes of a refused line that its log message shows */
#define IDLE_TIMEOUT_S   60

struct socket_settings {
	unsigned idle_timeout_s;
};

static const struct audit_setting socket_settings[] = {
	{ .key = "idleTimeout",
	  .option = "socket-idle-timeout",
	  .arg = "SECONDS",
	  .help = "a socket producer that sends no complete event for this long is disconnected (60)",
	  .type = AUDIT_SETTING_SECONDS,
	  .offset = offsetof(struct socket_settings, idle_timeout_s) },
	{ 0 },
};

enum disconnect {
	DISCONNECT_IDLE,
	DISCONNECT_EVICTED,
	DISCONNECT_UNREAD,
	DISCONNECT_LINE_TOO_LONG,
	DISCONNECT_MAX,
};

static const char *const disconnect_names[DISCONNECT_MAX] = { "idle", "evicted", "unread", "line_too_long" };

struct producer {
	int fd;
	struct cc_buf in;      /* read, not a whole line yet */
	struct cc_buf pending; /* replies held for the next group commit ("ok" only once durable) */
	struct cc_buf out;     /* replies to write, not taken by the producer yet */
	int64_t active_ms;     /* when it connected or last sent a whole line */
	bool closed;           /* it shut its side: it goes once everything owed is written */
};

struct socket_input {
	struct audit_input *in;
	struct audit_forwarder *f;
	int listen_fd;
	int64_t idle_timeout_ms;
	struct producer producers[PRODUCERS_MAX];
	struct audit_follower spool; /* PATH.spool, where producers put what the socket did not take */
	struct audit_reader_input spool_followed;
	struct cc_ratelimit log_limit;
	/* Read by the metrics thread. */
	_Atomic uint64_t disconnected[DISCONNECT_MAX];
	_Atomic uint64_t refused; /* connections refused with every slot busy */
	_Atomic unsigned connected;
};

/* Logs a warning about what a producer did, at most 10 every 10 s per input. */
static void __attribute__((format(printf, 2, 3))) producer_warning(struct socket_input *s, const char *fmt, ...)
{
	uint64_t suppressed;
	if (!cc_ratelimit_allow(&s->log_limit, &suppressed))
		return;
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (suppressed)
		cc_warning("audit socket %s: %s (%" PRIu64 " more such messages were not logged)", s->in->target, text,
			   suppressed);
	else
		cc_warning("audit socket %s: %s", s->in->target, text);
}

/* The start of a line, printable, for a log message. */
static void line_prefix(const char *line, size_t len, char out[LINE_PREFIX_LOG + 4])
{
	size_t n = len < LINE_PREFIX_LOG ? len : LINE_PREFIX_LOG, i;
	for (i = 0; i < n; i++)
		out[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	strcpy(out + i, len > n ? "..." : "");
}

static void producer_close(struct socket_input *s, struct producer *p)
{
	close(p->fd);
	cc_buf_free(&p->in);
	cc_buf_free(&p->pending);
	cc_buf_free(&p->out);
	*p = (struct producer){ .fd = -1 };
	s->connected--;
}

/* Counts and closes; the caller has logged why. */
static void disconnect(struct socket_input *s, struct producer *p, enum disconnect why)
{
	s->disconnected[why]++;
	producer_close(s, p);
}

/* Writes what the producer is owed, without blocking. False when the producer is gone. */
static bool flush(struct socket_input *s, struct producer *p)
{
	while (p->out.len > 0) {
		ssize_t n = send(p->fd, p->out.data, p->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			cc_buf_consume(&p->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		producer_close(s, p); /* it went away: nothing more to tell it */
		return false;
	}
	if (p->out.len > OUT_MAX) {
		producer_warning(s, "a producer does not read its acknowledgements (%zu bytes unread); disconnected",
				 p->out.len);
		disconnect(s, p, DISCONNECT_UNREAD);
		return false;
	}
	if (p->closed && p->out.len == 0 && p->pending.len == 0) {
		producer_close(s, p);
		return false;
	}
	return true;
}

/* A reply ("ok <id>", held for the commit, or "error <reason>"), in the order of the lines: behind
 * any "ok" still waiting for the commit. */
static void reply(struct producer *p, bool ok, const char *text)
{
	struct cc_buf *to = ok || p->pending.len ? &p->pending : &p->out;
	cc_buf_appendf(to, "%s %s\n", ok ? "ok" : "error", text);
}

/* One complete line: a cocoon event, queued and answered "ok" at the commit, or refused now. */
static void take_line(struct socket_input *s, struct producer *p, const char *line, size_t len)
{
	struct cc_error err = { 0 };
	struct cc_event *ev;
	p->active_ms = cc_time_monotonic_ms();
	if (cc_event_parse(line, len, &ev, &err) < 0) {
		char prefix[LINE_PREFIX_LOG + 4];
		line_prefix(line, len, prefix);
		audit_forwarder_count_rejected(s->f, 1);
		producer_warning(s, "line rejected: %s: \"%s\"", cc_error_message(&err), prefix);
		reply(p, false, cc_error_message(&err));
		return;
	}
	char id[sizeof(((struct cc_event *)0)->id)];
	snprintf(id, sizeof(id), "%s", ev->id);
	if (audit_forwarder_queue(s->f, ev) < 0)
		reply(p, false, "the queue cannot take the event");
	else
		reply(p, true, id);
}

/* Takes the whole lines read so far; false when the producer was disconnected. */
static bool take_lines(struct socket_input *s, struct producer *p, size_t *lines)
{
	char *nl;
	while (p->in.len && (nl = memchr(p->in.data, '\n', p->in.len))) {
		size_t len = (size_t)(nl - p->in.data);
		take_line(s, p, p->in.data, len);
		cc_buf_consume(&p->in, len + 1);
		(*lines)++;
	}
	if (p->in.len <= CC_EVENT_MAX_SIZE)
		return true;
	char prefix[LINE_PREFIX_LOG + 4];
	line_prefix(p->in.data, p->in.len, prefix);
	audit_forwarder_count_rejected(s->f, 1);
	producer_warning(s, "line longer than %u bytes rejected; producer disconnected: \"%s\"", CC_EVENT_MAX_SIZE,
			 prefix);
	reply(p, false, "event larger than 65536 bytes");
	flush(s, p);
	if (p->fd >= 0)
		disconnect(s, p, DISCONNECT_LINE_TOO_LONG);
	(*lines)++;
	return false;
}

/* Reads what the producer sent, up to READ_BUDGET; returns the lines taken. */
static size_t read_producer(struct socket_input *s, struct producer *p)
{
	char chunk[16384];
	size_t lines = 0, budget = READ_BUDGET;
	while (budget > 0 && !p->closed) {
		ssize_t n = recv(p->fd, chunk, sizeof(chunk) < budget ? sizeof(chunk) : budget, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			p->closed = true; /* an error or its end: answer what it sent, then close */
			break;
		}
		budget -= (size_t)n;
		cc_buf_append(&p->in, chunk, (size_t)n);
		if (!take_lines(s, p, &lines))
			return lines;
	}
	flush(s, p);
	return lines;
}

/* The producer idle longest among those not waiting for a commit, or NULL. */
static struct producer *longest_idle(struct socket_input *s)
{
	struct producer *oldest = NULL;
	for (int i = 0; i < PRODUCERS_MAX; i++) {
		struct producer *p = &s->producers[i];
		if (p->fd >= 0 && p->pending.len == 0 && (!oldest || p->active_ms < oldest->active_ms))
			oldest = p;
	}
	return oldest;
}

static struct producer *free_slot(struct socket_input *s)
{
	for (int i = 0; i < PRODUCERS_MAX; i++)
		if (s->producers[i].fd < 0)
			return &s->producers[i];
	struct producer *victim = longest_idle(s);
	if (!victim)
		return NULL;
	producer_warning(
	    s, "all %d producer slots are taken; the producer idle longest (%" PRId64 " ms) makes room for a new one",
	    PRODUCERS_MAX, cc_time_monotonic_ms() - victim->active_ms);
	disconnect(s, victim, DISCONNECT_EVICTED);
	return victim;
}

static void accept_producers(struct socket_input *s)
{
	for (int i = 0; i < ACCEPTS_PER_POLL; i++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct producer *p = free_slot(s);
		if (!p) {
			static const char busy[] = "error too many producers\n";
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
			close(fd);
			s->refused++;
			producer_warning(s, "every producer slot waits for a commit; a new producer was refused");
			continue;
		}
		*p = (struct producer){ .fd = fd, .active_ms = cc_time_monotonic_ms() };
		s->connected++;
	}
}

static void close_idle(struct socket_input *s)
{
	int64_t now = cc_time_monotonic_ms();
	for (int i = 0; i < PRODUCERS_MAX; i++) {
		struct producer *p = &s->producers[i];
		if (p->fd < 0 || p->pending.len != 0 || now - p->active_ms <= s->idle_timeout_ms)
			continue;
		/* The normal end of a connection a producer keeps open between events: no warning. */
		cc_debug("audit socket %s: a producer sent no event for %" PRId64 " s; disconnected", s->in->target,
			 s->idle_timeout_ms / 1000);
		disconnect(s, p, DISCONNECT_IDLE);
	}
}

static size_t socket_poll(struct audit_input *in, struct audit_forwarder *f)
{
	struct socket_input *s = in->state;
	size_t lines = 0;
	close_idle(s);
	accept_producers(s);
	for (int i = 0; i < PRODUCERS_MAX; i++) {
		struct producer *p = &s->producers[i];
		if (p->fd < 0)
			continue;
		lines += read_producer(s, p);
		if (p->fd >= 0 && p->closed)
			flush(s, p); /* closes it once nothing is owed */
	}
	return lines;
}

/* The queue is durable: the producers hear "ok" now. */
static void socket_commit(struct audit_input *in)
{
	struct socket_input *s = in->state;
	if (s->spool_followed.read_any)
		audit_follower_commit(&s->spool, &s->spool_followed.read_to, NULL);
	for (int i = 0; i < PRODUCERS_MAX; i++) {
		struct producer *p = &s->producers[i];
		if (p->fd < 0 || p->pending.len == 0)
			continue;
		cc_buf_append(&p->out, p->pending.data, p->pending.len);
		cc_buf_reset(&p->pending);
		flush(s, p);
	}
}

static int socket_listen(struct socket_input *s, const char *path, struct cc_error *err)
{
	struct cc_address addr = { .is_unix = true };
	if (strlen(path) >= sizeof(addr.path))
		return cc_error_set(err, ENAMETOOLONG, "audit socket path `%s` is too long", path);
	snprintf(addr.path, sizeof(addr.path), "%s", path);
	s->listen_fd = cc_address_listen(&addr, 0660, PRODUCERS_MAX, err);
	if (s->listen_fd < 0)
		return s->listen_fd;
	fcntl(s->listen_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* PATH.spool, followed from where it was left (it need not exist yet). */
static int follow_spool(struct socket_input *s, struct audit_input *in, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s.spool", in->target);
	_cleanup_free_ char *state =
	    cc_xasprintf("%s/input-%zu.spool.position", audit_forwarder_state_dir(s->f), in->index);
	int r = audit_follower_open(&s->spool, path, state, err);
	if (r < 0)
		return r;
	s->spool_followed = (struct audit_reader_input){ .file = &s->spool };
	return audit_forwarder_follow(s->f, &s->spool_followed, err);
}

static void socket_stop(struct audit_input *in)
{
	struct socket_input *s = in->state;
	if (!s)
		return;
	for (int i = 0; i < PRODUCERS_MAX; i++)
		if (s->producers[i].fd >= 0)
			producer_close(s, &s->producers[i]);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(in->target);
	}
	audit_follower_close(&s->spool);
	free(s);
	in->state = NULL;
}

static int socket_start(struct audit_input *in, struct audit_forwarder *f, struct cc_error *err)
{
	const struct socket_settings *cfg = in->settings.values;
	struct socket_input *s = cc_xcalloc(1, sizeof(*s));
	*s = (struct socket_input){
		.in = in,
		.f = f,
		.listen_fd = -1,
		.idle_timeout_ms = (int64_t)(cfg->idle_timeout_s ? cfg->idle_timeout_s : IDLE_TIMEOUT_S) * 1000,
		.log_limit = CC_RATELIMIT_INIT(10000, 10),
	};
	for (int i = 0; i < PRODUCERS_MAX; i++)
		s->producers[i].fd = -1;
	s->spool.fd = -1;
	in->state = s;
	int r = socket_listen(s, in->target, err);
	return r < 0 ? r : follow_spool(s, in, err);
}

static void socket_metrics(const struct audit_input *in, bool header, struct cc_buf *out)
{
	struct socket_input *s = in->state;
	if (header)
		cc_buf_append_str(out, "# HELP cocoon_audit_socket_producers Producers connected to the audit socket.\n"
				       "# TYPE cocoon_audit_socket_producers gauge\n"
				       "# HELP cocoon_audit_socket_disconnected_total Producers the audit socket "
				       "disconnected, by reason (logged).\n"
				       "# TYPE cocoon_audit_socket_disconnected_total counter\n"
				       "# HELP cocoon_audit_socket_refused_total Producers refused: every slot was "
				       "waiting for a commit.\n"
				       "# TYPE cocoon_audit_socket_refused_total counter\n");
	cc_buf_appendf(out, "cocoon_audit_socket_producers{input=\"%s\"} %u\n", in->name, (unsigned)s->connected);
	for (int i = 0; i < DISCONNECT_MAX; i++)
		cc_buf_appendf(out, "cocoon_audit_socket_disconnected_total{input=\"%s\",reason=\"%s\"} %" PRIu64 "\n",
			       in->name, disconnect_names[i], (uint64_t)s->disconnected[i]);
	cc_buf_appendf(out, "cocoon_audit_socket_refused_total{input=\"%s\"} %" PRIu64 "\n", in->name,
		       (uint64_t)s->refused);
}

const struct audit_input_ops audit_in_socket = {
	.kind = "socket",
	.prefix = "socket:",
	.usage = "socket:PATH",
	.settings = socket_settings,
	.settings_size = sizeof(struct socket_settings),
	.start = socket_start,
	.poll = socket_poll,
	.commit = socket_commit,
	.metrics = socket_metrics,
	.stop = socket_stop,
};
