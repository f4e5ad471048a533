#!/usr/bin/env bats
# cocoon audit forward into a real SIEM intake: rsyslog with mutual TLS (GnuTLS driver).
# Each scenario checks that every Kubernetes auditID arrived (duplicates allowed, identified by id)
# and that the received log verifies as an intact hash chain.

load helpers/common
load helpers/rsyslog
load helpers/audit_events
load helpers/audit_scenarios

setup() {
	command -v rsyslogd >/dev/null || skip "rsyslog is not installed"
	[ -e /usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so ] || skip "rsyslog-gnutls is not installed"
	TMP="$(mktemp -d)"
	"$COCOON" certs init --dir "$TMP/pki" >/dev/null
	head -c 32 /dev/urandom >"$TMP/checkpoint.key"
	start_rsyslog "$TMP/rsyslog" "$TMP/pki"
	FORWARD=("$COCOON" audit forward --output "syslog+tls://127.0.0.1:$RSYSLOG_PORT" --ca "$TMP/pki/ca.crt"
		--cert "$TMP/pki/admin.crt" --key "$TMP/pki/admin.key" --queue "$TMP/queue"
		--checkpoint-key "$TMP/checkpoint.key" --checkpoint-every 1000)
	PROTOCOL=syslog
	OUTPUT_NAME=syslog_tls-0
}

teardown() {
	[ -n "${FORWARDER_PID:-}" ] && kill -9 "$FORWARDER_PID" 2>/dev/null || true
	stop_rsyslog
	rm -rf "$TMP"
}

@test "20,000 Kubernetes audit events arrive, in a verifiable chain" {
	scenario_all_arrive
}

@test "the forwarder killed with SIGKILL mid-stream and restarted loses nothing" {
	scenario_sigkill_restart
}

@test "the receiver down for several seconds while events keep coming" {
	scenario_receiver_down
}

@test "a corrupted tail in a queue segment is cut, counted, and the rest delivered" {
	write_events "$TMP/audit.log" 1000
	# Fill the queue without an output that can deliver: the receiver is stopped.
	stop_rsyslog
	timeout 5 "${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --once 2>/dev/null || true
	segment="$(ls "$TMP/queue"/seg-*.q | tail -1)"
	printf '\x30\x00\x00\x00\xde\xad\xbe\xefhalf a record' >>"$segment"
	start_rsyslog "$TMP/rsyslog" "$TMP/pki"
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --once 2>"$TMP/forward.log"
	grep -q "cutting a torn record" "$TMP/forward.log"
	all_ids_arrived "$TMP/audit.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/rsyslog/received.log"
	[ "$status" -eq 0 ]
}

@test "a full queue blocks the input instead of dropping (disk-full bound)" {
	write_events "$TMP/audit.log" 3000
	stop_rsyslog
	# A queue bound far below the input: the forwarder must wait, not drop.
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --queue-max-bytes 200000 \
		--metrics "unix:$TMP/metrics.sock" 2>"$TMP/forward.log" &
	FORWARDER_PID=$!
	sleep 3
	curl -s --unix-socket "$TMP/metrics.sock" http://localhost/metrics >"$TMP/metrics"
	grep -Eq '^cocoon_audit_queue_blocked_total [1-9]' "$TMP/metrics"
	grep -q '^cocoon_audit_dropped_total 0$' "$TMP/metrics"
	start_rsyslog "$TMP/rsyslog" "$TMP/pki"
	wait_received 3000
	kill -TERM "$FORWARDER_PID"
	wait "$FORWARDER_PID" || true
	FORWARDER_PID=
	all_ids_arrived "$TMP/audit.log"
}

@test "rotation by rename and copytruncate is followed" {
	write_events "$TMP/audit.log" 1000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" 2>"$TMP/forward.log" &
	FORWARDER_PID=$!
	wait_received 1000
	mv "$TMP/audit.log" "$TMP/audit.log.1"
	write_events "$TMP/audit.log" 1000 1000
	wait_received 2000
	cp "$TMP/audit.log" "$TMP/audit.log.2"
	: >"$TMP/audit.log"
	write_events "$TMP/audit.log" 500 2000
	wait_received 2500
	kill -TERM "$FORWARDER_PID"
	wait "$FORWARDER_PID" || true
	FORWARDER_PID=
	cat "$TMP/audit.log.1" "$TMP/audit.log.2" "$TMP/audit.log" >"$TMP/all.log"
	all_ids_arrived "$TMP/all.log"
}

@test "a configuration file delivers to several outputs, each with its own TLS, format and route (Ed25519 checkpoints)" {
	write_events "$TMP/audit.log" 300
	openssl genpkey -algorithm ed25519 -out "$TMP/signing.pem"
	openssl pkey -in "$TMP/signing.pem" -pubout -out "$TMP/verify.pem"
	cat >"$TMP/forward.yaml" <<-YAML
	queue: $TMP/queue
	inputs: [k8s-audit:$TMP/audit.log]
	checkpoint: {key: $TMP/signing.pem, every: 100}
	outputs:
	- url: syslog+tls://127.0.0.1:$RSYSLOG_PORT
	  tls: {ca: $TMP/pki/ca.crt, cert: $TMP/pki/admin.crt, key: $TMP/pki/admin.key, serverName: localhost}
	- url: file:$TMP/bank-a.cef?tenant=bank-a
	  format: cef
	YAML
	"$COCOON" audit forward --config "$TMP/forward.yaml" --once
	wait_received 300
	all_ids_arrived "$TMP/audit.log"
	run "$COCOON" audit verify --key "$TMP/verify.pem" "$TMP/rsyslog/received.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *"300 records, 3 checkpoints"*"0 problems"* ]]
	[ "$(grep -c '^CEF:0|cocoon|cocoon|[^|]*|k8s.get|' "$TMP/bank-a.cef")" -eq 300 ]
}

@test "a configuration file with a misspelt key is refused, naming it" {
	printf 'queue: %s\noutputs:\n- url: file:%s\n  fromat: cef\n' "$TMP/queue" "$TMP/out" >"$TMP/bad.yaml"
	run "$COCOON" audit forward --config "$TMP/bad.yaml" --input "k8s-audit:$TMP/audit.log"
	[ "$status" -eq 2 ]
	[[ "$output" == *'bad.yaml: outputs[0]: output: unknown key `fromat`'* ]]
}
