/* The configuration file of `cocoon audit forward` (YAML or JSON), for several outputs that each
 * have their own receiver, TLS material, format and routing:
 *
 *   queue: /var/lib/cocoon/audit-queue
 *   queueMaxBytes: 1073741824
 *   inputs: [k8s-audit:/var/log/kubernetes/audit.log, socket:/run/cocoon/audit.sock]
 *   checkpoint: {key: /etc/cocoon/audit-checkpoint.key, every: 1000}
 *   metrics: 127.0.0.1:9464
 *   redact: [extra.k8s.requestObject]
 *   webhook: {listen: 0.0.0.0:8443, cert: w.crt, key: w.key, clientCA: apiserver-ca.crt}
 *   outputs:
 *   - url: syslog+tls://siem-a.example:6514?min-severity=warning
 *     format: cef
 *     tls: {ca: a-ca.crt, cert: node.crt, key: node.key, serverName: siem-a.example}
 *   - url: file:/var/log/cocoon/audit.jsonl
 *
 * Unknown keys are errors (a misspelt key must not silently leave a default in place). Options on
 * the command line win over the file: audit_config_merge. */
#pragma once

#include "audit/forward.h"

#include <jansson.h>

struct cc_error;

/* Fills cfg from the file. Strings in cfg point into *ret_doc, which the caller keeps until it is
 * done with cfg and then releases with json_decref. *ret_checkpoint_key is the key file's path,
 * or NULL. Inputs and outputs are parsed; audit_config_free frees them. The `webhook` section is
 * an input of the webhook kind, after the others. */
int audit_config_load(const char *path, struct audit_forward_config *cfg, json_t **ret_doc,
		      const char **ret_checkpoint_key, struct cc_error *err);

/* Frees cfg's inputs and outputs. */
void audit_config_free(struct audit_forward_config *cfg);

/* Completes cfg (the command line) with file: settings cfg leaves unset are taken from file, and
 * file's inputs, redactions and outputs are added after cfg's. Inputs and outputs move to cfg
 * (file keeps none). */
int audit_config_merge(struct audit_forward_config *cfg, struct audit_forward_config *file, struct cc_error *err);

/* Gives every input and output the plugin options of the command line its kind takes (--ca,
 * --hec-token-file, ...: see settings.h for which win); an option nothing takes is warned about. */
int audit_config_apply_options(struct audit_forward_config *cfg, const struct audit_options *opts,
			       struct cc_error *err);

/* Every plugin option of the command line, once each (the first kind's help), for the command's
 * option table and --help. Returns how many were put in ret. */
size_t audit_config_plugin_options(const struct audit_setting **ret, size_t max);
