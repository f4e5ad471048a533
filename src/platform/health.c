/* /livez, /readyz and /healthz (see health.h). The answers copy kube-apiserver's handleRootHealth
 * and adaptCheckToHandler byte for byte, so that probes, scripts and dashboards written against a
 * Kubernetes control plane read cocoond alike. Every check is cheap (one key read at most), so they
 * run on the request's worker thread at each call, as kube-apiserver runs its own. */
#include "platform/health.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/store/store.h"
#include "platform/objects.h"
#include "platform/resources.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNNER_STALE_MS 120000 /* kubelet allows its sync loop minutes; a pass here takes a second or so */

/* Which endpoints a check belongs to. */
enum {
	LIVEZ = 1 << 0,
	READYZ = 1 << 1,
	HEALTHZ = 1 << 2,
};

struct platform_health;
typedef int (*check_fn)(struct platform_health *h, char *reason, size_t size);

struct check {
	const char *name;
	check_fn run;
	unsigned endpoints;
};

struct endpoint {
	struct platform_health *health;
	const char *name; /* "livez": "livez check passed" */
	unsigned mask;
};

struct platform_health {
	struct platform_health_config cfg;
	int64_t started_ms;
	atomic_bool bootstrapped; /* a post-start hook, once done, stays done */
	struct check checks[4];
	size_t check_count;
	atomic_bool failing[4]; /* to log a check's reason when it starts failing, not at each probe */
	struct endpoint endpoints[3];
	struct cc_http_route routes[6];
};

/* ---- the checks: 0, or -1 with the reason ---- */

static int check_ping(struct platform_health *h, char *reason, size_t size)
{
	return 0;
}

static int check_store(struct platform_health *h, char *reason, size_t size)
{
	struct cc_error err = { 0 };
	_cleanup_free_ char *value = NULL;
	int r = cc_store_get(h->cfg.store, "/cocoon/resource-version", &value, NULL, NULL, &err);
	if (r < 0 && r != -ENOENT) {
		snprintf(reason, size, "the object store (%s) does not answer: %s", cc_store_backend(h->cfg.store),
			 cc_error_message(&err));
		return -1;
	}
	return 0;
}

static int check_bootstrap(struct platform_health *h, char *reason, size_t size)
{
	if (atomic_load(&h->bootstrapped))
		return 0;
	const struct platform_resource *namespaces = platform_resource_find("", "v1", "namespaces");
	struct cc_error err = { 0 };
	json_t *ns = NULL;
	int r = platform_objects_get(h->cfg.objects, namespaces, NULL, "default", &ns, &err);
	json_decref(ns);
	if (r < 0) {
		snprintf(reason, size, "the default namespace is not there yet: %s", cc_error_message(&err));
		return -1;
	}
	atomic_store(&h->bootstrapped, true);
	return 0;
}

static int check_runner(struct platform_health *h, char *reason, size_t size)
{
	int64_t last = h->cfg.runner_last_pass_ms(h->cfg.runner_ctx);
	int64_t since = cc_time_monotonic_ms() - (last > 0 ? last : h->started_ms);
	int stale = h->cfg.runner_stale_ms > 0 ? h->cfg.runner_stale_ms : RUNNER_STALE_MS;
	if (since > stale) {
		snprintf(reason, size, "the pod runner's last pass over the pods %s %lld s ago (more than %d s)",
			 last > 0 ? "ended" : "has not ended since the start,", (long long)(since / 1000),
			 stale / 1000);
		return -1;
	}
	return 0;
}

/* Runs one check; logs its reason when it turns from passing to failing. */
static bool run_check(struct platform_health *h, size_t i, char *reason, size_t size)
{
	reason[0] = '\0';
	bool ok = h->checks[i].run(h, reason, size) == 0;
	bool was_failing = atomic_exchange(&h->failing[i], !ok);
	if (!ok && !was_failing)
		cc_warning("health check %s failed: %s", h->checks[i].name, reason);
	else if (ok && was_failing)
		cc_info("health check %s passes again", h->checks[i].name);
	return ok;
}

/* ---- the answers ---- */

/* The server adds X-Content-Type-Options: nosniff to every answer, as kube-apiserver sets here. */
static void text_answer(struct cc_http_response *resp, int status)
{
	resp->status = status;
	snprintf(resp->content_type, sizeof(resp->content_type), "text/plain; charset=utf-8");
}

static bool excluded(char **exclude, const char *name, bool *used)
{
	bool found = false;
	for (size_t i = 0; exclude && exclude[i]; i++)
		if (strcmp(exclude[i], name) == 0)
			found = used[i] = true;
	return found;
}

/* "warn: some health checks cannot be excluded: no matches for "a","b"" (kube-apiserver's
 * formatQuoted of the names no check carries). */
static void unmatched_exclusions(struct cc_buf *out, char **exclude, const bool *used)
{
	bool any = false;
	for (size_t i = 0; exclude && exclude[i]; i++) {
		if (used[i])
			continue;
		cc_buf_appendf(out, "%s\"%s\"",
			       any ? "," : "warn: some health checks cannot be excluded: no matches for ", exclude[i]);
		any = true;
	}
	if (any)
		cc_buf_append_str(out, "\n");
}

/* GET /livez (or /readyz, /healthz): every check of the endpoint. */
static void root_health(const struct endpoint *e, const struct cc_http_request *req, struct cc_http_response *resp)
{
	struct platform_health *h = e->health;
	_cleanup_free_ char *verbose = cc_http_request_query(req, "verbose");
	char **exclude = NULL;
	if (cc_http_request_query_all(req, "exclude", &exclude) < 0) {
		text_answer(resp, 400);
		cc_buf_append_str(&resp->body, "bad percent-encoding in the exclude parameter\n");
		return;
	}
	size_t exclude_count = 0;
	while (exclude[exclude_count])
		exclude_count++;
	_cleanup_free_ bool *used = cc_xcalloc(exclude_count + 1, sizeof(bool));
	struct cc_buf lines = CC_BUF_INIT;
	bool failed = false;
	for (size_t i = 0; i < h->check_count; i++) {
		const struct check *c = &h->checks[i];
		if (!(c->endpoints & e->mask))
			continue;
		char reason[512];
		if (excluded(exclude, c->name, used))
			cc_buf_appendf(&lines, "[+]%s excluded: ok\n", c->name);
		else if (run_check(h, i, reason, sizeof(reason)))
			cc_buf_appendf(&lines, "[+]%s ok\n", c->name);
		else {
			cc_buf_appendf(&lines, "[-]%s failed: reason withheld\n", c->name);
			failed = true;
		}
	}
	unmatched_exclusions(&lines, exclude, used);
	cc_http_query_values_free(exclude);
	if (failed) {
		/* Always verbose on failure; http.Error's trailing newline. */
		text_answer(resp, 500);
		cc_buf_appendf(&lines, "%s check failed\n", e->name);
		cc_buf_append(&resp->body, lines.data, lines.len);
	} else if (!verbose) {
		text_answer(resp, 200);
		cc_buf_append_str(&resp->body, "ok");
	} else {
		text_answer(resp, 200);
		cc_buf_appendf(&lines, "%s check passed\n", e->name);
		cc_buf_append(&resp->body, lines.data, lines.len);
	}
	cc_buf_free(&lines);
}

/* GET /livez/NAME: that check alone, its reason shown (the caller asked for it by name). */
static void one_check(const struct endpoint *e, const char *name, struct cc_http_response *resp)
{
	struct platform_health *h = e->health;
	for (size_t i = 0; i < h->check_count; i++) {
		if (!(h->checks[i].endpoints & e->mask) || strcmp(h->checks[i].name, name) != 0)
			continue;
		char reason[512];
		if (run_check(h, i, reason, sizeof(reason))) {
			text_answer(resp, 200);
			cc_buf_append_str(&resp->body, "ok");
		} else {
			text_answer(resp, 500);
			cc_buf_appendf(&resp->body, "internal server error: %s\n", reason);
		}
		return;
	}
	text_answer(resp, 404);
	cc_buf_append_str(&resp->body, "404 page not found\n");
}

static void serve(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	const struct endpoint *e = userdata;
	size_t len = strlen(e->name) + 1; /* "/livez" */
	if (req->path[len] == '\0')
		root_health(e, req, resp);
	else
		one_check(e, req->path + len + 1, resp);
}

int platform_health_new(const struct platform_health_config *cfg, struct platform_health **ret, struct cc_error *err)
{
	if (!cfg->store || !cfg->objects)
		return cc_error_set(err, EINVAL, "the health checks need the object store");
	struct platform_health *h = cc_xcalloc(1, sizeof(*h));
	h->cfg = *cfg;
	h->started_ms = cc_time_monotonic_ms();
	h->checks[h->check_count++] = (struct check){ "ping", check_ping, LIVEZ | READYZ | HEALTHZ };
	h->checks[h->check_count++] = (struct check){ "etcd", check_store, LIVEZ | READYZ | HEALTHZ };
	h->checks[h->check_count++] =
	    (struct check){ "poststarthook/bootstrap-controller", check_bootstrap, READYZ | HEALTHZ };
	if (cfg->runner_last_pass_ms)
		h->checks[h->check_count++] = (struct check){ "syncloop", check_runner, READYZ };
	static const char *const names[] = { "livez", "readyz", "healthz" };
	static const char *const roots[] = { "/livez", "/readyz", "/healthz" };
	static const char *const prefixes[] = { "/livez/", "/readyz/", "/healthz/" };
	for (size_t i = 0; i < 3; i++) {
		h->endpoints[i] = (struct endpoint){ .health = h, .name = names[i], .mask = 1u << i };
		h->routes[2 * i] = (struct cc_http_route){
			.method = "GET", .path = roots[i], .handler = serve, .userdata = &h->endpoints[i]
		};
		h->routes[2 * i + 1] = (struct cc_http_route){ .method = "GET",
							       .path = prefixes[i],
							       .prefix = true,
							       .handler = serve,
							       .userdata = &h->endpoints[i] };
	}
	*ret = h;
	return 0;
}

void platform_health_free(struct platform_health *h)
{
	free(h);
}

const struct cc_http_route *platform_health_routes(struct platform_health *h, size_t *ret_count)
{
	*ret_count = sizeof(h->routes) / sizeof(h->routes[0]);
	return h->routes;
}
