/* The extractors of the policy fields (policy_fields.c lists them): policy_extract.c reads the
 * scanner's report (the image, its config, findings, packages, malware, secrets, misconfigurations),
 * policy_extract_pod.c a Kubernetes pod spec (the workload, its volumes and containers). Each appends
 * the field's values for the subject and returns 0, POLICY_NOT_JUDGED, or a negative errno for facts
 * of the wrong shape (see policy_internal.h). */
#pragma once

#include "scan/policy_internal.h"

#include <jansson.h>

struct cc_error;

/* obj[key] when it is of type (NULL when absent or null; JSON_TRUE takes either boolean, JSON_REAL
 * any number); -EINVAL naming where ("facts: WHERE: `KEY` is not a string") when it is not. */
int policy_member(const json_t *obj, const char *key, json_type type, const char *where, const json_t **ret,
		  struct cc_error *err);
void policy_add_string(json_t *values, const char *s);
/* The OCI image config of the subject's report (image.config) and its `config` member (NULL when the
 * config has none, which OCI allows); POLICY_NOT_JUDGED without a report or a config. */
int policy_image_config(const struct policy_subject *s, const json_t **ret_oci, const json_t **ret_run,
			struct cc_error *err);

int policy_extract_image_registry(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_image_remote(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_image_tag(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_image_digest(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_image_user(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_image_age(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_exposed_port(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_image_scanned(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_image_os(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_environment(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_privileged(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_allow_privilege_escalation(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_read_only_root(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_run_as_non_root(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_add_capabilities(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_drop_capabilities(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_container_port(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_container_name(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_namespace(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_label(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_annotation(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_host_network(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_host_pid(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_host_ipc(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_runtime_class(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_volume_type(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_host_path(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_cve(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_severity(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_fixed_by(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_fixable(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_cvss(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_package_name(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_package_version(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_malware(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_secret(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_misconfig(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_misconfig_category(const struct policy_subject *s, json_t *values, struct cc_error *err);
int policy_extract_misconfig_severity(const struct policy_subject *s, json_t *values, struct cc_error *err);
