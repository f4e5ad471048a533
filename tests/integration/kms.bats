#!/usr/bin/env bats
# cocoon kms serve: the Kubernetes KMS v2 plugin, called by a real gRPC client (Debian's
# python3-grpcio) on its unix socket exactly as kube-apiserver calls it.

load helpers/common
load helpers/keys

setup_file() {
	kms_pb2
}

setup() {
	"$SYSTEM_PYTHON" -c 'import grpc' 2>/dev/null || skip "python3-grpcio is not installed"
	TMP="$(mktemp -d)"
	"$COCOON" key init-root "$TMP/root.key" >/dev/null
	key create secrets >/dev/null
}

teardown() {
	stop_kms
	stop_audit_socket
	rm -rf "$TMP"
}

@test "Status, Encrypt and Decrypt answer as KMS v2 requires; the socket is private" {
	start_kms secrets
	[ "$(stat -c %a "$TMP/kms.sock")" = 600 ]
	run kms_client status
	[ "$output" = '{"version": "v2", "healthz": "ok", "key_id": "default/secrets:v1"}' ]
	dek="$(head -c 32 /dev/urandom | xxd -p -c 64)"
	run kms_client encrypt "$dek"
	[ "$status" -eq 0 ]
	[ "$(json_field "$output" key_id)" = "default/secrets:v1" ]
	[ "$(json_field "$output" size)" -le 1024 ]
	[[ "$output" == *'"annotations": {"format.kms.cocoon.io": "aes-256-gcm-v1"}'* ]]
	run kms_client decrypt "$(json_field "$output" ciphertext)" default/secrets:v1
	[ "$(json_field "$output" plaintext)" = "$dek" ]
	run kms_client roundtrip 200
	[ "$output" = '{"roundtrips": 200}' ]
}

@test "a rotation changes key_id within a second; older ciphertexts still decrypt until retired" {
	start_kms secrets
	old="$(kms_client encrypt 00112233)"
	key rotate secrets >/dev/null
	for _ in $(seq 1 10); do
		[ "$(json_field "$(kms_client status)" key_id)" = "default/secrets:v2" ] && break
		sleep 0.1
	done
	[ "$(json_field "$(kms_client status)" key_id)" = "default/secrets:v2" ]
	[ "$(json_field "$(kms_client encrypt 44)" key_id)" = "default/secrets:v2" ]
	run kms_client decrypt "$(json_field "$old" ciphertext)" default/secrets:v1
	[ "$(json_field "$output" plaintext)" = 00112233 ]
	key retire secrets --version 1 >/dev/null
	sleep 0.5
	run kms_client decrypt "$(json_field "$old" ciphertext)" default/secrets:v1
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "NOT_FOUND"'*"version 1 is retired"* ]]
	grep -q "key rotated: the write key is now default/secrets:v2" "$TMP/kms.log"
}

@test "tampered ciphertext, a wrong key_id and oversized plaintext get gRPC errors, each an audit event" {
	start_audit_socket
	COCOON_AUDIT_SOCKET="$TMP/audit.sock" start_kms secrets
	enc="$(kms_client encrypt 00112233)"
	ct="$(json_field "$enc" ciphertext)"
	bad="$("$SYSTEM_PYTHON" -c 'import base64, sys; d = bytearray(base64.b64decode(sys.argv[1])); d[10] ^= 1; print(base64.b64encode(d).decode())' "$ct")"
	run kms_client decrypt "$bad" default/secrets:v1
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "INVALID_ARGUMENT"'*"ciphertext was altered"* ]]
	run kms_client decrypt "$ct" default/other:v1
	[ "$status" -eq 1 ]
	[[ "$output" == *"key_id \`default/other:v1\` does not match"* ]]
	run kms_client decrypt "$ct" ""
	[[ "$output" == *"key_id is missing"* ]]
	run kms_client encrypt "$(head -c 1000 /dev/zero | xxd -p -c 2000)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"must be 1 to 991 bytes"* ]]
	run kms_client encrypt ""
	[ "$status" -eq 1 ]
	for _ in $(seq 1 50); do
		[ "$(grep -c '"action":"kms\.' "$TMP/siem.jsonl" 2>/dev/null)" -ge 5 ] && break
		sleep 0.1
	done
	[ "$(grep -c '"action":"kms.decrypt"' "$TMP/siem.jsonl")" -eq 3 ]
	[ "$(grep -c '"action":"kms.encrypt"' "$TMP/siem.jsonl")" -eq 2 ]
	grep '"action":"kms.decrypt"' "$TMP/siem.jsonl" | grep -q '"verdict":"deny"'
}

@test "state survives a restart; a missing key or root key stops the plugin with the reason" {
	start_kms secrets
	enc="$(kms_client encrypt cafe)"
	stop_kms
	start_kms secrets
	run kms_client decrypt "$(json_field "$enc" ciphertext)" "$(json_field "$enc" key_id)"
	[ "$(json_field "$output" plaintext)" = cafe ]
	stop_kms
	run "$COCOON" kms serve --socket "$TMP/kms2.sock" --key nothere --root-key "$TMP/root.key" --store "sqlite:$TMP/state.db"
	[ "$status" -eq 1 ]
	[[ "$output" == *"key \`default/nothere\` does not exist"* ]]
	run "$COCOON" kms serve --socket "$TMP/kms2.sock" --key secrets
	[ "$status" -eq 2 ]
}

@test "the state file is created 0600; a store group or others may open is refused, naming the fix" {
	# `key create` in setup made the store: private from the start
	[ "$(stat -c %a "$TMP/state.db")" = 600 ]
	start_kms secrets
	kms_client encrypt 00 >/dev/null
	for f in "$TMP/state.db" "$TMP/state.db-wal" "$TMP/state.db-shm"; do
		[ ! -e "$f" ] || [ "$(stat -c %a "$f")" = 600 ]
	done
	stop_kms
	chmod 644 "$TMP/state.db"
	run "$COCOON" kms serve --socket "$TMP/kms.sock" --key secrets --root-key "$TMP/root.key" --store "sqlite:$TMP/state.db"
	[ "$status" -eq 1 ]
	[[ "$output" == *"store \`sqlite:$TMP/state.db\`: \`$TMP/state.db\` is open to group or others (mode 644); chmod 600 it"* ]]
	[ ! -S "$TMP/kms.sock" ]
}
