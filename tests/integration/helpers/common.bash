# Shared helpers for the bats integration tests. Every server a test starts is stopped by PID.

COCOON_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
BUILD="${COCOON_BUILD:-$COCOON_ROOT/build}"
COCOON="$BUILD/cocoon"
COCOOND="$BUILD/cocoond"
COCOON_RUNTIME="$BUILD/cocoon-runtime"
# Debian's Python with python3-grpcio; the python3 on PATH may be another build.
SYSTEM_PYTHON=/usr/bin/python3

# A free TCP port on loopback (the kernel picks it; a race with another process is possible but rare).
free_port() {
	"$SYSTEM_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_cocoond DATA_DIR PORT [extra args]: starts cocoond in the background and waits until it serves.
start_cocoond() {
	local data="$1" port="$2"
	shift 2
	"$COCOOND" --data-dir "$data" --listen "127.0.0.1:$port" "$@" >"$data.log" 2>&1 &
	COCOOND_PID=$!
	for _ in $(seq 1 100); do
		if [ -S "$data/cocoond.sock" ] && curl -sf --unix-socket "$data/cocoond.sock" http://localhost/healthz >/dev/null; then
			return 0
		fi
		kill -0 "$COCOOND_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "cocoond did not start:" >&2
	cat "$data.log" >&2
	return 1
}

stop_cocoond() {
	if [ -n "${COCOOND_PID:-}" ]; then
		kill -TERM "$COCOOND_PID" 2>/dev/null || true
		wait "$COCOOND_PID" 2>/dev/null || true
		COCOOND_PID=
	fi
}

# make_rogue_client DIR: a CA and client certificate the server does not trust (openssl CLI).
make_rogue_client() {
	local dir="$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=rogue CA" \
		-keyout "$dir/rogue-ca.key" -out "$dir/rogue-ca.crt" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=system:masters/CN=admin" \
		-keyout "$dir/rogue.key" -out "$dir/rogue.csr" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >"$dir/ext.cnf"
	openssl x509 -req -in "$dir/rogue.csr" -CA "$dir/rogue-ca.crt" -CAkey "$dir/rogue-ca.key" -CAcreateserial \
		-days 1 -extfile "$dir/ext.cnf" -out "$dir/rogue.crt" 2>/dev/null
}
