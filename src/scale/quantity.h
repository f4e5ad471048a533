/* Kubernetes resource quantities as the planner reads them: cpu in millicores ("4000m", "4", "0.5")
 * and memory in bytes ("8Gi", "512Mi", "1G", "1500"). Strict on purpose: a quantity the API server
 * would refuse, or one whose meaning is doubtful (milli-bytes, an exponent, a negative value), is an
 * error that says which form to use, never a guess. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* The largest quantity accepted: 2^60 bytes (1 Ei) or 2^60 millicores; far above any node, far below
 * int64 overflow when thousands are summed. */
#define SCALE_QUANTITY_MAX (INT64_C(1) << 60)

/* "4000m" -> 4000, "4" -> 4000, "0.5" -> 500. A fraction finer than a millicore is rounded up, as
 * Kubernetes does. */
int scale_parse_cpu(const char *text, int64_t *ret_milli, struct cc_error *err);
/* "8Gi" -> 8589934592, "1G" -> 1000000000, "1500" -> 1500, "1.5Gi" (rounded up to a byte). Suffixes:
 * Ki Mi Gi Ti Pi Ei (powers of 1024) and k M G T P E (powers of 1000). */
int scale_parse_memory(const char *text, int64_t *ret_bytes, struct cc_error *err);

/* The same from a JSON value: a string as above, or a number (cores for cpu, bytes for memory).
 * what names the field in messages ("pod `a/b` requests.cpu"). */
int scale_json_cpu(const json_t *value, const char *what, int64_t *ret_milli, struct cc_error *err);
int scale_json_memory(const json_t *value, const char *what, int64_t *ret_bytes, struct cc_error *err);

/* Shortest exact text: "4", "4500m"; "8Gi", "512Mi", "1500". */
void scale_format_cpu(int64_t milli, char *buf, size_t size);
void scale_format_memory(int64_t bytes, char *buf, size_t size);
