/* cocoon's confidential policy (see confidential_checks.h). The trust boundary is the pod's TEE:
 * the host (its kernel, disk, network and processes) is outside it and may be hostile. Each check
 * says in one comment why a confidential workload needs it; what it does not check is named in
 * docs/scan.md with the reason (shareProcessNamespace: every container of the pod is inside the
 * same TEE and, with CC-IMAGE-DIGEST, measured). */
#include "scan/confidential_checks.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/json/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct scan_workload_rule rules[] = {
	/* Only the cocoon runtime class starts the pod inside a TEE whose launch is measured; any other
	 * class (or none) runs it as an ordinary container on the host, in the host's plain memory. */
	{ "CC-RUNTIME-CLASS", "Pod not run by cocoon's TEE runtime class", "critical", "confidential", NULL },
	/* Without the confidential profile cocoon-runtime keeps the default capabilities, seccomp filter
	 * and mounts, so a container can reach more of the guest than attestation vouches for. */
	{ "CC-PROFILE", "Confidential runtime profile not selected", "high", "confidential", NULL },
	/* Attestation and the scan name an image by its digest; a tag can be moved to other content
	 * after the image was scanned and the policy approved it. */
	{ "CC-IMAGE-DIGEST", "Image not referenced by digest", "high", "confidential", NULL },
	/* A hostPath volume is the host's filesystem: the host reads what the workload writes there and
	 * changes what it reads. */
	{ "CC-HOST-PATH", "Host path mounted into a confidential pod", "critical", "confidential", NULL },
	/* The host's network, PID and IPC namespaces are the host's: sharing them exposes the workload's
	 * traffic, processes and shared memory to it (and cannot be honoured inside a TEE). */
	{ "CC-HOST-NAMESPACES", "Host namespaces shared with a confidential pod", "critical", "confidential", NULL },
	/* A privileged container can change the guest kernel and devices that attestation measured
	 * (load modules, write /dev/mem, remount), so the evidence no longer describes what runs. */
	{ "CC-PRIVILEGED", "Privileged container in a confidential pod", "critical", "confidential", NULL },
	/* The same for the capabilities that reach the kernel or other processes: SYS_ADMIN (mounts,
	 * namespaces), SYS_MODULE, SYS_RAWIO, SYS_BOOT (kexec another kernel), BPF and PERFMON (kernel
	 * programs and probes), SYS_PTRACE (other processes' memory), MAC_ADMIN (the LSM policy), ALL. */
	{ "CC-KERNEL-CAPABILITIES", "Capability that reaches the guest kernel", "high", "confidential", NULL },
	/* An emptyDir on disk lives on the host's storage, outside the TEE's encrypted memory: cocoon
	 * encrypts the ones run.cocoon.volume.encrypted names with a key released after attestation. */
	{ "CC-UNENCRYPTED-VOLUME", "Volume written to the host's disk in clear", "medium", "confidential", NULL },
};

const struct scan_workload_rule *scan_confidential_rule(size_t i)
{
	return i < CC_ARRAY_SIZE(rules) ? &rules[i] : NULL;
}

#define member(o, key) cc_json_member(o, key) /* absent or null: NULL */

static void add(json_t *out, const char *id, const char *container, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add(json_t *out, const char *id, const char *container, const char *field, const char *fmt, ...)
{
	const struct scan_workload_rule *rule = NULL;
	for (size_t i = 0; i < CC_ARRAY_SIZE(rules) && !rule; i++)
		if (!strcmp(rules[i].id, id))
			rule = &rules[i];
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *message = cc_xvasprintf(fmt, ap);
	va_end(ap);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", rule->id, "title", rule->title, "severity", rule->severity,
			      "category", rule->category);
	if (container)
		json_object_set_new(o, "container", json_string(container));
	json_object_set_new(o, "field", json_string(field));
	json_object_set_new(o, "message", json_string(message));
	json_array_append_new(out, o);
}

static bool hex_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

bool scan_image_by_digest(const char *image)
{
	const char *at = image ? strrchr(image, '@') : NULL;
	if (!at || at == image)
		return false;
	if (!strncmp(at + 1, "sha256:", 7))
		return strlen(at + 8) == 64 && hex_digits(at + 8, 64);
	if (!strncmp(at + 1, "sha512:", 7))
		return strlen(at + 8) == 128 && hex_digits(at + 8, 128);
	return false;
}

static const char *annotation(const json_t *meta, const char *key)
{
	return json_string_value(member(member(meta, "annotations"), key));
}

static void runtime_class(const json_t *spec, json_t *out)
{
	const char *class = json_string_value(member(spec, "runtimeClassName"));
	if (!class || !*class)
		add(out, "CC-RUNTIME-CLASS", NULL, "spec.runtimeClassName",
		    "runtimeClassName is not set, so the pod runs as an ordinary container on the host, outside any "
		    "TEE: set spec.runtimeClassName: " SCAN_CONFIDENTIAL_RUNTIME_CLASS);
	else if (strcmp(class, SCAN_CONFIDENTIAL_RUNTIME_CLASS) != 0)
		add(out, "CC-RUNTIME-CLASS", NULL, "spec.runtimeClassName",
		    "runtimeClassName is `%.100s`: only `" SCAN_CONFIDENTIAL_RUNTIME_CLASS
		    "` runs the pod inside a TEE whose launch is measured and attested",
		    class);
}

static void profile(const json_t *meta, json_t *out)
{
	const char *value = annotation(meta, SCAN_CONFIDENTIAL_PROFILE_ANNOTATION);
	if (value && !strcmp(value, "confidential"))
		return;
	add(out, "CC-PROFILE", NULL, "metadata.annotations[" SCAN_CONFIDENTIAL_PROFILE_ANNOTATION "]",
	    "the pod does not select cocoon-runtime's confidential profile "
	    "(annotation " SCAN_CONFIDENTIAL_PROFILE_ANNOTATION
	    ": confidential%s%.100s%s): its containers keep the default capabilities, seccomp filter and mounts",
	    value ? ", not `" : "", value ? value : "", value ? "`" : "");
}

/* Each container: image by digest, not privileged, no capability that reaches the kernel. */
static void containers(const json_t *spec, json_t *out)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	static const char *const kernel_caps[] = { "ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT",
						   "BPF", "PERFMON",   "SYS_PTRACE", "MAC_ADMIN" };
	for (size_t k = 0; k < CC_ARRAY_SIZE(lists); k++) {
		size_t i;
		const json_t *c;
		json_array_foreach (member(spec, lists[k]), i, c) {
			const char *name = json_string_value(member(c, "name"));
			const char *image = json_string_value(member(c, "image"));
			name = name ? name : "";
			if (image && !scan_image_by_digest(image)) {
				_cleanup_free_ char *field = cc_xasprintf("spec.%s[%zu].image", lists[k], i);
				add(out, "CC-IMAGE-DIGEST", name, field,
				    "container `%.100s` runs image `%.200s` by tag: what is attested and scanned is a "
				    "digest, and a tag can be moved; use NAME@sha256:DIGEST",
				    name, image);
			}
			const json_t *sc = member(c, "securityContext");
			if (json_is_true(member(sc, "privileged"))) {
				_cleanup_free_ char *field =
				    cc_xasprintf("spec.%s[%zu].securityContext.privileged", lists[k], i);
				add(out, "CC-PRIVILEGED", name, field,
				    "container `%.100s` is privileged: it can change the guest kernel and devices that "
				    "attestation measured, so the evidence no longer describes what runs",
				    name);
			}
			_cleanup_buf_ struct cc_buf caps = CC_BUF_INIT;
			size_t n;
			const json_t *cap;
			json_array_foreach (member(member(sc, "capabilities"), "add"), n, cap) {
				const char *word = json_string_value(cap);
				if (!word)
					continue;
				/* Runtimes take both spellings (containerd adds the prefix): so do we. */
				const char *bare = strncasecmp(word, "CAP_", 4) ? word : word + 4;
				for (size_t m = 0; m < CC_ARRAY_SIZE(kernel_caps); m++)
					if (!strcasecmp(bare, kernel_caps[m]))
						cc_buf_appendf(&caps, "%s%.40s", caps.len ? ", " : "", word);
			}
			if (caps.len) {
				_cleanup_free_ char *field =
				    cc_xasprintf("spec.%s[%zu].securityContext.capabilities.add", lists[k], i);
				add(out, "CC-KERNEL-CAPABILITIES", name, field,
				    "container `%.100s` adds %.300s: each reaches the guest kernel or other processes' "
				    "memory beyond what attestation measured",
				    name, caps.data);
			}
		}
	}
}

/* Whether the comma-separated list names name (blanks around names allowed). */
static bool listed(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, ",");
		size_t trimmed = n;
		while (trimmed && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t'))
			trimmed--;
		if (trimmed == len && !strncmp(p, name, len))
			return true;
		p += n;
	}
	return false;
}

static void volumes(const json_t *meta, const json_t *spec, json_t *out)
{
	const char *encrypted = annotation(meta, SCAN_CONFIDENTIAL_ENCRYPTED_VOLUMES);
	size_t i;
	const json_t *v;
	json_array_foreach (member(spec, "volumes"), i, v) {
		const char *name = json_string_value(member(v, "name"));
		name = name ? name : "";
		const json_t *host = member(v, "hostPath");
		if (host) {
			_cleanup_free_ char *field = cc_xasprintf("spec.volumes[%zu].hostPath", i);
			const char *path = json_string_value(member(host, "path"));
			add(out, "CC-HOST-PATH", NULL, field,
			    "volume `%.100s` mounts the host's `%.200s`: the host is outside the trust boundary and "
			    "reads what the workload writes there, and changes what it reads",
			    name, path ? path : "?");
		}
		const json_t *empty = member(v, "emptyDir");
		const char *medium = json_string_value(member(empty, "medium"));
		if (empty && !(medium && !strcmp(medium, "Memory")) && !(encrypted && listed(encrypted, name))) {
			_cleanup_free_ char *field = cc_xasprintf("spec.volumes[%zu].emptyDir", i);
			add(out, "CC-UNENCRYPTED-VOLUME", NULL, field,
			    "emptyDir `%.100s` is written to the host's disk in clear: name it in the "
			    "annotation " SCAN_CONFIDENTIAL_ENCRYPTED_VOLUMES
			    " so cocoon encrypts it with a key released after attestation (or use medium: Memory)",
			    name);
		}
	}
}

static void host_namespaces(const json_t *spec, json_t *out)
{
	static const char *const fields[] = { "hostNetwork", "hostPID", "hostIPC" };
	static const char *const what[] = { "network traffic", "processes", "shared memory and message queues" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(fields); i++)
		if (json_is_true(member(spec, fields[i]))) {
			_cleanup_free_ char *field = cc_xasprintf("spec.%s", fields[i]);
			add(out, "CC-HOST-NAMESPACES", NULL, field,
			    "%s=true shares the host's namespace: the workload's %s would be the host's to see",
			    fields[i], what[i]);
		}
}

void scan_confidential_check(const json_t *pod_metadata, const json_t *pod_spec, json_t *out)
{
	if (!json_is_object(pod_spec))
		return;
	runtime_class(pod_spec, out);
	profile(pod_metadata, out);
	containers(pod_spec, out);
	volumes(pod_metadata, pod_spec, out);
	host_namespaces(pod_spec, out);
}
