/* Kubernetes' protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf), which kubectl
 * 1.33 sends for `kubectl create namespace|serviceaccount|deployment|service|secret|configmap|role|
 * clusterrole|rolebinding|clusterrolebinding|token` and client-go does not retry as JSON after a 415.
 * A body is decoded into the JSON object kube-apiserver's JSON codec would write for the same object,
 * so everything after the body parser sees one format. Pure function: no I/O, no global state. */
#pragma once

#include <jansson.h>
#include <stddef.h>

struct cc_error;

#define PLATFORM_PROTOBUF_CONTENT_TYPE "application/vnd.kubernetes.protobuf"
/* A body larger than this is refused (-E2BIG): the limit JSON bodies have (CC_JSON_MAX_SIZE). */
#define PLATFORM_PROTOBUF_MAX_SIZE (4u * 1024 * 1024)
/* Messages nested deeper than this are refused: the deepest real path (a pod template's volume's
 * ephemeral claim's selector's expression) is about 12. */
#define PLATFORM_PROTOBUF_MAX_DEPTH 64
/* JSON values one body may decode into. Two bytes of protobuf (an empty list element) become a JSON
 * object of some 100 bytes of memory; this caps what a 4 MiB body can make the decoder allocate. */
#define PLATFORM_PROTOBUF_MAX_VALUES (256u * 1024)

/* Decodes a Kubernetes protobuf body: the 4-byte magic "k8s\0" then a runtime.Unknown message
 * (typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4); raw is the object.
 * *ret is the object as JSON with "apiVersion" and "kind" set from typeMeta. -EINVAL with err naming
 * the problem (truncated varint, wrong wire type, field of the wrong type, nesting too deep, ...);
 * -ENOTSUP (err says which) for a kind without a schema or a content encoding; -E2BIG for a body over
 * PLATFORM_PROTOBUF_MAX_SIZE or one that decodes into more than PLATFORM_PROTOBUF_MAX_VALUES values.
 * Never crashes on any input. */
int platform_protobuf_decode(const void *data, size_t len, json_t **ret, struct cc_error *err);
