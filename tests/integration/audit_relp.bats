#!/usr/bin/env bats
# cocoon audit forward over RELP (librelp) with mutual TLS into rsyslog's imrelp: an event leaves
# the queue only once the receiver answered 200 OK. Each scenario checks that every Kubernetes
# auditID arrived (duplicates allowed, identified by id) and that the received log verifies.

load helpers/common
load helpers/rsyslog
load helpers/audit_events

setup() {
	command -v rsyslogd >/dev/null || skip "rsyslog is not installed"
	[ -e /usr/lib/x86_64-linux-gnu/rsyslog/imrelp.so ] || skip "rsyslog-relp is not installed"
	TMP="$(mktemp -d)"
	"$COCOON" certs init --dir "$TMP/pki" >/dev/null
	head -c 32 /dev/urandom >"$TMP/checkpoint.key"
	start_rsyslog "$TMP/rsyslog" "$TMP/pki" relp
	TLS=(--ca "$TMP/pki/ca.crt" --cert "$TMP/pki/admin.crt" --key "$TMP/pki/admin.key")
	FORWARD=("$COCOON" audit forward --output "relp+tls://localhost:$RSYSLOG_PORT" "${TLS[@]}"
		--queue "$TMP/queue" --checkpoint-key "$TMP/checkpoint.key" --checkpoint-every 1000)
}

teardown() {
	[ -n "${FORWARDER_PID:-}" ] && kill -9 "$FORWARDER_PID" 2>/dev/null || true
	stop_rsyslog
	rm -rf "$TMP"
}

@test "relp: 20,000 Kubernetes audit events arrive, in a verifiable chain" {
	write_events "$TMP/audit.log" 20000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --once
	wait_received 20000
	all_ids_arrived "$TMP/audit.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/rsyslog/received.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *"20000 records"*"0 problems"* ]]
}

@test "relp: the forwarder killed with SIGKILL mid-stream and restarted loses nothing" {
	write_events "$TMP/audit.log" 20000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --batch 64 2>"$TMP/forward1.log" &
	FORWARDER_PID=$!
	wait_received 3000
	kill -9 "$FORWARDER_PID"
	wait "$FORWARDER_PID" 2>/dev/null || true
	FORWARDER_PID=
	write_events "$TMP/audit.log" 2000 20000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --once 2>"$TMP/forward2.log"
	all_ids_arrived "$TMP/audit.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/rsyslog/received.log"
	echo "$output" | tail -3
	[ "$status" -eq 0 ]
}

@test "relp: the receiver down for several seconds while events keep coming" {
	write_events "$TMP/audit.log" 5000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --metrics "unix:$TMP/metrics.sock" 2>"$TMP/forward.log" &
	FORWARDER_PID=$!
	wait_received 5000
	stop_rsyslog
	write_events "$TMP/audit.log" 5000 5000
	sleep 3
	curl -s --unix-socket "$TMP/metrics.sock" http://localhost/metrics >"$TMP/metrics"
	grep -q '^cocoon_audit_dropped_total 0$' "$TMP/metrics"
	grep -Eq '^cocoon_audit_undelivered_bytes\{output="relp_tls-0"\} [1-9]' "$TMP/metrics"
	start_rsyslog "$TMP/rsyslog" "$TMP/pki" relp
	wait_received 10000
	kill -TERM "$FORWARDER_PID"
	wait "$FORWARDER_PID" || true
	FORWARDER_PID=
	all_ids_arrived "$TMP/audit.log"
	grep -q "retrying in" "$TMP/forward.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/rsyslog/received.log"
	[ "$status" -eq 0 ]
}

@test "relp: a receiver whose certificate does not name the expected host gets nothing" {
	write_events "$TMP/audit.log" 10
	"$COCOON" audit forward --output "relp+tls://localhost:$RSYSLOG_PORT" "${TLS[@]}" --server-name siem.example \
		--queue "$TMP/queue" --input "k8s-audit:$TMP/audit.log" 2>"$TMP/forward.log" &
	FORWARDER_PID=$!
	sleep 2
	kill -TERM "$FORWARDER_PID"
	wait "$FORWARDER_PID" || true
	FORWARDER_PID=
	cat "$TMP/forward.log"
	grep -q "no permited name found" "$TMP/forward.log"
	[ ! -s "$TMP/rsyslog/received.log" ]
}
