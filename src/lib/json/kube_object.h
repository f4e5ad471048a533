/* Reading Kubernetes objects held as JSON: the few questions about a pod or any object that the
 * platform's controllers, its scheduler and the CLI's capacity reader all ask, answered once. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* obj.A.B (either missing: NULL): the spec.nodeName and status.phase of objects. */
const json_t *kube_get2(const json_t *obj, const char *a, const char *b);
/* metadata.FIELD as a string, or NULL. */
const char *kube_meta(const json_t *obj, const char *field);
/* The ownerReference with controller: true, or NULL. */
const json_t *kube_controller_ref(const json_t *obj);
/* The pod's Ready condition is True. */
bool kube_pod_ready(const json_t *pod);
/* The pod has finished (phase Succeeded or Failed): it holds no resources any more. */
bool kube_pod_finished(const json_t *pod);

/* Kubernetes' name rules (k8s.io/apimachinery/pkg/util/validation), as predicates; callers word
 * their own messages. A label name (a qualified name's name part, or a label value):
 * [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, its length (1..KUBE_LABEL_NAME_MAX) checked apart. */
#define KUBE_LABEL_NAME_MAX    63
#define KUBE_DNS_SUBDOMAIN_MAX 253
bool kube_label_name_chars_ok(const char *s, size_t n);
/* An RFC 1123 subdomain's characters: dot-separated labels of [a-z0-9-], each starting and ending
 * with [a-z0-9]; its length (1..KUBE_DNS_SUBDOMAIN_MAX) checked apart. */
bool kube_dns_subdomain_chars_ok(const char *s, size_t n);

/* A taint as kubelet's --register-with-taints spells it, KEY[=VALUE]:EFFECT, split in place (text
 * is cut at the last ':' and the first '='; value is "" without one). The key and value are the
 * caller's to check with its own words. */
enum kube_taint_split_result {
	KUBE_TAINT_OK,
	KUBE_TAINT_NO_EFFECT,  /* no ':' */
	KUBE_TAINT_BAD_EFFECT, /* not NoSchedule, PreferNoSchedule or NoExecute */
};
enum kube_taint_split_result kube_taint_split(char *text, const char **ret_key, const char **ret_value,
					      const char **ret_effect);
