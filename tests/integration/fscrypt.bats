#!/usr/bin/env bats
# Encrypted writable storage: fscrypt v2 on an ext4 image made by the test (mkfs.ext4 -O encrypt,
# loop-mounted), keyed by the annotation run.cocoon.fscrypt.key; delete shreds the key.

load helpers/common
load helpers/runtime

setup() {
	require_root
	command -v mkfs.ext4 >/dev/null || skip "needs e2fsprogs"
	TMP="$(mktemp -d)"
	RT_ROOT="$TMP/state"
	mkdir -p "$TMP/mnt"
	truncate -s 64M "$TMP/fs.img"
	mkfs.ext4 -q -O encrypt "$TMP/fs.img"
	mount -o loop "$TMP/fs.img" "$TMP/mnt" || skip "cannot loop-mount an image here"
	mkdir "$TMP/mnt/volume"
	head -c 64 /dev/urandom >"$TMP/volume.key"
	chmod 600 "$TMP/volume.key"
	make_bundle "$TMP/bundle" \
		"c['mounts'].append({'destination': '/data', 'type': 'bind', 'source': '$TMP/mnt/volume', 'options': ['rbind', 'rw']})" \
		"c['annotations'] = {'run.cocoon.fscrypt.key': '$TMP/volume.key'}"
}

teardown() {
	RT delete --force t1 >/dev/null 2>&1 || true
	umount "$TMP/mnt" 2>/dev/null || true
	rm -rf "$TMP"
}

@test "the container writes plaintext; after delete the data is unreadable" {
	set_args "$TMP/bundle" sh -c 'echo account-ledger > /data/ledger.txt; cat /data/ledger.txt'
	run RT run --keep --bundle "$TMP/bundle" t1
	[ "$status" -eq 0 ]
	[ "$output" = account-ledger ]
	run RT delete t1
	[ "$status" -eq 0 ]
	# Names are encrypted and contents cannot be read without the key.
	[ ! -e "$TMP/mnt/volume/ledger.txt" ]
	run sh -c "cat '$TMP/mnt/volume'/*"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Required key not available"* ]]
	! grep -rq account-ledger "$TMP/mnt/volume" 2>/dev/null || false
	grep -q '"action":"volume.encrypt"' "$RT_ROOT/events.jsonl"
	grep -q '"action":"volume.shred".*"verdict":"allow"' "$RT_ROOT/events.jsonl"
	! grep -q "$(xxd -p -c 64 "$TMP/volume.key")" "$RT_ROOT/events.jsonl" "$RT_ROOT"/*/state.json 2>/dev/null
}

@test "a key of the wrong size or a non-empty directory is refused" {
	head -c 10 /dev/urandom >"$TMP/volume.key"
	set_args "$TMP/bundle" true
	run RT run --bundle "$TMP/bundle" t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"must be exactly 32 or 64 bytes"* ]]
	head -c 64 /dev/urandom >"$TMP/volume.key"
	echo plaintext >"$TMP/mnt/volume/existing"
	run RT run --bundle "$TMP/bundle" t1
	[ "$status" -eq 1 ]
	[[ "$output" == *"must be empty to be encrypted"* ]]
}
