/* Secrets left in files: private keys and cloud, code-hosting and payment credentials, found by
 * pattern. A finding names the file, the line and the rule, never the secret: the report goes to
 * CI logs and SIEMs, which must not become the leak. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Files the secret rules read: text (no NUL in the first SCAN_SECRETS_TEXT_PROBE bytes), at most
 * this large. */
#define SCAN_SECRETS_MAX_FILE_SIZE (8u << 20)
#define SCAN_SECRETS_TEXT_PROBE    8192

/* Paths where keys and tokens are fixtures, not secrets (test suites, documentation), as
 * Trivy's default allow rules treat them; path is relative to the root ("usr/share/doc/..."). */
bool scan_secrets_path_exempt(const char *path);

/* Whether data looks like text the rules apply to. */
bool scan_secrets_is_text(const void *data, size_t len);

/* At most this many findings per file: a file of thousands of tokens is one problem, not thousands. */
#define SCAN_SECRETS_MAX_PER_FILE 100

/* Appends to out one object per secret found in data (at most SCAN_SECRETS_MAX_PER_FILE), the content of path (relative
 * to the root, reported as "/path") in layer (NULL when the image has no layers):
 * {"path", "layer", "line", "rule", "title", "severity", "match"}, where match shows the rule's
 * fixed prefix and masks the rest. Returns how many were found. */
size_t scan_secrets_find(const char *data, size_t len, const char *path, const char *layer, json_t *out);

/* The rules (for the documentation and the policy engine): the i-th, NULL past the last. */
struct scan_secret_rule_info {
	const char *id;
	const char *title;
	const char *severity;
};
const struct scan_secret_rule_info *scan_secret_rule(size_t i);
