/* The cluster's name server (see cluster_dns.h): one thread, one loop, the UDP socket and the
 * sockets of queries forwarded upstream. */
#include "platform/cluster_dns.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/net/dns.h"
#include "lib/net/loop.h"
#include "platform/objects.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define TTL_SECONDS     5 /* CoreDNS's kubernetes plugin's default */
#define MAX_RECORDS     64
#define FORWARD_TIMEOUT 3000
#define MAX_FORWARDS    256
#define TICK_MS         500
#define MAX_TCP         64    /* TCP connections at once */
#define TCP_IDLE_MS     10000 /* RFC 7766 §6.2.3: close idle connections */

/* Where an answer goes: a UDP client's address, or a TCP connection (its own descriptor, dup'ed, so
 * an answer that comes after the connection closed goes nowhere). */
struct client {
	int tcp_fd; /* -1 for UDP */
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

struct forward {
	struct platform_cluster_dns *d;
	int fd;
	struct client client;
	int64_t deadline_ms;
	uint8_t query[CC_DNS_UDP_MAX];
	size_t query_len;
	struct forward *next;
};

struct platform_cluster_dns {
	struct platform_objects *objects;
	/* Services and Endpoints by "namespace/name", rebuilt on the DNS thread after a change (the
	 * store's observer only raises stale): a query costs no store read. */
	json_t *services_by_name, *endpoints_by_name;
	json_t *names_by_address; /* "10.96.0.10" -> "svc.ns.svc.cluster.local", for PTR */
	atomic_bool stale;
	struct cc_loop *loop;
	pthread_t thread;
	int fd;
	struct sockaddr_in upstream;
	bool have_upstream;
	struct forward *forwards;
	size_t forward_count;
	int tcp_fd;
	struct tcp_conn *conns;
	size_t conn_count;
	const struct platform_resource *services, *endpoints, *pods;
};

/* ---- answers from the API objects ---- */

struct answer {
	int rcode;
	struct cc_dns_record records[MAX_RECORDS];
	size_t count;
};

static bool add_a(struct answer *a, const char *owner, const char *ip)
{
	struct in_addr addr;
	if (a->count == MAX_RECORDS || !ip || inet_pton(AF_INET, ip, &addr) != 1)
		return false;
	struct cc_dns_record *r = &a->records[a->count++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", owner);
	r->type = CC_DNS_A;
	r->ttl = TTL_SECONDS;
	memcpy(r->data.a, &addr, 4);
	return true;
}

static const char *str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

/* The ready addresses of a Service's Endpoints, each through fn. */
static void each_ready(const json_t *endpoints, void (*fn)(void *arg, const json_t *address), void *arg)
{
	size_t i, j;
	const json_t *subset, *address;
	json_array_foreach (json_object_get(endpoints, "subsets"), i, subset)
		json_array_foreach (json_object_get(subset, "addresses"), j, address)
			fn(arg, address);
}

struct headless {
	struct answer *a;
	const char *owner;
	const char *hostname; /* NULL: every address */
};

static void add_ready(void *arg, const json_t *address)
{
	struct headless *h = arg;
	if (!h->hostname || strcmp(str(address, "hostname") ?: "", h->hostname) == 0)
		add_a(h->a, h->owner, str(address, "ip"));
}

static json_t *index_of(struct platform_cluster_dns *d, const struct platform_resource *r)
{
	struct platform_list_options o = { 0 };
	json_t *items = NULL, *index = json_object();
	int64_t rv;
	char *next = NULL;
	struct cc_error err = { 0 };
	if (platform_objects_list(d->objects, r, &o, &items, &rv, &next, &err) < 0)
		cc_warning("cluster DNS: list %s: %s", r->resource, cc_error_message(&err));
	free(next);
	size_t i;
	json_t *obj;
	json_array_foreach (items, i, obj) {
		const json_t *meta = json_object_get(obj, "metadata");
		_cleanup_free_ char *key = cc_xasprintf("%s/%s", str(meta, "namespace") ?: "", str(meta, "name") ?: "");
		json_object_set(index, key, obj);
	}
	json_decref(items);
	return index;
}

struct reverse {
	json_t *names;
	const char *service, *ns;
};

/* An endpoint's name, as CoreDNS's kubernetes plugin gives it: its hostname or its dashed address,
 * under its Service. */
static void add_endpoint_name(void *arg, const json_t *address)
{
	struct reverse *rv = arg;
	const char *ip = str(address, "ip"), *host = str(address, "hostname");
	if (!ip || json_object_get(rv->names, ip))
		return;
	char dashed[64];
	snprintf(dashed, sizeof(dashed), "%s", ip);
	for (char *c = dashed; *c; c++)
		if (*c == '.')
			*c = '-';
	json_object_set_new(rv->names, ip,
			    json_sprintf("%s.%s.%s.svc.%s", host && *host ? host : dashed, rv->service, rv->ns,
					 PLATFORM_CLUSTER_DOMAIN));
}

/* Addresses to names: every Service's virtual IP, then its ready endpoints. */
static json_t *reverse_index(const json_t *services, const json_t *endpoints)
{
	struct reverse rv = { .names = json_object() };
	const char *key;
	json_t *obj;
	json_object_foreach ((json_t *)services, key, obj) {
		const json_t *meta = json_object_get(obj, "metadata");
		const char *vip = str(json_object_get(obj, "spec"), "clusterIP");
		if (vip && strcmp(vip, "None") != 0)
			json_object_set_new(rv.names, vip,
					    json_sprintf("%s.%s.svc.%s", str(meta, "name") ?: "",
							 str(meta, "namespace") ?: "", PLATFORM_CLUSTER_DOMAIN));
	}
	json_object_foreach ((json_t *)endpoints, key, obj) {
		const json_t *meta = json_object_get(obj, "metadata");
		rv.service = str(meta, "name") ?: "";
		rv.ns = str(meta, "namespace") ?: "";
		each_ready(obj, add_endpoint_name, &rv);
	}
	return rv.names;
}

static void refresh(struct platform_cluster_dns *d)
{
	if (!atomic_exchange(&d->stale, false) && d->services_by_name)
		return;
	json_decref(d->services_by_name);
	json_decref(d->endpoints_by_name);
	json_decref(d->names_by_address);
	d->services_by_name = index_of(d, d->services);
	d->endpoints_by_name = index_of(d, d->endpoints);
	d->names_by_address = reverse_index(d->services_by_name, d->endpoints_by_name);
}

/* D.C.B.A.in-addr.arpa: the name of a Service or endpoint at A.B.C.D; false when this server knows
 * none (the query goes upstream, as CoreDNS's kubernetes plugin falls through). */
static bool reverse_name(struct platform_cluster_dns *d, const struct cc_dns_query *q, struct answer *a)
{
	unsigned b[4];
	char tail[32];
	if (sscanf(q->name, "%u.%u.%u.%u.%31s", &b[3], &b[2], &b[1], &b[0], tail) != 5 ||
	    strcasecmp(tail, "in-addr.arpa") != 0 || b[0] > 255 || b[1] > 255 || b[2] > 255 || b[3] > 255)
		return false;
	char ip[INET_ADDRSTRLEN];
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	const char *name = json_string_value(json_object_get(d->names_by_address, ip));
	if (!name)
		return false;
	a->rcode = CC_DNS_NOERROR;
	a->count = 0;
	if (q->type != CC_DNS_PTR && q->type != CC_DNS_ANY)
		return true; /* the name exists; no record of that type */
	struct cc_dns_record *r = &a->records[a->count++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", q->name);
	r->type = CC_DNS_PTR;
	r->ttl = TTL_SECONDS;
	snprintf(r->data.name, sizeof(r->data.name), "%s", name);
	return true;
}

/* A new reference to the object, or NULL. */
static json_t *get(struct platform_cluster_dns *d, const struct platform_resource *r, const char *ns, const char *name)
{
	_cleanup_free_ char *key = cc_xasprintf("%s/%s", ns, name);
	json_t *obj = json_object_get(r == d->services ? d->services_by_name : d->endpoints_by_name, key);
	return obj ? json_incref(obj) : NULL;
}

static void observe(void *ctx, const struct platform_resource *r, const char *type, const json_t *obj)
{
	struct platform_cluster_dns *d = ctx;
	if (r == d->services || r == d->endpoints)
		atomic_store(&d->stale, true);
}

/* SVC.NS.svc, or HOSTNAME.SVC.NS.svc */
static void service_name(struct platform_cluster_dns *d, const char *owner, char **labels, size_t n, uint16_t type,
			 struct answer *a)
{
	const char *svc = labels[n - 3], *ns = labels[n - 2], *host = n == 4 ? labels[0] : NULL;
	_cleanup_json_ json_t *service = get(d, d->services, ns, svc);
	if (!service) {
		a->rcode = CC_DNS_NXDOMAIN;
		return;
	}
	const char *vip = str(json_object_get(service, "spec"), "clusterIP");
	bool headless = vip && strcmp(vip, "None") == 0;
	if (host && !headless) {
		a->rcode = CC_DNS_NXDOMAIN;
		return;
	}
	if (type != CC_DNS_A && type != CC_DNS_ANY)
		return; /* the name exists; no record of that type */
	if (!headless) {
		add_a(a, owner, vip);
		return;
	}
	_cleanup_json_ json_t *endpoints = get(d, d->endpoints, ns, svc);
	struct headless h = { .a = a, .owner = owner, .hostname = host };
	each_ready(endpoints, add_ready, &h);
	if (host && a->count == 0)
		a->rcode = CC_DNS_NXDOMAIN;
}

/* _PORT._PROTO.SVC.NS.svc */
static void srv_name(struct platform_cluster_dns *d, const char *owner, char **labels, size_t n, uint16_t type,
		     struct answer *a)
{
	const char *port = labels[0] + 1, *proto = labels[1] + 1, *svc = labels[2], *ns = labels[3];
	_cleanup_json_ json_t *service = get(d, d->services, ns, svc);
	size_t i;
	const json_t *p;
	bool found = false;
	json_array_foreach (json_object_get(json_object_get(service, "spec"), "ports"), i, p) {
		const char *protocol = str(p, "protocol") ?: "TCP";
		if (strcmp(str(p, "name") ?: "", port) != 0 || strcasecmp(protocol, proto) != 0)
			continue;
		found = true;
		if ((type != CC_DNS_SRV && type != CC_DNS_ANY) || a->count == MAX_RECORDS)
			continue;
		struct cc_dns_record *r = &a->records[a->count++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", owner);
		r->type = CC_DNS_SRV;
		r->ttl = TTL_SECONDS;
		r->data.srv.priority = 0;
		r->data.srv.weight = 100;
		r->data.srv.port = (uint16_t)json_integer_value(json_object_get(p, "port"));
		snprintf(r->data.srv.target, sizeof(r->data.srv.target), "%s.%s.svc.%s", svc, ns,
			 PLATFORM_CLUSTER_DOMAIN);
	}
	if (!found)
		a->rcode = CC_DNS_NXDOMAIN;
}

/* A-B-C-D.NS.pod */
static void pod_name(const char *owner, char **labels, uint16_t type, struct answer *a)
{
	char ip[64];
	snprintf(ip, sizeof(ip), "%s", labels[0]);
	for (char *c = ip; *c; c++)
		if (*c == '-')
			*c = '.';
	struct in_addr addr;
	if (inet_pton(AF_INET, ip, &addr) != 1) {
		a->rcode = CC_DNS_NXDOMAIN;
		return;
	}
	if (type == CC_DNS_A || type == CC_DNS_ANY)
		add_a(a, owner, ip);
}

static void resolve(struct platform_cluster_dns *d, const struct cc_dns_query *q, struct answer *a)
{
	a->rcode = CC_DNS_NOERROR;
	a->count = 0;
	size_t zone_len = strlen(PLATFORM_CLUSTER_DOMAIN), len = strlen(q->name);
	if (len == zone_len)
		return; /* the zone itself */
	_cleanup_free_ char *rest = cc_xstrndup(q->name, len - zone_len - 1);
	char *labels[8];
	size_t n = 0;
	for (char *save = NULL, *l = strtok_r(rest, ".", &save); l; l = strtok_r(NULL, ".", &save)) {
		if (n == 8) {
			a->rcode = CC_DNS_NXDOMAIN;
			return;
		}
		labels[n++] = l;
	}
	const char *kind = n ? labels[n - 1] : "";
	if (strcmp(kind, "svc") == 0 && n == 5 && labels[0][0] == '_' && labels[1][0] == '_')
		srv_name(d, q->name, labels, n, q->type, a);
	else if (strcmp(kind, "svc") == 0 && (n == 3 || n == 4))
		service_name(d, q->name, labels, n, q->type, a);
	else if (strcmp(kind, "pod") == 0 && n == 3)
		pod_name(q->name, labels, q->type, a);
	else if (!((strcmp(kind, "svc") == 0 || strcmp(kind, "pod") == 0) && n <= 2))
		a->rcode = CC_DNS_NXDOMAIN; /* svc, NS.svc and the like exist, as empty non-terminals */
}

/* ---- forwarding ---- */

static void forget_forward(struct forward *f)
{
	struct platform_cluster_dns *d = f->d;
	for (struct forward **p = &d->forwards; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	d->forward_count--;
	cc_loop_remove(d->loop, f->fd);
	close(f->fd);
	if (f->client.tcp_fd >= 0)
		close(f->client.tcp_fd);
	free(f);
}

/* One message to the client: a datagram, or over TCP with its 2-byte length (RFC 1035 §4.2.2). */
static void reply(struct platform_cluster_dns *d, const struct client *c, const void *msg, size_t len)
{
	if (c->tcp_fd < 0) {
		sendto(d->fd, msg, len, 0, (const struct sockaddr *)&c->addr, c->addr_len);
		return;
	}
	uint8_t prefix[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct iovec parts[2] = { { prefix, 2 }, { (void *)msg, len } };
	struct msghdr m = { .msg_iov = parts, .msg_iovlen = 2 };
	sendmsg(c->tcp_fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT); /* a client that does not read loses it */
}

static void on_upstream(struct cc_loop *loop, int fd, uint32_t events, void *data)
{
	struct forward *f = data;
	uint8_t buf[CC_DNS_UDP_MAX];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n >= 2 && memcmp(buf, f->query, 2) == 0) /* the answer to this query, nothing else */
		reply(f->d, &f->client, buf, (size_t)n);
	forget_forward(f);
}

static void answer_error(struct platform_cluster_dns *d, const void *query, size_t len, int rcode,
			 const struct client *c)
{
	struct cc_buf out = CC_BUF_INIT;
	cc_dns_write_error(query, len, rcode, &out);
	if (out.len)
		reply(d, c, out.data, out.len);
	cc_buf_free(&out);
}

static void forward(struct platform_cluster_dns *d, const uint8_t *query, size_t len, const struct client *c)
{
	if (!d->have_upstream || d->forward_count >= MAX_FORWARDS || len > CC_DNS_UDP_MAX) {
		answer_error(d, query, len, CC_DNS_SERVFAIL, c);
		return;
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&d->upstream, sizeof(d->upstream)) < 0 ||
	    send(fd, query, len, 0) < 0) {
		if (fd >= 0)
			close(fd);
		answer_error(d, query, len, CC_DNS_SERVFAIL, c);
		return;
	}
	struct forward *f = cc_xcalloc(1, sizeof(*f));
	*f = (struct forward){ .d = d,
			       .fd = fd,
			       .client = *c,
			       .deadline_ms = cc_time_monotonic_ms() + FORWARD_TIMEOUT,
			       .query_len = len,
			       .next = d->forwards };
	if (c->tcp_fd >= 0)
		f->client.tcp_fd = fcntl(c->tcp_fd, F_DUPFD_CLOEXEC, 0);
	memcpy(f->query, query, len);
	d->forwards = f;
	d->forward_count++;
	cc_loop_add(d->loop, fd, EPOLLIN, on_upstream, f);
}

static void expire_conns(struct platform_cluster_dns *d);

static void expire_forwards(struct cc_loop *loop, void *arg)
{
	struct platform_cluster_dns *d = arg;
	expire_conns(d);
	int64_t now = cc_time_monotonic_ms();
	for (struct forward *f = d->forwards, *next; f; f = next) {
		next = f->next;
		if (now < f->deadline_ms)
			continue;
		answer_error(d, f->query, f->query_len, CC_DNS_SERVFAIL, &f->client);
		forget_forward(f);
	}
}

/* ---- queries ---- */

static void handle(struct platform_cluster_dns *d, const uint8_t *msg, size_t len, const struct client *c)
{
	struct cc_dns_query q;
	struct cc_error err = { 0 };
	int r = cc_dns_parse_query(msg, len, &q, &err);
	if (r < 0) {
		answer_error(d, msg, len, r == -ENOTSUP ? CC_DNS_NOTIMP : CC_DNS_FORMERR, c);
		return;
	}
	bool reverse = q.class == CC_DNS_CLASS_IN && cc_dns_name_in_zone(q.name, "in-addr.arpa");
	if (q.class != CC_DNS_CLASS_IN || (!reverse && !cc_dns_name_in_zone(q.name, PLATFORM_CLUSTER_DOMAIN))) {
		forward(d, msg, len, c);
		return;
	}
	struct answer *a = cc_xcalloc(1, sizeof(*a));
	refresh(d);
	if (reverse && !reverse_name(d, &q, a)) {
		free(a);
		forward(d, msg, len, c);
		return;
	}
	if (!reverse)
		resolve(d, &q, a);
	struct cc_buf out = CC_BUF_INIT;
	if (cc_dns_write_answer(&q, a->rcode, true, true, a->records, a->count,
				reverse ? "in-addr.arpa" : PLATFORM_CLUSTER_DOMAIN, TTL_SECONDS, c->tcp_fd >= 0, &out,
				&err) == 0)
		reply(d, c, out.data, out.len);
	else
		answer_error(d, msg, len, CC_DNS_SERVFAIL, c);
	cc_buf_free(&out);
	free(a);
}

static void on_query(struct cc_loop *loop, int fd, uint32_t events, void *data)
{
	struct platform_cluster_dns *d = data;
	for (int i = 0; i < 64; i++) { /* a bounded batch, so forwarded answers get their turn */
		uint8_t buf[CC_DNS_UDP_MAX];
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
		if (n < 0)
			return;
		struct client c = { .tcp_fd = -1, .addr = from, .addr_len = from_len };
		handle(d, buf, (size_t)n, &c);
	}
}

/* ---- TCP (RFC 7766): messages with a 2-byte length, several per connection ---- */

struct tcp_conn {
	struct platform_cluster_dns *d;
	int fd;
	uint8_t buf[2 + 65535];
	size_t have;
	int64_t idle_since_ms;
	struct tcp_conn *next;
};

static void close_conn(struct tcp_conn *t)
{
	struct platform_cluster_dns *d = t->d;
	for (struct tcp_conn **p = &d->conns; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	d->conn_count--;
	cc_loop_remove(d->loop, t->fd);
	close(t->fd);
	free(t);
}

static void on_conn(struct cc_loop *loop, int fd, uint32_t events, void *data)
{
	struct tcp_conn *t = data;
	ssize_t n = recv(fd, t->buf + t->have, sizeof(t->buf) - t->have, 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		close_conn(t);
		return;
	}
	t->have += (size_t)n;
	t->idle_since_ms = cc_time_monotonic_ms();
	for (;;) {
		if (t->have < 2)
			return;
		size_t len = (size_t)t->buf[0] << 8 | t->buf[1];
		if (t->have < 2 + len)
			return;
		struct client c = { .tcp_fd = fd };
		handle(t->d, t->buf + 2, len, &c);
		memmove(t->buf, t->buf + 2 + len, t->have - 2 - len);
		t->have -= 2 + len;
	}
}

static void on_accept(struct cc_loop *loop, int fd, uint32_t events, void *data)
{
	struct platform_cluster_dns *d = data;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (d->conn_count >= MAX_TCP) {
		close(cfd);
		return;
	}
	struct tcp_conn *t = cc_xcalloc(1, sizeof(*t));
	*t = (struct tcp_conn){ .d = d, .fd = cfd, .idle_since_ms = cc_time_monotonic_ms(), .next = d->conns };
	d->conns = t;
	d->conn_count++;
	cc_loop_add(loop, cfd, EPOLLIN, on_conn, t);
}

static void expire_conns(struct platform_cluster_dns *d)
{
	int64_t now = cc_time_monotonic_ms();
	for (struct tcp_conn *t = d->conns, *next; t; t = next) {
		next = t->next;
		if (now - t->idle_since_ms > TCP_IDLE_MS)
			close_conn(t);
	}
}

/* ---- start and stop ---- */

/* The node's first IPv4 name server. */
static bool read_upstream(struct sockaddr_in *ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct cc_error err = { 0 };
	if (cc_read_file("/etc/resolv.conf", 65536, &text, &len, &err) < 0)
		return false;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ip[64];
		if (sscanf(line, " nameserver %63s", ip) == 1 && inet_pton(AF_INET, ip, &ret->sin_addr) == 1) {
			ret->sin_family = AF_INET;
			ret->sin_port = htons(53);
			return true;
		}
	}
	return false;
}

int platform_cluster_dns_start(struct platform_objects *objects, const char *ip, uint16_t port,
			       struct platform_cluster_dns **ret, struct cc_error *err)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1)
		return cc_error_set(err, EINVAL, "cluster DNS address `%s` is not an IPv4 address", ip);
	struct platform_cluster_dns *d = cc_xcalloc(1, sizeof(*d));
	d->objects = objects;
	d->services = platform_resource_find("", "v1", "services");
	d->endpoints = platform_resource_find("", "v1", "endpoints");
	d->pods = platform_resource_find("", "v1", "pods");
	d->have_upstream = read_upstream(&d->upstream);
	d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	/* The bridge, and so this address, comes with the first pod. */
	if (d->fd < 0 || setsockopt(d->fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(d->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		return cc_error_set_errno(err, e, "cluster DNS: listen on %s:%u", ip, (unsigned)port);
	}
	d->tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->tcp_fd < 0 || setsockopt(d->tcp_fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    setsockopt(d->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(d->tcp_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(d->tcp_fd, 64) < 0) {
		int e = errno;
		if (d->tcp_fd >= 0)
			close(d->tcp_fd);
		close(d->fd);
		free(d);
		return cc_error_set_errno(err, e, "cluster DNS: listen on TCP %s:%u", ip, (unsigned)port);
	}
	atomic_init(&d->stale, true);
	int r = platform_objects_observe(objects, observe, d);
	if (r == 0)
		r = cc_loop_new(TICK_MS, expire_forwards, d, &d->loop, err);
	if (r == 0 && (cc_loop_add(d->loop, d->fd, EPOLLIN, on_query, d) < 0 ||
		       cc_loop_add(d->loop, d->tcp_fd, EPOLLIN, on_accept, d) < 0))
		r = cc_error_set(err, EIO, "cluster DNS: watch the socket");
	if (r == 0 && pthread_create(&d->thread, NULL, cc_loop_thread, d->loop) != 0)
		r = cc_error_set(err, EAGAIN, "cluster DNS: start its thread");
	if (r < 0) {
		platform_objects_unobserve(objects, observe, d);
		if (d->loop)
			cc_loop_free(d->loop);
		close(d->fd);
		close(d->tcp_fd);
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

static void forget_all(struct cc_loop *loop, void *arg)
{
	struct platform_cluster_dns *d = arg;
	while (d->forwards)
		forget_forward(d->forwards);
	while (d->conns)
		close_conn(d->conns);
	cc_loop_remove(d->loop, d->fd);
	cc_loop_remove(d->loop, d->tcp_fd);
	cc_loop_quit(d->loop);
}

void platform_cluster_dns_stop(struct platform_cluster_dns *d)
{
	if (!d)
		return;
	platform_objects_unobserve(d->objects, observe, d);
	cc_loop_post(d->loop, forget_all, d);
	pthread_join(d->thread, NULL);
	cc_loop_free(d->loop);
	close(d->fd);
	close(d->tcp_fd);
	json_decref(d->services_by_name);
	json_decref(d->endpoints_by_name);
	json_decref(d->names_by_address);
	free(d);
}
