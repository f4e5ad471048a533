# Helpers for the key, KMS and key broker tests: a root key and store in $TMP, the KMS plugin and a
# real etcd cluster on loopback, all stopped by PID.

# key ARGS...: cocoon key with this test's root key and store (STORE may be overridden).
key() {
	local verb="$1"
	shift
	"$COCOON" key "$verb" --root-key "$TMP/root.key" --store "${STORE:-sqlite:$TMP/state.db}" "$@"
}

# kms_pb2: generates kms_pb2.py into $PB2 with protoc.
kms_pb2() {
	export PB2="$BATS_FILE_TMPDIR/pb2"
	mkdir -p "$PB2"
	protoc --proto_path="$COCOON_ROOT/src/attest/proto" --python_out="$PB2" kms.proto
}

kms_client() {
	"$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/kms_client.py" "$PB2" "$TMP/kms.sock" "$@"
}

# json_field JSON FIELD: one top-level field of a JSON object.
json_field() {
	"$SYSTEM_PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# start_kms KEY [args]: serves the KMS plugin on $TMP/kms.sock and waits for Status to answer.
start_kms() {
	local name="$1"
	shift
	"$COCOON" kms serve --socket "$TMP/kms.sock" --key "$name" --root-key "$TMP/root.key" \
		--store "${STORE:-sqlite:$TMP/state.db}" --poll-ms 200 "$@" 2>>"$TMP/kms.log" &
	KMS_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$TMP/kms.sock" ] && kms_client status >/dev/null 2>&1 && return 0
		kill -0 "$KMS_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "the KMS plugin did not start:" >&2
	cat "$TMP/kms.log" >&2
	return 1
}

stop_kms() {
	if [ -n "${KMS_PID:-}" ]; then
		kill -TERM "$KMS_PID" 2>/dev/null || true
		wait "$KMS_PID" 2>/dev/null || true
		KMS_PID=
	fi
}

# start_etcd_cluster DIR: three etcd-server members on loopback; sets ETCD_URLS (comma-separated
# client URLs) and ETCD_PIDS.
start_etcd_cluster() {
	local dir="$1" cluster="" i
	local -a client peer
	for i in 0 1 2; do
		client[i]="$(free_port)"
		peer[i]="$(free_port)"
		cluster+="${cluster:+,}m$i=http://127.0.0.1:${peer[i]}"
	done
	ETCD_PIDS=()
	ETCD_URLS=""
	for i in 0 1 2; do
		etcd --name "m$i" --data-dir "$dir/m$i" \
			--listen-client-urls "http://127.0.0.1:${client[i]}" --advertise-client-urls "http://127.0.0.1:${client[i]}" \
			--listen-peer-urls "http://127.0.0.1:${peer[i]}" --initial-advertise-peer-urls "http://127.0.0.1:${peer[i]}" \
			--initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "cocoon-test" \
			>"$dir/m$i.log" 2>&1 &
		ETCD_PIDS+=($!)
		ETCD_URLS+="${ETCD_URLS:+,}http://127.0.0.1:${client[i]}"
	done
	for _ in $(seq 1 200); do
		if curl -sf "http://127.0.0.1:${client[0]}/health" | grep -q '"health":"true"'; then
			return 0
		fi
		sleep 0.05
	done
	echo "the etcd cluster did not become healthy" >&2
	tail -5 "$dir"/m*.log >&2
	return 1
}

stop_etcd_cluster() {
	local pid
	for pid in "${ETCD_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	ETCD_PIDS=()
}
