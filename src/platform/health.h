/* cocoond's health endpoints, answered as kube-apiserver answers them (k8s.io/apiserver
 * pkg/server/healthz):
 *
 *   GET /livez    is the process worth keeping (a failure here means: restart it)
 *   GET /readyz   should it be sent traffic (a failure: wait)
 *   GET /healthz  the older endpoint, kept: the liveness checks and the bootstrap
 *
 * each "ok" with 200; with ?verbose one line per check ("[+]ping ok") and "livez check passed";
 * ?exclude=NAME (repeatable) skips a check; a failing check makes it 500 with "[-]NAME failed:
 * reason withheld" and "readyz check failed". One check alone is GET /livez/NAME (or /readyz/NAME,
 * /healthz/NAME): "ok", or 500 "internal server error: REASON". A failing check's reason is logged
 * once when it starts failing.
 *
 * The checks:
 *   ping                                 the server answers (always ok)
 *   etcd                                 the object store answers a read of one key (the name
 *                                        kube-apiserver gives its storage check; the backend is
 *                                        lib/store's, SQLite or etcd)
 *   poststarthook/bootstrap-controller   the default namespace exists (bootstrap.c made the first
 *                                        objects); readyz and healthz
 *   syncloop                             the pod runner passed over the pods lately (kubelet's
 *                                        check of the same name); readyz, with a runner only
 *
 * Who may read them: kube-apiserver lets everyone, system:unauthenticated included. cocoond's TCP
 * listener only takes clients with a certificate of the node CA (mutual TLS), so there they are
 * every authenticated client's; on the unix socket (0600) every process that may open it. */
#pragma once

#include "lib/net/http.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct cc_store;
struct platform_objects;
struct platform_health;

struct platform_health_config {
	struct cc_store *store;           /* the etcd check reads one key of it */
	struct platform_objects *objects; /* the bootstrap check looks for the default namespace */
	/* The pod runner's heartbeat: the CLOCK_MONOTONIC time in milliseconds (cc_time_monotonic_ms)
	 * at which its last pass over the pods ended, 0 before the first. NULL: no runner, no
	 * syncloop check. Called from a server worker; must not block. */
	int64_t (*runner_last_pass_ms)(void *ctx);
	void *runner_ctx;
	int runner_stale_ms; /* syncloop fails when the last pass is older; 0: 120 s */
};

int platform_health_new(const struct platform_health_config *cfg, struct platform_health **ret, struct cc_error *err);
void platform_health_free(struct platform_health *h);

/* The routes to give cc_server: /livez, /readyz, /healthz and their /NAME; *ret_count is set.
 * They must come before any other route of the same paths (the node API's /healthz). */
const struct cc_http_route *platform_health_routes(struct platform_health *h, size_t *ret_count);
