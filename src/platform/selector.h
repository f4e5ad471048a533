/* Label and field selectors of the Kubernetes API, as kube-apiserver parses and matches them
 * (k8s.io/apimachinery/pkg/labels and pkg/fields):
 *   ?labelSelector=app=web,tier in (a,b),!canary      the string form, also what `kubectl -l` sends
 *   {matchLabels: {...}, matchExpressions: [...]}      the object form of Deployment.spec.selector
 *   ?fieldSelector=metadata.name=web,status.phase!=Running
 * A selector is parsed once into plain data and matched against many objects. */
#pragma once

#include "lib/base/cleanup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;

enum platform_selector_op {
	PLATFORM_SELECTOR_EQUALS,         /* key=value, key==value; matchLabels */
	PLATFORM_SELECTOR_NOT_EQUALS,     /* key!=value: also true when the label is absent */
	PLATFORM_SELECTOR_IN,             /* key in (a,b) */
	PLATFORM_SELECTOR_NOT_IN,         /* key notin (a,b): also true when the label is absent */
	PLATFORM_SELECTOR_EXISTS,         /* key */
	PLATFORM_SELECTOR_DOES_NOT_EXIST, /* !key */
	PLATFORM_SELECTOR_GREATER_THAN,   /* key>5: both sides integers (node affinity's Gt) */
	PLATFORM_SELECTOR_LESS_THAN,      /* key<5 */
};

struct platform_selector_requirement {
	char *key;
	enum platform_selector_op op;
	char **values; /* sorted, without duplicates */
	size_t n_values;
};

struct platform_selector {
	/* A null selector in the object form selects nothing (metav1.LabelSelectorAsSelector); an
	 * empty one, in either form, selects everything. */
	bool nothing;
	struct platform_selector_requirement *requirements; /* all must hold */
	size_t n_requirements;
};

/* The string form. "" selects everything. Errors (-EINVAL) say "unable to parse requirement" and
 * name the offending term, as kube-apiserver's 400 answer does. */
int platform_selector_parse(const char *text, struct platform_selector **ret, struct cc_error *err);
/* The object form; NULL or JSON null selects nothing. Errors name the field (matchExpressions[1].operator). */
int platform_selector_from_json(const json_t *selector, struct platform_selector **ret, struct cc_error *err);
/* labels: the object's metadata.labels (an object of strings), or NULL when it has none. */
bool platform_selector_matches(const struct platform_selector *selector, const json_t *labels);
/* The string form again, requirements sorted by key as Kubernetes prints them (the scale
 * subresource's status.selector, `kubectl describe`). A new string for free(). */
char *platform_selector_format(const struct platform_selector *selector);
/* A deep copy, for a watch that outlives the request it came with. */
struct platform_selector *platform_selector_copy(const struct platform_selector *selector);
void platform_selector_free(struct platform_selector *selector);
CC_DEFINE_CLEANUP_FUNC(struct platform_selector *, platform_selector_free)

/* Validation of label keys and values, as for metadata.labels (k8s.io/apimachinery/pkg/util/validation):
 * a key is an optional DNS subdomain prefix (≤253) and '/', then a name of ≤63 characters of
 * [A-Za-z0-9-_.] beginning and ending alphanumeric; a value is empty or such a name. -EINVAL and
 * the reason otherwise. */
int platform_label_key_check(const char *key, struct cc_error *err);
int platform_label_value_check(const char *value, struct cc_error *err);

struct platform_field_requirement {
	char *field;  /* dotted path: "metadata.name", "status.phase", "involvedObject.name" */
	char *value;  /* unescaped (\, \= and \\ in the string form) */
	bool negated; /* != */
};

struct platform_field_selector {
	struct platform_field_requirement *requirements; /* all must hold */
	size_t n_requirements;
};

/* The string form; "" selects everything. Any field name is accepted: which fields a kind supports
 * is the caller's to decide (platform_field_selector_check). -EINVAL for a term without an operator
 * or a value with an unescaped ',' or '=' or a bad escape. */
int platform_field_selector_parse(const char *text, struct platform_field_selector **ret, struct cc_error *err);
/* Matches an object by its fields' values: a string as it is, an integer in decimal, a boolean as
 * true/false; an absent or null field is "" (so `spec.nodeName=` selects unscheduled pods). An
 * object or a list equals no value. */
bool platform_field_selector_matches(const struct platform_field_selector *selector, const json_t *object);
/* The distinct fields the selector uses, in order: a NULL-terminated array to free() (the strings
 * belong to the selector). */
const char **platform_field_selector_fields(const struct platform_field_selector *selector);
/* -EINVAL, naming the first field not in the NULL-terminated list supported, with kube-apiserver's
 * words ("field label not supported: spec.foo"); 0 when all are. */
int platform_field_selector_check(const struct platform_field_selector *selector, const char *const *supported,
				  struct cc_error *err);
struct platform_field_selector *platform_field_selector_copy(const struct platform_field_selector *selector);
void platform_field_selector_free(struct platform_field_selector *selector);
CC_DEFINE_CLEANUP_FUNC(struct platform_field_selector *, platform_field_selector_free)
