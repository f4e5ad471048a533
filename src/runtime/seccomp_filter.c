/* Seccomp through libseccomp. OCI names map one to one onto libseccomp's (config-linux.md
 * "Seccomp"); flags map onto seccomp(2) SECCOMP_FILTER_FLAG_* attributes. */
#include "runtime/seccomp_filter.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

static int action_from_name(const char *name, uint32_t errno_ret, uint32_t *ret)
{
	if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		*ret = SCMP_ACT_KILL_THREAD;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		*ret = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		*ret = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		*ret = SCMP_ACT_ERRNO(errno_ret);
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		*ret = SCMP_ACT_TRACE(errno_ret);
	else if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		*ret = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		*ret = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		*ret = SCMP_ACT_NOTIFY;
	else
		return -EINVAL;
	return 0;
}

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },
	{ "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },
	{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },
	{ "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct {
	const char *name;
	uint32_t arch;
} archs[] = {
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },           { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },           { "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },   { "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },     { "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 }, { "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },       { "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
	{ "SCMP_ARCH_S390", SCMP_ARCH_S390 },         { "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
	{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
};

static const char *const flag_names[] = {
	"SECCOMP_FILTER_FLAG_TSYNC",
	"SECCOMP_FILTER_FLAG_LOG",
	"SECCOMP_FILTER_FLAG_SPEC_ALLOW",
};

static int add_rule(scmp_filter_ctx ctx, const json_t *rule, size_t index, uint32_t default_errno, bool *notify,
		    struct cc_error *err)
{
	const char *action_name;
	json_t *names, *args;
	int64_t errno_ret = default_errno;
	if (cc_json_get_string(rule, "action", true, &action_name, err) < 0 ||
	    cc_json_get_array(rule, "names", false, &names, err) < 0 ||
	    cc_json_get_array(rule, "args", false, &args, err) < 0 ||
	    cc_json_get_int(rule, "errnoRet", false, &errno_ret, err) < 0)
		return cc_error_prefix(err, "linux.seccomp.syscalls[%zu]", index);
	uint32_t action;
	if (action_from_name(action_name, (uint32_t)errno_ret, &action) < 0)
		return cc_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu]: unknown action `%s`", index,
				    action_name);
	if (action == SCMP_ACT_NOTIFY)
		*notify = true;
	struct scmp_arg_cmp cmps[6];
	unsigned count = 0;
	size_t i;
	json_t *arg;
	json_array_foreach (args, i, arg) {
		int64_t arg_index, value = 0, value_two = 0;
		const char *op_name;
		if (count >= 6 || cc_json_get_int(arg, "index", true, &arg_index, err) < 0 ||
		    cc_json_get_string(arg, "op", true, &op_name, err) < 0 ||
		    cc_json_get_int(arg, "value", false, &value, err) < 0 ||
		    cc_json_get_int(arg, "valueTwo", false, &value_two, err) < 0)
			return count >= 6
				   ? cc_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu]: more than 6 args", index)
				   : cc_error_prefix(err, "linux.seccomp.syscalls[%zu].args[%zu]", index, i);
		if (arg_index < 0 || arg_index > 5)
			return cc_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu].args[%zu]: index must be 0-5",
					    index, i);
		int op = -1;
		for (size_t k = 0; k < CC_ARRAY_SIZE(operators); k++)
			if (strcmp(operators[k].name, op_name) == 0)
				op = operators[k].op;
		if (op < 0)
			return cc_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu].args[%zu]: unknown op `%s`",
					    index, i, op_name);
		cmps[count++] = (struct scmp_arg_cmp){ (unsigned)arg_index, (enum scmp_compare)op, (scmp_datum_t)value,
						       (scmp_datum_t)value_two };
	}
	size_t n;
	json_t *name;
	json_array_foreach (names, n, name) {
		const char *syscall_name = json_string_value(name);
		if (!syscall_name)
			return cc_error_set(err, EINVAL, "linux.seccomp.syscalls[%zu].names[%zu] must be a string",
					    index, n);
		int nr = seccomp_syscall_resolve_name(syscall_name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* not a syscall here */
		int r = seccomp_rule_add_array(ctx, action, nr, count, cmps);
		/* EEXIST/EACCES: the rule equals the default action or duplicates another; harmless. */
		if (r < 0 && r != -EEXIST && r != -EACCES)
			return cc_error_set(err, -r, "linux.seccomp: cannot add rule for `%s`: %s", syscall_name,
					    strerror(-r));
	}
	return 0;
}

int runtime_seccomp_build(const json_t *seccomp, scmp_filter_ctx *ret, bool *ret_notify, struct cc_error *err)
{
	const char *default_name;
	int64_t default_errno = EPERM;
	int r;
	if ((r = cc_json_get_string(seccomp, "defaultAction", true, &default_name, err)) < 0 ||
	    (r = cc_json_get_int(seccomp, "defaultErrnoRet", false, &default_errno, err)) < 0)
		return cc_error_prefix(err, "linux.seccomp");
	uint32_t default_action;
	if (action_from_name(default_name, (uint32_t)default_errno, &default_action) < 0)
		return cc_error_set(err, EINVAL, "linux.seccomp.defaultAction `%s` is not a seccomp action",
				    default_name);
	scmp_filter_ctx ctx = seccomp_init(default_action);
	if (!ctx)
		return cc_error_set(err, EINVAL, "linux.seccomp: libseccomp refused default action `%s`", default_name);
	bool notify = default_action == SCMP_ACT_NOTIFY;
	json_t *list;
	size_t i;
	json_t *item;
	if ((r = cc_json_get_array(seccomp, "architectures", false, &list, err)) < 0)
		goto fail;
	json_array_foreach (list, i, item) {
		const char *name = json_string_value(item);
		int found = -1;
		for (size_t k = 0; name && k < CC_ARRAY_SIZE(archs); k++)
			if (strcmp(archs[k].name, name) == 0)
				found = (int)k;
		if (found < 0) {
			r = cc_error_set(err, EINVAL, "linux.seccomp.architectures[%zu]: unknown architecture", i);
			goto fail;
		}
		int ar = seccomp_arch_add(ctx, archs[found].arch);
		if (ar < 0 && ar != -EEXIST) {
			r = cc_error_set(err, -ar, "linux.seccomp: cannot add architecture %s", name);
			goto fail;
		}
	}
	if ((r = cc_json_get_array(seccomp, "flags", false, &list, err)) < 0)
		goto fail;
	json_array_foreach (list, i, item) {
		const char *name = json_string_value(item);
		if (!name) {
			r = cc_error_set(err, EINVAL, "linux.seccomp.flags[%zu] must be a string", i);
			goto fail;
		}
		if (strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
			seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
		else if (strcmp(name, "SECCOMP_FILTER_FLAG_LOG") == 0)
			seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
		else if (strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
		else if (strcmp(name, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") != 0) {
			r = cc_error_set(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag `%s`", i, name);
			goto fail;
		}
	}
	if ((r = cc_json_get_array(seccomp, "syscalls", false, &list, err)) < 0)
		goto fail;
	json_array_foreach (list, i, item) {
		if ((r = add_rule(ctx, item, i, (uint32_t)default_errno, &notify, err)) < 0)
			goto fail;
	}
	*ret = ctx;
	*ret_notify = notify;
	return 0;
fail:
	seccomp_release(ctx);
	return r;
}

/* Allowlist of the confidential profile: the ordinary calls of user-space programs. Absent, and
 * so denied with EPERM: mount/umount/pivot_root, unshare/setns, module loading, kexec, reboot,
 * swapon/off, bpf, perf_event_open, ptrace and process_vm_*, keyctl/add_key/request_key,
 * open_by_handle_at, userfaultfd, iopl/ioperm, acct, quotactl, syslog, settimeofday and clock
 * setting, personality changes, fanotify, lookup_dcookie, nfsservctl, and the new mount API. */
static const char *const confidential_allow[] = {
	"accept",
	"accept4",
	"access",
	"alarm",
	"arch_prctl",
	"bind",
	"brk",
	"capget",
	"capset",
	"chdir",
	"chmod",
	"chown",
	"chown32",
	"clock_getres",
	"clock_getres_time64",
	"clock_gettime",
	"clock_gettime64",
	"clock_nanosleep",
	"clock_nanosleep_time64",
	"close",
	"close_range",
	"connect",
	"copy_file_range",
	"creat",
	"dup",
	"dup2",
	"dup3",
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_pwait",
	"epoll_pwait2",
	"epoll_wait",
	"eventfd",
	"eventfd2",
	"execve",
	"execveat",
	"exit",
	"exit_group",
	"faccessat",
	"faccessat2",
	"fadvise64",
	"fallocate",
	"fchdir",
	"fchmod",
	"fchmodat",
	"fchown",
	"fchownat",
	"fcntl",
	"fdatasync",
	"fgetxattr",
	"flistxattr",
	"flock",
	"fork",
	"fremovexattr",
	"fsetxattr",
	"fstat",
	"fstatfs",
	"fsync",
	"ftruncate",
	"futex",
	"futex_time64",
	"futex_waitv",
	"futimesat",
	"getcpu",
	"getcwd",
	"getdents",
	"getdents64",
	"getegid",
	"geteuid",
	"getgid",
	"getgroups",
	"getitimer",
	"getpeername",
	"getpgid",
	"getpgrp",
	"getpid",
	"getppid",
	"getpriority",
	"getrandom",
	"getresgid",
	"getresuid",
	"getrlimit",
	"get_robust_list",
	"getrusage",
	"getsid",
	"getsockname",
	"getsockopt",
	"get_thread_area",
	"gettid",
	"gettimeofday",
	"getuid",
	"getxattr",
	"inotify_add_watch",
	"inotify_init",
	"inotify_init1",
	"inotify_rm_watch",
	"io_cancel",
	"ioctl",
	"io_destroy",
	"io_getevents",
	"io_pgetevents",
	"ioprio_get",
	"ioprio_set",
	"io_setup",
	"io_submit",
	"io_uring_enter",
	"io_uring_register",
	"io_uring_setup",
	"kill",
	"lchown",
	"lgetxattr",
	"link",
	"linkat",
	"listen",
	"listxattr",
	"llistxattr",
	"lremovexattr",
	"lseek",
	"lsetxattr",
	"lstat",
	"madvise",
	"membarrier",
	"memfd_create",
	"mincore",
	"mkdir",
	"mkdirat",
	"mknod",
	"mknodat",
	"mlock",
	"mlock2",
	"mlockall",
	"mmap",
	"mprotect",
	"mq_getsetattr",
	"mq_notify",
	"mq_open",
	"mq_timedreceive",
	"mq_timedsend",
	"mq_unlink",
	"mremap",
	"msgctl",
	"msgget",
	"msgrcv",
	"msgsnd",
	"msync",
	"munlock",
	"munlockall",
	"munmap",
	"nanosleep",
	"newfstatat",
	"open",
	"openat",
	"openat2",
	"pause",
	"pidfd_open",
	"pidfd_send_signal",
	"pipe",
	"pipe2",
	"poll",
	"ppoll",
	"ppoll_time64",
	"prctl",
	"pread64",
	"preadv",
	"preadv2",
	"prlimit64",
	"pselect6",
	"pselect6_time64",
	"pwrite64",
	"pwritev",
	"pwritev2",
	"read",
	"readahead",
	"readlink",
	"readlinkat",
	"readv",
	"recvfrom",
	"recvmmsg",
	"recvmsg",
	"remap_file_pages",
	"removexattr",
	"rename",
	"renameat",
	"renameat2",
	"restart_syscall",
	"rmdir",
	"rseq",
	"rt_sigaction",
	"rt_sigpending",
	"rt_sigprocmask",
	"rt_sigqueueinfo",
	"rt_sigreturn",
	"rt_sigsuspend",
	"rt_sigtimedwait",
	"rt_tgsigqueueinfo",
	"sched_getaffinity",
	"sched_getattr",
	"sched_getparam",
	"sched_get_priority_max",
	"sched_get_priority_min",
	"sched_getscheduler",
	"sched_rr_get_interval",
	"sched_setaffinity",
	"sched_setattr",
	"sched_setparam",
	"sched_setscheduler",
	"sched_yield",
	"select",
	"semctl",
	"semget",
	"semop",
	"semtimedop",
	"sendfile",
	"sendmmsg",
	"sendmsg",
	"sendto",
	"setfsgid",
	"setfsuid",
	"setgid",
	"setgroups",
	"setitimer",
	"setpgid",
	"setpriority",
	"setregid",
	"setresgid",
	"setresuid",
	"setreuid",
	"setrlimit",
	"set_robust_list",
	"setsid",
	"setsockopt",
	"set_thread_area",
	"set_tid_address",
	"setuid",
	"setxattr",
	"shmat",
	"shmctl",
	"shmdt",
	"shmget",
	"shutdown",
	"sigaltstack",
	"signalfd",
	"signalfd4",
	"socket",
	"socketpair",
	"splice",
	"stat",
	"statfs",
	"statx",
	"symlink",
	"symlinkat",
	"sync",
	"sync_file_range",
	"syncfs",
	"sysinfo",
	"tee",
	"tgkill",
	"time",
	"timer_create",
	"timer_delete",
	"timer_getoverrun",
	"timer_gettime",
	"timer_settime",
	"timerfd_create",
	"timerfd_gettime",
	"timerfd_settime",
	"times",
	"tkill",
	"truncate",
	"umask",
	"uname",
	"unlink",
	"unlinkat",
	"utime",
	"utimensat",
	"utimes",
	"vfork",
	"wait4",
	"waitid",
	"write",
	"writev",
};

char *runtime_seccomp_confidential_source(void)
{
	struct cc_buf text = CC_BUF_INIT;
	for (size_t i = 0; i < CC_ARRAY_SIZE(confidential_allow); i++)
		cc_buf_appendf(&text, "%s\n", confidential_allow[i]);
	/* The rules below, by the line of this file that holds them. */
	cc_buf_appendf(&text, "clone:no-namespace-flags clone3:ENOSYS personality:0,0xffffffff @%d\n", __LINE__);
	return cc_buf_steal(&text, NULL);
}

int runtime_seccomp_confidential(scmp_filter_ctx *ret, struct cc_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return cc_error_set(err, ENOMEM, "cannot create the confidential seccomp filter");
	for (size_t i = 0; i < CC_ARRAY_SIZE(confidential_allow); i++) {
		int nr = seccomp_syscall_resolve_name(confidential_allow[i]);
		if (nr != __NR_SCMP_ERROR)
			seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* clone is allowed only without namespace flags (threads and fork); clone3 passes its flags in
	 * memory that seccomp cannot inspect, so it fails with ENOSYS and libc falls back to clone. */
	const scmp_datum_t ns_flags =
	    CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
	int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* personality: only the query and the default domain, as in Docker's profile. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_EQ, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_EQ, 0xffffffff));
	if (r < 0) {
		seccomp_release(ctx);
		return cc_error_set(err, -r, "cannot build the confidential seccomp filter: %s", strerror(-r));
	}
	*ret = ctx;
	return 0;
}

json_t *runtime_seccomp_features(void)
{
	json_t *actions = json_pack("[s,s,s,s,s,s,s,s,s]", "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
				    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
				    "SCMP_ACT_TRACE", "SCMP_ACT_TRAP");
	json_t *ops = json_array();
	for (size_t i = 0; i < CC_ARRAY_SIZE(operators); i++)
		json_array_append_new(ops, json_string(operators[i].name));
	json_t *arch_list = json_array();
	for (size_t i = 0; i < CC_ARRAY_SIZE(archs); i++)
		json_array_append_new(arch_list, json_string(archs[i].name));
	json_t *flags = json_array();
	for (size_t i = 0; i < CC_ARRAY_SIZE(flag_names); i++)
		json_array_append_new(flags, json_string(flag_names[i]));
	return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions", actions, "operators", ops, "archs",
			 arch_list, "knownFlags", flags, "supportedFlags", json_copy(flags));
}
