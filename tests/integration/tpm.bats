#!/usr/bin/env bats
# Measured launch into a TPM: swtpm (started and stopped by the test) as the node's TPM; the
# measurement log must replay to the PCR value tpm2-tools reads.

load helpers/common
load helpers/runtime
load helpers/tpm

setup() {
	tpm_node_setup
}

teardown() {
	stop_swtpm
	rm -rf "$TMP"
}

@test "each launch extends PCR 15 and the log replays to the PCR value" {
	RT run --bundle "$TMP/bundle" a
	echo changed >"$TMP/bundle/rootfs/etc/motd"
	RT run --bundle "$TMP/bundle" b
	pcr="$(tpm2_pcrread -T "$COCOON_TPM_TCTI" sha384:15 | grep -o '0x[0-9A-F]*' | tr -d x | tr 'A-F' 'a-f' | sed 's/^0//')"
	replayed="$("$SYSTEM_PYTHON" - "$RT_ROOT/measurements.jsonl" <<-'PY'
	import hashlib, json, sys
	pcr = bytes(48)
	for line in open(sys.argv[1]):
	    record = json.loads(line)
	    assert record["pcr"] == 15 and record["tpm"].startswith("swtpm:")
	    pcr = hashlib.sha384(pcr + bytes.fromhex(record["measurement"].split(":")[1])).digest()
	print(pcr.hex())
	PY
	)"
	[ "$pcr" = "$replayed" ]
}

@test "a configured TPM that is unreachable fails the launch closed" {
	kill "$SWTPM_PID"
	wait "$SWTPM_PID" 2>/dev/null || true
	SWTPM_PID=
	run RT run --bundle "$TMP/bundle" a
	[ "$status" -eq 1 ]
	[[ "$output" == *"measured launch: TPM"* ]]
	run RT list --quiet
	[ -z "$output" ]
}
