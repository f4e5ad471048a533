#!/usr/bin/env bats
# cocoon audit forward over RELP (librelp) with mutual TLS into rsyslog's imrelp: an event leaves
# the queue only once the receiver answered 200 OK. Each scenario checks that every Kubernetes
# auditID arrived (duplicates allowed, identified by id) and that the received log verifies.

load helpers/common
load helpers/rsyslog
load helpers/audit_events
load helpers/audit_scenarios

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
	PROTOCOL=relp
	OUTPUT_NAME=relp_tls-0
}

teardown() {
	[ -n "${FORWARDER_PID:-}" ] && kill -9 "$FORWARDER_PID" 2>/dev/null || true
	stop_rsyslog
	rm -rf "$TMP"
}

@test "relp: 20,000 Kubernetes audit events arrive, in a verifiable chain" {
	scenario_all_arrive
}

@test "relp: the forwarder killed with SIGKILL mid-stream and restarted loses nothing" {
	scenario_sigkill_restart
}

@test "relp: the receiver down for several seconds while events keep coming" {
	scenario_receiver_down
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
