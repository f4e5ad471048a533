/* A set of names with an index each, for the parser's lookups (a pod's node by name) and its
 * duplicate checks: open addressing over FNV-1a, since 150,000 pods make a linear search the
 * slowest part of reading a cluster. The names are borrowed, not copied. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct scale_names {
	const char **keys;
	size_t *values;
	size_t size; /* a power of two */
	size_t count;
};

void scale_names_init(struct scale_names *names, size_t expected);
void scale_names_free(struct scale_names *names);
/* Adds key with value; false (and no change) when key is there already. */
bool scale_names_add(struct scale_names *names, const char *key, size_t value);
/* Adds key or changes its value. */
void scale_names_set(struct scale_names *names, const char *key, size_t value);
/* The value of key, or false when absent. */
bool scale_names_find(const struct scale_names *names, const char *key, size_t *ret_value);
