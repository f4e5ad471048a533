/* eBPF device filter for cgroup v2 (see devices_bpf.h). The program reads the request from
 * struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } (access in the upper
 * 16 bits, device type in the lower) and checks the rules from the last to the first, so the last
 * matching rule decides, as with the v1 controller's rule list; nothing matching means deny. */
#include "runtime/devices_bpf.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct rule {
	char type;       /* 'a', 'b', 'c' */
	int64_t major;   /* -1: any */
	int64_t minor;   /* -1: any */
	uint32_t access; /* BPF_DEVCG_ACC_* bits */
	bool allow;
};

/* The defaults every container gets, after the config's rules (same list as the v1 path). */
static const struct rule defaults[] = {
	{ 'c', -1, -1, BPF_DEVCG_ACC_MKNOD, true },
	{ 'b', -1, -1, BPF_DEVCG_ACC_MKNOD, true },
	{ 'c', 1, 3, 7, true },
	{ 'c', 1, 5, 7, true },
	{ 'c', 1, 7, 7, true },
	{ 'c', 1, 8, 7, true },
	{ 'c', 1, 9, 7, true },
	{ 'c', 5, 0, 7, true },
	{ 'c', 5, 1, 7, true },
	{ 'c', 5, 2, 7, true },
	{ 'c', 136, -1, 7, true },
};

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

struct program {
	struct bpf_insn insns[4096];
	size_t count;
};

static void emit(struct program *p, struct bpf_insn insn)
{
	if (p->count < sizeof(p->insns) / sizeof(p->insns[0]))
		p->insns[p->count++] = insn;
}

/* Emits one rule: jumps over the rest of the rule when a field does not match. Registers: r2 type,
 * r3 access, r4 major, r5 minor (loaded once at the start). Returns true when the rule matches
 * everything: nothing after it can run (the verifier refuses unreachable instructions). */
static bool emit_rule(struct program *p, const struct rule *r)
{
	size_t checks = (r->type != 'a') + (r->access != 7 ? 3 : 0) + (r->major >= 0) + (r->minor >= 0);
	/* Each check is a conditional jump to "next", which comes after the 2 instructions below. */
	size_t remaining = checks;
	if (r->type != 'a') {
		remaining--;
		int type = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
		emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, (short)(remaining + 2), type));
	}
	if (r->access != 7) {
		/* requested & ~allowed must be 0: r1 = r3; r1 &= ~access; if r1 != 0 goto next */
		emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 3, 0, 0));
		emit(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, 1, 0, 0, (int)(~r->access & 7)));
		remaining -= 3;
		emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, (short)(remaining + 2), 0));
	}
	if (r->major >= 0) {
		remaining--;
		emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, (short)(remaining + 2), (int)r->major));
	}
	if (r->minor >= 0) {
		remaining--;
		emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, (short)(remaining + 2), (int)r->minor));
	}
	emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0));
	emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	return checks == 0;
}

static int parse_rule(const json_t *entry, struct rule *r)
{
	const char *type = json_string_value(json_object_get(entry, "type"));
	const char *access = json_string_value(json_object_get(entry, "access"));
	json_t *major = json_object_get(entry, "major"), *minor = json_object_get(entry, "minor");
	*r = (struct rule){ .type = type && *type ? type[0] : 'a',
			    .major = -1,
			    .minor = -1,
			    .allow = json_is_true(json_object_get(entry, "allow")) };
	if (!strchr("abc", r->type) || (type && strlen(type) > 1))
		return -EINVAL;
	if (json_is_integer(major) && json_integer_value(major) >= 0)
		r->major = json_integer_value(major);
	if (json_is_integer(minor) && json_integer_value(minor) >= 0)
		r->minor = json_integer_value(minor);
	for (const char *a = access && *access ? access : "rwm"; *a; a++) {
		if (*a == 'r')
			r->access |= BPF_DEVCG_ACC_READ;
		else if (*a == 'w')
			r->access |= BPF_DEVCG_ACC_WRITE;
		else if (*a == 'm')
			r->access |= BPF_DEVCG_ACC_MKNOD;
		else
			return -EINVAL;
	}
	return 0;
}

int runtime_devices_bpf_attach(const char *dir, const json_t *rules, struct cc_error *err)
{
	_cleanup_free_ struct program *p = cc_xcalloc(1, sizeof(*p));
	/* r2 = type, r3 = access, r4 = major, r5 = minor */
	emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0));
	emit(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 0xFFFF));
	emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0));
	emit(p, INSN(BPF_ALU64 | BPF_RSH | BPF_K, 3, 0, 0, 16));
	emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0));
	emit(p, INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0));
	/* Last rule first: the first match in the program is the last match in the list. */
	size_t n = json_array_size(rules);
	for (size_t i = 0; i < n; i++) {
		struct rule r;
		if (parse_rule(json_array_get(rules, i), &r) < 0)
			return cc_error_set(err, EINVAL, "linux.resources.devices[%zu] is not a valid device rule", i);
	}
	bool terminated = false;
	for (size_t i = sizeof(defaults) / sizeof(defaults[0]); i-- > 0 && !terminated;)
		terminated = emit_rule(p, &defaults[i]);
	for (size_t i = n; i-- > 0 && !terminated;) {
		struct rule r;
		parse_rule(json_array_get(rules, i), &r);
		terminated = emit_rule(p, &r);
	}
	if (!terminated) {
		emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0)); /* default deny */
		emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	}
	if (p->count == sizeof(p->insns) / sizeof(p->insns[0]))
		return cc_error_set(err, E2BIG, "too many device rules for the cgroup v2 device filter");

	union bpf_attr load = { 0 };
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insns = (uint64_t)(uintptr_t)p->insns;
	load.insn_cnt = (uint32_t)p->count;
	load.license = (uint64_t)(uintptr_t) "Apache-2.0";
	_cleanup_close_ int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
	if (prog < 0) {
		/* Load again with the verifier's log, only to say why. (With a log that does not fit,
		 * the kernel fails a valid program with ENOSPC, so the first load has none.) */
		int saved = errno;
		static char log[65536];
		log[0] = '\0';
		load.log_buf = (uint64_t)(uintptr_t)log;
		load.log_size = sizeof(log);
		load.log_level = 1;
		int again = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
		if (again >= 0)
			close(again);
		return cc_error_set_errno(err, saved, "load the cgroup v2 device filter (verifier: %.200s)", log);
	}
	_cleanup_close_ int cgroup = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup < 0)
		return cc_error_set_errno(err, errno, "open cgroup `%s`", dir);
	union bpf_attr attach = { 0 };
	attach.target_fd = (uint32_t)cgroup;
	attach.attach_bpf_fd = (uint32_t)prog;
	attach.attach_type = BPF_CGROUP_DEVICE;
	attach.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof(attach)) < 0)
		return cc_error_set_errno(err, errno, "attach the device filter to cgroup `%s`", dir);
	return 0;
}
