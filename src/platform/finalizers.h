/* metadata.finalizers, as kube-apiserver's generic registry keeps them: a delete of an object that
 * has finalizers only marks it (deletionTimestamp, deletionGracePeriodSeconds 0) and keeps it; the
 * update that removes the last finalizer of a marked object removes it. The names here are the
 * ones the garbage collector acts on (propagationPolicy Orphan and Foreground). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define PLATFORM_FINALIZER_ORPHAN     "orphan"
#define PLATFORM_FINALIZER_FOREGROUND "foregroundDeletion"

/* metadata.finalizers is a non-empty array. */
bool platform_finalizers_pending(const json_t *obj);
bool platform_finalizers_has(const json_t *obj, const char *name);
/* Adds name unless present; true when it was added. */
bool platform_finalizers_add(json_t *obj, const char *name);
/* Removes name; true when it was there. An emptied list goes (kube-apiserver drops it). */
bool platform_finalizers_remove(json_t *obj, const char *name);

/* Marks obj for deletion at now_ns (RFC 3339, whole seconds) unless it is marked already, and sets
 * deletionGracePeriodSeconds to 0 (what is left to wait for is the finalizers). True when it changed
 * anything, so a repeated delete writes nothing. */
bool platform_finalizers_mark(json_t *obj, int64_t now_ns);

/* updated takes the last finalizer off stored, a marked object with nothing else to wait for: the
 * update removes the object. */
bool platform_finalizers_released(const json_t *stored, const json_t *updated);

/* The finalizer names of obj that old does not have, as a JSON array (a new reference). */
json_t *platform_finalizers_added(const json_t *old, const json_t *obj);
