#!/usr/bin/env bats
# cocoond's capacity (issue 16, "in single-machine mode"), driven by the real kubectl: a pod is
# started only when its requests fit what the node has left (kube-scheduler's resource fit, node
# selector and taints), one that does not stays Pending with PodScheduled False, reason
# Unschedulable and kube-scheduler's message, and starts once room is freed; PodDisruptionBudgets
# are served with the disruption controller's status; and `cocoon scale state` / `cocoon scale plan
# --cluster` read it all from cocoond, so pods the machine cannot hold ask for a block.

load helpers/common
load helpers/runtime

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
export COCOOND_BRIDGE=cctest6 COCOOND_POD_SUBNET=10.252.0.0/24

setup_file() {
	[ "$(id -u)" -eq 0 ] && [ -n "$KUBECTL" ] && [ -x /usr/lib/cni/bridge ] || return 0
	import_busybox_image "$BATS_FILE_TMPDIR/data/images"
	export PORT="$(free_port)"
	start_pods_platform --system-reserved cpu=500m,memory=256Mi --node-labels scale.cocoon.dev/block=b1,zone=a
}

teardown_file() {
	# a failed drain test must not leave the node cordoned for the rest of the file
	[ -n "${KUBECTL:-}" ] && [ -e "$BATS_FILE_TMPDIR/data/kubeconfig" ] &&
		"$KUBECTL" --kubeconfig "$BATS_FILE_TMPDIR/data/kubeconfig" uncordon --all >/dev/null 2>&1
	stop_pods_platform
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	[ -x /usr/lib/cni/bridge ] || skip "needs containernetworking-plugins"
	DATA="$BATS_FILE_TMPDIR/data"
	export KUBECONFIG="$DATA/kubeconfig"
	COCOOND_LOG="$DATA.log"
	NS="t$BATS_TEST_NUMBER"
	K=("$KUBECTL" --request-timeout=20s -n "$NS")
	"${K[@]}" create namespace "$NS" >/dev/null
	TLS=(--server "https://127.0.0.1:$PORT" --pki "$DATA/pki")
	local cpu
	cpu="$("$KUBECTL" get nodes -o jsonpath='{.items[0].status.allocatable.cpu}')"
	if [[ "$cpu" == *m ]]; then NODE_CPU_MILLI="${cpu%m}"; else NODE_CPU_MILLI=$((cpu * 1000)); fi
}

# sleeper NAME CPU MEMORY [EXTRA-SPEC-YAML]: a pod asking CPU and MEMORY
sleeper() {
	"${K[@]}" apply -f - >/dev/null <<-EOF
	apiVersion: v1
	kind: Pod
	metadata: {name: $1}
	spec:
	  terminationGracePeriodSeconds: 1
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: [/bin/sleep, "3600"]
	    resources: {requests: {cpu: "$2", memory: "$3"}}
	${4:-}
	EOF
}

# wait_field POD JSONPATH VALUE: up to 30 s
wait_field() {
	local i
	for i in $(seq 1 150); do
		[ "$("${K[@]}" get pod "$1" -o jsonpath="$2" 2>/dev/null)" = "$3" ] && return 0
		sleep 0.2
	done
	echo "pod $1: $2 is '$("${K[@]}" get pod "$1" -o jsonpath="$2" 2>&1)', not '$3'"
	"${K[@]}" get pod "$1" -o yaml
	return 1
}

SCHEDULED='{.status.conditions[?(@.type=="PodScheduled")]'

@test "capacity: the Node's allocatable is its capacity less --system-reserved, with the operator's labels" {
	local capacity allocatable
	capacity="$("$KUBECTL" get nodes -o jsonpath='{.items[0].status.capacity.cpu}')"
	allocatable="$("$KUBECTL" get nodes -o jsonpath='{.items[0].status.allocatable.cpu}')"
	[ "$allocatable" = "$((capacity * 1000 - 500))m" ]
	capacity="$("$KUBECTL" get nodes -o jsonpath='{.items[0].status.capacity.memory}')"
	allocatable="$("$KUBECTL" get nodes -o jsonpath='{.items[0].status.allocatable.memory}')"
	[ "$allocatable" = "$((${capacity%Ki} - 262144))Ki" ]
	[ "$("$KUBECTL" get nodes -o jsonpath='{.items[0].metadata.labels.scale\.cocoon\.dev/block}')" = b1 ]
	[ "$("$KUBECTL" get nodes -o jsonpath='{.items[0].metadata.labels.zone}')" = a ]
}

@test "capacity: cocoond refuses a reserve, label or taint it cannot take, and registers taints" {
	local data="$BATS_TEST_TMPDIR/other"
	run "$COCOOND" --data-dir "$data" --listen "127.0.0.1:$(free_port)" --no-pods --system-reserved cpu=lots
	[ "$status" -ne 0 ]
	[[ "$output" == *"--system-reserved cpu"* ]]
	run "$COCOOND" --data-dir "$data" --listen "127.0.0.1:$(free_port)" --no-pods --system-reserved cpu=4096
	[ "$status" -ne 0 ]
	[[ "$output" == *"leaves nothing for pods"* ]]
	run "$COCOOND" --data-dir "$data" --listen "127.0.0.1:$(free_port)" --no-pods --node-labels "bad key=1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--node-labels"* ]]
	run "$COCOOND" --data-dir "$data" --listen "127.0.0.1:$(free_port)" --no-pods --register-with-taints "a=b:Never"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown effect"* ]]
	local outer="$COCOOND_PID"
	start_cocoond "$data" "$(free_port)" --register-with-taints dedicated=db:NoSchedule,spot:PreferNoSchedule
	run "$KUBECTL" --kubeconfig "$data/kubeconfig" get nodes -o jsonpath='{.items[0].spec.taints[*].key}'
	stop_cocoond
	COCOOND_PID="$outer"
	[ "$output" = "dedicated spot" ]
}

@test "capacity: a pod asking more than the node has stays Pending with kube-scheduler's reason" {
	sleeper huge 100m 100000Gi
	wait_field huge "$SCHEDULED.reason}" Unschedulable
	[ "$("${K[@]}" get pod huge -o jsonpath="$SCHEDULED.status}")" = False ]
	[ "$("${K[@]}" get pod huge -o jsonpath="$SCHEDULED.message}")" = \
		"0/1 nodes are available: 1 Insufficient memory." ]
	[ "$("${K[@]}" get pod huge -o jsonpath='{.status.phase}')" = Pending ]
	[ -z "$("${K[@]}" get pod huge -o jsonpath='{.spec.nodeName}')" ]
	run "${K[@]}" get events --field-selector reason=FailedScheduling -o jsonpath='{.items[*].message}'
	[[ "$output" == *"Insufficient memory"* ]]
	# kubectl's own view of it
	run "${K[@]}" get pod huge --no-headers
	[[ "$output" == *Pending* ]]
}

@test "capacity: a waiting pod starts once a running one frees the room, and selectors and taints are kept" {
	sleeper big "$((NODE_CPU_MILLI - 200))m" 16Mi
	wait_field big '{.status.phase}' Running
	sleeper next 500m 16Mi
	wait_field next "$SCHEDULED.message}" "0/1 nodes are available: 1 Insufficient cpu."
	sleeper elsewhere 10m 16Mi '  nodeSelector: {topology.kubernetes.io/zone: nowhere}'
	wait_field elsewhere "$SCHEDULED.message}" \
		"0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
	"${K[@]}" delete pod big --wait=false >/dev/null
	wait_field next '{.status.phase}' Running
	[ -n "$("${K[@]}" get pod next -o jsonpath='{.spec.nodeName}')" ]
	run "${K[@]}" get events --field-selector involvedObject.name=next,reason=Scheduled -o jsonpath='{.items[*].message}'
	[[ "$output" == "Successfully assigned $NS/next to "* ]]
	# the pod nobody can take still waits
	[ "$("${K[@]}" get pod elsewhere -o jsonpath='{.status.phase}')" = Pending ]
}

@test "capacity: a PodDisruptionBudget is served with the disruption controller's status" {
	"${K[@]}" create deployment web --image=localhost/busybox:latest --replicas=3 -- /bin/sleep 3600 >/dev/null
	"${K[@]}" apply -f - >/dev/null <<-EOF
	apiVersion: policy/v1
	kind: PodDisruptionBudget
	metadata: {name: web}
	spec:
	  minAvailable: 2
	  selector: {matchLabels: {app: web}}
	EOF
	local i
	for i in $(seq 1 150); do
		[ "$("${K[@]}" get pdb web -o jsonpath='{.status.currentHealthy}')" = 3 ] && break
		sleep 0.2
	done
	[ "$("${K[@]}" get pdb web -o jsonpath='{.status.currentHealthy}')" = 3 ]
	[ "$("${K[@]}" get pdb web -o jsonpath='{.status.expectedPods}')" = 3 ]
	[ "$("${K[@]}" get pdb web -o jsonpath='{.status.desiredHealthy}')" = 2 ]
	[ "$("${K[@]}" get pdb web -o jsonpath='{.status.disruptionsAllowed}')" = 1 ]
	[ "$("${K[@]}" get pdb web -o jsonpath='{.status.conditions[0].reason}')" = SufficientPods ]
	run "${K[@]}" get pdb
	[[ "${lines[0]}" == *"MIN AVAILABLE"*"MAX UNAVAILABLE"*"ALLOWED DISRUPTIONS"* ]]
	[[ "${lines[1]}" == web*2*N/A*1* ]]
	run "${K[@]}" explain poddisruptionbudget.spec.minAvailable
	[ "$status" -eq 0 ]
	# a budget that asks for more than exist allows nothing
	"${K[@]}" patch pdb web --type merge -p '{"spec": {"minAvailable": 5}}' >/dev/null
	for i in $(seq 1 150); do
		[ "$("${K[@]}" get pdb web -o jsonpath='{.status.disruptionsAllowed}')" = 0 ] && break
		sleep 0.2
	done
	[ "$("${K[@]}" get pdb web -o jsonpath='{.status.conditions[0].reason}')" = InsufficientPods ]
}

@test "capacity: cocoon scale plan --cluster reads cocoond, and pods the machine cannot hold ask for a block" {
	# more cpu than this machine has, less than a node of the SKU (4000m): a block would take it
	sleeper wide "$((NODE_CPU_MILLI + 500))m" 64Mi
	sleeper huge 100m 100000Gi
	wait_field wide "$SCHEDULED.reason}" Unschedulable
	wait_field huge "$SCHEDULED.reason}" Unschedulable
	run "$COCOON" scale state "${TLS[@]}"
	[ "$status" -eq 0 ]
	local node
	node="$("$KUBECTL" get nodes -o jsonpath='{.items[0].metadata.name}')"
	[ "$(jq -r '.nodes[0].block' <<<"$output")" = b1 ]
	[ "$(jq -r '.nodes[0].name' <<<"$output")" = "$node" ]
	[ "$(jq -r '.sku.nodes_per_block' <<<"$output")" = 15 ]
	[ "$(jq -r --arg ns "$NS" '.pods[] | select(.namespace == $ns and .name == "wide") | .nodeName // "pending"' <<<"$output")" = pending ]
	run "$COCOON" scale plan --cluster "${TLS[@]}" --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r .decision <<<"$output")" = scale_up ]
	[ "$(jq -r .blocks_to_add <<<"$output")" = 1 ]
	[ "$(jq -r --arg p "$NS/wide" '.pending.pods[] | select(.pod == $p) | .fate' <<<"$output")" = needs_block ]
	[ "$(jq -r --arg p "$NS/huge" '.pending.pods[] | select(.pod == $p) | .fate' <<<"$output")" = unschedulable ]
	# the plan's history carries the scale-up into the next state, so its cooldown holds
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/plan.json"
	local up
	up="$(jq -r .history.last_scale_up "$BATS_TEST_TMPDIR/plan.json")"
	[ "$up" -gt 0 ]
	run "$COCOON" scale state "${TLS[@]}" --history "$BATS_TEST_TMPDIR/plan.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .history.last_scale_up <<<"$output")" = "$up" ]
	[ "$(jq -r '.blocks[0].id' <<<"$output")" = b1 ]
	# a larger SKU node takes it too; text output names the pod that drives it
	run "$COCOON" scale plan --cluster "${TLS[@]}" --node-cpu 8 --node-memory 32Gi
	[ "$status" -eq 0 ]
	[[ "$output" == *"$NS/wide"* ]]
}

@test "capacity: scale state and plan --cluster refuse bad options and an unreachable server" {
	run "$COCOON" scale plan --cluster "${TLS[@]}" some-file.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"give no FILE"* ]]
	run "$COCOON" scale plan --node-cpu 4 some-file.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"go with --cluster"* ]]
	run "$COCOON" scale state "${TLS[@]}" --node-memory 512m
	[ "$status" -eq 2 ]
	[[ "$output" == *"--node-memory"* ]]
	run "$COCOON" scale state "${TLS[@]}" --history /nonexistent/plan.json
	[ "$status" -eq 2 ]
	[[ "$output" == *"/nonexistent/plan.json"* ]]
	run "$COCOON" scale state --server "https://127.0.0.1:$(free_port)" --pki "$DATA/pki"
	[ "$status" -eq 1 ]
}

@test "capacity: kubectl cordon holds new pods back, kubectl drain evicts within the budget, uncordon lets them in" {
	local node
	node="$("$KUBECTL" get nodes -o jsonpath='{.items[0].metadata.name}')"
	"${K[@]}" apply -f - >/dev/null <<-EOF
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: drained}
	spec:
	  replicas: 2
	  selector: {matchLabels: {app: drained}}
	  template:
	    metadata: {labels: {app: drained}}
	    spec:
	      terminationGracePeriodSeconds: 1
	      containers:
	      - {name: c, image: "localhost/busybox:latest", command: [/bin/sleep, "3600"]}
	---
	apiVersion: policy/v1
	kind: PodDisruptionBudget
	metadata: {name: drained}
	spec:
	  minAvailable: 1
	  selector: {matchLabels: {app: drained}}
	EOF
	run "${K[@]}" wait --for=condition=Ready pod -l app=drained --timeout=60s
	[ "$status" -eq 0 ]
	local i
	for i in $(seq 1 100); do
		[ "$("${K[@]}" get pdb drained -o jsonpath='{.status.disruptionsAllowed}')" = 1 ] && break
		sleep 0.2
	done
	run "$KUBECTL" cordon "$node"
	[ "$status" -eq 0 ]
	[ "$("$KUBECTL" get node "$node" -o jsonpath='{.spec.unschedulable}')" = true ]
	# one eviction is allowed; the second would leave fewer than minAvailable, and the replacement
	# cannot start on a cordoned node: drain gives up on it
	run "$KUBECTL" drain "$node" --pod-selector app=drained --timeout=12s
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"violate the pod's disruption budget"* ]]
	[[ "$output" == *"evicted"* ]]
	run "${K[@]}" get pods -l app=drained -o jsonpath='{range .items[*]}{.status.phase}{" "}{end}'
	[[ "$output" == *Pending* ]]
	run "${K[@]}" get pods -l app=drained -o jsonpath='{.items[*].status.conditions[?(@.type=="PodScheduled")].message}'
	[[ "$output" == *"node(s) were unschedulable"* ]]
	# the eviction API answers kube-apiserver's 429 itself
	local victim
	victim="$("${K[@]}" get pods -l app=drained --field-selector status.phase=Running -o jsonpath='{.items[0].metadata.name}')"
	run "$KUBECTL" create --raw "/api/v1/namespaces/$NS/pods/$victim/eviction" -f - <<<"{\"apiVersion\": \"policy/v1\", \"kind\": \"Eviction\", \"metadata\": {\"name\": \"$victim\", \"namespace\": \"$NS\"}}"
	[ "$status" -ne 0 ]
	[[ "$output" == *"TooManyRequests"* || "$output" == *"disruption budget"* ]]
	run "$KUBECTL" uncordon "$node"
	[ "$status" -eq 0 ]
	run "${K[@]}" wait --for=condition=Ready pod -l app=drained --timeout=60s
	[ "$status" -eq 0 ]
	# the Node stays cocoond's: it cannot be deleted, nor its status written
	run "$KUBECTL" delete node "$node"
	[ "$status" -ne 0 ]
	[[ "$output" == *"only its spec, labels and annotations"* ]]
}
