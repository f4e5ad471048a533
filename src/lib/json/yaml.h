/* YAML (libyaml) loaded into the same jansson tree as JSON, so every component handles manifests
 * and configs one way whatever their syntax. Scalars are typed the way Kubernetes' YAML reader
 * (sigs.k8s.io/yaml, YAML 1.1 rules) types them: `yes`/`on` are booleans, `0x1f` and `0755` are
 * integers, `~` is null; quoted scalars are always strings. Merge keys (`<<`) are applied. */
#pragma once

#include <jansson.h>
#include <stddef.h>

struct cc_error;

#define CC_YAML_MAX_SIZE (4u * 1024 * 1024)
/* Values produced after alias expansion; stops "billion laughs" documents. */
#define CC_YAML_MAX_NODES 1000000

/* Parses every document of a YAML stream into a JSON array (one element per document; empty
 * documents are skipped, as kubectl does). what names the input in messages. */
int cc_yaml_parse_stream(const char *data, size_t len, const char *what, json_t **ret_docs, struct cc_error *err);

/* Parses a stream that must hold exactly one document. */
int cc_yaml_parse_one(const char *data, size_t len, const char *what, json_t **ret, struct cc_error *err);

/* Reads a file (limit CC_YAML_MAX_SIZE) and parses its stream. JSON files work too (JSON is YAML). */
int cc_yaml_load_file(const char *path, json_t **ret_docs, struct cc_error *err);
