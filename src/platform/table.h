/* Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for (Accept:
 * application/json;as=Table;v=v1;g=meta.k8s.io), with the columns kubectl shows for each kind. */
#pragma once

#include "platform/resources.h"

#include <jansson.h>
#include <stdbool.h>

/* A Table of items (an array of objects); each row carries the object's metadata. */
json_t *platform_table(const struct platform_resource *r, const json_t *items, const char *resource_version);
/* kubectl's Accept header asks for a Table. */
bool platform_wants_table(const char *accept);
/* Kubernetes' human duration for an age: 5s, 2m30s, 45m, 3h20m, 2d4h, 300d, 2y. */
void platform_human_age(const char *creation_timestamp, char *out, size_t size);
