/* The mTLS guard's rules and how they are applied (see mtls_guard.h). Every address and port in the
 * text is checked or written by this code: pods' addresses are read from their status (writable
 * through the API by some), ports come from mtls_policy's parser. */
#include "platform/mtls_guard.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/thread.h"
#include "lib/json/kube_object.h"
#include "platform/network_policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_ipv4(const char *text)
{
	struct in_addr a;
	return text && inet_pton(AF_INET, text, &a) == 1;
}

/* "8443, 9443" */
static void port_list(const struct platform_mtls_ports *ports, struct cc_buf *out)
{
	for (size_t i = 0; i < ports->count; i++)
		cc_buf_appendf(out, "%s%u", i ? ", " : "", (unsigned)ports->port[i]);
}

char *platform_mtls_guard_ruleset(const struct platform_mtls_ports *ports, const char *subnet, const char *gateway)
{
	char cidr[INET_ADDRSTRLEN + 4];
	if (!platform_cidr_canonical(subnet, cidr, sizeof(cidr)) || !is_ipv4(gateway))
		return NULL;
	struct cc_buf out = CC_BUF_INIT;
	cc_buf_appendf(&out,
		       "table inet " PLATFORM_MTLS_GUARD_TABLE "\ndelete table inet " PLATFORM_MTLS_GUARD_TABLE
		       "\ntable inet " PLATFORM_MTLS_GUARD_TABLE " {\n"
		       /* Who connected to a declared port (step 8, "Observing connections"): cocoond reads
			* the set every minute; each element counts the new connections of its address and
			* port and lives 2 minutes after the last one. */
		       "\tset " PLATFORM_MTLS_CONNECTIONS_SET " {\n\t\ttype ipv4_addr . inet_service; flags "
		       "dynamic,timeout; timeout 2m; counter;\n\t}\n"
		       "\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n"
		       "\t\tct state established,related accept\n"
		       "\t\tiif \"lo\" accept\n"
		       /* The node: probes, port-forward's host side, and Services (masqueraded to the
			* gateway; the platform's mtls-forward chain judged those before masquerade). */
		       "\t\tip saddr %s accept\n",
		       gateway);
	if (ports->count) {
		cc_buf_appendf(&out, "\t\tip saddr %s tcp dport { ", cidr);
		port_list(ports, &out);
		cc_buf_append_str(&out, " } ct state new update @" PLATFORM_MTLS_CONNECTIONS_SET
					" { ip saddr . tcp dport } accept\n");
	}
	/* Other pods get an answer (a reset, ICMP port unreachable), not a time-out: a refused port
	 * reads as refused, as the Services' rules answer a port without endpoints. */
	/* The pods' network is IPv4; every pod also has an IPv6 link-local address, which would reach
	 * any port of a server listening on [::]. Nothing new comes in over IPv6 but from lo. */
	cc_buf_appendf(&out,
		       "\t\tip saddr %s meta l4proto tcp reject with tcp reset\n"
		       "\t\tip saddr %s reject\n"
		       "\t\tmeta nfproto ipv6 meta l4proto tcp reject with tcp reset\n"
		       "\t\tmeta nfproto ipv6 reject\n"
		       "\t}\n}\n",
		       cidr, cidr);
	return cc_buf_steal(&out, NULL);
}

const char *platform_mtls_guard_removal(void)
{
	return "table inet " PLATFORM_MTLS_GUARD_TABLE "\ndelete table inet " PLATFORM_MTLS_GUARD_TABLE "\n";
}

/* ---- applying inside a pod's network namespace ---- */

struct apply_job {
	int netns;
	const char *text;
	bool json;    /* listings in nft's JSON form, kept in output */
	char *output; /* malloc'ed: what nft printed */
	struct cc_error err;
	int rc;
};

/* The thread enters the pod's namespace and never leaves it: it ends after the transaction. The
 * nftables context (and its netlink socket) is made after setns, so it speaks to the pod's
 * namespace's nftables. */
static void *apply_main(void *arg)
{
	struct apply_job *job = arg;
	if (setns(job->netns, CLONE_NEWNET) < 0) {
		job->rc = cc_error_set_errno(&job->err, errno, "enter the pod's network namespace");
		return NULL;
	}
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft) {
		job->rc = cc_error_set(&job->err, ENOMEM, "nftables: cannot make a context");
		return NULL;
	}
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	if (job->json)
		nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	if (nft_run_cmd_from_buffer(nft, job->text) != 0) {
		const char *why = nft_ctx_get_error_buffer(nft);
		job->rc = cc_error_set(&job->err, EIO, "nftables in the pod's network namespace: %s",
				       why && why[0] ? why : "the ruleset was refused");
	} else {
		job->output = cc_xstrdup(nft_ctx_get_output_buffer(nft) ?: "");
	}
	nft_ctx_free(nft);
	return NULL;
}

static int run_in_netns(const char *netns_path, struct apply_job *job, struct cc_error *err)
{
	job->netns = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (job->netns < 0)
		return cc_error_set_errno(err, errno, "open the pod's network namespace `%s`", netns_path);
	pthread_t thread;
	int e = cc_thread_start_worker(&thread, apply_main, job);
	if (e != 0) {
		close(job->netns);
		return cc_error_set_errno(err, e, "start a thread for the pod's network namespace");
	}
	pthread_join(thread, NULL);
	close(job->netns);
	if (job->rc < 0 && err)
		*err = job->err;
	return job->rc;
}

int platform_mtls_guard_apply(const char *netns_path, const char *text, struct cc_error *err)
{
	struct apply_job job = { .text = text };
	int r = run_in_netns(netns_path, &job, err);
	free(job.output);
	return r;
}

int platform_mtls_guard_connections(const char *netns_path, char **ret, struct cc_error *err)
{
	struct apply_job job = { .text = "list set inet " PLATFORM_MTLS_GUARD_TABLE " " PLATFORM_MTLS_CONNECTIONS_SET,
				 .json = true };
	int r = run_in_netns(netns_path, &job, err);
	if (r < 0) {
		free(job.output);
		return r;
	}
	*ret = job.output;
	return 0;
}

/* ---- the platform's table: Service traffic, before masquerade ---- */

static enum platform_mtls_mode mode_of(const json_t *namespaces, const char *name)
{
	size_t i;
	const json_t *ns;
	json_array_foreach (namespaces, i, ns)
		if (strcmp(kube_meta(ns, "name") ?: "", name) == 0)
			return platform_mtls_mode(ns);
	return MTLS_OFF;
}

void platform_mtls_forward_rules(const json_t *pods, const json_t *namespaces, const char *subnet, struct cc_buf *out)
{
	char cidr[INET_ADDRSTRLEN + 4];
	if (!platform_cidr_canonical(subnet, cidr, sizeof(cidr)))
		return;
	struct cc_buf rules = CC_BUF_INIT;
	size_t i;
	const json_t *pod;
	json_array_foreach (pods, i, pod) {
		const char *ip = json_string_value(kube_get2(pod, "status", "podIP"));
		if (!is_ipv4(ip) || kube_pod_finished(pod) ||
		    mode_of(namespaces, kube_meta(pod, "namespace") ?: "") != MTLS_REQUIRED)
			continue;
		struct platform_mtls_ports ports = { 0 };
		if (platform_mtls_pod_ports(pod, &ports, NULL) < 0)
			ports.count = 0; /* a value admission would refuse: nothing declared */
		/* ICMP port unreachable, not a TCP reset: the packet was DNATed and its connection is
		 * never confirmed, and a reset made here leaves with the endpoint's address, which the
		 * client (talking to the virtual IP) ignores until it times out; an ICMP error is
		 * translated back (conntrack rewrites the header it quotes), so the client reads
		 * "connection refused" at once. */
		if (ports.count) {
			cc_buf_appendf(&rules, "\t\tip saddr %s ip daddr %s tcp dport != { ", cidr, ip);
			port_list(&ports, &rules);
			cc_buf_append_str(&rules, " } reject\n");
			cc_buf_appendf(&rules, "\t\tip saddr %s ip daddr %s meta l4proto != tcp reject\n", cidr, ip);
		} else {
			cc_buf_appendf(&rules, "\t\tip saddr %s ip daddr %s reject\n", cidr, ip);
		}
	}
	/* Before the NetworkPolicies' chain (-5) and the Services' (0): a refused port is refused
	 * whatever a policy allows. */
	if (rules.len)
		cc_buf_appendf(out,
			       "\tchain mtls-forward {\n\t\ttype filter hook forward priority -10; policy accept;\n"
			       "\t\tct state established,related accept\n%s\t}\n",
			       rules.data);
	cc_buf_free(&rules);
}

/* ---- the platform's connection set: Service traffic to declared ports ---- */

void platform_mtls_observe_rules(const char *table, const json_t *pods, const json_t *namespaces, const char *subnet,
				 struct cc_buf *out)
{
	char cidr[INET_ADDRSTRLEN + 4];
	struct cc_buf rules = CC_BUF_INIT;
	size_t i;
	const json_t *pod;
	if (platform_cidr_canonical(subnet, cidr, sizeof(cidr)))
		json_array_foreach (pods, i, pod) {
			const char *ip = json_string_value(kube_get2(pod, "status", "podIP"));
			struct platform_mtls_ports ports = { 0 };
			if (!is_ipv4(ip) || kube_pod_finished(pod) ||
			    mode_of(namespaces, kube_meta(pod, "namespace") ?: "") != MTLS_REQUIRED ||
			    platform_mtls_pod_ports(pod, &ports, NULL) < 0 || ports.count == 0)
				continue;
			cc_buf_appendf(&rules, "\t\tip saddr %s ip daddr %s tcp dport { ", cidr, ip);
			port_list(&ports, &rules);
			/* ct status dnat: Service traffic only. With br_netfilter loaded, traffic bridged
			 * from pod to pod meets this hook too; the pod's own set counts that. */
			cc_buf_append_str(&rules,
					  " } ct state new ct status dnat update @" PLATFORM_MTLS_CONNECTIONS_SET
					  " { ip saddr . ip daddr . tcp dport }\n");
		}
	if (!rules.len) {
		cc_buf_appendf(out,
			       "table ip %s" PLATFORM_MTLS_OBSERVE_SUFFIX
			       "\ndelete table ip %s" PLATFORM_MTLS_OBSERVE_SUFFIX "\n",
			       table, table);
		return;
	}
	/* Declared without `delete table`: the set keeps its elements across the Services' updates
	 * (only the chain is rewritten). Priority 10, after the guard's, the policies' and the
	 * Services' filters, so a refused connection is not counted; before masquerade (postrouting),
	 * so the client's own address is seen. */
	cc_buf_appendf(out,
		       "table ip %s" PLATFORM_MTLS_OBSERVE_SUFFIX " {\n"
		       "\tset " PLATFORM_MTLS_CONNECTIONS_SET " {\n\t\ttype ipv4_addr . ipv4_addr . inet_service; "
		       "flags dynamic,timeout; timeout 2m; counter;\n\t}\n"
		       "\tchain observe {\n\t\ttype filter hook forward priority 10; policy accept;\n\t}\n}\n"
		       "flush chain ip %s" PLATFORM_MTLS_OBSERVE_SUFFIX " observe\n"
		       "table ip %s" PLATFORM_MTLS_OBSERVE_SUFFIX " {\n\tchain observe {\n%s\t}\n}\n",
		       table, table, table, rules.data);
	cc_buf_free(&rules);
}
