#!/usr/bin/env bats
# The cocoon CLI without kubectl, against a cocoond that runs pods: cocoon logs (plain, -c, --tail,
# --timestamps, --since, -p after a restart, -f until the container ends or Ctrl-C), cocoon exec
# over its WebSocket client (stdout and stderr, the exit code, -i with stdin and its end, -it on a
# terminal with resizes, over the unix socket and over mutual TLS), cocoon describe (pods with their
# Events, deployments), and the same outputs as the real kubectl's where kubectl is installed. The
# busybox image is made by cocoon image import, so neither podman nor kubectl is needed. One cocoond
# serves the file, on a bridge and subnet of its own (cctest1, 10.246.0.0/24) so it can run beside
# pods.bats; each test has its namespace.

load helpers/common
load helpers/runtime
bats_require_minimum_version 1.5.0

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
export COCOOND_BRIDGE=cctest1 COCOOND_POD_SUBNET=10.246.0.0/24

setup_file() {
	[ "$(id -u)" -eq 0 ] && [ -x /bin/busybox ] && [ -x /usr/lib/cni/bridge ] || return 0
	local tmp="$BATS_FILE_TMPDIR"
	make_rootfs "$tmp/root"
	tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
	"$COCOON" image import --quiet --change "ENV PATH=/bin" --change 'CMD ["/bin/sh"]' --store "$tmp/data/images" \
		"$tmp/rootfs.tar" busybox >/dev/null
	export PORT="$(free_port)"
	start_cocoond_pods "$tmp/data" "$PORT"
	echo "$COCOOND_PID" >"$tmp/cocoond.pid"
}

teardown_file() {
	stop_pods_platform
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -x /bin/busybox ] || skip "needs busybox-static"
	[ -x /usr/lib/cni/bridge ] || skip "needs containernetworking-plugins"
	DATA="$BATS_FILE_TMPDIR/data"
	NS="c$BATS_TEST_NUMBER"
	# The verbs go over the unix socket (root is an administrator there), or with TLS over mutual TLS with
	# the admin certificate.
	TLS=(--server "https://127.0.0.1:$PORT" --pki "$DATA/pki")
	printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$NS" |
		"$COCOON" apply --socket "$DATA/cocoond.sock" -f - >/dev/null
}

# cocoon VERB [args]: the verb against the test's namespace, over the socket.
cocoon() {
	local verb="$1"
	shift
	"$COCOON" "$verb" --socket "$DATA/cocoond.sock" -n "$NS" "$@"
}

kube() {
	KUBECONFIG="$DATA/kubeconfig" "$KUBECTL" --request-timeout=20s -n "$NS" "$@"
}

need_kubectl() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine: the comparison with its output needs it"
}

# field POD PYTHON-EXPRESSION-ON-p: a value of the pod, from cocoon get -o json.
field() {
	cocoon get pod "$1" -o json 2>/dev/null | "$SYSTEM_PYTHON" -c "import json,sys
p=json.load(sys.stdin)
try: print($2)
except (KeyError, IndexError, TypeError): print('')"
}

# wait_for POD EXPRESSION VALUE [SECONDS]
wait_for() {
	local i
	for i in $(seq 1 $((${4:-30} * 5))); do
		[ "$(field "$1" "$2")" = "$3" ] && return 0
		sleep 0.2
	done
	echo "pod $1: $2 is '$(field "$1" "$2")', not '$3'"
	cocoon describe pod "$1"
	return 1
}

apply() {
	cocoon apply -f - >/dev/null
}

@test "cocoon logs: plain, -c, --tail, --timestamps, --since; a missing pod or container as kubectl says" {
	apply <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: talk}
	spec:
	  containers:
	  - name: main
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "for i in 1 2 3 4 5; do echo line \$i; echo oops \$i >&2; done; exec sleep 1000"]
	  - name: side
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "echo from the side; exec sleep 1000"]
	YAML
	wait_for talk "p['status']['phase']" Running
	# Both containers have written what they write before they sleep.
	for _ in $(seq 1 50); do
		[ "$(cocoon logs talk -c side 2>/dev/null)" = "from the side" ] && [ "$(cocoon logs talk -c main 2>/dev/null | wc -l)" -eq 10 ] && break
		sleep 0.2
	done
	run --separate-stderr cocoon logs talk
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "line 1" ]
	[ "${#lines[@]}" -eq 10 ]
	[[ "$output" == *"oops 5"* ]]
	[ "$stderr" = 'Defaulted container "main" out of: main, side' ]
	run cocoon logs talk -c side
	[ "$output" = "from the side" ]
	run cocoon logs talk side
	[ "$output" = "from the side" ]
	run cocoon logs pod/talk --tail 2 -c main
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[1]}" = "oops 5" ]
	run cocoon logs talk -c side --timestamps
	[[ "$output" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ from\ the\ side$ ]]
	run cocoon logs talk -c side --since 1h
	[ "$output" = "from the side" ]
	run cocoon logs talk -c side --since 2x
	[ "$status" -eq 2 ]
	[[ "$output" == *"--since \`2x\` is not a duration"* ]]
	run cocoon logs nope
	[ "$status" -eq 1 ]
	[ "$output" = "error: error from server (NotFound): pods \"nope\" not found in namespace \"$NS\"" ]
	run cocoon logs talk -c nosuch
	[ "$status" -eq 1 ]
	[ "$output" = "error: container nosuch is not valid for pod talk" ]
	run cocoon logs talk -p -c side
	[ "$status" -eq 1 ]
	[ "$output" = "Error from server (BadRequest): previous terminated container \"side\" in pod \"talk\" not found" ]
	# Over mutual TLS, the same.
	run "$COCOON" logs "${TLS[@]}" -n "$NS" talk -c side
	[ "$output" = "from the side" ]
}

@test "cocoon logs -p after a restart; -f follows until the container ends, or until Ctrl-C" {
	apply <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: crash}
	spec:
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "echo run-\$(cat /proc/sys/kernel/random/uuid); exit 7"]
	YAML
	wait_for crash "p['status']['containerStatuses'][0]['restartCount']" 1
	run cocoon logs crash -p
	[ "$status" -eq 0 ]
	[[ "$output" == run-* ]]
	previous="$output"
	wait_for crash "p['status']['containerStatuses'][0]['restartCount']" 2 60
	run cocoon logs crash --previous
	[[ "$output" == run-* ]]
	[ "$output" != "$previous" ] # the instance before the last, now

	# -f: lines as they come, and the end when the container exits.
	apply <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: ticker}
	spec:
	  restartPolicy: Never
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "sleep 1; for i in 1 2 3; do echo tick \$i; sleep 0.5; done"]
	YAML
	wait_for ticker "p['status']['phase']" Running
	start=$(date +%s%N)
	run timeout 30 "$COCOON" logs --socket "$DATA/cocoond.sock" -n "$NS" -f ticker
	took=$((($(date +%s%N) - start) / 1000000))
	echo "$output (${took} ms)"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'tick 1\ntick 2\ntick 3')" ]
	[ "$took" -ge 1000 ] # it followed the container rather than print what was there
	[ "$(field ticker "p['status']['phase']")" = Succeeded ] || wait_for ticker "p['status']['phase']" Succeeded

	# Ctrl-C ends a follow of a container that does not end. (A background job of a script starts
	# with SIGINT ignored; the wrapper gives it back its default, as at a terminal.)
	apply <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: forever}
	spec:
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "while true; do echo alive; sleep 0.2; done"]
	YAML
	wait_for forever "p['status']['phase']" Running
	"$SYSTEM_PYTHON" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
		"$COCOON" logs --socket "$DATA/cocoond.sock" -n "$NS" -f forever >"$BATS_TEST_TMPDIR/follow.out" 2>&1 &
	pid=$!
	sleep 1.5
	kill -INT "$pid"
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		echo "cocoon logs -f did not end on SIGINT"
		return 1
	fi
	run wait "$pid"
	[ "$status" -eq 130 ] # killed by SIGINT, as kubectl is
	grep -q alive "$BATS_TEST_TMPDIR/follow.out"
}

@test "cocoon exec: stdout and stderr apart, the exit code, errors as kubectl's; over the socket and mutual TLS" {
	apply <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: box}
	spec:
	  containers:
	  - name: app
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "exec sleep 1000"]
	  - name: helper
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "exec sleep 1000"]
	YAML
	wait_for box "p['status']['phase']" Running
	for conn in socket tls; do
		if [ "$conn" = socket ]; then E=("$COCOON" exec --socket "$DATA/cocoond.sock" -n "$NS"); else E=("$COCOON" exec "${TLS[@]}" -n "$NS"); fi
		run --separate-stderr "${E[@]}" box -- sh -c 'echo out; echo err >&2; hostname; exit 3'
		echo "$conn: $output / $stderr"
		[ "$status" -eq 3 ]
		[ "$output" = "$(printf 'out\nbox')" ]
		[ "$stderr" = "$(printf 'Defaulted container "app" out of: app, helper\nerr\ncommand terminated with exit code 3')" ]
		run --separate-stderr "${E[@]}" -c helper box -- sh -c 'echo $HOSTNAME-$0'
		[ "$status" -eq 0 ]
		[ "$output" = "box-sh" ]
		[ -z "$stderr" ]
		run "${E[@]}" -c app pod/box -- /no/such/program
		[ "$status" -eq 1 ]
		[[ "$output" == 'error: Internal error occurred: error executing command in container:'*'"/no/such/program"'* ]]
		run "${E[@]}" nope -- true
		[ "$status" -eq 1 ]
		[ "$output" = 'Error from server (NotFound): pods "nope" not found' ]
		run "${E[@]}" -c nosuch box -- true
		[ "$status" -eq 1 ]
		[ "$output" = 'Error from server (BadRequest): container nosuch is not valid for pod box' ]
	done
	# A completed pod is refused before anything is asked of the server, as kubectl does.
	apply <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: done}
	spec:
	  restartPolicy: Never
	  containers: [{name: c, image: localhost/busybox:latest, command: ["true"]}]
	YAML
	wait_for done "p['status']['phase']" Succeeded
	run cocoon exec done -- true
	[ "$status" -eq 1 ]
	[ "$output" = "error: cannot exec into a container in a completed pod; current phase is Succeeded" ]
	run cocoon exec box
	[ "$status" -eq 2 ]
}

@test "cocoon exec -i: stdin reaches the command and its end ends it; large both ways; -it on a terminal, resized" {
	apply <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: box}
	spec:
	  containers: [{name: app, image: localhost/busybox:latest, command: ["/bin/sh", "-c", "exec sleep 1000"]}]
	YAML
	wait_for box "p['status']['phase']" Running
	run sh -c "printf 'piped\nlines\n' | $COCOON exec --socket $DATA/cocoond.sock -n $NS -i box -- wc -l"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr -d ' ')" = 2 ]
	# cat ends only when its stdin does: v5's CLOSE of channel 0 reached it.
	run timeout 20 sh -c "echo 'through stdin' | $COCOON exec --socket $DATA/cocoond.sock -n $NS -i box -- cat"
	[ "$status" -eq 0 ]
	[ "$output" = "through stdin" ]
	# 8 MB through cat and back at once, over TLS: neither side may wait on the other.
	head -c 8000000 /dev/urandom >"$BATS_TEST_TMPDIR/big"
	want="$(md5sum <"$BATS_TEST_TMPDIR/big")"
	run timeout 60 sh -c "$COCOON exec ${TLS[*]} -n $NS -i box -- cat <$BATS_TEST_TMPDIR/big | md5sum"
	[ "$output" = "$want" ]
	run timeout 60 sh -c "$COCOON exec ${TLS[*]} -n $NS box -- head -c 20000000 /dev/zero | wc -c"
	[ "$output" = 20000000 ]
	# -t without a terminal: kubectl's warning, and the command runs without one.
	run --separate-stderr sh -c "echo | $COCOON exec --socket $DATA/cocoond.sock -n $NS -it box -- tty"
	[ "$status" -eq 1 ]
	[ "$output" = "not a tty" ]
	[[ "$stderr" == "Unable to use a TTY - input is not a terminal or the right kind of file"* ]]
	# On a terminal of 33x111: the shell sees that size, and its exit code comes back.
	run "$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/pty_run.py" 33x111 'stty size; tty; exit 5\r' \
		"$COCOON" exec --socket "$DATA/cocoond.sock" -n "$NS" -it box -- sh
	echo "$output"
	[[ "$output" == *"33 111"* ]]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"exit 5" ]]
	# The terminal resized while the shell runs (SIGWINCH): the shell sees the new size.
	run "$SYSTEM_PYTHON" - "$COCOON" exec --socket "$DATA/cocoond.sock" -n "$NS" -it box -- sh <<-'PY'
	import fcntl, os, pty, select, struct, sys, termios, time
	pid, fd = pty.fork()
	if pid == 0:
	    os.execvp(sys.argv[1], sys.argv[1:])
	def size(rows, cols):
	    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
	out = b""
	def until(text, seconds=15):
	    global out
	    deadline = time.time() + seconds
	    while text not in out and time.time() < deadline:
	        if select.select([fd], [], [], 0.2)[0]:
	            try:
	                out += os.read(fd, 4096)
	            except OSError:
	                return
	size(24, 80)
	until(b"# ")
	os.write(fd, b"stty size\r")
	until(b"24 80")
	size(40, 132)  # the kernel sends SIGWINCH to cocoon exec, the terminal's foreground
	time.sleep(0.5)
	os.write(fd, b"stty size; exit 4\r")
	until(b"40 132")
	_, status = os.waitpid(pid, 0)
	sys.stdout.write(out.decode(errors="replace"))
	print("\nexit %d" % os.waitstatus_to_exitcode(status))
	PY
	echo "$output"
	[[ "$output" == *"24 80"* ]]
	[[ "$output" == *"40 132"* ]]
	[[ "$output" == *"exit 4" ]]
}

@test "cocoon describe: a pod with its containers, conditions and Events; a deployment; other kinds" {
	apply <<-YAML
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, labels: {app: web}}
	spec:
	  replicas: 2
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec:
	      containers:
	      - name: httpd
	        image: localhost/busybox:latest
	        command: ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /etc"]
	        ports: [{containerPort: 8080}]
	        env: [{name: MODE, value: fast}]
	        readinessProbe: {httpGet: {path: /hostname, port: 8080}, periodSeconds: 1}
	YAML
	for _ in $(seq 1 100); do
		[ "$(cocoon get pods -l app=web -o name | wc -l)" -eq 2 ] && break
		sleep 0.2
	done
	pod="$(cocoon get pods -l app=web -o name | head -1)"
	pod="${pod#pod/}"
	wait_for "$pod" "p['status']['containerStatuses'][0]['ready']" True
	run cocoon describe pod "$pod"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "Name:             $pod"$'\n'"Namespace:        $NS"$'\n'* ]]
	[[ "$output" == *$'\nStatus:           Running\n'* ]]
	[[ "$output" == *$'\nIP:               10.246.0.'* ]]
	[[ "$output" == *$'\nControlled By:  ReplicaSet/web-'* ]]
	[[ "$output" == *$'\n    Image:         localhost/busybox:latest\n'* ]]
	[[ "$output" == *$'\n    State:          Running\n'* ]]
	[[ "$output" == *$'\n    Ready:          True\n    Restart Count:  0\n'* ]]
	[[ "$output" == *"Readiness:      http-get http://:8080/hostname delay=0s timeout=1s period=1s #success=1 #failure=3"* ]]
	[[ "$output" == *$'\n      MODE:  fast\n'* ]]
	[[ "$output" == *$'\n  Ready                       True \n'* ]]
	# kubectl's table: columns as wide as their longest cell (default-scheduler's Scheduled event)
	[[ "$output" == *$'\nEvents:\n  Type    Reason     Age   From               Message\n  ----    ------     ----  ----               -------\n'* ]]
	[[ "$output" == *"Normal  Scheduled  "*"default-scheduler  Successfully assigned $NS/$pod to "* ]]
	[[ "$output" == *"Normal  Started    "*"kubelet            Started container httpd"* ]]
	run cocoon describe deployment web
	echo "$output"
	[[ "$output" == *$'\nReplicas:               2 desired | 2 updated | 2 total | 2 available | 0 unavailable\n'* ]]
	[[ "$output" == *$'\nNewReplicaSet:   web-'*$' (2/2 replicas created)\n'* ]]
	# Every pod of the selector, one after the other; TYPE/NAME; a missing one.
	run cocoon describe pods -l app=web
	[ "$(echo "$output" | grep -c '^Name:')" -eq 2 ]
	run cocoon describe "pod/$pod" deployment.apps/web
	[ "$(echo "$output" | grep -c '^Name:')" -eq 2 ]
	run cocoon describe pod nope
	[ "$status" -eq 1 ]
	[ "$output" = 'Error from server (NotFound): pods "nope" not found' ]
	# Other kinds: their fields as kubectl's generic describer lists them.
	run cocoon describe replicasets
	echo "$output"
	[[ "$output" == *$'\nKind:         ReplicaSet\n'* ]]
	[[ "$output" == *$'\n  Replicas:                2\n'* ]]
	run cocoon describe node
	[[ "$output" == *$'\nKind:         Node\n'* ]]
	[[ "$output" == *"Kubelet Version:"* ]]
}

@test "kubectl's outputs and cocoon's are the same: logs, exec, describe pod and deployment" {
	need_kubectl
	apply <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: talk, labels: {app: talk}, annotations: {note: hello}}
	spec:
	  containers:
	  - name: main
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "echo one; echo two >&2; echo three; exec sleep 1000"]
	    env: [{name: A, value: "1"}, {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
	    volumeMounts: [{name: scratch, mountPath: /scratch}]
	  - name: side
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "echo beside; exec sleep 1000"]
	  volumes: [{name: scratch, emptyDir: {}}]
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: crash}
	spec:
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "echo crashing; exit 2"]
	YAML
	wait_for crash "p['status']['containerStatuses'][0]['restartCount']" 1
	wait_for talk "p['status']['phase']" Running
	# stdout, stderr and the exit code apart (exec's two streams need not interleave alike).
	same() {
		local k="$BATS_TEST_TMPDIR/kubectl" c="$BATS_TEST_TMPDIR/cocoon"
		kube "$@" >"$k.out" 2>"$k.err" && echo 0 >"$k.rc" || echo $? >"$k.rc"
		cocoon "$@" >"$c.out" 2>"$c.err" && echo 0 >"$c.rc" || echo $? >"$c.rc"
		diff "$k.out" "$c.out" && diff "$k.err" "$c.err" && diff "$k.rc" "$c.rc"
	}
	same logs talk
	same logs talk -c main --tail 2
	same logs talk -c main --timestamps
	same logs crash -p
	same logs talk -c nosuch
	same logs nope
	same exec talk -c main -- sh -c 'echo out; echo err >&2; exit 3'
	same exec talk -c main -- /no/such/program
	same exec nope -- true
	# describe: the same text; ages are computed at each call, so both run in the same second. (The
	# pods have few events: with more than 12 of the same second, kubectl's unstable sort may order
	# them otherwise.)
	for kind in "pod talk" "pods -l app=talk"; do
		for _ in 1 2 3; do
			kubectl_out="$(kube describe $kind 2>&1)"
			cocoon_out="$(cocoon describe $kind 2>&1)"
			[ "$kubectl_out" = "$cocoon_out" ] && break
			sleep 0.3
		done
		diff <(echo "$kubectl_out") <(echo "$cocoon_out")
	done
	apply <<-YAML
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, annotations: {team: red}}
	spec:
	  replicas: 1
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web, tier: front}}
	    spec:
	      containers: [{name: web, image: localhost/busybox:latest, command: ["sleep", "1000"]}]
	YAML
	for _ in $(seq 1 100); do
		[ "$(cocoon get deploy web -o json | "$SYSTEM_PYTHON" -c 'import json,sys; print(json.load(sys.stdin).get("status",{}).get("availableReplicas",0))')" = 1 ] && break
		sleep 0.2
	done
	diff <(kube describe deployment web 2>&1) <(cocoon describe deployment web 2>&1)
}
