/* The Pod Security Standards' checks (see pod_security.h). Each check below is one of the
 * PodSecurity admission library's (k8s.io/pod-security-admission/policy/check_<id>.go): its id,
 * what it reads, what it allows, and its reason and detail in the same words, plurals, quoting and
 * order, so that what cocoon prints reads as kube-apiserver's refusal. The facts are those of the
 * checks' newest versions up to Kubernetes v1.34 ("latest" there); the code is written for cocoon's
 * JSON trees, not translated from Go.
 *
 * What a JSON tree can say that a Go struct cannot: a field of the wrong type (a Go decoder would
 * refuse the object before any check runs) reads as absent, except where absence would pass a
 * check that a strange value should fail: a profile type that is not a string is "". */
#include "scan/pod_security.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = { "privileged", "baseline", "restricted" };

int scan_pss_level_parse(const char *name, enum scan_pss_level *ret)
{
	for (size_t i = 0; i < CC_ARRAY_SIZE(level_names); i++)
		if (name && strcmp(name, level_names[i]) == 0) {
			*ret = (enum scan_pss_level)i;
			return 0;
		}
	return -EINVAL;
}

const char *scan_pss_level_name(enum scan_pss_level level)
{
	return level < SCAN_PSS_LEVEL_MAX ? level_names[level] : "invalid";
}

/* ---- reading the pod ---- */

struct pss_container {
	const json_t *c;
	const json_t *sc; /* its securityContext, or NULL */
	const char *name;
	char path[64]; /* "spec.initContainers[3]" */
};

struct pss_pod {
	const json_t *annotations;
	const json_t *spec;
	const json_t *sc; /* spec.securityContext, or NULL */
	struct pss_container *containers;
	size_t n;
	bool windows; /* spec.os.name windows: some restricted checks exempt it from 1.25 on */
};

/* A member of an object; NULL when o is not an object, the member is absent or null. */
#define member(o, key) cc_json_member(o, key) /* absent or null: NULL */

static const json_t *object_member(const json_t *o, const char *key)
{
	const json_t *v = member(o, key);
	return json_is_object(v) ? v : NULL;
}

static const char *string_or_empty(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

/* The containers in the order the library visits them: init containers, containers, ephemeral
 * containers (policy/visitor.go). */
static void pod_open(struct pss_pod *pod, const json_t *meta, const json_t *spec)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	memset(pod, 0, sizeof(*pod));
	pod->annotations = object_member(meta, "annotations");
	pod->spec = spec;
	pod->sc = object_member(spec, "securityContext");
	pod->windows = !strcmp(string_or_empty(member(object_member(spec, "os"), "name")), "windows");
	size_t total = 0;
	for (size_t k = 0; k < CC_ARRAY_SIZE(lists); k++)
		total += json_array_size(member(spec, lists[k]));
	pod->containers = cc_xcalloc(total ? total : 1, sizeof(pod->containers[0]));
	for (size_t k = 0; k < CC_ARRAY_SIZE(lists); k++) {
		size_t i;
		const json_t *c;
		json_array_foreach (member(spec, lists[k]), i, c) {
			struct pss_container *pc = &pod->containers[pod->n++];
			pc->c = c;
			pc->sc = object_member(c, "securityContext");
			pc->name = string_or_empty(member(c, "name"));
			snprintf(pc->path, sizeof(pc->path), "spec.%s[%zu]", lists[k], i);
		}
	}
}

static void pod_close(struct pss_pod *pod)
{
	free(pod->containers);
}

/* ---- what a check found ---- */

struct pss_finding {
	const char *reason; /* NULL: the pod passes */
	struct cc_buf detail;
	bool *hit;      /* per container: concerned */
	json_t *fields; /* offending field paths */
};

static void field_add(struct pss_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void field_add(struct pss_finding *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *path = cc_xvasprintf(fmt, ap);
	va_end(ap);
	json_array_append_new(f->fields, json_string(path));
	free(path);
}

/* A list of containers, by index in pod order, as the library's badContainers slices are. */
struct pss_names {
	bool *in;
	size_t count;
};

static void names_init(struct pss_names *n, const struct pss_pod *pod)
{
	n->in = cc_xcalloc(pod->n ? pod->n : 1, sizeof(bool));
	n->count = 0;
}

static void names_add(struct pss_names *n, size_t i)
{
	if (!n->in[i]) {
		n->in[i] = true;
		n->count++;
	}
}

/* The containers of n are among those the finding concerns. */
static void names_hit(struct pss_finding *f, const struct pss_names *n, const struct pss_pod *pod)
{
	for (size_t i = 0; i < pod->n; i++)
		f->hit[i] |= n->in[i];
}

static void names_free(struct pss_names *n)
{
	free(n->in);
}

/* `"a", "b"`: the library's joinQuote (no escaping). */
static void join_quote(struct cc_buf *b, const char *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cc_buf_appendf(b, "%s\"%s\"", i ? ", " : "", items[i]);
}

/* `container "a"` or `containers "a", "b"`. */
static void names_phrase(struct cc_buf *b, const struct pss_names *n, const struct pss_pod *pod)
{
	cc_buf_append_str(b, n->count == 1 ? "container " : "containers ");
	size_t k = 0;
	for (size_t i = 0; i < pod->n; i++)
		if (n->in[i])
			cc_buf_appendf(b, "%s\"%s\"", k++ ? ", " : "", pod->containers[i].name);
}

/* A sorted set of strings (sets.NewString(...).List(): byte order, no duplicates). */
struct pss_set {
	char **items;
	size_t n, cap;
};

static void set_add(struct pss_set *s, const char *item)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->items = cc_xrealloc(s->items, s->cap * sizeof(s->items[0]));
	}
	s->items[s->n++] = cc_xstrdup(item);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_sort(struct pss_set *s)
{
	if (s->n)
		qsort(s->items, s->n, sizeof(s->items[0]), compare_strings);
	size_t out = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (out && strcmp(s->items[out - 1], s->items[i]) == 0) {
			free(s->items[i]);
			continue;
		}
		s->items[out++] = s->items[i];
	}
	s->n = out;
}

static void set_free(struct pss_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Go's %q of a string (strconv.Quote) for what a JSON string may hold: escapes for quotes,
 * backslashes and control characters; UTF-8 kept as it is. */
static void go_quote(struct cc_buf *b, const char *s)
{
	cc_buf_append_str(b, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		static const char escapes[] = "\a\b\f\n\r\t\v";
		static const char letters[] = "abfnrtv";
		const char *e = *p ? strchr(escapes, *p) : NULL;
		if (*p == '"' || *p == '\\')
			cc_buf_appendf(b, "\\%c", *p);
		else if (e)
			cc_buf_appendf(b, "\\%c", letters[e - escapes]);
		else if (*p < 0x20 || *p == 0x7f)
			cc_buf_appendf(b, "\\x%02x", *p);
		else
			cc_buf_append(b, p, 1);
	}
	cc_buf_append_str(b, "\"");
}

/* The setters of a bad value, joined with " and ": "pod", `containers "a", "b"`, "annotation". */
static void setters_phrase(struct cc_buf *b, bool pod_set, const struct pss_names *n, const struct pss_pod *pod,
			   const char *last)
{
	size_t k = 0;
	if (pod_set)
		cc_buf_appendf(b, "%spod", k++ ? " and " : "");
	if (n && n->count) {
		cc_buf_append_str(b, k++ ? " and " : "");
		names_phrase(b, n, pod);
	}
	if (last)
		cc_buf_appendf(b, "%s%s", k++ ? " and " : "", last);
}

/* ---- baseline ---- */

/* check_appArmorProfile.go: the appArmorProfile fields (RuntimeDefault, Localhost) and the beta
 * annotations container.apparmor.security.beta.kubernetes.io/NAME (runtime/default, localhost/PROFILE, ""). */
#define APPARMOR_ANNOTATION_PREFIX "container.apparmor.security.beta.kubernetes.io/"

static bool apparmor_type_allowed(const char *type)
{
	return !strcmp(type, "RuntimeDefault") || !strcmp(type, "Localhost");
}

static bool apparmor_annotation_allowed(const char *value)
{
	return !*value || !strcmp(value, "runtime/default") || !strncmp(value, "localhost/", 10);
}

static void check_apparmor(const struct pss_pod *pod, struct pss_finding *f)
{
	struct pss_set types = { 0 }, annotations = { 0 };
	struct pss_names bad;
	names_init(&bad, pod);
	bool pod_bad = false;
	const json_t *profile = member(pod->sc, "appArmorProfile");
	const char *type = string_or_empty(member(profile, "type"));
	if (profile && !apparmor_type_allowed(type)) {
		pod_bad = true;
		set_add(&types, type);
		field_add(f, "spec.securityContext.appArmorProfile.type");
	}
	for (size_t i = 0; i < pod->n; i++) {
		profile = member(pod->containers[i].sc, "appArmorProfile");
		type = string_or_empty(member(profile, "type"));
		if (profile && !apparmor_type_allowed(type)) {
			names_add(&bad, i);
			set_add(&types, type);
			field_add(f, "%s.securityContext.appArmorProfile.type", pod->containers[i].path);
		}
	}
	const char *key;
	const json_t *value;
	json_object_foreach ((json_t *)pod->annotations, key, value) {
		if (strncmp(key, APPARMOR_ANNOTATION_PREFIX, strlen(APPARMOR_ANNOTATION_PREFIX)) != 0 ||
		    !json_is_string(value) || apparmor_annotation_allowed(json_string_value(value)))
			continue;
		_cleanup_buf_ struct cc_buf entry = CC_BUF_INIT;
		cc_buf_appendf(&entry, "%s=", key);
		go_quote(&entry, json_string_value(value));
		set_add(&annotations, entry.data);
		field_add(f, "metadata.annotations[%s]", key);
	}
	set_sort(&types);
	set_sort(&annotations);
	if (pod_bad || bad.count || annotations.n) {
		f->reason =
		    plural(types.n + annotations.n, "forbidden AppArmor profile", "forbidden AppArmor profiles");
		names_hit(f, &bad, pod);
		setters_phrase(&f->detail, pod_bad, &bad, pod,
			       annotations.n ? plural(annotations.n, "annotation", "annotations") : NULL);
		cc_buf_append_str(&f->detail, " must not set AppArmor profile type to ");
		join_quote(&f->detail, (const char *const *)types.items, types.n);
		cc_buf_append_str(&f->detail, types.n && annotations.n ? ", " : "");
		join_quote(&f->detail, (const char *const *)annotations.items, annotations.n);
	}
	set_free(&types);
	set_free(&annotations);
	names_free(&bad);
}

/* check_capabilities_baseline.go: capabilities.add only from the container runtimes' default set,
 * compared exactly as written (no CAP_ prefix, no case folding). */
static void check_capabilities_baseline(const struct pss_pod *pod, struct pss_finding *f)
{
	static const char *const allowed[] = { "AUDIT_WRITE", "CHOWN",  "DAC_OVERRIDE",     "FOWNER",  "FSETID",
					       "KILL",        "MKNOD",  "NET_BIND_SERVICE", "SETFCAP", "SETGID",
					       "SETPCAP",     "SETUID", "SYS_CHROOT" };
	struct pss_set caps = { 0 };
	struct pss_names bad;
	names_init(&bad, pod);
	for (size_t i = 0; i < pod->n; i++) {
		size_t k;
		const json_t *cap;
		json_array_foreach (member(object_member(pod->containers[i].sc, "capabilities"), "add"), k, cap) {
			const char *name = string_or_empty(cap);
			bool ok = false;
			for (size_t a = 0; a < CC_ARRAY_SIZE(allowed) && !ok; a++)
				ok = !strcmp(name, allowed[a]);
			if (ok)
				continue;
			set_add(&caps, name);
			if (!bad.in[i])
				field_add(f, "%s.securityContext.capabilities.add", pod->containers[i].path);
			names_add(&bad, i);
		}
	}
	set_sort(&caps);
	if (bad.count) {
		f->reason = "non-default capabilities";
		names_hit(f, &bad, pod);
		names_phrase(&f->detail, &bad, pod);
		cc_buf_append_str(&f->detail, " must not include ");
		join_quote(&f->detail, (const char *const *)caps.items, caps.n);
		cc_buf_append_str(&f->detail, " in securityContext.capabilities.add");
	}
	set_free(&caps);
	names_free(&bad);
}

/* check_hostNamespaces.go: hostNetwork, hostPID, hostIPC. */
static void check_host_namespaces(const struct pss_pod *pod, struct pss_finding *f)
{
	static const char *const fields[] = { "hostNetwork", "hostPID", "hostIPC" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(fields); i++) {
		if (!json_is_true(member(pod->spec, fields[i])))
			continue;
		cc_buf_appendf(&f->detail, "%s%s=true", f->reason ? ", " : "", fields[i]);
		f->reason = "host namespaces";
		field_add(f, "spec.%s", fields[i]);
	}
}

/* check_hostPathVolumes.go. */
static void check_host_path_volumes(const struct pss_pod *pod, struct pss_finding *f)
{
	struct pss_set names = { 0 }; /* kept in order: not sorted */
	size_t i;
	const json_t *v;
	json_array_foreach (member(pod->spec, "volumes"), i, v) {
		if (!member(v, "hostPath"))
			continue;
		set_add(&names, string_or_empty(member(v, "name")));
		field_add(f, "spec.volumes[%zu].hostPath", i);
	}
	if (names.n) {
		f->reason = "hostPath volumes";
		cc_buf_appendf(&f->detail, "%s ", plural(names.n, "volume", "volumes"));
		join_quote(&f->detail, (const char *const *)names.items, names.n);
	}
	set_free(&names);
}

/* check_hostPorts.go: any hostPort but 0; the ports listed as sorted strings. */
static void check_host_ports(const struct pss_pod *pod, struct pss_finding *f)
{
	struct pss_set ports = { 0 };
	struct pss_names bad;
	names_init(&bad, pod);
	for (size_t i = 0; i < pod->n; i++) {
		size_t k;
		const json_t *port;
		json_array_foreach (member(pod->containers[i].c, "ports"), k, port) {
			const json_t *host = member(port, "hostPort");
			if (!json_is_integer(host) || json_integer_value(host) == 0)
				continue;
			char text[32];
			snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(host));
			set_add(&ports, text);
			names_add(&bad, i);
			field_add(f, "%s.ports[%zu].hostPort", pod->containers[i].path, k);
		}
	}
	set_sort(&ports);
	if (bad.count) {
		f->reason = "hostPort";
		names_hit(f, &bad, pod);
		names_phrase(&f->detail, &bad, pod);
		cc_buf_appendf(&f->detail, " %s %s ", plural(bad.count, "uses", "use"),
			       plural(ports.n, "hostPort", "hostPorts"));
		for (size_t p = 0; p < ports.n; p++)
			cc_buf_appendf(&f->detail, "%s%s", p ? ", " : "", ports.items[p]);
	}
	set_free(&ports);
	names_free(&bad);
}

/* check_hostProbesAndhostLifecycle.go (1.34): no host in probes and lifecycle handlers, which
 * would make the kubelet connect wherever the pod says. Containers and hosts as sorted sets. */
static void check_probe_hosts(const struct pss_pod *pod, struct pss_finding *f)
{
	static const char *const handlers[] = { "livenessProbe", "readinessProbe", "startupProbe",
						"lifecycle.postStart", "lifecycle.preStop" };
	static const char *const actions[] = { "httpGet", "tcpSocket" };
	struct pss_set names = { 0 }, hosts = { 0 };
	for (size_t i = 0; i < pod->n; i++) {
		const struct pss_container *c = &pod->containers[i];
		for (size_t h = 0; h < CC_ARRAY_SIZE(handlers); h++) {
			const char *dot = strchr(handlers[h], '.');
			const json_t *handler =
			    dot ? member(object_member(c->c, "lifecycle"), dot + 1) : member(c->c, handlers[h]);
			for (size_t a = 0; a < CC_ARRAY_SIZE(actions); a++) {
				const char *host = string_or_empty(member(object_member(handler, actions[a]), "host"));
				if (!*host)
					continue;
				set_add(&names, c->name);
				set_add(&hosts, host);
				f->hit[i] = true;
				field_add(f, "%s.%s.%s.host", c->path, handlers[h], actions[a]);
			}
		}
	}
	set_sort(&names);
	set_sort(&hosts);
	if (names.n) {
		f->reason = "probe or lifecycle host";
		cc_buf_appendf(&f->detail, "%s ", plural(names.n, "container", "containers"));
		join_quote(&f->detail, (const char *const *)names.items, names.n);
		cc_buf_appendf(&f->detail, " %s %s ", plural(names.n, "uses", "use"),
			       plural(hosts.n, "probe or lifecycle host", "probe or lifecycle hosts"));
		join_quote(&f->detail, (const char *const *)hosts.items, hosts.n);
	}
	set_free(&names);
	set_free(&hosts);
}

/* check_privileged.go. */
static void check_privileged(const struct pss_pod *pod, struct pss_finding *f)
{
	struct pss_names bad;
	names_init(&bad, pod);
	for (size_t i = 0; i < pod->n; i++)
		if (json_is_true(member(pod->containers[i].sc, "privileged"))) {
			names_add(&bad, i);
			field_add(f, "%s.securityContext.privileged", pod->containers[i].path);
		}
	if (bad.count) {
		f->reason = "privileged";
		names_hit(f, &bad, pod);
		names_phrase(&f->detail, &bad, pod);
		cc_buf_append_str(&f->detail, " must not set securityContext.privileged=true");
	}
	names_free(&bad);
}

/* check_procMount.go: only the default /proc masks. */
static void check_proc_mount(const struct pss_pod *pod, struct pss_finding *f)
{
	struct pss_set types = { 0 };
	struct pss_names bad;
	names_init(&bad, pod);
	for (size_t i = 0; i < pod->n; i++) {
		const json_t *proc = member(pod->containers[i].sc, "procMount");
		if (!proc || !strcmp(string_or_empty(proc), "Default"))
			continue;
		names_add(&bad, i);
		set_add(&types, string_or_empty(proc));
		field_add(f, "%s.securityContext.procMount", pod->containers[i].path);
	}
	set_sort(&types);
	if (bad.count) {
		f->reason = "procMount";
		names_hit(f, &bad, pod);
		names_phrase(&f->detail, &bad, pod);
		cc_buf_append_str(&f->detail, " must not set securityContext.procMount to ");
		join_quote(&f->detail, (const char *const *)types.items, types.n);
	}
	set_free(&types);
	names_free(&bad);
}

/* check_seLinuxOptions.go: the type from the container policies' set (container_engine_t since
 * 1.31), no user, no role. */
struct selinux_state {
	struct pss_set types;
	bool user, role;
};

static bool selinux_valid(const json_t *opts, struct selinux_state *st)
{
	static const char *const types[] = { "", "container_t", "container_init_t", "container_kvm_t",
					     "container_engine_t" };
	const char *type = string_or_empty(member(opts, "type"));
	bool type_ok = false;
	for (size_t i = 0; i < CC_ARRAY_SIZE(types) && !type_ok; i++)
		type_ok = !strcmp(type, types[i]);
	if (!type_ok)
		set_add(&st->types, type);
	bool user = *string_or_empty(member(opts, "user")), role = *string_or_empty(member(opts, "role"));
	st->user |= user;
	st->role |= role;
	return type_ok && !user && !role;
}

static void check_selinux(const struct pss_pod *pod, struct pss_finding *f)
{
	struct selinux_state st = { 0 };
	struct pss_names bad;
	names_init(&bad, pod);
	const json_t *opts = object_member(pod->sc, "seLinuxOptions");
	bool pod_bad = opts && !selinux_valid(opts, &st);
	if (pod_bad)
		field_add(f, "spec.securityContext.seLinuxOptions");
	for (size_t i = 0; i < pod->n; i++) {
		opts = object_member(pod->containers[i].sc, "seLinuxOptions");
		if (opts && !selinux_valid(opts, &st)) {
			names_add(&bad, i);
			field_add(f, "%s.securityContext.seLinuxOptions", pod->containers[i].path);
		}
	}
	set_sort(&st.types);
	if (pod_bad || bad.count) {
		f->reason = "seLinuxOptions";
		names_hit(f, &bad, pod);
		setters_phrase(&f->detail, pod_bad, &bad, pod, NULL);
		cc_buf_append_str(&f->detail, " set forbidden securityContext.seLinuxOptions: ");
		const char *sep = "";
		if (st.types.n) {
			cc_buf_appendf(&f->detail, "%s ", plural(st.types.n, "type", "types"));
			join_quote(&f->detail, (const char *const *)st.types.items, st.types.n);
			sep = "; ";
		}
		if (st.user) {
			cc_buf_appendf(&f->detail, "%suser may not be set", sep);
			sep = "; ";
		}
		if (st.role)
			cc_buf_appendf(&f->detail, "%srole may not be set", sep);
	}
	set_free(&st.types);
	names_free(&bad);
}

/* The seccomp profile type of the pod (container NULL) or of a container, and the field that set
 * it; false when none is set. Besides the fields: kube-apiserver copies the deprecated annotations
 * (seccomp.security.alpha.kubernetes.io/pod, container.seccomp.security.alpha.kubernetes.io/NAME)
 * into unset fields when it creates a pod, so an annotation asking for "unconfined" is judged as
 * the field Unconfined. An annotation naming an allowed profile never stands in for the field:
 * cocoond runs a container with the field's profile only, so it would run unconfined. */
static bool seccomp_type(const struct pss_pod *pod, const struct pss_container *c, const char **ret_type,
			 char **ret_field)
{
	const json_t *profile = member(c ? c->sc : pod->sc, "seccompProfile");
	if (profile) {
		*ret_type = string_or_empty(member(profile, "type"));
		*ret_field = c ? cc_xasprintf("%s.securityContext.seccompProfile.type", c->path)
			       : cc_xstrdup("spec.securityContext.seccompProfile.type");
		return true;
	}
	_cleanup_free_ char *key = c ? cc_xasprintf("container.seccomp.security.alpha.kubernetes.io/%s", c->name)
				     : cc_xstrdup("seccomp.security.alpha.kubernetes.io/pod");
	if (strcmp(string_or_empty(member(pod->annotations, key)), "unconfined") != 0)
		return false;
	*ret_type = "Unconfined";
	*ret_field = cc_xasprintf("metadata.annotations[%s]", key);
	return true;
}

static bool seccomp_allowed(const char *type)
{
	return !strcmp(type, "RuntimeDefault") || !strcmp(type, "Localhost");
}

/* The explicit part of both seccomp checks: the pod or containers that set a type other than
 * RuntimeDefault or Localhost. implicit (the restricted check's) gets the containers that set none
 * and do not inherit an allowed one from the pod. */
static void seccomp_explicit(const struct pss_pod *pod, struct pss_finding *f, struct pss_names *implicit)
{
	struct pss_set types = { 0 };
	struct pss_names bad;
	names_init(&bad, pod);
	const char *type;
	char *field;
	bool pod_bad = false, pod_set = false;
	if (seccomp_type(pod, NULL, &type, &field)) {
		pod_set = seccomp_allowed(type);
		if (!pod_set) {
			pod_bad = true;
			set_add(&types, type);
			json_array_append_new(f->fields, json_string(field));
		}
		free(field);
	}
	for (size_t i = 0; i < pod->n; i++) {
		if (!seccomp_type(pod, &pod->containers[i], &type, &field)) {
			if (implicit && !pod_set)
				names_add(implicit, i);
			continue;
		}
		if (!seccomp_allowed(type)) {
			names_add(&bad, i);
			set_add(&types, type);
			json_array_append_new(f->fields, json_string(field));
		}
		free(field);
	}
	set_sort(&types);
	if (pod_bad || bad.count) {
		f->reason = "seccompProfile";
		names_hit(f, &bad, pod);
		setters_phrase(&f->detail, pod_bad, &bad, pod, NULL);
		cc_buf_append_str(&f->detail, " must not set securityContext.seccompProfile.type to ");
		join_quote(&f->detail, (const char *const *)types.items, types.n);
	}
	set_free(&types);
	names_free(&bad);
}

/* check_seccompProfile_baseline.go (1.19): if set, RuntimeDefault or Localhost. */
static void check_seccomp_baseline(const struct pss_pod *pod, struct pss_finding *f)
{
	seccomp_explicit(pod, f, NULL);
}

/* check_sysctls.go (1.32): the safe set; the names listed as found, unquoted. */
static void check_sysctls(const struct pss_pod *pod, struct pss_finding *f)
{
	static const char *const safe[] = {
		"kernel.shm_rmid_forced",
		"net.ipv4.ip_local_port_range",
		"net.ipv4.tcp_syncookies",
		"net.ipv4.ping_group_range",
		"net.ipv4.ip_unprivileged_port_start",
		"net.ipv4.ip_local_reserved_ports", /* 1.27 */
		"net.ipv4.tcp_keepalive_time",      /* 1.29 */
		"net.ipv4.tcp_fin_timeout",         /* 1.29 */
		"net.ipv4.tcp_keepalive_intvl",     /* 1.29 */
		"net.ipv4.tcp_keepalive_probes",    /* 1.29 */
		"net.ipv4.tcp_rmem",                /* 1.32 */
		"net.ipv4.tcp_wmem",                /* 1.32 */
	};
	size_t i;
	const json_t *sysctl;
	json_array_foreach (member(pod->sc, "sysctls"), i, sysctl) {
		const char *name = string_or_empty(member(sysctl, "name"));
		bool ok = false;
		for (size_t k = 0; k < CC_ARRAY_SIZE(safe) && !ok; k++)
			ok = !strcmp(name, safe[k]);
		if (ok)
			continue;
		cc_buf_appendf(&f->detail, "%s%s", f->reason ? ", " : "", name);
		f->reason = "forbidden sysctls";
		field_add(f, "spec.securityContext.sysctls[%zu].name", i);
	}
}

/* check_windowsHostProcess.go. */
static void check_host_process(const struct pss_pod *pod, struct pss_finding *f)
{
	struct pss_names bad;
	names_init(&bad, pod);
	bool pod_bad = json_is_true(member(object_member(pod->sc, "windowsOptions"), "hostProcess"));
	if (pod_bad)
		field_add(f, "spec.securityContext.windowsOptions.hostProcess");
	for (size_t i = 0; i < pod->n; i++)
		if (json_is_true(member(object_member(pod->containers[i].sc, "windowsOptions"), "hostProcess"))) {
			names_add(&bad, i);
			field_add(f, "%s.securityContext.windowsOptions.hostProcess", pod->containers[i].path);
		}
	if (pod_bad || bad.count) {
		f->reason = "hostProcess";
		names_hit(f, &bad, pod);
		setters_phrase(&f->detail, pod_bad, &bad, pod, NULL);
		cc_buf_append_str(&f->detail, " must not set securityContext.windowsOptions.hostProcess=true");
	}
	names_free(&bad);
}

/* ---- restricted ---- */

/* check_allowPrivilegeEscalation.go (1.25): false on every container; Windows pods exempt. */
static void check_privilege_escalation(const struct pss_pod *pod, struct pss_finding *f)
{
	if (pod->windows)
		return;
	struct pss_names bad;
	names_init(&bad, pod);
	for (size_t i = 0; i < pod->n; i++)
		if (!json_is_false(member(pod->containers[i].sc, "allowPrivilegeEscalation"))) {
			names_add(&bad, i);
			field_add(f, "%s.securityContext.allowPrivilegeEscalation", pod->containers[i].path);
		}
	if (bad.count) {
		f->reason = "allowPrivilegeEscalation != false";
		names_hit(f, &bad, pod);
		names_phrase(&f->detail, &bad, pod);
		cc_buf_append_str(&f->detail, " must set securityContext.allowPrivilegeEscalation=false");
	}
	names_free(&bad);
}

/* check_capabilities_restricted.go (1.25): drop "ALL", add at most "NET_BIND_SERVICE"; Windows
 * pods exempt. Overrides capabilities_baseline. */
static void check_capabilities_restricted(const struct pss_pod *pod, struct pss_finding *f)
{
	if (pod->windows)
		return;
	struct pss_set caps = { 0 };
	struct pss_names no_drop, adding;
	names_init(&no_drop, pod);
	names_init(&adding, pod);
	for (size_t i = 0; i < pod->n; i++) {
		const json_t *capabilities = object_member(pod->containers[i].sc, "capabilities");
		bool drops_all = false;
		size_t k;
		const json_t *cap;
		json_array_foreach (member(capabilities, "drop"), k, cap)
			drops_all |= !strcmp(string_or_empty(cap), "ALL");
		if (!drops_all) {
			names_add(&no_drop, i);
			field_add(f, "%s.securityContext.capabilities.drop", pod->containers[i].path);
		}
		bool added = false;
		json_array_foreach (member(capabilities, "add"), k, cap) {
			if (!strcmp(string_or_empty(cap), "NET_BIND_SERVICE"))
				continue;
			set_add(&caps, string_or_empty(cap));
			added = true;
		}
		if (added) {
			names_add(&adding, i);
			field_add(f, "%s.securityContext.capabilities.add", pod->containers[i].path);
		}
	}
	set_sort(&caps);
	if (no_drop.count || adding.count)
		f->reason = "unrestricted capabilities";
	names_hit(f, &no_drop, pod);
	names_hit(f, &adding, pod);
	if (no_drop.count) {
		names_phrase(&f->detail, &no_drop, pod);
		cc_buf_append_str(&f->detail, " must set securityContext.capabilities.drop=[\"ALL\"]");
	}
	if (adding.count) {
		cc_buf_append_str(&f->detail, no_drop.count ? "; " : "");
		names_phrase(&f->detail, &adding, pod);
		cc_buf_append_str(&f->detail, " must not include ");
		join_quote(&f->detail, (const char *const *)caps.items, caps.n);
		cc_buf_append_str(&f->detail, " in securityContext.capabilities.add");
	}
	set_free(&caps);
	names_free(&no_drop);
	names_free(&adding);
}

/* check_restrictedVolumes.go: only the volume sources that need no host access (image since
 * 1.33); each other one named by the library's word, "unknown" for a source it does not know.
 * Overrides hostPathVolumes. */
static void check_restricted_volumes(const struct pss_pod *pod, struct pss_finding *f)
{
	static const char *const allowed[] = { "configMap", "csi",   "downwardAPI",           "emptyDir",
					       "ephemeral", "image", "persistentVolumeClaim", "projected",
					       "secret" };
	static const char *const restricted[] = {
		"hostPath",
		"gcePersistentDisk",
		"awsElasticBlockStore",
		"gitRepo",
		"nfs",
		"iscsi",
		"glusterfs",
		"rbd",
		"flexVolume",
		"cinder",
		"cephfs",
		"flocker",
		"fc",
		"azureFile",
		"vsphereVolume",
		"quobyte",
		"azureDisk",
		"photonPersistentDisk",
		"portworxVolume",
		"scaleIO",
		"storageos",
	};
	struct pss_set names = { 0 }, types = { 0 }; /* names in order, types sorted */
	size_t i;
	const json_t *v;
	json_array_foreach (member(pod->spec, "volumes"), i, v) {
		bool ok = false;
		for (size_t k = 0; k < CC_ARRAY_SIZE(allowed) && !ok; k++)
			ok = member(v, allowed[k]) != NULL;
		if (ok)
			continue;
		const char *type = "unknown";
		for (size_t k = 0; k < CC_ARRAY_SIZE(restricted); k++)
			if (member(v, restricted[k])) {
				type = restricted[k];
				break;
			}
		set_add(&names, string_or_empty(member(v, "name")));
		set_add(&types, type);
		field_add(f, "spec.volumes[%zu]%s%s", i, strcmp(type, "unknown") ? "." : "",
			  strcmp(type, "unknown") ? type : "");
	}
	set_sort(&types);
	if (names.n) {
		f->reason = "restricted volume types";
		cc_buf_appendf(&f->detail, "%s ", plural(names.n, "volume", "volumes"));
		join_quote(&f->detail, (const char *const *)names.items, names.n);
		cc_buf_appendf(&f->detail, " %s %s ", plural(names.n, "uses", "use"),
			       plural(types.n, "restricted volume type", "restricted volume types"));
		join_quote(&f->detail, (const char *const *)types.items, types.n);
	}
	set_free(&names);
	set_free(&types);
}

/* check_runAsNonRoot.go: true on the pod, or on every container that does not inherit it; an
 * explicit false anywhere is named first. (The relaxation for user-namespaced pods, hostUsers:
 * false, sat behind the alpha gate UserNamespacesPodSecurityStandards through 1.34: not applied.) */
static void check_run_as_non_root(const struct pss_pod *pod, struct pss_finding *f)
{
	struct pss_names bad, implicit;
	names_init(&bad, pod);
	names_init(&implicit, pod);
	const json_t *pod_value = member(pod->sc, "runAsNonRoot");
	bool pod_bad = json_is_false(pod_value), pod_true = json_is_true(pod_value);
	if (pod_bad)
		field_add(f, "spec.securityContext.runAsNonRoot");
	for (size_t i = 0; i < pod->n; i++) {
		const json_t *value = member(pod->containers[i].sc, "runAsNonRoot");
		if (json_is_boolean(value)) {
			if (json_is_false(value)) {
				names_add(&bad, i);
				field_add(f, "%s.securityContext.runAsNonRoot", pod->containers[i].path);
			}
		} else if (!pod_true) {
			names_add(&implicit, i);
		}
	}
	if (pod_bad || bad.count) {
		f->reason = "runAsNonRoot != true";
		names_hit(f, &bad, pod);
		setters_phrase(&f->detail, pod_bad, &bad, pod, NULL);
		cc_buf_append_str(&f->detail, " must not set securityContext.runAsNonRoot=false");
	} else if (implicit.count) {
		f->reason = "runAsNonRoot != true";
		names_hit(f, &implicit, pod);
		cc_buf_append_str(&f->detail, "pod or ");
		names_phrase(&f->detail, &implicit, pod);
		cc_buf_append_str(&f->detail, " must set securityContext.runAsNonRoot=true");
		field_add(f, "spec.securityContext.runAsNonRoot");
	}
	names_free(&bad);
	names_free(&implicit);
}

/* check_runAsUser.go: never uid 0, at the pod or a container. */
static bool is_root(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) == 0;
}

static void check_run_as_user(const struct pss_pod *pod, struct pss_finding *f)
{
	struct pss_names bad;
	names_init(&bad, pod);
	bool pod_bad = is_root(member(pod->sc, "runAsUser"));
	if (pod_bad)
		field_add(f, "spec.securityContext.runAsUser");
	for (size_t i = 0; i < pod->n; i++)
		if (is_root(member(pod->containers[i].sc, "runAsUser"))) {
			names_add(&bad, i);
			field_add(f, "%s.securityContext.runAsUser", pod->containers[i].path);
		}
	if (pod_bad || bad.count) {
		f->reason = "runAsUser=0";
		names_hit(f, &bad, pod);
		setters_phrase(&f->detail, pod_bad, &bad, pod, NULL);
		cc_buf_append_str(&f->detail, " must not set runAsUser=0");
	}
	names_free(&bad);
}

/* check_seccompProfile_restricted.go (1.25): RuntimeDefault or Localhost set on the pod or on
 * every container; Windows pods exempt. Overrides seccompProfile_baseline. */
static void check_seccomp_restricted(const struct pss_pod *pod, struct pss_finding *f)
{
	if (pod->windows)
		return;
	struct pss_names implicit;
	names_init(&implicit, pod);
	seccomp_explicit(pod, f, &implicit);
	if (!f->reason && implicit.count) {
		f->reason = "seccompProfile";
		names_hit(f, &implicit, pod);
		cc_buf_append_str(&f->detail, "pod or ");
		names_phrase(&f->detail, &implicit, pod);
		cc_buf_append_str(
		    &f->detail, " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
		field_add(f, "spec.securityContext.seccompProfile.type");
	}
	names_free(&implicit);
}

/* ---- the registry ---- */

/* In kube-apiserver's order (policy/registry.go): baseline checks by id, then restricted ones by
 * id, byte order. */
static const struct pss_check {
	const char *id;
	enum scan_pss_level level;
	const char *overrides; /* the baseline check a restricted one replaces at restricted */
	void (*run)(const struct pss_pod *pod, struct pss_finding *f);
} checks[] = {
	{ "appArmorProfile", SCAN_PSS_BASELINE, NULL, check_apparmor },
	{ "capabilities_baseline", SCAN_PSS_BASELINE, NULL, check_capabilities_baseline },
	{ "hostNamespaces", SCAN_PSS_BASELINE, NULL, check_host_namespaces },
	{ "hostPathVolumes", SCAN_PSS_BASELINE, NULL, check_host_path_volumes },
	{ "hostPorts", SCAN_PSS_BASELINE, NULL, check_host_ports },
	{ "hostProbesAndHostLifecycle", SCAN_PSS_BASELINE, NULL, check_probe_hosts },
	{ "privileged", SCAN_PSS_BASELINE, NULL, check_privileged },
	{ "procMount", SCAN_PSS_BASELINE, NULL, check_proc_mount },
	{ "seLinuxOptions", SCAN_PSS_BASELINE, NULL, check_selinux },
	{ "seccompProfile_baseline", SCAN_PSS_BASELINE, NULL, check_seccomp_baseline },
	{ "sysctls", SCAN_PSS_BASELINE, NULL, check_sysctls },
	{ "windowsHostProcess", SCAN_PSS_BASELINE, NULL, check_host_process },
	{ "allowPrivilegeEscalation", SCAN_PSS_RESTRICTED, NULL, check_privilege_escalation },
	{ "capabilities_restricted", SCAN_PSS_RESTRICTED, "capabilities_baseline", check_capabilities_restricted },
	{ "restrictedVolumes", SCAN_PSS_RESTRICTED, "hostPathVolumes", check_restricted_volumes },
	{ "runAsNonRoot", SCAN_PSS_RESTRICTED, NULL, check_run_as_non_root },
	{ "runAsUser", SCAN_PSS_RESTRICTED, NULL, check_run_as_user },
	{ "seccompProfile_restricted", SCAN_PSS_RESTRICTED, "seccompProfile_baseline", check_seccomp_restricted },
};

static bool overridden(const char *id, enum scan_pss_level level)
{
	if (level < SCAN_PSS_RESTRICTED)
		return false;
	for (size_t i = 0; i < CC_ARRAY_SIZE(checks); i++)
		if (checks[i].overrides && !strcmp(checks[i].overrides, id))
			return true;
	return false;
}

static json_t *violation_json(const struct pss_check *check, const struct pss_pod *pod, struct pss_finding *f)
{
	_cleanup_free_ char *message =
	    f->detail.len ? cc_xasprintf("%s (%s)", f->reason, f->detail.data) : cc_xstrdup(f->reason);
	json_t *containers = json_array();
	for (size_t i = 0; i < pod->n; i++)
		if (f->hit[i])
			json_array_append_new(containers, json_string(pod->containers[i].name));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:O}", "check", check->id, "level", level_names[check->level],
			 "reason", f->reason, "detail", f->detail.len ? f->detail.data : "", "message", message,
			 "containers", containers, "fields", f->fields);
}

json_t *scan_pss_check(const json_t *pod_metadata, const json_t *pod_spec, enum scan_pss_level level)
{
	json_t *out = json_array();
	if (!json_is_object(pod_spec) || level >= SCAN_PSS_LEVEL_MAX)
		return out;
	struct pss_pod pod;
	pod_open(&pod, pod_metadata, pod_spec);
	for (size_t i = 0; i < CC_ARRAY_SIZE(checks); i++) {
		if (checks[i].level > level || overridden(checks[i].id, level))
			continue;
		struct pss_finding f = { .hit = cc_xcalloc(pod.n ? pod.n : 1, sizeof(bool)), .fields = json_array() };
		checks[i].run(&pod, &f);
		if (f.reason)
			json_array_append_new(out, violation_json(&checks[i], &pod, &f));
		cc_buf_free(&f.detail);
		json_decref(f.fields);
		free(f.hit);
	}
	pod_close(&pod);
	return out;
}

json_t *scan_pss_pod_violations(const json_t *pod_metadata, const json_t *pod_spec, enum scan_pss_level level)
{
	json_t *found = scan_pss_check(pod_metadata, pod_spec, level);
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach (found, i, v)
		json_array_append(out, json_object_get(v, "message"));
	json_decref(found);
	return out;
}

json_t *scan_pss_violations(const json_t *pod_spec, enum scan_pss_level level)
{
	return scan_pss_pod_violations(NULL, pod_spec, level);
}
