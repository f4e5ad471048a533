/* The parser's name index (see names.h). */
#include "scale/names.h"

#include "lib/base/cleanup.h"

#include <stdint.h>
#include <string.h>

static uint64_t hash_name(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

void scale_names_init(struct scale_names *names, size_t expected)
{
	size_t size = 16;
	while (size < expected * 2)
		size *= 2;
	names->keys = cc_xcalloc(size, sizeof(*names->keys));
	names->values = cc_xcalloc(size, sizeof(*names->values));
	names->size = size;
	names->count = 0;
}

void scale_names_free(struct scale_names *names)
{
	free(names->keys);
	free(names->values);
	names->keys = NULL;
	names->values = NULL;
	names->size = names->count = 0;
}

static void grow(struct scale_names *names)
{
	struct scale_names bigger;
	scale_names_init(&bigger, names->size);
	for (size_t i = 0; i < names->size; i++)
		if (names->keys[i])
			scale_names_add(&bigger, names->keys[i], names->values[i]);
	scale_names_free(names);
	*names = bigger;
}

bool scale_names_add(struct scale_names *names, const char *key, size_t value)
{
	if ((names->count + 1) * 2 > names->size)
		grow(names);
	size_t mask = names->size - 1;
	for (size_t i = hash_name(key) & mask;; i = (i + 1) & mask) {
		if (!names->keys[i]) {
			names->keys[i] = key;
			names->values[i] = value;
			names->count++;
			return true;
		}
		if (strcmp(names->keys[i], key) == 0)
			return false;
	}
}

bool scale_names_find(const struct scale_names *names, const char *key, size_t *ret_value)
{
	if (names->size == 0)
		return false;
	size_t mask = names->size - 1;
	for (size_t i = hash_name(key) & mask; names->keys[i]; i = (i + 1) & mask) {
		if (strcmp(names->keys[i], key) == 0) {
			*ret_value = names->values[i];
			return true;
		}
	}
	return false;
}

void scale_names_set(struct scale_names *names, const char *key, size_t value)
{
	if (scale_names_add(names, key, value))
		return;
	size_t mask = names->size - 1;
	for (size_t i = hash_name(key) & mask; names->keys[i]; i = (i + 1) & mask)
		if (strcmp(names->keys[i], key) == 0) {
			names->values[i] = value;
			return;
		}
}
