/* Root key sources (see root_key.h). */
#include "keys/root_key.h"

#include "keys/root_key_tpm.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secure.h"
#include "lib/tpm/tcti.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int keys_root_key_load(const char *spec, uint8_t key[KEYS_ROOT_KEY_SIZE], struct cc_error *err)
{
	if (strncmp(spec, "tpm:", 4) == 0)
		return keys_root_key_tpm_unseal(cc_tpm_tcti(), spec + 4, key, err);
	const char *path = strncmp(spec, "file:", 5) == 0 ? spec + 5 : spec;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "root key `%s`", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cc_error_set(err, EINVAL, "root key `%s` is not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return cc_error_set(err, EPERM, "root key `%s` is readable by others (mode %03o); chmod 600 it", path,
				    (unsigned)(st.st_mode & 0777));
	}
	char text[2 * KEYS_ROOT_KEY_SIZE + 3];
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	int r = 0;
	if (n == KEYS_ROOT_KEY_SIZE) {
		memcpy(key, text, KEYS_ROOT_KEY_SIZE);
	} else if (n == 2 * KEYS_ROOT_KEY_SIZE || (n == 2 * KEYS_ROOT_KEY_SIZE + 1 && text[n - 1] == '\n')) {
		text[2 * KEYS_ROOT_KEY_SIZE] = '\0';
		if (cc_hex_decode(text, key, KEYS_ROOT_KEY_SIZE) < 0)
			r = cc_error_set(err, EINVAL, "root key `%s` is not 64 hex digits", path);
	} else
		r = cc_error_set(err, EINVAL, "root key `%s` must hold 32 bytes, raw or as 64 hex digits", path);
	cc_wipe(text, sizeof(text));
	return r;
}

int keys_root_key_generate(const char *path, struct cc_error *err)
{
	uint8_t key[KEYS_ROOT_KEY_SIZE];
	char text[2 * KEYS_ROOT_KEY_SIZE + 2];
	if (cc_random_bytes(key, sizeof(key), err) < 0)
		return -EIO;
	cc_hex_encode(key, sizeof(key), text);
	strcat(text, "\n");
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int r = 0;
	if (fd < 0)
		r = cc_error_set_errno(err, errno, "create root key `%s`", path);
	else if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0)
		r = cc_error_set_errno(err, errno, "write root key `%s`", path);
	if (fd >= 0)
		close(fd);
	cc_wipe(key, sizeof(key));
	cc_wipe(text, sizeof(text));
	return r;
}
