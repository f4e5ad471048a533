#!/usr/bin/env bats
# cocoond runs pods (issue 13), driven by the real kubectl: a pod starts on the CNI bridge and gets
# ready, logs and exec work, restartPolicy restarts with lastState and --previous logs, Secrets and
# ConfigMaps reach env and volumes, an encrypted emptyDir lives on the fscrypt pool, a missing image
# waits in ErrImagePull, probes restart, Deployments spread pods that reach each other, deletion is
# graceful and leaves nothing (finalizers keep a stopped pod's object), a SIGKILLed cocoond re-adopts its pods, and `cocoon down` removes
# every mount, namespace and device it made. One cocoond serves the file; each test has a namespace.

load helpers/common
load helpers/runtime

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup_file() {
	[ "$(id -u)" -eq 0 ] && [ -n "$KUBECTL" ] && [ -x /usr/lib/cni/bridge ] || return 0
	local tmp="$BATS_FILE_TMPDIR"
	import_busybox_image "$tmp/data/images"
	export PORT="$(free_port)"
	start_pods_platform
}

teardown() {
	[ -n "${PF_PID:-}" ] && kill "$PF_PID" 2>/dev/null
	return 0
}

teardown_file() {
	stop_pods_platform
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	[ -x /usr/lib/cni/bridge ] || skip "needs containernetworking-plugins"
	DATA="$BATS_FILE_TMPDIR/data"
	export KUBECONFIG="$DATA/kubeconfig"
	NS="t$BATS_TEST_NUMBER"
	K=("$KUBECTL" --request-timeout=20s -n "$NS")
	"${K[@]}" create namespace "$NS" >/dev/null
}

# field POD JSONPATH
field() {
	"${K[@]}" get pod "$1" -o jsonpath="$2"
}

# wait_for POD JSONPATH VALUE [SECONDS]
wait_for() {
	local i
	for i in $(seq 1 $((${4:-30} * 5))); do
		[ "$(field "$1" "$2" 2>/dev/null)" = "$3" ] && return 0
		sleep 0.2
	done
	echo "pod $1: $2 is '$(field "$1" "$2")', not '$3'"
	"${K[@]}" describe pod "$1"
	return 1
}

@test "pods: a pod runs on the bridge, gets ready, and kubectl logs and exec work" {
	cat >"$BATS_TEST_TMPDIR/web.yaml" <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: web}
	spec:
	  containers:
	  - name: httpd
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "echo started; echo oops >&2; exec httpd -f -p 8080 -h /etc"]
	    ports: [{containerPort: 8080}]
	    readinessProbe: {httpGet: {path: /hostname, port: 8080}, periodSeconds: 1}
	YAML
	"${K[@]}" apply -f "$BATS_TEST_TMPDIR/web.yaml"
	run "${K[@]}" wait --for=condition=Ready pod/web --timeout=30s
	[ "$status" -eq 0 ]
	run "${K[@]}" get pod web -o wide
	echo "$output"
	[[ "$output" == *"web "*"1/1"*"Running"*"10.245.0."*"$(hostname)"* ]]
	ip="$(field web '{.status.podIP}')"
	[ "$(curl -s -m 5 "http://$ip:8080/hostname")" = web ]
	run "${K[@]}" logs web
	[[ "$output" == *started*oops* ]]
	run "${K[@]}" exec web -- sh -c 'echo out; echo err >&2; hostname; exit 3'
	echo "$output"
	[ "$status" -eq 3 ]
	# stdout and stderr come on channels of their own: their interleaving is not fixed.
	[[ "$output" == *out* && "$output" == *err* && "$output" == *web* ]]
	run "${K[@]}" exec -i web -- cat <<<"piped through stdin"
	[ "$output" = "piped through stdin" ]
	run "${K[@]}" get events --field-selector involvedObject.name=web
	echo "$output"
	[[ "$output" == *Started* ]]
	# The runner's passes keep readiness's syncloop check green.
	run curl -s --unix-socket "$DATA/cocoond.sock" "http://localhost/readyz?verbose"
	[[ "$output" == *"[+]syncloop ok"* ]]
}

@test "pods: restartPolicy restarts a failing container with lastState and logs --previous" {
	"${K[@]}" run crash --image=localhost/busybox:latest --restart=Always -- sh -c 'echo run-$(date +%N); exit 7'
	wait_for crash '{.status.containerStatuses[0].restartCount}' 1
	[ "$(field crash '{.status.containerStatuses[0].lastState.terminated.exitCode}')" = 7 ]
	run "${K[@]}" logs crash --previous
	[[ "$output" == run-* ]]
	# A later crash waits in CrashLoopBackOff, as kubelet's back-off has it.
	wait_for crash '{.status.containerStatuses[0].state.waiting.reason}' CrashLoopBackOff
	"${K[@]}" run once --image=localhost/busybox:latest --restart=Never -- sh -c 'exit 0'
	wait_for once '{.status.phase}' Succeeded
	"${K[@]}" run fails --image=localhost/busybox:latest --restart=Never -- sh -c 'exit 4'
	wait_for fails '{.status.phase}' Failed
	[ "$(field fails '{.status.containerStatuses[0].state.terminated.exitCode}')" = 4 ]
}

@test "pods: Secrets and ConfigMaps reach env and volumes; \$(VAR) expands" {
	"${K[@]}" create secret generic creds --from-literal=password=s3cret
	"${K[@]}" create configmap settings --from-literal=mode=fast --from-literal=level=3
	cat >"$BATS_TEST_TMPDIR/pod.yaml" <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: env, labels: {app: env}}
	spec:
	  restartPolicy: Never
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "echo \$PASSWORD \$MODE \$GREETING \$cfg_level \$POD; cat /secret/password /config/mode"]
	    env:
	    - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
	    - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
	    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
	    - {name: GREETING, value: "hi-\$(MODE)"}
	    envFrom: [{prefix: cfg_, configMapRef: {name: settings}}]
	    volumeMounts:
	    - {name: secret, mountPath: /secret}
	    - {name: config, mountPath: /config}
	  volumes:
	  - {name: secret, secret: {secretName: creds}}
	  - {name: config, configMap: {name: settings}}
	YAML
	"${K[@]}" apply -f "$BATS_TEST_TMPDIR/pod.yaml"
	wait_for env '{.status.phase}' Succeeded
	run "${K[@]}" logs env
	echo "$output"
	[ "${lines[0]}" = "s3cret fast hi-fast 3 env" ]
	[ "${lines[1]}" = "s3cretfast" ]
	# The secret was on the runner's tmpfs, never on the data disk.
	! grep -rqs s3cret "$DATA/pods"
}

@test "pods: a missing image waits in ErrImagePull; a missing Secret in CreateContainerConfigError" {
	"${K[@]}" run ghost --image=localhost/no-such-image:1.0
	wait_for ghost '{.status.containerStatuses[0].state.waiting.reason}' ErrImagePull
	[[ "$(field ghost '{.status.containerStatuses[0].state.waiting.message}')" == *"cocoon image load"* ]]
	cat >"$BATS_TEST_TMPDIR/pod.yaml" <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: nosecret}
	spec:
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    env: [{name: X, valueFrom: {secretKeyRef: {name: absent, key: k}}}]
	YAML
	"${K[@]}" apply -f "$BATS_TEST_TMPDIR/pod.yaml"
	wait_for nosecret '{.status.containerStatuses[0].state.waiting.reason}' CreateContainerConfigError
	[[ "$(field nosecret '{.status.containerStatuses[0].state.waiting.message}')" == *'secret "absent" not found'* ]]
}

@test "pods: a hostPath into the platform's own directories is refused" {
	cat >"$BATS_TEST_TMPDIR/pod.yaml" <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: snoop}
	spec:
	  containers:
	  - {name: c, image: localhost/busybox:latest, command: [sleep, "600"], volumeMounts: [{name: h, mountPath: /h}]}
	  volumes: [{name: h, hostPath: {path: "$DATA/pki"}}]
	YAML
	"${K[@]}" apply -f "$BATS_TEST_TMPDIR/pod.yaml"
	for _ in $(seq 1 100); do
		"${K[@]}" get events --field-selector involvedObject.name=snoop | grep -q FailedMount && break
		sleep 0.2
	done
	run "${K[@]}" get events --field-selector involvedObject.name=snoop
	echo "$output"
	[[ "$output" == *FailedMount*"inside the platform's own directory"* ]]
	[ "$(field snoop '{.status.phase}')" = Pending ]
}

@test "pods: a subPath stays inside its volume, whatever symlinks the pod planted" {
	"${K[@]}" create configmap files --from-literal=app.conf=setting=1
	cat >"$BATS_TEST_TMPDIR/pod.yaml" <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: sub}
	spec:
	  restartPolicy: Never
	  initContainers:
	  - name: plant
	    image: localhost/busybox:latest
	    command: [sh, -c, "ln -s / /vol/escape; ln -s /etc/shadow /vol/shadow"]
	    volumeMounts: [{name: vol, mountPath: /vol}]
	  containers:
	  - name: main
	    image: localhost/busybox:latest
	    command: [sh, -c, "cat /conf/app.conf; ls /up | head -3; echo files=\$(ls /up | wc -l)"]
	    volumeMounts:
	    - {name: files, mountPath: /conf/app.conf, subPath: app.conf}
	    - {name: vol, mountPath: /up, subPath: escape/etc}
	  volumes:
	  - {name: files, configMap: {name: files}}
	  - {name: vol, emptyDir: {}}
	YAML
	"${K[@]}" apply -f "$BATS_TEST_TMPDIR/pod.yaml"
	wait_for sub '{.status.phase}' Succeeded 60 || true
	run "${K[@]}" logs sub
	echo "$output"
	[[ "$output" == *"setting=1"* ]]
	# escape -> / resolved inside the volume: escape/etc is the volume's own (new, empty) etc.
	[[ "$output" == *"files=0"* ]]
	# A subPath that is a symlink to a host file resolves inside the volume too, where there is no
	# such file: the container does not start (as kubelet refuses a subPath outside its volume).
	sed -i 's/name: sub}/name: sub2}/; s|subPath: escape/etc}|subPath: shadow}|' "$BATS_TEST_TMPDIR/pod.yaml"
	sed -i 's|ln -s / /vol/escape; ||' "$BATS_TEST_TMPDIR/pod.yaml"
	"${K[@]}" apply -f "$BATS_TEST_TMPDIR/pod.yaml"
	wait_for sub2 '{.status.containerStatuses[0].state.waiting.reason}' CreateContainerConfigError 60
	run "${K[@]}" logs sub2 -c main
	[[ "$output" != *"root:"* ]]
}

@test "pods: a failing liveness probe restarts the container" {
	cat >"$BATS_TEST_TMPDIR/pod.yaml" <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: sick}
	spec:
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 600"]
	    livenessProbe: {exec: {command: [cat, /tmp/healthy]}, periodSeconds: 1, failureThreshold: 2}
	YAML
	"${K[@]}" apply -f "$BATS_TEST_TMPDIR/pod.yaml"
	wait_for sick '{.status.containerStatuses[0].restartCount}' 1 40
	run "${K[@]}" get events --field-selector involvedObject.name=sick
	echo "$output"
	[[ "$output" == *Unhealthy*"Liveness probe failed"* ]]
}

@test "pods: a Deployment's pods reach each other; hostPort is published; scaling down stops pods" {
	"${K[@]}" create deployment web --image=localhost/busybox:latest --replicas=3 -- httpd -f -p 8080 -h /etc
	"${K[@]}" rollout status deployment/web --timeout=60s
	run "${K[@]}" get pods -l app=web -o jsonpath='{range .items[*]}{.status.podIP} {end}'
	read -r -a ips <<<"$output"
	[ "${#ips[@]}" -eq 3 ]
	first="$("${K[@]}" get pods -l app=web -o jsonpath='{.items[0].metadata.name}')"
	for ip in "${ips[@]}"; do
		run "${K[@]}" exec "$first" -- wget -qO- "http://$ip:8080/hostname"
		[ "$status" -eq 0 ]
		[[ "$output" == web-* ]]
	done
	"${K[@]}" scale deployment web --replicas=1
	# httpd as pid 1 ignores SIGTERM: each pod scaled away takes its whole 30 s grace period
	for _ in $(seq 1 300); do
		[ "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 1 ] && break
		sleep 0.2
	done
	[ "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 1 ]
	hostport="$(free_host_port)"
	"${K[@]}" run published --image=localhost/busybox:latest --port=8080 \
		--overrides="{\"spec\":{\"containers\":[{\"name\":\"published\",\"image\":\"localhost/busybox:latest\",\"command\":[\"httpd\",\"-f\",\"-p\",\"8080\",\"-h\",\"/etc\"],\"ports\":[{\"containerPort\":8080,\"hostPort\":$hostport}]}]}}"
	"${K[@]}" wait --for=condition=Ready pod/published --timeout=30s
	hostip="$(field published '{.status.hostIP}')"
	run curl -s -m 5 "http://$hostip:$hostport/hostname"
	[ "$output" = published ]
}

@test "pods: a Service's Endpoints list its ready pods, by their ports" {
	"${K[@]}" create deployment ep --image=localhost/busybox:latest --replicas=2 -- httpd -f -p 8080 -h /etc
	"${K[@]}" expose deployment ep --port=80 --target-port=8080
	"${K[@]}" rollout status deployment/ep --timeout=60s
	for _ in $(seq 1 50); do
		[ "$("${K[@]}" get endpoints ep -o jsonpath='{.subsets[0].addresses[*].ip}' | wc -w)" -eq 2 ] && break
		sleep 0.2
	done
	ips="$("${K[@]}" get pods -l app=ep -o jsonpath='{.items[*].status.podIP}' | tr ' ' '\n' | sort | tr '\n' ' ')"
	eps="$("${K[@]}" get endpoints ep -o jsonpath='{.subsets[0].addresses[*].ip}' | tr ' ' '\n' | sort | tr '\n' ' ')"
	[ "$ips" = "$eps" ]
	[ "$("${K[@]}" get endpoints ep -o jsonpath='{.subsets[0].ports[0].port}')" = 8080 ]
	"${K[@]}" scale deployment ep --replicas=1
	for _ in $(seq 1 100); do
		[ "$("${K[@]}" get endpoints ep -o jsonpath='{.subsets[0].addresses[*].ip}' | wc -w)" -eq 1 ] && break
		sleep 0.2
	done
	[ "$("${K[@]}" get endpoints ep -o jsonpath='{.subsets[0].addresses[*].ip}' | wc -w)" -eq 1 ]
	"${K[@]}" delete service ep
	for _ in $(seq 1 50); do "${K[@]}" get endpoints ep >/dev/null 2>&1 || break; sleep 0.1; done
	run "${K[@]}" get endpoints ep
	[ "$status" -ne 0 ]
}

@test "pods: a rolling update replaces pods step by step; rollout history, undo and restart" {
	"${K[@]}" create deployment roll --image=localhost/busybox:latest --replicas=3 -- sleep 3600
	"${K[@]}" rollout status deployment/roll --timeout=60s
	first="$("${K[@]}" get pods -l app=roll -o jsonpath='{.items[*].metadata.name}')"
	"${K[@]}" set env deployment/roll COLOR=blue
	run "${K[@]}" rollout status deployment/roll --timeout=90s
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"successfully rolled out"* ]]
	# Every pod is new, and has the new environment.
	# (old pods may still be terminating: sleep ignores SIGTERM as pid 1, so they wait out their grace)
	live="$("${K[@]}" get pods -l app=roll -o json | "$SYSTEM_PYTHON" -c 'import json, sys
print(" ".join(p["metadata"]["name"] for p in json.load(sys.stdin)["items"] if "deletionTimestamp" not in p["metadata"]))')"
	[ "$(echo $live | wc -w)" -eq 3 ]
	for pod in $live; do
		[[ " $first " != *" $pod "* ]]
		[ "$("${K[@]}" exec "$pod" -- sh -c 'echo $COLOR')" = blue ]
	done
	run "${K[@]}" rollout history deployment/roll
	echo "$output"
	[[ "$output" == *"1 "*"2 "* ]]
	run "${K[@]}" get rs -l app=roll
	echo "$output"
	[ "$(echo "$output" | grep -c 'roll-')" -eq 2 ]
	"${K[@]}" rollout undo deployment/roll
	"${K[@]}" rollout status deployment/roll --timeout=90s
	[ -z "$("${K[@]}" get deployment roll -o jsonpath='{.spec.template.spec.containers[0].env}')" ]
	run "${K[@]}" rollout history deployment/roll
	[[ "$output" == *"2 "*"3 "* ]]
	"${K[@]}" rollout restart deployment/roll
	"${K[@]}" rollout status deployment/roll --timeout=90s
	[ "$("${K[@]}" get deployment roll -o jsonpath='{.status.updatedReplicas}')" = 3 ]
}

@test "pods: an encrypted emptyDir lives on the fscrypt pool and goes with the pod" {
	command -v mkfs.ext4 >/dev/null || skip "needs e2fsprogs"
	cat >"$BATS_TEST_TMPDIR/pod.yaml" <<-YAML
	apiVersion: v1
	kind: Pod
	metadata:
	  name: vault
	  annotations: {run.cocoon.profile: confidential, run.cocoon.volume.encrypted: data}
	spec:
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "echo ledger > /data/ledger.txt; sleep 600"]
	    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
	    volumeMounts: [{name: data, mountPath: /data}]
	  volumes: [{name: data, emptyDir: {}}]
	YAML
	"${K[@]}" apply -f "$BATS_TEST_TMPDIR/pod.yaml"
	wait_for vault '{.status.phase}' Running
	run "${K[@]}" exec vault -- sh -c 'cat /data/ledger.txt; grep NoNewPrivs /proc/self/status'
	echo "$output"
	[[ "$output" == *ledger*"NoNewPrivs:"*1* ]]
	uid="$(field vault '{.metadata.uid}')"
	run findmnt -n -o FSTYPE --target "$DATA.run/encrypted/$uid"
	[ "$output" = ext4 ]
	"${K[@]}" delete pod vault --grace-period=1
	[ ! -e "$DATA.run/encrypted/$uid" ]
	[ ! -e "$DATA/pods/$uid" ]
}

@test "pods: deletion is graceful: SIGTERM, then the pod is gone with its sandbox" {
	"${K[@]}" run polite --image=localhost/busybox:latest -- sh -c 'trap "echo bye; exit 0" TERM; while true; do sleep 0.1; done'
	wait_for polite '{.status.phase}' Running
	uid="$(field polite '{.metadata.uid}')"
	[ -e "$DATA.run/pods/$uid/ns/net" ]
	run "${K[@]}" delete pod polite --timeout=30s
	[ "$status" -eq 0 ]
	run "${K[@]}" get pod polite
	[ "$status" -ne 0 ]
	[ ! -e "$DATA.run/pods/$uid" ]
	! grep -q "$uid" /proc/self/mountinfo
}

@test "pods: a finalizer keeps a stopped pod in the API, its containers and sandbox gone, until it is removed" {
	"${K[@]}" run held --image=localhost/busybox:latest -- sleep 3600
	wait_for held '{.status.phase}' Running
	uid="$(field held '{.metadata.uid}')"
	"${K[@]}" patch pod held --type merge -p '{"metadata":{"finalizers":["example.com/hold"]}}'
	"${K[@]}" delete pod held --grace-period=1 --wait=false
	for _ in $(seq 1 100); do
		[ ! -e "$DATA.run/pods/$uid" ] && break
		sleep 0.2
	done
	[ ! -e "$DATA.run/pods/$uid" ]
	! grep -q "$uid" /proc/self/mountinfo || false
	[ "$(field held '{.metadata.deletionGracePeriodSeconds}')" = 0 ]
	"${K[@]}" patch pod held --type merge -p '{"metadata":{"finalizers":null}}'
	"${K[@]}" wait --for=delete pod/held --timeout=10s
}

@test "pods: the service account's token, the cluster CA and the namespace are mounted, and the token works" {
	"${K[@]}" run reader --image=localhost/busybox:latest -- sleep 3600
	wait_for reader '{.status.phase}' Running
	dir=/var/run/secrets/kubernetes.io/serviceaccount
	[ "$("${K[@]}" exec reader -- cat "$dir/namespace")" = "$NS" ]
	"${K[@]}" exec reader -- cat "$dir/ca.crt" | cmp - "$DATA/pki/ca.crt"
	token="$("${K[@]}" exec reader -- cat "$dir/token")"
	# Read-only in the container, and the token is the pod's: it says who, and names the pod.
	run "${K[@]}" exec reader -- sh -c "echo x > $dir/token"
	[ "$status" -ne 0 ]
	run "$KUBECTL" --kubeconfig /dev/null --server "https://127.0.0.1:$PORT" --certificate-authority "$DATA/pki/ca.crt" \
		--token "$token" auth whoami -o json
	echo "$output"
	[ "$(echo "$output" | jq -r .status.userInfo.username)" = "system:serviceaccount:$NS:default" ]
	[ "$(echo "$output" | jq -r '.status.userInfo.extra["authentication.kubernetes.io/pod-name"][0]')" = reader ]
	"${K[@]}" delete pod reader --grace-period=1
	run "$KUBECTL" --kubeconfig /dev/null --server "https://127.0.0.1:$PORT" --certificate-authority "$DATA/pki/ca.crt" \
		--token "$token" auth whoami
	[[ "$output" == *Unauthorized* ]]
}

@test "pods: kubectl port-forward reaches the pod's port over the WebSocket tunnel: large downloads in parallel, a closed port reported" {
	# kubectl 1.31+ tunnels SPDY through a WebSocket by default; 1.30 does when asked.
	local kc="$KUBECTL"
	[ -x /usr/lib/google-cloud-sdk/bin/kubectl.1.33 ] && kc=/usr/lib/google-cloud-sdk/bin/kubectl.1.33
	"${K[@]}" run fwd --image=localhost/busybox:latest -- sh -c \
		'dd if=/dev/urandom of=/tmp/big bs=1M count=8 2>/dev/null; echo hello > /tmp/hello; exec httpd -f -p 8080 -h /tmp'
	wait_for fwd '{.status.phase}' Running
	local port
	port="$(free_port)"
	KUBECTL_PORT_FORWARD_WEBSOCKETS=true "$kc" --kubeconfig "$KUBECONFIG" -n "$NS" port-forward pod/fwd "$port:8080" \
		>"$BATS_TEST_TMPDIR/pf.log" 2>&1 3>&- &
	PF_PID=$!
	for _ in $(seq 1 50); do grep -q "Forwarding from 127.0.0.1:$port" "$BATS_TEST_TMPDIR/pf.log" && break; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/pf.log"
	for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/hello" >/dev/null && break; sleep 0.1; done
	[ "$(curl -sS "http://127.0.0.1:$port/hello")" = hello ]
	# 8 MiB, and two at once: every byte, in order, as sha256sum in the pod has it.
	want="$("${K[@]}" exec fwd -- sha256sum /tmp/big | cut -d' ' -f1)"
	curl -sS -o "$BATS_TEST_TMPDIR/a" "http://127.0.0.1:$port/big" &
	curl -sS -o "$BATS_TEST_TMPDIR/b" "http://127.0.0.1:$port/big"
	wait $!
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/a" | cut -d' ' -f1)" = "$want" ]
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/b" | cut -d' ' -f1)" = "$want" ]
	# Twenty connections one after the other.
	for i in $(seq 1 20); do [ "$(curl -sS "http://127.0.0.1:$port/hello")" = hello ]; done
	kill "$PF_PID"
	wait "$PF_PID" 2>/dev/null || true
	PF_PID=
	# A port nothing listens on: kubectl says so.
	KUBECTL_PORT_FORWARD_WEBSOCKETS=true "$kc" --kubeconfig "$KUBECONFIG" -n "$NS" port-forward pod/fwd "$port:9" \
		>"$BATS_TEST_TMPDIR/pf2.log" 2>&1 3>&- &
	PF_PID=$!
	for _ in $(seq 1 50); do grep -q "Forwarding from" "$BATS_TEST_TMPDIR/pf2.log" && break; sleep 0.1; done
	curl -s "http://127.0.0.1:$port/" || true
	for _ in $(seq 1 50); do grep -q "error" "$BATS_TEST_TMPDIR/pf2.log" && break; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/pf2.log"
	grep -qi "an error occurred forwarding.*connection refused" "$BATS_TEST_TMPDIR/pf2.log"
	kill "$PF_PID" 2>/dev/null || true
	wait "$PF_PID" 2>/dev/null || true
	PF_PID=
}

@test "pods: kubectl attach follows a running container's output from now on, and its end" {
	"${K[@]}" apply -f - >/dev/null <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: talker}
	spec:
	  restartPolicy: Never
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "echo before; while [ ! -e /tmp/go ]; do sleep 0.1; done; for i in 1 2 3; do echo out\$i; echo err\$i >&2; done; exit 3"]
	YAML
	wait_for talker '{.status.phase}' Running
	for _ in $(seq 1 50); do
		"${K[@]}" logs talker 2>/dev/null | grep -q before && break
		sleep 0.1
	done
	"${K[@]}" attach talker -c c >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local attach=$!
	sleep 1.5
	"${K[@]}" exec talker -- touch /tmp/go
	local rc=0
	wait "$attach" || rc=$?
	cat "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = "$(printf 'out1\nout2\nout3')" ]
	grep -q err3 "$BATS_TEST_TMPDIR/err"
	# what was written before the attach is the logs' business, not attach's
	! grep -q before "$BATS_TEST_TMPDIR/out" || false
	[ "$rc" -ne 0 ]
	# a container that is not running has nothing to attach to
	wait_for talker '{.status.phase}' Failed
	run "${K[@]}" attach talker -c c
	[ "$status" -ne 0 ]
	[[ "$output" == *"not running"* || "$output" == *"completed"* ]]
}

@test "pods: kubectl run -i hands stdin to the container (stdinOnce ends it), and attach -i reaches a stdin: true container" {
	run bash -c "printf 'hello\nworld\n' | ${K[*]} run catter -i --restart=Never --image=localhost/busybox:latest -- /bin/sh -c 'cat; echo done'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *hello*world*done* ]]
	"${K[@]}" apply -f - >/dev/null <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: reader}
	spec:
	  restartPolicy: Never
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    stdin: true
	    command: ["/bin/sh", "-c", "while read line; do echo got \$line; [ \"\$line\" = stop ] && exit 0; done"]
	YAML
	wait_for reader '{.status.phase}' Running
	# two attachers one after the other: without stdinOnce the container's stdin outlives the first
	printf 'one\n' | timeout 10 "${K[@]}" attach -i reader -c c >"$BATS_TEST_TMPDIR/first" 2>&1 || true
	run bash -c "(printf 'two\n'; sleep 1; printf 'stop\n'; sleep 5) | timeout 20 ${K[*]} attach -i reader -c c"
	echo "$output"
	[[ "$output" == *"got two"* ]]
	[[ "$output" == *"got stop"* ]]
	wait_for reader '{.status.phase}' Succeeded
	"${K[@]}" logs reader | grep -q "got one"
}

@test "pods: after a SIGKILL of cocoond the pods are re-adopted, not duplicated" {
	"${K[@]}" run survivor --image=localhost/busybox:latest -- sleep 600
	wait_for survivor '{.status.phase}' Running
	id="$(field survivor '{.status.containerStatuses[0].containerID}')"
	ip="$(field survivor '{.status.podIP}')"
	kill -KILL "$(cat "$BATS_FILE_TMPDIR/cocoond.pid")"
	sleep 0.5
	start_pods_platform
	sleep 2
	[ "$(field survivor '{.status.containerStatuses[0].containerID}')" = "$id" ]
	[ "$(field survivor '{.status.podIP}')" = "$ip" ]
	[ "$(field survivor '{.status.containerStatuses[0].restartCount}')" = 0 ]
	[ "$(field survivor '{.status.phase}')" = Running ]
	run "${K[@]}" exec survivor -- echo still-here
	[ "$output" = still-here ]
	# One monitor for the container, as before.
	[ "$(pgrep -c -f -- "--id ${id#cocoon://}" || true)" -eq 1 ]
}

# add_portmap NETWORK ID PORT: the hostPort chains the portmap plugin writes for an attachment.
add_portmap() {
	printf '{"cniVersion":"1.0.0","name":"%s","type":"portmap","capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[{"hostPort":%s,"containerPort":80,"protocol":"tcp"}]},"prevResult":{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/x"}],"ips":[{"address":"10.245.0.250/24","interface":0}]}}' "$1" "$3" |
		CNI_COMMAND="${4:-ADD}" CNI_CONTAINERID="$2" CNI_NETNS=/x CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni /usr/lib/cni/portmap >/dev/null
}

@test "pods: a restart removes the hostPort and masquerade rules of pods that are gone, of its network only" {
	hostport="$(free_host_port)"
	"${K[@]}" run kept --image=localhost/busybox:latest --port=8080 \
		--overrides="{\"spec\":{\"containers\":[{\"name\":\"kept\",\"image\":\"localhost/busybox:latest\",\"command\":[\"httpd\",\"-f\",\"-p\",\"8080\",\"-h\",\"/etc\"],\"ports\":[{\"containerPort\":8080,\"hostPort\":$hostport}]}]}}"
	"${K[@]}" wait --for=condition=Ready pod/kept --timeout=30s
	# What a crash with the data gone leaves: rules of attachments no pod holds, on this network
	# (cocoon-cctest0) and on another platform's.
	add_portmap cocoon-cctest0 gone-hostport "$(free_host_port)"
	add_portmap cocoon-elsewhere other-hostport "$(free_host_port)"
	iptables -w -t nat -N CNI-cocoon-gc-test
	iptables -w -t nat -A CNI-cocoon-gc-test ! -d 224.0.0.0/4 -j MASQUERADE
	iptables -w -t nat -A POSTROUTING -s 10.245.0.251/32 -m comment --comment 'name: "cocoon-cctest0" id: "gone-masq"' -j CNI-cocoon-gc-test
	kill -KILL "$(cat "$BATS_FILE_TMPDIR/cocoond.pid")"
	sleep 0.5
	start_pods_platform
	rules="$(iptables-save -t nat)"
	add_portmap cocoon-elsewhere other-hostport 1 DEL
	[[ "$rules" != *gone-hostport* && "$rules" != *gone-masq* && "$rules" != *CNI-cocoon-gc-test* ]]
	[[ "$rules" == *other-hostport* ]]
	grep -q "removed the hostPort and masquerade rules of 2 pods that are gone" "$DATA.log"
	# The pod this node holds keeps its port.
	run curl -s -m 5 "http://$(field kept '{.status.hostIP}'):$hostport/hostname"
	[ "$output" = kept ]
}

@test "pods: a SIGKILL of cocoond in the middle of a rolling update: it finishes after the restart, nothing doubled" {
	"${K[@]}" create deployment mid --image=localhost/busybox:latest --replicas=3 -- sleep 3600
	"${K[@]}" rollout status deployment/mid --timeout=60s
	"${K[@]}" set env deployment/mid STEP=2
	sleep 1
	kill -KILL "$(cat "$BATS_FILE_TMPDIR/cocoond.pid")"
	sleep 0.5
	start_pods_platform
	run "${K[@]}" rollout status deployment/mid --timeout=120s
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$("${K[@]}" get rs -l app=mid -o name | wc -l)" -eq 2 ]
	live="$("${K[@]}" get pods -l app=mid -o json | "$SYSTEM_PYTHON" -c 'import json, sys
print(sum(1 for p in json.load(sys.stdin)["items"] if "deletionTimestamp" not in p["metadata"]))')"
	[ "$live" -eq 3 ]
	# Every running container belongs to a pod in the store: none was orphaned or started twice.
	uids="$("${K[@]}" get pods -l app=mid -o jsonpath='{.items[*].metadata.uid}')"
	for uid in $uids; do
		[ "$(pgrep -c -f -- "--id $uid-" || true)" -le 1 ]
	done
}

@test "pods: cocoon down stops every pod and leaves no mount, namespace or bridge behind" {
	"${K[@]}" run last --image=localhost/busybox:latest -- sleep 600
	wait_for last '{.status.phase}' Running
	uid="$(field last '{.metadata.uid}')"
	stop_pods_platform
	! grep -q "$DATA.run" /proc/self/mountinfo || false
	! ip link show cctest0 2>/dev/null || false
	[ -z "$(ls "$DATA.run/pods" 2>/dev/null)" ]
	[ -z "$(ls "$DATA/pods" 2>/dev/null)" ]
	! ls -d /sys/fs/cgroup/*/cocoon/pod"$uid" 2>/dev/null
}
