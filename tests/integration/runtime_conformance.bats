#!/usr/bin/env bats
# cocoon-runtime against the OCI runtime spec outside the confidential profile (no
# run.cocoon.profile annotation, no --profile), where the config alone decides. Where the spec is
# silent, runc is the reference: each test runs the same bundle under runc (its own --root) and
# asserts that cocoon-runtime's observable result is runc's, besides the spec's. Without runc
# installed only the spec's assertions run.

load helpers/common
load helpers/runtime

setup() {
	require_root
	TMP="$(mktemp -d)"
	RT_ROOT="$TMP/state"
	RUNC_ROOT="$TMP/runc"
	BUNDLE="$TMP/bundle"
	ID="conformance-$$"
	make_bundle "$BUNDLE"
}

teardown() {
	local id
	for id in $(RT list --quiet 2>/dev/null); do
		RT delete --force "$id" >/dev/null 2>&1 || true
	done
	if have_runc; then
		for id in $(RUNC list --quiet 2>/dev/null); do
			RUNC delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	rm -rf "$TMP"
}

# run_both: runs $BUNDLE under runc (when installed) and then under cocoon-runtime. bats' $status
# and $output are cocoon-runtime's, RUNC_STATUS and RUNC_OUTPUT runc's; both are printed, so a
# failing test shows what each runtime did.
run_both() {
	RUNC_STATUS="" RUNC_OUTPUT=""
	if have_runc; then
		run RUNC run --bundle "$BUNDLE" "$ID"
		RUNC_STATUS="$status" RUNC_OUTPUT="$output"
		printf -- '--- runc (status %s):\n%s\n' "$status" "$output"
	fi
	run RT run --bundle "$BUNDLE" "$ID"
	printf -- '--- cocoon-runtime (status %s):\n%s\n' "$status" "$output"
}

# same_as_runc: cocoon-runtime's status and output are runc's (true when runc is not installed).
same_as_runc() {
	[ -z "$RUNC_STATUS" ] || { [ "$status" = "$RUNC_STATUS" ] && [ "$output" = "$RUNC_OUTPUT" ]; }
}

# runtimes: the runtimes a lifecycle test drives, runc first.
runtimes() {
	if have_runc; then echo RUNC RT; else echo RT; fi
}

# state_field RUNTIME ID FIELD: one field of `state`.
state_field() {
	"$1" state "$2" | "$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$3"
}

# write_check: the script the workload runs (`sh /check.sh`), read from stdin.
write_check() {
	cat >"$BUNDLE/rootfs/check.sh"
	set_args "$BUNDLE" sh /check.sh
}

@test "noNewPrivileges false with a seccomp filter leaves no_new_privs unset; true sets it" {
	# config-linux.md: the filter does not imply no_new_privs. Without it, loading the filter needs
	# CAP_SYS_ADMIN, which the runtime still holds before it drops capabilities (runc does so).
	edit_config 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
	  "syscalls": [{"names": ["acct"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_args "$BUNDLE" grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
	edit_config 'c["process"]["noNewPrivileges"] = False'
	run_both
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "NoNewPrivs:	0" ]
	[ "${lines[1]}" = "Seccomp:	2" ]
	same_as_runc
	edit_config 'c["process"]["noNewPrivileges"] = True'
	run_both
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "NoNewPrivs:	1" ]
	[ "${lines[1]}" = "Seccomp:	2" ]
	same_as_runc
}

@test "the hostname is the configured one, else the one the UTS namespace inherited" {
	local host_name
	host_name="$(hostname)"
	set_args "$BUNDLE" hostname
	# A new UTS namespace and a hostname: the hostname.
	edit_config 'c["hostname"] = "conformance"'
	run_both
	[ "$status" -eq 0 ]
	[ "$output" = conformance ]
	same_as_runc
	# A new UTS namespace and no hostname: the namespace keeps what it inherited, the host's name
	# (runc leaves it alone).
	edit_config 'del c["hostname"]'
	run_both
	[ "$status" -eq 0 ]
	[ "$output" = "$host_name" ]
	same_as_runc
	# No UTS namespace: the host's.
	edit_config 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "uts"]'
	run_both
	[ "$status" -eq 0 ]
	[ "$output" = "$host_name" ]
	same_as_runc
	# No UTS namespace and a hostname: refused (runc: "unable to set hostname without a private UTS
	# namespace"), and the host's name is untouched.
	edit_config 'c["hostname"] = "conformance"'
	run_both
	[ "$status" -ne 0 ]
	[ -z "$RUNC_STATUS" ] || [ "$RUNC_STATUS" -ne 0 ]
	[ "$(hostname)" = "$host_name" ]
}

@test "linux.devices are created with the configured type, numbers, fileMode, uid and gid" {
	edit_config 'c["linux"]["devices"] = [
	  {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o600, "uid": 1000, "gid": 1000},
	  {"path": "/dev/conformance-loop", "type": "b", "major": 7, "minor": 200, "fileMode": 0o640, "uid": 0, "gid": 6}]'
	set_args "$BUNDLE" stat -c '%n %A %a %u %g %t %T' /dev/fuse /dev/conformance-loop
	run_both
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/fuse crw------- 600 1000 1000 a e5" ]
	[ "${lines[1]}" = "/dev/conformance-loop brw-r----- 640 0 6 7 c8" ]
	same_as_runc
}

@test "a masked file reads empty, a masked directory is an empty read-only tmpfs, a read-only file cannot be written" {
	echo secret >"$BUNDLE/rootfs/etc/masked-file"
	mkdir "$BUNDLE/rootfs/etc/masked-dir"
	echo secret >"$BUNDLE/rootfs/etc/masked-dir/inside"
	echo readable >"$BUNDLE/rootfs/etc/ro-file"
	edit_config 'c["linux"]["maskedPaths"] += ["/etc/masked-file", "/etc/masked-dir"]' \
		'c["linux"]["readonlyPaths"] += ["/etc/ro-file"]'
	write_check <<-'SH'
	# mount_of PATH: the filesystem type and rw/ro of the mount at PATH.
	mount_of() {
		awk -v p="$1" '$5 == p { for (i = 7; $i != "-"; i++); t = $(i + 1); o = substr($6, 1, 2) } END { print t, o }' /proc/self/mountinfo
	}
	echo "masked-file [$(cat /etc/masked-file)] $(stat -c '%F %t %T' /etc/masked-file)"
	echo "masked-dir entries $(ls -A /etc/masked-dir | wc -l) mount $(mount_of /etc/masked-dir)"
	touch /etc/masked-dir/new 2>&1
	echo "ro-file [$(cat /etc/ro-file)] mount $(mount_of /etc/ro-file | cut -d' ' -f2)"
	echo overwrite 2>&1 >/etc/ro-file
	SH
	run_both
	[ "${lines[0]}" = "masked-file [] character special file 1 3" ]
	[ "${lines[1]}" = "masked-dir entries 0 mount tmpfs ro" ]
	[[ "${lines[2]}" == *"/etc/masked-dir/new"*"Read-only file system"* ]]
	[ "${lines[3]}" = "ro-file [readable] mount ro" ]
	[[ "${lines[4]}" == *"/etc/ro-file"*"Read-only file system"* ]]
	same_as_runc
	# The image itself is untouched.
	[ "$(cat "$BUNDLE/rootfs/etc/masked-file")" = secret ]
	[ "$(cat "$BUNDLE/rootfs/etc/ro-file")" = readable ]
}

@test "seccomp: an errno rule under an allow default and an allowlist under an errno default both apply" {
	# mkdirat too: architectures without mkdir(2) (arm64) only have it.
	edit_config 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
	  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_args "$BUNDLE" sh -c 'mkdir /tmp/x 2>&1; echo "mkdir $?"; touch /tmp/y && echo "touch $?"'
	run_both
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"Operation not permitted"* ]]
	[ "${lines[1]}" = "mkdir 1" ]
	[ "${lines[2]}" = "touch 0" ]
	same_as_runc
	# An allowlist of what busybox's shell, echo, mkdir and ls call, and nothing the runtime
	# itself would need besides execve: anything else fails with the default errno, EPERM
	# (config-linux.md: defaultErrnoRet defaults to EPERM). runc loads the filter as its last
	# step before execve, so its own setup never meets it.
	edit_config 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW", "names": [
	  "access", "arch_prctl", "brk", "chdir", "clone", "clone3", "close", "dup", "dup2", "dup3", "execve",
	  "exit", "exit_group", "faccessat", "faccessat2", "fcntl", "fork", "fstat", "fstatfs", "futex",
	  "getcwd", "getdents64", "getegid", "geteuid", "getgid", "getpgrp", "getpid", "getppid", "getrandom",
	  "gettid", "getuid", "ioctl", "lseek", "lstat", "madvise", "mmap", "mprotect", "munmap", "newfstatat",
	  "open", "openat", "pipe", "pipe2", "poll", "ppoll", "prlimit64", "read", "readlink", "readlinkat",
	  "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "set_robust_list", "set_tid_address",
	  "setpgid", "sigaltstack", "stat", "statx", "umask", "uname", "vfork", "wait4", "write", "writev"]}]}'
	set_args "$BUNDLE" sh -c 'echo alive; mkdir /tmp/x 2>&1; echo "mkdir $?"; ls -d /tmp'
	run_both
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = alive ]
	[[ "${lines[1]}" == *"Operation not permitted"* ]]
	[ "${lines[2]}" = "mkdir 1" ]
	[ "${lines[3]}" = /tmp ]
	same_as_runc
}

@test "state of a created and of a running container gives the init's pid, whose namespaces are readable" {
	set_args "$BUNDLE" sleep 60
	local runtime pid ns
	for runtime in $(runtimes); do
		"$runtime" create --bundle "$BUNDLE" --pid-file "$TMP/$runtime.pid" "$ID" </dev/null >"$TMP/$runtime.log" 2>&1
		pid="$(state_field "$runtime" "$ID" pid)"
		echo "$runtime: created, pid $pid, pid file $(cat "$TMP/$runtime.pid")"
		[ "$(state_field "$runtime" "$ID" status)" = created ]
		[ "$pid" -gt 0 ]
		[ "$pid" = "$(cat "$TMP/$runtime.pid")" ]
		process_running "$pid"
		# The configured namespaces are the container's own, not the host's.
		for ns in mnt pid net ipc uts; do
			readlink "/proc/$pid/ns/$ns"
			[ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ]
		done
		"$runtime" start "$ID"
		[ "$(state_field "$runtime" "$ID" status)" = running ]
		[ "$(state_field "$runtime" "$ID" pid)" = "$pid" ]
		for ns in mnt pid net ipc uts; do
			readlink "/proc/$pid/ns/$ns"
		done
		# sleep is the init itself: pid 1 of the container's pid namespace.
		grep -q "^NSpid:.*[[:space:]]1$" "/proc/$pid/status"
		"$runtime" delete --force "$ID"
	done
}

@test "delete refuses a running container and leaves it running; delete --force removes it" {
	set_args "$BUNDLE" sleep 60
	local runtime pid
	for runtime in $(runtimes); do
		"$runtime" create --bundle "$BUNDLE" "$ID" </dev/null >"$TMP/$runtime.log" 2>&1
		"$runtime" start "$ID"
		pid="$(state_field "$runtime" "$ID" pid)"
		run "$runtime" delete "$ID"
		echo "$runtime delete: status $status: $output"
		[ "$status" -ne 0 ]
		[ -n "$output" ]
		[ "$(state_field "$runtime" "$ID" status)" = running ]
		process_running "$pid"
		run "$runtime" delete --force "$ID"
		echo "$runtime delete --force: status $status: $output"
		[ "$status" -eq 0 ]
		run "$runtime" state "$ID"
		[ "$status" -ne 0 ]
		process_gone "$pid"
	done
}

@test "create --pid-file takes an absolute path and a path relative to the caller's directory" {
	set_args "$BUNDLE" sleep 60
	mkdir "$TMP/caller"
	local runtime
	for runtime in $(runtimes); do
		"$runtime" create --bundle "$BUNDLE" --pid-file "$TMP/$runtime-absolute.pid" "$ID-a" </dev/null \
			>"$TMP/$runtime.log" 2>&1
		[ "$(cat "$TMP/$runtime-absolute.pid")" = "$(state_field "$runtime" "$ID-a" pid)" ]
		# Relative to the runtime command's working directory (runc), not to the bundle.
		(cd "$TMP/caller" && "$runtime" create --bundle "$BUNDLE" --pid-file "$runtime-relative.pid" "$ID-r" \
			</dev/null >"$TMP/$runtime.log" 2>&1)
		echo "$runtime: $(ls "$TMP/caller")"
		[ "$(cat "$TMP/caller/$runtime-relative.pid")" = "$(state_field "$runtime" "$ID-r" pid)" ]
		[ ! -e "$BUNDLE/$runtime-relative.pid" ]
		"$runtime" delete --force "$ID-a"
		"$runtime" delete --force "$ID-r"
	done
}

@test "a config with properties unknown to the runtime runs" {
	# spec.md: a runtime MUST ignore properties it does not know (extensibility).
	edit_config 'c["org.example.future"] = {"nested": [1, 2]}' \
		'c["process"]["futureProcessField"] = True' \
		'c["linux"]["futureLinuxField"] = "x"' \
		'c["mounts"][0]["futureMountField"] = {"a": None}'
	set_args "$BUNDLE" echo ran
	run_both
	[ "$status" -eq 0 ]
	[ "$output" = ran ]
	same_as_runc
}

@test "process.rlimits set exactly the configured soft and hard limits" {
	edit_config 'c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000},
	  {"type": "RLIMIT_NPROC", "soft": 512, "hard": 1024}]'
	set_args "$BUNDLE" sh -c 'echo $(ulimit -Sn) $(ulimit -Hn) $(ulimit -Su) $(ulimit -Hu);
		grep -E "^Max (open files|processes)" /proc/self/limits | tr -s " "'
	run_both
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1000 2000 512 1024" ]
	[ "${lines[1]}" = "Max processes 512 1024 processes " ]
	[ "${lines[2]}" = "Max open files 1000 2000 files " ]
	same_as_runc
}

@test "a new cgroup namespace is rooted at the container's own cgroups, and the cgroup mount shows them" {
	edit_config 'c["linux"]["namespaces"].append({"type": "cgroup"})'
	set_args "$BUNDLE" sh -c 'cut -d: -f3 /proc/self/cgroup | sort -u; ls /sys/fs/cgroup/pids | grep -c "^pids\." || true'
	run_both
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = / ]
	[ "${#lines[@]}" -eq 2 ]
	same_as_runc
}

@test "a tmpcopyup tmpfs holds a copy of the image's directory" {
	mkdir -p "$BUNDLE/rootfs/etc/sub/deeper"
	echo deep >"$BUNDLE/rootfs/etc/sub/deeper/file"
	chown 1000:1000 "$BUNDLE/rootfs/etc/sub/deeper/file"
	chmod 750 "$BUNDLE/rootfs/etc/sub"
	ln -s ../passwd "$BUNDLE/rootfs/etc/sub/link"
	edit_config 'c["mounts"].append({"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]})'
	write_check <<-'SH'
	awk '$5 == "/etc" { for (i = 7; $i != "-"; i++); print "mount", $(i + 1) }' /proc/self/mountinfo
	cat /etc/passwd
	cat /etc/sub/deeper/file
	readlink /etc/sub/link
	stat -c '%n %a %u %g' /etc /etc/sub /etc/sub/deeper/file
	SH
	run_both
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mount tmpfs" ]
	[ "$(sed -n 2,4p <<<"$output")" = "$(cat "$BUNDLE/rootfs/etc/passwd")" ]
	[ "${lines[4]}" = deep ]
	[ "${lines[5]}" = ../passwd ]
	# Modes and owners are copied too, the tmpfs's root taking the directory's (runc).
	[ "${lines[6]}" = "/etc 755 0 0" ]
	[ "${lines[7]}" = "/etc/sub 750 0 0" ]
	[ "${lines[8]}" = "/etc/sub/deeper/file 644 1000 1000" ]
	same_as_runc
}

@test "an idmapped bind mount shows host files under the mount's mapping" {
	# runc 1.1.5 predates mount uidMappings/gidMappings (runtime-spec 1.1, runc 1.2) and ignores
	# them, so this test asserts the spec only (config.md, mounts: uidMappings, gidMappings, idmap).
	idmap_supported "$TMP" || skip "the kernel or the filesystem of $TMP refuses idmapped mounts"
	mkdir "$TMP/source"
	echo shared >"$TMP/source/owned"
	chown 1000:1000 "$TMP/source/owned"
	edit_config 'c["linux"]["namespaces"].append({"type": "user"})' \
		'c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
		'c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
		"source = '$TMP/source'" \
		'c["mounts"].append({"destination": "/same", "type": "bind", "source": source, "options": ["bind", "idmap"],
		  "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
		  "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]})' \
		'c["mounts"].append({"destination": "/other", "type": "bind", "source": source, "options": ["bind", "idmap"],
		  "uidMappings": [{"containerID": 1000, "hostID": 100042, "size": 1}],
		  "gidMappings": [{"containerID": 1000, "hostID": 100043, "size": 1}]})' \
		'c["mounts"].append({"destination": "/plain", "type": "bind", "source": source, "options": ["bind"]})'
	# The mapped root must reach and own its rootfs, as with any runtime.
	chown -R 100000:100000 "$BUNDLE/rootfs"
	chmod 755 "$TMP" "$BUNDLE"
	set_args "$BUNDLE" stat -c '%n %u %g' /same/owned /other/owned /plain/owned
	run RT run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# The container's own mapping: host 1000 (on disk) -> 101000 -> 1000 in the container.
	[ "${lines[0]}" = "/same/owned 1000 1000" ]
	# Another mapping: on-disk uid 1000 -> 100042 -> 42, gid 1000 -> 100043 -> 43.
	[ "${lines[1]}" = "/other/owned 42 43" ]
	# Without idmap the owner is outside the container's mapping: the overflow ids.
	[ "${lines[2]}" = "/plain/owned $(cat /proc/sys/kernel/overflowuid) $(cat /proc/sys/kernel/overflowgid)" ]
}

@test "features lists tmpcopyup and idmap among the mount options and enables idmap mounts" {
	run RT features
	[ "$status" -eq 0 ]
	# features.md: mountOptions; features-linux.md: mountExtensions.idmap.enabled; config.md lists
	# the idmap and tmpcopyup mount options. runc 1.1.5 lists tmpcopyup but predates idmap.
	"$SYSTEM_PYTHON" - "$output" <<-'PY'
	import json, sys
	f = json.loads(sys.argv[1])
	options = f.get("mountOptions") or []
	missing = [o for o in ("tmpcopyup", "idmap") if o not in options]
	idmap = ((f.get("linux") or {}).get("mountExtensions") or {}).get("idmap") or {}
	print("missing mountOptions:", missing, "mountExtensions.idmap:", idmap)
	assert not missing and idmap.get("enabled") is True
	PY
	if have_runc; then
		run RUNC features
		[[ "$output" == *'"tmpcopyup"'* ]]
	fi
}
