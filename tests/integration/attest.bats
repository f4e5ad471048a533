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
	[[ "$output" == *"VCEK does not chain to the trusted root"* ]]
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

TDX="$BATS_TEST_DIRNAME/../fixtures/attestation/tdx"

tdx_verify() {
	"$COCOON" attest verify --tee tdx --root "$TDX/intel-sgx-root-ca.pem" "$@"
}

@test "tdx: a real quote v4 verifies, and its claims are printed" {
	run tdx_verify --evidence "$TDX/spr-e4-quote-v4.dat" --json
	[ "$status" -eq 0 ]
	echo "$output" | "$SYSTEM_PYTHON" -c '
import json, sys
c = json.load(sys.stdin)
assert c["tee"] == "tdx" and c["version"] == 4, c
assert c["mrtd"].startswith("6363b8043668a3ad"), c["mrtd"]
assert c["rtmr0"].startswith("2927da70461cd632"), c["rtmr0"]
assert c["report_data"].startswith("6c62dec1b8191749"), c["report_data"]
assert c["debug"] is False and c["td_attributes"] == "0000004000000000", c
assert c["qe"]["mrsigner"] == "dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5", c["qe"]'
}

@test "tdx: revocation lists are checked at the pinned time, and refused once expired" {
	run tdx_verify --evidence "$TDX/spr-e4-quote-v4.dat" --crl "$TDX/pckcrl" --crl "$TDX/rootcrl.der" \
		--at 2023-06-20T00:00:00Z
	[ "$status" -eq 0 ]
	[[ "$output" == *"authentic Intel TDX quote"* ]]
	run tdx_verify --evidence "$TDX/spr-e4-quote-v4.dat" --crl "$TDX/pckcrl" --crl "$TDX/rootcrl.der"
	[ "$status" -eq 1 ]
	[[ "$output" == *"CRL has expired"* ]]
	run tdx_verify --evidence "$TDX/spr-e4-quote-v4.dat" --crl "$TDX/intel-sgx-root-ca.pem"
	[ "$status" -eq 1 ]
	[[ "$output" == *"revocation list 1 holds no CRL"* ]]
}

@test "tdx: one flipped bit in the body, the attestation key, the QE report or the signatures is rejected" {
	# offset: what a flip there breaks
	for case in "0x88:quote signature does not verify" "0x2A0:quote signature does not verify" \
		"0x2C0:QE report does not bind the attestation key" "0x310:QE report signature does not verify" \
		"0x4A0:QE report signature does not verify" "0x4D0:QE report does not bind the attestation key" \
		"0x700:PCK certificate"; do
		flip "$TDX/spr-e4-quote-v4.dat" "${case%%:*}" "$TMP/flipped"
		run tdx_verify --evidence "$TMP/flipped"
		echo "$case: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"${case#*:}"* ]]
	done
}

@test "tdx: truncated quotes, a wrong version or TEE type and a foreign root are rejected" {
	for size in 0 100 632 700 1200 2000 4934; do
		head -c "$size" "$TDX/spr-e4-quote-v4.dat" >"$TMP/short"
		run tdx_verify --evidence "$TMP/short"
		echo "$size: $output"
		[ "$status" -eq 1 ]
	done
	flip "$TDX/spr-e4-quote-v4.dat" 0 "$TMP/v5"
	run tdx_verify --evidence "$TMP/v5"
	[[ "$output" == *"version 5 is not supported"* ]]
	flip "$TDX/spr-e4-quote-v4.dat" 4 "$TMP/sgx"
	run tdx_verify --evidence "$TMP/sgx"
	[[ "$output" == *"is not TDX"* ]]
	run "$COCOON" attest verify --tee tdx --root "$SNP/ask_ark_milan.pem" --evidence "$TDX/spr-e4-quote-v4.dat"
	[ "$status" -eq 1 ]
	[[ "$output" == *"PCK certificate does not chain to the trusted root"* ]]
	run "$COCOON" attest verify --tee tdx --evidence "$TDX/spr-e4-quote-v4.dat"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--root (the Intel SGX Root CA) is required"* ]]
}

@test "tdx: a policy over TDX claims forbids debug TDs and pins MRTD" {
	printf 'rules:\n- {claim: debug, equals: false}\n- {claim: mrtd, equals: 6363B8043668A3AD953278E10389574D326C6749FB78AA810ECD9336923DB86F22FC00B8DCD404BC10D5E119D7215CBB}\n' >"$TMP/allow.yaml"
	run tdx_verify --evidence "$TDX/spr-e4-quote-v4.dat" --policy "$TMP/allow.yaml"
	[ "$status" -eq 0 ]
	printf 'rules:\n- {claim: mrowner, equals: 01}\n- {claim: qe.isvsvn, atLeast: 5}\n' >"$TMP/deny.yaml"
	run tdx_verify --evidence "$TDX/spr-e4-quote-v4.dat" --policy "$TMP/deny.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"policy: qe.isvsvn is 4, outside the minimum 5"* ]]
}
