#!/usr/bin/env bats
# cocoon key: versioned keys sealed under a root key, in SQLite and in a real 3-member etcd cluster.

load helpers/common
load helpers/keys
load helpers/tpm

setup() {
	TMP="$(mktemp -d)"
	"$COCOON" key init-root "$TMP/root.key" >/dev/null
}

teardown() {
	stop_swtpm
	stop_kms
	stop_etcd_cluster
	rm -rf "$TMP"
}

@test "create, rotate, retire: old versions decrypt until retired, rewrap moves data to the primary" {
	run key create db
	[ "$status" -eq 0 ]
	[[ "$output" == "key default/db: version 1 created" ]]
	echo "secret one" | key encrypt db >"$TMP/v1.ct"
	run key rotate db --json
	[ "$(json_field "$output" version)" = 2 ]
	echo "secret two" | key encrypt db >"$TMP/v2.ct"
	run key decrypt db <"$TMP/v1.ct"
	[ "$output" = "secret one" ]
	key rewrap db <"$TMP/v1.ct" >"$TMP/v1-rewrapped.ct"
	# format byte 1, then the version (big-endian): the rewrapped ciphertext is under version 2
	"$SYSTEM_PYTHON" -c 'import base64, sys; d = base64.b64decode(open(sys.argv[1]).read()); assert d[:5] == bytes([1, 0, 0, 0, 2]), d[:5]' "$TMP/v1-rewrapped.ct"
	run key retire db --version 2
	[ "$status" -eq 1 ]
	[[ "$output" == *"version 2 is the primary; rotate first"* ]]
	key retire db --version 1
	run key decrypt db <"$TMP/v1.ct"
	[ "$status" -eq 1 ]
	[[ "$output" == *"version 1 is retired"* ]]
	run key decrypt db <"$TMP/v1-rewrapped.ct"
	[ "$output" = "secret one" ]
	run "$COCOON" key list --store "sqlite:$TMP/state.db" --json
	echo "$output" | "$SYSTEM_PYTHON" -c '
import json, sys
k = json.load(sys.stdin)[0]
assert k["name"] == "db" and k["primary"] == 2, k
assert [(v["version"], v["state"]) for v in k["versions"]] == [(1, "retired"), (2, "enabled")], k
assert "material" not in json.dumps(k)'
	! grep -q "secret" "$TMP/state.db"
}

@test "tampered ciphertext, a wrong root key and an exposed root key file are refused" {
	key create db
	echo "payload" | key encrypt db >"$TMP/ct"
	"$SYSTEM_PYTHON" -c 'import base64, sys; d = bytearray(base64.b64decode(open(sys.argv[1]).read())); d[-1] ^= 1; print(base64.b64encode(d).decode())' "$TMP/ct" >"$TMP/bad.ct"
	run key decrypt db <"$TMP/bad.ct"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ciphertext was altered or not made with key \`default/db\` version 1"* ]]
	mv "$TMP/root.key" "$TMP/right.key"
	"$COCOON" key init-root "$TMP/root.key" >/dev/null
	run key decrypt db <"$TMP/ct"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not open with this root key"* ]]
	chmod 640 "$TMP/root.key"
	run key list
	run key create other
	[ "$status" -eq 1 ]
	[[ "$output" == *"is readable by others (mode 640); chmod 600 it"* ]]
	head -c 10 /dev/urandom >"$TMP/short.key"
	chmod 600 "$TMP/short.key"
	run "$COCOON" key create x --root-key "$TMP/short.key" --store "sqlite:$TMP/state.db"
	[[ "$output" == *"must hold 32 bytes"* ]]
}

@test "usage errors and bad names exit 2 or name the problem" {
	run "$COCOON" key create
	[ "$status" -eq 2 ]
	run "$COCOON" key create db --store "sqlite:$TMP/state.db"
	[ "$status" -eq 2 ]
	[[ "$output" == *"needs --root-key FILE"* ]]
	run "$COCOON" key frobnicate db
	[ "$status" -eq 2 ]
	run key create "Bad_Name"
	[ "$status" -eq 1 ]
	[[ "$output" == *"key name \`Bad_Name\` must be 1-63 characters"* ]]
	run key create db --tenant "../x"
	[ "$status" -eq 1 ]
	run key rotate missing
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* ]]
	run key create db --store "redis:localhost"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown backend"* ]]
	printf 'not a database, not at all%.0s' $(seq 1 200) >"$TMP/corrupt.db"
	chmod 600 "$TMP/corrupt.db"
	run key create db --store "sqlite:$TMP/corrupt.db"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not usable"* ]]
}

@test "SIGKILL during rotations and concurrent rotators never lose a version" {
	key create db
	echo "first" | key encrypt db >"$TMP/ct"
	for i in $(seq 1 25); do
		key rotate db >/dev/null 2>&1 &
		pid=$!
		sleep "0.00$((RANDOM % 10))"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# two writers at once: compare-and-swap makes each retry on the other's change
	key rotate db >"$TMP/a" 2>&1 &
	a=$!
	key rotate db >"$TMP/b" 2>&1 &
	b=$!
	wait "$a"
	wait "$b"
	run key decrypt db <"$TMP/ct"
	[ "$status" -eq 0 ]
	[ "$output" = "first" ]
	run "$COCOON" key list --store "sqlite:$TMP/state.db" --json
	echo "$output" | "$SYSTEM_PYTHON" -c '
import json, sys
k = json.load(sys.stdin)[0]
versions = [v["version"] for v in k["versions"]]
assert versions == list(range(1, len(versions) + 1)), versions
assert k["primary"] == versions[-1] and len(versions) >= 3, k'
	[ "$(grep -ho 'version [0-9]*' "$TMP/a" "$TMP/b" | sort -u | wc -l)" -eq 2 ]
}

@test "etcd: keys live in a 3-member cluster and survive one member being killed" {
	command -v etcd >/dev/null || skip "etcd-server is not installed"
	start_etcd_cluster "$TMP"
	export STORE="etcd:$ETCD_URLS"
	key create db
	echo "in etcd" | key encrypt db >"$TMP/ct"
	kms_pb2
	start_kms db
	before="$(json_field "$(kms_client status)" key_id)"
	[ "$before" = "default/db:v1" ]
	kill -KILL "${ETCD_PIDS[0]}"
	wait "${ETCD_PIDS[0]}" 2>/dev/null || true
	run key rotate db
	[ "$status" -eq 0 ]
	for _ in $(seq 1 20); do
		[ "$(json_field "$(kms_client status)" key_id)" = "default/db:v2" ] && break
		sleep 0.1
	done
	[ "$(json_field "$(kms_client status)" key_id)" = "default/db:v2" ]
	run key decrypt db <"$TMP/ct"
	[ "$output" = "in etcd" ]
	run kms_client roundtrip 20
	[ "$status" -eq 0 ]
	# the key material in etcd is sealed: the plain text never appears
	run etcdctl --endpoints "${ETCD_URLS#*,}" get --prefix keys/
	[[ "$output" == *'"primary":2'* ]]
	[[ "$output" != *"in etcd"* ]]
}

@test "a root key sealed to the TPM works there and nowhere else" {
	command -v swtpm >/dev/null || skip "swtpm is not installed"
	start_swtpm "$TMP/tpm"
	run "$COCOON" key init-root --tpm "$TMP/sealed.json"
	[ "$status" -eq 0 ]
	tpmkey() { "$COCOON" key "$1" --root-key "tpm:$TMP/sealed.json" --store "sqlite:$TMP/state.db" "${@:2}"; }
	tpmkey create db
	echo "sealed secret" | tpmkey encrypt db >"$TMP/ct"
	run tpmkey decrypt db <"$TMP/ct"
	[ "$output" = "sealed secret" ]
	run "$COCOON" key init-root --tpm "$TMP/sealed.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"File exists"* ]]
	# another TPM (a fresh swtpm state) cannot unseal it
	stop_swtpm
	start_swtpm "$TMP/other-tpm"
	run tpmkey decrypt db <"$TMP/ct"
	[ "$status" -eq 1 ]
	[[ "$output" == *"root key"*"does not load the object (made by another TPM?)"*"integrity check failed"* ]]
	stop_swtpm
	run tpmkey decrypt db <"$TMP/ct"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no TPM"* || "$output" == *"cannot open"* ]]
}
