/* Encrypted writable storage with fscrypt v2 (Documentation/filesystems/fscrypt.rst): the
 * container's writable bind-mount sources are put under an encryption policy keyed with the key
 * named by the annotation run.cocoon.fscrypt.key; delete removes the key from the filesystem, so
 * what the container wrote is unreadable afterwards (crypto-shredding). */
#pragma once

#include "runtime/spec.h"

struct cc_error;

#define RUNTIME_FSCRYPT_KEY_ANNOTATION "run.cocoon.fscrypt.key"

struct runtime_fscrypt {
	char *dir;       /* the encrypted directory (host path) */
	char key_id[33]; /* fscrypt key identifier, hex */
};

/* Reads the key (a file path, or "fd:N" for an inherited descriptor; 32 or 64 bytes), adds it to
 * the filesystem of every writable bind-mount source and sets the policy on each source (which
 * must be empty or already encrypted with this key). Returns the number of directories, with the
 * first recorded in *ret (state keeps one entry). */
int runtime_fscrypt_setup(const struct runtime_spec *spec, const char *key_ref, struct runtime_fscrypt *ret,
			  struct cc_error *err);

/* Removes the key from the filesystem holding dir (crypto-shredding). */
int runtime_fscrypt_shred(const char *dir, const char *key_id_hex, struct cc_error *err);
