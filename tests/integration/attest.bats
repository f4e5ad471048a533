#!/usr/bin/env bats
# cocoon attest verify with a real AMD SEV-SNP report (Milan), its VCEK and AMD's ASK/ARK chains
# (tests/fixtures/attestation, see its SOURCES.md): authentic evidence passes, and a flipped bit,
# a truncated file or the wrong chain is rejected with the reason.

load helpers/common

SNP="$BATS_TEST_DIRNAME/../fixtures/attestation/snp"

setup() {
	TMP="$(mktemp -d)"
	VERIFY=("$COCOON" attest verify --tee snp --vcek "$SNP/milan-vcek.der" --chain "$SNP/ask_ark_milan.pem")
}

teardown() {
	rm -rf "$TMP"
}

# flip FILE OFFSET OUT: a copy of FILE with one bit of the byte at OFFSET flipped.
flip() {
	"$SYSTEM_PYTHON" -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[int(sys.argv[2], 0)] ^= 1; open(sys.argv[3], "wb").write(d)' "$@"
}

@test "snp: a real report verifies, and its claims are printed" {
	run "${VERIFY[@]}" --evidence "$SNP/milan-report.bin" --json
	[ "$status" -eq 0 ]
	echo "$output" | "$SYSTEM_PYTHON" -c '
import json, sys
c = json.load(sys.stdin)
assert c["tee"] == "snp" and c["version"] == 2, c
assert c["measurement"].startswith("b07af9620f3b839b"), c["measurement"]
assert c["report_data"].startswith("0102030405"), c["report_data"]
assert c["policy"]["debug"] is True
assert c["reported_tcb"] == {"bootloader": 2, "tee": 0, "snp": 5, "microcode": 68}, c["reported_tcb"]'
}

@test "snp: one flipped bit in the measurement, the chip id or the signature is rejected" {
	for offset in 0x90 0x1A0 0x2A0 0x2E8; do
		flip "$SNP/milan-report.bin" "$offset" "$TMP/flipped"
		run "${VERIFY[@]}" --evidence "$TMP/flipped"
		echo "$offset: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"signature does not verify"* ]]
	done
}

@test "snp: a truncated report, an unknown version and a foreign chain are rejected" {
	head -c 1000 "$SNP/milan-report.bin" >"$TMP/short"
	run "${VERIFY[@]}" --evidence "$TMP/short"
	[ "$status" -eq 1 ]
	[[ "$output" == *"1184 bytes, not 1000"* ]]
	"$SYSTEM_PYTHON" -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[0] = 9; open(sys.argv[2], "wb").write(d)' \
		"$SNP/milan-report.bin" "$TMP/v9"
	run "${VERIFY[@]}" --evidence "$TMP/v9"
	[ "$status" -eq 1 ]
	[[ "$output" == *"version 9 is not supported"* ]]
	run "$COCOON" attest verify --tee snp --vcek "$SNP/milan-vcek.der" --chain "$SNP/ask_ark_genoa.pem" \
		--evidence "$SNP/milan-report.bin"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not chain to the ARK"* ]]
}

@test "snp: usage errors exit 2 and name what is missing" {
	run "$COCOON" attest verify --tee snp --evidence "$SNP/milan-report.bin"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--vcek and --chain are required"* ]]
	run "$COCOON" attest verify --tee sgx --evidence x --vcek y --chain z
	[ "$status" -eq 2 ]
	run "${VERIFY[@]}" --evidence "$SNP/milan-report.bin" --at yesterday
	[ "$status" -eq 2 ]
}

@test "snp: the certificates are checked at the given time" {
	run "${VERIFY[@]}" --evidence "$SNP/milan-report.bin" --at 2035-01-01T00:00:00Z
	[ "$status" -eq 1 ]
	[[ "$output" == *"certificate has expired"* ]]
}

@test "snp: a policy of reference values allows or denies, with a reason per rule" {
	cat >"$TMP/allow.yaml" <<-'YAML'
	rules:
	- {claim: measurement, oneOf: [B07AF9620F3B839B47996422DDEC6058338951D984E312115131EA82705EAF5B6BDF8A9ECE31A5A608EB0CF2E4872B01]}
	- {claim: reported_tcb.snp, atLeast: 5}
	- {claim: reported_tcb.microcode, atLeast: 68}
	- {claim: vmpl, atMost: 0}
	YAML
	run "${VERIFY[@]}" --evidence "$SNP/milan-report.bin" --policy "$TMP/allow.yaml"
	[ "$status" -eq 0 ]
	[[ "$output" == *"the policy is met"* ]]
	# the test report's guest allows debugging, which a production policy forbids
	printf 'rules:\n- {claim: policy.debug, equals: false}\n- {claim: reported_tcb.snp, atLeast: 8}\n' >"$TMP/deny.yaml"
	run "${VERIFY[@]}" --evidence "$SNP/milan-report.bin" --policy "$TMP/deny.yaml" --json
	[ "$status" -eq 1 ]
	[[ "$output" == *"policy: policy.debug is true, not the required value"* ]]
	[[ "$output" == *"policy: reported_tcb.snp is 5, outside the minimum 8"* ]]
	[[ "$output" == *'"verdict":"deny"'* ]]
	printf 'rules:\n- {claim: vmpl, below: 1}\n' >"$TMP/bad.yaml"
	run "${VERIFY[@]}" --evidence "$SNP/milan-report.bin" --policy "$TMP/bad.yaml"
	[ "$status" -eq 2 ]
	[[ "$output" == *'rules[0]: unknown key `below`'* ]]
}
