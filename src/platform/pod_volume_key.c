/* A pod's volume key (see pods_internal.h): from the key broker after the node's attestation, or
 * the runner's own. */
#include "agent/agent.h"
#include "image/store.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/random.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "platform/pod_container.h"
#include "platform/pod_pull.h"
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

static const struct container_state *container_named(const struct pod_state *ps, const char *name)
{
	for (size_t i = 0; i < ps->n_containers; i++)
		if (strcmp(ps->containers[i].name, name) == 0)
			return &ps->containers[i];
	return NULL;
}

/* The parts each container was measured with before the key was asked for (MEMORY/UID/measured.json,
 * {"NAME": {"rootfs", "profile"}}): they are what the broker's policy judged, so the launches that
 * use the key are held to them (pod_volume_key_pinned), and they are measured once, however often
 * the key is asked for again (each record is an extend of the node's PCR and a line of its log). */
static char *pin_path(const struct platform_pods *p, const struct pod_state *ps)
{
	return cc_xasprintf("%s/%s/measured.json", p->memory_root, ps->uid);
}

/* One container measured ahead of its launch, under the id and with the rootfs path its next
 * instance will have, so that create measures the same config; *ret its parts. */
static int measure_one(struct platform_pods *p, struct pod_state *ps, const json_t *pod, const json_t *spec,
		       const char *bundle_root, json_t **ret_parts, struct cc_error *err)
{
	const char *name = json_string_value(json_object_get(spec, "name")) ?: "";
	const char *ref = json_string_value(json_object_get(spec, "image")) ?: "";
	_cleanup_(image_resolved_freep) struct image_resolved *image = NULL;
	if (image_store_resolve(p->images, ref, &image, err) < 0) {
		/* The image comes first: ask for it now, the next pass measures. */
		struct pod_pull_outcome out;
		if (!pod_pull_is_local(ref))
			pod_puller_ask(pods_puller(p), ref, true, &out);
		return cc_error_set(err, EAGAIN,
				    "the pod's containers are measured before its key is asked for: waiting for image "
				    "\"%s\"%s",
				    ref,
				    pod_pull_is_local(ref) ? " (load it into the node's image store)" : " (pulling)");
	}
	json_t *config = NULL;
	const char *reason;
	int r = pods_container_config(p, ps, pod, spec, image, &config, &reason, err);
	if (r < 0)
		return r;
	const struct container_state *cs = container_named(ps, name);
	char id[192];
	snprintf(id, sizeof(id), "%s-%s-%d", ps->uid, name, cs ? cs->instances : 0);
	_cleanup_free_ char *bundle = cc_xasprintf("%s/%s", bundle_root, name);
	_cleanup_free_ char *instance = pods_instance_dir(ps, id);
	_cleanup_free_ char *rootfs = cc_xasprintf("%s/rootfs", instance);
	json_t *measured = NULL;
	r = pod_instance_measure(&p->tools, id, bundle, rootfs, config, &measured, err);
	json_decref(config);
	if (r == 0) {
		const json_t *parts = json_object_get(measured, "parts");
		*ret_parts = json_pack("{s:O?, s:O?}", "rootfs", json_object_get(parts, "rootfs"), "profile",
				       json_object_get(parts, "profile"));
	}
	json_decref(measured);
	_cleanup_free_ char *config_file = cc_xasprintf("%s/config.json", bundle);
	unlink(config_file);
	rmdir(bundle);
	return r;
}

/* Every container of the pod (init containers too: they may mount the encrypted volume) measured
 * and recorded once, so that the attestation which follows carries them. Their bundles are made on
 * the runner's tmpfs (configs hold secrets) and removed at once. */
static int measure_pod(struct platform_pods *p, struct pod_state *ps, const json_t *pod, struct cc_error *err)
{
	_cleanup_free_ char *pins = pin_path(p, ps);
	if (access(pins, F_OK) == 0)
		return 0;
	_cleanup_free_ char *root = cc_xasprintf("%s/%s/measure", p->memory_root, ps->uid);
	const json_t *spec = json_object_get(pod, "spec");
	static const char *const lists[] = { "initContainers", "containers" };
	_cleanup_json_ json_t *measured = json_object();
	int r = 0;
	for (size_t l = 0; l < 2 && r == 0; l++) {
		size_t i;
		const json_t *c;
		json_array_foreach (json_object_get(spec, lists[l]), i, c) {
			json_t *parts = NULL;
			if ((r = measure_one(p, ps, pod, c, root, &parts, err)) < 0)
				break;
			json_object_set_new(measured, json_string_value(json_object_get(c, "name")) ?: "", parts);
		}
	}
	rmdir(root);
	if (r < 0)
		return r;
	_cleanup_free_ char *text = json_dumps(measured, JSON_COMPACT | JSON_SORT_KEYS);
	return cc_write_file_atomic(pins, text, strlen(text), 0600, err);
}

int pods_attest_ready(struct platform_pods *p, struct pod_state *ps, const json_t *pod,
		      const struct agent_config *agent, struct cc_error *err)
{
	int r = ensure_registered(p, agent, err);
	return r < 0 ? r : measure_pod(p, ps, pod, err);
}

int pod_volume_key_pinned(struct platform_pods *p, const struct pod_state *ps, const json_t *pod, const char *name,
			  const json_t *config, struct cc_error *err)
{
	_cleanup_free_ char *pins = pin_path(p, ps);
	/* Nothing was judged without a key of the broker's, unless the pod was measured for another
	 * release (its certificate: pod_mtls.c), which leaves the pins. */
	if (!json_string_value(json_object_get(json_object_get(json_object_get(pod, "metadata"), "annotations"),
					       VOLUME_KEY_ANNOTATION)) &&
	    access(pins, F_OK) != 0)
		return 0;
	_cleanup_json_ json_t *all = NULL;
	if (cc_json_load_file(pins, 1u << 20, &all, err) < 0)
		return cc_error_set(err, EPERM,
				    "there is no record of what the pod's key was released for: delete the pod so that "
				    "it is measured and attested again");
	const json_t *pinned = json_object_get(all, name);
	const json_t *annotations = json_object_get(config, "annotations");
	const char *digest = json_string_value(json_object_get(annotations, "run.cocoon.image.digest"));
	const char *profile = json_string_value(json_object_get(annotations, "run.cocoon.profile"));
	_cleanup_free_ char *rootfs = digest ? cc_xasprintf("image:%s", digest) : NULL;
	const char *pinned_rootfs = json_string_value(json_object_get(pinned, "rootfs"));
	const char *pinned_profile = json_string_value(json_object_get(pinned, "profile"));
	bool same =
	    pinned && pinned_rootfs && pinned_profile && rootfs && strcmp(rootfs, pinned_rootfs) == 0 &&
	    strcmp(profile && strcmp(profile, "confidential") == 0 ? "confidential" : "none", pinned_profile) == 0;
	if (!same)
		return cc_error_set(
		    err, EPERM,
		    "container %s is not what the pod's key was released for (%s, profile %s): delete the "
		    "pod so that it is measured and attested again",
		    name, pinned_rootfs ? pinned_rootfs : "not measured", pinned_profile ? pinned_profile : "-");
	return 0;
}

/* The pod's volume key, in a file on the runner's tmpfs (memory only, 0600) that cocoon-runtime
 * reads (run.cocoon.fscrypt.key). With the annotation run.cocoon.volume.key=REPO/TYPE/TAG it is the
 * key broker's resource, released only after this node attested with its TPM quote and the
 * runtime's measurement log with the pod's own containers in it (measured ahead of their launch; the
 * broker's policy judges them as pod.containers), from the broker tenant of the pod's namespace's Tenant (tenancy.h;
 * the node's own --kbs-tenant for namespaces of no tenant); a refusal keeps the pod waiting (fail closed). Without it,
 * 64 random bytes of the runner's own that live as long as the pod does here. Either way a security event records the
 * decision. */
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
		agent.pod = ps->uid;
		if (r == 0)
			r = pods_attest_ready(p, ps, pod, &agent, err);
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
