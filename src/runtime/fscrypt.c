/* fscrypt v2 policies and keys through the FS_IOC_* ioctls. The key is held only in a buffer that
 * is wiped after the ioctl; the kernel keeps it in the filesystem's keyring until removal. */
#include "runtime/fscrypt.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/secure.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fscrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_MAX 64

static int read_key(const char *ref, uint8_t key[KEY_MAX], size_t *ret_len, struct cc_error *err)
{
	_cleanup_close_ int fd = -1;
	if (strncmp(ref, "fd:", 3) == 0) {
		char *end;
		long n = strtol(ref + 3, &end, 10);
		if (*end || n < 3)
			return cc_error_set(err, EINVAL, "annotation %s: `%s` is not fd:N with N >= 3",
					    RUNTIME_FSCRYPT_KEY_ANNOTATION, ref);
		fd = dup((int)n);
	} else {
		fd = open(ref, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open fscrypt key `%s`", ref);
	ssize_t n = read(fd, key, KEY_MAX);
	uint8_t extra;
	if (n < 0)
		return cc_error_set_errno(err, errno, "read fscrypt key `%s`", ref);
	if ((n != 32 && n != 64) || read(fd, &extra, 1) > 0) {
		cc_wipe(key, KEY_MAX);
		return cc_error_set(err, EINVAL, "fscrypt key `%s` must be exactly 32 or 64 bytes", ref);
	}
	*ret_len = (size_t)n;
	return 0;
}

static bool dir_is_empty(int fd)
{
	int d = dup(fd);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	if (!dir)
		return false;
	struct dirent *de;
	bool empty = true;
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(dir);
	return empty;
}

static int encrypt_dir(const char *dir, const uint8_t *key, size_t key_len, char key_id_hex[33], struct cc_error *err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open `%s` for encryption", dir);
	/* struct fscrypt_add_key_arg ends in a flexible array for the raw key. */
	union {
		struct fscrypt_add_key_arg arg;
		uint8_t bytes[sizeof(struct fscrypt_add_key_arg) + KEY_MAX];
	} add = { 0 };
	add.arg.key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	add.arg.raw_size = (__u32)key_len;
	memcpy(add.arg.raw, key, key_len);
	int r = ioctl(fd, FS_IOC_ADD_ENCRYPTION_KEY, &add.arg);
	int saved = errno;
	uint8_t identifier[FSCRYPT_KEY_IDENTIFIER_SIZE];
	memcpy(identifier, add.arg.key_spec.u.identifier, sizeof(identifier));
	cc_wipe(&add, sizeof(add));
	if (r < 0)
		return cc_error_set_errno(
		    err, saved,
		    "add the fscrypt key for `%s` (the filesystem needs encryption support: mkfs.ext4 -O encrypt)",
		    dir);
	cc_hex_encode(identifier, sizeof(identifier), key_id_hex);

	struct fscrypt_policy_v2 policy = {
		.version = FSCRYPT_POLICY_V2,
		.contents_encryption_mode = FSCRYPT_MODE_AES_256_XTS,
		.filenames_encryption_mode = FSCRYPT_MODE_AES_256_CTS,
		.flags = FSCRYPT_POLICY_FLAGS_PAD_32,
	};
	memcpy(policy.master_key_identifier, identifier, sizeof(identifier));
	if (ioctl(fd, FS_IOC_SET_ENCRYPTION_POLICY, &policy) == 0)
		return 0;
	if (errno == EEXIST)
		return cc_error_set(err, EEXIST, "`%s` is already encrypted with a different key", dir);
	if (errno == ENOTEMPTY || (!dir_is_empty(fd) && errno != EOPNOTSUPP))
		return cc_error_set(err, ENOTEMPTY, "`%s` must be empty to be encrypted", dir);
	return cc_error_set_errno(err, errno, "set the fscrypt policy on `%s`", dir);
}

int runtime_fscrypt_setup(const struct runtime_spec *spec, const char *key_ref, struct runtime_fscrypt *ret,
			  struct cc_error *err)
{
	uint8_t key[KEY_MAX];
	size_t key_len = 0;
	int r = read_key(key_ref, key, &key_len, err);
	if (r < 0)
		return r;
	int count = 0;
	*ret = (struct runtime_fscrypt){ 0 };
	for (size_t i = 0; i < spec->mount_count && r == 0; i++) {
		const struct runtime_mount *m = &spec->mounts[i];
		struct stat st;
		if (!m->bind || (m->flags & MS_RDONLY) || stat(m->source, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		char key_id[33];
		r = encrypt_dir(m->source, key, key_len, key_id, err);
		if (r == 0 && count++ == 0) {
			ret->dir = cc_xstrdup(m->source);
			memcpy(ret->key_id, key_id, sizeof(key_id));
		}
	}
	cc_wipe(key, sizeof(key));
	if (r < 0) {
		free(ret->dir);
		ret->dir = NULL;
		return r;
	}
	if (count == 0)
		return cc_error_set(err, EINVAL,
				    "annotation %s is set but the config has no writable bind mount to encrypt",
				    RUNTIME_FSCRYPT_KEY_ANNOTATION);
	return count;
}

int runtime_fscrypt_shred(const char *dir, const char *key_id_hex, struct cc_error *err)
{
	struct fscrypt_remove_key_arg arg = { 0 };
	arg.key_spec.type = FSCRYPT_KEY_SPEC_TYPE_IDENTIFIER;
	if (cc_hex_decode(key_id_hex, arg.key_spec.u.identifier, FSCRYPT_KEY_IDENTIFIER_SIZE) < 0)
		return cc_error_set(err, EINVAL, "invalid fscrypt key identifier in the container state");
	/* The ioctl works on any file of the filesystem; holding the encrypted directory itself open
	 * would keep one of the key's inodes busy, so use its (unencrypted) parent. */
	_cleanup_free_ char *parent = cc_xasprintf("%s/..", dir);
	_cleanup_close_ int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open the parent of encrypted directory `%s`", dir);
	/* The kernel evicts the key's inodes on removal; inodes still cached (recently used files)
	 * leave it "busy". Dropping the caches and removing again completes it, as fscryptctl does. */
	for (int attempt = 0; attempt < 5; attempt++) {
		sync();
		int drop = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
		if (drop >= 0) {
			(void)!write(drop, "2", 1);
			close(drop);
		}
		arg.removal_status_flags = 0;
		if (ioctl(fd, FS_IOC_REMOVE_ENCRYPTION_KEY, &arg) < 0) {
			/* ENOKEY on a retry: an earlier attempt finished the removal. */
			if (errno == ENOKEY && attempt > 0)
				return 0;
			return cc_error_set_errno(err, errno, "remove the fscrypt key of `%s`", dir);
		}
		if (!(arg.removal_status_flags & FSCRYPT_KEY_REMOVAL_STATUS_FLAG_FILES_BUSY))
			return 0;
		usleep(50000);
	}
	return cc_error_set(
	    err, EBUSY,
	    "fscrypt key of `%s` removed, but files are still open (their data stays readable until closed)", dir);
}
