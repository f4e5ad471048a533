/* The policy engine (docs/scan.md, "Policies"): declarative security policies in YAML or JSON, as
 * StackRox writes them (lifecycle stages; sections OR'ed, the criteria of a section AND'ed, the values
 * of a criterion OR'ed unless it says `match: all`; negation; an enforcement per stage), judged
 * against the facts of one build, admission or running pod. The CLI (`cocoon scan image`,
 * `cocoon scan policy`), the admission webhook and cocoond use this one engine, so a policy means the
 * same wherever it is judged.
 *
 * Facts are one JSON object:
 *   {"stage": "build"|"deploy"|"runtime",
 *    "image": REPORT | null,                     the scanner's report (report.h) of the image
 *    "images": {"IMAGE REF": REPORT, ...},       optional: per container image, by its reference
 *    "workload": {"kind", "namespace", "name", "labels", "annotations", "podSpec"} | null,
 *    "now": "RFC 3339 time"}                     optional: the time Image Age is counted to
 * A container's image report is images[its image], else image. */
#pragma once

#include "lib/base/cleanup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;
struct scan_policy_set;

enum scan_policy_stage {
	SCAN_POLICY_STAGE_BUILD,
	SCAN_POLICY_STAGE_DEPLOY,
	SCAN_POLICY_STAGE_RUNTIME,
	SCAN_POLICY_STAGE_MAX,
};

/* What a violation does at its stage: inform (listed), warn (listed and shown to who asked: a CI
 * log, an admission warning), fail (build only: the CI step fails), deny (deploy: admission refuses
 * the workload; runtime: the daemon stops it). */
enum scan_policy_enforcement {
	SCAN_POLICY_INFORM,
	SCAN_POLICY_WARN,
	SCAN_POLICY_FAIL,
	SCAN_POLICY_DENY,
	SCAN_POLICY_ENFORCEMENT_MAX,
};

/* Facts larger than this are refused by readers of facts files (a report of a large image is tens
 * of MB). */
#define SCAN_POLICY_FACTS_MAX (256u * 1024 * 1024)

const char *scan_policy_stage_name(enum scan_policy_stage stage);
/* -EINVAL (without a message) for anything but build, deploy and runtime. */
int scan_policy_stage_parse(const char *name, enum scan_policy_stage *ret);
const char *scan_policy_enforcement_name(enum scan_policy_enforcement enforcement);

struct scan_policy_set *scan_policy_set_new(void);
void scan_policy_set_free(struct scan_policy_set *set);
CC_DEFINE_CLEANUP_FUNC(struct scan_policy_set *, scan_policy_set_free)

/* Loading: every document is checked whole (fields, types, operators, regular expressions, stages,
 * enforcement) before any is added, so a failed load leaves the set as it was; the message names the
 * file, the policy, the section and the criterion. A policy loaded from a file replaces a default
 * policy of the same name; two other policies of one name are refused. */
int scan_policy_load_default(struct scan_policy_set *set, struct cc_error *err);
/* A file (YAML or JSON; several documents, a list, or a `kind: List` with `items`), or a directory
 * whose *.yaml, *.yml and *.json files are read in name order. */
int scan_policy_load_path(struct scan_policy_set *set, const char *path, struct cc_error *err);
int scan_policy_load_data(struct scan_policy_set *set, const char *data, size_t len, const char *what,
			  struct cc_error *err);

/* Checks a file or directory policy by policy, calling report with each problem (one sentence
 * naming the file and policy) instead of stopping at the first. Returns the number of problems, or a
 * negative errno when the path cannot be read at all (also reported). */
int scan_policy_lint_path(const char *path, void (*report)(void *ctx, const char *problem), void *ctx);

size_t scan_policy_set_size(const struct scan_policy_set *set);
/* [{"name", "severity", "stages", "enforcement": {stage: action}, "disabled", "description", "categories",
 *   "rationale", "remediation", "source", "sections"}], in load order. */
json_t *scan_policy_set_json(const struct scan_policy_set *set);
/* The field catalogue: [{"name", "type", "stages", "operators", "description"}]. */
json_t *scan_policy_fields_json(void);

/* Judges every enabled policy of facts' stage. *ret_violations is an array of
 *   {"policy", "severity", "stage", "enforcement", "section" (the first section that matched),
 *    "sections", "messages": ["CVE-2022-1271 (high) in gzip 1.10-4, fixed in 1.12-1", ...],
 *    "remediation"}
 * Facts that are not of the documented shape are refused (-EINVAL, naming the member): a security
 * decision is never made on facts misread. */
int scan_policy_evaluate(const struct scan_policy_set *set, const json_t *facts, json_t **ret_violations,
			 struct cc_error *err);

/* Whether a violation of stage requires blocking: `fail` at build (the CLI), `deny` at deploy (the
 * webhook) and runtime (the daemon). An evaluation that failed must be treated as blocking too. */
bool scan_policy_blocks(const json_t *violations, enum scan_policy_stage stage);
/* One sentence for a refusal: `policy "privileged-container": container "app" is privileged; ...`
 * listing the blocking violations of stage (malloc'd), or NULL when none blocks. */
char *scan_policy_refusal(const json_t *violations, enum scan_policy_stage stage);

/* Facts for the common cases: an image report at build, a workload with its images' reports at
 * deploy. The facts hold references of their own; any may be NULL. */
json_t *scan_policy_facts(enum scan_policy_stage stage, json_t *image, json_t *images, json_t *workload);
