#!/usr/bin/env bats
# Pod Security admission (issue 13): namespaces without a label enforce `restricted` by default,
# the pod-security.kubernetes.io/* labels choose another level or mode, refusals read as
# kube-apiserver's (kubectl prints them), workloads get warnings, a ReplicaSet whose pods are refused
# records FailedCreate, and a restricted pod (non-root, RuntimeDefault seccomp, no capabilities)
# runs with the default seccomp profile applied. Real kubectl; pods really run.

load helpers/common
load helpers/runtime

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup_file() {
	[ "$(id -u)" -eq 0 ] && [ -n "$KUBECTL" ] && [ -x /usr/lib/cni/bridge ] || return 0
	local tmp="$BATS_FILE_TMPDIR"
	import_busybox_image "$tmp/data/images"
	export PORT="$(free_port)"
	COCOOND_BRIDGE=cctest4 COCOOND_POD_SUBNET=10.250.0.0/24 start_cocoond_pods "$tmp/data" "$PORT" \
		--pod-security-default restricted
	echo "$COCOOND_PID" >"$tmp/cocoond.pid"
}

teardown_file() {
	stop_pods_platform
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	[ -x /usr/lib/cni/bridge ] || skip "needs containernetworking-plugins"
	export KUBECONFIG="$BATS_FILE_TMPDIR/data/kubeconfig"
	NS="t$BATS_TEST_NUMBER"
	K=("$KUBECTL" --request-timeout=20s -n "$NS")
	"$KUBECTL" create namespace "$NS" >/dev/null
}

@test "pod security: a root pod is refused under the default restricted level, in kube-apiserver's words" {
	run "${K[@]}" run rooted --image=localhost/busybox:latest -- sleep 600
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'Error from server (Forbidden): pods "rooted" is forbidden: violates PodSecurity "restricted:latest":'* ]]
	[[ "$output" == *'allowPrivilegeEscalation != false (container "rooted" must set securityContext.allowPrivilegeEscalation=false)'* ]]
	[[ "$output" == *'unrestricted capabilities (container "rooted" must set securityContext.capabilities.drop=["ALL"])'* ]]
	[[ "$output" == *'runAsNonRoot != true (pod or container "rooted" must set securityContext.runAsNonRoot=true)'* ]]
	[[ "$output" == *'seccompProfile (pod or container "rooted" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'* ]]
	grep '"action":"pod.security"' "$BATS_FILE_TMPDIR/data/events.jsonl" | grep -q '"verdict":"deny"'
}

@test "pod security: a restricted pod runs, with the default seccomp profile" {
	cat <<-YAML | "${K[@]}" apply -f -
	apiVersion: v1
	kind: Pod
	metadata: {name: tidy}
	spec:
	  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: [sleep, "600"]
	    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
	    volumeMounts: [{name: scratch, mountPath: /scratch}]
	  volumes: [{name: scratch, emptyDir: {}}]
	YAML
	"${K[@]}" wait --for=condition=Ready pod/tidy --timeout=60s
	run "${K[@]}" exec tidy -- sh -c 'id -u; grep -E "^(Seccomp|NoNewPrivs|CapEff):" /proc/self/status; touch /scratch/mine && echo writable'
	echo "$output"
	[[ "$output" == 1000* ]]
	[[ "$output" == *writable* ]] # an emptyDir is world-writable, as kubelet makes it
	[[ "$output" == *"Seccomp:"*2* ]]
	[[ "$output" == *"NoNewPrivs:"*1* ]]
	[[ "$output" == *"CapEff:"*0000000000000000* ]]
	# The profile denies what RuntimeDefault denies: unshare, for one.
	run "${K[@]}" exec tidy -- unshare -r true
	[ "$status" -ne 0 ]
}

@test "pod security: namespace labels choose the level; warn mode and workloads warn" {
	"$KUBECTL" label namespace "$NS" pod-security.kubernetes.io/enforce=baseline \
		pod-security.kubernetes.io/warn=restricted
	run "${K[@]}" run rooted --image=localhost/busybox:latest -- sleep 600
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'Warning: would violate PodSecurity "restricted:latest"'* ]]
	# baseline still refuses what it forbids.
	run "${K[@]}" run privileged --image=localhost/busybox:latest \
		--overrides='{"spec":{"containers":[{"name":"privileged","image":"localhost/busybox:latest","securityContext":{"privileged":true}}]}}'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'violates PodSecurity "baseline:latest": privileged (container "privileged" must not set securityContext.privileged=true)'* ]]
}

@test "pod security: a Deployment is admitted with a warning; its ReplicaSet records FailedCreate" {
	run "${K[@]}" create deployment rooted --image=localhost/busybox:latest -- sleep 600
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'Warning: would violate PodSecurity "restricted:latest"'* ]]
	for _ in $(seq 1 50); do
		"${K[@]}" get events --field-selector reason=FailedCreate 2>/dev/null | grep -q forbidden && break
		sleep 0.2
	done
	run "${K[@]}" get events --field-selector reason=FailedCreate
	echo "$output"
	[[ "$output" == *'Error creating: pods "rooted-'*'is forbidden: violates PodSecurity "restricted:latest"'* ]]
	[ -z "$("${K[@]}" get pods -o name)" ]
}

@test "pod security: updates are judged too: a pod made privileged by a patch is refused, its labels still change" {
	"$KUBECTL" label namespace "$NS" pod-security.kubernetes.io/enforce=baseline
	"${K[@]}" run plain --image=localhost/busybox:latest -- sleep 600
	run "${K[@]}" patch pod plain --type json \
		-p '[{"op":"add","path":"/spec/containers/0/securityContext","value":{"privileged":true}}]'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'pods "plain" is forbidden: violates PodSecurity "baseline:latest": privileged'* ]]
	[ "$("${K[@]}" get pod plain -o jsonpath='{.spec.containers[0].securityContext.privileged}')" = "" ]
	# The namespace grows stricter: what runs may still be labelled (metadata is exempt).
	"$KUBECTL" label namespace "$NS" pod-security.kubernetes.io/enforce=restricted --overwrite
	"${K[@]}" label pod plain reviewed=yes
}
