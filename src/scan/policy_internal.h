/* What the parts of the policy engine share: the loaded policy (policy.c reads it), the field
 * catalogue (policy_fields.c), and the subject a criterion is judged on (policy_eval.c walks the
 * facts and fills it in). */
#pragma once

#include "scan/policy.h"

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_buf;
struct cc_error;

/* Bounds on a policy, so a hostile or mistaken file cannot make evaluation slow. */
#define POLICY_MAX_POLICIES 10000
#define POLICY_MAX_SECTIONS 64
#define POLICY_MAX_CRITERIA 32
#define POLICY_MAX_VALUES   256
#define POLICY_MAX_VALUE    1024 /* bytes of one value or regular expression */
#define POLICY_MAX_TEXT     8192 /* bytes of a description, rationale or remediation */
#define POLICY_MAX_NAME     253
/* Messages kept per violation; the rest are counted ("... and 12 more"). Values a message names per
 * criterion. Both keep the work of gathering messages linear in the facts. */
#define POLICY_MAX_MESSAGES 50
#define POLICY_MAX_PHRASES  16

enum policy_type {
	POLICY_TYPE_STRING,
	POLICY_TYPE_BOOL,
	POLICY_TYPE_NUMBER,
	POLICY_TYPE_SEVERITY, /* ordered: unknown < negligible < low < medium < high < critical */
	POLICY_TYPE_MAX,
};

/* What a field describes. A section's criteria on one kind of entity must hold for the same entity
 * (one finding is both fixable and critical, one container both privileged and root); entities nest
 * workload > container > image > finding/package/malware/secret/misconfiguration, and a workload's
 * volumes sit beside its containers. */
enum policy_entity {
	POLICY_ENTITY_WORKLOAD,
	POLICY_ENTITY_VOLUME,
	POLICY_ENTITY_CONTAINER,
	POLICY_ENTITY_IMAGE,
	POLICY_ENTITY_FINDING,
	POLICY_ENTITY_PACKAGE,
	POLICY_ENTITY_MALWARE,
	POLICY_ENTITY_SECRET,
	POLICY_ENTITY_MISCONFIG,
	POLICY_ENTITY_MAX,
};

enum policy_op {
	POLICY_OP_EQ,
	POLICY_OP_REGEX,
	POLICY_OP_LT,
	POLICY_OP_LE,
	POLICY_OP_GT,
	POLICY_OP_GE,
	POLICY_OP_EXISTS,
	POLICY_OP_MAX,
};

#define POLICY_STAGE_BIT(s) (1u << (s))
#define POLICY_STAGES_IMAGE                                                                                            \
	(POLICY_STAGE_BIT(SCAN_POLICY_STAGE_BUILD) | POLICY_STAGE_BIT(SCAN_POLICY_STAGE_DEPLOY) |                      \
	 POLICY_STAGE_BIT(SCAN_POLICY_STAGE_RUNTIME))
#define POLICY_STAGES_WORKLOAD                                                                                         \
	(POLICY_STAGE_BIT(SCAN_POLICY_STAGE_DEPLOY) | POLICY_STAGE_BIT(SCAN_POLICY_STAGE_RUNTIME))

/* Everything one criterion is judged on; the walk sets what the current entity has. */
struct policy_subject {
	enum scan_policy_stage stage;
	long long now;           /* Unix seconds, for Image Age */
	const json_t *workload;  /* NULL without one */
	const json_t *pod_spec;  /* workload.podSpec */
	const json_t *volume;    /* one of podSpec.volumes */
	const json_t *container; /* one of podSpec's containers; NULL for an image judged alone */
	const char *container_name;
	const char *const *image_refs; /* the references the image goes by (NULL-terminated) */
	const json_t *report;          /* the image's scan report, or NULL when there is none */
	const json_t *item;            /* a finding, package, malware, secret or misconfiguration */
	enum policy_entity item_kind;
};

/* Field flags. */
#define POLICY_FIELD_FOLD_CASE  0x1u /* values compare case-insensitively */
#define POLICY_FIELD_CAPABILITY 0x2u /* values are capabilities: upper case, no CAP_ prefix */
#define POLICY_FIELD_WITHHOLD   0x4u /* KEY=VALUE whose value a message must not show */

/* An extractor appends the field's values for the subject to values (strings, numbers or booleans
 * as the field's type says) and returns 0, POLICY_NOT_JUDGED when the subject does not have what the
 * field needs (no scan report, no image config), or a negative errno when the facts are malformed. */
#define POLICY_NOT_JUDGED 1
typedef int (*policy_extract_fn)(const struct policy_subject *s, json_t *values, struct cc_error *err);

struct policy_field {
	const char *name;
	enum policy_type type;
	enum policy_entity entity;
	unsigned stages; /* POLICY_STAGE_BIT()s the field can be judged at */
	unsigned flags;
	/* In messages: a bool's phrase when true and when false ("is privileged", "is not privileged");
	 * another field's phrase for a value ("adds capability %s") and its noun for a negation ("has no
	 * dropped capability ALL"). */
	const char *phrase;
	const char *phrase_not;
	const char *description;
	policy_extract_fn extract;
};

extern const struct policy_field policy_fields[];
extern const size_t policy_fields_count;

/* The field of that name (case-insensitive), or NULL. */
const struct policy_field *policy_field_find(const char *name);
const char *policy_type_name(enum policy_type type);
/* The rank of a severity name (unknown 0 ... critical 5; -1 for anything else), the order of
 * scan_severity_rank() in report.c, kept here so the engine links without the image reader. */
int policy_severity_rank(const char *name);
const char *policy_severity_name(int rank);
/* A capability's name as compared: upper case without CAP_ (in place). */
void policy_capability_normalize(char *name);
/* What a finding, package, malware, secret or misconfiguration is, for a message. */
void policy_item_describe(struct cc_buf *out, enum policy_entity kind, const json_t *item);

struct policy_value {
	enum policy_op op;
	char *text;    /* as written (normalized for capabilities) */
	double number; /* numbers; severities as their rank; bools 0 or 1 */
	regex_t re;
	bool has_re;
};

struct policy_criterion {
	const struct policy_field *field;
	enum policy_entity entity; /* the field's, or the finding's for a package field beside finding fields */
	enum policy_op op;         /* as written; comparisons may also come per value */
	bool negate;
	bool match_all;
	struct policy_value *values;
	size_t n_values;
};

struct policy_section {
	char *name; /* as written, or "section N" */
	bool named;
	struct policy_criterion *criteria;
	size_t n_criteria;
	unsigned entities; /* 1 << policy_entity for each entity its criteria judge */
};

struct policy {
	char *name;
	char *description;
	char *rationale;
	char *remediation;
	char *source; /* the file, or "default" */
	bool from_default;
	bool disabled;
	int severity; /* rank, low .. critical */
	unsigned stages;
	enum scan_policy_enforcement enforcement[SCAN_POLICY_STAGE_MAX];
	json_t *categories;
	struct policy_section *sections;
	size_t n_sections;
};

struct scan_policy_set {
	struct policy **policies;
	size_t n_policies;
	size_t cap;
};

void policy_free(struct policy *p);

/* policy_parse.c: one SecurityPolicy document; what names the file, index the document in it. */
int policy_parse(const json_t *doc, const char *what, size_t index, struct policy **ret, struct cc_error *err);
/* The policy documents of a parsed YAML stream: each document, the elements of a document that is
 * a list, the items of a `kind: List`. */
json_t *policy_documents(json_t *stream);
/* The operators a field of type takes, by name. */
json_t *policy_operators_json(enum policy_type type);
