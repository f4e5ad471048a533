/* The Service IP allocator (see service_ips.h): a bitmap of the CIDR's addresses. */
#include "platform/service_ips.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/objects.h"
#include "platform/status.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BITS        16    /* a /16 at most: 65536 addresses, 8 KiB of bitmap */
#define NODE_PORT_FIRST 30000 /* kube-apiserver's --service-node-port-range */
#define NODE_PORT_LAST  32767
#define NODE_PORTS      (NODE_PORT_LAST - NODE_PORT_FIRST + 1)

struct platform_service_ips {
	struct platform_objects *objects;
	uint32_t base; /* the network address, host order */
	uint32_t size; /* addresses in the CIDR */
	uint8_t *used;
	uint32_t next; /* where the next search starts, so freed addresses are not reused at once */
	uint8_t node_ports[NODE_PORTS / 8 + 1];
	uint32_t next_node_port;
	char *node_address; /* where LoadBalancer Services answer; NULL: none here (an API-only platform) */
	pthread_mutex_t lock;
};

static const char *cluster_ip(const json_t *service)
{
	return json_string_value(json_object_get(json_object_get(service, "spec"), "clusterIP"));
}

/* The address's offset in the CIDR, or -1 outside it. */
static int64_t offset_of(const struct platform_service_ips *s, const char *ip)
{
	struct in_addr a;
	if (!ip || inet_pton(AF_INET, ip, &a) != 1)
		return -1;
	uint32_t host = ntohl(a.s_addr);
	return host >= s->base && host - s->base < s->size ? (int64_t)(host - s->base) : -1;
}

static void mark(struct platform_service_ips *s, int64_t off, bool used)
{
	if (off < 0)
		return;
	if (used)
		s->used[off / 8] |= (uint8_t)(1u << (off % 8));
	else
		s->used[off / 8] &= (uint8_t) ~(1u << (off % 8));
}

static bool is_used(const struct platform_service_ips *s, int64_t off)
{
	return s->used[off / 8] & (1u << (off % 8));
}

static bool node_port_used(const struct platform_service_ips *s, json_int_t port)
{
	json_int_t off = port - NODE_PORT_FIRST;
	return s->node_ports[off / 8] & (1u << (off % 8));
}

static void mark_node_ports(struct platform_service_ips *s, const json_t *service, bool used)
{
	size_t i;
	const json_t *p;
	json_array_foreach (json_object_get(json_object_get(service, "spec"), "ports"), i, p) {
		json_int_t port = json_integer_value(json_object_get(p, "nodePort")), off = port - NODE_PORT_FIRST;
		if (port < NODE_PORT_FIRST || port > NODE_PORT_LAST)
			continue;
		if (used)
			s->node_ports[off / 8] |= (uint8_t)(1u << (off % 8));
		else
			s->node_ports[off / 8] &= (uint8_t) ~(1u << (off % 8));
	}
}

/* Deleted Services free their address and node ports. Runs under the store's lock: only bitmaps. */
static void observe(void *ctx, const struct platform_resource *r, const char *type, const json_t *obj)
{
	struct platform_service_ips *s = ctx;
	if (strcmp(r->resource, "services") != 0 || strcmp(r->group, "") != 0)
		return;
	bool used = strcmp(type, "DELETED") != 0;
	pthread_mutex_lock(&s->lock);
	mark(s, offset_of(s, cluster_ip(obj)), used);
	mark_node_ports(s, obj, used);
	pthread_mutex_unlock(&s->lock);
}

int platform_service_ips_new(struct platform_objects *objects, const char *cidr, const char *node_address,
			     struct platform_service_ips **ret, struct cc_error *err)
{
	char net[32];
	int bits = 0;
	struct in_addr a;
	if (sscanf(cidr, "%31[0-9.]/%d", net, &bits) != 2 || inet_pton(AF_INET, net, &a) != 1 || bits < MAX_BITS ||
	    bits > 28)
		return cc_error_set(err, EINVAL, "service CIDR `%s`: an IPv4 network from /16 to /28", cidr);
	struct platform_service_ips *s = cc_xcalloc(1, sizeof(*s));
	s->objects = objects;
	s->node_address = node_address ? cc_xstrdup(node_address) : NULL;
	s->size = 1u << (32 - bits);
	s->base = ntohl(a.s_addr) & ~(s->size - 1);
	s->used = cc_xcalloc(s->size / 8, 1);
	pthread_mutex_init(&s->lock, NULL);
	/* The network address, the first one (the `kubernetes` Service's) and the broadcast address. */
	mark(s, 0, true);
	mark(s, 1, true);
	mark(s, s->size - 1, true);
	s->next = 2;
	struct platform_list_options o = { 0 };
	json_t *items = NULL;
	int64_t rv;
	char *next = NULL;
	int r =
	    platform_objects_list(objects, platform_resource_find("", "v1", "services"), &o, &items, &rv, &next, err);
	free(next);
	size_t i;
	const json_t *svc;
	json_array_foreach (items, i, svc) {
		mark(s, offset_of(s, cluster_ip(svc)), true);
		mark_node_ports(s, svc, true);
	}
	json_decref(items);
	if (r == 0)
		r = platform_objects_observe(objects, observe, s);
	if (r < 0) {
		platform_service_ips_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void platform_service_ips_free(struct platform_service_ips *s)
{
	if (!s)
		return;
	platform_objects_unobserve(s->objects, observe, s);
	pthread_mutex_destroy(&s->lock);
	free(s->used);
	free(s->node_address);
	free(s);
}

static void set_ip(json_t *spec, const char *ip)
{
	json_object_set_new(spec, "clusterIP", json_string(ip));
	json_object_set_new(spec, "clusterIPs", json_pack("[s]", ip));
	if (strcmp(ip, "None") != 0) {
		json_object_set_new(spec, "ipFamilies", json_pack("[s]", "IPv4"));
		json_object_set_new(spec, "ipFamilyPolicy", json_string("SingleStack"));
	}
}

/* NodePort and LoadBalancer Services: each port a node port of 30000-32767, the one asked for when it
 * is in range and free. */
/* old: the Service as stored (an update), whose node ports are its own; NULL for a new one. */
static bool held_before(const json_t *old, json_int_t port)
{
	size_t i;
	const json_t *q;
	json_array_foreach (json_object_get(json_object_get(old, "spec"), "ports"), i, q)
		if (json_integer_value(json_object_get(q, "nodePort")) == port)
			return true;
	return false;
}

/* status.loadBalancer, as this node's load balancer keeps it (k3s's ServiceLB does the same on its
 * nodes): a LoadBalancer Service that names no other loadBalancerClass answers on the node's address,
 * and one that stopped being a LoadBalancer has none. */
static void load_balancer_status(const struct platform_service_ips *s, json_t *service)
{
	const json_t *spec = json_object_get(service, "spec");
	const char *type = json_string_value(json_object_get(spec, "type")) ?: "ClusterIP";
	json_t *status = json_object_get(service, "status");
	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(service, "status", status);
	}
	if (strcmp(type, "LoadBalancer") != 0) {
		json_object_set_new(status, "loadBalancer", json_object());
		return;
	}
	if (json_object_get(spec, "loadBalancerClass") || !s->node_address)
		return; /* another controller's to fill, or none here: <pending> */
	json_object_set_new(status, "loadBalancer",
			    json_pack("{s:[{s:s, s:s}]}", "ingress", "ip", s->node_address, "ipMode", "VIP"));
}

static bool assign_node_ports(struct platform_service_ips *s, json_t *service, const json_t *old,
			      struct cc_http_response *resp)
{
	json_t *spec = json_object_get(service, "spec");
	const char *type = json_string_value(json_object_get(spec, "type")) ?: "ClusterIP";
	if (strcmp(type, "NodePort") != 0 && strcmp(type, "LoadBalancer") != 0)
		return true;
	json_t *causes = json_array();
	pthread_mutex_lock(&s->lock);
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(spec, "ports"), i, p) {
		json_int_t asked = json_integer_value(json_object_get(p, "nodePort")), port = 0;
		char field[64];
		snprintf(field, sizeof(field), "spec.ports[%zu].nodePort", i);
		if (asked && (asked < NODE_PORT_FIRST || asked > NODE_PORT_LAST))
			platform_cause(
			    causes, "FieldValueInvalid", field,
			    "Invalid value: %lld: provided port is not in the valid range. The range of valid "
			    "ports is %d-%d",
			    (long long)asked, NODE_PORT_FIRST, NODE_PORT_LAST);
		else if (asked && node_port_used(s, asked) && !held_before(old, asked))
			platform_cause(causes, "FieldValueInvalid", field,
				       "Invalid value: %lld: provided port is already allocated", (long long)asked);
		else if (asked)
			port = asked;
		for (uint32_t n = 0; !asked && !port && n < NODE_PORTS; n++) {
			json_int_t candidate = NODE_PORT_FIRST + (s->next_node_port + n) % NODE_PORTS;
			if (!node_port_used(s, candidate))
				port = candidate;
		}
		if (!port && !asked)
			platform_cause(causes, "FieldValueInvalid", field, "range is full");
		if (!port)
			continue;
		json_int_t off = port - NODE_PORT_FIRST;
		s->node_ports[off / 8] |= (uint8_t)(1u << (off % 8));
		s->next_node_port = (uint32_t)(off + 1);
		json_object_set_new(p, "nodePort", json_integer(port));
	}
	pthread_mutex_unlock(&s->lock);
	if (json_array_size(causes) == 0) {
		json_decref(causes);
		return true;
	}
	platform_status_invalid(resp, platform_resource_find("", "v1", "services"),
				json_string_value(json_object_get(json_object_get(service, "metadata"), "name")),
				causes);
	return false;
}

bool platform_service_ips_assign(struct platform_service_ips *s, json_t *service, struct cc_http_response *resp)
{
	json_t *spec = json_object_get(service, "spec");
	const char *name = json_string_value(json_object_get(json_object_get(service, "metadata"), "name"));
	const char *asked = cluster_ip(service);
	const struct platform_resource *r = platform_resource_find("", "v1", "services");
	if (asked && strcmp(asked, "None") == 0) {
		set_ip(spec, "None"); /* headless: the names resolve to the pods */
		return true;
	}
	pthread_mutex_lock(&s->lock);
	int64_t off = -1;
	const char *why = NULL;
	if (asked && asked[0]) {
		off = offset_of(s, asked);
		if (off < 0)
			why = "provided IP is not in the valid range";
		else if (is_used(s, off))
			why = "provided IP is already allocated";
	} else {
		for (uint32_t n = 0; n < s->size && off < 0; n++) {
			uint32_t candidate = (s->next + n) % s->size;
			if (!is_used(s, candidate))
				off = candidate;
		}
		if (off < 0)
			why = "range is full";
	}
	if (!why) {
		mark(s, off, true);
		s->next = (uint32_t)off + 1;
	}
	pthread_mutex_unlock(&s->lock);
	if (why) {
		json_t *causes = json_array();
		platform_cause(causes, "FieldValueInvalid", "spec.clusterIPs",
			       "Invalid value: [\"%s\"]: failed to allocate IP %s: %s", asked ? asked : "",
			       asked ? asked : "", why);
		platform_status_invalid(resp, r, name, causes);
		return false;
	}
	struct in_addr a = { .s_addr = htonl(s->base + (uint32_t)off) };
	char text[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, text, sizeof(text));
	set_ip(spec, text);
	if (!assign_node_ports(s, service, NULL, resp))
		return false;
	load_balancer_status(s, service);
	return true;
}

/* Ports an update leaves without a nodePort keep the one they had (matched by port and protocol). */
static void keep_node_ports(const json_t *old, json_t *service)
{
	size_t i, j;
	json_t *p;
	const json_t *q;
	json_array_foreach (json_object_get(json_object_get(service, "spec"), "ports"), i, p) {
		if (json_object_get(p, "nodePort"))
			continue;
		json_array_foreach (json_object_get(json_object_get(old, "spec"), "ports"), j, q)
			if (json_equal(json_object_get(p, "port"), json_object_get(q, "port")) &&
			    json_object_get(q, "nodePort"))
				json_object_set(p, "nodePort", json_object_get(q, "nodePort"));
	}
}

/* A Service that is no longer NodePort or LoadBalancer gives its node ports up, as kube-apiserver
 * drops them when the type changes (an update the store then refuses leaves them free too early;
 * the next change of that Service marks them again). */
static void drop_node_ports(struct platform_service_ips *s, const json_t *old, json_t *service)
{
	const char *type = json_string_value(json_object_get(json_object_get(service, "spec"), "type")) ?: "ClusterIP";
	if (strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0)
		return;
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(json_object_get(service, "spec"), "ports"), i, p)
		json_object_del(p, "nodePort");
	pthread_mutex_lock(&s->lock);
	mark_node_ports(s, old, false);
	pthread_mutex_unlock(&s->lock);
}

bool platform_service_ips_keep(struct platform_service_ips *s, const json_t *old, json_t *service,
			       struct cc_http_response *resp)
{
	keep_node_ports(old, service);
	const char *was = cluster_ip(old), *now = cluster_ip(service);
	json_t *spec = json_object_get(service, "spec");
	if (!was || !json_is_object(spec))
		return true;
	if (!now || !now[0])
		set_ip(spec, was);
	if (!now || !now[0] || strcmp(was, now) == 0) {
		/* accepted so far: a Service no longer NodePort or LoadBalancer gives its node ports up */
		drop_node_ports(s, old, service);
		/* a Service that became NodePort or LoadBalancer gets its node ports and address */
		if (!assign_node_ports(s, service, old, resp))
			return false;
		load_balancer_status(s, service);
		return true;
	}
	json_t *causes = json_array();
	platform_cause(causes, "FieldValueInvalid", "spec.clusterIPs[0]",
		       "Invalid value: \"%s\": may not change once set", now);
	platform_status_invalid(resp, platform_resource_find("", "v1", "services"),
				json_string_value(json_object_get(json_object_get(service, "metadata"), "name")),
				causes);
	return false;
}
