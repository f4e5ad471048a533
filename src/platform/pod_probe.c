/* Liveness, readiness and startup probes (exec, httpGet, tcpSocket) with kubelet's timing fields:
 * initialDelaySeconds, periodSeconds (10), timeoutSeconds (1), successThreshold (1),
 * failureThreshold (3). Until the startup probe succeeds the others wait; a liveness or startup
 * failure kills the container (restartPolicy then decides); readiness sets `ready`. The probes run
 * on the runner's thread, each bounded by its timeout. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/process.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "platform/pods_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum probe_kind { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP };
static const char *const probe_fields[] = { "livenessProbe", "readinessProbe", "startupProbe" };
static const char *const probe_names[] = { "Liveness", "Readiness", "Startup" };

/* A probe's timing field, bounded: the probes run on the runner's thread, so a timeout of a day (or
 * one that overflows milliseconds) must not stall every pod of the node. */
static int field(const json_t *probe, const char *name, int fallback)
{
	const json_t *v = json_object_get(probe, name);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return fallback;
	json_int_t max = strcmp(name, "timeoutSeconds") == 0 ? 30 : 3600;
	json_int_t value = json_integer_value(v);
	return (int)(value > max ? max : value);
}

/* A port given by number or by the name of one of the container's ports. */
static int port_of(const json_t *port, const json_t *container)
{
	if (json_is_integer(port))
		return (int)json_integer_value(port);
	const char *name = json_string_value(port);
	size_t i;
	const json_t *p;
	json_array_foreach (json_object_get(container, "ports"), i, p)
		if (name && strcmp(json_string_value(json_object_get(p, "name")) ?: "", name) == 0)
			return (int)json_integer_value(json_object_get(p, "containerPort"));
	return name ? atoi(name) : -1;
}

static int connect_timeout(const char *ip, int port, int timeout_ms)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1)
		return -EINVAL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -errno;
	}
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int error = 0;
	socklen_t len = sizeof(error);
	if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0 || error) {
		close(fd);
		return -ETIMEDOUT;
	}
	return fd;
}

/* HTTP/1.1 GET: success is a status from 200 to 399, as kubelet counts it. */
static bool http_probe(const char *ip, int port, const json_t *get, int timeout_ms, char *why, size_t why_size)
{
	int fd = connect_timeout(ip, port, timeout_ms);
	if (fd < 0) {
		snprintf(why, why_size, "Get \"http://%s:%d%s\": dial tcp: connection refused", ip, port,
			 json_string_value(json_object_get(get, "path")) ?: "/");
		return false;
	}
	fcntl(fd, F_SETFL, 0);
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	const char *path = json_string_value(json_object_get(get, "path")) ?: "/";
	char request[2048];
	snprintf(
	    request, sizeof(request),
	    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: kube-probe/1.30\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	    path, ip, port);
	char reply[64] = "";
	bool ok = false;
	if (cc_write_all(fd, request, strlen(request)) == 0) {
		ssize_t n = read(fd, reply, sizeof(reply) - 1);
		if (n > 12) {
			reply[n] = '\0';
			int status = atoi(reply + 9);
			ok = strncmp(reply, "HTTP/1.", 7) == 0 && status >= 200 && status < 400;
			snprintf(why, why_size, "HTTP probe failed with statuscode: %d", status);
		} else {
			snprintf(why, why_size, "Get \"http://%s:%d%s\": context deadline exceeded", ip, port, path);
		}
	}
	close(fd);
	return ok;
}

static bool exec_probe(struct platform_pods *p, const struct container_state *cs, const json_t *exec, int timeout_ms,
		       char *why, size_t why_size)
{
	const json_t *command = json_object_get(exec, "command");
	size_t n = json_array_size(command);
	if (n == 0 || n > 64) {
		snprintf(why, why_size, "exec probe without a command");
		return false;
	}
	const char *argv[64 + 8];
	size_t k = 0;
	argv[k++] = p->runtime, argv[k++] = "--root", argv[k++] = p->runtime_root, argv[k++] = "exec";
	argv[k++] = cs->id;
	for (size_t i = 0; i < n; i++)
		argv[k++] = json_string_value(json_array_get(command, i)) ?: "";
	argv[k] = NULL;
	struct cc_process_options opts = { .timeout_ms = timeout_ms, .max_output = 10240 };
	struct cc_process_result res;
	struct cc_error err = { 0 };
	if (cc_process_run(argv, &opts, &res, &err) < 0) {
		snprintf(why, why_size, "%s", cc_error_message(&err));
		return false;
	}
	bool ok = res.status == 0 && !res.timed_out;
	snprintf(why, why_size, "%s", res.timed_out ? "command timed out" : cc_process_message(&res));
	cc_process_result_clear(&res);
	return ok;
}

static bool run_probe(struct platform_pods *p, const struct pod_state *ps, const struct container_state *cs,
		      const json_t *probe, const json_t *container, char *why, size_t why_size)
{
	int timeout_ms = field(probe, "timeoutSeconds", 1) * 1000;
	if (timeout_ms <= 0)
		timeout_ms = 1000;
	const json_t *v;
	if ((v = json_object_get(probe, "exec")))
		return exec_probe(p, cs, v, timeout_ms, why, why_size);
	if ((v = json_object_get(probe, "httpGet")))
		return http_probe(ps->ip, port_of(json_object_get(v, "port"), container), v, timeout_ms, why, why_size);
	if ((v = json_object_get(probe, "tcpSocket"))) {
		int fd = connect_timeout(ps->ip, port_of(json_object_get(v, "port"), container), timeout_ms);
		if (fd >= 0) {
			close(fd);
			return true;
		}
		snprintf(why, why_size, "dial tcp %s:%d: connect: connection refused", ps->ip,
			 port_of(json_object_get(v, "port"), container));
		return false;
	}
	snprintf(why, why_size, "probe has no handler (exec, httpGet, tcpSocket; grpc is not supported)");
	return false;
}

/* One probe if due; returns its standing: 1 passing, 0 failing (threshold reached), -1 unknown. */
static int due_probe(struct platform_pods *p, struct pod_state *ps, struct container_state *cs, const json_t *spec,
		     enum probe_kind kind)
{
	const json_t *probe = json_object_get(spec, probe_fields[kind]);
	if (!probe)
		return 1;
	int64_t now = cc_time_monotonic_ms();
	if (cs->next_probe_ms[kind] == 0)
		cs->next_probe_ms[kind] = now + field(probe, "initialDelaySeconds", 0) * 1000;
	if (now < cs->next_probe_ms[kind])
		return cs->probe_failures[kind] >= field(probe, "failureThreshold", 3)    ? 0
		       : cs->probe_successes[kind] >= field(probe, "successThreshold", 1) ? 1
											  : -1;
	cs->next_probe_ms[kind] = now + field(probe, "periodSeconds", 10) * 1000;
	char why[512] = "";
	if (run_probe(p, ps, cs, probe, spec, why, sizeof(why))) {
		cs->probe_failures[kind] = 0;
		cs->probe_successes[kind]++;
	} else {
		cs->probe_successes[kind] = 0;
		cs->probe_failures[kind]++;
		pods_event(p, ps, cs->name, "Warning", "Unhealthy", "%s probe failed: %s", probe_names[kind], why);
	}
	if (cs->probe_failures[kind] >= field(probe, "failureThreshold", 3))
		return 0;
	return cs->probe_successes[kind] >= field(probe, "successThreshold", 1) ? 1 : -1;
}

void pods_probe(struct platform_pods *p, struct pod_state *ps, struct container_state *cs, const json_t *spec)
{
	if (cs->init || cs->killed_for_probe)
		return;
	if (!cs->started) {
		int startup = due_probe(p, ps, cs, spec, PROBE_STARTUP);
		if (startup == 0) {
			pods_event(p, ps, cs->name, "Normal", "Killing",
				   "Container %s failed startup probe, will be restarted", cs->name);
			pods_container_kill(p, ps, cs, "KILL");
			cs->killed_for_probe = true;
			return;
		}
		cs->started = startup == 1;
		if (!cs->started)
			return;
	}
	if (due_probe(p, ps, cs, spec, PROBE_LIVENESS) == 0) {
		pods_event(p, ps, cs->name, "Normal", "Killing",
			   "Container %s failed liveness probe, will be restarted", cs->name);
		pods_container_kill(p, ps, cs, "KILL");
		cs->killed_for_probe = true;
		return;
	}
	int readiness = due_probe(p, ps, cs, spec, PROBE_READINESS);
	if (readiness >= 0 || !json_object_get(spec, "readinessProbe"))
		cs->ready = readiness == 1;
}
