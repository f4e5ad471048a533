#!/usr/bin/env bats
# The audit socket under attack: each test reproduces an attack with bounded counts on a unix
# socket and shows a legitimate producer still served (docs/audit.md, "The socket input").

load helpers/common

setup() {
	TMP="$(mktemp -d)"
	CLIENT=("$SYSTEM_PYTHON" "$BATS_TEST_DIRNAME/helpers/audit_socket_client.py")
	EVENT="$("$COCOON" event new --component test --action attack.check --verdict allow)"
	EVENT_ID="$(echo "$EVENT" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)"
}

teardown() {
	for pid in ${HELPER_PIDS:-}; do kill "$pid" 2>/dev/null || true; done
	[ -n "${FORWARDER_PID:-}" ] && kill -9 "$FORWARDER_PID" 2>/dev/null || true
	rm -rf "$TMP"
}

# start_forwarder [options]: socket input, file output, metrics on a unix socket.
start_forwarder() {
	"$COCOON" audit forward --input "socket:$TMP/audit.sock" --output "file:$TMP/siem.jsonl" --queue "$TMP/queue" \
		--metrics "unix:$TMP/metrics.sock" "$@" 2>"$TMP/forward.log" &
	FORWARDER_PID=$!
	wait_for_server "the audit forwarder" "$FORWARDER_PID" "$TMP/forward.log" test -S "$TMP/metrics.sock"
}

# metric NAME{LABELS}: the sample's value
metric() {
	curl -s --unix-socket "$TMP/metrics.sock" http://localhost/metrics | awk -v m="$1" '$1 == m { print $2 }'
}

# A legitimate producer: its event is answered "ok <id>" within 2 s (the helper's timeout).
legitimate_producer_served() {
	run "${CLIENT[@]}" send "$TMP/audit.sock" "$EVENT"
	echo "$output"
	[[ "$output" == "ok $EVENT_ID "* ]]
}

@test "a producer that never reads its acknowledgements is cut off; others are served and SIGTERM is obeyed" {
	start_forwarder
	# 10,000 events and not one reply read: about 430 KB of acknowledgements it never takes.
	"${CLIENT[@]}" flood "$TMP/audit.sock" "$EVENT" 10000 20 >"$TMP/flood.out" &
	HELPER_PIDS="$!"
	for _ in 1 2 3 4 5; do
		legitimate_producer_served
		sleep 0.2
	done
	for _ in $(seq 100); do [ -s "$TMP/flood.out" ] && break; sleep 0.1; done
	grep -q "closed after" "$TMP/flood.out"
	[ "$(metric 'cocoon_audit_socket_disconnected_total{input="socket-0",reason="unread"}')" -eq 1 ]
	grep -q "does not read its acknowledgements" "$TMP/forward.log"
	# Another that does not read (fewer replies than the bound): still connected, yet SIGTERM
	# ends the forwarder at once.
	"${CLIENT[@]}" flood "$TMP/audit.sock" "$EVENT" 200 20 >/dev/null &
	HELPER_PIDS="$HELPER_PIDS $!"
	legitimate_producer_served
	[ "$(metric 'cocoon_audit_socket_producers{input="socket-0"}')" -ge 1 ]
	kill -TERM "$FORWARDER_PID"
	for _ in $(seq 30); do kill -0 "$FORWARDER_PID" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$FORWARDER_PID" 2>/dev/null || false
	wait "$FORWARDER_PID"
	FORWARDER_PID=
	grep -q "SIGTERM\|Terminated" "$TMP/forward.log"
}

@test "64 idle producers do not lock a new one out; idle and trickling producers are disconnected" {
	start_forwarder --socket-idle-timeout 2
	"${CLIENT[@]}" idle "$TMP/audit.sock" 64 4 >"$TMP/idle.out" &
	HELPER_PIDS="$!"
	for _ in $(seq 50); do
		[ "$(metric 'cocoon_audit_socket_producers{input="socket-0"}')" -eq 64 ] && break
		sleep 0.1
	done
	[ "$(metric 'cocoon_audit_socket_producers{input="socket-0"}')" -eq 64 ]
	# every slot is held: the one idle longest makes room
	legitimate_producer_served
	[ "$(metric 'cocoon_audit_socket_disconnected_total{input="socket-0",reason="evicted"}')" -eq 1 ]
	grep -q "the producer idle longest" "$TMP/forward.log"
	# a producer sending a byte at a time, never a whole event, is as idle as a silent one
	run "${CLIENT[@]}" trickle "$TMP/audit.sock" 6
	echo "trickler closed after $output s"
	[ "$output" != held ]
	wait "$HELPER_PIDS"
	HELPER_PIDS=
	[ "$(cat "$TMP/idle.out")" -eq 64 ] # the 63 left were closed by the idle timeout (and one evicted)
	[ "$(metric 'cocoon_audit_socket_disconnected_total{input="socket-0",reason="idle"}')" -ge 64 ]
	legitimate_producer_served
}

@test "rejected lines are counted and logged, rate-limited, with no more than a short prefix" {
	start_forwarder
	# a line that is over the limit before its end is in: refused, and its producer cut off (the
	# rest of it cannot be told from the next line)
	run "${CLIENT[@]}" long "$TMP/audit.sock" 200000
	[[ "$output" == "error event larger than 65536 bytes"* ]]
	[ "$(metric 'cocoon_audit_rejected_total')" -eq 1 ]
	[ "$(metric 'cocoon_audit_socket_disconnected_total{input="socket-0",reason="line_too_long"}')" -eq 1 ]
	grep -q 'line longer than 65536 bytes rejected; producer disconnected: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA..."' \
		"$TMP/forward.log"
	! grep -q 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' "$TMP/forward.log" || false # 33: more than the prefix
	bad=()
	for i in $(seq 30); do bad+=("not an event $i"); done
	run "${CLIENT[@]}" send "$TMP/audit.sock" "${bad[@]}" "$EVENT"
	[ "$(echo "$output" | grep -c '^error ')" -eq 30 ]
	[[ "${lines[30]}" == "ok $EVENT_ID "* ]]
	[ "$(metric 'cocoon_audit_rejected_total')" -eq 31 ]
	logged="$(grep -c 'line rejected' "$TMP/forward.log")"
	echo "logged $logged of 30"
	[ "$logged" -ge 1 ] && [ "$logged" -le 10 ]
	grep -q 'line rejected: .*"not an event 1"' "$TMP/forward.log"
}
