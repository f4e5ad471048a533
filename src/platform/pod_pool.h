/* The filesystem encrypted pod volumes live on: fscrypt needs ext4 (or f2fs) with the `encrypt`
 * feature, which a host's root filesystem rarely has. The runner keeps one of its own: a sparse
 * image DATA/encrypted.img (mkfs.ext4 -O encrypt) loop-mounted at RUN/encrypted, made on first use
 * and unmounted by `cocoon down`. Each pod's encrypted emptyDirs are a directory in it, encrypted
 * with the pod's key by cocoon-runtime (run.cocoon.fscrypt.key). */
#pragma once

struct cc_error;

/* Mounts the pool at mount_dir, making image (size_mb) first when missing. Idempotent. */
int pod_pool_ensure(const char *image, const char *mount_dir, unsigned size_mb, struct cc_error *err);
