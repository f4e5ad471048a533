/* The pod runner's side of the mTLS guard (see mtls_guard.h, pods_mtls_guard()): one call per pass
 * and pod, after the sandbox is up and before init and app containers are stepped.
 *
 * What was last done is kept in RUN/pods/UID/mtls-guard, next to the pinned namespaces it belongs
 * to: "netns INODE\n" and the ruleset applied, or "refused\n" and why the pod cannot be guarded.
 * The inode ties the record to one network namespace, so a sandbox made again (a failed CNI ADD
 * undone, then retried) is never taken as guarded. A pass whose wanted record equals the file does
 * nothing; the runner passes every second, so a change of the pod's or namespace's annotations is
 * applied within about a second. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/json/json.h"
#include "platform/mtls_guard.h"
#include "platform/objects.h"
#include "platform/pods_internal.h"
#include "platform/resources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_MAX (64 * 1024)

/* The record on disk, or NULL when there is none. */
static char *read_record(const char *path)
{
	char *data = NULL;
	size_t len;
	if (access(path, F_OK) < 0 || cc_read_file(path, RECORD_MAX, &data, &len, NULL) < 0)
		return NULL;
	return data;
}

/* The gateway host-local gave the pod (the bridge's address), from the CNI result the sandbox kept. */
static int pod_gateway(const struct pod_state *ps, char *out, size_t size, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/cni-result.json", ps->dir);
	_cleanup_json_ json_t *result = NULL;
	int r = cc_json_load_file(path, CC_JSON_MAX_SIZE, &result, err);
	if (r < 0)
		return r;
	const json_t *ip = json_array_get(json_object_get(result, "ips"), 0);
	const char *gateway = json_string_value(json_object_get(ip, "gateway"));
	if (!gateway)
		return cc_error_set(err, EIO, "the pod's CNI result `%s` names no gateway", path);
	snprintf(out, size, "%s", gateway);
	return 0;
}

static bool any_started(const struct pod_state *ps)
{
	for (size_t i = 0; i < ps->n_containers; i++)
		if (ps->containers[i].instances > 0)
			return true;
	return false;
}

/* A pod of a required namespace that cannot be guarded: its containers do not start (fail closed).
 * One that already runs (the namespace became required after it started) is not stopped here; the
 * Warning says what to do. Each reason is told once. */
static bool refuse(struct platform_pods *p, struct pod_state *ps, const char *path, const char *old,
		   const char *message)
{
	_cleanup_free_ char *record = cc_xasprintf("refused\n%s", message);
	if (!old || strcmp(old, record) != 0) {
		pods_event(p, ps, NULL, "Warning", "FailedMTLSGuard",
			   "the namespace requires mutual TLS and the pod cannot be guarded: %s%s", message,
			   any_started(ps) ? " (its containers were already running: delete the pod)" : "");
		cc_write_file_atomic(path, record, strlen(record), 0600, NULL);
	}
	return any_started(ps);
}

/* The wanted record for a guarded pod ("netns INODE\nRULESET"), or a refusal's message. */
static int wanted_record(struct platform_pods *p, struct pod_state *ps, const json_t *pod, ino_t netns, char **ret,
			 struct cc_error *err)
{
	struct platform_mtls_ports ports;
	int r = platform_mtls_pod_check(pod, &ports, err);
	char gateway[64];
	if (r == 0)
		r = pod_gateway(ps, gateway, sizeof(gateway), err);
	if (r < 0)
		return r;
	_cleanup_free_ char *text =
	    platform_mtls_guard_ruleset(&ports, p->cni.subnet ? p->cni.subnet : "10.244.0.0/16", gateway);
	if (!text)
		return cc_error_set(err, EINVAL, "the pod subnet or the gateway `%s` is not an IPv4 address", gateway);
	*ret = cc_xasprintf("netns %llu\n%s", (unsigned long long)netns, text);
	return 0;
}

bool pods_mtls_guard(struct platform_pods *p, struct pod_state *ps, const json_t *pod)
{
	enum platform_mtls_mode mode = MTLS_OFF;
	struct cc_error err = { 0 };
	if (platform_mtls_namespace_mode(p->cfg.objects, ps->namespace, &mode, &err) < 0) {
		cc_warning("pod %s/%s: mTLS guard: read namespace: %s", ps->namespace, ps->name,
			   cc_error_message(&err));
		return any_started(ps); /* not knowing the mode, start nothing new */
	}
	_cleanup_free_ char *path = cc_xasprintf("%s/mtls-guard", ps->run_dir);
	_cleanup_free_ char *netns_path = cc_xasprintf("%s/ns/net", ps->run_dir);
	_cleanup_free_ char *old = read_record(path);
	struct stat st;
	if (stat(netns_path, &st) < 0) {
		cc_warning("pod %s/%s: mTLS guard: `%s`: %s", ps->namespace, ps->name, netns_path, strerror(errno));
		return any_started(ps);
	}
	if (mode != MTLS_REQUIRED) {
		if (!old)
			return true; /* never guarded: untouched */
		/* The table goes with the namespace it was written in: only the same one is entered. */
		_cleanup_free_ char *prefix = cc_xasprintf("netns %llu\n", (unsigned long long)st.st_ino);
		if (strncmp(old, prefix, strlen(prefix)) == 0 &&
		    platform_mtls_guard_apply(netns_path, platform_mtls_guard_removal(), &err) < 0) {
			pods_event(p, ps, NULL, "Warning", "FailedMTLSGuard", "removing the mTLS guard: %s",
				   cc_error_message(&err));
			return true; /* the pod stays guarded, more closed than asked; the next pass retries */
		}
		unlink(path);
		return true;
	}
	_cleanup_free_ char *record = NULL;
	if (wanted_record(p, ps, pod, st.st_ino, &record, &err) < 0)
		return refuse(p, ps, path, old, cc_error_message(&err));
	if (old && strcmp(old, record) == 0)
		return true;
	const char *text = strchr(record, '\n') + 1;
	if (platform_mtls_guard_apply(netns_path, text, &err) < 0) {
		unlink(path); /* what is in force is not known: the next pass applies again */
		pods_event(p, ps, NULL, "Warning", "FailedMTLSGuard", "applying the mTLS guard: %s",
			   cc_error_message(&err));
		return any_started(ps);
	}
	if (cc_write_file_atomic(path, record, strlen(record), 0600, &err) < 0)
		cc_warning("pod %s/%s: mTLS guard: %s", ps->namespace, ps->name, cc_error_message(&err));
	return true;
}
