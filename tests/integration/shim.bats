#!/usr/bin/env bats
# cocoon-shim, the per-container monitor, run as cocoond runs it: with cocoon-runtime, a busybox
# bundle, and the files it writes (CRI log, exit file, pid file) read back. Every monitor a test
# starts ends with its container; teardown deletes what is left and waits for the monitors by PID.

load helpers/common
load helpers/runtime

setup() {
	require_root
	TMP="$(mktemp -d)"
	RT_ROOT="$TMP/state"
	BUNDLE="$TMP/bundle"
	# Container ids are unique to the test: the runtime's default cgroup is /cocoon/ID, shared by
	# every runtime root on this machine.
	CID="shimtest-${TMP##*.}"
	make_bundle "$BUNDLE"
}

teardown() {
	for id in $(RT list --quiet 2>/dev/null); do
		RT delete --force "$id" >/dev/null 2>&1 || true
	done
	local file pid
	for file in "$TMP"/*.shim.pid; do
		[ -e "$file" ] || continue
		pid="$(cat "$file")"
		wait_gone "$pid" 50 || kill -KILL "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
}

# shim NAME [extra options]: cocoon-shim for container $CID with its files in $TMP/NAME.*.
shim() {
	local id="$1"
	shift
	"$COCOON_SHIM" --runtime "$COCOON_RUNTIME" --runtime-root "$RT_ROOT" --bundle "$BUNDLE" --id "$CID" \
		--log "$TMP/$id.log" --exit-file "$TMP/$id.exit" --shim-pid-file "$TMP/$id.shim.pid" "$@"
}

# wait_for_file FILE [TENTHS]: waits up to TENTHS/10 s (default 10 s) for FILE to exist.
wait_for_file() {
	local file="$1" tenths="${2:-100}"
	for _ in $(seq 1 "$tenths"); do
		[ -e "$file" ] && return 0
		sleep 0.1
	done
	echo "$file did not appear" >&2
	return 1
}

# wait_gone PID [TENTHS]: waits for process PID to be gone (a zombie counts as gone: it has exited).
wait_gone() {
	local pid="$1" tenths="${2:-100}"
	for _ in $(seq 1 "$tenths"); do
		if ! kill -0 "$pid" 2>/dev/null || [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = Z ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

NO_PID_NAMESPACE='c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'

# json_field FILE KEY: one value of a JSON object.
json_field() {
	"$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# cri_check FILE...: every line is TIMESTAMP STREAM TAG CONTENT as kubelet parses it (RFC 3339 with
# nanoseconds, stdout|stderr, F|P); prints each stream's output rebuilt as kubelet rebuilds it (P
# chunks joined, F ends a line) as JSON {"stdout": ..., "stderr": ...}.
cri_check() {
	"$SYSTEM_PYTHON" - "$@" <<-'PY'
	import json, re, sys
	line_re = re.compile(rb'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (stdout|stderr) ([FP]) (.*)\n$', re.S)
	out = {"stdout": b"", "stderr": b""}
	for path in sys.argv[1:]:
	    for raw in open(path, "rb").read().splitlines(keepends=True):
	        m = line_re.match(raw)
	        if not m:
	            sys.exit("not a CRI log line in %s: %r" % (path, raw[:200]))
	        out[m.group(2).decode()] += m.group(4) + (b"\n" if m.group(3) == b"F" else b"")
	print(json.dumps({k: v.decode() for k, v in out.items()}))
	PY
}

@test "stdout and stderr become CRI lines with F tags; exit 3 is recorded as Error" {
	set_args "$BUNDLE" sh -c 'echo out1; echo err1 >&2; echo out2; echo >&2; exit 3'
	run shim c1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^pid=[0-9]+$ ]]
	local pid="${output#pid=}"
	wait_for_file "$TMP/c1.exit"
	cat "$TMP/c1.log"
	# The exact lines, in each stream's order.
	[ "$(grep -c '' "$TMP/c1.log")" -eq 4 ]
	grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z stdout F out1$' "$TMP/c1.log"
	grep -qE 'Z stderr F err1$' "$TMP/c1.log"
	grep -qE 'Z stderr F $' "$TMP/c1.log"
	[ "$(grep ' stdout ' "$TMP/c1.log" | cut -d' ' -f4- | tr '\n' ,)" = "out1,out2," ]
	run cri_check "$TMP/c1.log"
	[ "$status" -eq 0 ]
	[ "$output" = '{"stdout": "out1\nout2\n", "stderr": "err1\n\n"}' ]
	[ "$(json_field "$TMP/c1.exit" exitCode)" -eq 3 ]
	[ "$(json_field "$TMP/c1.exit" signal)" -eq 0 ]
	[ "$(json_field "$TMP/c1.exit" reason)" = Error ]
	[ "$(json_field "$TMP/c1.exit" pid)" -eq "$pid" ]
	"$SYSTEM_PYTHON" - "$TMP/c1.exit" <<-'PY'
	import json, sys
	from datetime import datetime
	e = json.load(open(sys.argv[1]))
	assert set(e) == {"exitCode", "signal", "reason", "startedAt", "finishedAt", "pid"}, e
	parse = lambda s: datetime.strptime(s[:26] + "Z", "%Y-%m-%dT%H:%M:%S.%fZ")
	assert parse(e["startedAt"]) <= parse(e["finishedAt"]), e
	PY
	[ "$(stat -c %a "$TMP/c1.log")" = 600 ]
	[ "$(stat -c %a "$TMP/c1.log.shim.log")" = 600 ]
	# The monitor deletes the container and exits.
	wait_gone "$(cat "$TMP/c1.shim.pid")"
	[ -z "$(RT list --quiet)" ]
}

@test "a clean exit is Completed with exit code 0" {
	set_args "$BUNDLE" true
	run shim c1
	[ "$status" -eq 0 ]
	wait_for_file "$TMP/c1.exit"
	[ "$(json_field "$TMP/c1.exit" exitCode)" -eq 0 ]
	[ "$(json_field "$TMP/c1.exit" reason)" = Completed ]
	[ ! -s "$TMP/c1.log" ]
}

@test "a line longer than 16 KiB is cut into P chunks and an F chunk; output without a newline ends as P" {
	set_args "$BUNDLE" sh -c 'head -c 40000 /dev/zero | tr "\0" a; echo; printf tail'
	run shim c1
	[ "$status" -eq 0 ]
	wait_for_file "$TMP/c1.exit"
	run cut -d' ' -f2,3 "$TMP/c1.log"
	[ "$output" = "$(printf 'stdout P\nstdout P\nstdout F\nstdout P')" ]
	# 16384 + 16384 + 7232 bytes of content, then "tail".
	run awk '{ print length($4) }' "$TMP/c1.log"
	[ "$output" = "$(printf '16384\n16384\n7232\n4')" ]
	run cri_check "$TMP/c1.log"
	[ "$status" -eq 0 ]
	"$SYSTEM_PYTHON" -c 'import json, sys; o = json.loads(sys.argv[1]); assert o["stdout"] == "a" * 40000 + "\ntail", len(o["stdout"])' "$output"
}

@test "a container killed with SIGKILL through the runtime exits 137, signal 9" {
	set_args "$BUNDLE" sh -c 'echo ready; exec sleep 60'
	run shim c1
	[ "$status" -eq 0 ]
	# cocoon-shim returns once the container is started.
	RT state "$CID" | grep -q '"status": "running"'
	for _ in $(seq 1 100); do grep -q ready "$TMP/c1.log" 2>/dev/null && break; sleep 0.05; done
	RT kill "$CID" KILL
	wait_for_file "$TMP/c1.exit"
	[ "$(json_field "$TMP/c1.exit" exitCode)" -eq 137 ]
	[ "$(json_field "$TMP/c1.exit" signal)" -eq 9 ]
	[ "$(json_field "$TMP/c1.exit" reason)" = Error ]
}

@test "an OOM kill in the container's memory cgroup is reported as OOMKilled" {
	[ -d /sys/fs/cgroup/memory ] || [ -e /sys/fs/cgroup/cgroup.controllers ] || skip "needs a memory cgroup controller"
	edit_config 'c["linux"].setdefault("resources", {})["memory"] = {"limit": 33554432}'
	set_args "$BUNDLE" sh -c 'x=0123456789abcdef; while true; do x=$x$x; done'
	run shim c1
	[ "$status" -eq 0 ]
	wait_for_file "$TMP/c1.exit" 300
	cat "$TMP/c1.exit"
	[ "$(json_field "$TMP/c1.exit" reason)" = OOMKilled ]
	[ "$(json_field "$TMP/c1.exit" exitCode)" -eq 137 ]
}

@test "rotation keeps every file under the limit and every line, in order, across the files" {
	set_args "$BUNDLE" sh -c 'i=1; while [ $i -le 400 ]; do echo "line $i"; i=$((i+1)); done'
	run shim c1 --log-max-bytes 2000 --log-max-files 50
	[ "$status" -eq 0 ]
	wait_for_file "$TMP/c1.exit"
	[ -e "$TMP/c1.log.1" ]
	[ -e "$TMP/c1.log.2" ]
	local files=() n
	for n in $(seq 49 -1 1); do
		[ -e "$TMP/c1.log.$n" ] && files+=("$TMP/c1.log.$n")
	done
	files+=("$TMP/c1.log")
	local f
	for f in "${files[@]}"; do
		[ "$(stat -c %s "$f")" -le 2000 ]
		[ "$(stat -c %a "$f")" = 600 ]
	done
	run cri_check "${files[@]}"
	[ "$status" -eq 0 ]
	"$SYSTEM_PYTHON" -c 'import json, sys; o = json.loads(sys.argv[1]); assert o["stdout"] == "".join("line %d\n" % i for i in range(1, 401)), o["stdout"][:300]' "$output"
}

@test "rotation drops the oldest file beyond --log-max-files" {
	set_args "$BUNDLE" sh -c 'i=1; while [ $i -le 400 ]; do echo "line $i"; i=$((i+1)); done'
	run shim c1 --log-max-bytes 2000 --log-max-files 3
	[ "$status" -eq 0 ]
	wait_for_file "$TMP/c1.exit"
	[ -e "$TMP/c1.log.2" ]
	[ ! -e "$TMP/c1.log.3" ]
	run cri_check "$TMP/c1.log.2" "$TMP/c1.log.1" "$TMP/c1.log"
	[ "$status" -eq 0 ]
	# What is kept is the end of the output, without a gap.
	"$SYSTEM_PYTHON" -c '
import json, sys
lines = json.loads(sys.argv[1])["stdout"].splitlines()
first = int(lines[0].split()[1])
assert first > 1 and lines == ["line %d" % i for i in range(first, 401)], lines[:3]' "$output"
}

@test "a failing create exits 1 with the runtime's message and leaves nothing behind" {
	set_args "$BUNDLE" /bin/no-such-program
	run shim c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'exec: "/bin/no-such-program": executable file not found'* ]]
	[ -z "$(RT list --quiet)" ]
	[ ! -e "$RT_ROOT/$CID" ]
	[ ! -e "$TMP/c1.log" ]
	[ ! -e "$TMP/c1.log.shim.log" ]
	[ ! -e "$TMP/c1.exit" ]
	[ ! -e "$TMP/c1.shim.pid" ]
	[ ! -e "$TMP/c1.exit.init.pid" ]
	# No monitor left: no live process has this test's directory on its command line.
	run sh -c "ps -eo stat=,args= | grep -F -- '$TMP' | grep -v '^Z' | grep -v grep"
	[ -z "$output" ]
}

@test "a failing start exits 1 with start's message, deletes the container and leaves nothing behind" {
	# A runtime that records its arguments and refuses `start`.
	cat >"$TMP/runtime" <<-EOF
	#!/bin/sh
	echo "\$*" >>"$TMP/runtime.args"
	for arg; do [ "\$arg" = start ] && { echo "start refused by the test" >&2; exit 1; }; done
	exec "$COCOON_RUNTIME" "\$@"
	EOF
	chmod +x "$TMP/runtime"
	set_args "$BUNDLE" sh -c 'echo should not be logged; exec sleep 60'
	run "$COCOON_SHIM" --runtime "$TMP/runtime" --runtime-root "$RT_ROOT" --runtime-arg --debug --bundle "$BUNDLE" \
		--id "$CID" --log "$TMP/c1.log" --exit-file "$TMP/c1.exit" --shim-pid-file "$TMP/c1.shim.pid"
	echo "$output"
	cat "$TMP/runtime.args"
	[ "$status" -eq 1 ]
	[[ "$output" == *"\`$TMP/runtime start\` failed (exit status 1): start refused by the test"* ]]
	# The extra argument goes before the runtime's own global options and the subcommand.
	grep -qF -- "--debug --root $RT_ROOT --log $TMP/c1.log.shim.log create --bundle $BUNDLE --pid-file $TMP/c1.exit.init.pid $CID" "$TMP/runtime.args"
	grep -qF -- "--debug --root $RT_ROOT --log $TMP/c1.log.shim.log delete --force $CID" "$TMP/runtime.args"
	[ -z "$(RT list --quiet)" ]
	[ ! -e "$TMP/c1.log" ]
	[ ! -e "$TMP/c1.log.shim.log" ]
	[ ! -e "$TMP/c1.exit" ]
	[ ! -e "$TMP/c1.shim.pid" ]
	run sh -c "ps -eo stat=,args= | grep -F -- '$TMP' | grep -v '^Z' | grep -v grep"
	[ -z "$output" ]
}

@test "a bundle that cannot be created (no config) is refused the same way" {
	rm "$BUNDLE/config.json"
	run shim c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"cocoon-runtime create"*"failed"* ]]
	[[ "$output" == *"config.json"* ]]
	[ -z "$(RT list --quiet)" ]
}

@test "usage errors exit 2 and name the option" {
	run "$COCOON_SHIM" --runtime "$COCOON_RUNTIME" --id c1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--runtime-root is required"* ]]
	run shim c1 --log-max-files 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"--log-max-files"* ]]
	run "$COCOON_SHIM" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--exit-file FILE"* ]]
}

@test "the monitor is detached: not the caller's child, outlives it, ignores SIGTERM and SIGHUP" {
	set_args "$BUNDLE" sh -c 'echo up; exec sleep 60'
	# The caller is a subshell that exits as soon as cocoon-shim has returned.
	(shim c1 >"$TMP/caller.out" 3>&-)
	grep -qE '^pid=[0-9]+$' "$TMP/caller.out"
	local monitor
	monitor="$(cat "$TMP/c1.shim.pid")"
	kill -0 "$monitor"
	local ppid sid
	ppid="$(ps -o ppid= -p "$monitor" | tr -d ' ')"
	sid="$(ps -o sid= -p "$monitor" | tr -d ' ')"
	[ "$ppid" != "$$" ]
	[ "$sid" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
	# stdin and stdout are /dev/null, stderr its log; nothing of the caller's is held.
	[ "$(readlink "/proc/$monitor/fd/0")" = /dev/null ]
	[ "$(readlink "/proc/$monitor/fd/1")" = /dev/null ]
	[ "$(readlink "/proc/$monitor/fd/2")" = "$TMP/c1.log.shim.log" ]
	kill -TERM "$monitor"
	kill -HUP "$monitor"
	sleep 0.2
	kill -0 "$monitor"
	grep -q "SIGTERM" "$TMP/c1.log.shim.log"
	[ ! -e "$TMP/c1.exit" ]
	RT kill "$CID" KILL
	wait_for_file "$TMP/c1.exit"
	[ "$(json_field "$TMP/c1.exit" exitCode)" -eq 137 ]
	wait_gone "$monitor"
	[ -z "$(RT list --quiet)" ]
}

@test "orphans of the container are reaped by the monitor: no zombies" {
	# Without a pid namespace, a process the container orphans is reparented to the monitor (a child
	# subreaper), which must reap it.
	edit_config "$NO_PID_NAMESPACE"
	set_args "$BUNDLE" sh -c 'for i in 1 2 3 4 5; do sh -c "sleep 0.1 &"; done; echo spawned; exec sleep 60'
	run shim c1
	[ "$status" -eq 0 ]
	local monitor
	monitor="$(cat "$TMP/c1.shim.pid")"
	for _ in $(seq 1 100); do grep -q spawned "$TMP/c1.log" 2>/dev/null && break; sleep 0.05; done
	sleep 0.5
	ps -o pid=,stat=,args= --ppid "$monitor" || true
	run sh -c "ps -o stat= --ppid $monitor | grep -c '^Z'"
	[ "$output" -eq 0 ]
	# The container's own init is the monitor's child too.
	local init
	init="$(RT state "$CID" | "$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["pid"])')"
	[ "$(ps -o ppid= -p "$init" | tr -d ' ')" = "$monitor" ]
	RT kill "$CID" KILL
	wait_for_file "$TMP/c1.exit"
	wait_gone "$monitor"
}

@test "output is drained after the init exits, but not for ever when a process it left holds the pipe" {
	edit_config "$NO_PID_NAMESPACE"
	# The init exits at once; its child keeps writing for a while, then holds stdout for 30 s.
	set_args "$BUNDLE" sh -c '(sleep 0.3; echo late; exec sleep 30) & echo early'
	run shim c1
	[ "$status" -eq 0 ]
	local begin="${EPOCHREALTIME/./}"
	wait_for_file "$TMP/c1.exit" 100
	local elapsed_ms=$(((${EPOCHREALTIME/./} - begin) / 1000))
	echo "exit file after ${elapsed_ms} ms"
	[ "$elapsed_ms" -lt 5000 ]
	grep -q ' stdout F early$' "$TMP/c1.log"
	grep -q ' stdout F late$' "$TMP/c1.log"
	[ "$(json_field "$TMP/c1.exit" exitCode)" -eq 0 ]
	grep -q "still open" "$TMP/c1.log.shim.log"
	wait_gone "$(cat "$TMP/c1.shim.pid")"
}

@test "a full disk drops output without stopping the monitor, and a note says how much was lost" {
	command -v unshare >/dev/null || skip "needs unshare"
	mkdir "$TMP/small"
	set_args "$BUNDLE" sh -c 'echo before; while [ ! -e /tmp/go1 ]; do sleep 0.05; done
		head -c 40000 /dev/zero | tr "\0" x; echo
		while [ ! -e /tmp/go2 ]; do sleep 0.05; done; echo after
		while [ ! -e /tmp/go3 ]; do sleep 0.05; done'
	# A 64 KiB tmpfs in a mount namespace of the monitor's own: gone when the monitor is.
	unshare -m --propagation private sh -c "mount -t tmpfs -o size=64k tmpfs '$TMP/small' &&
		exec '$COCOON_SHIM' --runtime '$COCOON_RUNTIME' --runtime-root '$RT_ROOT' --bundle '$BUNDLE' \
			--id '$CID' --log '$TMP/small/c1.log' --exit-file '$TMP/c1.exit' --shim-pid-file '$TMP/c1.shim.pid'" 3>&-
	local monitor small
	monitor="$(cat "$TMP/c1.shim.pid")"
	small="/proc/$monitor/root$TMP/small"
	for _ in $(seq 1 100); do grep -q before "$small/c1.log" 2>/dev/null && break; sleep 0.05; done
	grep -q ' stdout F before$' "$small/c1.log"
	dd if=/dev/zero of="$small/filler" bs=4k 2>/dev/null || true
	touch "$BUNDLE/rootfs/tmp/go1"
	sleep 0.5
	kill -0 "$monitor"
	rm "$small/filler"
	touch "$BUNDLE/rootfs/tmp/go2"
	for _ in $(seq 1 100); do grep -q after "$small/c1.log" 2>/dev/null && break; sleep 0.05; done
	cat "$small/c1.log"
	run grep -c xxxx "$small/c1.log"
	[ "$output" -eq 0 ]
	grep -qE " stderr F cocoon-shim: 40000 bytes of the container's output were lost: cannot write .*No space left on device$" "$small/c1.log"
	grep -q ' stdout F after$' "$small/c1.log"
	run cri_check "$small/c1.log"
	[ "$status" -eq 0 ]
	touch "$BUNDLE/rootfs/tmp/go3"
	wait_for_file "$TMP/c1.exit"
	[ "$(json_field "$TMP/c1.exit" exitCode)" -eq 0 ]
	wait_gone "$monitor"
}
