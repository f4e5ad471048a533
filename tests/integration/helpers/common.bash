# Shared helpers for the bats integration tests. Every server a test starts is stopped by PID.

COCOON_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
BUILD="${COCOON_BUILD:-$COCOON_ROOT/build}"
COCOON="$BUILD/cocoon"
COCOOND="$BUILD/cocoond"
COCOON_RUNTIME="$BUILD/cocoon-runtime"
COCOON_KBS="$BUILD/cocoon-kbs"
COCOON_SHIM="$BUILD/cocoon-shim"
# Debian's Python with python3-grpcio; the python3 on PATH may be another build.
SYSTEM_PYTHON=/usr/bin/python3

# A free TCP port on loopback (the kernel picks it; a race with another process is possible but rare).
free_port() {
	"$SYSTEM_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# free_host_port: a free port below the kernel's ephemeral range (where free_port's come from) and
# the NodePort range, for a pod's hostPort: a DNAT rule an aborted run left behind then never
# catches a later test's server.
free_host_port() {
	"$SYSTEM_PYTHON" -c 'import random, socket
for _ in range(500):
    port = random.randrange(20000, 30000)
    try:
        socket.socket().bind(("0.0.0.0", port))
    except OSError:
        continue
    print(port)
    break'
}

# wait_for_server NAME PID LOG CHECK...: waits up to 5 s until the command CHECK succeeds, giving up
# early when the server PID exits; on failure prints NAME's LOG and returns 1.
wait_for_server() {
	local name="$1" pid="$2" log="$3"
	shift 3
	for _ in $(seq 1 100); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "$name did not start:" >&2
	cat "$log" >&2
	return 1
}

cocoond_healthy() {
	[ -S "$1/cocoond.sock" ] && curl -sf --unix-socket "$1/cocoond.sock" http://localhost/healthz
}

# start_cocoond DATA_DIR PORT [extra args]: starts cocoond (an API-only platform: --no-pods) in the
# background and waits until it serves. Pod Security is `privileged` where a namespace has no label,
# so the tests' pods need not be restricted ones (pod_security.bats tests the default).
start_cocoond() {
	local data="$1" port="$2"
	shift 2
	"$COCOOND" --data-dir "$data" --listen "127.0.0.1:$port" --no-pods --pod-security-default privileged "$@" \
		>"$data.log" 2>&1 &
	COCOOND_PID=$!
	COCOOND_LOG="$data.log"
	wait_for_server cocoond "$COCOOND_PID" "$data.log" cocoond_healthy "$data"
}

# start_cocoond_pods DATA_DIR PORT [extra args]: cocoond that runs pods, with its run, log and image
# directories beside DATA_DIR and a bridge and subnet of the tests' own (cctest0, 10.245.0.0/24),
# so it never meets a platform running on the host. A test file that may run beside another sets
# COCOOND_BRIDGE and COCOOND_POD_SUBNET to a pair of its own (cocoon_cli_pods.bats: cctest1).
start_cocoond_pods() {
	local data="$1" port="$2"
	shift 2
	"$COCOOND" --data-dir "$data" --listen "127.0.0.1:$port" --run-dir "$data.run" --log-dir "$data.logs" \
		--bridge "${COCOOND_BRIDGE:-cctest0}" --pod-subnet "${COCOOND_POD_SUBNET:-10.245.0.0/24}" \
		--pod-security-default privileged "$@" \
		>"$data.log" 2>&1 3>&- &
	COCOOND_PID=$!
	COCOOND_LOG="$data.log"
	wait_for_server cocoond "$COCOOND_PID" "$data.log" cocoond_healthy "$data"
}

# stop_cocoond_all DATA_DIR: what `cocoon down` does: every pod stopped and its traces removed.
stop_cocoond_all() {
	: >"$1/down-requested"
	stop_cocoond
}

stop_cocoond() {
	# A failed test shows the end of cocoond's log (teardown's output joins the test's): CI keeps
	# nothing else of a run.
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${COCOOND_LOG:-}" ] && [ -f "$COCOOND_LOG" ]; then
		echo "--- the last lines of cocoond's log ($COCOOND_LOG):"
		tail -n 40 "$COCOOND_LOG"
	fi
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

# start_audit_socket: an audit forwarder taking events on $TMP/audit.sock (what COCOON_AUDIT_SOCKET
# names) into $TMP/siem.jsonl; sets FORWARDER_PID. stop_audit_socket stops it.
start_audit_socket() {
	"$COCOON" audit forward --input "socket:$TMP/audit.sock" --output "file:$TMP/siem.jsonl" --queue "$TMP/queue" \
		2>"$TMP/forward.log" &
	FORWARDER_PID=$!
	wait_for_server "the audit forwarder" "$FORWARDER_PID" "$TMP/forward.log" test -S "$TMP/audit.sock"
}

stop_audit_socket() {
	if [ -n "${FORWARDER_PID:-}" ]; then
		kill -TERM "$FORWARDER_PID" 2>/dev/null || true
		wait "$FORWARDER_PID" 2>/dev/null || true
		FORWARDER_PID=
	fi
}

# start_pods_platform [extra args]: the test file's pod-running cocoond (start_cocoond_pods) in
# $BATS_FILE_TMPDIR/data on $PORT; its pid is kept in a file, since tests restart it.
start_pods_platform() {
	start_cocoond_pods "$BATS_FILE_TMPDIR/data" "$PORT" "$@"
	echo "$COCOOND_PID" >"$BATS_FILE_TMPDIR/cocoond.pid"
}

# stop_pods_platform: what `cocoon down` does to it: the pods stopped, everything the runner made
# (mounts, namespaces, addresses, cgroups, the bridge) removed.
stop_pods_platform() {
	[ -e "$BATS_FILE_TMPDIR/cocoond.pid" ] || return 0
	COCOOND_PID="$(cat "$BATS_FILE_TMPDIR/cocoond.pid")"
	rm -f "$BATS_FILE_TMPDIR/cocoond.pid"
	: >"$BATS_FILE_TMPDIR/data/down-requested"
	kill -TERM "$COCOOND_PID" 2>/dev/null || return 0
	while kill -0 "$COCOOND_PID" 2>/dev/null; do sleep 0.1; done
}
