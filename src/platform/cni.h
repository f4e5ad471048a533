/* Pod networking through the Container Network Interface (CNI spec 1.0.0), as kubelet's runtime
 * does it: the real plugins of Debian's containernetworking-plugins, run as programs with the CNI_*
 * environment and the network configuration on stdin. One network of this node: `bridge` (a Linux
 * bridge, the pod's gateway, masquerading out) with `host-local` addresses, chained with `portmap`
 * (hostPort); `loopback` brings up the pod's lo. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_error;

struct platform_cni_config {
	const char *plugin_dir; /* default /usr/lib/cni */
	const char *bridge;     /* default cocoon0 */
	const char *subnet;     /* default 10.244.0.0/16 */
	const char *state_dir;  /* host-local's leases, e.g. DATA/cni */
};

struct platform_cni_result {
	char ip[64];      /* the pod's IPv4 address, without the prefix length */
	char gateway[64]; /* the bridge's address */
};

/* Attaches the network namespace at netns_path: loopback, then the bridge and portmap chain.
 * port_mappings (may be NULL) is a JSON array of {"hostPort","containerPort","protocol","hostIP"}.
 * The result of the chain is written to result_path (what DEL needs). On failure everything added
 * is removed again. */
int platform_cni_add(const struct platform_cni_config *cfg, const char *container_id, const char *netns_path,
		     const json_t *port_mappings, const char *result_path, struct platform_cni_result *ret,
		     struct cc_error *err);
/* Detaches (DEL in reverse order); idempotent, and works when the namespace is already gone. */
int platform_cni_del(const struct platform_cni_config *cfg, const char *container_id, const char *netns_path,
		     const json_t *port_mappings, const char *result_path, struct cc_error *err);
/* One plugin's DEL for container_id, without a namespace or cached result. */
int platform_cni_del_plugin(const struct platform_cni_config *cfg, const char *type, const char *container_id,
			    const json_t *port_mappings, struct cc_error *err);
/* The network's name, which tags every rule its plugins write: "cocoon" on the default bridge,
 * "cocoon-BRIDGE" on another, so platforms on different bridges never take each other's. */
char *platform_cni_network_name(const struct platform_cni_config *cfg);
/* Removes the hostPort and masquerade rules of this network's attachments that no pod holds
 * (holds(id) false): what a crash, or a data directory removed under running pods, leaves behind.
 * *removed counts the attachments cleaned. */
int platform_cni_collect_garbage(const struct platform_cni_config *cfg, bool (*holds)(const char *id, void *ctx),
				 void *ctx, unsigned *removed, struct cc_error *err);
/* Whether the plugins are installed (bridge, host-local, portmap, loopback). */
int platform_cni_check(const struct platform_cni_config *cfg, struct cc_error *err);
