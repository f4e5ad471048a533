#!/usr/bin/env bats
# cocoon audit forward into a Splunk HTTP Event Collector. Splunk cannot be installed here (not in
# Debian or npm), so the intake is tests/integration/helpers/hec_intake.py, written from Splunk's
# protocol documentation: token, event batches, indexer acknowledgement on a channel, refusal codes.

load helpers/common
load helpers/audit_events

setup() {
	TMP="$(mktemp -d)"
	"$COCOON" certs init --dir "$TMP/pki" >/dev/null
	head -c 32 /dev/urandom >"$TMP/checkpoint.key"
	echo "8f3c1d2e-5b6a-4c7d-9e0f-1a2b3c4d5e6f" >"$TMP/token"
	HEC_PORT="$(free_port)"
	FORWARD=("$COCOON" audit forward --output "hec+https://127.0.0.1:$HEC_PORT" --hec-token-file "$TMP/token"
		--hec-ack --ca "$TMP/pki/ca.crt" --cert "$TMP/pki/admin.crt" --key "$TMP/pki/admin.key"
		--queue "$TMP/queue" --checkpoint-key "$TMP/checkpoint.key" --checkpoint-every 1000)
}

teardown() {
	[ -n "${FORWARDER_PID:-}" ] && kill -9 "$FORWARDER_PID" 2>/dev/null || true
	stop_hec
	rm -rf "$TMP"
}

hec_healthy() {
	curl -sf --cacert "$TMP/pki/ca.crt" --cert "$TMP/pki/admin.crt" --key "$TMP/pki/admin.key" \
		"https://127.0.0.1:$HEC_PORT/services/collector/health"
}

# start_hec [intake options]: the collector on HEC_PORT, mutual TLS, events to $TMP/hec/events.
start_hec() {
	mkdir -p "$TMP/hec"
	"$SYSTEM_PYTHON" "$BATS_TEST_DIRNAME/helpers/hec_intake.py" --port "$HEC_PORT" \
		--cert "$TMP/pki/server.crt" --key "$TMP/pki/server.key" --client-ca "$TMP/pki/ca.crt" \
		--token "$(cat "$TMP/token")" --out "$TMP/hec/events" --ack "$@" 2>>"$TMP/hec/intake.log" &
	HEC_PID=$!
	wait_for_server "HEC intake" "$HEC_PID" "$TMP/hec/intake.log" hec_healthy
}

stop_hec() {
	if [ -n "${HEC_PID:-}" ]; then
		kill "$HEC_PID" 2>/dev/null || true
		wait "$HEC_PID" 2>/dev/null || true
		HEC_PID=
	fi
}

# Every auditID of the input is among the records the collector stored (the event ids).
all_ids_indexed() {
	all_ids_arrived "$1" "$TMP/hec/events" '"id":"[^"]*"'
}

@test "hec: 5,000 Kubernetes audit events indexed with acknowledgement, in a verifiable chain" {
	start_hec --ack-after 2
	write_events "$TMP/audit.log" 5000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --once 2>"$TMP/forward.log"
	all_ids_indexed "$TMP/audit.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/hec/events"
	echo "$output" | tail -3
	[ "$status" -eq 0 ]
	[[ "$output" == *"5000 records"*"0 problems"* ]]
	# the token never reaches a log
	! grep -q "$(cat "$TMP/token")" "$TMP/forward.log"
}

@test "hec: a busy collector and a wrong token are retried until delivered, nothing lost" {
	start_hec --busy 3
	write_events "$TMP/audit.log" 2000
	echo "not-the-token" >"$TMP/token.wrong"
	wrong=("${FORWARD[@]}")
	wrong[6]="$TMP/token.wrong"
	"${wrong[@]}" --input "k8s-audit:$TMP/audit.log" 2>"$TMP/forward1.log" &
	FORWARDER_PID=$!
	for _ in $(seq 50); do grep -q "Invalid token (code 4)" "$TMP/forward1.log" && break; sleep 0.1; done
	kill -TERM "$FORWARDER_PID"
	wait "$FORWARDER_PID" || true
	FORWARDER_PID=
	grep -q "Invalid token (code 4)" "$TMP/forward1.log"
	[ ! -s "$TMP/hec/events" ]
	# the queue kept everything; the right token delivers it, after three "busy" answers
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --once 2>"$TMP/forward2.log"
	grep -q "Server is busy (code 9)" "$TMP/forward2.log"
	all_ids_indexed "$TMP/audit.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/hec/events"
	[ "$status" -eq 0 ]
}

@test "hec: a 200 that is not the collector's answer is not counted as delivered" {
	start_hec --garbage 2
	write_events "$TMP/audit.log" 1000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --once 2>"$TMP/forward.log"
	grep -q "answered 200: no explanation" "$TMP/forward.log"
	all_ids_indexed "$TMP/audit.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/hec/events"
	[ "$status" -eq 0 ]
}

@test "hec: a missing token file is refused before anything is read" {
	run "$COCOON" audit forward --output "hec+https://127.0.0.1:$HEC_PORT" --ca "$TMP/pki/ca.crt" \
		--queue "$TMP/queue" --input "k8s-audit:$TMP/none.log" --once
	[ "$status" -ne 0 ]
	[[ "$output" == *"--hec-token-file"* ]]
}
