/* A scan's findings as security events: one per malware and secret found (scan/malware.detected,
 * scan/secret.detected; never the secret itself) and one summary, to the process's event sink.
 * Shared by `cocoon scan node` and cocoond's image scanner. */
#pragma once

struct cc_error;
struct scan_result;

struct scan_event_subject {
	const char *where;          /* "node/HOST" or "image/sha256:..."; a detection adds ":PATH" */
	const char *actor;          /* "cocoon scan node", "cocoond image scanner" */
	const char *summary_action; /* "node.scanned", "image.scanned" */
	const char *secret_context; /* appended to a secret's title in the reason, or NULL */
};

/* Returns a negative errno when an event could not be recorded: the caller fails (a detection
 * that is not in the audit stream did not happen, as far as the SIEM knows). */
int scan_emit_events(const struct scan_result *r, const struct scan_event_subject *subject, struct cc_error *err);
