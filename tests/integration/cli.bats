#!/usr/bin/env bats
# The command-line front ends: help, version, exit codes, and the offline commands.

load helpers/common

setup() {
	TMP="$(mktemp -d)"
}

teardown() {
	rm -rf "$TMP"
}

@test "every binary answers --help and --version" {
	for bin in "$COCOON" "$COCOOND" "$COCOON_RUNTIME"; do
		run "$bin" --help
		[ "$status" -eq 0 ]
		[[ "$output" == *Usage:* ]]
		run "$bin" --version
		[ "$status" -eq 0 ]
		[[ "$output" == *"version 0."* ]]
	done
}

@test "unknown commands and options are usage errors (exit 2)" {
	run "$COCOON" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command \`frobnicate\`"* ]]
	run "$COCOOND" --no-such-option
	[ "$status" -eq 2 ]
	run "$COCOON_RUNTIME" create
	[ "$status" -eq 2 ]
	run "$COCOOND" --log-level loud
	[ "$status" -eq 2 ]
	[[ "$output" == *"invalid --log-level"* ]]
}

@test "cocoon version --json is JSON" {
	run "$COCOON" version --json
	[ "$status" -eq 0 ]
	echo "$output" | "$SYSTEM_PYTHON" -c 'import json,sys; d=json.load(sys.stdin); assert d["program"]=="cocoon"'
}

@test "yaml2json reads a multi-document Kubernetes manifest" {
	cat >"$TMP/app.yaml" <<-'YAML'
	apiVersion: v1
	kind: Pod
	metadata: {name: web}
	spec:
	  containers:
	  - name: c
	    image: busybox
	    env: [{name: DEBUG, value: "yes"}]
	---
	apiVersion: v1
	kind: ConfigMap
	data: {enabled: yes}
	YAML
	run "$COCOON" yaml2json "$TMP/app.yaml"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'"value":"yes"'* ]]
	[[ "${lines[1]}" == *'"enabled":true'* ]]
}

@test "yaml2json names the line of a syntax error and exits 1" {
	printf 'a: 1\nb: [1, 2\nc: 3\n' >"$TMP/bad.yaml"
	run "$COCOON" yaml2json "$TMP/bad.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad.yaml: invalid YAML at line"* ]]
	run "$COCOON" yaml2json "$TMP/missing.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing.yaml"* ]]
}

@test "event new prints a canonical event that event validate accepts" {
	run "$COCOON" event new --component attest --action key.release --actor alice --verdict deny \
		--severity warning --reason "quote nonce mismatch" --extra '{"pcr":7}'
	[ "$status" -eq 0 ]
	[[ "$output" == *'"schema":"cocoon.event/v1"'* ]]
	[[ "$output" == *'"verdict":"deny"'* ]]
	echo "$output" >"$TMP/events.jsonl"
	echo '{"id":"bad id","time":"now"}' >>"$TMP/events.jsonl"
	echo "$output" >>"$TMP/events.jsonl"
	run "$COCOON" event validate "$TMP/events.jsonl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"events.jsonl:2:"* ]]
	[[ "$output" == *"2 valid, 1 invalid"* ]]
	run "$COCOON" event new --component x --action y --verdict maybe
	[ "$status" -eq 2 ]
}

@test "certs init creates a PKI that openssl verifies, and is idempotent" {
	run "$COCOON" certs init --dir "$TMP/pki" --hosts node1.example,192.0.2.7
	[ "$status" -eq 0 ]
	openssl verify -CAfile "$TMP/pki/ca.crt" -purpose sslserver "$TMP/pki/server.crt"
	openssl verify -CAfile "$TMP/pki/ca.crt" -purpose sslclient "$TMP/pki/admin.crt"
	openssl x509 -in "$TMP/pki/server.crt" -noout -ext subjectAltName | grep -q 192.0.2.7
	[ "$(stat -c %a "$TMP/pki/admin.key")" = 600 ]
	run "$COCOON" certs init --dir "$TMP/pki"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing to do"* ]]
}
