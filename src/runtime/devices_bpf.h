/* Device access control for cgroup v2: v2 has no devices controller; access is decided by an eBPF
 * program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup (the kernel's
 * Documentation/admin-guide/cgroup-v2.rst "Device controller"). The rules are the ones the v1
 * devices controller gets: default deny, the config's linux.resources.devices, the default devices. */
#pragma once

#include <jansson.h>

struct cc_error;

/* Builds the program from rules (linux.resources.devices, may be NULL) and attaches it to the
 * cgroup v2 directory dir. */
int runtime_devices_bpf_attach(const char *dir, const json_t *rules, struct cc_error *err);
