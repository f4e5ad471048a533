#!/usr/bin/env bats
# cocoond when the disk is full (issue 13's faults): writes fail with a clear Status naming the
# problem, nothing stored before is lost or corrupted, reads and health go on, and once there is
# room again writes succeed; a restart finds every object intact (SQLite's integrity check agrees).
# The disk is a small tmpfs the test mounts and unmounts.

load helpers/common

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (mounts a small tmpfs)"
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	TMP="$(mktemp -d)"
	mkdir "$TMP/disk"
	mount -t tmpfs -o size=3m tmpfs "$TMP/disk"
	PORT="$(free_port)"
	start_cocoond "$TMP/disk/data" "$PORT"
	export KUBECONFIG="$TMP/disk/data/kubeconfig"
	K=("$KUBECTL" --request-timeout=10s --cache-dir "$TMP/cache")
	head -c 200000 /dev/zero | tr '\0' x >"$TMP/value"
}

teardown() {
	stop_cocoond
	umount "$TMP/disk" 2>/dev/null || true
	rm -rf "$TMP"
}

@test "faults: a full disk refuses writes with a clear error, keeps what was stored, and recovers" {
	# Ballast the operator will remove to make room (a full store cannot even delete: SQLite's
	# write-ahead log needs space for that too).
	head -c 512k /dev/zero >"$TMP/disk/ballast"
	made=0
	for i in $(seq 1 30); do
		run "${K[@]}" create configmap "big$i" --from-file=k="$TMP/value"
		if [ "$status" -ne 0 ]; then
			echo "$output"
			[[ "$output" == *'database or disk is full'* ]]
			break
		fi
		made=$i
	done
	[ "$made" -gt 0 ] && [ "$made" -lt 30 ]
	# The raw answer: a Status, 500 InternalError, as kube-apiserver answers for its store.
	printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"raw"},"data":{"k":"%s"}}' "$(cat "$TMP/value")" \
		>"$TMP/raw.json"
	run curl -sS -w ' %{http_code}' --cacert "$TMP/disk/data/pki/ca.crt" --cert "$TMP/disk/data/pki/admin.crt" \
		--key "$TMP/disk/data/pki/admin.key" -H 'Content-Type: application/json' --data-binary @"$TMP/raw.json" \
		"https://127.0.0.1:$PORT/api/v1/namespaces/default/configmaps"
	echo "$output" | cut -c1-300
	[[ "$output" == *'"reason":"InternalError"'*' 500' ]]
	# Reads and health go on; every object made before is whole.
	"${K[@]}" get --raw /readyz
	for i in $(seq 1 "$made"); do
		[ "$("${K[@]}" get configmap "big$i" -o jsonpath='{.data.k}' | wc -c)" -eq 200000 ]
	done
	# Room again: writes succeed; a restart finds everything.
	rm "$TMP/disk/ballast"
	"${K[@]}" delete configmap big1
	"${K[@]}" create configmap after --from-literal=a=b
	stop_cocoond
	[ "$(sqlite3 "$TMP/disk/data/state.db" 'PRAGMA integrity_check')" = ok ]
	start_cocoond "$TMP/disk/data" "$PORT"
	[ "$("${K[@]}" get configmap after -o jsonpath='{.data.a}')" = b ]
	[ "$("${K[@]}" get configmaps -o name | grep -c big)" -eq $((made - 1)) ]
}
