/* The pod runner's mTLS observer (docs/design/pod-mtls.md, build step 8: "Probe and observation"):
 * a thread of its own beside the runner's loop that
 *
 * - probes the declared ports of each running pod of a `required` namespace (and of `permissive`
 *   pods that declare ports) after each issuance (a new serial), when its ports change, and every
 *   5 minutes (mtls_probe.h): an `mtls.probe` security event per port and the pod's condition
 *   `cocoon.run/MTLSProbed`;
 * - every interval (cocoond's --mtls-observe-interval, 60 s by default) reads the guard's connection
 *   sets (each guarded pod's table, inside its network namespace, and the platform's table for
 *   Service traffic) and emits one `mtls.connections` security event per client, server and port
 *   that saw new connections.
 *
 * The probes and the reads run outside the runner's lock: a round copies what it needs of the
 * registry (uid, names, address, running or not) under the lock, then works on the copy. One
 * thread does it all, so a pod is never probed twice at once. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cc_error;
struct platform_pods;

/* Starts the observer's thread (p->mtls_observer). */
int pods_mtls_observe_start(struct platform_pods *p, struct cc_error *err);
/* Stops it and frees its state; nothing when it never started. */
void pods_mtls_observe_stop(struct platform_pods *p);

/* The pod's condition cocoon.run/MTLSProbed: false when the pod has no ports probed (not an mTLS
 * pod, no declared port, not running yet). Otherwise *ret_ok, and when false a reason (a
 * CamelCase word: ProbePending, Plaintext, NoClientAuth, StaleCertificate, Unreachable) and a
 * message naming the first failing port. */
bool pods_mtls_probed_condition(struct platform_pods *p, const char *uid, bool *ret_ok, char *reason,
				size_t reason_size, char *message, size_t message_size);
