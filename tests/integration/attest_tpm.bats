#!/usr/bin/env bats
# cocoon attest verify --tee tpm: quotes made by a real (software) TPM, swtpm, through tpm2-tools,
# after cocoon-runtime measured two containers into PCR 15; the log must replay to the quote.

load helpers/common
load helpers/runtime
load helpers/tpm

NONCE=8f2e4c1a9b7d3e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7

setup() {
	tpm_node_setup
	make_ak "$TMP"
	RT run --bundle "$TMP/bundle" web
	echo changed >"$TMP/bundle/rootfs/etc/motd"
	RT run --bundle "$TMP/bundle" db
	tpm_evidence "$TMP" "$NONCE" "sha384:15+sha256:15" "$RT_ROOT/measurements.jsonl" "$TMP/evidence.json"
}

teardown() {
	stop_swtpm
	rm -rf "$TMP"
}

verify() {
	"$COCOON" attest verify --tee tpm --ak "$TMP/ak.tss" "$@"
}

# edit EXPR: applies a Python expression to the evidence `e`, writing $TMP/edited.json.
edit() {
	"$SYSTEM_PYTHON" - "$TMP/evidence.json" "$TMP/edited.json" "$1" <<-'PY'
	import base64, json, sys
	e = json.load(open(sys.argv[1]))
	def flip(field, offset):
	    b = bytearray(base64.b64decode(e[field])); b[offset] ^= 1; e[field] = base64.b64encode(b).decode()
	exec(sys.argv[3])
	json.dump(e, open(sys.argv[2], "w"))
	PY
}

@test "tpm: a real quote verifies and each measured container becomes a claim" {
	run verify --evidence "$TMP/evidence.json" --nonce "$NONCE" --json
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | "$SYSTEM_PYTHON" -c '
import json, sys
c = json.load(sys.stdin)
assert c["tee"] == "tpm" and c["nonce"] == sys.argv[1], c
assert [x["container"] for x in c["containers"]] == ["web", "db"], c["containers"]
assert all(x["measurement"].startswith("sha384:") for x in c["containers"])
assert c["containers"][0]["measurement"] != c["containers"][1]["measurement"]
# the parts each record carries (launch measurement v2), checked against its measurement
assert all(x["rootfs"].startswith("tree:sha384:") and x["profile"] == "none" and
           x["config"].startswith("sha384:") for x in c["containers"]), c["containers"]
assert c["clock"]["safe"] is True' "$NONCE"
}

@test "tpm: a wrong nonce, a flipped bit in the quote or signature, and another AK are rejected" {
	run verify --evidence "$TMP/evidence.json" --nonce "${NONCE%?}0"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nonce (extraData) is not the expected one"* ]]
	for offset in 10 40 60 100; do
		edit "flip('quote', $offset)"
		run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
		echo "$offset: $output"
		[ "$status" -eq 1 ]
	done
	edit "flip('signature', 20)"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"signature does not verify with the attestation key"* ]]
	tpm2_createak -C "$TMP/ek.ctx" -c "$TMP/ak2.ctx" -G ecc -g sha256 -s ecdsa -u "$TMP/ak2.tss" >/dev/null
	tpm2_flushcontext -t
	run "$COCOON" attest verify --tee tpm --ak "$TMP/ak2.tss" --evidence "$TMP/evidence.json" --nonce "$NONCE"
	[[ "$output" == *"signature does not verify with the attestation key"* ]]
	# the EK is restricted but a decryption key: never accepted as an AK
	tpm2_readpublic -c "$TMP/ek.ctx" -o "$TMP/ek.tss" -f tss >/dev/null
	run "$COCOON" attest verify --tee tpm --ak "$TMP/ek.tss" --evidence "$TMP/evidence.json" --nonce "$NONCE"
	[[ "$output" == *"not a restricted signing key"* ]]
}

@test "tpm: altered PCR values and an altered, shortened or padded measurement log are rejected" {
	edit "e['pcrs']['sha384']['15'] = '00' * 48"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"do not match the quote's PCR digest"* ]]
	edit "del e['pcrs']['sha256']"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"lacks the value of PCR sha256:15"* ]]
	edit "e['measurements'] = e['measurements'][1:]"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"does not replay to the quoted PCR sha384:15"* ]]
	edit "e['measurements'][0]['measurement'] = 'sha384:' + '11' * 48"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"record 0: its parts do not make its measurement"* ]]
	edit "e['measurements'][0]['measurement'] = 'sha384:' + '11' * 48; del e['measurements'][0]['parts']"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"does not replay"* ]]
	edit "e['measurements'].append(dict(e['measurements'][0], pcr=16))"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"extends PCR 16, which the quote does not cover"* ]]
	edit "e['measurements'][0]['pcr'] = 'fifteen'"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"measurement log record 0 is malformed"* ]]
	# parts that do not make the measurement: a claim the PCR does not vouch for
	edit "e['measurements'][1]['parts']['profile'] = 'confidential'"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"measurement log record 1: its parts do not make its measurement"* ]]
	edit "e['measurements'][0]['parts']['config'] = 'md5:00'"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"measurement log record 0: the config part must be sha384:"* ]]
}

@test "tpm: malformed evidence and usage errors are named" {
	echo 'not json' >"$TMP/bad.json"
	run verify --evidence "$TMP/bad.json" --nonce "$NONCE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a JSON object"* ]]
	edit "e['quote'] = e['quote'][:20]"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"not a TPMS_ATTEST structure"* || "$output" == *"not base64"* ]]
	edit "del e['signature']"
	run verify --evidence "$TMP/edited.json" --nonce "$NONCE"
	[[ "$output" == *"lacks \`signature\`"* ]]
	run "$COCOON" attest verify --tee tpm --evidence "$TMP/evidence.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--ak (the AK's TPM2B_PUBLIC) and --nonce are required"* ]]
	run verify --evidence "$TMP/evidence.json" --nonce xyz
	[ "$status" -eq 2 ]
}
