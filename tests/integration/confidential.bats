#!/usr/bin/env bats
# The confidential profile: a careless config (extra capabilities, no masked paths, a host device)
# started under the profile must not allow any of the classic container escapes.

load helpers/common
load helpers/runtime

setup() {
	require_root
	TMP="$(mktemp -d)"
	RT_ROOT="$TMP/state"
	BUNDLE="$TMP/bundle"
	# Careless: every capability, no masked or read-only paths, /dev/mem as a device.
	make_bundle "$BUNDLE" \
		'caps = ["CAP_SYS_ADMIN","CAP_SYS_MODULE","CAP_MKNOD","CAP_NET_RAW","CAP_SYS_RAWIO","CAP_SYS_PTRACE","CAP_DAC_OVERRIDE","CAP_SETUID","CAP_SETGID","CAP_NET_BIND_SERVICE"]' \
		'c["process"]["capabilities"] = {k: caps for k in ["bounding","effective","permitted","inheritable"]}' \
		'c["process"]["noNewPrivileges"] = False' \
		'c["linux"]["maskedPaths"] = []; c["linux"]["readonlyPaths"] = []' \
		'c["linux"]["devices"] = [{"path": "/dev/mem", "type": "c", "major": 1, "minor": 1, "fileMode": 438}]' \
		'c["annotations"] = {"run.cocoon.profile": "confidential"}'
}

teardown() {
	rm -rf "$TMP"
}

attempt() {
	set_args "$BUNDLE" sh -c "$1"
	run RT run --bundle "$BUNDLE" "t$RANDOM"
}

@test "the profile logs and records every capability it removed" {
	set_args "$BUNDLE" sh -c 'grep -E "CapEff|CapBnd|NoNewPrivs|Seccomp:" /proc/self/status'
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 0 ]
	[[ "$output" == *"confidential profile: removed capability CAP_SYS_ADMIN"* ]]
	[[ "$output" == *"CapEff:	0000000000000400"* ]] # CAP_NET_BIND_SERVICE only
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	grep -q '"action":"profile.tighten".*removed capability CAP_SYS_ADMIN' "$RT_ROOT/events.jsonl"
}

@test "mount fails" {
	attempt 'mount -t tmpfs x /mnt 2>&1 && echo ESCAPED'
	[[ "$output" != *ESCAPED* ]]
}

@test "unshare of user and mount namespaces fails" {
	attempt 'unshare -U true 2>&1 && echo ESCAPED-user; unshare -m true 2>&1 && echo ESCAPED-mount'
	[[ "$output" != *ESCAPED* ]]
}

@test "/proc/sysrq-trigger, /proc/kcore and /proc/sys are out of reach" {
	attempt '(echo h > /proc/sysrq-trigger) 2>&1 && echo ESCAPED-sysrq; head -c 1 /proc/kcore 2>/dev/null | wc -c; (echo 1 > /proc/sys/vm/drop_caches) 2>&1 && echo ESCAPED-sys'
	[[ "$output" != *ESCAPED* ]]
	[[ "$output" == *0* ]]
}

@test "/sys writes fail" {
	attempt '(echo x > /sys/kernel/uevent_helper) 2>&1 && echo ESCAPED; (echo 1 > /sys/fs/cgroup/cgroup.procs) 2>&1 && echo ESCAPED-cg'
	[[ "$output" != *ESCAPED* ]]
}

@test "mknod fails and /dev/mem is not there" {
	attempt 'mknod /tmp/m c 1 1 2>&1 && echo ESCAPED; head -c 1 /dev/mem 2>&1 && echo ESCAPED-mem'
	[[ "$output" != *ESCAPED* ]]
	grep -q 'removed device /dev/mem' "$RT_ROOT/events.jsonl"
}

@test "raw sockets fail" {
	attempt 'ping -c 1 -W 1 127.0.0.1 2>&1 && echo ESCAPED'
	[[ "$output" != *ESCAPED* ]]
}

@test "setuid binaries do not raise privileges" {
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1])); c["process"]["user"] = {"uid": 1000, "gid": 1000}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	attempt '/suid/busybox id -u'
	[ "${lines[-1]}" = 1000 ]
}

@test "module loading fails" {
	attempt 'insmod /nonexistent.ko 2>&1 && echo ESCAPED; modprobe dummy 2>&1 && echo ESCAPED-probe'
	[[ "$output" != *ESCAPED* ]]
}

@test "ptrace of another process fails" {
	attempt 'sleep 5 & cat /proc/$!/environ >/dev/null 2>&1; echo read=$?; kill %1'
	[ "$status" -eq 0 ]
}

@test "a benign command still runs" {
	attempt 'echo benign; ls / >/dev/null; date >/dev/null; echo ok'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = ok ]
}

@test "host namespaces and dangerous bind mounts are refused with a clear error" {
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"the host network namespace is not allowed"* ]]
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["linux"]["namespaces"].append({"type": "network"})
	c["mounts"].append({"destination": "/host", "type": "bind", "source": "/", "options": ["rbind"]})
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"bind mount of host path \`/\` on \`/host\` is not allowed"* ]]
	grep -q '"action":"profile.refuse"' "$RT_ROOT/events.jsonl"
}

@test "--profile confidential works without the annotation" {
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1])); c["annotations"] = {}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	set_args "$BUNDLE" grep CapEff /proc/self/status
	run RT run --profile confidential --bundle "$BUNDLE" t1
	[[ "$output" == *"0000000000000400"* ]]
}
