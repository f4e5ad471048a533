/* Misconfiguration of an image's own config (the OCI image config's `config` object): what the
 * image does when it runs, whatever the workload that runs it says. */
#pragma once

#include <jansson.h>

struct scan_image;

/* Appends {"id", "title", "severity", "category": "image-config", "field", "message"} to out for
 * each problem: IMG-ROOT-USER, IMG-LATEST-TAG, IMG-NO-DIGEST, IMG-SECRET-ENV, IMG-SSH-PORT. An
 * image without a config (a directory, a root filesystem tar) has none to check. */
void scan_image_config_check(const struct scan_image *img, json_t *out);

/* The image config as a report may show it: created, architecture, os and config's User,
 * ExposedPorts, Env, WorkingDir, Labels and StopSignal copied, environment values that look like
 * secrets (by their name or a secret rule) replaced by "<redacted>"; never history (its created_by
 * repeats ENV and ARG values), container_config, Entrypoint or Cmd. NULL without a config. */
json_t *scan_image_config_redacted(const json_t *config);
