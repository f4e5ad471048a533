/* What a namespace's `run.cocoon.mtls` and a pod's `run.cocoon.mtls.ports` annotations say
 * (docs/design/pod-mtls.md, "The namespace annotation and what "required" enforces"). One place
 * reads them, so that admission, the pod runner's guard, the service proxy and certificate issuance
 * agree on what a namespace requires and which ports a pod declares. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define PLATFORM_MTLS_ANNOTATION       "run.cocoon.mtls"
#define PLATFORM_MTLS_PORTS_ANNOTATION "run.cocoon.mtls.ports"
#define PLATFORM_MTLS_PORTS_MAX        16

enum platform_mtls_mode {
	MTLS_OFF,        /* no annotation: nothing of mTLS applies */
	MTLS_PERMISSIVE, /* certificates are issued, the network is unchanged (for migrating) */
	MTLS_REQUIRED,   /* certificates, and only declared ports reachable from other pods */
};

/* The mode a Namespace object asks for. A value admission would refuse (one stored before the check
 * existed) counts as required: fail closed, the stricter reading. NULL (no such namespace): off. */
enum platform_mtls_mode platform_mtls_mode(const json_t *namespace_object);

/* The mode of the stored namespace: one that is gone is off (its pods go with it); one that cannot
 * be read is an error, on which callers fail closed. */
struct platform_objects;
int platform_mtls_namespace_mode(struct platform_objects *objects, const char *namespace, enum platform_mtls_mode *ret,
				 struct cc_error *err);

/* The annotation's value checked: "permissive" or "required" into *ret_mode; -EINVAL with a message
 * naming the value otherwise. */
int platform_mtls_mode_parse(const char *value, enum platform_mtls_mode *ret_mode, struct cc_error *err);

/* "permissive", "required", or "off". */
const char *platform_mtls_mode_name(enum platform_mtls_mode mode);

struct platform_mtls_ports {
	size_t count;
	uint16_t port[PLATFORM_MTLS_PORTS_MAX]; /* ascending, no repeats */
};

/* `run.cocoon.mtls.ports`: comma-separated TCP ports 1-65535 (spaces around each allowed), at most
 * PLATFORM_MTLS_PORTS_MAX, none twice. -EINVAL with a message naming the value otherwise; *ret is
 * set only on success. */
int platform_mtls_ports_parse(const char *text, struct platform_mtls_ports *ret, struct cc_error *err);

/* The ports a pod object declares: none when it has no annotation; the parse's error otherwise. */
int platform_mtls_pod_ports(const json_t *pod, struct platform_mtls_ports *ret, struct cc_error *err);

/* Whether a pod can live in a namespace that requires mutual TLS: its ports annotation parses
 * (-EINVAL), and it neither shares the node's network (hostNetwork) nor may change its own network
 * namespace's rules (a container that adds NET_ADMIN or ALL, or is privileged) (-EPERM). The message
 * names the field and the reason. *ret (may be NULL) gets the declared ports on success. */
int platform_mtls_pod_check(const json_t *pod, struct platform_mtls_ports *ret, struct cc_error *err);
