/* Capability handling with prctl(2) and capset(2) (capabilities(7)). */
#include "runtime/caps.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *const runtime_default_caps[] = {
	"CAP_AUDIT_WRITE",
	"CAP_KILL",
	"CAP_NET_BIND_SERVICE",
	NULL,
};

int runtime_caps_kernel_last(void)
{
	static int cached = -1;
	if (cached < 0) {
		_cleanup_free_ char *data = NULL;
		size_t len;
		cached = cc_read_file("/proc/sys/kernel/cap_last_cap", 32, &data, &len, NULL) == 0 ? atoi(data)
												   : CAP_LAST_CAP;
	}
	return cached;
}

int runtime_caps_drop_bounding(const struct runtime_caps *caps, struct cc_error *err)
{
	int last = runtime_caps_kernel_last();
	for (int cap = 0; cap <= last && cap < 64; cap++) {
		if (caps->bounding & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return cc_error_set_errno(err, errno, "drop %s from the bounding set", runtime_cap_name(cap));
	}
	return 0;
}

int runtime_caps_apply(const struct runtime_caps *caps, struct cc_error *err)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = { 0 };
	uint64_t limit = runtime_caps_kernel_last() >= 63 ? ~0ULL : (1ULL << (runtime_caps_kernel_last() + 1)) - 1;
	uint64_t eff = caps->effective & limit, perm = caps->permitted & limit, inh = caps->inheritable & limit;
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)perm;
	data[1].permitted = (uint32_t)(perm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &header, data) < 0)
		return cc_error_set_errno(err, errno, "set capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return cc_error_set_errno(err, errno, "clear ambient capabilities");
	for (int cap = 0; cap < 64; cap++) {
		if (!(caps->ambient & limit & (1ULL << cap)))
			continue;
		/* Ambient needs the capability in permitted and inheritable; skip it otherwise, as runc does. */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM && errno != EINVAL)
			return cc_error_set_errno(err, errno, "raise ambient %s", runtime_cap_name(cap));
	}
	return 0;
}
