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
	protoc --proto_path="$COCOON_ROOT/src/keys/proto" --python_out="$PB2" kms.proto
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
	wait_for_server "the KMS plugin" "$KMS_PID" "$TMP/kms.log" kms_client status
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

# start_kbs DIR [args]: the key broker on a free port with the node PKI of DIR/pki, a root key and a
# token key in DIR; sets KBS_URL and KBS_PID. Started as `cocoon kbs serve` (which runs cocoon-kbs in
# the same process), or as `cocoon-kbs serve` when KBS_DIRECT is set.
start_kbs() {
	local dir="$1" port
	local -a serve=("$COCOON" kbs serve)
	[ -n "${KBS_DIRECT:-}" ] && serve=("$COCOON_KBS" serve)
	shift
	[ -f "$dir/pki/ca.crt" ] || "$COCOON" certs init --dir "$dir/pki" >/dev/null
	[ -f "$dir/root.key" ] || "$COCOON" key init-root "$dir/root.key" >/dev/null
	port="$(free_port)"
	"${serve[@]}" --listen "127.0.0.1:$port" --cert "$dir/pki/server.crt" --key "$dir/pki/server.key" \
		--client-ca "$dir/pki/ca.crt" --root-key "$dir/root.key" --token-key "$dir/token.key" \
		--store "${STORE:-sqlite:$dir/state.db}" "$@" 2>>"$dir/kbs.log" &
	KBS_PID=$!
	KBS_URL="https://127.0.0.1:$port"
	wait_for_server "the key broker" "$KBS_PID" "$dir/kbs.log" curl -s --cacert "$dir/pki/ca.crt" -o /dev/null "$KBS_URL/kbs/v0/auth"
}

stop_kbs() {
	if [ -n "${KBS_PID:-}" ]; then
		kill -TERM "$KBS_PID" 2>/dev/null || true
		wait "$KBS_PID" 2>/dev/null || true
		KBS_PID=
	fi
}

# kbs_admin METHOD PATH [curl args]: the admin API with the admin certificate (O=system:masters);
# prints the body, then the HTTP status on its own line.
kbs_admin() {
	local method="$1" path="$2"
	shift 2
	curl -s --cacert "$TMP/pki/ca.crt" --cert "${ADMIN_CERT:-$TMP/pki/admin.crt}" --key "${ADMIN_KEY:-$TMP/pki/admin.key}" \
		-X "$method" "$KBS_URL/kbs/v0/admin/$path" -w '\n%{http_code}\n' "$@"
}

# tenant_cert NAME: a client certificate with O=NAME from the node CA (openssl CLI), in $TMP/NAME.crt/.key.
tenant_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=$1/CN=$1-admin" \
		-keyout "$TMP/$1.key" -out "$TMP/$1.csr" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >"$TMP/client.ext"
	openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/pki/ca.crt" -CAkey "$TMP/pki/ca.key" -CAcreateserial -days 1 \
		-extfile "$TMP/client.ext" -out "$TMP/$1.crt" 2>/dev/null
}

kbs_client() {
	"$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/kbs_client.py" "$KBS_URL" "$TMP/pki/ca.crt" roundtrip \
		--token-key "$TMP/token.key" "$@"
}

# jq_py EXPR: evaluates a Python expression over the JSON on standard input (bound to `r`).
jq_py() {
	"$SYSTEM_PYTHON" -c 'import json, sys; r = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# make_offline_root: a tenant's offline root CA made with openssl ($TMP/root.pem, root.key), and
# $TMP/ext.cnf with its [root] and [issuing] extensions: the issuing CA is constrained to the trust
# domain acme.example and the cluster's Service names.
make_offline_root() {
	cat >"$TMP/ext.cnf" <<-CNF
		[root]
		basicConstraints = critical,CA:TRUE
		keyUsage = critical,keyCertSign,cRLSign
		subjectKeyIdentifier = hash
		[issuing]
		basicConstraints = critical,CA:TRUE,pathlen:0
		keyUsage = critical,keyCertSign,cRLSign
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid:always
		nameConstraints = critical,permitted;URI:acme.example,permitted;DNS:.svc.cluster.local,permitted;DNS:.svc
	CNF
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/root.key" \
		-out "$TMP/root.pem" -subj "/CN=acme offline root" -days 30 -config "$TMP/ext.cnf" -extensions root \
		2>/dev/null
}
