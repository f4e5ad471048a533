#!/usr/bin/env bats
# cocoon attest agent on a real software TPM (swtpm): the EK certificate from the TPM's NV, the AK
# registered with the key broker by credential activation, and a volume key released after a quote
# over the containers cocoon-runtime measured.

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys

setup() {
	tpm_node_setup
	swtpm_ek_ca "$TMP/ek-ca.pem"
	start_kbs "$TMP" --ek-ca "$TMP/ek-ca.pem"
	RT run --bundle "$TMP/bundle" web
	head -c 64 /dev/urandom >"$TMP/volume.key"
	kbs_admin PUT default/resource/volumes/fscrypt/web --data-binary "@$TMP/volume.key" >/dev/null
	measurement="$(head -1 "$RT_ROOT/measurements.jsonl" | jq_py 'r["measurement"]')"
	printf 'rules:\n- {claim: containers.*.measurement, oneOf: ["%s"]}\n' "$measurement" >"$TMP/policy.yaml"
	kbs_admin PUT default/policy --data-binary "@$TMP/policy.yaml" >/dev/null
}

teardown() {
	stop_kbs
	stop_swtpm
	rm -rf "$TMP"
}

agent() {
	local verb="$1"
	shift
	"$COCOON" attest agent "$verb" --kbs "$KBS_URL" --ca "$TMP/pki/ca.crt" --node web-node --state "$TMP/agent" "$@"
}

@test "agent: enrolled, registered, attested: the volume key is released to the node and nobody else" {
	run agent fetch --resource volumes/fscrypt/web --out "$TMP/fetched.key" --log "$RT_ROOT/measurements.jsonl"
	[ "$status" -eq 1 ]
	echo "$output"
	[[ "$output" == *"no attestation key"*"run `cocoon attest agent register`"* ]]
	run agent register
	[ "$status" -eq 1 ]
	[[ "$output" == *"node \`web-node\` is not enrolled"* ]]
	"$COCOON" attest agent ek-cert --out "$TMP/ek.pem"
	openssl x509 -in "$TMP/ek.pem" -noout -issuer | grep -q swtpm-localca
	[ "$(kbs_admin PUT default/node/web-node --data-binary "@$TMP/ek.pem" | tail -1)" = 204 ]
	run agent register
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$TMP/agent/ak.json")" = 600 ]
	run agent fetch --resource volumes/fscrypt/web --out "$TMP/fetched.key" --log "$RT_ROOT/measurements.jsonl"
	echo "$output"
	[ "$status" -eq 0 ]
	cmp "$TMP/volume.key" "$TMP/fetched.key"
	[ "$(stat -c %a "$TMP/fetched.key")" = 600 ]
	# a container the policy does not know runs on the node: nothing is released any more
	echo changed >"$TMP/bundle/rootfs/etc/motd"
	RT run --bundle "$TMP/bundle" intruder
	run agent fetch --resource volumes/fscrypt/web --out "$TMP/again.key" --log "$RT_ROOT/measurements.jsonl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"HTTP 403"* ]]
	[ ! -e "$TMP/again.key" ]
	# hiding the intruder from the log does not help: the log no longer replays to the quoted PCR
	head -1 "$RT_ROOT/measurements.jsonl" >"$TMP/edited.jsonl"
	run agent fetch --resource volumes/fscrypt/web --out "$TMP/again.key" --log "$TMP/edited.jsonl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not replay to the quoted PCR"* ]]
}

@test "agent: the AK file is useless on another TPM, and usage errors exit 2" {
	"$COCOON" attest agent ek-cert --out "$TMP/ek.pem"
	kbs_admin PUT default/node/web-node --data-binary "@$TMP/ek.pem" >/dev/null
	agent register
	stop_swtpm
	start_swtpm "$TMP/other-tpm"
	run agent fetch --resource volumes/fscrypt/web --out "$TMP/fetched.key" --log "$RT_ROOT/measurements.jsonl"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not load the object (made by another TPM?)"* ]]
	run "$COCOON" attest agent fetch --kbs "$KBS_URL" --ca "$TMP/pki/ca.crt" --node x
	[ "$status" -eq 2 ]
	[[ "$output" == *"--resource and --out"* ]]
	run "$COCOON" attest agent frobnicate
	[ "$status" -eq 2 ]
}
