/* The Kubernetes audit log (see audit_log.h). Each Event is written with one write() on a file opened
 * O_APPEND, so lines from several worker threads never interleave. */
#include "platform/audit_log.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/random.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/access.h"
#include "platform/audit_policy.h"
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
	struct platform_audit_policy *policy;
	atomic_uint failures; /* writes that failed, reported once per 1,000 */
};

int platform_audit_log_open(const char *path, struct platform_audit_policy *policy, struct platform_audit_log **ret,
			    struct cc_error *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		platform_audit_policy_free(policy);
		return cc_error_set_errno(err, errno, "open the API audit log `%s`", path);
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		close(fd);
		platform_audit_policy_free(policy);
		return cc_error_set(err, EPERM, "the API audit log `%s` is open to others (mode %o); chmod 600 it",
				    path, (unsigned)(st.st_mode & 0777));
	}
	struct platform_audit_log *log = cc_xcalloc(1, sizeof(*log));
	log->fd = fd;
	log->policy = policy;
	*ret = log;
	return 0;
}

void platform_audit_log_close(struct platform_audit_log *log)
{
	if (!log)
		return;
	close(log->fd);
	platform_audit_policy_free(log->policy);
	free(log);
}

/* The user as authentication (and impersonation) made it (access.h); a request that never got that
 * far is the anonymous one. */
static json_t *user_of(const struct cc_http_request *req)
{
	const struct platform_user *u = platform_request_user(req);
	if (!u)
		return json_pack("{s:s, s:[s]}", "username", "system:anonymous", "groups", "system:unauthenticated");
	json_t *user = json_pack("{s:s, s:O}", "username", u->name, "groups", u->groups);
	if (u->uid[0])
		json_object_set_new(user, "uid", json_string(u->uid));
	if (u->extra)
		json_object_set(user, "extra", u->extra);
	return user;
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

/* The policy's view of the request. */
static enum platform_audit_level level_for(const struct platform_audit_log *log, const struct cc_http_request *req,
					   const struct platform_target *t, const json_t *user, const char *verb,
					   const char *stage)
{
	const json_t *groups = json_object_get(user, "groups");
	const char *names[16];
	size_t n = 0;
	for (size_t i = 0; i < json_array_size(groups) && n < 16; i++)
		names[n++] = json_string_value(json_array_get(groups, i));
	struct platform_audit_request r = {
		.user = json_string_value(json_object_get(user, "username")),
		.groups = names,
		.n_groups = n,
		.verb = verb,
		.group = t && t->resource ? t->resource->group : NULL,
		.resource = t && t->resource ? t->resource->resource : NULL,
		.subresource = t ? t->subresource : NULL,
		.namespace = t ? t->namespace : NULL,
		.name = t ? t->name : NULL,
		.path = req->path,
		.stage = stage,
	};
	return platform_audit_policy_level(log->policy, &r);
}

/* A body as the audit carries it: the JSON object, or nothing (a non-JSON or empty body). */
static json_t *body_object(const char *data, size_t len)
{
	json_t *v = NULL;
	if (len == 0 || cc_json_parse(data, len, 3u << 20, "audit body", &v, NULL) < 0 || !json_is_object(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

void platform_audit_log_request(struct platform_audit_log *log, const struct cc_http_request *req,
				const struct platform_target *t, const struct cc_http_response *resp,
				int64_t received_ns, bool watch)
{
	if (!log)
		return;
	int status = resp->status;
	const char *verb = platform_target_verb(req->method, t, watch),
		   *stage = watch ? "ResponseStarted" : "ResponseComplete";
	json_t *user = user_of(req);
	enum platform_audit_level level = level_for(log, req, t, user, verb, stage);
	if (level == PLATFORM_AUDIT_NONE) {
		json_decref(user);
		return;
	}
	static const char *const level_names[] = { "None", "Metadata", "Request", "RequestResponse" };
	char id[37], received[40], now[40], ip[64];
	cc_random_uuid(id, NULL);
	cc_time_format_rfc3339(received_ns, received, sizeof(received));
	cc_time_format_rfc3339(cc_time_now_ns(), now, sizeof(now));
	source_ip(req->peer, ip, sizeof(ip));
	const char *agent = cc_http_request_header(req, "user-agent");
	json_t *event =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:[s], s:{s:i}, s:s, s:s}", "kind", "Event",
		      "apiVersion", "audit.k8s.io/v1", "level", level_names[level], "auditID", id, "stage", stage,
		      "requestURI", req->target, "verb", verb, "user", user, "sourceIPs", ip, "responseStatus", "code",
		      status, "requestReceivedTimestamp", received, "stageTimestamp", now);
	/* Bodies only where the policy asks: kube-apiserver's requestObject (writes) and
	 * responseObject (not for watches, whose response is a stream). */
	json_t *request_object = level >= PLATFORM_AUDIT_REQUEST ? body_object(req->body.data, req->body.len) : NULL;
	if (request_object)
		json_object_set_new(event, "requestObject", request_object);
	json_t *response_object = level >= PLATFORM_AUDIT_REQUEST_RESPONSE && !resp->stream
				      ? body_object(resp->body.data, resp->body.len)
				      : NULL;
	if (response_object)
		json_object_set_new(event, "responseObject", response_object);
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
