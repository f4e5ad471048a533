/* Kubernetes audit events (audit.k8s.io/v1 Event, one JSON object per line in the API server's
 * audit log) mapped onto the cocoon event model. The original event is kept in extra.k8s. */
#pragma once

#include "lib/event/event.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct cc_error;

/* Mapping (docs/design/events.md, "Kubernetes audit events"):
 *   auditID -> id, stageTimestamp (else requestReceivedTimestamp) -> time, component "k8s-apiserver",
 *   verb -> action "k8s.<verb>", user.username -> actor, objectRef -> object
 *   "<resource>[/<subresource>] <namespace>/<name>", objectRef.namespace -> tenant,
 *   responseStatus.code -> verdict (<400 allow, 401/403 deny, else error) and severity,
 *   annotations "authorization.k8s.io/reason" -> reason. */
int audit_k8s_to_event(const json_t *k8s, struct cc_event **ret, struct cc_error *err);

/* The same from one line of the audit log, without building a tree: the line is checked and
 * brought to canonical form in one pass (k8s_line.c), and the original is kept in extra.k8s as
 * that text. Accepts and refuses exactly the lines that cc_json_parse + audit_k8s_to_event do,
 * and gives the same event; fuzz_audit_line checks both byte for byte. */
int audit_k8s_line_to_event(const char *line, size_t len, struct cc_event **ret, struct cc_error *err);

/* The same, reusing one scanner's buffers line after line (one scanner per thread). */
struct audit_k8s_scanner;
struct audit_k8s_scanner *audit_k8s_scanner_new(void);
void audit_k8s_scanner_free(struct audit_k8s_scanner *s);
int audit_k8s_scanner_read(struct audit_k8s_scanner *s, const char *line, size_t len, struct cc_event **ret,
			   struct cc_error *err);

/* The fields the mapping reads, as both paths find them. A string field is NULL when absent,
 * null, or not a string; *_not_string marks a present required field of another type. */
struct audit_k8s_fields {
	const char *kind, *api_version;
	const char *audit_id, *verb;
	bool audit_id_not_string, verb_not_string;
	const char *stage_timestamp, *received_timestamp;
	const char *username;
	bool has_object_ref;
	const char *resource, *subresource, *namespace_, *name;
	int64_t code; /* responseStatus.code when an integer, else 0 */
	const char *reason;
};

/* The event for those fields, without extra.k8s and extra.sourceIPs (the caller adds them). */
int audit_k8s_fields_to_event(const struct audit_k8s_fields *f, struct cc_event **ret, struct cc_error *err);
