/* NetworkPolicy rules (see network_policy.h). A pod's chain returns for what a rule allows and drops
 * the rest, so a packet between two isolated pods passes the ingress chain of one and the egress
 * chain of the other. */
#include "platform/network_policy.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "platform/selector.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum direction { INGRESS, EGRESS };

static const char *str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

static const char *meta(const json_t *obj, const char *field)
{
	return str(json_object_get(obj, "metadata"), field);
}

/* A selector of a policy: absent means everything here (a peer's podSelector), as does {}. One that
 * does not parse (admission refuses them; an old one) selects nothing as a peer and everything as
 * the policy's own selector: either way less is allowed. */
static bool selects(const json_t *selector_json, const json_t *labels, bool if_broken)
{
	if (!selector_json)
		return true;
	_cleanup_(platform_selector_freep) struct platform_selector *selector = NULL;
	if (platform_selector_from_json(selector_json, &selector, NULL) < 0)
		return if_broken;
	return platform_selector_matches(selector, labels);
}

/* Every address and CIDR goes into the ruleset's text: only well-formed IPv4 ones do (a pod's status
 * can be written through the API, and an old policy may predate admission's checks). */
static bool is_ipv4(const char *text)
{
	struct in_addr a;
	return text && inet_pton(AF_INET, text, &a) == 1;
}

bool platform_cidr_canonical(const char *text, char *out, size_t size)
{
	char address[INET_ADDRSTRLEN];
	const char *slash = text ? strchr(text, '/') : NULL;
	if (!slash || (size_t)(slash - text) >= sizeof(address) || !slash[1] || strlen(slash + 1) > 2 ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1))
		return false;
	memcpy(address, text, (size_t)(slash - text));
	address[slash - text] = '\0';
	unsigned bits = (unsigned)atoi(slash + 1);
	struct in_addr a;
	if (bits > 32 || inet_pton(AF_INET, address, &a) != 1)
		return false;
	char printed[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, printed, sizeof(printed));
	snprintf(out, size, "%s/%u", printed, bits);
	return true;
}

/* A pod that has an address and may still send or receive. */
static const char *live_ip(const json_t *pod)
{
	const json_t *status = json_object_get(pod, "status");
	const char *phase = str(status, "phase") ?: "";
	if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)
		return NULL;
	const char *ip = str(status, "podIP");
	return is_ipv4(ip) ? ip : NULL;
}

static const json_t *namespace_labels(const json_t *namespaces, const char *name)
{
	size_t i;
	const json_t *ns;
	json_array_foreach (namespaces, i, ns)
		if (strcmp(meta(ns, "name") ?: "", name) == 0)
			return json_object_get(json_object_get(ns, "metadata"), "labels");
	return NULL;
}

/* The number of a named container port of pod (0: none by that name and protocol). */
static json_int_t named_port(const json_t *pod, const char *name, const char *protocol)
{
	size_t i, j;
	const json_t *c, *p;
	json_array_foreach (json_object_get(json_object_get(pod, "spec"), "containers"), i, c)
		json_array_foreach (json_object_get(c, "ports"), j, p)
			if (strcmp(str(p, "name") ?: "", name) == 0 &&
			    strcmp(str(p, "protocol") ?: "TCP", protocol) == 0)
				return json_integer_value(json_object_get(p, "containerPort"));
	return 0;
}

/* "meta l4proto tcp th dport { 80, 1000-2000 } " for the ports of one protocol of a rule, the named
 * ones resolved on pod; "" when the rule has no ports (all allowed); NULL when none of this protocol
 * resolves. */
static char *port_match(const json_t *ports, const char *protocol, const json_t *pod)
{
	if (json_array_size(ports) == 0)
		return cc_xstrdup("");
	struct cc_buf list = CC_BUF_INIT;
	size_t i;
	const json_t *p;
	json_array_foreach (ports, i, p) {
		if (strcmp(str(p, "protocol") ?: "TCP", protocol) != 0)
			continue;
		const json_t *port = json_object_get(p, "port");
		json_int_t number = json_is_integer(port)         ? json_integer_value(port)
				    : json_is_string(port) && pod ? named_port(pod, json_string_value(port), protocol)
								  : 0;
		json_int_t end = json_integer_value(json_object_get(p, "endPort"));
		if (number > 65535 || end > 65535 || number < 0 || end < 0)
			continue; /* never a port: nothing allowed by it */
		if (!port)
			cc_buf_appendf(&list, "%s0-65535", list.len ? ", " : "");
		else if (number > 0 && end > number)
			cc_buf_appendf(&list, "%s%lld-%lld", list.len ? ", " : "", (long long)number, (long long)end);
		else if (number > 0)
			cc_buf_appendf(&list, "%s%lld", list.len ? ", " : "", (long long)number);
	}
	if (!list.len) {
		cc_buf_free(&list);
		return NULL;
	}
	char lower[8];
	snprintf(lower, sizeof(lower), "%s", protocol);
	for (char *c = lower; *c; c++)
		*c = (char)(*c - 'A' + 'a');
	char *match = cc_xasprintf("meta l4proto %s th dport { %s } ", lower, list.data);
	cc_buf_free(&list);
	return match;
}

struct rule_context {
	const json_t *pods, *namespaces;
	const char *policy_namespace;
	const json_t *subject; /* the isolated pod */
	enum direction dir;
	struct cc_buf *out;
};

/* One accepted combination: peer address match and port match, for every protocol of the rule. */
static void emit(const struct rule_context *x, const char *peer, const json_t *ports, const json_t *port_pod)
{
	static const char *const protocols[] = { "TCP", "UDP", "SCTP" };
	if (json_array_size(ports) == 0) {
		cc_buf_appendf(x->out, "\t\t%sreturn\n", peer);
		return;
	}
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		_cleanup_free_ char *match = port_match(ports, protocols[i], port_pod);
		if (match)
			cc_buf_appendf(x->out, "\t\t%s%sreturn\n", peer, match);
	}
}

/* The peers a podSelector/namespaceSelector names, with a rule's ports: ingress resolves named ports
 * on the isolated pod, egress on each peer. */
static void emit_selected(const struct rule_context *x, const json_t *peer, const json_t *ports)
{
	const char *field = x->dir == INGRESS ? "saddr" : "daddr";
	const json_t *ns_selector = json_object_get(peer, "namespaceSelector");
	const json_t *pod_selector = json_object_get(peer, "podSelector");
	struct cc_buf ips = CC_BUF_INIT;
	size_t i;
	const json_t *pod;
	json_array_foreach (x->pods, i, pod) {
		const char *ip = live_ip(pod), *ns = meta(pod, "namespace") ?: "";
		bool ns_ok = ns_selector ? selects(ns_selector, namespace_labels(x->namespaces, ns), false)
					 : strcmp(ns, x->policy_namespace) == 0;
		if (!ip || !ns_ok ||
		    !selects(pod_selector, json_object_get(json_object_get(pod, "metadata"), "labels"), false))
			continue;
		if (x->dir == EGRESS) {
			_cleanup_free_ char *one = cc_xasprintf("ip %s %s ", field, ip);
			emit(x, one, ports, pod);
		} else {
			cc_buf_appendf(&ips, "%s%s", ips.len ? ", " : "", ip);
		}
	}
	if (ips.len) {
		_cleanup_free_ char *set = cc_xasprintf("ip %s { %s } ", field, ips.data);
		emit(x, set, ports, x->subject);
	}
	cc_buf_free(&ips);
}

static void emit_rule(const struct rule_context *x, const json_t *rule)
{
	const json_t *peers = json_object_get(rule, x->dir == INGRESS ? "from" : "to");
	const json_t *ports = json_object_get(rule, "ports");
	const char *field = x->dir == INGRESS ? "saddr" : "daddr";
	if (json_array_size(peers) == 0) {
		emit(x, "", ports, x->dir == INGRESS ? x->subject : NULL);
		return;
	}
	size_t i;
	const json_t *peer;
	json_array_foreach (peers, i, peer) {
		const json_t *block = json_object_get(peer, "ipBlock");
		if (!block) {
			emit_selected(x, peer, ports);
			continue;
		}
		char cidr[INET_ADDRSTRLEN + 4], one[INET_ADDRSTRLEN + 4];
		if (!platform_cidr_canonical(str(block, "cidr"), cidr, sizeof(cidr)))
			continue; /* allows nothing */
		struct cc_buf match = CC_BUF_INIT, excepts = CC_BUF_INIT;
		cc_buf_appendf(&match, "ip %s %s ", field, cidr);
		size_t j;
		const json_t *except;
		bool broken = false; /* an exception that cannot be written: the whole peer allows nothing */
		json_array_foreach (json_object_get(block, "except"), j, except) {
			if (platform_cidr_canonical(json_string_value(except), one, sizeof(one)))
				cc_buf_appendf(&excepts, "%s%s", excepts.len ? ", " : "", one);
			else
				broken = true;
		}
		if (broken) {
			cc_buf_free(&excepts);
			cc_buf_free(&match);
			continue;
		}
		if (excepts.len)
			cc_buf_appendf(&match, "ip %s != { %s } ", field, excepts.data);
		emit(x, match.data, ports, x->dir == INGRESS ? x->subject : NULL);
		cc_buf_free(&excepts);
		cc_buf_free(&match);
	}
}

static bool has_type(const json_t *spec, const char *type)
{
	size_t i;
	const json_t *t;
	json_array_foreach (json_object_get(spec, "policyTypes"), i, t)
		if (strcmp(json_string_value(t) ?: "", type) == 0)
			return true;
	return false;
}

/* The chain of one pod and direction, when some policy isolates it; false when none does. */
static bool pod_chain(const json_t *pods, const json_t *namespaces, const json_t *policies, const json_t *pod,
		      enum direction dir, struct cc_buf *body)
{
	const char *ns = meta(pod, "namespace") ?: "";
	const json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	bool isolated = false;
	size_t i, j;
	const json_t *policy, *rule;
	json_array_foreach (policies, i, policy) {
		const json_t *spec = json_object_get(policy, "spec");
		if (strcmp(meta(policy, "namespace") ?: "", ns) != 0 ||
		    !has_type(spec, dir == INGRESS ? "Ingress" : "Egress") ||
		    !selects(json_object_get(spec, "podSelector"), labels, true))
			continue;
		isolated = true;
		struct rule_context x = { .pods = pods,
					  .namespaces = namespaces,
					  .policy_namespace = ns,
					  .subject = pod,
					  .dir = dir,
					  .out = body };
		json_array_foreach (json_object_get(spec, dir == INGRESS ? "ingress" : "egress"), j, rule)
			emit_rule(&x, rule);
	}
	return isolated;
}

void platform_network_policy_rules(const json_t *pods, const json_t *namespaces, const json_t *policies,
				   struct cc_buf *chains, struct cc_buf *dispatch)
{
	if (json_array_size(policies) == 0)
		return;
	size_t i, n = 0;
	const json_t *pod;
	json_array_foreach (pods, i, pod) {
		const char *ip = live_ip(pod);
		if (!ip)
			continue;
		static const char *const names[] = { "in", "out" };
		for (int dir = INGRESS; dir <= EGRESS; dir++) {
			struct cc_buf body = CC_BUF_INIT;
			if (pod_chain(pods, namespaces, policies, pod, (enum direction)dir, &body)) {
				cc_buf_appendf(chains, "\tchain np-%s-%zu {\n%s\t\tdrop\n\t}\n", names[dir], n,
					       body.data ? body.data : "");
				cc_buf_appendf(dispatch, "\t\tip %s %s jump np-%s-%zu\n",
					       dir == INGRESS ? "daddr" : "saddr", ip, names[dir], n);
			}
			cc_buf_free(&body);
		}
		n++;
	}
}
