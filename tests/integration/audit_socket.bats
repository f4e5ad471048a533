#!/usr/bin/env bats
# The local audit socket: producers get "ok <id>" only once their event is durable in the queue;
# the runtime (and cocoond) send their events there when COCOON_AUDIT_SOCKET is set.

load helpers/common
load helpers/runtime

setup() {
	TMP="$(mktemp -d)"
	start_audit_socket
}

teardown() {
	stop_audit_socket
	rm -rf "$TMP"
}

send() {
	"$SYSTEM_PYTHON" - "$TMP/audit.sock" "$@" <<-'PY'
	import socket, sys
	s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
	for line in sys.argv[2:]:
	    f.write(line + "\n"); f.flush(); print(f.readline().strip())
	PY
}

@test "a valid event is acknowledged with its id; an invalid one is refused with the reason" {
	event="$("$COCOON" event new --component test --action unit.check --verdict allow)"
	id="$(echo "$event" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)"
	run send "$event" '{"id":"x","component":"c"}' 'not json'
	[ "${lines[0]}" = "ok $id" ]
	[[ "${lines[1]}" == "error invalid event"* ]]
	[[ "${lines[2]}" == "error "*"invalid JSON"* ]]
	for _ in $(seq 1 50); do
		grep -q "$id" "$TMP/siem.jsonl" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "$id" "$TMP/siem.jsonl"
}

@test "cocoon-runtime sends its security events to the audit socket" {
	require_root
	make_bundle "$TMP/bundle" 'c["process"]["args"] = ["true"]'
	COCOON_AUDIT_SOCKET="$TMP/audit.sock" "$COCOON_RUNTIME" --root "$TMP/state" run --bundle "$TMP/bundle" t1
	[ ! -e "$TMP/state/events.jsonl" ] || [ ! -s "$TMP/state/events.jsonl" ]
	for _ in $(seq 1 50); do
		grep -q '"action":"container.delete"' "$TMP/siem.jsonl" 2>/dev/null && break
		sleep 0.1
	done
	grep -q '"action":"container.create"' "$TMP/siem.jsonl"
	grep -q '"action":"container.delete"' "$TMP/siem.jsonl"
	run "$COCOON" audit verify "$TMP/siem.jsonl"
	[ "$status" -eq 0 ]
}

@test "an audit socket that is configured but down fails the runtime closed" {
	require_root
	make_bundle "$TMP/bundle" 'c["process"]["args"] = ["true"]'
	run env COCOON_AUDIT_SOCKET="$TMP/nobody-listens.sock" "$COCOON_RUNTIME" --root "$TMP/state" run --bundle "$TMP/bundle" t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"audit socket"* ]]
}

@test "an event the forwarder cannot take is spooled, loudly, and forwarded once the forwarder runs" {
	stop_audit_socket
	run env COCOON_AUDIT_SOCKET="$TMP/audit.sock" "$COCOON" event emit --component kms --action key.create \
		--verdict allow --object key/k1
	echo "$output"
	[ "$status" -eq 0 ]
	id="$(echo "$output" | tail -1)"
	[[ "$output" == *"did not take security event $id (kms key.create)"*"spooled to $TMP/audit.sock.spool"* ]]
	grep -q "\"id\":\"$id\"" "$TMP/audit.sock.spool"
	start_audit_socket
	for _ in $(seq 1 50); do
		grep -q "$id" "$TMP/siem.jsonl" 2>/dev/null && break
		sleep 0.1
	done
	grep -q "$id" "$TMP/siem.jsonl"
	# read once: a restart does not send it again
	stop_audit_socket
	start_audit_socket
	run "$COCOON" event emit --socket "$TMP/audit.sock" --component kms --action key.rotate
	[ "$status" -eq 0 ]
	[ "$(grep -c "$id" "$TMP/siem.jsonl")" -eq 1 ]
	run "$COCOON" audit verify "$TMP/siem.jsonl"
	[ "$status" -eq 0 ]
}

@test "a forwarder that does not answer holds a producer 5 s, not longer, and the event is spooled" {
	"$SYSTEM_PYTHON" - "$TMP/mute.sock" <<-'PY' &
	import socket, sys, time
	s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
	c, _ = s.accept(); time.sleep(15)  # reads nothing, answers nothing
	PY
	mute=$!
	for _ in $(seq 50); do [ -S "$TMP/mute.sock" ] && break; sleep 0.1; done
	start=$SECONDS
	run "$COCOON" event emit --socket "$TMP/mute.sock" --component kbs --action resource.release --verdict deny
	kill "$mute" 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	[ $((SECONDS - start)) -le 8 ]
	[[ "$output" == *"(kbs resource.release): no answer within 5 s"* ]]
	[ -s "$TMP/mute.sock.spool" ]
}

@test "an event neither the forwarder nor the spool can take is not recorded, and says so" {
	run "$COCOON" event emit --socket "$TMP/no/such/dir/audit.sock" --component kms --action key.destroy
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"(kms key.destroy) was NOT recorded"* ]]
}
