/* cocoon describe pod and deployment: kubectl's describePod, describeContainers, describeVolumes,
 * DescribePodTemplate and describeDeployment (k8s.io/kubectl/pkg/describe/describe.go), field for
 * field and in its order. */
#include "describe.h"
#include "lib/base/cleanup.h"
#include "lib/json/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *bool_text(const json_t *v)
{
	return json_is_true(v) ? "True" : "False";
}

static const char *str_or_none(const char *s)
{
	return s && *s ? s : "<none>";
}

static long long integer(const json_t *v)
{
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* An IntOrString (a port, maxSurge) as text. */
static void int_or_string(const json_t *v, char *out, size_t size)
{
	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
	else
		out[0] = '\0';
}

/* ---- containers ---- */

/* "80/TCP, 443/TCP"; host ports the same with hostPort (0 when unset), as describeContainerPorts. */
static char *ports_text(const json_t *ports, const char *field_name)
{
	struct cc_buf out = CC_BUF_INIT;
	cc_buf_append(&out, "", 0);
	size_t i;
	const json_t *p;
	json_array_foreach (ports, i, p) {
		const char *proto = describe_str(p, "protocol", NULL);
		cc_buf_appendf(&out, "%s%lld/%s", i ? ", " : "", integer(json_object_get(p, field_name)),
			       *proto ? proto : "TCP");
	}
	return cc_buf_steal(&out, NULL);
}

static void describe_basic_info(struct tabwriter *w, const json_t *c, const json_t *status, const char *space)
{
	tabwriter_printf(w, LEVEL_1, "%s%s:\n", *space ? " " : "", describe_str(c, "name", NULL));
	if (status)
		tabwriter_printf(w, LEVEL_2, "Container ID:\t%s\n", describe_str(status, "containerID", NULL));
	tabwriter_printf(w, LEVEL_2, "Image:\t%s\n", describe_str(c, "image", NULL));
	if (status)
		tabwriter_printf(w, LEVEL_2, "Image ID:\t%s\n", describe_str(status, "imageID", NULL));
	_cleanup_free_ char *ports = ports_text(json_object_get(c, "ports"), "containerPort");
	_cleanup_free_ char *host = ports_text(json_object_get(c, "ports"), "hostPort");
	tabwriter_printf(w, LEVEL_2, strchr(ports, ',') ? "Ports:\t%s\n" : "Port:\t%s\n", str_or_none(ports));
	tabwriter_printf(w, LEVEL_2, strchr(host, ',') ? "Host Ports:\t%s\n" : "Host Port:\t%s\n", str_or_none(host));
	const char *restart = describe_str(c, "restartPolicy", NULL);
	if (*restart)
		tabwriter_printf(w, LEVEL_2, "Restart Policy:\t%s\n", restart);
}

static void describe_lines(struct tabwriter *w, const char *title, const json_t *list)
{
	if (json_array_size(list) == 0)
		return;
	tabwriter_printf(w, LEVEL_2, "%s:\n", title);
	size_t i;
	const json_t *v;
	json_array_foreach (list, i, v) {
		const char *s = json_string_value(v) ?: "";
		for (;;) {
			const char *nl = strchr(s, '\n');
			tabwriter_printf(w, LEVEL_3, "%.*s\n", nl ? (int)(nl - s) : (int)strlen(s), s);
			if (!nl)
				break;
			s = nl + 1;
		}
	}
}

static void describe_state(struct tabwriter *w, const char *name, const json_t *state)
{
	char t[64];
	const json_t *running = json_object_get(state, "running"), *waiting = json_object_get(state, "waiting");
	const json_t *terminated = json_object_get(state, "terminated");
	if (json_is_object(running)) {
		tabwriter_printf(w, LEVEL_2, "%s:\tRunning\n", name);
		describe_time(describe_str(running, "startedAt", NULL), t, sizeof(t));
		tabwriter_printf(w, LEVEL_3, "Started:\t%s\n", t);
	} else if (json_is_object(terminated)) {
		tabwriter_printf(w, LEVEL_2, "%s:\tTerminated\n", name);
		if (*describe_str(terminated, "reason", NULL))
			tabwriter_printf(w, LEVEL_3, "Reason:\t%s\n", describe_str(terminated, "reason", NULL));
		if (*describe_str(terminated, "message", NULL))
			tabwriter_printf(w, LEVEL_3, "Message:\t%s\n", describe_str(terminated, "message", NULL));
		tabwriter_printf(w, LEVEL_3, "Exit Code:\t%lld\n", integer(json_object_get(terminated, "exitCode")));
		if (integer(json_object_get(terminated, "signal")) > 0)
			tabwriter_printf(w, LEVEL_3, "Signal:\t%lld\n", integer(json_object_get(terminated, "signal")));
		describe_time(describe_str(terminated, "startedAt", NULL), t, sizeof(t));
		tabwriter_printf(w, LEVEL_3, "Started:\t%s\n", t);
		describe_time(describe_str(terminated, "finishedAt", NULL), t, sizeof(t));
		tabwriter_printf(w, LEVEL_3, "Finished:\t%s\n", t);
	} else {
		tabwriter_printf(w, LEVEL_2, "%s:\tWaiting\n", name);
		if (*describe_str(waiting, "reason", NULL))
			tabwriter_printf(w, LEVEL_3, "Reason:\t%s\n", describe_str(waiting, "reason", NULL));
	}
}

static void describe_resources(struct tabwriter *w, const json_t *resources)
{
	static const char *const kinds[] = { "limits", "requests" };
	static const char *const titles[] = { "Limits", "Requests" };
	for (size_t k = 0; k < 2; k++) {
		const json_t *list = json_object_get(resources, kinds[k]);
		if (json_object_size(list) == 0)
			continue;
		tabwriter_printf(w, LEVEL_2, "%s:\n", titles[k]);
		size_t n;
		const char **names = describe_sorted_keys(list, &n); /* SortedResourceNames */
		for (size_t i = 0; i < n; i++) {
			char value[64];
			int_or_string(json_object_get(list, names[i]), value, sizeof(value));
			tabwriter_printf(w, LEVEL_3, "%s:\t%s\n", names[i], value);
		}
		free(names);
	}
}

/* DescribeProbe: "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3". */
static void describe_probe(struct tabwriter *w, const char *title, const json_t *probe)
{
	if (!json_is_object(probe))
		return;
	char attrs[160], port[64];
	snprintf(attrs, sizeof(attrs), "delay=%llds timeout=%llds period=%llds #success=%lld #failure=%lld",
		 integer(json_object_get(probe, "initialDelaySeconds")),
		 integer(json_object_get(probe, "timeoutSeconds")), integer(json_object_get(probe, "periodSeconds")),
		 integer(json_object_get(probe, "successThreshold")),
		 integer(json_object_get(probe, "failureThreshold")));
	const json_t *exec = json_object_get(probe, "exec"), *http = json_object_get(probe, "httpGet");
	const json_t *tcp = json_object_get(probe, "tcpSocket"), *grpc = json_object_get(probe, "grpc");
	if (json_is_object(exec)) {
		/* Go's %v of a []string: [a b c] */
		struct cc_buf cmd = CC_BUF_INIT;
		size_t i;
		const json_t *v;
		cc_buf_append(&cmd, "[", 1);
		json_array_foreach (json_object_get(exec, "command"), i, v)
			cc_buf_appendf(&cmd, "%s%s", i ? " " : "", json_string_value(v) ?: "");
		cc_buf_append(&cmd, "]", 1);
		tabwriter_printf(w, LEVEL_2, "%s:\texec %s %s\n", title, cmd.data, attrs);
		cc_buf_free(&cmd);
	} else if (json_is_object(http)) {
		char scheme[16];
		snprintf(scheme, sizeof(scheme), "%s",
			 *describe_str(http, "scheme", NULL) ? describe_str(http, "scheme", NULL) : "http");
		for (char *c = scheme; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		/* url.URL{Scheme, Host: net.JoinHostPort(host, port), Path}.String() */
		int_or_string(json_object_get(http, "port"), port, sizeof(port));
		const char *host = describe_str(http, "host", NULL), *path = describe_str(http, "path", NULL);
		bool v6 = strchr(host, ':') != NULL;
		_cleanup_free_ char *hostport =
		    *port ? cc_xasprintf("%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port) : cc_xstrdup(host);
		tabwriter_printf(w, LEVEL_2, "%s:\thttp-get %s://%s%s%s %s\n", title, scheme, hostport,
				 *path && *path != '/' && *hostport ? "/" : "", path, attrs);
	} else if (json_is_object(tcp)) {
		int_or_string(json_object_get(tcp, "port"), port, sizeof(port));
		tabwriter_printf(w, LEVEL_2, "%s:\ttcp-socket %s:%s %s\n", title, describe_str(tcp, "host", NULL), port,
				 attrs);
	} else if (json_is_object(grpc)) {
		tabwriter_printf(w, LEVEL_2, "%s:\tgrpc <pod>:%lld %s %s\n", title,
				 integer(json_object_get(grpc, "port")), describe_str(grpc, "service", NULL), attrs);
	} else {
		tabwriter_printf(w, LEVEL_2, "%s:\tunknown %s\n", title, attrs);
	}
}

/* What kubectl's EnvValueRetriever resolves of a fieldRef: client-go's scheme converts only the
 * field labels every object has (DefaultMetaV1FieldSelectorConversion), so metadata.name and
 * metadata.namespace have a value and every other path is shown without one. A template has none. */
static const char *field_ref_value(const json_t *pod, const char *path)
{
	if (pod && strcmp(path, "metadata.name") == 0)
		return describe_str(pod, "metadata", "name", NULL);
	if (pod && strcmp(path, "metadata.namespace") == 0)
		return describe_str(pod, "metadata", "namespace", NULL);
	return "";
}

static void describe_env_from(struct tabwriter *w, const json_t *c)
{
	const json_t *list = json_object_get(c, "envFrom");
	if (json_array_size(list) == 0)
		return;
	tabwriter_printf(w, LEVEL_2, "Environment Variables from:\n");
	size_t i;
	const json_t *e;
	json_array_foreach (list, i, e) {
		const json_t *cm = json_object_get(e, "configMapRef"), *secret = json_object_get(e, "secretRef");
		const json_t *ref = json_is_object(cm) ? cm : secret;
		const char *from = json_is_object(cm) ? "ConfigMap" : json_is_object(secret) ? "Secret" : "";
		const char *optional = json_is_true(json_object_get(ref, "optional")) ? "true" : "false";
		const char *prefix = describe_str(e, "prefix", NULL);
		if (*prefix)
			tabwriter_printf(w, LEVEL_3, "%s\t%s with prefix '%s'\tOptional: %s\n",
					 describe_str(ref, "name", NULL), from, prefix, optional);
		else
			tabwriter_printf(w, LEVEL_3, "%s\t%s\tOptional: %s\n", describe_str(ref, "name", NULL), from,
					 optional);
	}
}

static void describe_env(struct tabwriter *w, const json_t *c, const json_t *pod)
{
	const json_t *list = json_object_get(c, "env");
	tabwriter_printf(w, LEVEL_2, "Environment:%s\n", json_array_size(list) ? "" : "\t<none>");
	size_t i;
	const json_t *e;
	json_array_foreach (list, i, e) {
		const char *name = describe_str(e, "name", NULL);
		const json_t *from = json_object_get(e, "valueFrom");
		if (!json_is_object(from)) {
			const char *s = describe_str(e, "value", NULL);
			for (bool first = true;; first = false) {
				const char *nl = strchr(s, '\n');
				int len = nl ? (int)(nl - s) : (int)strlen(s);
				if (first)
					tabwriter_printf(w, LEVEL_3, "%s:\t%.*s\n", name, len, s);
				else
					tabwriter_printf(w, LEVEL_3, "\t%.*s\n", len, s);
				if (!nl)
					break;
				s = nl + 1;
			}
			continue;
		}
		const json_t *field_ref = json_object_get(from, "fieldRef");
		const json_t *resource = json_object_get(from, "resourceFieldRef");
		const json_t *secret = json_object_get(from, "secretKeyRef"),
			     *cm = json_object_get(from, "configMapKeyRef");
		if (json_is_object(field_ref)) {
			const char *value = field_ref_value(pod, describe_str(field_ref, "fieldPath", NULL));
			tabwriter_printf(w, LEVEL_3, "%s:\t%s (%s:%s)\n", name, value,
					 describe_str(field_ref, "apiVersion", NULL),
					 describe_str(field_ref, "fieldPath", NULL));
		} else if (json_is_object(resource)) {
			tabwriter_printf(w, LEVEL_3, "%s:\t%s (%s)\n", name, "",
					 describe_str(resource, "resource", NULL));
		} else if (json_is_object(secret)) {
			tabwriter_printf(w, LEVEL_3, "%s:\t<set to the key '%s' in secret '%s'>\tOptional: %s\n", name,
					 describe_str(secret, "key", NULL), describe_str(secret, "name", NULL),
					 json_is_true(json_object_get(secret, "optional")) ? "true" : "false");
		} else if (json_is_object(cm)) {
			tabwriter_printf(w, LEVEL_3, "%s:\t<set to the key '%s' of config map '%s'>\tOptional: %s\n",
					 name, describe_str(cm, "key", NULL), describe_str(cm, "name", NULL),
					 json_is_true(json_object_get(cm, "optional")) ? "true" : "false");
		}
	}
}

static int by_mount_path(const void *a, const void *b)
{
	return strcmp(describe_str(*(const json_t *const *)a, "mountPath", NULL),
		      describe_str(*(const json_t *const *)b, "mountPath", NULL));
}

static void describe_mounts(struct tabwriter *w, const json_t *c)
{
	const json_t *list = json_object_get(c, "volumeMounts");
	size_t n = json_array_size(list);
	tabwriter_printf(w, LEVEL_2, "Mounts:%s\n", n ? "" : "\t<none>");
	const json_t **mounts = cc_xcalloc(n + 1, sizeof(*mounts));
	for (size_t i = 0; i < n; i++)
		mounts[i] = json_array_get(list, i);
	qsort(mounts, n, sizeof(*mounts), by_mount_path);
	for (size_t i = 0; i < n; i++) {
		const char *sub = describe_str(mounts[i], "subPath", NULL);
		_cleanup_free_ char *flags =
		    cc_xasprintf("%s%s%s%s", json_is_true(json_object_get(mounts[i], "readOnly")) ? "ro" : "rw",
				 *sub ? ",path=\"" : "", sub, *sub ? "\"" : "");
		tabwriter_printf(w, LEVEL_3, "%s from %s (%s)\n", describe_str(mounts[i], "mountPath", NULL),
				 describe_str(mounts[i], "name", NULL), flags);
	}
	free(mounts);
}

/* describeContainers: space is "" for a pod, "  " inside a pod template. */
static void describe_containers(struct tabwriter *w, const char *label, const json_t *containers,
				const json_t *statuses, const json_t *pod, const char *space)
{
	tabwriter_printf(w, LEVEL_0, "%s%s:\n", space, label);
	size_t i, j;
	const json_t *c, *st;
	json_array_foreach (containers, i, c) {
		const json_t *status = NULL;
		json_array_foreach (statuses, j, st)
			if (strcmp(describe_str(st, "name", NULL), describe_str(c, "name", NULL)) == 0)
				status = st;
		describe_basic_info(w, c, status, space);
		describe_lines(w, "Command", json_object_get(c, "command"));
		describe_lines(w, "Args", json_object_get(c, "args"));
		if (status) {
			describe_state(w, "State", json_object_get(status, "state"));
			if (json_is_object(describe_field(status, "lastState", "terminated", NULL)))
				describe_state(w, "Last State", json_object_get(status, "lastState"));
			tabwriter_printf(w, LEVEL_2, "Ready:\t%s\n", bool_text(json_object_get(status, "ready")));
			tabwriter_printf(w, LEVEL_2, "Restart Count:\t%lld\n",
					 integer(json_object_get(status, "restartCount")));
		}
		describe_resources(w, json_object_get(c, "resources"));
		describe_probe(w, "Liveness", json_object_get(c, "livenessProbe"));
		describe_probe(w, "Readiness", json_object_get(c, "readinessProbe"));
		describe_probe(w, "Startup", json_object_get(c, "startupProbe"));
		describe_env_from(w, c);
		describe_env(w, c, pod);
		describe_mounts(w, c);
	}
}

/* ---- volumes ---- */

/* A *bool as kubectl prints it: <nil> when unset. */
static const char *optional_bool(const json_t *source)
{
	const json_t *v = json_object_get(source, "optional");
	return !json_is_boolean(v) ? "<nil>" : json_is_true(v) ? "true" : "false";
}

/* Each source of a projected volume, as kubectl's describe lists them. */
static void describe_projection(struct tabwriter *w, const json_t *projected)
{
	size_t i;
	const json_t *source, *s;
	json_array_foreach (json_object_get(projected, "sources"), i, source) {
		if (json_is_object(s = json_object_get(source, "secret")))
			tabwriter_printf(w, LEVEL_2, "SecretName:\t%s\n    SecretOptionalName:\t%s\n",
					 describe_str(s, "name", NULL), optional_bool(s));
		else if (json_is_object(json_object_get(source, "downwardAPI")))
			tabwriter_printf(w, LEVEL_2, "DownwardAPI:\ttrue\n");
		else if (json_is_object(s = json_object_get(source, "configMap")))
			tabwriter_printf(w, LEVEL_2, "ConfigMapName:\t%s\n    ConfigMapOptional:\t%s\n",
					 describe_str(s, "name", NULL), optional_bool(s));
		else if (json_is_object(s = json_object_get(source, "serviceAccountToken")))
			tabwriter_printf(w, LEVEL_2, "TokenExpirationSeconds:\t%lld\n",
					 (long long)json_integer_value(json_object_get(s, "expirationSeconds")));
	}
}

static void describe_volume_source(struct tabwriter *w, const json_t *v)
{
	const json_t *s;
	if (json_is_object(s = json_object_get(v, "hostPath"))) {
		tabwriter_printf(w, LEVEL_2,
				 "Type:\tHostPath (bare host directory volume)\n    Path:\t%s\n    HostPathType:\t%s\n",
				 describe_str(s, "path", NULL), str_or_none(describe_str(s, "type", NULL)));
	} else if (json_is_object(s = json_object_get(v, "emptyDir"))) {
		char limit[64];
		int_or_string(json_object_get(s, "sizeLimit"), limit, sizeof(limit));
		tabwriter_printf(
		    w, LEVEL_2,
		    "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t%s\n"
		    "    SizeLimit:\t%s\n",
		    describe_str(s, "medium", NULL), *limit && strcmp(limit, "0") != 0 ? limit : "<unset>");
	} else if (json_is_object(s = json_object_get(v, "secret"))) {
		tabwriter_printf(
		    w, LEVEL_2,
		    "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t%s\n    Optional:\t%s\n",
		    describe_str(s, "secretName", NULL),
		    json_is_true(json_object_get(s, "optional")) ? "true" : "false");
	} else if (json_is_object(s = json_object_get(v, "configMap"))) {
		tabwriter_printf(
		    w, LEVEL_2,
		    "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t%s\n    Optional:\t%s\n",
		    describe_str(s, "name", NULL), json_is_true(json_object_get(s, "optional")) ? "true" : "false");
	} else if (json_is_object(s = json_object_get(v, "persistentVolumeClaim"))) {
		tabwriter_printf(
		    w, LEVEL_2,
		    "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
		    "    ClaimName:\t%s\n    ReadOnly:\t%s\n",
		    describe_str(s, "claimName", NULL),
		    json_is_true(json_object_get(s, "readOnly")) ? "true" : "false");
	} else if (json_is_object(s = json_object_get(v, "projected"))) {
		tabwriter_printf(w, LEVEL_2,
				 "Type:\tProjected (a volume that contains injected data from multiple sources)\n");
		describe_projection(w, s);
	} else if (json_is_object(s = json_object_get(v, "downwardAPI"))) {
		tabwriter_printf(w, LEVEL_2,
				 "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n");
		size_t i;
		const json_t *item;
		json_array_foreach (json_object_get(s, "items"), i, item)
			tabwriter_printf(w, LEVEL_3, "%s -> %s\n", describe_str(item, "fieldRef", "fieldPath", NULL),
					 describe_str(item, "path", NULL));
	} else {
		tabwriter_printf(w, LEVEL_1, "<unknown>\n");
	}
}

static void describe_volumes(struct tabwriter *w, const json_t *volumes, const char *space)
{
	if (json_array_size(volumes) == 0) {
		tabwriter_printf(w, LEVEL_0, "%sVolumes:\t<none>\n", space);
		return;
	}
	tabwriter_printf(w, LEVEL_0, "%sVolumes:\n", space);
	size_t i;
	const json_t *v;
	json_array_foreach (volumes, i, v) {
		tabwriter_printf(w, LEVEL_1, "%s%s:\n", *space ? " " : "", describe_str(v, "name", NULL));
		describe_volume_source(w, v);
	}
}

/* ---- pods ---- */

/* qos.GetPodQOS when the status does not say: BestEffort without requests or limits, Guaranteed
 * when every container limits cpu and memory with requests equal to them, else Burstable. */
static const char *qos_class(const json_t *pod)
{
	const char *said = describe_str(pod, "status", "qosClass", NULL);
	if (*said)
		return said;
	bool any = false, guaranteed = true;
	size_t i;
	const json_t *c;
	json_array_foreach (describe_field(pod, "spec", "containers", NULL), i, c) {
		const json_t *limits = describe_field(c, "resources", "limits", NULL);
		const json_t *requests = describe_field(c, "resources", "requests", NULL);
		any |= json_object_size(limits) > 0 || json_object_size(requests) > 0;
		static const char *const names[] = { "cpu", "memory" };
		for (size_t k = 0; k < 2; k++) {
			const json_t *limit = json_object_get(limits, names[k]),
				     *request = json_object_get(requests, names[k]);
			if (!limit || (request && !json_equal(limit, request)))
				guaranteed = false;
		}
	}
	return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
}

static void describe_status_line(struct tabwriter *w, const json_t *pod)
{
	const char *phase = describe_str(pod, "status", "phase", NULL);
	const char *deleted = describe_str(pod, "metadata", "deletionTimestamp", NULL);
	if (*deleted && strcmp(phase, "Failed") != 0 && strcmp(phase, "Succeeded") != 0) {
		char age[32];
		describe_age(deleted, age, sizeof(age));
		tabwriter_printf(w, LEVEL_0, "Status:\tTerminating (lasts %s)\n", age);
		tabwriter_printf(w, LEVEL_0, "Termination Grace Period:\t%llds\n",
				 integer(describe_field(pod, "metadata", "deletionGracePeriodSeconds", NULL)));
	} else {
		tabwriter_printf(w, LEVEL_0, "Status:\t%s\n", phase);
	}
	if (*describe_str(pod, "status", "reason", NULL))
		tabwriter_printf(w, LEVEL_0, "Reason:\t%s\n", describe_str(pod, "status", "reason", NULL));
	if (*describe_str(pod, "status", "message", NULL))
		tabwriter_printf(w, LEVEL_0, "Message:\t%s\n", describe_str(pod, "status", "message", NULL));
}

void describe_pod(struct tabwriter *w, const json_t *pod, const json_t *events)
{
	const json_t *spec = json_object_get(pod, "spec"), *status = json_object_get(pod, "status");
	char t[64];
	tabwriter_printf(w, LEVEL_0, "Name:\t%s\n", describe_str(pod, "metadata", "name", NULL));
	tabwriter_printf(w, LEVEL_0, "Namespace:\t%s\n", describe_str(pod, "metadata", "namespace", NULL));
	if (json_is_integer(json_object_get(spec, "priority")))
		tabwriter_printf(w, LEVEL_0, "Priority:\t%lld\n", integer(json_object_get(spec, "priority")));
	if (*describe_str(spec, "priorityClassName", NULL))
		tabwriter_printf(w, LEVEL_0, "Priority Class Name:\t%s\n",
				 describe_str(spec, "priorityClassName", NULL));
	if (*describe_str(spec, "runtimeClassName", NULL))
		tabwriter_printf(w, LEVEL_0, "Runtime Class Name:\t%s\n", describe_str(spec, "runtimeClassName", NULL));
	if (*describe_str(spec, "serviceAccountName", NULL))
		tabwriter_printf(w, LEVEL_0, "Service Account:\t%s\n", describe_str(spec, "serviceAccountName", NULL));
	if (*describe_str(spec, "nodeName", NULL))
		tabwriter_printf(w, LEVEL_0, "Node:\t%s/%s\n", describe_str(spec, "nodeName", NULL),
				 describe_str(status, "hostIP", NULL));
	else
		tabwriter_printf(w, LEVEL_0, "Node:\t<none>\n");
	if (*describe_str(status, "startTime", NULL)) {
		describe_time(describe_str(status, "startTime", NULL), t, sizeof(t));
		tabwriter_printf(w, LEVEL_0, "Start Time:\t%s\n", t);
	}
	describe_labels(w, "Labels", describe_field(pod, "metadata", "labels", NULL));
	describe_annotations(w, "Annotations", describe_field(pod, "metadata", "annotations", NULL));
	describe_status_line(w, pod);
	const char *seccomp = describe_str(spec, "securityContext", "seccompProfile", "type", NULL);
	if (*seccomp)
		tabwriter_printf(w, LEVEL_0, "SeccompProfile:\t%s\n", seccomp);
	tabwriter_printf(w, LEVEL_0, "IP:\t%s\n", describe_str(status, "podIP", NULL));
	const json_t *ips = json_object_get(status, "podIPs");
	if (json_array_size(ips) == 0) {
		tabwriter_printf(w, LEVEL_0, "IPs:\t<none>\n");
	} else {
		tabwriter_printf(w, LEVEL_0, "IPs:\n");
		size_t i;
		const json_t *ip;
		json_array_foreach (ips, i, ip)
			tabwriter_printf(w, LEVEL_1, "IP:\t%s\n", describe_str(ip, "ip", NULL));
	}
	_cleanup_free_ char *controller = describe_controller(pod);
	if (controller)
		tabwriter_printf(w, LEVEL_0, "Controlled By:\t%s\n", controller);
	if (*describe_str(status, "nominatedNodeName", NULL))
		tabwriter_printf(w, LEVEL_0, "NominatedNodeName:\t%s\n",
				 describe_str(status, "nominatedNodeName", NULL));
	if (json_array_size(json_object_get(spec, "initContainers")))
		describe_containers(w, "Init Containers", json_object_get(spec, "initContainers"),
				    json_object_get(status, "initContainerStatuses"), pod, "");
	describe_containers(w, "Containers", json_object_get(spec, "containers"),
			    json_object_get(status, "containerStatuses"), pod, "");
	const json_t *conditions = json_object_get(status, "conditions");
	if (json_array_size(conditions)) {
		tabwriter_printf(w, LEVEL_0, "Conditions:\n  Type\tStatus\n");
		size_t i;
		const json_t *c;
		json_array_foreach (conditions, i, c)
			tabwriter_printf(w, LEVEL_1, "%s \t%s \n", describe_str(c, "type", NULL),
					 describe_str(c, "status", NULL));
	}
	describe_volumes(w, json_object_get(spec, "volumes"), "");
	tabwriter_printf(w, LEVEL_0, "QoS Class:\t%s\n", qos_class(pod));
	describe_labels(w, "Node-Selectors", json_object_get(spec, "nodeSelector"));
	describe_tolerations(w, "Tolerations", json_object_get(spec, "tolerations"));
	if (events)
		describe_events(w, events);
}

void describe_pod_template(struct tabwriter *w, const json_t *template)
{
	tabwriter_printf(w, LEVEL_0, "Pod Template:\n");
	if (!json_is_object(template)) {
		tabwriter_printf(w, LEVEL_1, "<unset>");
		return;
	}
	const json_t *spec = json_object_get(template, "spec");
	describe_labels(w, "  Labels", describe_field(template, "metadata", "labels", NULL));
	const json_t *annotations = describe_field(template, "metadata", "annotations", NULL);
	if (json_object_size(annotations))
		describe_annotations(w, "  Annotations", annotations);
	if (*describe_str(spec, "serviceAccountName", NULL))
		tabwriter_printf(w, LEVEL_1, "Service Account:\t%s\n", describe_str(spec, "serviceAccountName", NULL));
	if (json_array_size(json_object_get(spec, "initContainers")))
		describe_containers(w, "Init Containers", json_object_get(spec, "initContainers"), NULL, NULL, "  ");
	describe_containers(w, "Containers", json_object_get(spec, "containers"), NULL, NULL, "  ");
	describe_volumes(w, json_object_get(spec, "volumes"), "  ");
	if (*describe_str(spec, "priorityClassName", NULL))
		tabwriter_printf(w, LEVEL_1, "Priority Class Name:\t%s\n",
				 describe_str(spec, "priorityClassName", NULL));
	describe_labels(w, "  Node-Selectors", json_object_get(spec, "nodeSelector"));
	describe_tolerations(w, "  Tolerations", json_object_get(spec, "tolerations"));
}

/* ---- deployments ---- */

/* The template without the pod-template-hash label the ReplicaSet controller adds. */
static json_t *template_without_hash(const json_t *template)
{
	json_t *copy = json_deep_copy(template);
	json_object_del(describe_field(copy, "metadata", "labels", NULL), "pod-template-hash");
	return copy;
}

static bool owned_by(const json_t *obj, const char *uid)
{
	size_t i;
	const json_t *ref;
	json_array_foreach (describe_field(obj, "metadata", "ownerReferences", NULL), i, ref)
		if (json_is_true(json_object_get(ref, "controller")) &&
		    strcmp(describe_str(ref, "uid", NULL), uid) == 0)
			return true;
	return false;
}

/* printReplicaSetsByLabels: "web-5d4f (2/2 replicas created), ..." or <none>. */
static void replica_sets_line(struct tabwriter *w, const char *title, const json_t *list)
{
	struct cc_buf text = CC_BUF_INIT;
	size_t i;
	const json_t *rs;
	json_array_foreach (list, i, rs)
		cc_buf_appendf(&text, "%s%s (%lld/%lld replicas created)", i ? ", " : "",
			       describe_str(rs, "metadata", "name", NULL),
			       integer(describe_field(rs, "status", "replicas", NULL)),
			       integer(describe_field(rs, "spec", "replicas", NULL)));
	tabwriter_printf(w, LEVEL_0, "%s:\t%s\n", title, text.len ? text.data : "<none>");
	cc_buf_free(&text);
}

/* deploymentutil.GetAllReplicaSets: the new one has the deployment's template; the old ones
 * shown are those that still have replicas. */
static void describe_replica_sets(struct tabwriter *w, const json_t *d, const json_t *replica_sets)
{
	const char *uid = describe_str(d, "metadata", "uid", NULL);
	_cleanup_json_ json_t *want = template_without_hash(describe_field(d, "spec", "template", NULL));
	_cleanup_json_ json_t *old = json_array(), *new_rs = json_array();
	size_t i;
	const json_t *rs;
	json_array_foreach (json_object_get(replica_sets, "items"), i, rs) {
		if (!owned_by(rs, uid))
			continue;
		_cleanup_json_ json_t *have = template_without_hash(describe_field(rs, "spec", "template", NULL));
		if (json_array_size(new_rs) == 0 && json_equal(have, want))
			json_array_append(new_rs, (json_t *)rs);
		else if (integer(describe_field(rs, "spec", "replicas", NULL)) > 0)
			json_array_append(old, (json_t *)rs);
	}
	replica_sets_line(w, "OldReplicaSets", old);
	replica_sets_line(w, "NewReplicaSet", new_rs);
}

void describe_deployment(struct tabwriter *w, const json_t *d, const json_t *replica_sets, const json_t *events)
{
	const json_t *spec = json_object_get(d, "spec"), *status = json_object_get(d, "status");
	char t[64];
	tabwriter_printf(w, LEVEL_0, "Name:\t%s\n", describe_str(d, "metadata", "name", NULL));
	tabwriter_printf(w, LEVEL_0, "Namespace:\t%s\n", describe_str(d, "metadata", "namespace", NULL));
	describe_time(describe_str(d, "metadata", "creationTimestamp", NULL), t, sizeof(t));
	tabwriter_printf(w, LEVEL_0, "CreationTimestamp:\t%s\n", t);
	describe_labels(w, "Labels", describe_field(d, "metadata", "labels", NULL));
	describe_annotations(w, "Annotations", describe_field(d, "metadata", "annotations", NULL));
	_cleanup_free_ char *selector = describe_selector(json_object_get(spec, "selector"));
	tabwriter_printf(w, LEVEL_0, "Selector:\t%s\n", selector);
	const json_t *replicas = json_object_get(spec, "replicas");
	tabwriter_printf(
	    w, LEVEL_0, "Replicas:\t%lld desired | %lld updated | %lld total | %lld available | %lld unavailable\n",
	    json_is_integer(replicas) ? integer(replicas) : 1, integer(json_object_get(status, "updatedReplicas")),
	    integer(json_object_get(status, "replicas")), integer(json_object_get(status, "availableReplicas")),
	    integer(json_object_get(status, "unavailableReplicas")));
	tabwriter_printf(w, LEVEL_0, "StrategyType:\t%s\n", describe_str(spec, "strategy", "type", NULL));
	tabwriter_printf(w, LEVEL_0, "MinReadySeconds:\t%lld\n", integer(json_object_get(spec, "minReadySeconds")));
	const json_t *rolling = describe_field(spec, "strategy", "rollingUpdate", NULL);
	if (json_is_object(rolling)) {
		char unavailable[32], surge[32];
		int_or_string(json_object_get(rolling, "maxUnavailable"), unavailable, sizeof(unavailable));
		int_or_string(json_object_get(rolling, "maxSurge"), surge, sizeof(surge));
		tabwriter_printf(w, LEVEL_0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n", unavailable,
				 surge);
	}
	describe_pod_template(w, json_object_get(spec, "template"));
	const json_t *conditions = json_object_get(status, "conditions");
	if (json_array_size(conditions)) {
		tabwriter_printf(w, LEVEL_0, "Conditions:\n  Type\tStatus\tReason\n");
		tabwriter_printf(w, LEVEL_1, "----\t------\t------\n");
		size_t i;
		const json_t *c;
		json_array_foreach (conditions, i, c)
			tabwriter_printf(w, LEVEL_1, "%s \t%s\t%s\n", describe_str(c, "type", NULL),
					 describe_str(c, "status", NULL), describe_str(c, "reason", NULL));
	}
	if (replica_sets)
		describe_replica_sets(w, d, replica_sets);
	if (events)
		describe_events(w, events);
}
