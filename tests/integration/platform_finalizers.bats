#!/usr/bin/env bats
# Finalizers and the garbage collector's propagation policies on cocoond, driven by the real kubectl:
# a delete of an object with finalizers marks it and keeps it until the last one is removed;
# `kubectl delete --cascade=orphan` leaves the dependents without their owner, `--cascade=foreground`
# removes the owner only after its dependents. kubectl is not a Debian package: the tests skip where
# it is absent.

load helpers/common

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
	export KUBECONFIG="$TMP/data/kubeconfig"
	K=("$KUBECTL" --request-timeout=10s --cache-dir "$TMP/cache")
	cat >"$TMP/web.yaml" <<-'YAML'
		apiVersion: apps/v1
		kind: Deployment
		metadata:
		  name: web
		spec:
		  replicas: 2
		  selector:
		    matchLabels: {app: web}
		  template:
		    metadata:
		      labels: {app: web}
		    spec:
		      containers:
		      - name: c
		        image: busybox
	YAML
}

teardown() {
	[ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null
	stop_cocoond
	rm -rf "$TMP"
}

# wait_gone KIND NAME: up to 10 s for the object to be gone.
wait_gone() {
	for _ in $(seq 1 100); do
		"${K[@]}" get "$1" "$2" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	echo "$1 $2 is still there"
	"${K[@]}" get "$1" "$2" -o yaml
	return 1
}

# wait_for COMMAND...: up to 10 s for the command to succeed.
wait_for() {
	for _ in $(seq 1 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

@test "finalizers: a delete marks the object and keeps it until its last finalizer goes" {
	"${K[@]}" create configmap c --from-literal=a=b
	"${K[@]}" patch configmap c --type merge -p '{"metadata":{"finalizers":["example.com/hold","example.com/audit"]}}'
	"${K[@]}" get configmap c --watch --output-watch-events >"$TMP/watch" 2>&1 3>&- &
	WATCH_PID=$!
	wait_for grep -q ADDED "$TMP/watch"
	run "${K[@]}" delete configmap c --wait=false
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'configmap "c" deleted'* ]]
	# Still there, marked: deletionTimestamp set, no grace left to wait for, data intact.
	run "${K[@]}" get configmap c -o json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.metadata.deletionTimestamp | test("^[0-9-]+T[0-9:]+Z$")')" = true ]
	[ "$(echo "$output" | jq -r '.metadata.deletionGracePeriodSeconds')" = 0 ]
	[ "$(echo "$output" | jq -r '.data.a')" = b ]
	# A second delete changes nothing; the object takes no new finalizer while it is being deleted.
	rv="$(echo "$output" | jq -r .metadata.resourceVersion)"
	"${K[@]}" delete configmap c --wait=false
	[ "$("${K[@]}" get configmap c -o jsonpath='{.metadata.resourceVersion}')" = "$rv" ]
	run "${K[@]}" patch configmap c --type json -p '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/late"}]'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ["example.com/late"]'* ]]
	# Other updates still work; one finalizer off keeps it, the last one off removes it.
	"${K[@]}" label configmap c seen=yes
	"${K[@]}" patch configmap c --type json -p '[{"op":"remove","path":"/metadata/finalizers/0"}]'
	"${K[@]}" get configmap c
	"${K[@]}" patch configmap c --type merge -p '{"metadata":{"finalizers":null}}'
	wait_gone configmap c
	wait_for grep -q 'DELETED' "$TMP/watch" || true
	cat "$TMP/watch"
	grep -q 'DELETED' "$TMP/watch"
	[ "$(grep -c MODIFIED "$TMP/watch")" -ge 3 ]
}

@test "finalizers: names must be qualified or Kubernetes' own" {
	"${K[@]}" create configmap c --from-literal=a=b
	run "${K[@]}" patch configmap c --type merge -p '{"metadata":{"finalizers":["hold"]}}'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'metadata.finalizers[0]: Invalid value: "hold": name is neither a standard finalizer name nor is it fully qualified'* ]]
	run "${K[@]}" patch configmap c --type merge -p '{"metadata":{"finalizers":["Example.com/x y"]}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *'metadata.finalizers[0]: Invalid value'* ]]
	"${K[@]}" patch configmap c --type merge -p '{"metadata":{"finalizers":["kubernetes","example.com/ok"]}}'
}

@test "finalizers: kubectl delete --cascade=orphan leaves the ReplicaSet and its pods, without their owner" {
	"${K[@]}" apply -f "$TMP/web.yaml"
	wait_for test "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 2
	rs="$("${K[@]}" get rs -l app=web -o name)"
	run "${K[@]}" delete deployment web --cascade=orphan
	echo "$output"
	[ "$status" -eq 0 ]
	wait_gone deployment web
	run "${K[@]}" get "$rs" -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq '.metadata.ownerReferences // [] | length')" = 0 ]
	[ "$(echo "$output" | jq -r '.metadata.deletionTimestamp')" = null ]
	# Nothing collects them: the pods stay, still the set's.
	sleep 1
	[ "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 2 ]
	run "${K[@]}" get pods -l app=web -o jsonpath='{.items[*].metadata.ownerReferences[0].kind}'
	[ "$output" = "ReplicaSet ReplicaSet" ]
}

@test "finalizers: kubectl delete --cascade=foreground removes the pods, then the set, then the Deployment" {
	"${K[@]}" apply -f "$TMP/web.yaml"
	wait_for test "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 2
	# One pod held by a finalizer of its own keeps the whole chain waiting.
	held="$("${K[@]}" get pods -l app=web -o name | head -1)"
	"${K[@]}" patch "$held" --type merge -p '{"metadata":{"finalizers":["example.com/hold"]}}'
	run "${K[@]}" delete deployment web --cascade=foreground --wait=false
	echo "$output"
	[ "$status" -eq 0 ]
	sleep 1
	run "${K[@]}" get deployment web -o json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c .metadata.finalizers)" = '["foregroundDeletion"]' ]
	[ "$(echo "$output" | jq -r '.metadata.deletionTimestamp != null')" = true ]
	run "${K[@]}" get rs -l app=web -o json
	[ "$(echo "$output" | jq -c '.items[0].metadata.finalizers')" = '["foregroundDeletion"]' ]
	# The other pod went; the held one waits, marked; no replacement was made.
	run "${K[@]}" get pods -l app=web -o name
	[ "$output" = "$held" ]
	[ "$("${K[@]}" get "$held" -o jsonpath='{.metadata.deletionTimestamp}')" != "" ]
	"${K[@]}" patch "$held" --type merge -p '{"metadata":{"finalizers":null}}'
	wait_gone deployment web
	[ -z "$("${K[@]}" get rs,pods -l app=web -o name)" ]
}

@test "finalizers: an unknown propagationPolicy is refused, and background is the default" {
	"${K[@]}" apply -f "$TMP/web.yaml"
	wait_for test "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 2
	run curl -sS --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/data/pki/admin.crt" --key "$TMP/data/pki/admin.key" \
		-X DELETE -H 'Content-Type: application/json' -d '{"propagationPolicy":"Sideways"}' \
		"https://127.0.0.1:$PORT/apis/apps/v1/namespaces/default/deployments/web"
	echo "$output"
	[[ "$output" == *'"code":422'* && "$output" == *'Unsupported value: \"Sideways\"'* ]]
	"${K[@]}" get deployment web
	"${K[@]}" delete deployment web
	wait_for test -z "$("${K[@]}" get rs,pods -l app=web -o name)"
}
