/* The Kubernetes audit log (see audit_log.h). Each Event is written with one write() on a file opened
 * O_APPEND, so lines from several worker threads never interleave. */
#include "platform/audit_log.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/random.h"
#include "lib/net/http.h"
#include "platform/target.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct platform_audit_log {
	int fd;
	atomic_uint failures; /* writes that failed, reported once per 1,000 */
};

int platform_audit_log_open(const char *path, struct platform_audit_log **ret, struct cc_error *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open the API audit log `%s`", path);
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		close(fd);
		return cc_error_set(err, EPERM, "the API audit log `%s` is open to others (mode %o); chmod 600 it",
				    path, (unsigned)(st.st_mode & 0777));
	}
	struct platform_audit_log *log = cc_xcalloc(1, sizeof(*log));
	log->fd = fd;
	*ret = log;
	return 0;
}

void platform_audit_log_close(struct platform_audit_log *log)
{
	if (!log)
		return;
	close(log->fd);
	free(log);
}

/* Kubernetes' audit verbs: the request's method, and whether it names an object or a collection. */
static const char *verb_of(const struct cc_http_request *req, const struct platform_target *t, bool watch)
{
	const char *m = req->method;
	bool named = t && t->name;
	if (watch)
		return "watch";
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return named || !t ? "get" : "list";
	if (strcmp(m, "POST") == 0)
		return "create";
	if (strcmp(m, "PUT") == 0)
		return "update";
	if (strcmp(m, "PATCH") == 0)
		return "patch";
	if (strcmp(m, "DELETE") == 0)
		return named ? "delete" : "deletecollection";
	return "unknown";
}

static json_t *user_of(const struct cc_peer *peer)
{
	json_t *groups = json_array();
	char name[160] = "system:anonymous";
	if (peer->cert_verified) {
		snprintf(name, sizeof(name), "%s", peer->common_name);
		for (int i = 0; i < peer->group_count; i++)
			json_array_append_new(groups, json_string(peer->groups[i]));
		json_array_append_new(groups, json_string("system:authenticated"));
	} else if (peer->have_credentials) {
		snprintf(name, sizeof(name), "uid:%u", (unsigned)peer->uid);
		if (peer->uid == 0)
			json_array_append_new(groups, json_string("system:masters"));
		json_array_append_new(groups, json_string("system:authenticated"));
	}
	return json_pack("{s:s, s:o}", "username", name, "groups", groups);
}

static json_t *object_ref(const struct platform_target *t)
{
	json_t *ref = json_pack("{s:s, s:s}", "resource", t->resource->resource, "apiVersion", t->resource->version);
	if (t->resource->group[0])
		json_object_set_new(ref, "apiGroup", json_string(t->resource->group));
	if (t->namespace)
		json_object_set_new(ref, "namespace", json_string(t->namespace));
	if (t->name)
		json_object_set_new(ref, "name", json_string(t->name));
	if (t->subresource)
		json_object_set_new(ref, "subresource", json_string(t->subresource));
	return ref;
}

static void source_ip(const struct cc_peer *peer, char *out, size_t size)
{
	if (peer->is_unix) {
		snprintf(out, size, "127.0.0.1"); /* the local socket: this host */
		return;
	}
	snprintf(out, size, "%s", peer->address);
	char *port = strrchr(out, ':');
	if (out[0] == '[') { /* [v6]:port */
		char *close = strchr(out, ']');
		if (close) {
			*close = '\0';
			memmove(out, out + 1, strlen(out));
		}
	} else if (port) {
		*port = '\0';
	}
}

void platform_audit_log_request(struct platform_audit_log *log, const struct cc_http_request *req,
				const struct platform_target *t, int status, int64_t received_ns, bool watch)
{
	if (!log)
		return;
	char id[37], received[40], now[40], ip[64];
	cc_random_uuid(id, NULL);
	cc_time_format_rfc3339(received_ns, received, sizeof(received));
	cc_time_format_rfc3339(cc_time_now_ns(), now, sizeof(now));
	source_ip(req->peer, ip, sizeof(ip));
	const char *agent = cc_http_request_header(req, "user-agent");
	json_t *event = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:[s], s:{s:i}, s:s, s:s}", "kind", "Event",
				  "apiVersion", "audit.k8s.io/v1", "level", "Metadata", "auditID", id, "stage",
				  watch ? "ResponseStarted" : "ResponseComplete", "requestURI", req->target, "verb",
				  verb_of(req, t, watch), "user", user_of(req->peer), "sourceIPs", ip, "responseStatus",
				  "code", status, "requestReceivedTimestamp", received, "stageTimestamp", now);
	if (agent)
		json_object_set_new(event, "userAgent", json_string(agent));
	if (t && t->resource)
		json_object_set_new(event, "objectRef", object_ref(t));
	if (status == 403)
		json_object_set_new(event, "annotations",
				    json_pack("{s:s, s:s}", "authorization.k8s.io/decision", "forbid",
					      "authorization.k8s.io/reason", "only cluster administrators until RBAC"));
	else if (status < 400)
		json_object_set_new(event, "annotations", json_pack("{s:s}", "authorization.k8s.io/decision", "allow"));
	char *line = json_dumps(event, JSON_COMPACT);
	json_decref(event);
	if (!line)
		return;
	size_t len = strlen(line);
	line[len] = '\n'; /* json_dumps's NUL becomes the line end */
	if (write(log->fd, line, len + 1) != (ssize_t)(len + 1) && atomic_fetch_add(&log->failures, 1) % 1000 == 0)
		cc_err("cannot write the API audit log: %s (events are being lost)", strerror(errno));
	free(line);
}
