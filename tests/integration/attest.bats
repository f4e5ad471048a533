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

# make_collateral_signer: a test root and TCB signing certificate (Intel's signing certificate is not
# in the test data), and $TMP/roots.pem = the Intel SGX Root CA + the test root.
make_collateral_signer() {
	# valid from 2020, so it can be checked at the collateral's pinned time in 2023
	"$SYSTEM_PYTHON" - "$TMP" <<-'PY'
	import datetime, sys
	from cryptography import x509
	from cryptography.hazmat.primitives import hashes, serialization
	from cryptography.hazmat.primitives.asymmetric import ec
	from cryptography.x509.oid import NameOID
	d = sys.argv[1]
	def cert(name, key, issuer, issuer_key, ca, serial):
	    b = x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
	    b = b.issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])).public_key(key.public_key())
	    b = b.serial_number(serial).not_valid_before(datetime.datetime(2020, 1, 1))
	    b = b.not_valid_after(datetime.datetime(2040, 1, 1)).add_extension(x509.BasicConstraints(ca, None), True)
	    return b.sign(issuer_key, hashes.SHA256())
	root_key, sign_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
	root = cert("test TCB root", root_key, "test TCB root", root_key, True, 1)
	signing = cert("test TCB signing", sign_key, "test TCB root", root_key, False, 2)
	open(d + "/croot.pem", "wb").write(root.public_bytes(serialization.Encoding.PEM))
	open(d + "/csign.pem", "wb").write(signing.public_bytes(serialization.Encoding.PEM))
	open(d + "/csign.key", "wb").write(sign_key.private_bytes(serialization.Encoding.PEM,
	    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
	PY
	{ cat "$TDX/intel-sgx-root-ca.pem"; echo; cat "$TMP/croot.pem"; } >"$TMP/roots.pem" # the Intel file has no final newline
}

# resign IN OUT NAME [PYTHON-EDIT]: signs the inner object NAME of collateral IN with the test signing
# key, after an optional edit of its JSON text `t`, as Intel signs it (ECDSA P-256, r||s in hex).
resign() {
	"$SYSTEM_PYTHON" - "$@" "$TMP/csign.key" <<-'PY'
	import json, sys
	from cryptography.hazmat.primitives import hashes, serialization
	from cryptography.hazmat.primitives.asymmetric import ec
	from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
	src, out, name = sys.argv[1:4]
	edit = sys.argv[4] if len(sys.argv) > 5 else None
	key = serialization.load_pem_private_key(open(sys.argv[-1], "rb").read(), None)
	obj = json.loads(open(src).read())[name]
	if edit:
	    exec(edit)
	t = json.dumps(obj, separators=(",", ":"))
	r, s = decode_dss_signature(key.sign(t.encode(), ec.ECDSA(hashes.SHA256())))
	open(out, "w").write('{"%s":%s,"signature":"%s"}' % (name, t, (r.to_bytes(32, "big") + s.to_bytes(32, "big")).hex()))
	PY
}

tdx_collateral() {
	tdx_verify --evidence "$TDX/spr-e4-quote-v4.dat" --at 2023-06-20T00:00:00Z --collateral-chain "$TMP/csign.pem" "$@"
}

@test "tdx: Intel's collateral gives the TCB status once its signature and chain verify" {
	make_collateral_signer
	# Intel's own signatures do not verify with another signing key
	run tdx_collateral --root "$TMP/roots.pem" --tcb-info "$TDX/sample_tcbInfo_response.json" \
		--qe-identity "$TDX/sample_qeIdentity_response.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"signature of collateral \`tcbInfo\` does not verify"* ]]
	resign "$TDX/sample_tcbInfo_response.json" "$TMP/tcb.json" tcbInfo
	resign "$TDX/sample_qeIdentity_response.json" "$TMP/qe.json" enclaveIdentity
	run tdx_collateral --root "$TMP/roots.pem" --tcb-info "$TMP/tcb.json" --qe-identity "$TMP/qe.json" --json
	echo "$output"
	[ "$status" -eq 0 ]
	# the sample platform (SGX SVNs 3,3,2,2,2,1,0,2; PCE SVN 11; TDX SVN 3,0,4) is below both levels
	[[ "$output" == *'"tcb_status":"NotSupported"'* ]]
	[[ "$output" == *'"qe_tcb_status":"UpToDate"'* ]]
	resign "$TDX/sample_tcbInfo_response.json" "$TMP/tcb-low.json" tcbInfo \
		'[c.update(svn=v) for l in obj["tcbLevels"] for c, v in zip(l["tcb"]["sgxtcbcomponents"], [3,3,2,2,2,1,0,2])]; obj["tcbLevels"][0]["tcb"]["tdxtcbcomponents"][2]["svn"] = 5; obj["tcbLevels"][1]["tcb"]["tdxtcbcomponents"][2]["svn"] = 4'
	run tdx_collateral --root "$TMP/roots.pem" --tcb-info "$TMP/tcb-low.json" --qe-identity "$TMP/qe.json" --json
	[[ "$output" == *'"tcb_date":"2018-01-04T00:00:00Z"'* ]]
	[[ "$output" == *'"tcb_status":"OutOfDate"'* ]]
	printf 'rules:\n- {claim: tcb_status, oneOf: [UpToDate]}\n' >"$TMP/p.yaml"
	run tdx_collateral --root "$TMP/roots.pem" --tcb-info "$TMP/tcb-low.json" --qe-identity "$TMP/qe.json" --policy "$TMP/p.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *'tcb_status is "OutOfDate"'* ]]
}

@test "tdx: collateral for another platform, expired, tampered or from an unknown signer is refused" {
	make_collateral_signer
	resign "$TDX/sample_qeIdentity_response.json" "$TMP/qe.json" enclaveIdentity
	resign "$TDX/sample_tcbInfo_response.json" "$TMP/fmspc.json" tcbInfo 'obj["fmspc"] = "00906ED50000"'
	run tdx_collateral --root "$TMP/roots.pem" --tcb-info "$TMP/fmspc.json" --qe-identity "$TMP/qe.json"
	[[ "$output" == *"for another platform (FMSPC or PCE ID differs)"* ]]
	resign "$TDX/sample_tcbInfo_response.json" "$TMP/tcb.json" tcbInfo
	run tdx_verify --evidence "$TDX/spr-e4-quote-v4.dat" --collateral-chain "$TMP/csign.pem" --root "$TMP/roots.pem" \
		--tcb-info "$TMP/tcb.json" --qe-identity "$TMP/qe.json"
	[[ "$output" == *"collateral \`tcbInfo\` is not valid at this time"* ]]
	sed 's/"UpToDate"/"Revoked"/' "$TMP/tcb.json" >"$TMP/tampered.json"
	run tdx_collateral --root "$TMP/roots.pem" --tcb-info "$TMP/tampered.json" --qe-identity "$TMP/qe.json"
	[[ "$output" == *"signature of collateral \`tcbInfo\` does not verify"* ]]
	resign "$TDX/sample_qeIdentity_response.json" "$TMP/qe-other.json" enclaveIdentity 'obj["mrsigner"] = "00" * 32'
	run tdx_collateral --root "$TMP/roots.pem" --tcb-info "$TMP/tcb.json" --qe-identity "$TMP/qe-other.json"
	[[ "$output" == *"does not match Intel's QE identity"* ]]
	# a second tcbInfo smuggled next to the signed one is never the one evaluated
	"$SYSTEM_PYTHON" - "$TMP/tcb.json" "$TMP/smuggled.json" <<-'PY'
	import json, sys
	text = open(sys.argv[1]).read()
	doc = json.loads(text)
	signed = text[text.index('{', text.index('"tcbInfo"')):text.index(',"signature"')]
	forged = json.loads(signed)
	for level in forged["tcbLevels"]:
	    level["tcbStatus"] = "UpToDate"
	    for c in level["tcb"]["sgxtcbcomponents"] + level["tcb"]["tdxtcbcomponents"]:
	        c["svn"] = 0
	open(sys.argv[2], "w").write('{"x":{"tcbInfo":%s},"tcbInfo":%s,"signature":"%s"}' % (signed, json.dumps(forged), doc["signature"]))
	PY
	run tdx_collateral --root "$TMP/roots.pem" --tcb-info "$TMP/smuggled.json" --qe-identity "$TMP/qe.json" --json
	[[ "$output" == *'"tcb_status":"NotSupported"'* ]]
	run tdx_collateral --root "$TDX/intel-sgx-root-ca.pem" --tcb-info "$TMP/tcb.json" --qe-identity "$TMP/qe.json"

	[[ "$output" == *"TCB signing certificate does not chain to the trusted root"* ]]
	run tdx_collateral --root "$TMP/roots.pem" --tcb-info "$TMP/tcb.json"
	[ "$status" -eq 2 ]
}
