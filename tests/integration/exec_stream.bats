#!/usr/bin/env bats
# kubectl exec's streams end to end: a real container of cocoon-runtime, the exec bridge
# (platform/exec.c) behind cc_server's WebSocket upgrade (tests/integration/helpers/exec_server.c),
# and a real WebSocket client (python3-websocket) speaking v5.channel.k8s.io and v4.channel.k8s.io
# as kubectl does (helpers/exec_client.py). Needs root (containers) and busybox-static.

load helpers/common
load helpers/runtime

EXEC_SERVER="${EXEC_SERVER:-$BUILD/tests/integration/helpers/exec_server}"
CLIENT=("$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/exec_client.py")

setup() {
	require_root
	"$SYSTEM_PYTHON" -c 'import websocket' 2>/dev/null || skip "needs python3-websocket (scripts/install-deps)"
	[ -x "$EXEC_SERVER" ] || skip "exec_server is not built (meson -Dtests=true)"
	TMP="$(mktemp -d)"
	RT_ROOT="$TMP/state"
	make_bundle "$TMP/bundle"
	set_args "$TMP/bundle" sleep 600
	RT run --detach --bundle "$TMP/bundle" c1
	start_exec_server
}

teardown() {
	stop_exec_server
	for id in $(RT list --quiet 2>/dev/null); do
		RT delete --force "$id" >/dev/null 2>&1 || true
	done
	rm -rf "$TMP"
}

# start_exec_server [--tls-cert F --tls-key F]: serves exec into c1; sets PORT and URL.
start_exec_server() {
	"$EXEC_SERVER" --runtime "$COCOON_RUNTIME" --root "$RT_ROOT" --container c1 "$@" >"$TMP/server.out" 2>"$TMP/server.log" &
	SERVER_PID=$!
	wait_for_server exec_server "$SERVER_PID" "$TMP/server.log" grep -q ready "$TMP/server.out"
	PORT="$(awk '{print $2}' "$TMP/server.out")"
	URL="ws://127.0.0.1:$PORT/api/v1/namespaces/default/pods/test/exec"
}

stop_exec_server() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}

# field JSON EXPR: a value of the client's JSON result (python expression over `r`).
field() {
	"$SYSTEM_PYTHON" -c 'import json, sys; r = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

sessions() {
	curl -sf "http://127.0.0.1:$PORT/sessions"
}

@test "exec: stdin reaches the command, v5 CLOSE ends it, the Status says Success" {
	run "${CLIENT[@]}" "$URL?command=cat&stdin=true&stdout=true&stderr=true" --stdin 'hello\nworld\n'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field "$output" 'r["protocol"]')" = v5.channel.k8s.io ]
	[ "$(field "$output" 'r["stdout"]')" = "$(printf 'hello\nworld')" ]
	[ "$(field "$output" 'r["status"]')" = "{'metadata': {}, 'status': 'Success'}" ]
	[ "$(field "$output" 'r["close_code"]')" = 1000 ]
	# kubelet's first message: empty, on the first output channel.
	[ "$(field "$output" 'r["first"]')" = "[1, 0]" ]
}

@test "exec: stdout and stderr keep their channels; exit code 3 is NonZeroExitCode with cause 3" {
	run "${CLIENT[@]}" "$URL?command=sh&command=-c&command=echo+out%3B+echo+err+%3E%262%3B+exit+3&stdout=true&stderr=true"
	echo "$output"
	[ "$(field "$output" 'r["stdout"]')" = out ]
	[ "$(field "$output" 'r["stderr"]')" = err ]
	[ "$(field "$output" 'r["status"]["status"]')" = Failure ]
	[ "$(field "$output" 'r["status"]["reason"]')" = NonZeroExitCode ]
	[ "$(field "$output" 'r["status"]["details"]["causes"]')" = "[{'reason': 'ExitCode', 'message': '3'}]" ]
	# Without stderr asked for, the command's stderr goes nowhere.
	run "${CLIENT[@]}" "$URL?command=sh&command=-c&command=echo+out%3B+echo+err+%3E%262&stdout=true"
	[ "$(field "$output" 'r["stdout"]')" = out ]
	[ "$(field "$output" 'r["stderr"]')" = "" ]
}

@test "exec: a terminal takes the client's size (stty size) and runs an interactive shell" {
	# The size is set once the runtime hands over the terminal, which may be after the command
	# started: it reads a line first (stdin is written after the size is set).
	run "${CLIENT[@]}" "$URL?command=sh&command=-c&command=read+x%3B+stty+size&stdin=true&stdout=true&tty=true" \
		--resize 123x45 --stdin 'go\n' --keep-stdin
	echo "$output"
	[ "$(field "$output" 'r["stdout"]')" = "$(printf 'go\r\n45 123\r')" ]
	[ "$(field "$output" 'r["status"]["status"]')" = Success ]
	# A shell on the terminal: it echoes what it reads, and its exit code comes back.
	run "${CLIENT[@]}" "$URL?command=sh&stdin=true&stdout=true&tty=true" --resize 80x24 --keep-stdin \
		--stdin 'echo tty-$((6*7)); exit 7\n'
	echo "$output"
	[[ "$(field "$output" 'r["stdout"]')" == *tty-42* ]]
	[ "$(field "$output" 'r["status"]["details"]["causes"][0]["message"]')" = 7 ]
}

@test "exec: a client that goes away takes the command with it" {
	run "${CLIENT[@]}" "$URL?command=sh&command=-c&command=echo+started%3B+exec+sleep+4242&stdout=true" --drop-after 2
	echo "$output"
	[ "$(field "$output" 'r["dropped"]')" = True ]
	for _ in $(seq 1 200); do # 20 s: a loaded CI machine reaps slowly
		pgrep -f "sleep 4242" >/dev/null || break
		sleep 0.1
	done
	! pgrep -f "sleep 4242" || false
	for _ in $(seq 1 50); do
		[ "$(sessions)" = 0 ] && break
		sleep 0.1
	done
	[ "$(sessions)" = 0 ]
	# The same with a terminal: the command was started by the runtime behind a pty.
	run "${CLIENT[@]}" "$URL?command=sh&command=-c&command=echo+started%3B+exec+sleep+4343&stdin=true&stdout=true&tty=true" \
		--drop-after 2
	for _ in $(seq 1 200); do # 20 s: a loaded CI machine reaps slowly
		pgrep -f "sleep 4343" >/dev/null || break
		sleep 0.1
	done
	! pgrep -f "sleep 4343"
}

@test "exec: a server that stops ends its sessions (close 1001) and their commands" {
	"${CLIENT[@]}" "$URL?command=sh&command=-c&command=echo+up%3B+exec+sleep+4545&stdin=true&stdout=true" \
		>"$TMP/client.json" &
	local client=$!
	for _ in $(seq 1 50); do
		pgrep -f "sleep 4545" >/dev/null && break
		sleep 0.1
	done
	pgrep -f "sleep 4545"
	stop_exec_server
	wait "$client"
	run cat "$TMP/client.json"
	echo "$output"
	[ "$(field "$output" 'r["close_code"]')" = 1001 ]
	[ "$(field "$output" 'r["stdout"]')" = up ]
	! pgrep -f "sleep 4545"
}

@test "exec: a background child that keeps stdout open does not hold the session past the grace period" {
	local start=$SECONDS
	# (the child goes with the container at teardown)
	run "${CLIENT[@]}" "$URL?command=sh&command=-c&command=sleep+30+%26+echo+done&stdout=true"
	echo "$output"
	[ "$(field "$output" 'r["stdout"]')" = done ]
	[ "$(field "$output" 'r["status"]["status"]')" = Success ]
	[ $((SECONDS - start)) -lt 10 ]
}

@test "exec: v4.channel.k8s.io for a client that offers only v4" {
	run "${CLIENT[@]}" "$URL?command=head&command=-n1&stdin=true&stdout=true" --protocol v4.channel.k8s.io --stdin 'v4 line\n'
	echo "$output"
	[ "$(field "$output" 'r["protocol"]')" = v4.channel.k8s.io ]
	[ "$(field "$output" 'r["stdout"]')" = "v4 line" ]
	[ "$(field "$output" 'r["status"]["status"]')" = Success ]
}

@test "exec: a command that cannot run is an InternalError with the runtime's reason" {
	run "${CLIENT[@]}" "$URL?command=no-such-program&stdout=true&stderr=true"
	echo "$output"
	[ "$(field "$output" 'r["status"]["reason"]')" = InternalError ]
	[[ "$(field "$output" 'r["status"]["message"]')" == *'"no-such-program": executable file not found in $PATH'* ]]
	[ "$(field "$output" 'r["stderr"]')" = "" ]
}

@test "exec: bad requests get a Kubernetes Status: no command, no stream, SPDY, a broken handshake" {
	local base="http://127.0.0.1:$PORT/api/v1/namespaces/default/pods/test/exec"
	local ws=(-H "Upgrade: websocket" -H "Connection: Upgrade" -H "Sec-WebSocket-Version: 13"
		-H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" -H "Sec-WebSocket-Protocol: v5.channel.k8s.io")
	run curl -s -w ' %{http_code}' "${ws[@]}" "$base?stdout=true"
	[[ "$output" == *'"message":"you must specify at least one command for the container"'*' 400' ]]
	run curl -s -w ' %{http_code}' "${ws[@]}" "$base?command=ls"
	[[ "$output" == *'"message":"you must specify at least 1 of stdin, stdout, stderr"'*' 400' ]]
	run curl -s -w ' %{http_code}' -X POST -H "Upgrade: SPDY/3.1" -H "Connection: Upgrade" \
		-H "X-Stream-Protocol-Version: v4.channel.k8s.io" "$base?command=ls&stdout=true"
	echo "$output"
	[[ "$output" == *'"kind":"Status"'*'SPDY is not spoken here'*'"reason":"BadRequest"'*' 400' ]]
	run curl -s -w ' %{http_code}' -H "Upgrade: websocket" -H "Connection: Upgrade" -H "Sec-WebSocket-Version: 13" \
		"$base?command=ls&stdout=true"
	[[ "$output" == *'Sec-WebSocket-Key'*' 400' ]]
	run curl -s -w ' %{http_code}' -H "Upgrade: websocket" -H "Connection: Upgrade" -H "Sec-WebSocket-Version: 8" \
		-H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" "$base?command=ls&stdout=true"
	[[ "$output" == *'only version 13'*' 426' ]]
	run curl -s -w ' %{http_code}' "${ws[@]/v5.channel.k8s.io/channel.k8s.io}" "$base?command=ls&stdout=true"
	[[ "$output" == *'this endpoint speaks v5.channel.k8s.io, v4.channel.k8s.io'*' 400' ]]
	run curl -s -w ' %{http_code}' "$base?command=ls&stdout=true"
	[[ "$output" == *'exec needs an upgrade to WebSocket'*' 400' ]]
	[ "$(sessions)" = 0 ]
}

@test "exec: protocol violations close the session: an unmasked frame with 1002, a message over 1 MiB with 1009" {
	run "${CLIENT[@]}" "$URL?command=sh&command=-c&command=exec+sleep+4444&stdin=true&stdout=true" --unmasked
	echo "$output"
	[ "$(field "$output" 'r["close_code"]')" = 1002 ]
	run "${CLIENT[@]}" "$URL?command=sh&command=-c&command=exec+sleep+4444&stdin=true&stdout=true" --oversize 1048600
	echo "$output"
	[ "$(field "$output" 'r["close_code"]')" = 1009 ]
	# Either way the command is gone with its session.
	for _ in $(seq 1 200); do # 20 s: a loaded CI machine reaps slowly
		pgrep -f "sleep 4444" >/dev/null || break
		sleep 0.1
	done
	! pgrep -f "sleep 4444"
}

@test "exec: 8 MB of output arrive whole, in order" {
	"${CLIENT[@]}" "$URL?command=sh&command=-c&command=yes+0123456789+%7C+head+-c+8000000&stdout=true" >"$TMP/big.json"
	run "$SYSTEM_PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(len(r["stdout"]), r["stdout"] == "0123456789\n" * 727272 + "01234567", r["status"]["status"])' "$TMP/big.json"
	echo "$output"
	[ "$output" = "8000000 True Success" ]
}

@test "exec: over TLS, as kubectl reaches cocoond (no ALPN offered: HTTP/1.1)" {
	stop_exec_server
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null
	start_exec_server --tls-cert "$TMP/tls.crt" --tls-key "$TMP/tls.key"
	run "${CLIENT[@]}" "wss://127.0.0.1:$PORT/api/v1/namespaces/default/pods/test/exec?command=cat&stdin=true&stdout=true" \
		--stdin 'over tls\n'
	echo "$output"
	[ "$(field "$output" 'r["stdout"]')" = "over tls" ]
	[ "$(field "$output" 'r["status"]["status"]')" = Success ]
}

# make_pki DIR: a CA, a server certificate for 127.0.0.1 and a cluster administrator's client
# certificate (O=system:masters), with the openssl CLI.
make_pki() {
	local d="$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=test CA" \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -days 1 -out "$d/server.crt" \
		-extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=system:masters/CN=admin" \
		-keyout "$d/admin.key" -out "$d/admin.csr" 2>/dev/null
	openssl x509 -req -in "$d/admin.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -days 1 -out "$d/admin.crt" \
		-extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
}

@test "exec: kubectl exec over WebSocket (v5): output, piped stdin, exit codes, errors, a terminal" {
	KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	stop_exec_server
	make_pki "$TMP"
	mkdir "$TMP/api"
	# The platform's API with the pod_stream hook serving every pod's exec from container c1 (the
	# pod runner's part, resolving the pod, is not exercised here).
	start_exec_server --api "$TMP/api" --tls-cert "$TMP/server.crt" --tls-key "$TMP/server.key" --client-ca "$TMP/ca.crt"
	export KUBECONFIG="$TMP/kubeconfig"
	"$KUBECTL" config set-cluster t --server "https://127.0.0.1:$PORT" --certificate-authority "$TMP/ca.crt" >/dev/null
	"$KUBECTL" config set-credentials admin --client-certificate "$TMP/admin.crt" --client-key "$TMP/admin.key" >/dev/null
	"$KUBECTL" config set-context t --cluster t --user admin >/dev/null
	"$KUBECTL" config use-context t >/dev/null
	K=("$KUBECTL" --request-timeout=20s)
	printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: app, image: busybox}]\n' |
		"${K[@]}" apply -f -
	run "${K[@]}" exec web -- sh -c 'echo out $(hostname); echo err >&2'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"out cocoon"* && "$output" == *err* ]]
	run "${K[@]}" exec web -- sh -c 'exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"command terminated with exit code 3"* ]]
	run sh -c "printf 'piped\nlines\n' | ${K[*]} exec -i web -- wc -l"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr -d ' ')" = 2 ]
	run "${K[@]}" exec web -c app -- no-such-program
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'Internal error occurred: error executing command in container:'*'"no-such-program": executable file not found'* ]]
	# A terminal of 33 rows and 111 columns: the shell inside sees that size and its exit code is kubectl's.
	run "$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/pty_run.py" 33x111 'stty size; exit 5\r' \
		"${K[@]}" exec -it web -- sh
	echo "$output"
	[[ "$output" == *"33 111"* ]]
	[[ "$output" == *"exit 5" ]]
	# Methods other than GET and POST are not exec.
	run curl -s -w ' %{http_code}' --cacert "$TMP/ca.crt" --cert "$TMP/admin.crt" --key "$TMP/admin.key" -X PUT \
		"https://127.0.0.1:$PORT/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true"
	[[ "$output" == *'"reason":"MethodNotAllowed"'*' 405' ]]
}
