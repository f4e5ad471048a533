/* The mTLS observer's thread: probes and connection events (see mtls_observe.h).
 *
 * Who owns what: the thread alone changes `probes` and `counts`; pods_status() (the runner's
 * thread) reads a pod's condition from `probes` under `lock`. The runner's lock (p->lock) is taken
 * only to copy the registry at the start of a round, never across a probe or an nft call.
 *
 * When a pod is probed: its key is the serial of its current certificate and its declared ports;
 * a new key (an issuance, a rotation, a change of the ports) is probed at once, the same key again
 * after PROBE_INTERVAL_MS. A pod whose server is still starting answers "unreachable" for a moment,
 * so for STARTUP_GRACE_MS after a key is first seen running an unreachable port is tried again
 * every STARTUP_RETRY_MS without an event; anything else concludes the round. */
#include "platform/mtls_observe.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/x509.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "platform/atomic_dir.h"
#include "platform/mtls_connections.h"
#include "platform/mtls_guard.h"
#include "platform/mtls_policy.h"
#include "platform/mtls_probe.h"
#include "platform/objects.h"
#include "platform/pod_mtls.h"
#include "platform/pods_internal.h"
#include "platform/resources.h"

#include <errno.h>
#include <limits.h>
#include <nftables/libnftables.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_INTERVAL_MS  (5 * 60 * 1000)
#define PROBE_TIMEOUT_MS   2000
#define STARTUP_GRACE_MS   30000
#define STARTUP_RETRY_MS   2000
#define ROUND_MS           1000
#define OBSERVE_INTERVAL_S 60
#define CERTIFICATE_MAX    (64 * 1024)

struct pods_mtls_observer {
	struct platform_pods *p;
	pthread_t thread;
	pthread_mutex_t lock; /* probes, stopping */
	pthread_cond_t cond;
	bool stopping;
	json_t *probes; /* uid -> {key, since, next, results {port: result}, ok, reason, message} */
	json_t *counts; /* "client server port via" -> the element's counter at the last read */
	int64_t next_observe_ms;
	char table[256]; /* the platform's connection table (TABLE-mtls-connections) */
};

/* What a round needs of a pod of the registry, copied under the runner's lock. */
struct pod_copy {
	char uid[64], namespace[254], name[254], ip[64];
	char run_dir[PATH_MAX];
	bool running; /* the sandbox is up and every app container runs */
};

/* A pod's certificate as the runner keeps it (pod_mtls_state_load). */
struct identity {
	bool mtls; /* it holds a certificate */
	char serial[80], spiffe_id[512], tenant[128];
};

/* ---- the copy of the registry ---- */

static struct pod_copy *copy_registry(struct platform_pods *p, size_t *ret_count)
{
	pthread_mutex_lock(&p->lock);
	size_t n = 0;
	for (struct pod_state *ps = p->pods; ps; ps = ps->next)
		n++;
	struct pod_copy *out = cc_xcalloc(n ? n : 1, sizeof(*out));
	size_t i = 0;
	for (struct pod_state *ps = p->pods; ps; ps = ps->next, i++) {
		struct pod_copy *c = &out[i];
		snprintf(c->uid, sizeof(c->uid), "%s", ps->uid);
		snprintf(c->namespace, sizeof(c->namespace), "%s", ps->namespace);
		snprintf(c->name, sizeof(c->name), "%s", ps->name);
		snprintf(c->ip, sizeof(c->ip), "%s", ps->ip);
		snprintf(c->run_dir, sizeof(c->run_dir), "%s", ps->run_dir);
		c->running = ps->sandbox_ready && !ps->terminating && !ps->torn_down && ps->n_containers > ps->n_init;
		for (size_t k = 0; k < ps->n_containers; k++)
			if (!ps->containers[k].init && ps->containers[k].phase != CONTAINER_RUNNING)
				c->running = false;
	}
	pthread_mutex_unlock(&p->lock);
	*ret_count = n;
	return out;
}

static const struct pod_copy *copy_by_ip(const struct pod_copy *pods, size_t n, const char *ip)
{
	for (size_t i = 0; i < n; i++)
		if (pods[i].ip[0] && strcmp(pods[i].ip, ip) == 0)
			return &pods[i];
	return NULL;
}

static struct identity identity_of(const struct platform_pods *p, const char *uid)
{
	struct identity id = { 0 };
	_cleanup_json_ json_t *state = NULL;
	if (pod_mtls_state_load(p, uid, &state) < 0)
		return id;
	const char *serial = json_string_value(json_object_get(state, "serial"));
	if (!serial)
		return id;
	id.mtls = true;
	snprintf(id.serial, sizeof(id.serial), "%s", serial);
	snprintf(id.spiffe_id, sizeof(id.spiffe_id), "%s", json_string_value(json_object_get(state, "spiffeId")) ?: "");
	snprintf(id.tenant, sizeof(id.tenant), "%s", json_string_value(json_object_get(state, "tenant")) ?: "");
	return id;
}

/* The pod's current leaf (tls.crt through ..data) as DER, and its serial in hex. */
static int current_leaf(const struct platform_pods *p, const char *uid, unsigned char **ret_der, size_t *ret_len,
			char serial[80])
{
	_cleanup_free_ char *memory = cc_xasprintf("%s/%s", p->memory_root, uid);
	_cleanup_free_ char *dir = pod_mtls_dir(memory), *pem = NULL;
	size_t len;
	struct cc_error ignored = { 0 };
	if (atomic_dir_read(dir, "tls.crt", CERTIFICATE_MAX, &pem, &len, &ignored) < 0)
		return -ENOENT;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	unsigned char *der = NULL;
	int der_len = leaf ? i2d_X509(leaf, &der) : -1;
	char hex[CC_X509_SERIAL_HEX_MAX] = "";
	if (leaf)
		cc_x509_serial_hex(X509_get0_serialNumber(leaf), hex, NULL);
	snprintf(serial, 80, "%s", hex);
	X509_free(leaf);
	if (der_len <= 0)
		return -EINVAL;
	*ret_der = cc_xcalloc(1, (size_t)der_len);
	memcpy(*ret_der, der, (size_t)der_len);
	OPENSSL_free(der);
	*ret_len = (size_t)der_len;
	return 0;
}

/* ---- probes ---- */

static const char *condition_reason(enum platform_mtls_probe_result r)
{
	switch (r) {
	case MTLS_PROBE_PLAINTEXT: return "Plaintext";
	case MTLS_PROBE_NO_CLIENT_AUTH: return "NoClientAuth";
	case MTLS_PROBE_STALE_CERTIFICATE: return "StaleCertificate";
	case MTLS_PROBE_UNREACHABLE: return "Unreachable";
	default: return "ProbePending";
	}
}

/* The ports a pod of this mode has probed: required pods' declared ports, and permissive pods' when
 * they declare some. */
static bool probed_ports(const json_t *pod, const json_t *namespace, struct platform_mtls_ports *ret)
{
	enum platform_mtls_mode mode = platform_mtls_mode(namespace);
	if (mode == MTLS_OFF || platform_mtls_pod_ports(pod, ret, NULL) < 0)
		return false;
	return ret->count > 0;
}

static json_t *find_by(const json_t *list, const char *field, const char *value)
{
	size_t i;
	json_t *item;
	json_array_foreach (list, i, item)
		if (strcmp(kube_meta(item, field) ?: "", value) == 0)
			return item;
	return NULL;
}

static void emit_probe(const struct pod_copy *c, const struct identity *id, const char *serial, uint16_t port,
		       enum platform_mtls_probe_result result, const struct platform_mtls_probe_observation *o,
		       const char *reason)
{
	_cleanup_free_ char *object = cc_xasprintf("pod/%s/%s", c->namespace, c->name);
	json_t *extra = json_pack("{s:s, s:i, s:s, s:s, s:s}", "uid", c->uid, "port", (int)port, "result",
				  platform_mtls_probe_result_name(result), "serial", serial, "spiffeId", id->spiffe_id);
	if (o->presented_serial[0] && result == MTLS_PROBE_STALE_CERTIFICATE)
		json_object_set_new(extra, "presentedSerial", json_string(o->presented_serial));
	cc_event_emit_decision_extra("platform", "mtls.probe", "cocoond", id->tenant[0] ? id->tenant : NULL, object,
				     result == MTLS_PROBE_OK, reason, extra);
}

/* Probes every port of one pod; records the outcome unless it is a start-up retry. */
static void probe_pod(struct pods_mtls_observer *o, const struct pod_copy *c, const struct platform_mtls_ports *ports,
		      const char *key, int64_t since)
{
	unsigned char *der = NULL;
	size_t der_len = 0;
	char serial[80];
	if (current_leaf(o->p, c->uid, &der, &der_len, serial) < 0)
		return; /* no certificate yet: the next round looks again */
	struct identity id = identity_of(o->p, c->uid);
	int64_t now = cc_time_monotonic_ms();
	struct platform_mtls_probe_observation obs[PLATFORM_MTLS_PORTS_MAX];
	enum platform_mtls_probe_result results[PLATFORM_MTLS_PORTS_MAX];
	bool starting = false;
	for (size_t i = 0; i < ports->count; i++) {
		platform_mtls_probe_run(c->ip, ports->port[i], der, der_len, PROBE_TIMEOUT_MS, &obs[i]);
		results[i] = platform_mtls_probe_classify(&obs[i]);
		starting |= results[i] == MTLS_PROBE_UNREACHABLE && now - since < STARTUP_GRACE_MS;
	}
	free(der);
	json_t *entry = json_pack("{s:s, s:I}", "key", key, "since", (json_int_t)since);
	if (starting) {
		json_object_set_new(entry, "next", json_integer(cc_time_monotonic_ms() + STARTUP_RETRY_MS));
	} else {
		json_t *names = json_object();
		const char *reason = NULL;
		_cleanup_free_ char *message = NULL;
		for (size_t i = 0; i < ports->count; i++) {
			_cleanup_free_ char *text = platform_mtls_probe_describe(ports->port[i], results[i], &obs[i]);
			emit_probe(c, &id, serial, ports->port[i], results[i], &obs[i], text);
			char port[8];
			snprintf(port, sizeof(port), "%u", (unsigned)ports->port[i]);
			json_object_set_new(names, port, json_string(platform_mtls_probe_result_name(results[i])));
			if (!reason && results[i] != MTLS_PROBE_OK) {
				reason = condition_reason(results[i]);
				message = cc_xasprintf("%s: %s", platform_mtls_probe_result_name(results[i]), text);
			}
		}
		json_object_set_new(entry, "next", json_integer(cc_time_monotonic_ms() + PROBE_INTERVAL_MS));
		json_object_set_new(entry, "results", names);
		json_object_set_new(entry, "ok", json_boolean(!reason));
		if (reason) {
			json_object_set_new(entry, "reason", json_string(reason));
			json_object_set_new(entry, "message", json_string(message));
		}
	}
	pthread_mutex_lock(&o->lock);
	json_t *old = json_object_get(o->probes, c->uid);
	/* A retry keeps the last conclusion (of this key) the condition shows. */
	if (starting && old && strcmp(json_string_value(json_object_get(old, "key")) ?: "", key) == 0)
		json_object_update_missing(entry, old);
	json_object_set_new(o->probes, c->uid, entry);
	pthread_mutex_unlock(&o->lock);
}

static void probe_round(struct pods_mtls_observer *o, const struct pod_copy *pods, size_t n, const json_t *objects,
			const json_t *namespaces)
{
	int64_t now = cc_time_monotonic_ms();
	for (size_t i = 0; i < n && !__atomic_load_n(&o->stopping, __ATOMIC_RELAXED); i++) {
		const struct pod_copy *c = &pods[i];
		const json_t *pod = find_by(objects, "uid", c->uid);
		struct platform_mtls_ports ports = { 0 };
		if (!c->running || !c->ip[0] || !pod ||
		    !probed_ports(pod, find_by(namespaces, "name", c->namespace), &ports)) {
			pthread_mutex_lock(&o->lock);
			json_object_del(o->probes, c->uid);
			pthread_mutex_unlock(&o->lock);
			continue;
		}
		struct identity id = identity_of(o->p, c->uid);
		if (!id.mtls)
			continue;
		struct cc_buf key = CC_BUF_INIT;
		cc_buf_append_str(&key, id.serial);
		for (size_t k = 0; k < ports.count; k++)
			cc_buf_appendf(&key, ",%u", (unsigned)ports.port[k]);
		pthread_mutex_lock(&o->lock);
		const json_t *old = json_object_get(o->probes, c->uid);
		bool same = old && strcmp(json_string_value(json_object_get(old, "key")) ?: "", key.data) == 0;
		int64_t since = same ? json_integer_value(json_object_get(old, "since")) : now;
		bool due = !same || now >= json_integer_value(json_object_get(old, "next"));
		pthread_mutex_unlock(&o->lock);
		if (due)
			probe_pod(o, c, &ports, key.data, since);
		cc_buf_free(&key);
	}
}

/* Entries of pods the registry no longer has go. */
static void forget_gone(struct pods_mtls_observer *o, const struct pod_copy *pods, size_t n)
{
	pthread_mutex_lock(&o->lock);
	const char *uid;
	json_t *value, *tmp;
	json_object_foreach_safe(o->probes, tmp, uid, value)
	{
		bool present = false;
		for (size_t i = 0; i < n && !present; i++)
			present = strcmp(pods[i].uid, uid) == 0;
		if (!present)
			json_object_del(o->probes, uid);
	}
	pthread_mutex_unlock(&o->lock);
}

bool pods_mtls_probed_condition(struct platform_pods *p, const char *uid, bool *ret_ok, char *reason,
				size_t reason_size, char *message, size_t message_size)
{
	struct pods_mtls_observer *o = p->mtls_observer;
	if (!o)
		return false;
	pthread_mutex_lock(&o->lock);
	const json_t *entry = json_object_get(o->probes, uid);
	bool known = entry != NULL;
	if (known) {
		const json_t *ok = json_object_get(entry, "ok");
		*ret_ok = json_is_true(ok);
		snprintf(reason, reason_size, "%s",
			 json_string_value(json_object_get(entry, "reason")) ?: (ok ? "" : "ProbePending"));
		snprintf(message, message_size, "%s",
			 json_string_value(json_object_get(entry, "message"))
			     ?: (ok ? "" : "the pod's declared ports are not probed yet"));
	}
	pthread_mutex_unlock(&o->lock);
	return known;
}

/* ---- connections ---- */

struct seen {
	char client[INET_ADDRSTRLEN], server[INET_ADDRSTRLEN];
	uint16_t port;
	int64_t count; /* new connections since the last read; -1: the sets have no counters */
	bool via_pod, via_service;
};

/* Adds one set's elements (server "" in a pod's own set: the pod's address) to the tally, as the
 * number of connections since the last read. */
static void tally(struct pods_mtls_observer *o, json_t *counts, const struct platform_mtls_connection *c, size_t n,
		  const char *server, bool via_service, struct seen **list, size_t *count)
{
	for (size_t i = 0; i < n; i++) {
		const char *to = c[i].server[0] ? c[i].server : server;
		_cleanup_free_ char *key =
		    cc_xasprintf("%s %s %u %s", c[i].client, to, (unsigned)c[i].port, via_service ? "service" : "pod");
		int64_t delta = c[i].count;
		if (c[i].count >= 0) {
			json_object_set_new(counts, key, json_integer(c[i].count));
			int64_t before = json_integer_value(json_object_get(o->counts, key));
			if (c[i].count >= before)
				delta = c[i].count - before; /* else the element expired and came back */
			if (delta == 0)
				continue;
		}
		struct seen *s = NULL;
		for (size_t k = 0; k < *count && !s; k++)
			if (strcmp((*list)[k].client, c[i].client) == 0 && strcmp((*list)[k].server, to) == 0 &&
			    (*list)[k].port == c[i].port)
				s = &(*list)[k];
		if (!s) {
			*list = realloc(*list, (*count + 1) * sizeof(**list));
			if (!*list)
				abort();
			s = &(*list)[(*count)++];
			memset(s, 0, sizeof(*s));
			snprintf(s->client, sizeof(s->client), "%s", c[i].client);
			snprintf(s->server, sizeof(s->server), "%s", to);
			s->port = c[i].port;
		}
		s->count = delta < 0 || s->count < 0 ? -1 : s->count + delta;
		s->via_pod |= !via_service;
		s->via_service |= via_service;
	}
}

static json_t *party(const struct platform_pods *p, const struct pod_copy *c, const char *address)
{
	if (!c)
		return json_pack("{s:s, s:n, s:b}", "address", address, "pod", "mtls", false);
	struct identity id = identity_of(p, c->uid);
	json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:b}", "address", address, "namespace", c->namespace, "name",
				c->name, "uid", c->uid, "mtls", id.mtls);
	if (id.mtls) {
		json_object_set_new(out, "serial", json_string(id.serial));
		json_object_set_new(out, "spiffeId", json_string(id.spiffe_id));
	}
	return out;
}

static void emit_connections(struct pods_mtls_observer *o, const struct seen *s, const struct pod_copy *pods, size_t n,
			     int interval)
{
	const struct pod_copy *server = copy_by_ip(pods, n, s->server), *client = copy_by_ip(pods, n, s->client);
	if (!server)
		return; /* gone since the read */
	struct identity server_id = identity_of(o->p, server->uid), client_id = { 0 };
	if (client)
		client_id = identity_of(o->p, client->uid);
	char port[8];
	snprintf(port, sizeof(port), "%u", (unsigned)s->port);
	pthread_mutex_lock(&o->lock);
	const char *probe = json_string_value(
	    json_object_get(json_object_get(json_object_get(o->probes, server->uid), "results"), port));
	_cleanup_free_ char *result = cc_xstrdup(probe ?: "not probed");
	pthread_mutex_unlock(&o->lock);
	_cleanup_free_ char *who = client ? cc_xasprintf("%s/%s (%s)", client->namespace, client->name,
							 client_id.mtls ? client_id.serial : "no certificate")
					  : cc_xasprintf("%s (not a pod of this node)", s->client);
	_cleanup_free_ char *count =
	    s->count >= 0 ? cc_xasprintf("%lld new connections", (long long)s->count) : cc_xstrdup("new connections");
	_cleanup_free_ char *reason =
	    cc_xasprintf("%s in about %d s from %s to %s/%s port %u (last probe: %s)", count, interval, who,
			 server->namespace, server->name, (unsigned)s->port, result);
	_cleanup_free_ char *object = cc_xasprintf("pod/%s/%s", server->namespace, server->name);
	json_t *extra = json_pack("{s:o, s:o, s:i, s:s, s:s}", "server", party(o->p, server, s->server), "client",
				  party(o->p, client, s->client), "port", (int)s->port, "probe", result, "via",
				  s->via_pod && s->via_service ? "pod,service"
				  : s->via_service             ? "service"
							       : "pod");
	json_object_set_new(extra, "count", s->count >= 0 ? json_integer(s->count) : json_null());
	cc_event_emit_decision_extra("platform", "mtls.connections", "cocoond",
				     server_id.tenant[0] ? server_id.tenant : NULL, object,
				     client_id.mtls && strcmp(result, "ok") == 0, reason, extra);
}

/* The platform's set, read from the host's nftables; NULL (quietly) when there is no such table. */
static char *host_set(const char *table)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft)
		return NULL;
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	_cleanup_free_ char *cmd = cc_xasprintf("list set ip %s " PLATFORM_MTLS_CONNECTIONS_SET, table);
	char *out = nft_run_cmd_from_buffer(nft, cmd) == 0 ? cc_xstrdup(nft_ctx_get_output_buffer(nft) ?: "") : NULL;
	nft_ctx_free(nft);
	return out;
}

static void read_set(struct pods_mtls_observer *o, json_t *counts, const char *text, const char *server,
		     bool via_service, struct seen **list, size_t *count)
{
	struct platform_mtls_connection *c = NULL;
	size_t n = 0;
	struct cc_error err = { 0 };
	if (platform_mtls_connections_parse(text, strlen(text), &c, &n, &err) < 0) {
		cc_warning("mTLS observer: %s", cc_error_message(&err));
		return;
	}
	tally(o, counts, c, n, server, via_service, list, count);
	free(c);
}

static void observe_round(struct pods_mtls_observer *o, const struct pod_copy *pods, size_t n, int interval)
{
	json_t *counts = json_object();
	struct seen *list = NULL;
	size_t count = 0;
	for (size_t i = 0; i < n && !__atomic_load_n(&o->stopping, __ATOMIC_RELAXED); i++) {
		/* Guarded pods only: the guard's record names the namespace it wrote the table in. */
		_cleanup_free_ char *record_path = cc_xasprintf("%s/mtls-guard", pods[i].run_dir);
		_cleanup_free_ char *netns = cc_xasprintf("%s/ns/net", pods[i].run_dir), *record = NULL, *text = NULL;
		size_t len;
		struct cc_error err = { 0 };
		if (!pods[i].ip[0] || cc_read_file(record_path, 64 * 1024, &record, &len, NULL) < 0 ||
		    strncmp(record, "netns ", 6) != 0)
			continue;
		if (platform_mtls_guard_connections(netns, &text, &err) < 0) {
			cc_warning("mTLS observer: pod %s/%s: %s", pods[i].namespace, pods[i].name,
				   cc_error_message(&err));
			continue;
		}
		read_set(o, counts, text, pods[i].ip, false, &list, &count);
	}
	_cleanup_free_ char *text = host_set(o->table);
	if (text)
		read_set(o, counts, text, "", true, &list, &count);
	json_decref(o->counts);
	o->counts = counts;
	for (size_t i = 0; i < count; i++)
		emit_connections(o, &list[i], pods, n, interval);
	free(list);
}

/* ---- the thread ---- */

static int observe_interval_s(const struct platform_pods *p)
{
	return p->cfg.mtls_observe_interval_s > 0 ? p->cfg.mtls_observe_interval_s : OBSERVE_INTERVAL_S;
}

static bool any_mtls_namespace(const json_t *namespaces)
{
	size_t i;
	const json_t *ns;
	json_array_foreach (namespaces, i, ns)
		if (platform_mtls_mode(ns) != MTLS_OFF)
			return true;
	return false;
}

static void round_once(struct pods_mtls_observer *o)
{
	struct platform_pods *p = o->p;
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *namespaces =
	    platform_objects_list_all(p->cfg.objects, platform_resource_find("", "v1", "namespaces"), NULL, &err);
	_cleanup_json_ json_t *objects = NULL;
	if (namespaces && !any_mtls_namespace(namespaces) && json_object_size(o->probes) == 0 &&
	    json_object_size(o->counts) == 0)
		return; /* nothing to probe or count: the pods need not be listed each second */
	if (namespaces)
		objects = platform_objects_list_all(p->cfg.objects, p->pods_resource, NULL, &err);
	if (!objects || !namespaces) {
		cc_warning("mTLS observer: %s", cc_error_message(&err));
		return;
	}
	size_t n = 0;
	_cleanup_free_ struct pod_copy *pods = copy_registry(p, &n);
	forget_gone(o, pods, n);
	probe_round(o, pods, n, objects, namespaces);
	int interval = observe_interval_s(p);
	int64_t now = cc_time_monotonic_ms();
	if (now >= o->next_observe_ms) {
		observe_round(o, pods, n, interval);
		o->next_observe_ms = now + (int64_t)interval * 1000;
	}
}

static void *observer_main(void *arg)
{
	struct pods_mtls_observer *o = arg;
	for (;;) {
		round_once(o);
		pthread_mutex_lock(&o->lock);
		if (!o->stopping) {
			struct timespec deadline;
			cc_time_monotonic_deadline(ROUND_MS, &deadline);
			pthread_cond_timedwait(&o->cond, &o->lock, &deadline);
		}
		bool stop = o->stopping;
		pthread_mutex_unlock(&o->lock);
		if (stop)
			return NULL;
	}
}

int pods_mtls_observe_start(struct platform_pods *p, struct cc_error *err)
{
	struct pods_mtls_observer *o = cc_xcalloc(1, sizeof(*o));
	o->p = p;
	o->probes = json_object();
	o->counts = json_object();
	o->next_observe_ms = cc_time_monotonic_ms() + (int64_t)observe_interval_s(p) * 1000;
	snprintf(o->table, sizeof(o->table), "%s" PLATFORM_MTLS_OBSERVE_SUFFIX,
		 p->cfg.service_table ? p->cfg.service_table : "cocoon");
	pthread_mutex_init(&o->lock, NULL);
	cc_cond_init_monotonic(&o->cond);
	p->mtls_observer = o;
	int e = cc_thread_start_worker(&o->thread, observer_main, o);
	if (e != 0) {
		p->mtls_observer = NULL;
		json_decref(o->probes);
		json_decref(o->counts);
		free(o);
		return cc_error_set_errno(err, e, "start the mTLS observer's thread");
	}
	return 0;
}

void pods_mtls_observe_stop(struct platform_pods *p)
{
	struct pods_mtls_observer *o = p->mtls_observer;
	if (!o)
		return;
	pthread_mutex_lock(&o->lock);
	__atomic_store_n(&o->stopping, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
	pthread_join(o->thread, NULL);
	p->mtls_observer = NULL;
	json_decref(o->probes);
	json_decref(o->counts);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->cond);
	free(o);
}
