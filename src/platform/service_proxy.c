/* Services' virtual IPs in nftables (see service_proxy.h). The ruleset, for a table T:
 *
 *   table ip T {
 *     chain services { ip daddr VIP tcp dport PORT goto svc-N ... ip daddr VIP tcp dport PORT2 reject }
 *     chain svc-N { numgen random mod 2 vmap { 0 : goto ep-N-0, 1 : goto ep-N-1 } }
 *     chain ep-N-0 { meta mark set meta mark | 0x4000 meta l4proto tcp dnat to 10.244.0.5:8080 }
 *     chain prerouting { type nat hook prerouting priority -100 (dstnat); jump services }
 *     chain output { type nat hook output priority -100; jump services }
 *     chain postrouting { type nat hook postrouting priority 100 (srcnat); meta mark & 0x4000 == 0x4000 masquerade }
 *     chain reject-{forward,output} { type filter hook ... ; no-endpoint ports rejected }
 *   }
 *
 * written with `table ip T` + `delete table ip T` + the table in one transaction, which nft applies
 * atomically: no moment without rules. */
#include "platform/service_proxy.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "platform/mtls_guard.h"
#include "platform/network_policy.h"
#include "platform/objects.h"

#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MASQUERADE_MARK "0x4000"
#define SETTLE_MS       50 /* changes that come together are applied together */

struct platform_service_proxy {
	struct platform_objects *objects;
	char table[64];
	char pod_subnet[64];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool dirty, stopping;
	char *applied; /* the last ruleset written */
	bool failing;  /* the last ruleset was refused: Services and policies are what they were before */
	struct nft_ctx *nft;
};

static const char *str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

static bool is_ipv4(const char *ip)
{
	struct in_addr a;
	return ip && inet_pton(AF_INET, ip, &a) == 1;
}

static const json_t *endpoints_of(const json_t *endpoints, const char *ns, const char *name)
{
	size_t i;
	const json_t *e;
	json_array_foreach (endpoints, i, e) {
		const json_t *meta = json_object_get(e, "metadata");
		if (strcmp(str(meta, "namespace") ?: "", ns) == 0 && strcmp(str(meta, "name") ?: "", name) == 0)
			return e;
	}
	return NULL;
}

/* The ready (ip, port) pairs of a service port: Endpoints' ports match it by name. */
static json_t *backends(const json_t *endpoints, const json_t *service_port)
{
	json_t *out = json_array();
	const char *name = str(service_port, "name") ?: "";
	const char *protocol = str(service_port, "protocol") ?: "TCP";
	size_t i, j, k;
	const json_t *subset, *port, *address;
	json_array_foreach (json_object_get(endpoints, "subsets"), i, subset) {
		json_array_foreach (json_object_get(subset, "ports"), j, port) {
			if (strcmp(str(port, "name") ?: "", name) != 0 ||
			    strcmp(str(port, "protocol") ?: "TCP", protocol) != 0)
				continue;
			json_int_t number = json_integer_value(json_object_get(port, "port"));
			json_array_foreach (json_object_get(subset, "addresses"), k, address)
				if (is_ipv4(str(address, "ip")) && number > 0 && number < 65536)
					json_array_append_new(
					    out, json_pack("{s:s, s:I}", "ip", str(address, "ip"), "port", number));
		}
	}
	return out;
}

/* The buffers a ruleset is assembled from. */
struct ruleset {
	struct cc_buf services, nodeports, chains, sets, rejects;
	size_t n;
};

/* sessionAffinity ClientIP: how long a client stays with its endpoint (kube's default: 3 hours). */
static json_int_t affinity_seconds(const json_t *spec)
{
	if (strcmp(str(spec, "sessionAffinity") ?: "None", "ClientIP") != 0)
		return 0;
	const json_t *t = json_object_get(json_object_get(json_object_get(spec, "sessionAffinityConfig"), "clientIP"),
					  "timeoutSeconds");
	return json_is_integer(t) && json_integer_value(t) > 0 ? json_integer_value(t) : 10800;
}

/* One port of a Service: the chain that picks an endpoint (the one a client had, with affinity; else
 * at random) and a chain per endpoint that rewrites the destination. */
static void port_rules(struct ruleset *rs, const char *vip, const char *l4, json_int_t number, json_int_t node_port,
		       const json_t *ends, json_int_t affinity, const json_t *lb_ips)
{
	size_t count = json_array_size(ends), k;
	const json_t *lb;
	if (count == 0) {
		cc_buf_appendf(&rs->rejects, "\t\tip daddr %s %s dport %lld reject\n", vip, l4, (long long)number);
		json_array_foreach (lb_ips, k, lb)
			cc_buf_appendf(&rs->rejects, "\t\tip daddr %s %s dport %lld reject\n", json_string_value(lb),
				       l4, (long long)number);
		if (node_port)
			cc_buf_appendf(&rs->rejects, "\t\tfib daddr type local %s dport %lld reject\n", l4,
				       (long long)node_port);
		return;
	}
	size_t id = rs->n++;
	cc_buf_appendf(&rs->services, "\t\tip daddr %s %s dport %lld goto svc-%zu\n", vip, l4, (long long)number, id);
	json_array_foreach (lb_ips, k, lb) /* the load balancer's address, as kube-proxy routes it */
		cc_buf_appendf(&rs->services, "\t\tip daddr %s %s dport %lld goto svc-%zu\n", json_string_value(lb), l4,
			       (long long)number, id);
	if (node_port)
		cc_buf_appendf(&rs->nodeports, "\t\t%s dport %lld goto svc-%zu\n", l4, (long long)node_port, id);
	cc_buf_appendf(&rs->chains, "\tchain svc-%zu {\n", id);
	for (k = 0; affinity && k < count; k++) {
		cc_buf_appendf(&rs->sets,
			       "\tset aff-%zu-%zu {\n\t\ttype ipv4_addr; flags dynamic,timeout; timeout %llds;\n\t}\n",
			       id, k, (long long)affinity);
		cc_buf_appendf(&rs->chains, "\t\tip saddr @aff-%zu-%zu goto ep-%zu-%zu\n", id, k, id, k);
	}
	cc_buf_appendf(&rs->chains, "\t\tnumgen random mod %zu vmap { ", count);
	for (k = 0; k < count; k++)
		cc_buf_appendf(&rs->chains, "%s%zu : goto ep-%zu-%zu", k ? ", " : "", k, id, k);
	cc_buf_append_str(&rs->chains, " }\n\t}\n");
	for (k = 0; k < count; k++) {
		const json_t *e = json_array_get(ends, k);
		cc_buf_appendf(&rs->chains, "\tchain ep-%zu-%zu {\n", id, k);
		if (affinity)
			cc_buf_appendf(&rs->chains, "\t\tupdate @aff-%zu-%zu { ip saddr }\n", id, k);
		cc_buf_appendf(&rs->chains,
			       "\t\tmeta mark set meta mark | " MASQUERADE_MARK
			       " meta l4proto %s dnat to %s:%lld\n\t}\n",
			       l4, str(e, "ip"), (long long)json_integer_value(json_object_get(e, "port")));
	}
}

/* A LoadBalancer's addresses from its status (IPv4 ones; this node's own load balancer writes the
 * node's address there). */
static json_t *load_balancer_ips(const json_t *svc)
{
	json_t *ips = json_array();
	const json_t *spec = json_object_get(svc, "spec");
	/* Only the addresses this node's load balancer wrote: a Service of another loadBalancerClass
	 * may carry any status, and routing it would let its owner take over any address and port. */
	if (strcmp(str(spec, "type") ?: "", "LoadBalancer") != 0 || json_object_get(spec, "loadBalancerClass"))
		return ips;
	size_t i;
	const json_t *in;
	json_array_foreach (json_object_get(json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress"),
			    i, in)
		if (is_ipv4(str(in, "ip")))
			json_array_append_new(ips, json_string(str(in, "ip")));
	return ips;
}

static void service_rules(struct ruleset *rs, const json_t *svc, const json_t *endpoints)
{
	const json_t *spec = json_object_get(svc, "spec"), *meta = json_object_get(svc, "metadata");
	const char *vip = str(spec, "clusterIP");
	if (!is_ipv4(vip))
		return; /* headless, or not allocated: nothing to route */
	const json_t *eps = endpoints_of(endpoints, str(meta, "namespace") ?: "", str(meta, "name") ?: "");
	json_int_t affinity = affinity_seconds(spec);
	_cleanup_json_ json_t *lb_ips = load_balancer_ips(svc);
	size_t i;
	const json_t *port;
	json_array_foreach (json_object_get(spec, "ports"), i, port) {
		const char *protocol = str(port, "protocol") ?: "TCP";
		json_int_t number = json_integer_value(json_object_get(port, "port"));
		json_int_t node_port = json_integer_value(json_object_get(port, "nodePort"));
		if ((strcmp(protocol, "TCP") != 0 && strcmp(protocol, "UDP") != 0) || number <= 0 || number > 65535)
			continue;
		if (node_port < 0 || node_port > 65535)
			node_port = 0;
		_cleanup_json_ json_t *ends = backends(eps, port);
		port_rules(rs, vip, protocol[0] == 'U' ? "udp" : "tcp", number, node_port, ends, affinity, lb_ips);
	}
}

char *platform_service_proxy_ruleset(const char *table, const void *services_list, const void *endpoints_list)
{
	const json_t *services = services_list, *endpoints = endpoints_list;
	struct ruleset rs = { .services = CC_BUF_INIT };
	struct cc_buf out = CC_BUF_INIT;
	size_t i;
	const json_t *s;
	json_array_foreach (services, i, s)
		service_rules(&rs, s, endpoints);
	/* Node ports answer on every address of this host (fib ... type local), after the virtual IPs. */
	cc_buf_appendf(
	    &out,
	    "table ip %s\ndelete table ip %s\ntable ip %s {\n"
	    "%s"
	    "\tchain services {\n%s\t\tfib daddr type local jump nodeports\n\t}\n"
	    "\tchain nodeports {\n%s\t}\n"
	    "%s"
	    "\tchain prerouting {\n\t\ttype nat hook prerouting priority -100; policy accept;\n\t\tjump "
	    "services\n\t}\n"
	    "\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n\t\tjump services\n\t}\n"
	    "\tchain postrouting {\n\t\ttype nat hook postrouting priority 100; policy accept;\n"
	    "\t\tmeta mark & " MASQUERADE_MARK " == " MASQUERADE_MARK " masquerade\n\t}\n"
	    "\tchain no-endpoints {\n%s\t}\n"
	    "\tchain filter-forward {\n\t\ttype filter hook forward priority 0; policy accept;\n\t\tjump "
	    "no-endpoints\n\t}\n"
	    "\tchain filter-input {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tjump "
	    "no-endpoints\n\t}\n"
	    "\tchain filter-output {\n\t\ttype filter hook output priority 0; policy accept;\n\t\tjump "
	    "no-endpoints\n\t}\n"
	    "}\n",
	    table, table, table, rs.sets.data ? rs.sets.data : "", rs.services.data ? rs.services.data : "",
	    rs.nodeports.data ? rs.nodeports.data : "", rs.chains.data ? rs.chains.data : "",
	    rs.rejects.data ? rs.rejects.data : "");
	cc_buf_free(&rs.services);
	cc_buf_free(&rs.nodeports);
	cc_buf_free(&rs.chains);
	cc_buf_free(&rs.sets);
	cc_buf_free(&rs.rejects);
	return cc_buf_steal(&out, NULL);
}

/* ---- applying ---- */

/* NetworkPolicies (network_policy.h): their chains in the ip table, judged after connection
 * tracking, and the same chains in a bridge table of the same name for traffic between pods of the
 * bridge, judged per new TCP connection (and per packet otherwise). No policy: no bridge table. */
static char *policy_ruleset(const char *table, const char *pod_subnet, const json_t *pods, const json_t *namespaces,
			    const json_t *policies)
{
	struct cc_buf chains = CC_BUF_INIT, dispatch = CC_BUF_INIT, out = CC_BUF_INIT;
	platform_network_policy_rules(pods, namespaces, policies, &chains, &dispatch);
	cc_buf_appendf(&out, "table bridge %s\ndelete table bridge %s\n", table, table);
	if (dispatch.len) {
		cc_buf_appendf(&out,
			       "table ip %s {\n\tchain policy-forward {\n\t\ttype filter hook forward priority -5; "
			       "policy accept;\n\t\tct state established,related accept\n%s\t}\n%s}\n",
			       table, dispatch.data, chains.data ? chains.data : "");
		cc_buf_appendf(&out,
			       "table bridge %s {\n\tchain forward {\n\t\ttype filter hook forward priority 0; "
			       "policy accept;\n\t\tmeta protocol ip6 drop\n"
			       "\t\tmeta l4proto tcp tcp flags & (syn | ack) != syn accept\n%s\t}\n%s}\n",
			       table, dispatch.data, chains.data ? chains.data : "");
	}
	/* The mTLS guard's Service half (mtls_guard.h): in the same transaction, so a Service never
	 * routes to a guarded pod's undeclared port between two updates. */
	struct cc_buf mtls = CC_BUF_INIT;
	platform_mtls_forward_rules(pods, namespaces, pod_subnet, &mtls);
	if (mtls.len)
		cc_buf_appendf(&out, "table ip %s {\n%s}\n", table, mtls.data);
	cc_buf_free(&mtls);
	platform_mtls_observe_rules(table, pods, namespaces, pod_subnet, &out);
	cc_buf_free(&chains);
	cc_buf_free(&dispatch);
	return cc_buf_steal(&out, NULL);
}

static json_t *list_group(struct platform_objects *o, const char *group, const char *resource)
{
	struct platform_list_options opts = { 0 };
	json_t *items = NULL;
	int64_t rv;
	char *next = NULL;
	struct cc_error err = { 0 };
	if (platform_objects_list(o, platform_resource_find(group, "v1", resource), &opts, &items, &rv, &next, &err) <
	    0) {
		cc_warning("service proxy: list %s: %s", resource, cc_error_message(&err));
		return NULL;
	}
	free(next);
	return items;
}

static json_t *list_all(struct platform_objects *o, const char *resource)
{
	return list_group(o, "", resource);
}

static int run_nft(struct platform_service_proxy *p, const char *text, struct cc_error *err)
{
	nft_ctx_buffer_error(p->nft);
	int rc = nft_run_cmd_from_buffer(p->nft, text);
	const char *why = nft_ctx_get_error_buffer(p->nft);
	if (rc != 0)
		return cc_error_set(err, EIO, "nftables: %s", why && why[0] ? why : "the ruleset was refused");
	return 0;
}

static void sync_rules(struct platform_service_proxy *p)
{
	json_t *services = list_all(p->objects, "services"), *endpoints = list_all(p->objects, "endpoints");
	if (!services || !endpoints) {
		json_decref(services);
		json_decref(endpoints);
		return; /* the rules in place stay; the next change tries again */
	}
	char *services_text = platform_service_proxy_ruleset(p->table, services, endpoints);
	json_decref(services);
	json_decref(endpoints);
	json_t *pods = list_all(p->objects, "pods"), *namespaces = list_all(p->objects, "namespaces");
	json_t *policies = list_group(p->objects, "networking.k8s.io", "networkpolicies");
	if (!pods || !namespaces || !policies) {
		json_decref(pods);
		json_decref(namespaces);
		json_decref(policies);
		free(services_text);
		return;
	}
	_cleanup_free_ char *policy_text = policy_ruleset(p->table, p->pod_subnet, pods, namespaces, policies);
	json_decref(pods);
	json_decref(namespaces);
	json_decref(policies);
	char *text = cc_xasprintf("%s%s", services_text, policy_text);
	free(services_text);
	if (p->applied && strcmp(p->applied, text) == 0) {
		free(text);
		return;
	}
	struct cc_error err = { 0 };
	if (run_nft(p, text, &err) < 0) {
		cc_warning("service proxy: %s", cc_error_message(&err));
		/* Traffic is still filtered by the last ruleset applied, which may lack a new
		 * NetworkPolicy: the security log hears of it once per failing streak. */
		if (!p->failing)
			cc_event_emit_decision("platform", "network.rules.apply", "cocoond", NULL, p->table, false,
					       cc_error_message(&err));
		p->failing = true;
		free(text);
		return;
	}
	if (p->failing)
		cc_event_emit_decision("platform", "network.rules.apply", "cocoond", NULL, p->table, true,
				       "the Services' and NetworkPolicies' rules apply again");
	p->failing = false;
	free(p->applied);
	p->applied = text;
}

static void observe(void *ctx, const struct platform_resource *r, const char *type, const json_t *obj)
{
	struct platform_service_proxy *p = ctx;
	bool policies = strcmp(r->group, "networking.k8s.io") == 0 && strcmp(r->resource, "networkpolicies") == 0;
	bool core = !r->group[0] && (strcmp(r->resource, "services") == 0 || strcmp(r->resource, "endpoints") == 0 ||
				     strcmp(r->resource, "pods") == 0 || strcmp(r->resource, "namespaces") == 0);
	if (!policies && !core)
		return;
	pthread_mutex_lock(&p->lock);
	p->dirty = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

static void *proxy_main(void *arg)
{
	struct platform_service_proxy *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		if (!p->dirty) {
			pthread_cond_wait(&p->wake, &p->lock);
			continue;
		}
		pthread_mutex_unlock(&p->lock);
		struct timespec settle = { .tv_nsec = SETTLE_MS * 1000000L };
		nanosleep(&settle, NULL);
		pthread_mutex_lock(&p->lock);
		p->dirty = false;
		pthread_mutex_unlock(&p->lock);
		sync_rules(p);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int platform_service_proxy_start(struct platform_objects *objects, const char *table, const char *pod_subnet,
				 struct platform_service_proxy **ret, struct cc_error *err)
{
	struct platform_service_proxy *p = cc_xcalloc(1, sizeof(*p));
	p->objects = objects;
	snprintf(p->table, sizeof(p->table), "%s", table);
	snprintf(p->pod_subnet, sizeof(p->pod_subnet), "%s", pod_subnet);
	p->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!p->nft) {
		free(p);
		return cc_error_set(err, ENOMEM, "nftables: cannot make a context");
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	sync_rules(p); /* the state at start, before anything changes */
	if (!p->applied) {
		struct cc_error probe = { 0 };
		int r = run_nft(p, "list tables", &probe);
		if (r < 0) {
			platform_service_proxy_stop(p, false);
			return cc_error_set(err, EPERM, "Services need nftables: %s", cc_error_message(&probe));
		}
	}
	int r = platform_objects_observe(objects, observe, p);
	int e = r == 0 ? cc_thread_start_worker(&p->thread, proxy_main, p) : 0;
	if (r < 0 || e != 0) {
		platform_objects_unobserve(objects, observe, p);
		nft_ctx_free(p->nft);
		free(p->applied);
		free(p);
		return cc_error_set(err, r < 0 ? -r : e, "start the service proxy");
	}
	*ret = p;
	return 0;
}

void platform_service_proxy_stop(struct platform_service_proxy *p, bool remove)
{
	if (!p)
		return;
	platform_objects_unobserve(p->objects, observe, p);
	if (p->thread) {
		pthread_mutex_lock(&p->lock);
		p->stopping = true;
		pthread_cond_broadcast(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	if (remove) {
		_cleanup_free_ char *text = cc_xasprintf(
		    "table ip %s\ndelete table ip %s\ntable bridge %s\ndelete table bridge %s\n"
		    "table ip %s" PLATFORM_MTLS_OBSERVE_SUFFIX "\ndelete table ip %s" PLATFORM_MTLS_OBSERVE_SUFFIX "\n",
		    p->table, p->table, p->table, p->table, p->table, p->table);
		struct cc_error err = { 0 };
		if (run_nft(p, text, &err) < 0)
			cc_warning("service proxy: remove the table: %s", cc_error_message(&err));
	}
	nft_ctx_free(p->nft);
	free(p->applied);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p);
}
