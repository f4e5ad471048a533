#!/usr/bin/env bats
# cocoon audit: Kubernetes audit events chained and formatted, then verified; tampering is found.

load helpers/common

setup() {
	TMP="$(mktemp -d)"
	"$SYSTEM_PYTHON" - "$TMP/k8s-audit.log" <<-'PY'
	import json, sys, uuid
	with open(sys.argv[1], "w") as f:
	    for i in range(2000):
	        f.write(json.dumps({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": str(uuid.uuid4()),
	            "verb": "get", "user": {"username": "alice"}, "objectRef": {"resource": "secrets", "namespace": "ns",
	            "name": "s%d" % i}, "responseStatus": {"code": 200 if i % 5 else 403},
	            "stageTimestamp": "2026-11-28T08:00:00.%06dZ" % i}) + "\n")
	PY
	head -c 32 /dev/urandom >"$TMP/key"
}

teardown() {
	rm -rf "$TMP"
}

@test "every format carries every event, keyed by the Kubernetes auditID" {
	for f in json rfc5424 cef leef; do
		run "$COCOON" audit format --input k8s --format "$f" "$TMP/k8s-audit.log"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 2000 ]
	done
	"$COCOON" audit format --input k8s --format cef "$TMP/k8s-audit.log" >"$TMP/out.cef"
	for id in $(grep -o '"auditID": "[^"]*"' "$TMP/k8s-audit.log" | cut -d'"' -f4 | head -50); do
		grep -q "externalId=$id " "$TMP/out.cef"
	done
}

@test "verify accepts an intact chain in JSON and RFC 5424 form" {
	for f in json rfc5424; do
		"$COCOON" audit format --input k8s --format "$f" --key "$TMP/key" --checkpoint-every 500 "$TMP/k8s-audit.log" >"$TMP/out"
		run "$COCOON" audit verify --key "$TMP/key" "$TMP/out"
		[ "$status" -eq 0 ]
		[[ "$output" == *"2000 records, 4 checkpoints, 0 duplicates, 0 problems"* ]]
	done
}

@test "verify finds deleted, altered, reordered and truncated records and says where" {
	"$COCOON" audit format --input k8s --key "$TMP/key" --checkpoint-every 500 "$TMP/k8s-audit.log" >"$TMP/out"
	sed '100d' "$TMP/out" >"$TMP/deleted"
	run "$COCOON" audit verify --key "$TMP/key" "$TMP/deleted"
	[ "$status" -eq 1 ]
	[[ "$output" == *"deleted:100: records 99..99 are missing"* ]]
	sed '200s/"alice"/"mallory"/' "$TMP/out" >"$TMP/altered"
	run "$COCOON" audit verify --key "$TMP/key" "$TMP/altered"
	[[ "$output" == *"altered:200: record seq 199 was altered"* ]]
	awk 'NR == 300 { held = $0; next } NR == 301 { print; print held; next } { print }' "$TMP/out" >"$TMP/reordered"
	run "$COCOON" audit verify --key "$TMP/key" "$TMP/reordered"
	[ "$status" -eq 1 ]
	[[ "$output" == *"out of order"* ]]
	head -n 1900 "$TMP/out" >"$TMP/truncated"
	run "$COCOON" audit verify --key "$TMP/key" "$TMP/truncated"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not covered by a checkpoint"* ]]
	head -c 32 /dev/urandom >"$TMP/other-key"
	run "$COCOON" audit verify --key "$TMP/other-key" "$TMP/out"
	[[ "$output" == *"invalid MAC"* ]]
}

@test "bad input lines are reported with their number and skipped" {
	{
		head -n 3 "$TMP/k8s-audit.log"
		echo '{"kind": "Event", "verb": "get"}'
		printf '\xff\xfe not json\n'
		head -c 70000 /dev/zero | tr '\0' a
		echo
		tail -n 2 "$TMP/k8s-audit.log"
	} >"$TMP/mixed.log"
	run "$COCOON" audit format --input k8s "$TMP/mixed.log"
	[ "$status" -eq 1 ]
	[[ "$output" == *"mixed.log:4: skipped"*"auditID"* ]]
	[[ "$output" == *"mixed.log:5: skipped"* ]]
	[[ "$output" == *"mixed.log:6: skipped"* ]]
	[ "$(echo "$output" | grep -c '^{"event"')" -eq 5 ]
}

@test "routing sends each output its events; redaction removes fields before they leave" {
	printf '' >"$TMP/events.jsonl"
	for i in $(seq 1 30); do
		comp=runtime
		sev=info
		[ $((i % 3)) -eq 0 ] && comp=attest
		[ $((i % 5)) -eq 0 ] && sev=warning
		"$COCOON" event new --component "$comp" --action t.$i --severity "$sev" --actor "secret-user-$i" \
			--extra '{"token": "s3cr3t", "keep": 1}' >>"$TMP/events.jsonl"
	done
	"$COCOON" audit forward --input "events:$TMP/events.jsonl" --queue "$TMP/queue" --once \
		--output "file:$TMP/all.jsonl" --output "file:$TMP/attest.jsonl?component=attest" \
		--output "file:$TMP/warnings.jsonl?min-severity=warning" --redact actor --redact extra.token
	[ "$(wc -l <"$TMP/all.jsonl")" -eq 30 ]
	[ "$(wc -l <"$TMP/attest.jsonl")" -eq 10 ]
	[ "$(wc -l <"$TMP/warnings.jsonl")" -eq 6 ]
	! grep -q 'secret-user\|s3cr3t' "$TMP/all.jsonl" "$TMP/attest.jsonl" "$TMP/warnings.jsonl" "$TMP"/queue/seg-* || false
	grep -q '"actor":"\[REDACTED\]"' "$TMP/all.jsonl"
	grep -q '"keep":1' "$TMP/all.jsonl"
	run "$COCOON" audit verify "$TMP/all.jsonl"
	[ "$status" -eq 0 ]
	run "$COCOON" audit verify "$TMP/attest.jsonl"
	[ "$status" -eq 1 ]
	run "$COCOON" audit verify --subset "$TMP/attest.jsonl"
	[ "$status" -eq 0 ]
	run "$COCOON" audit forward --input "events:$TMP/events.jsonl" --queue "$TMP/q2" --output "file:$TMP/x?color=red"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown output option"* ]]
}

@test "the Kubernetes audit webhook backend: EventList over mutual TLS, 200 once durable" {
	"$COCOON" certs init --dir "$TMP/pki" >/dev/null
	port="$(free_port)"
	"$COCOON" audit forward --webhook "127.0.0.1:$port" --webhook-cert "$TMP/pki/server.crt" \
		--webhook-key "$TMP/pki/server.key" --webhook-client-ca "$TMP/pki/ca.crt" \
		--output "file:$TMP/siem.jsonl" --queue "$TMP/queue" 2>"$TMP/forward.log" &
	pid=$!
	"$SYSTEM_PYTHON" - "$TMP/k8s-audit.log" "$TMP/eventlist.json" <<-'PY'
	import json, sys
	items = [json.loads(l) for l in open(sys.argv[1])][:400]
	items.append({"kind": "Event", "verb": "get"})  # no auditID: rejected, the rest accepted
	json.dump({"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": items}, open(sys.argv[2], "w"))
	PY
	for _ in $(seq 1 100); do
		curl -s -o /dev/null --cacert "$TMP/pki/ca.crt" --cert "$TMP/pki/admin.crt" --key "$TMP/pki/admin.key" \
			"https://127.0.0.1:$port/" && break
		sleep 0.05
	done
	run curl -sS --cacert "$TMP/pki/ca.crt" --cert "$TMP/pki/admin.crt" --key "$TMP/pki/admin.key" \
		-H 'Content-Type: application/json' --data-binary "@$TMP/eventlist.json" "https://127.0.0.1:$port/audit"
	[[ "$output" == *'"accepted":400'*'"rejected":1'* ]]
	run curl -sS --cacert "$TMP/pki/ca.crt" -H 'Content-Type: application/json' \
		--data-binary "@$TMP/eventlist.json" "https://127.0.0.1:$port/audit"
	[[ "$output" != *accepted* ]]
	run curl -sS --cacert "$TMP/pki/ca.crt" --cert "$TMP/pki/admin.crt" --key "$TMP/pki/admin.key" \
		-H 'Content-Type: application/json' --data '{"kind":"Pod"}' "https://127.0.0.1:$port/audit"
	[[ "$output" == *'"code":400'* ]]
	for _ in $(seq 1 50); do
		[ "$(wc -l <"$TMP/siem.jsonl" 2>/dev/null || echo 0)" -ge 400 ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" || true
	[ "$(wc -l <"$TMP/siem.jsonl")" -eq 400 ]
	run "$COCOON" audit verify "$TMP/siem.jsonl"
	[ "$status" -eq 0 ]
}

@test "Ed25519 checkpoints verify with the public key alone, and fail with another" {
	openssl genpkey -algorithm ed25519 -out "$TMP/signing.pem"
	openssl pkey -in "$TMP/signing.pem" -pubout -out "$TMP/verify.pem"
	openssl genpkey -algorithm ed25519 | openssl pkey -pubout -out "$TMP/other.pem"
	"$COCOON" audit format --input k8s --format rfc5424 --key "$TMP/signing.pem" --checkpoint-every 500 \
		"$TMP/k8s-audit.log" >"$TMP/out"
	grep -q '"mac":"ed25519:' "$TMP/out"
	run "$COCOON" audit verify --key "$TMP/verify.pem" "$TMP/out"
	[ "$status" -eq 0 ]
	[[ "$output" == *"2000 records, 4 checkpoints, 0 duplicates, 0 problems"* ]]
	run "$COCOON" audit verify --key "$TMP/other.pem" "$TMP/out"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid MAC or signature"* ]]
	# a public key cannot sign: refused before any work
	run "$COCOON" audit format --input k8s --key "$TMP/verify.pem" "$TMP/k8s-audit.log"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a readable private key"* ]]
}
