/* A pod's sandbox: the namespaces its containers share (network, IPC, UTS with the pod's host
 * name), created once and pinned by bind mounts at DIR/net, DIR/ipc and DIR/uts, as `ip netns`
 * pins a network namespace. They live as long as the pins, whatever happens to the containers, and
 * the runtime joins them by path (linux.namespaces[].path). No pause process is needed. */
#pragma once

#include <stdbool.h>

struct cc_error;

/* Creates DIR (0700) and the pinned namespaces; the UTS namespace gets hostname. */
int pod_sandbox_create(const char *dir, const char *hostname, struct cc_error *err);
/* True when DIR/net is a pinned namespace (after a restart of cocoond: the pod's sandbox survived). */
bool pod_sandbox_pinned(const char *dir);
/* Unpins (the namespaces go once their last process does) and removes the files. Idempotent. */
void pod_sandbox_destroy(const char *dir);
