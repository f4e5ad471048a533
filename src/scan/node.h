/* Scanning a host's own filesystem (`cocoon scan node`), the EDR side of the scanner: the same
 * inventory, matching, malware and secret rules as an image, over the live root directory. The
 * walk stays out of kernel and pseudo filesystems (/proc, /sys, cgroups, tracefs, ...), of network
 * and FUSE mounts (their server, not this host, holds the data) and of container overlay mounts
 * (their layers are scanned where they lie), and of the paths the operator excludes. Secrets
 * count only in world-readable files. Detections and the summary go to the audit stream. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cc_error;
struct scan_options;
struct scan_result;

struct scan_node_options {
	const char *const *exclude; /* paths under the root not to enter ("/var/lib/big"), NULL-ended */
	size_t n_exclude;
	bool remote; /* also network and FUSE mounts */
};

/* Scans the host whose root directory is root (usually "/") with opts (whose host walk it sets). */
int scan_run_node(const char *root, const struct scan_node_options *node, const struct scan_options *opts,
		  struct scan_result *ret, struct cc_error *err);

/* One security event per malware and secret found (scan/malware.detected, scan/secret.detected,
 * never the secret itself) and one summary (scan/node.scanned), to the process's event sink.
 * Returns a negative errno when one could not be recorded: the caller fails (a detection that is
 * not in the audit stream did not happen, as far as the SIEM knows). */
int scan_node_emit_events(const struct scan_result *r, const char *host, struct cc_error *err);
