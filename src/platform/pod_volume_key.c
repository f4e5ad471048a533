/* A pod's volume key (see pods_internal.h): from the key broker after the node's attestation, or
 * the runner's own. */
#include "agent/agent.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/random.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "platform/pods_internal.h"
#include "platform/tenancy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The annotation naming the key broker resource that keys a pod's encrypted volumes. */
#define VOLUME_KEY_ANNOTATION "run.cocoon.volume.key"

/* REPO/TYPE/TAG, each of [A-Za-z0-9._-] and none `.` or `..`: the annotation becomes a path of the
 * broker's URL, so nothing else may pass. */
static bool broker_resource_name(const char *s)
{
	int parts = 0;
	const char *start = s;
	for (const char *p = s;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t len = (size_t)(p - start);
			if (len == 0 || (len == 1 && start[0] == '.') || (len == 2 && strncmp(start, "..", 2) == 0))
				return false;
			parts++;
			if (*p == '\0')
				break;
			start = p + 1;
		} else if (!isalnum((unsigned char)*p) && !strchr("._-", *p)) {
			return false;
		}
	}
	return parts == 3;
}

/* The node registers its attestation key in a key broker tenant other than the one it was set up
 * with (--kbs-tenant) on first use: the tenant's owners decided to trust it by enrolling its EK
 * certificate there (per-tenant node registration); credential activation proves it is that TPM.
 * A marker in the agent's state remembers it. */
static int ensure_registered(struct platform_pods *p, const struct agent_config *agent, struct cc_error *err)
{
	if (strcmp(agent->tenant, p->agent.tenant) == 0)
		return 0;
	_cleanup_free_ char *dir = cc_xasprintf("%s/tenants", agent->state_dir);
	_cleanup_free_ char *marker = cc_xasprintf("%s/%s", dir, agent->tenant);
	if (access(marker, F_OK) == 0)
		return 0;
	int r = agent_register(agent, err);
	if (r < 0) {
		_cleanup_free_ char *why = cc_xstrdup(cc_error_message(err));
		return cc_error_set(
		    err, -r,
		    "node %s is not registered in key broker tenant %s (its owners enroll the node's EK "
		    "certificate there first): %s",
		    agent->node, agent->tenant, why);
	}
	r = cc_mkdir_p(dir, 0700, err);
	return r < 0 ? r : cc_write_file_atomic(marker, "", 0, 0600, err);
}

/* The pod's volume key, in a file on the runner's tmpfs (memory only, 0600) that cocoon-runtime
 * reads (run.cocoon.fscrypt.key). With the annotation run.cocoon.volume.key=REPO/TYPE/TAG it is the
 * key broker's resource, released only after this node attested with its TPM quote and the
 * runtime's measurement log, from the broker tenant of the pod's namespace's Tenant (tenancy.h; the
 * node's own --kbs-tenant for namespaces of no tenant); a refusal keeps the pod waiting (fail
 * closed). Without it, 64 random bytes of the runner's own that live as long as the pod does here.
 * Either way a security event records the decision. */
int pod_volume_key(struct platform_pods *p, struct pod_state *ps, const json_t *pod, struct cc_error *err)
{
	_cleanup_free_ char *dir = cc_xasprintf("%s/%s", p->memory_root, ps->uid);
	_cleanup_free_ char *path = cc_xasprintf("%s/volume.key", dir);
	if (access(path, F_OK) == 0)
		return 0;
	int r = cc_mkdir_p(dir, 0700, err);
	if (r < 0)
		return r;
	const char *resource = json_string_value(
	    json_object_get(json_object_get(json_object_get(pod, "metadata"), "annotations"), VOLUME_KEY_ANNOTATION));
	_cleanup_free_ char *object = cc_xasprintf("pod/%s/%s", ps->namespace, ps->name);
	if (resource && !broker_resource_name(resource))
		return cc_error_set(err, EINVAL,
				    "%s `%s` is not a key broker resource (REPO/TYPE/TAG of [A-Za-z0-9._-])",
				    VOLUME_KEY_ANNOTATION, resource);
	if (resource) {
		_cleanup_free_ char *tenant = NULL;
		if (!p->have_agent)
			r = cc_error_set(err, EPERM,
					 "the pod takes its volume key from the key broker (%s=%s) but cocoond has no "
					 "--kbs: start it with the broker's address",
					 VOLUME_KEY_ANNOTATION, resource);
		else
			r = platform_tenancy_kbs_tenant(p->cfg.objects, ps->namespace, p->agent.tenant, &tenant, err);
		struct agent_config agent = p->agent;
		agent.tenant = tenant;
		if (r == 0)
			r = ensure_registered(p, &agent, err);
		if (r == 0)
			r = agent_fetch(&agent, resource, path, err);
		_cleanup_free_ char *reason =
		    r == 0 ? cc_xasprintf("key broker tenant %s released %s after the node's attestation", tenant,
					  resource)
			   : cc_xasprintf("volume key %s not released: %s", resource, cc_error_message(err));
		cc_event_emit_decision("platform", "volume.key", "cocoond", tenant, object, r == 0, reason);
		return r;
	}
	uint8_t key[64];
	r = cc_random_bytes(key, sizeof(key), err);
	if (r == 0)
		r = cc_write_file_atomic(path, key, sizeof(key), 0600, err);
	explicit_bzero(key, sizeof(key));
	cc_event_emit_decision("platform", "volume.key", "cocoond", NULL, object, r == 0,
			       r == 0 ? "a key of the node's own, held in memory for the pod's life"
				      : cc_error_message(err));
	return r;
}
