#!/usr/bin/env bats
# cocoon-runtime driven directly through its OCI command line, as podman and containerd drive it.

load helpers/common
load helpers/runtime

setup() {
	require_root
	TMP="$(mktemp -d)"
	RT_ROOT="$TMP/state"
	BUNDLE="$TMP/bundle"
	make_bundle "$BUNDLE"
}

teardown() {
	for id in $(RT list --quiet 2>/dev/null); do
		RT delete --force "$id" >/dev/null 2>&1 || true
	done
	rm -rf "$TMP"
}

@test "run returns the workload's exit code and output" {
	set_args "$BUNDLE" sh -c 'echo hello; exit 3'
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 3 ]
	[ "$output" = hello ]
	run RT list --quiet
	[ -z "$output" ]
}

@test "a signal that kills the workload gives 128+signal" {
	set_args "$BUNDLE" sleep 60
	RT run --bundle "$BUNDLE" t1 &
	local runner=$!
	for _ in $(seq 1 100); do
		RT state t1 2>/dev/null | grep -q '"status": "running"' && break
		sleep 0.02
	done
	RT kill t1 KILL
	local status=0
	wait "$runner" || status=$?
	[ "$status" -eq 137 ]
}

@test "create, state, start, kill, delete follow the OCI lifecycle" {
	set_args "$BUNDLE" sleep 60
	RT create --bundle "$BUNDLE" --pid-file "$TMP/pid" t1
	run RT state t1
	[[ "$output" == *'"status": "created"'* ]]
	[[ "$output" == *"\"pid\": $(cat "$TMP/pid")"* ]]
	[[ "$output" == *'"measurement": "sha384:'* ]]
	RT start t1
	run RT state t1
	[[ "$output" == *'"status": "running"'* ]]
	run RT start t1
	[ "$status" -eq 1 ]
	run RT delete t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"use --force"* ]]
	RT kill t1 KILL
	for _ in $(seq 1 100); do
		RT state t1 | grep -q '"status": "stopped"' && break
		sleep 0.02
	done
	run RT state t1
	[[ "$output" == *'"status": "stopped"'* ]]
	RT delete t1
	run RT state t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
}

# init_pid ID: the pid of the container's init, from `state`.
init_pid() {
	RT state "$1" | "$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["pid"])'
}

# start_fails_quickly ID LIMIT_MS [COMMAND...]: `start` (run through COMMAND, e.g. strace) must fail
# within LIMIT_MS with the message that names the container and says its process exited; `timeout`
# keeps a regression from hanging the suite.
start_fails_quickly() {
	local id="$1" limit_ms="$2"
	shift 2
	local begin="${EPOCHREALTIME/./}"
	run timeout 5 "$@" "$COCOON_RUNTIME" --root "$RT_ROOT" start "$id"
	local elapsed_ms=$(((${EPOCHREALTIME/./} - begin) / 1000))
	echo "start: status $status after ${elapsed_ms} ms: $output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container \`$id\`"*"process"*"exited"* ]]
	[ "$elapsed_ms" -lt "$limit_ms" ]
}

@test "start fails at once when the container's init died after create, and delete cleans up" {
	set_args "$BUNDLE" sleep 60
	RT create --bundle "$BUNDLE" t1
	kill -KILL "$(init_pid t1)"
	start_fails_quickly t1 1000
	RT delete t1
	run RT state t1
	[[ "$output" == *"does not exist"* ]]
	[ ! -e "$RT_ROOT/t1" ]
}

@test "start does not hang when the init dies while start opens the exec FIFO" {
	command -v strace >/dev/null || skip "needs strace (to hold start at the FIFO's open)"
	set_args "$BUNDLE" sleep 60
	RT create --bundle "$BUNDLE" t1
	local pid
	pid="$(init_pid t1)"
	# strace delays start's open of the FIFO by 1 s, after start found the container created;
	# the init is killed during that second.
	(sleep 0.3 && kill -KILL "$pid") &
	local killer=$!
	start_fails_quickly t1 2500 strace -f -qq -o /dev/null -P "$RT_ROOT/t1/exec.fifo" -e trace=openat \
		-e inject=openat:delay_enter=1000000
	wait "$killer"
	RT delete t1
	[ ! -e "$RT_ROOT/t1" ]
}

@test "exec runs in the container's namespaces and returns its exit code" {
	set_args "$BUNDLE" sleep 60
	RT run --detach --bundle "$BUNDLE" t1
	run RT exec t1 hostname
	[ "$output" = cocoon ]
	run RT exec t1 sh -c 'exit 9'
	[ "$status" -eq 9 ]
	run RT exec --env FOO=bar --cwd /tmp --user 1000:1000 t1 sh -c 'echo $FOO $(pwd) $(id -u)'
	[ "$output" = "bar /tmp 1000" ]
	# In every cgroup of the container, as its init is.
	RT exec t1 cat /proc/1/cgroup >"$TMP/init-cgroups"
	run RT exec t1 cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$TMP/init-cgroups")" ]
	grep -q ':/cocoon/t1$' "$TMP/init-cgroups"
	run RT ps --format json t1
	[[ "$output" == "["*"]" ]]
	run RT delete --force t1
	[ "$status" -eq 0 ]
}

@test "exec without --detach: a runtime killed takes its process with it; with --detach it stays" {
	set_args "$BUNDLE" sleep 60
	RT run --detach --bundle "$BUNDLE" t1
	"$COCOON_RUNTIME" --root "$RT_ROOT" exec t1 sleep 4747 &
	local runtime=$!
	for _ in $(seq 1 100); do
		pgrep -f '^sleep 4747$' >/dev/null && break
		sleep 0.05
	done
	pgrep -f '^sleep 4747$' >/dev/null
	kill -KILL "$runtime"
	wait "$runtime" || true
	for _ in $(seq 1 100); do
		pgrep -f '^sleep 4747$' >/dev/null || break
		sleep 0.05
	done
	! pgrep -f '^sleep 4747$' || false
	RT exec --detach t1 sleep 4848
	pgrep -f '^sleep 4848$' >/dev/null
	RT delete --force t1
}

@test "pause freezes and resume thaws" {
	set_args "$BUNDLE" sleep 60
	RT run --detach --bundle "$BUNDLE" t1
	RT pause t1
	run RT state t1
	[[ "$output" == *'"status": "paused"'* ]]
	RT resume t1
	run RT state t1
	[[ "$output" == *'"status": "running"'* ]]
}

@test "namespaces, hostname, read-only root, masked and read-only paths" {
	set_args "$BUNDLE" sh -c 'echo $$; hostname; touch /x 2>&1; wc -c </proc/timer_list; echo 1 > /proc/sys/kernel/domainname 2>&1'
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1])); c["root"]["readonly"] = True; c["hostname"] = "box"
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t1
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = box ]
	[[ "${lines[2]}" == *"Read-only file system"* ]]
	[ "${lines[3]}" = 0 ]
	[[ "${lines[4]}" == *"Read-only file system"* ]]
}

@test "memory limit in the cgroup kills the workload (exit 137)" {
	set_args "$BUNDLE" sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1])); c["linux"]["resources"] = {"memory": {"limit": 33554432}, "pids": {"limit": 64}}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 137 ]
	# The container's cgroups are removed with it.
	[ ! -e /sys/fs/cgroup/memory/cocoon/t1 ] && [ ! -e /sys/fs/cgroup/cocoon/t1 ]
}

@test "the init is in every cgroup of the container, with hooks before start and without" {
	# Without such hooks the init moves itself into the v1 hierarchies and is cloned into the v2 one;
	# with a prestart hook the runtime moves it before the hook runs. Both must end the same.
	# The limits are in place when the workload starts.
	set_args "$BUNDLE" sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
	edit_config 'c["linux"]["resources"] = {"pids": {"limit": 77}}'
	run RT run --bundle "$BUNDLE" t0
	[ "$status" -eq 0 ]
	[ "$output" = 77 ]
	set_args "$BUNDLE" cat /proc/self/cgroup
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 0 ]
	hierarchies=0
	while IFS=: read -r _ controllers path; do
		hierarchies=$((hierarchies + 1))
		[ "$path" = /cocoon/t1 ] || { echo "not in the container's cgroup: $controllers:$path"; false; }
	done <<<"$output"
	[ "$hierarchies" -ge 1 ]
	if mountpoint -q /sys/fs/cgroup/unified || [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		grep -qx '0::/cocoon/t1' <<<"$output"
	fi
	printf '#!/bin/sh\ncat /proc/$(sed -n "s/.*\\"pid\\":\\([0-9]*\\).*/\\1/p")/cgroup > %s/hook-cgroups\n' "$TMP" >"$TMP/hook.sh"
	chmod +x "$TMP/hook.sh"
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" "$TMP/hook.sh" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1])); c["hooks"] = {"prestart": [{"path": sys.argv[2]}]}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t2
	[ "$status" -eq 0 ]
	[ "$(grep -c . <<<"$output")" -eq "$hierarchies" ]
	! grep -v ':/cocoon/t2$' <<<"$output" || false
	# The prestart hook already saw the init in them.
	[ "$(grep -c ':/cocoon/t2$' "$TMP/hook-cgroups")" -eq "$hierarchies" ]
}

@test "seccomp from the config denies with the configured errno" {
	set_args "$BUNDLE" sh -c 'mkdir /tmp/d 2>&1; echo rc=$?'
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
	  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t1
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"rc=1"* ]]
}

@test "a symlink in the image cannot redirect a mount to the host" {
	ln -s /etc "$BUNDLE/rootfs/escape"
	mkdir -p "$TMP/data"
	echo inside >"$TMP/data/file"
	set_args "$BUNDLE" sh -c 'cat /escape/marker/file'
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" "$TMP/data" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["mounts"].append({"destination": "/escape/marker", "type": "bind", "source": sys.argv[2], "options": ["rbind", "ro"]})
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t1
	[ "$output" = inside ]
	# The bind landed inside the rootfs (its /etc), never on the host's /etc.
	[ ! -e /etc/marker ]
	[ -d "$BUNDLE/rootfs/etc/marker" ]
}

@test "only preserved descriptors reach the workload (CVE-2024-21626 class)" {
	set_args "$BUNDLE" sh -c 'ls /proc/self/fd | wc -l'
	run RT run --bundle "$BUNDLE" t1 7</etc/hostname
	# 0, 1, 2 and the fd ls itself opens: nothing from the runtime or its caller.
	[ "$output" -le 4 ]
	set_args "$BUNDLE" sh -c 'cat <&3'
	run RT run --preserve-fds 1 --bundle "$BUNDLE" t1 3</etc/hostname
	[ "$output" = "$(cat /etc/hostname)" ]
}

@test "no descriptor of a host directory reaches the workload's exec (CVE-2024-21626 class)" {
	# A leaked directory descriptor would let PATH climb out through /proc/self/fd: python3 exists
	# on the host, not in the image.
	path=""
	for fd in $(seq 3 24); do path="$path/proc/self/fd/$fd/../../../../../../../../usr/bin:"; done
	edit_config "c['process']['args'] = ['python3', '-c', 'print(\"escaped\")']" \
		"c['process']['env'] = ['PATH=${path}/bin']"
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -ne 0 ]
	[[ "$output" == *'"python3": executable file not found'* ]]
	[[ "$output" != *escaped* ]]
	# Nor any, while a created container waits for start.
	set_args "$BUNDLE" true
	RT create --bundle "$BUNDLE" t2
	pid="$(RT state t2 | "$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["pid"])')"
	for fd in /proc/"$pid"/fd/*; do
		if [ -d "$fd" ]; then
			echo "the init holds a directory: $fd -> $(readlink "$fd")"
			false
		fi
	done
	RT delete --force t2
}

@test "a cwd outside the rootfs is refused" {
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1])); c["process"]["cwd"] = "relative/dir"
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.cwd"* ]]
}

@test "bad configs get errors that name the field" {
	echo '{"ociVersion": "1.0.2", "root": {"path": "rootfs"}, "process": {"args": [1]}}' >"$BUNDLE/config.json"
	run RT create --bundle "$BUNDLE" t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"process.args[0] must be a string"* ]]
	echo '{not json' >"$BUNDLE/config.json"
	run RT create --bundle "$BUNDLE" t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid JSON"* ]]
	run RT create --bundle "$BUNDLE" "bad/id"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid container id"* ]]
	run RT kill nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "a namespace the init cannot join fails create with that reason, with or without hooks" {
	# The init fails while the runtime sets up its cgroups (no hooks) or runs the prestart hook:
	# either way the error is the init's own, not one about cgroups, and nothing is left behind.
	edit_config 'next(n for n in c["linux"]["namespaces"] if n["type"] == "network")["path"] = "/etc/hostname"'
	for i in 1 2 3; do
		run RT run --bundle "$BUNDLE" "n$i"
		[ "$status" -eq 1 ]
		[[ "$output" == *'join network namespace `/etc/hostname`: Invalid argument'* ]]
		[[ "$output" != *"cgroups"* ]]
	done
	edit_config 'c["hooks"] = {"prestart": [{"path": "/bin/true"}]}'
	run RT run --bundle "$BUNDLE" h1
	[ "$status" -eq 1 ]
	[[ "$output" == *'join network namespace `/etc/hostname`'* ]]
	run RT list --quiet
	[ -z "$output" ]
}

@test "a missing executable fails create with the message podman maps to 127" {
	set_args "$BUNDLE" no-such-program
	run RT create --bundle "$BUNDLE" t1
	[ "$status" -eq 1 ]
	[[ "$output" == *'exec: "no-such-program": executable file not found in $PATH'* ]]
	run RT list --quiet
	[ -z "$output" ]
}

@test "every container is measured into a hash-chained log" {
	set_args "$BUNDLE" true
	# The first run creates the mount points (/proc, /dev, /sys) in the rootfs, which changes it.
	RT run --bundle "$BUNDLE" warm-up
	: >"$RT_ROOT/measurements.jsonl"
	RT run --bundle "$BUNDLE" a
	RT run --bundle "$BUNDLE" b
	"$SYSTEM_PYTHON" - "$RT_ROOT/measurements.jsonl" <<-'PY'
	import hashlib, json, sys
	lines = open(sys.argv[1], "rb").read().splitlines()
	assert len(lines) == 2, lines
	first, second = json.loads(lines[0]), json.loads(lines[1])
	assert first["container"] == "a" and second["container"] == "b"
	assert second["prev"] == "sha384:" + hashlib.sha384(lines[0]).hexdigest()
	assert second["seq"] == first["seq"] + 1
	# Same config and rootfs: same measurement.
	assert first["measurement"] == second["measurement"]
	PY
	echo changed >"$BUNDLE/rootfs/etc/motd"
	RT run --bundle "$BUNDLE" c
	[ "$(tail -1 "$RT_ROOT/measurements.jsonl" | grep -o 'sha384:[0-9a-f]*' | head -1)" != \
	  "$(head -1 "$RT_ROOT/measurements.jsonl" | grep -o 'sha384:[0-9a-f]*' | head -1)" ]
}

@test "a long measurement log is chained from its last record, whatever its length" {
	set_args "$BUNDLE" true
	# 100 KiB of earlier records: more than the runtime reads from the end of the log.
	"$SYSTEM_PYTHON" - "$RT_ROOT/measurements.jsonl" <<-'PY'
	import json, os, sys
	os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
	with open(sys.argv[1], "w") as f:
	    for seq in range(300):
	        f.write(json.dumps({"seq": seq, "container": "old-%d" % seq, "measurement": "sha384:" + "ab" * 48,
	                            "prev": "sha384:" + "cd" * 48, "time": "2026-01-01T00:00:00Z", "pad": "x" * 80},
	                           separators=(",", ":"), sort_keys=True) + "\n")
	PY
	RT run --bundle "$BUNDLE" after
	"$SYSTEM_PYTHON" - "$RT_ROOT/measurements.jsonl" <<-'PY'
	import hashlib, json, sys
	lines = open(sys.argv[1], "rb").read().splitlines()
	assert len(lines) == 301, len(lines)
	last = json.loads(lines[-1])
	assert last["container"] == "after" and last["seq"] == 300, last
	assert last["prev"] == "sha384:" + hashlib.sha384(lines[-2]).hexdigest()
	PY
}

@test "COCOON_RUNTIME_PROFILE prints where a run's time went, phase by phase" {
	set_args "$BUNDLE" true
	COCOON_RUNTIME_PROFILE=1 "$COCOON_RUNTIME" --root "$RT_ROOT" run --bundle "$BUNDLE" timed 2>"$TMP/profile"
	"$SYSTEM_PYTHON" - "$TMP/profile" <<-'PY'
	import json, sys
	phases = json.loads([l for l in open(sys.argv[1]) if l.startswith('{"phases"')][0])["phases"]
	for name in ("config", "measure", "clone", "cgroups", "init-setup", "measurement-log", "start", "workload", "delete"):
	    assert name in phases and phases[name] >= 0, (name, phases)
	PY
	# Without the variable nothing is printed.
	RT run --bundle "$BUNDLE" quiet 2>"$TMP/quiet"
	! grep -q phases "$TMP/quiet"
}

# tree_digest DIR: the rootfs part of a measurement, computed here from the documented format
# (runtime/measure.h): per entry in byte order, "path\nmode uid gid size\n" and then the SHA-256 of
# a file's content, a link's target, or a directory's entries.
tree_digest() {
	"$SYSTEM_PYTHON" - "$1" <<-'PY'
	import hashlib, os, stat, sys
	h = hashlib.sha384()
	def walk(path, prefix):
	    for name in sorted(os.listdir(path.encode())):
	        full = os.path.join(path.encode(), name)
	        st = os.lstat(full)
	        rel = prefix + b"/" + name
	        size = st.st_size if stat.S_ISREG(st.st_mode) else 0
	        h.update(rel + b"\n" + ("%o %d %d %d\n" % (st.st_mode, st.st_uid, st.st_gid, size)).encode())
	        if stat.S_ISLNK(st.st_mode):
	            h.update(os.readlink(full))
	        elif stat.S_ISREG(st.st_mode):
	            h.update(hashlib.sha256(open(full, "rb").read()).hexdigest().encode())
	        elif stat.S_ISDIR(st.st_mode):
	            walk(full.decode(), rel)
	walk(sys.argv[1], b"")
	print("tree:sha384:" + h.hexdigest())
	PY
}

rootfs_part() {
	RT measure --bundle "$BUNDLE" "$1" | "$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["parts"]["rootfs"])'
}

# measure_cache FILE COMMAND [ARG]: reads the runtime's measurement cache (src/runtime/measure_cache.h)
# independently. links: prints "INO TARGET" per symlink record; zero-digest INO: sets the content
# digest recorded for inode INO to zeros, in place.
measure_cache() {
	"$SYSTEM_PYTHON" - "$@" <<-'PY'
	import struct, sys
	path, command = sys.argv[1], sys.argv[2]
	data = bytearray(open(path, "rb").read())
	magic, version, count, strings_len = struct.unpack_from("=8sIIQ", data, 0)
	assert magic == b"COCOONMC" and version == 1, (magic, version)
	assert len(data) == 24 + 72 * count + strings_len, "size"
	strings = 24 + 72 * count
	hits = 0
	for i in range(count):
	    at = 24 + 72 * i
	    dev, ino, size, sec, nsec, kind = struct.unpack_from("=QQqqIB", data, at)
	    if command == "links" and kind == 2:
	        offset, length = struct.unpack_from("=II", data, at + 40)
	        print(ino, data[strings + offset:strings + offset + length].decode())
	    elif command == "zero-digest" and kind == 1 and ino == int(sys.argv[3]):
	        data[at + 40:at + 72] = bytes(32)
	        hits += 1
	if command == "zero-digest":
	    assert hits == 1, hits
	    open(path, "wb").write(data)
	PY
}

@test "the rootfs measurement is the same from its cache, and follows every change of content or link" {
	# Entries are remembered once their ctime is a few seconds old.
	sleep 3
	expected="$(tree_digest "$BUNDLE/rootfs")"
	cache="$RT_ROOT/measure-cache.bin"
	[ "$(rootfs_part cold)" = "$expected" ]
	measure_cache "$cache" links | grep -q " busybox$"
	[ "$(rootfs_part warm)" = "$expected" ]
	# The warm result came from the cache: a remembered digest changed by hand changes it.
	measure_cache "$cache" zero-digest "$(stat -c %i "$BUNDLE/rootfs/bin/busybox")"
	[ "$(rootfs_part tampered)" != "$expected" ]
	# A cache that is not one (cut short, or another file) is set aside, never read as one.
	head -c 1000 "$cache" >"$cache.cut" && mv "$cache.cut" "$cache"
	[ "$(rootfs_part cut)" = "$expected" ]
	echo '{"not": "a cache"}' >"$cache"
	[ "$(rootfs_part foreign)" = "$expected" ]
	rm "$cache"
	[ "$(rootfs_part rebuilt)" = "$expected" ]
	[ "$(rootfs_part from-rebuilt)" = "$expected" ]
	# The same size, other content; a link to another target of the same length.
	printf 'BUSYBOX' | dd of="$BUNDLE/rootfs/bin/busybox" bs=1 seek=100 conv=notrunc status=none
	ln -sfn bosybux "$BUNDLE/rootfs/bin/sh"
	changed="$(tree_digest "$BUNDLE/rootfs")"
	[ "$changed" != "$expected" ]
	[ "$(rootfs_part after-change)" = "$changed" ]
	# What changed just now is not remembered yet: measured again, it is read again.
	! measure_cache "$cache" links | grep -q "^$(stat -c %i "$BUNDLE/rootfs/bin/sh") " || false
	[ "$(rootfs_part again)" = "$changed" ]
}

@test "a rootfs large enough to be walked by several threads has the digest of an independent walk" {
	"$SYSTEM_PYTHON" - "$BUNDLE/rootfs/wide" <<-'PY'
	import os, sys
	for d in range(20):
	    os.makedirs(f"{sys.argv[1]}/d{d:02}/deeper/still")
	    os.symlink(f"../d{(d + 1) % 20:02}", f"{sys.argv[1]}/d{d:02}/next")
	    for f in range(60):
	        with open(f"{sys.argv[1]}/d{d:02}/f{f:02}", "w") as out:
	            out.write(f"{d} {f}\n" * (f + 1))
	PY
	expected="$(tree_digest "$BUNDLE/rootfs")"
	[ "$(rootfs_part cold)" = "$expected" ]
	sleep 3
	[ "$(rootfs_part filling)" = "$expected" ]
	[ "$(rootfs_part warm)" = "$expected" ]
}

@test "libcrypto is loaded when a command measures, not at every start" {
	LD_DEBUG=files RT list 2>"$TMP/list.ld" >/dev/null
	grep -q 'file=libjansson' "$TMP/list.ld"
	! grep -q 'file=libcrypto' "$TMP/list.ld" || false
	LD_DEBUG=files RT measure --bundle "$BUNDLE" m1 2>"$TMP/measure.ld" >"$TMP/measure.json"
	grep -q 'file=libcrypto.so.3' "$TMP/measure.ld"
	# The digests through the loaded library are right: the rootfs part against one computed here.
	"$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["parts"]["rootfs"])' \
		"$TMP/measure.json" >"$TMP/rootfs-part"
	[ "$(cat "$TMP/rootfs-part")" = "$(tree_digest "$BUNDLE/rootfs")" ]
}

# exe_of_runtime_running BUNDLE ID: the target of /proc/PID/exe of a `run` in progress.
exe_of_runtime_running() {
	"$COCOON_RUNTIME" --root "$RT_ROOT" run --bundle "$1" "$2" >/dev/null 2>&1 &
	local pid=$!
	for _ in $(seq 1 100); do
		RT state "$2" 2>/dev/null | grep -q '"status": "running"' && break
		sleep 0.02
	done
	readlink "/proc/$pid/exe"
	RT kill "$2" KILL >/dev/null 2>&1 || true
	wait "$pid" || true
}

@test "CVE-2019-5736: create and run execute from a sealed copy, whatever the namespaces" {
	set_args "$BUNDLE" sleep 30
	# With its own PID namespace too: the init is a clone of the runtime until it executes the
	# workload, and a workload of /proc/self/exe would run the runtime's own file.
	exe="$(exe_of_runtime_running "$BUNDLE" own-pids)"
	echo "$exe"
	[[ "$exe" == /memfd:cocoon-runtime* ]]
	edit_config 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
	exe="$(exe_of_runtime_running "$BUNDLE" shared-pids)"
	echo "$exe"
	[[ "$exe" == /memfd:cocoon-runtime* ]]
}

@test "a seccomp profile is compiled once; a cached program others could have written is ignored" {
	edit_config 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
	  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_args "$BUNDLE" sh -c 'mkdir /tmp/x 2>/dev/null && echo made || echo refused'
	run RT run --bundle "$BUNDLE" first
	[ "$output" = refused ]
	cached=("$RT_ROOT"/seccomp-cache/*.bpf)
	[ "${#cached[@]}" -eq 1 ] && [ -f "${cached[0]}" ]
	[ "$(stat -c %a "${cached[0]}")" = 600 ]
	run RT run --bundle "$BUNDLE" second
	[ "$output" = refused ]
	# An allow-everything program in its place, writable by anyone: not loaded, the profile is
	# compiled again.
	"$SYSTEM_PYTHON" - "${cached[0]}" <<-'PY'
	import struct, sys
	allow = struct.pack("=HBBI", 0x06, 0, 0, 0x7fff0000)  # BPF_RET|BPF_K, SECCOMP_RET_ALLOW
	open(sys.argv[1], "wb").write(b"CCBPF1\0\0" + struct.pack("=IIII", 0, 0, 1, 0) + allow)
	PY
	chmod 666 "${cached[0]}"
	run RT run --bundle "$BUNDLE" third
	[ "$output" = refused ]
}

@test "lifecycle steps are security events" {
	set_args "$BUNDLE" true
	RT run --bundle "$BUNDLE" t1
	run "$COCOON" event validate "$RT_ROOT/events.jsonl"
	[ "$status" -eq 0 ]
	grep -q '"action":"container.create"' "$RT_ROOT/events.jsonl"
	grep -q '"action":"container.start"' "$RT_ROOT/events.jsonl"
	grep -q '"action":"container.delete"' "$RT_ROOT/events.jsonl"
}

@test "features and spec" {
	run RT features
	[ "$status" -eq 0 ]
	echo "$output" | "$SYSTEM_PYTHON" -c 'import json,sys; f=json.load(sys.stdin); assert "seccomp" in f["linux"] and f["ociVersionMax"]=="1.2.0"'
	run RT spec --bundle "$BUNDLE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
}

@test "hooks get the state on stdin; a failing prestart hook fails create" {
	printf '#!/bin/sh\ncat > %s/hook-state\n' "$TMP" >"$TMP/hook.sh"
	chmod +x "$TMP/hook.sh"
	set_args "$BUNDLE" true
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" "$TMP/hook.sh" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1])); c["hooks"] = {"prestart": [{"path": sys.argv[2]}]}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	RT run --bundle "$BUNDLE" t1
	grep -q '"id":"t1"' "$TMP/hook-state"
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1])); c["hooks"] = {"prestart": [{"path": "/bin/false"}]}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t2
	[ "$status" -eq 1 ]
	[[ "$output" == *"hook \`/bin/false\` failed"* ]]
}

@test "the devices cgroup denies host disks even with CAP_MKNOD" {
	local dev
	dev="$(awk 'NR > 2 && $1 != "" { print $1 ":" $2; exit }' /proc/partitions)"
	[ -n "$dev" ] || skip "no block device listed in /proc/partitions"
	[ -d /sys/fs/cgroup/devices ] || skip "no v1 devices controller (cgroup v2 device filtering is not implemented)"
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	for k in ["bounding", "effective", "permitted"]:
	    c["process"]["capabilities"][k].append("CAP_MKNOD")
	json.dump(c, open(sys.argv[1], "w"))
	PY
	set_args "$BUNDLE" sh -c "mknod /tmp/disk b ${dev%%:*} ${dev##*:} && echo made; head -c 16 /tmp/disk >/dev/null 2>&1 && echo READ-HOST-DISK; echo x > /dev/null && echo null-ok"
	run RT run --bundle "$BUNDLE" t1
	[[ "$output" == *made* ]]
	[[ "$output" != *READ-HOST-DISK* ]]
	[[ "$output" == *null-ok* ]]
}

@test "createContainer and startContainer hooks run in the container's namespaces" {
	printf '#!/bin/sh\nhostname > %s/create-container-hostname\n' "$TMP" >"$TMP/cc.sh"
	chmod +x "$TMP/cc.sh"
	printf '#!/bin/sh\ncat > /tmp/start-state\n' >"$BUNDLE/rootfs/start.sh"
	chmod +x "$BUNDLE/rootfs/start.sh"
	set_args "$BUNDLE" cat /tmp/start-state
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" "$TMP/cc.sh" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1])); c["hostname"] = "hooked"
	c["hooks"] = {"createContainer": [{"path": sys.argv[2]}], "startContainer": [{"path": "/start.sh"}]}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 0 ]
	[[ "$output" == *'"id":"t1"'* ]]
	[ "$(cat "$TMP/create-container-hostname")" = hooked ]
}

@test "user namespace with uid/gid mappings" {
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["linux"]["namespaces"].append({"type": "user"})
	c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
	json.dump(c, open(sys.argv[1], "w"))
	PY
	# The mapped root must be able to reach and own its rootfs, as with any runtime.
	chown -R 100000:100000 "$BUNDLE/rootfs"
	chmod 755 "$TMP" "$BUNDLE"
	set_args "$BUNDLE" sh -c 'id -u; cat /proc/self/uid_map'
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" == *"0"*"100000"*"65536"* ]]
}

@test "time namespace with linux.timeOffsets" {
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["linux"]["namespaces"].append({"type": "time"})
	c["linux"]["timeOffsets"] = {"boottime": {"secs": 864000, "nanosecs": 0}}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	set_args "$BUNDLE" cut -d. -f1 /proc/uptime
	run RT run --bundle "$BUNDLE" t1
	[ "$status" -eq 0 ]
	host="$(cut -d. -f1 /proc/uptime)"
	[ "$output" -ge $((host + 863000)) ]
}

@test "seccomp notify: the listener gets the notify fd and the container state" {
	"$SYSTEM_PYTHON" - "$TMP/listener.sock" "$TMP/listener.out" <<-'PY' &
	import array, json, socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
	conn, _ = s.accept()
	fds = array.array("i")
	msg, anc, flags, addr = conn.recvmsg(65536, socket.CMSG_LEN(fds.itemsize))
	for level, kind, data in anc:
	    fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
	state = json.loads(msg)
	open(sys.argv[2], "w").write("%s %d\n" % (state["id"], len(fds)))
	# Closing the notify fd makes the waiting system call fail with ENOSYS.
	for fd in fds:
	    __import__("os").close(fd)
	PY
	listener=$!
	for _ in $(seq 1 100); do [ -S "$TMP/listener.sock" ] && break; sleep 0.05; done
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" "$TMP/listener.sock" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": sys.argv[2],
	  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
	json.dump(c, open(sys.argv[1], "w"))
	PY
	set_args "$BUNDLE" sh -c 'mkdir /tmp/notified 2>&1; echo rc=$?'
	run RT run --bundle "$BUNDLE" t1
	wait "$listener"
	[ "$(cat "$TMP/listener.out")" = "t1 1" ]
	[[ "$output" == *"Function not implemented"* ]]
}
