/* The pod runner's loop, its registry of pods, and their persistence (see pods.h).
 *
 * One thread runs the node's pods: on every change of a pod (the store's observer wakes it) and
 * at least once a second (container exits, probes, back-off), it lists the pods of this node and
 * brings each one a step towards its spec (pod_sync.c), then writes the status if it changed. The
 * registry's lock is held for one pod's step at a time, so exec and log requests that look up a
 * container wait at most for one step. What the runner knows of a pod is saved to
 * DATA/pods/UID/state.json after each step, which is how a restarted cocoond re-adopts it. */
#include "platform/pods.h"

#include "image/store.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/process.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "platform/host_address.h"
#include "platform/mtls_observe.h"
#include "platform/objects.h"
#include "platform/pod_pull.h"
#include "platform/pod_sandbox.h"
#include "platform/pods_internal.h"
#include "platform/resources.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define TMPFS_MAGIC 0x01021994

/* ---- helper programs: next to cocoond (a build directory, an install), else PATH ---- */

static void locate(const char *given, const char *name, char *out, size_t size)
{
	if (given)
		snprintf(out, size, "%s", given);
	else if (!cc_sibling_executable(name, out, size))
		snprintf(out, size, "%s", name);
}

/* The node's address pods see as status.hostIP: the first IPv4 address of an interface that is up,
 * not the loopback and not one of the pods' own devices (the bridge, veths). */
/* ---- persistence ---- */

void pods_save(const struct pod_state *ps)
{
	json_t *containers = json_array();
	for (size_t i = 0; i < ps->n_containers; i++) {
		const struct container_state *cs = &ps->containers[i];
		json_t *c =
		    json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:I}", "name", cs->name, "id", cs->id, "restartCount",
			      cs->restart_count, "instances", cs->instances, "imageID", cs->image_id, "imageDigest",
			      cs->image_digest, "startedNs", (json_int_t)cs->started_ns);
		if (cs->last_terminated)
			json_object_set(c, "lastTerminated", cs->last_terminated);
		json_array_append_new(containers, c);
	}
	json_t *state = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:o}", "uid", ps->uid, "namespace", ps->namespace,
				  "name", ps->name, "ip", ps->ip, "sandbox", ps->sandbox_ready, "startNs",
				  (json_int_t)ps->start_ns, "containers", containers);
	/* The hostPort rules CNI DEL must remove, even after a restart of cocoond. */
	if (ps->port_mappings)
		json_object_set(state, "portMappings", ps->port_mappings);
	_cleanup_free_ char *text = json_dumps(state, JSON_COMPACT);
	json_decref(state);
	_cleanup_free_ char *path = cc_xasprintf("%s/state.json", ps->dir);
	struct cc_error err = { 0 };
	if (cc_write_file_atomic(path, text, strlen(text), 0600, &err) < 0)
		cc_warning("pod %s/%s: save state: %s", ps->namespace, ps->name, cc_error_message(&err));
}

static struct pod_state *pod_new(struct platform_pods *p, const char *uid, const char *ns, const char *name)
{
	struct pod_state *ps = cc_xcalloc(1, sizeof(*ps));
	snprintf(ps->uid, sizeof(ps->uid), "%s", uid);
	snprintf(ps->namespace, sizeof(ps->namespace), "%s", ns);
	snprintf(ps->name, sizeof(ps->name), "%s", name);
	snprintf(ps->dir, sizeof(ps->dir), "%s/pods/%s", p->cfg.data_dir, uid);
	snprintf(ps->run_dir, sizeof(ps->run_dir), "%s/pods/%s", p->cfg.run_dir, uid);
	snprintf(ps->log_dir, sizeof(ps->log_dir), "%s/pods/%s_%s_%s", p->cfg.log_dir, ns, name, uid);
	ps->next = p->pods;
	p->pods = ps;
	return ps;
}

static void restore_containers(struct pod_state *ps, const json_t *list)
{
	ps->n_containers = json_array_size(list);
	ps->containers = cc_xcalloc(ps->n_containers ? ps->n_containers : 1, sizeof(*ps->containers));
	size_t i;
	const json_t *c;
	json_array_foreach (list, i, c) {
		struct container_state *cs = &ps->containers[i];
		snprintf(cs->name, sizeof(cs->name), "%s", json_string_value(json_object_get(c, "name")) ?: "");
		snprintf(cs->id, sizeof(cs->id), "%s", json_string_value(json_object_get(c, "id")) ?: "");
		snprintf(cs->image_id, sizeof(cs->image_id), "%s",
			 json_string_value(json_object_get(c, "imageID")) ?: "");
		snprintf(cs->image_digest, sizeof(cs->image_digest), "%s",
			 json_string_value(json_object_get(c, "imageDigest")) ?: "");
		cs->restart_count = (int)json_integer_value(json_object_get(c, "restartCount"));
		cs->instances = (int)json_integer_value(json_object_get(c, "instances"));
		cs->started_ns = json_integer_value(json_object_get(c, "startedNs"));
		json_t *last = json_object_get(c, "lastTerminated");
		cs->last_terminated = last ? json_incref(last) : NULL;
		/* Running or exited: the next pass reads the instance's records. */
		cs->phase = cs->id[0] ? CONTAINER_RUNNING : CONTAINER_WAITING;
	}
}

/* Pods a previous cocoond left: their sandboxes and containers are adopted as they are. */
static void restore(struct platform_pods *p)
{
	_cleanup_free_ char *root = cc_xasprintf("%s/pods", p->cfg.data_dir);
	DIR *d = opendir(root);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *path = cc_xasprintf("%s/%s/state.json", root, e->d_name);
		json_t *state = NULL;
		struct cc_error err = { 0 };
		if (cc_json_load_file(path, CC_JSON_MAX_SIZE, &state, &err) < 0)
			continue;
		struct pod_state *ps = pod_new(p, json_string_value(json_object_get(state, "uid")) ?: e->d_name,
					       json_string_value(json_object_get(state, "namespace")) ?: "",
					       json_string_value(json_object_get(state, "name")) ?: "");
		snprintf(ps->ip, sizeof(ps->ip), "%s", json_string_value(json_object_get(state, "ip")) ?: "");
		_cleanup_free_ char *ns_dir = cc_xasprintf("%s/ns", ps->run_dir);
		ps->sandbox_ready = json_is_true(json_object_get(state, "sandbox")) && pod_sandbox_pinned(ns_dir);
		ps->start_ns = json_integer_value(json_object_get(state, "startNs"));
		json_t *mappings = json_object_get(state, "portMappings");
		ps->port_mappings = json_is_array(mappings) ? json_incref(mappings) : NULL;
		restore_containers(ps, json_object_get(state, "containers"));
		cc_info("pods: re-adopting pod %s/%s (%s)", ps->namespace, ps->name, ps->uid);
		json_decref(state);
	}
	closedir(d);
}

static void pod_free(struct pod_state *ps)
{
	for (size_t i = 0; i < ps->n_containers; i++)
		json_decref(ps->containers[i].last_terminated);
	free(ps->containers);
	json_decref(ps->volumes);
	json_decref(ps->port_mappings);
	free(ps);
}

/* ---- the loop ---- */

static bool on_this_node(const struct platform_pods *p, const json_t *pod)
{
	const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
	return !node || !node[0] || strcmp(node, p->cfg.node_name) == 0;
}

static struct pod_state *find_uid(struct platform_pods *p, const char *uid)
{
	for (struct pod_state *ps = p->pods; ps; ps = ps->next)
		if (strcmp(ps->uid, uid) == 0)
			return ps;
	return NULL;
}

static void pass(struct platform_pods *p)
{
	struct platform_list_options o = { 0 };
	json_t *items = NULL;
	int64_t rv;
	char *next = NULL;
	struct cc_error err = { 0 };
	if (platform_objects_list(p->cfg.objects, p->pods_resource, &o, &items, &rv, &next, &err) < 0) {
		cc_warning("pods: list: %s", cc_error_message(&err));
		return;
	}
	free(next);
	_cleanup_json_ json_t *verdicts = pods_schedule(p, items);
	pthread_mutex_lock(&p->lock);
	for (struct pod_state *ps = p->pods; ps; ps = ps->next)
		ps->seen = false;
	pthread_mutex_unlock(&p->lock);
	size_t i;
	json_t *pod;
	json_array_foreach (items, i, pod) {
		const json_t *meta = json_object_get(pod, "metadata");
		const char *uid = json_string_value(json_object_get(meta, "uid"));
		if (!uid || !on_this_node(p, pod) || !pods_admit(p, pod, verdicts))
			continue;
		pthread_mutex_lock(&p->lock);
		struct pod_state *ps = find_uid(p, uid);
		if (!ps)
			ps = pod_new(p, uid, json_string_value(json_object_get(meta, "namespace")) ?: "",
				     json_string_value(json_object_get(meta, "name")) ?: "");
		ps->seen = true;
		pods_sync(p, ps, pod);
		pthread_mutex_unlock(&p->lock);
		if (__atomic_load_n(&p->stopping, __ATOMIC_RELAXED))
			break;
	}
	json_decref(items);
	if (__atomic_load_n(&p->stopping, __ATOMIC_RELAXED))
		return; /* the pass was cut short: unseen is not gone */
	/* Pods gone from the store (deleted with grace 0, or while cocoond was down). */
	pthread_mutex_lock(&p->lock);
	for (struct pod_state **link = &p->pods; *link;) {
		struct pod_state *ps = *link;
		if (ps->seen) {
			link = &ps->next;
			continue;
		}
		pods_teardown(p, ps);
		*link = ps->next;
		pod_free(ps);
	}
	pthread_mutex_unlock(&p->lock);
}

static void *pods_main(void *arg)
{
	struct platform_pods *p = arg;
	for (;;) {
		pass(p);
		__atomic_store_n(&p->last_pass_ms, cc_time_monotonic_ms(), __ATOMIC_RELAXED);
		pthread_mutex_lock(&p->wake_lock);
		if (!p->wake && !p->stopping) {
			struct timespec deadline;
			cc_time_monotonic_deadline(1000, &deadline);
			pthread_cond_timedwait(&p->cond, &p->wake_lock, &deadline);
		}
		p->wake = false;
		bool stop = p->stopping;
		pthread_mutex_unlock(&p->wake_lock);
		if (stop)
			return NULL;
	}
}

/* The store's observer: a pod changed, look now. Under the store's lock: no store calls here. */
static void observe(void *ctx, const struct platform_resource *r, const char *type, const json_t *obj)
{
	struct platform_pods *p = ctx;
	(void)type, (void)obj;
	if (r != p->pods_resource && strcmp(r->resource, "secrets") != 0 && strcmp(r->resource, "configmaps") != 0)
		return;
	pthread_mutex_lock(&p->wake_lock);
	p->wake = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->wake_lock);
}

/* ---- the node's filesystems for pods ---- */

/* Secret and ConfigMap files live on a tmpfs of the runner's own. */
static int mount_memory(struct platform_pods *p, struct cc_error *err)
{
	snprintf(p->memory_root, sizeof(p->memory_root), "%s/memory", p->cfg.run_dir);
	int r = cc_mkdir_p(p->memory_root, 0700, err);
	if (r < 0)
		return r;
	struct statfs fs;
	if (statfs(p->memory_root, &fs) == 0 && fs.f_type == TMPFS_MAGIC && cc_is_mountpoint(p->memory_root))
		return 0;
	if (mount("tmpfs", p->memory_root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=256m") < 0)
		return cc_error_set_errno(err, errno, "mount a tmpfs for secret volumes at `%s`", p->memory_root);
	return 0;
}

static bool holds_attachment(const char *id, void *ctx)
{
	struct platform_pods *p = ctx;
	for (struct pod_state *ps = p->pods; ps; ps = ps->next)
		if (strcmp(ps->uid, id) == 0)
			return true;
	return false;
}

/* After the re-adoption: the hostPort and masquerade rules of pods this node no longer has (it
 * crashed, or its data went) would take the host's ports, so they go before any pod starts. */
static void collect_network_garbage(struct platform_pods *p)
{
	unsigned removed = 0;
	struct cc_error err = { 0 };
	if (platform_cni_collect_garbage(&p->cni, holds_attachment, p, &removed, &err) < 0)
		cc_warning("pods: %s", cc_error_message(&err));
	else if (removed)
		cc_info("pods: removed the hostPort and masquerade rules of %u pods that are gone", removed);
}

int platform_pods_start(const struct platform_pods_config *cfg, struct platform_pods **ret, struct cc_error *err)
{
	struct platform_pods *p = cc_xcalloc(1, sizeof(*p));
	p->cfg = *cfg;
	locate(cfg->runtime, "cocoon-runtime", p->runtime, sizeof(p->runtime));
	locate(cfg->shim, "cocoon-shim", p->shim, sizeof(p->shim));
	snprintf(p->runtime_root, sizeof(p->runtime_root), "%s/runtime", cfg->run_dir);
	snprintf(p->cni_state, sizeof(p->cni_state), "%s/cni", cfg->data_dir);
	snprintf(p->pool_dir, sizeof(p->pool_dir), "%s/encrypted", cfg->run_dir);
	p->tools =
	    (struct pod_runtime_tools){ .runtime = p->runtime, .runtime_root = p->runtime_root, .shim = p->shim };
	p->cni = (struct platform_cni_config){ .plugin_dir = cfg->cni_plugin_dir,
					       .bridge = cfg->bridge,
					       .subnet = cfg->pod_subnet,
					       .state_dir = p->cni_state };
	platform_host_address(cfg->bridge ? cfg->bridge : "cocoon0", p->host_ip, sizeof(p->host_ip));
	if (cfg->agent) {
		p->agent = *cfg->agent;
		snprintf(p->measurement_log, sizeof(p->measurement_log), "%s/measurements.jsonl", p->runtime_root);
		p->agent.measurement_log = p->measurement_log;
		p->have_agent = true;
	}
	p->mtls_material = json_object();
	p->pods_resource = platform_resource_find("", "v1", "pods");
	p->events_resource = platform_resource_find("", "v1", "events");
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->wake_lock, NULL);
	cc_cond_init_monotonic(&p->cond);
	_cleanup_free_ char *pods_dir = cc_xasprintf("%s/pods", cfg->data_dir);
	_cleanup_free_ char *images =
	    cfg->image_root ? cc_xstrdup(cfg->image_root) : cc_xasprintf("%s/images", cfg->data_dir);
	int r = platform_cni_check(&p->cni, err);
	if (r == 0)
		r = cc_mkdir_p(pods_dir, 0700, err);
	if (r == 0)
		r = cc_mkdir_p(cfg->log_dir, 0750, err);
	if (r == 0)
		r = cc_mkdir_p(p->runtime_root, 0700, err);
	if (r == 0)
		r = mount_memory(p, err);
	if (r == 0)
		r = image_store_open(images, NULL, &p->images, err);
	if (r < 0) {
		platform_pods_stop(p);
		return r;
	}
	restore(p);
	collect_network_garbage(p);
	platform_objects_observe(cfg->objects, observe, p);
	int e = cc_thread_start_worker(&p->thread, pods_main, p);
	if (e != 0) {
		platform_pods_stop(p);
		return cc_error_set_errno(err, e, "start the pod runner's thread");
	}
	p->started = true;
	/* Without a key broker no pod holds a certificate: nothing to probe or observe. */
	r = p->have_agent ? pods_mtls_observe_start(p, err) : 0;
	if (r < 0) {
		platform_pods_stop(p);
		return r;
	}
	*ret = p;
	return 0;
}

static void stop_thread(struct platform_pods *p)
{
	pods_mtls_observe_stop(p); /* it reads the registry: before anything of it goes */
	platform_objects_unobserve(p->cfg.objects, observe, p);
	if (!p->started)
		return;
	pthread_mutex_lock(&p->wake_lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->wake_lock);
	pthread_join(p->thread, NULL);
	p->started = false;
}

void platform_pods_stop(struct platform_pods *p)
{
	if (!p)
		return;
	stop_thread(p);
	for (struct pod_state *ps = p->pods, *next; ps; ps = next) {
		next = ps->next;
		pod_free(ps);
	}
	pod_puller_free(p->puller);
	image_store_free(p->images);
	json_decref(p->mtls_material);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->wake_lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

void platform_pods_stop_all(struct platform_pods *p)
{
	if (!p)
		return;
	stop_thread(p);
	/* As a node shutting down: SIGTERM first, up to 10 s for the containers to end, then the rest. */
	for (struct pod_state *ps = p->pods; ps; ps = ps->next)
		for (size_t i = 0; i < ps->n_containers; i++)
			pods_container_kill(p, ps, &ps->containers[i], "TERM");
	for (int tries = 0; tries < 100 && pods_any_running(p); tries++)
		usleep(100000);
	for (struct pod_state *ps = p->pods; ps; ps = ps->next)
		pods_teardown(p, ps);
	if (cc_is_mountpoint(p->memory_root))
		umount2(p->memory_root, MNT_DETACH);
	if (cc_is_mountpoint(p->pool_dir))
		umount2(p->pool_dir, MNT_DETACH);
	/* The bridge the CNI plugin made for the pods (their addresses went with each DEL). */
	const char *bridge = p->cfg.bridge ? p->cfg.bridge : "cocoon0";
	const char *ip[] = { "ip", "link", "delete", bridge, "type", "bridge", NULL };
	struct cc_process_result res;
	if (cc_process_run(ip, NULL, &res, NULL) == 0)
		cc_process_result_clear(&res);
	platform_pods_stop(p);
}

const json_t *pods_container_spec(const json_t *pod, const struct container_state *cs)
{
	const json_t *spec = json_object_get(pod, "spec");
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(spec, cs->init ? "initContainers" : "containers"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")) ?: "", cs->name) == 0)
			return c;
	return NULL;
}

int platform_pods_container(struct platform_pods *p, const char *namespace, const char *pod, const char *container,
			    struct platform_container_ref *ret, struct cc_error *err)
{
	memset(ret, 0, sizeof(*ret));
	pthread_mutex_lock(&p->lock);
	struct pod_state *ps = p->pods;
	while (ps && (strcmp(ps->namespace, namespace) != 0 || strcmp(ps->name, pod) != 0))
		ps = ps->next;
	int r = 0;
	struct container_state *cs = NULL;
	if (!ps) {
		r = cc_error_set(err, ESRCH, "pod %s has no containers on this node", pod);
	} else {
		for (size_t i = 0; i < ps->n_containers && !cs; i++)
			if ((!container || !container[0]) ? !ps->containers[i].init
							  : strcmp(ps->containers[i].name, container) == 0)
				cs = &ps->containers[i];
		if (!cs)
			r = cc_error_set(err, ENOENT, "container %s is not valid for pod %s", container, pod);
		else if (!cs->id[0])
			r = cc_error_set(err, ENOENT, "container \"%s\" in pod \"%s\" is waiting to start: %s",
					 cs->name, pod, cs->reason[0] ? cs->reason : "ContainerCreating");
	}
	if (r == 0) {
		snprintf(ret->id, sizeof(ret->id), "%s", cs->id);
		snprintf(ret->runtime, sizeof(ret->runtime), "%s", p->runtime);
		snprintf(ret->runtime_root, sizeof(ret->runtime_root), "%s", p->runtime_root);
		snprintf(ret->log_path, sizeof(ret->log_path), "%s/%s/%d.log", ps->log_dir, cs->name,
			 cs->instances - 1);
		if (cs->instances > 1)
			snprintf(ret->previous_log, sizeof(ret->previous_log), "%s/%s/%d.log", ps->log_dir, cs->name,
				 cs->instances - 2);
		snprintf(ret->exit_file, sizeof(ret->exit_file), "%s/%s/containers/%s/exit.json", p->memory_root,
			 ps->uid, cs->id);
		snprintf(ret->stdin_fifo, sizeof(ret->stdin_fifo), "%s/%s/containers/%s/stdin", p->memory_root, ps->uid,
			 cs->id);
		if (access(ret->stdin_fifo, F_OK) < 0)
			ret->stdin_fifo[0] = '\0';
		snprintf(ret->shim, sizeof(ret->shim), "%s", p->shim);
		ret->running = cs->phase == CONTAINER_RUNNING;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

int platform_pods_netns(struct platform_pods *p, const char *namespace, const char *pod, char *ret, size_t size,
			struct cc_error *err)
{
	pthread_mutex_lock(&p->lock);
	struct pod_state *ps = p->pods;
	while (ps && (strcmp(ps->namespace, namespace) != 0 || strcmp(ps->name, pod) != 0))
		ps = ps->next;
	int r = 0;
	if (!ps)
		r = cc_error_set(err, ESRCH, "pod %s has no sandbox on this node", pod);
	else if (!ps->sandbox_ready)
		r = cc_error_set(err, ENOENT, "pod %s: its sandbox is not ready yet", pod);
	else
		snprintf(ret, size, "%s/ns/net", ps->run_dir);
	pthread_mutex_unlock(&p->lock);
	return r;
}

int64_t platform_pods_last_pass_ms(struct platform_pods *p)
{
	return __atomic_load_n(&p->last_pass_ms, __ATOMIC_RELAXED);
}
