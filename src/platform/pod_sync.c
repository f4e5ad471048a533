/* One step of a pod towards its spec (see pods_internal.h): the sandbox (namespaces, network,
 * volumes) first, then init containers one after the other, then the containers, restarting per
 * restartPolicy with kubelet's back-off (10 s doubling to 5 min, reset after 10 min of running);
 * a pod being deleted is stopped gracefully (SIGTERM, then SIGKILL after its grace period),
 * unplugged and removed from the store. Every step ends with the pod's status written back. */
#include "image/store.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/process.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "platform/admit.h"
#include "platform/mtls_guard.h"
#include "platform/objects.h"
#include "platform/pod_config.h"
#include "platform/pod_env.h"
#include "platform/pod_mtls.h"
#include "platform/pod_pool.h"
#include "platform/pod_pull.h"
#include "platform/pod_sandbox.h"
#include "platform/pod_volumes.h"
#include "platform/pods_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_INITIAL_S 10
#define BACKOFF_MAX_S     300
#define BACKOFF_RESET_S   600
#define POOL_SIZE_MB      1024

static const char *meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

static void add_containers(struct pod_state *ps, const json_t *list, bool init)
{
	size_t i;
	const json_t *c;
	json_array_foreach (list, i, c) {
		struct container_state *cs = &ps->containers[ps->n_containers++];
		snprintf(cs->name, sizeof(cs->name), "%s", json_string_value(json_object_get(c, "name")) ?: "");
		cs->init = init;
		snprintf(cs->reason, sizeof(cs->reason), "%s", init ? "PodInitializing" : "ContainerCreating");
	}
}

/* The containers of the spec (pod specs do not change their containers). */
static void init_containers(struct pod_state *ps, const json_t *pod)
{
	const json_t *spec = json_object_get(pod, "spec");
	const json_t *inits = json_object_get(spec, "initContainers"), *main = json_object_get(spec, "containers");
	size_t n = json_array_size(inits) + json_array_size(main);
	struct container_state *restored = ps->containers;
	size_t n_restored = ps->n_containers;
	ps->containers = cc_xcalloc(n ? n : 1, sizeof(*ps->containers));
	ps->n_containers = 0;
	add_containers(ps, inits, true);
	ps->n_init = ps->n_containers;
	add_containers(ps, main, false);
	/* Re-adopted: take over what the previous cocoond knew by name. */
	for (size_t i = 0; i < n_restored; i++)
		for (size_t j = 0; j < ps->n_containers; j++)
			if (strcmp(restored[i].name, ps->containers[j].name) == 0) {
				bool init = ps->containers[j].init;
				ps->containers[j] = restored[i];
				ps->containers[j].init = init;
			}
	free(restored);
}

/* An instance's rootfs and writable layer (disk), and its bundle (the runner's tmpfs). */
char *pods_instance_dir(const struct pod_state *ps, const char *id)
{
	return cc_xasprintf("%s/containers/%s", ps->dir, id);
}

static char *bundle_dir(const struct platform_pods *p, const struct pod_state *ps, const char *id)
{
	return cc_xasprintf("%s/%s/containers/%s", p->memory_root, ps->uid, id);
}

/* ---- the sandbox ---- */

static json_t *port_mappings(const json_t *pod)
{
	json_t *out = json_array();
	size_t i, j;
	const json_t *c, *port;
	json_array_foreach (json_object_get(json_object_get(pod, "spec"), "containers"), i, c)
		json_array_foreach (json_object_get(c, "ports"), j, port) {
			json_int_t host = json_integer_value(json_object_get(port, "hostPort"));
			if (host <= 0)
				continue;
			const char *proto = json_string_value(json_object_get(port, "protocol")) ?: "TCP";
			char lower[8];
			snprintf(lower, sizeof(lower), "%s", strcmp(proto, "UDP") == 0 ? "udp" : "tcp");
			json_t *m =
			    json_pack("{s:I, s:I, s:s}", "hostPort", host, "containerPort",
				      json_integer_value(json_object_get(port, "containerPort")), "protocol", lower);
			const char *host_ip = json_string_value(json_object_get(port, "hostIP"));
			if (host_ip && host_ip[0])
				json_object_set_new(m, "hostIP", json_string(host_ip));
			json_array_append_new(out, m);
		}
	return out;
}

static int create_sandbox(struct platform_pods *p, struct pod_state *ps, const json_t *pod, struct cc_error *err)
{
	_cleanup_free_ char *ns_dir = cc_xasprintf("%s/ns", ps->run_dir);
	_cleanup_free_ char *result = cc_xasprintf("%s/cni-result.json", ps->dir);
	char hostname[64];
	snprintf(hostname, sizeof(hostname), "%.63s", ps->name);
	json_decref(ps->port_mappings);
	ps->port_mappings = port_mappings(pod);
	int r = cc_mkdir_p(ps->dir, 0700, err);
	if (r == 0 && !pod_sandbox_pinned(ns_dir))
		r = pod_sandbox_create(ns_dir, hostname, err);
	_cleanup_free_ char *netns = cc_xasprintf("%s/net", ns_dir);
	struct platform_cni_result net = { 0 };
	if (r == 0)
		r = platform_cni_add(&p->cni, ps->uid, netns, ps->port_mappings, result, &net, err);
	if (r < 0) {
		pod_sandbox_destroy(ns_dir);
		return r;
	}
	snprintf(ps->ip, sizeof(ps->ip), "%s", net.ip);
	return pod_volumes_write_etc(pod, ps->dir, ps->ip, p->cfg.dns_ip, err);
}

/* refresh: the volumes exist (and an encrypted pod's key is in place); their contents are written
 * again (Secrets, ConfigMaps and tokens that changed or are due), as kubelet's periodic sync does. */
static int prepare_volumes(struct platform_pods *p, struct pod_state *ps, const json_t *pod, bool refresh,
			   struct cc_error *err)
{
	_cleanup_free_ char *memory = cc_xasprintf("%s/%s", p->memory_root, ps->uid);
	_cleanup_free_ char *encrypted = cc_xasprintf("%s/%s", p->pool_dir, ps->uid);
	bool encrypt = pod_wants_encryption(pod);
	int r = 0;
	if (encrypt && !refresh) {
		_cleanup_free_ char *image = cc_xasprintf("%s/encrypted.img", p->cfg.data_dir);
		r = pod_pool_ensure(image, p->pool_dir, POOL_SIZE_MB, err);
		if (r == 0)
			r = cc_mkdir_p(encrypted, 0700, err);
	}
	const char *platform_dirs[] = { p->cfg.data_dir, p->cfg.run_dir, p->cfg.log_dir, NULL };
	struct pod_volume_dirs dirs = { .platform_dirs = platform_dirs,
					.pod_dir = ps->dir,
					.memory_dir = memory,
					.encrypted_dir = encrypt ? encrypted : NULL,
					.sa_tokens = p->cfg.sa_tokens };
	json_t *volumes = NULL;
	if (r == 0)
		r = pod_volumes_prepare(p->cfg.objects, pod, &dirs, &volumes, err);
	if (r < 0)
		return r;
	json_decref(ps->volumes);
	ps->volumes = volumes;
	/* The key comes last: a key from the broker is asked for with the pod's containers measured,
	 * and their configs need the volumes. */
	if (encrypt && !refresh)
		r = pod_volume_key(p, ps, pod, err);
	return r < 0 ? r : pod_mtls_certificate(p, ps, pod, refresh, err);
}

static bool ensure_sandbox(struct platform_pods *p, struct pod_state *ps, const json_t *pod)
{
	if (ps->sandbox_ready && ps->volumes_ready)
		return true;
	int64_t now = cc_time_monotonic_ms();
	if (now < ps->next_sandbox_ms)
		return false;
	struct cc_error err = { 0 };
	int r = 0;
	if (!ps->sandbox_ready) {
		r = create_sandbox(p, ps, pod, &err);
		if (r == 0)
			ps->sandbox_ready = true;
		else
			pods_event(p, ps, NULL, "Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: %s",
				   cc_error_message(&err));
	}
	if (r == 0) {
		r = prepare_volumes(p, ps, pod, false, &err);
		if (r == 0)
			ps->volumes_ready = true;
		else
			pods_event(p, ps, NULL, "Warning", "FailedMount", "Unable to prepare volumes: %s",
				   cc_error_message(&err));
	}
	if (r < 0)
		ps->next_sandbox_ms = now + 5000;
	pods_save(ps);
	return r == 0;
}

/* ---- containers ---- */

static void backoff(struct container_state *cs)
{
	cs->backoff_s = cs->backoff_s ? cs->backoff_s * 2 : BACKOFF_INITIAL_S;
	if (cs->backoff_s > BACKOFF_MAX_S)
		cs->backoff_s = BACKOFF_MAX_S;
	cs->next_start_ms = cc_time_monotonic_ms() + cs->backoff_s * 1000;
}

static void waiting(struct container_state *cs, const char *reason, const char *message)
{
	cs->phase = CONTAINER_WAITING;
	snprintf(cs->reason, sizeof(cs->reason), "%s", reason);
	snprintf(cs->message, sizeof(cs->message), "%s", message ? message : "");
}

int pods_container_config(struct platform_pods *p, struct pod_state *ps, const json_t *pod, const json_t *spec,
			  const struct image_resolved *image, json_t **ret, const char **ret_reason,
			  struct cc_error *err)
{
	*ret_reason = "CreateContainerConfigError";
	struct pod_env_input env_in = { .objects = p->cfg.objects,
					.pod = pod,
					.container = spec,
					.image = &image->config,
					.pod_ip = ps->ip,
					.host_ip = p->host_ip,
					.api_service_ip = p->cfg.api_service_ip };
	_cleanup_json_ json_t *env = NULL, *mounts = NULL;
	_cleanup_free_ char *subpaths = cc_xasprintf("%s/subpaths", ps->run_dir);
	int r = pod_env_resolve(&env_in, &env, err);
	if (r == 0)
		r = pod_volume_mounts(pod, spec, ps->volumes, ps->dir, subpaths, &mounts, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *ns_dir = cc_xasprintf("%s/ns", ps->run_dir);
	_cleanup_free_ char *cgroup =
	    cc_xasprintf("/cocoon/pod%s/%s", ps->uid, json_string_value(json_object_get(spec, "name")) ?: "c");
	_cleanup_free_ char *key =
	    pod_wants_encryption(pod) ? cc_xasprintf("%s/%s/volume.key", p->memory_root, ps->uid) : NULL;
	struct pod_container_input in = { .pod = pod,
					  .container = spec,
					  .image = &image->config,
					  .image_digest = image->info.digest,
					  .sandbox_dir = ns_dir,
					  .env = env,
					  .mounts = mounts,
					  .cgroups_path = cgroup,
					  .fscrypt_key = key };
	return pod_oci_config(&in, ret, err);
}

/* A failed pull: ErrImagePull, then ImagePullBackOff while it keeps failing, with kubelet's
 * back-off between attempts. */
static void image_pull_failed(struct platform_pods *p, struct pod_state *ps, struct container_state *cs,
			      const char *image_ref, const char *why)
{
	bool again = strcmp(cs->reason, "ErrImagePull") == 0 || strcmp(cs->reason, "ImagePullBackOff") == 0;
	char message[sizeof(cs->message)];
	if (again)
		snprintf(message, sizeof(message), "Back-off pulling image \"%s\": %s", image_ref, why);
	else
		snprintf(message, sizeof(message), "%s", why);
	waiting(cs, again ? "ImagePullBackOff" : "ErrImagePull", message);
	pods_event(p, ps, cs->name, "Warning", "Failed", "Failed to pull image \"%s\": %s", image_ref, why);
	if (again)
		pods_event(p, ps, cs->name, "Normal", "BackOff", "Back-off pulling image \"%s\"", image_ref);
	backoff(cs);
}

/* kubelet's duration text in its Pulled event: "850ms", "1.234s". */
static void duration_text(int64_t ms, char out[32])
{
	if (ms < 1000)
		snprintf(out, 32, "%lldms", (long long)ms);
	else
		snprintf(out, 32, "%.3fs", (double)ms / 1000.0);
}

/* Where a pull of the container's image stands (pod_pull.h); true with *ret once it is in the store. */
static bool pull_state(struct platform_pods *p, struct pod_state *ps, struct container_state *cs, const char *image_ref,
		       enum pod_pull_state state, const struct pod_pull_outcome *out, struct image_resolved **ret)
{
	switch (state) {
	case POD_PULL_NONE: return false;
	case POD_PULL_STARTED:
		pods_event(p, ps, cs->name, "Normal", "Pulling", "Pulling image \"%s\"", image_ref);
		/* fall through */
	case POD_PULL_PULLING:
		if (strcmp(cs->reason, "ErrImagePull") != 0 && strcmp(cs->reason, "ImagePullBackOff") != 0)
			waiting(cs, "ContainerCreating", NULL);
		return false;
	case POD_PULL_FAILED: image_pull_failed(p, ps, cs, image_ref, out->message); return false;
	case POD_PULL_DONE: break;
	}
	struct cc_error err = { 0 };
	if (image_store_resolve(p->images, image_ref, ret, &err) < 0) { /* removed since */
		image_pull_failed(p, ps, cs, image_ref, cc_error_message(&err));
		return false;
	}
	char pulled[32], total[32];
	duration_text(out->pull_ms, pulled);
	duration_text(out->total_ms, total);
	pods_event(p, ps, cs->name, "Normal", "Pulled", "Successfully pulled image \"%s\" in %s (%s including waiting)",
		   image_ref, pulled, total);
	return true;
}

/* The container's image as imagePullPolicy says, as kubelet: Always pulls at each start,
 * IfNotPresent when the store lacks it, Never never (ErrImageNeverPull). Local images (localhost/,
 * or a name without a registry) are never pulled: there is nowhere to pull them from, so Always
 * takes the store's. A pull runs on the puller's thread (pod_pull.c), not on this one, which holds
 * the pod registry's lock: the container waits in ContainerCreating (or in its ImagePullBackOff)
 * and this is asked again at the next step until the pull ends; a pull under way for the image
 * (this container's, or another's) is waited for before the store is looked at. True with *ret
 * when the image is in the store. */
static bool image_for_start(struct platform_pods *p, struct pod_state *ps, struct container_state *cs,
			    const json_t *spec, struct image_resolved **ret)
{
	const char *image_ref = json_string_value(json_object_get(spec, "image")) ?: "";
	const char *policy = json_string_value(json_object_get(spec, "imagePullPolicy"));
	if (!policy)
		policy = pod_pull_default_policy(image_ref);
	bool local = pod_pull_is_local(image_ref), never = strcmp(policy, "Never") == 0;
	struct pod_pull_outcome out;
	enum pod_pull_state state = POD_PULL_NONE;
	if (!local && !never && p->puller &&
	    (state = pod_puller_ask(p->puller, image_ref, false, &out)) != POD_PULL_NONE)
		return pull_state(p, ps, cs, image_ref, state, &out, ret);
	struct cc_error err = { 0 };
	bool present = image_store_resolve(p->images, image_ref, ret, &err) == 0;
	if (present && (local || strcmp(policy, "Always") != 0)) {
		if (cs->instances == 0)
			pods_event(p, ps, cs->name, "Normal", "Pulled",
				   "Container image \"%s\" already present on machine", image_ref);
		return true;
	}
	image_resolved_free(*ret);
	*ret = NULL;
	char message[sizeof(cs->message)];
	if (never) {
		snprintf(message, sizeof(message), "Container image \"%s\" is not present with pull policy of Never",
			 image_ref);
		waiting(cs, "ErrImageNeverPull", message);
		pods_event(p, ps, cs->name, "Warning", "ErrImageNeverPull", "%s", message);
		backoff(cs);
		return false;
	}
	if (local) {
		snprintf(message, sizeof(message),
			 "image \"%s\" is not in the node's image store and names no registry to pull it from: load it "
			 "with `cocoon image load` (or `cocoon image import`), or name its registry "
			 "(REGISTRY[:PORT]/NAME[:TAG])",
			 image_ref);
		image_pull_failed(p, ps, cs, image_ref, message);
		return false;
	}
	state = pod_puller_ask(pods_puller(p), image_ref, true, &out);
	return pull_state(p, ps, cs, image_ref, state, &out, ret);
}

static void start_instance(struct platform_pods *p, struct pod_state *ps, const json_t *pod, struct container_state *cs,
			   const json_t *spec)
{
	/* Admission allows DNS labels only; the name becomes a runtime id, a log directory and a cgroup
	 * here, so a pod stored before that check (or by another writer of the store) stops here. */
	if (!platform_dns_label(cs->name)) {
		waiting(cs, "CreateContainerConfigError", "the container name is not a DNS-1123 label");
		return;
	}
	struct cc_error err = { 0 };
	_cleanup_(image_resolved_freep) struct image_resolved *image = NULL;
	if (!image_for_start(p, ps, cs, spec, &image))
		return;
	json_t *config = NULL;
	const char *reason;
	if (pods_container_config(p, ps, pod, spec, image, &config, &reason, &err) < 0 ||
	    (reason = "CreateContainerConfigError", pod_volume_key_pinned(p, ps, pod, cs->name, config, &err) < 0)) {
		waiting(cs, reason, cc_error_message(&err));
		pods_event(p, ps, cs->name, "Warning", "Failed", "Error: %s", cc_error_message(&err));
		backoff(cs);
		return;
	}
	/* The previous instance goes (its log stays for --previous). */
	if (cs->id[0]) {
		_cleanup_free_ char *old = pods_instance_dir(ps, cs->id);
		_cleanup_free_ char *old_bundle = bundle_dir(p, ps, cs->id);
		pod_instance_remove(&p->tools, cs->id, old_bundle, old);
	}
	char id[192];
	snprintf(id, sizeof(id), "%s-%s-%d", ps->uid, cs->name, cs->instances);
	_cleanup_free_ char *dir = pods_instance_dir(ps, id);
	_cleanup_free_ char *bundle = bundle_dir(p, ps, id);
	_cleanup_free_ char *log_dir = cc_xasprintf("%s/%s", ps->log_dir, cs->name);
	_cleanup_free_ char *log_path = cc_xasprintf("%s/%d.log", log_dir, cs->instances);
	cc_mkdir_p(log_dir, 0750, NULL);
	struct pod_instance_spec is = { .id = id,
					.bundle = bundle,
					.dir = dir,
					.log_path = log_path,
					.layers = image->layer_dirs,
					.n_layers = image->n_layer_dirs,
					.config = config,
					.stdin = json_is_true(json_object_get(spec, "stdin")),
					.stdin_once = json_is_true(json_object_get(spec, "stdinOnce")) };
	pid_t pid = 0;
	int r = pod_instance_start(&p->tools, &is, &pid, &err);
	json_decref(config);
	if (r < 0) {
		cs->id[0] = '\0';
		waiting(cs, "RunContainerError", cc_error_message(&err));
		pods_event(p, ps, cs->name, "Warning", "Failed", "Error: %s", cc_error_message(&err));
		backoff(cs);
		return;
	}
	snprintf(cs->id, sizeof(cs->id), "%s", id);
	snprintf(cs->image_id, sizeof(cs->image_id), "%s", image->info.id);
	snprintf(cs->image_digest, sizeof(cs->image_digest), "%s", image->info.digest);
	cs->restart_count = cs->instances;
	cs->instances++;
	cs->phase = CONTAINER_RUNNING;
	cs->reason[0] = cs->message[0] = '\0';
	cs->started_ns = cc_time_now_ns();
	cs->ready = cs->started = false;
	cs->killed_for_probe = false;
	memset(cs->probe_failures, 0, sizeof(cs->probe_failures));
	memset(cs->probe_successes, 0, sizeof(cs->probe_successes));
	memset(cs->next_probe_ms, 0, sizeof(cs->next_probe_ms));
	pods_event(p, ps, cs->name, "Normal", "Created", "Created container %s", cs->name);
	pods_event(p, ps, cs->name, "Normal", "Started", "Started container %s", cs->name);
	pods_save(ps);
}

/* Reads the exit of a running instance. */
static void refresh(struct platform_pods *p, struct pod_state *ps, struct container_state *cs)
{
	if (cs->phase != CONTAINER_RUNNING || !cs->id[0])
		return;
	_cleanup_free_ char *bundle = bundle_dir(p, ps, cs->id);
	struct pod_instance_exit ex;
	int r = pod_instance_poll(bundle, &ex);
	if (r == 0)
		return;
	cs->phase = CONTAINER_TERMINATED;
	cs->ready = false;
	if (r < 0) {
		/* Neither a monitor nor its record: lost while cocoond was down. */
		cs->exit_code = 137, cs->signal = 0;
		snprintf(cs->reason, sizeof(cs->reason), "ContainerStatusUnknown");
		snprintf(cs->message, sizeof(cs->message),
			 "The container could not be located when the pod was "
			 "terminated");
		cs->finished_ns = cc_time_now_ns();
		return;
	}
	cs->exit_code = ex.exit_code, cs->signal = ex.signal;
	snprintf(cs->reason, sizeof(cs->reason), "%s", ex.reason);
	cs->message[0] = '\0';
	if (ex.started_ns)
		cs->started_ns = ex.started_ns;
	cs->finished_ns = ex.finished_ns ? ex.finished_ns : cc_time_now_ns();
	/* Ran long enough: the next crash starts the back-off over. */
	if (cs->finished_ns - cs->started_ns > (int64_t)BACKOFF_RESET_S * 1000000000)
		cs->backoff_s = 0;
}

static bool should_restart(const json_t *pod, const struct container_state *cs)
{
	const char *policy =
	    json_string_value(json_object_get(json_object_get(pod, "spec"), "restartPolicy")) ?: "Always";
	if (cs->init)
		return strcmp(policy, "Never") != 0 && cs->exit_code != 0;
	if (strcmp(policy, "Always") == 0)
		return true;
	return strcmp(policy, "OnFailure") == 0 && cs->exit_code != 0;
}

/* The exited instance becomes lastState.terminated. */
static void record_last_terminated(struct container_state *cs)
{
	json_decref(cs->last_terminated);
	char started[CC_TIME_RFC3339_MAX], finished[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339_seconds(cs->started_ns, started, sizeof(started));
	cc_time_format_rfc3339_seconds(cs->finished_ns, finished, sizeof(finished));
	_cleanup_free_ char *cid = cc_xasprintf("cocoon://%s", cs->id);
	cs->last_terminated = json_pack("{s:i, s:s, s:s, s:s, s:s}", "exitCode", cs->exit_code, "reason", cs->reason,
					"startedAt", started, "finishedAt", finished, "containerID", cid);
}

/* A terminated container that restartPolicy restarts: at once after its first exit, then after
 * kubelet's back-off, waiting in CrashLoopBackOff meanwhile. */
static void maybe_restart(struct platform_pods *p, struct pod_state *ps, const json_t *pod, struct container_state *cs,
			  const json_t *spec)
{
	if (!should_restart(pod, cs))
		return;
	record_last_terminated(cs);
	if (cs->instances > 1 || cs->backoff_s)
		backoff(cs);
	else
		cs->next_start_ms = 0;
	if (cc_time_monotonic_ms() < cs->next_start_ms) {
		char message[768];
		snprintf(message, sizeof(message), "back-off %ds restarting failed container=%s pod=%s_%s(%s)",
			 cs->backoff_s, cs->name, ps->name, ps->namespace, ps->uid);
		waiting(cs, "CrashLoopBackOff", message);
		pods_event(p, ps, cs->name, "Warning", "BackOff", "Back-off restarting failed container %s in pod %s",
			   cs->name, ps->name);
		return;
	}
	start_instance(p, ps, pod, cs, spec);
}

static void step_container(struct platform_pods *p, struct pod_state *ps, const json_t *pod, struct container_state *cs)
{
	const json_t *spec = pods_container_spec(pod, cs);
	if (!spec)
		return;
	refresh(p, ps, cs);
	switch (cs->phase) {
	case CONTAINER_WAITING:
		if (cc_time_monotonic_ms() >= cs->next_start_ms)
			start_instance(p, ps, pod, cs, spec);
		break;
	case CONTAINER_RUNNING: pods_probe(p, ps, cs, spec); break;
	case CONTAINER_TERMINATED: maybe_restart(p, ps, pod, cs, spec); break;
	}
}

/* Init containers run one at a time, in order; true when all have completed. */
static bool step_init(struct platform_pods *p, struct pod_state *ps, const json_t *pod)
{
	for (size_t i = 0; i < ps->n_init; i++) {
		struct container_state *cs = &ps->containers[i];
		refresh(p, ps, cs);
		if (cs->phase == CONTAINER_TERMINATED && cs->exit_code == 0)
			continue;
		step_container(p, ps, pod, cs);
		return false;
	}
	return true;
}

void pods_container_kill(struct platform_pods *p, struct pod_state *ps, struct container_state *cs, const char *sig)
{
	(void)ps;
	struct cc_error err = { 0 };
	if (cs->phase == CONTAINER_RUNNING && cs->id[0] && pod_instance_signal(&p->tools, cs->id, sig, &err) < 0)
		cc_debug("pod %s/%s: %s", ps->namespace, ps->name, cc_error_message(&err));
}

/* ---- deletion ---- */

static bool any_running(struct platform_pods *p, struct pod_state *ps)
{
	bool running = false;
	for (size_t i = 0; i < ps->n_containers; i++) {
		refresh(p, ps, &ps->containers[i]);
		running |= ps->containers[i].phase == CONTAINER_RUNNING;
	}
	return running;
}

bool pods_any_running(struct platform_pods *p)
{
	bool running = false;
	for (struct pod_state *ps = p->pods; ps; ps = ps->next)
		running |= any_running(p, ps);
	return running;
}

static void terminate_step(struct platform_pods *p, struct pod_state *ps, const json_t *pod)
{
	int64_t now = cc_time_monotonic_ms();
	if (!ps->sent_term) {
		json_int_t grace =
		    json_integer_value(json_object_get(json_object_get(pod, "metadata"), "deletionGracePeriodSeconds"));
		if (grace > 86400) /* a day at most: the milliseconds must not overflow */
			grace = 86400;
		ps->kill_deadline_ms = now + grace * 1000;
		for (size_t i = 0; i < ps->n_containers; i++)
			if (ps->containers[i].phase == CONTAINER_RUNNING) {
				pods_event(p, ps, ps->containers[i].name, "Normal", "Killing", "Stopping container %s",
					   ps->containers[i].name);
				pods_container_kill(p, ps, &ps->containers[i], grace > 0 ? "TERM" : "KILL");
			}
		ps->sent_term = true;
	}
	if (any_running(p, ps)) {
		if (now >= ps->kill_deadline_ms && !ps->sent_kill) {
			for (size_t i = 0; i < ps->n_containers; i++)
				pods_container_kill(p, ps, &ps->containers[i], "KILL");
			ps->sent_kill = true;
		}
		return;
	}
	/* Everything stopped: unplug, and the pod leaves the store (kubelet's final delete); finalizers
	 * may keep it there, marked, until their owners remove them. */
	if (!ps->torn_down)
		pods_teardown(p, ps);
	ps->torn_down = true;
	struct cc_error err = { 0 };
	/* Only the pod this step saw: one deleted and made again under its name meanwhile stays. */
	int64_t rv = strtoll(meta(pod, "resourceVersion") ?: "0", NULL, 10);
	int r = platform_objects_delete(p->cfg.objects, p->pods_resource, ps->namespace, ps->name, rv, NULL, &err);
	if (r < 0 && r != -ENOENT && r != -ESTALE)
		cc_warning("pod %s/%s: delete: %s", ps->namespace, ps->name, cc_error_message(&err));
}

/* The runtime removes each container's cgroup; the pod's parent (cgroupsPath /cocoon/podUID/NAME)
 * is ours to remove, in every hierarchy (cgroup v1 controllers, the v2 tree). */
static void remove_pod_cgroups(const struct pod_state *ps)
{
	static const char *const roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/*" };
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *pattern = cc_xasprintf("%s/cocoon/pod%s", roots[i], ps->uid);
		glob_t g;
		if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
			continue;
		for (size_t j = 0; j < g.gl_pathc; j++)
			rmdir(g.gl_pathv[j]);
		globfree(&g);
	}
}

void pods_teardown(struct platform_pods *p, struct pod_state *ps)
{
	for (size_t i = 0; i < ps->n_containers; i++)
		pods_container_kill(p, ps, &ps->containers[i], "KILL");
	/* Wait (briefly) for the monitors to record the exits, so the runtime state can go. */
	for (int tries = 0; tries < 50 && any_running(p, ps); tries++)
		usleep(20000);
	for (size_t i = 0; i < ps->n_containers; i++) {
		struct container_state *cs = &ps->containers[i];
		if (cs->id[0]) {
			_cleanup_free_ char *dir = pods_instance_dir(ps, cs->id);
			_cleanup_free_ char *bundle = bundle_dir(p, ps, cs->id);
			pod_instance_remove(&p->tools, cs->id, bundle, dir);
		}
	}
	_cleanup_free_ char *ns_dir = cc_xasprintf("%s/ns", ps->run_dir);
	_cleanup_free_ char *netns = cc_xasprintf("%s/net", ns_dir);
	_cleanup_free_ char *result = cc_xasprintf("%s/cni-result.json", ps->dir);
	struct cc_error err = { 0 };
	if (ps->sandbox_ready || access(result, F_OK) == 0)
		if (platform_cni_del(&p->cni, ps->uid, netns, ps->port_mappings, result, &err) < 0)
			cc_warning("pod %s/%s: %s", ps->namespace, ps->name, cc_error_message(&err));
	pod_sandbox_destroy(ns_dir);
	_cleanup_free_ char *subpaths = cc_xasprintf("%s/subpaths", ps->run_dir);
	pod_volumes_unbind_subpaths(subpaths);
	ps->sandbox_ready = ps->volumes_ready = false;
	remove_pod_cgroups(ps);
	pod_mtls_revoke(p, ps);
	/* The pod's files: memory volumes, encrypted emptyDirs (shredded with the key), the rest. */
	_cleanup_free_ char *memory = cc_xasprintf("%s/%s", p->memory_root, ps->uid);
	_cleanup_free_ char *encrypted = cc_xasprintf("%s/%s", p->pool_dir, ps->uid);
	const char *rm[] = { "rm",        "-rf",   "--one-file-system", memory, encrypted,
			     ps->run_dir, ps->dir, ps->log_dir,         NULL };
	struct cc_process_result res;
	if (cc_process_run(rm, NULL, &res, NULL) == 0)
		cc_process_result_clear(&res);
}

/* ---- one step ---- */

static void write_status(struct platform_pods *p, struct pod_state *ps, const json_t *pod)
{
	json_t *status = pods_status(p, ps, pod);
	const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
	if (json_equal(status, json_object_get(pod, "status")) && node && node[0]) {
		json_decref(status);
		return;
	}
	json_t *copy = json_deep_copy(pod);
	json_object_set_new(copy, "status", status);
	json_object_set_new(json_object_get(copy, "spec"), "nodeName", json_string(p->cfg.node_name));
	int64_t rv = strtoll(meta(pod, "resourceVersion") ?: "0", NULL, 10);
	struct cc_error err = { 0 };
	json_t *stored = NULL;
	int r = platform_objects_update(p->cfg.objects, p->pods_resource, copy, rv, &stored, &err);
	if (r < 0 && r != -ESTALE && r != -ENOENT)
		cc_warning("pod %s/%s: write status: %s", ps->namespace, ps->name, cc_error_message(&err));
	json_decref(stored);
	json_decref(copy);
}

/* Once a minute a running pod's Secret, ConfigMap and projected volumes are written again: changed
 * values reach the containers, and tokens are renewed before they expire. */
#define VOLUME_REFRESH_MS 60000

static void refresh_volumes(struct platform_pods *p, struct pod_state *ps, const json_t *pod)
{
	int64_t now = cc_time_monotonic_ms();
	if (!ps->volumes_ready || now < ps->next_volume_refresh_ms)
		return;
	if (ps->next_volume_refresh_ms) {
		struct cc_error err = { 0 };
		if (prepare_volumes(p, ps, pod, true, &err) < 0)
			pods_event(p, ps, NULL, "Warning", "FailedMount", "refreshing volumes: %s",
				   cc_error_message(&err));
	}
	ps->next_volume_refresh_ms = now + VOLUME_REFRESH_MS;
}

void pods_sync(struct platform_pods *p, struct pod_state *ps, const json_t *pod)
{
	if (!ps->spec_loaded) {
		init_containers(ps, pod);
		ps->spec_loaded = true;
	}
	if (meta(pod, "deletionTimestamp")) {
		terminate_step(p, ps, pod);
		return;
	}
	if (!ps->start_ns)
		ps->start_ns = cc_time_now_ns();
	/* The mTLS guard is in place before any container of a guarded pod runs (mtls_guard.h). */
	if (ensure_sandbox(p, ps, pod) && pods_mtls_guard(p, ps, pod) && step_init(p, ps, pod))
		for (size_t i = ps->n_init; i < ps->n_containers; i++)
			step_container(p, ps, pod, &ps->containers[i]);
	refresh_volumes(p, ps, pod);
	write_status(p, ps, pod);
}
