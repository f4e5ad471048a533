#!/usr/bin/env bats
# Server-side apply and metadata.managedFields in cocoond (issue 13), driven by the real kubectl:
# `kubectl apply --server-side` creates and records its manager, conflicts name the other manager
# and the field as kube-apiserver does, --force-conflicts takes over, a field dropped from the file
# goes, equal values are shared, `kubectl scale` owns .spec.replicas through the scale subresource,
# client-side apply migrates to server-side apply, clients may reset the record, bad records and
# managers are refused. kubectl is not a Debian package: the tests skip where it is absent.

load helpers/common

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
	export KUBECONFIG="$TMP/data/kubeconfig"
	K=("$KUBECTL" --request-timeout=10s)
}

teardown() {
	stop_cocoond
	rm -rf "$TMP"
}

# deployment FILE REPLICAS IMAGE [EXTRA_LABEL]: a Deployment manifest.
deployment() {
	cat >"$1" <<-YAML
	apiVersion: apps/v1
	kind: Deployment
	metadata:
	  name: web
	  labels:
	    app: web
	    ${4:-tier: front}
	spec:
	  replicas: $2
	  selector:
	    matchLabels: {app: web}
	  template:
	    metadata:
	      labels: {app: web}
	    spec:
	      containers:
	      - name: nginx
	        image: $3
	        ports: [{containerPort: 80}]
	YAML
}

# The managers of an object, "manager/operation[/subresource]" sorted, one line.
managers() {
	"${K[@]}" get "$@" -o json --show-managed-fields | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
print(" ".join(sorted(e["manager"] + "/" + e["operation"] + ("/" + e["subresource"] if e.get("subresource") else "")
                      for e in o["metadata"].get("managedFields", []))))'
}

# The raw API over cocoond's socket (as an administrator): curl_api METHOD PATH [curl args].
curl_api() {
	local method="$1" path="$2"
	shift 2
	curl -s --unix-socket "$TMP/data/cocoond.sock" -X "$method" "http://localhost$path" "$@"
}

@test "apply: kubectl apply --server-side creates and records its fields; get shows them with --show-managed-fields" {
	deployment "$TMP/web.yaml" 2 nginx:1
	run "${K[@]}" apply --server-side -f "$TMP/web.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "deployment.apps/web serverside-applied" ]
	run "${K[@]}" get deployment web -o yaml --show-managed-fields
	echo "$output"
	[[ "$output" == *"manager: kubectl"* && "$output" == *"operation: Apply"* ]]
	[[ "$output" == *"fieldsType: FieldsV1"* && "$output" == *"f:replicas: {}"* ]]
	# The selector is one field (atomic); containers and ports are keyed as kube-apiserver keys them.
	[[ "$output" == *"f:selector: {}"* ]]
	[[ "$output" == *'k:{"name":"nginx"}:'* && "$output" == *'k:{"containerPort":80,"protocol":"TCP"}:'* ]]
	[[ "$output" == *"time: \"20"* ]]
	# kubectl hides the record by default; the server sends it (the Table leaves it out).
	run "${K[@]}" get deployment web -o yaml
	[[ "$output" != *managedFields* ]]
	run "${K[@]}" get --raw /apis/apps/v1/namespaces/default/deployments/web
	[[ "$output" == *'"managedFields":[{'* && "$output" == *'"manager":"kubectl"'* && "$output" == *'"operation":"Apply"'* ]]
	# Defaults the server filled are nobody's; applying again changes nothing, not even the version.
	[[ "$output" != *'f:progressDeadlineSeconds'* ]]
	rv="$("${K[@]}" get deployment web -o jsonpath='{.metadata.resourceVersion}')"
	"${K[@]}" apply --server-side -f "$TMP/web.yaml"
	[ "$("${K[@]}" get deployment web -o jsonpath='{.metadata.resourceVersion}')" = "$rv" ]
	# Writes that are no apply are Updates by their manager: kubectl label names itself.
	"${K[@]}" label deployment web team=blue
	[ "$(managers deployment web)" = "kubectl-label/Update kubectl/Apply" ]
}

@test "apply: another manager's different value is a conflict naming both; --force-conflicts takes it; equal values share" {
	deployment "$TMP/web.yaml" 2 nginx:1
	"${K[@]}" apply --server-side -f "$TMP/web.yaml"
	deployment "$TMP/other.yaml" 5 nginx:1
	run "${K[@]}" apply --server-side --field-manager=autoscaler -f "$TMP/other.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'* ]]
	[[ "$output" == *"--force-conflicts"* ]]
	[ "$("${K[@]}" get deployment web -o jsonpath='{.spec.replicas}')" = 2 ]
	# The Status as kube-apiserver sends it: 409 Conflict, one FieldManagerConflict cause per field.
	run curl_api PATCH '/apis/apps/v1/namespaces/default/deployments/web?fieldManager=autoscaler' \
		-H 'Content-Type: application/apply-patch+yaml' --data-binary @"$TMP/other.yaml"
	echo "$output"
	[[ "$output" == *'"code":409'* && "$output" == *'"reason":"Conflict"'* ]]
	[[ "$output" == *'"causes":[{"field":".spec.replicas","message":"conflict with \"kubectl\"","reason":"FieldManagerConflict"}]'* ]]

	# Equal values: both own them, no conflict.
	run "${K[@]}" apply --server-side --field-manager=autoscaler -f "$TMP/web.yaml"
	[ "$status" -eq 0 ]
	[ "$(managers deployment web)" = "autoscaler/Apply kubectl/Apply" ]
	# A change to a shared field conflicts with the other owner.
	run "${K[@]}" apply --server-side --field-manager=autoscaler -f "$TMP/other.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *'conflict with "kubectl": .spec.replicas'* ]]

	run "${K[@]}" apply --server-side --field-manager=autoscaler --force-conflicts -f "$TMP/other.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$("${K[@]}" get deployment web -o jsonpath='{.spec.replicas}')" = 5 ]
	# The field is the forcer's alone now: kubectl's next apply of 2 conflicts with it.
	run "${K[@]}" get deployment web -o json --show-managed-fields
	[ "$(echo "$output" | /usr/bin/python3 -c '
import json, sys
o = json.load(sys.stdin)
print(" ".join(sorted(e["manager"] for e in o["metadata"]["managedFields"] if "f:replicas" in e["fieldsV1"].get("f:spec", {}))))')" = autoscaler ]
	run "${K[@]}" apply --server-side -f "$TMP/web.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *'conflict with "autoscaler": .spec.replicas'* ]]
	# Several conflicts: counted, listed under their manager.
	deployment "$TMP/both.yaml" 7 nginx:2
	run "${K[@]}" apply --server-side --field-manager=third -f "$TMP/both.yaml"
	echo "$output"
	[[ "$output" == *'Apply failed with 3 conflicts: conflicts with "autoscaler":'* ]]
	[[ "$output" == *'- .spec.replicas'* && "$output" == *'- .spec.template.spec.containers[name="nginx"].image'* ]]
}

@test "apply: a field dropped from the applied file goes, unless another manager still owns it" {
	cat >"$TMP/cm.yaml" <<-YAML
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: settings, labels: {a: "1", b: "2"}}
	data: {mode: fast, level: "3", shared: "x"}
	YAML
	"${K[@]}" apply --server-side -f "$TMP/cm.yaml"
	"${K[@]}" apply --server-side --field-manager=ops -f - <<-YAML
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: settings}
	data: {shared: "x"}
	YAML
	cat >"$TMP/cm.yaml" <<-YAML
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: settings, labels: {a: "1"}}
	data: {mode: fast}
	YAML
	run "${K[@]}" apply --server-side -f "$TMP/cm.yaml"
	[ "$status" -eq 0 ]
	run "${K[@]}" get configmap settings -o jsonpath='{.data}'
	echo "$output"
	[ "$output" = '{"mode":"fast","shared":"x"}' ]
	[ "$("${K[@]}" get configmap settings -o jsonpath='{.metadata.labels}')" = '{"a":"1"}' ]

	# A container dropped from a Deployment's file goes too; the one kept keeps its fields.
	deployment "$TMP/web.yaml" 1 nginx:1
	cat >>"$TMP/web.yaml" <<-YAML
	      - name: sidecar
	        image: busybox:1
	YAML
	"${K[@]}" apply --server-side -f "$TMP/web.yaml"
	[ "$("${K[@]}" get deployment web -o jsonpath='{.spec.template.spec.containers[*].name}')" = "nginx sidecar" ]
	deployment "$TMP/web.yaml" 1 nginx:1
	"${K[@]}" apply --server-side -f "$TMP/web.yaml"
	[ "$("${K[@]}" get deployment web -o jsonpath='{.spec.template.spec.containers[*].name}')" = nginx ]
	[ "$("${K[@]}" get deployment web -o jsonpath='{.spec.template.spec.containers[0].ports[0].containerPort}')" = 80 ]
}

@test "apply: kubectl scale owns .spec.replicas through the scale subresource, and apply then conflicts with it" {
	deployment "$TMP/web.yaml" 2 nginx:1
	"${K[@]}" apply --server-side -f "$TMP/web.yaml"
	run "${K[@]}" scale deployment web --replicas=4
	[ "$status" -eq 0 ]
	[ "$(managers deployment web)" = "kubectl/Apply kubectl/Update/scale" ]
	run "${K[@]}" apply --server-side -f "$TMP/web.yaml"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas'* ]]
	[ "$("${K[@]}" get deployment web -o jsonpath='{.spec.replicas}')" = 4 ]
	# Leaving replicas to the scaler: the applier gives the field up, the value stays.
	sed -i '/replicas:/d' "$TMP/web.yaml"
	run "${K[@]}" apply --server-side -f "$TMP/web.yaml"
	[ "$status" -eq 0 ]
	[ "$("${K[@]}" get deployment web -o jsonpath='{.spec.replicas}')" = 4 ]
}

@test "apply: client-side apply migrates to server-side apply (kubectl-client-side-apply becomes kubectl's)" {
	deployment "$TMP/web.yaml" 2 nginx:1
	run "${K[@]}" apply -f "$TMP/web.yaml"
	[ "$output" = "deployment.apps/web created" ]
	[ "$(managers deployment web)" = "kubectl-client-side-apply/Update" ]
	# Client-side apply keeps working unchanged, with its own manager.
	deployment "$TMP/web.yaml" 3 nginx:1
	run "${K[@]}" apply -f "$TMP/web.yaml"
	[ "$output" = "deployment.apps/web configured" ]
	run "${K[@]}" apply -f "$TMP/web.yaml"
	[ "$output" = "deployment.apps/web unchanged" ]
	# The switch: kubectl rewrites the record so its server-side manager owns what it applied.
	run "${K[@]}" apply --server-side -f "$TMP/web.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	run managers deployment web
	echo "$output"
	[[ "$output" == *"kubectl/Apply"* && "$output" != *"kubectl-client-side-apply"* ]]
	# Ownership went along: dropping the label from the file removes it.
	deployment "$TMP/web.yaml" 3 nginx:1 "release: one"
	"${K[@]}" apply --server-side -f "$TMP/web.yaml"
	run "${K[@]}" get deployment web -o jsonpath='{.metadata.labels}'
	echo "$output"
	[[ "$output" == *'"release":"one"'* && "$output" != *'"tier"'* ]]
}

@test "apply: Services and Pods apply server-side; kubectl replace's manager is recorded and met" {
	cat >"$TMP/svc.yaml" <<-YAML
	apiVersion: v1
	kind: Service
	metadata: {name: web}
	spec:
	  selector: {app: web}
	  ports: [{port: 80, targetPort: 8080}]
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: one, labels: {app: web}}
	spec:
	  containers: [{name: c, image: busybox:1, command: [sleep, "3600"]}]
	YAML
	run "${K[@]}" apply --server-side -f "$TMP/svc.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"service/web serverside-applied"* && "$output" == *"pod/one serverside-applied"* ]]
	run "${K[@]}" get service web -o yaml --show-managed-fields
	echo "$output"
	[[ "$output" == *'k:{"port":80,"protocol":"TCP"}:'* && "$output" == *"f:selector: {}"* ]]
	[[ "$output" != *"f:clusterIP"* ]] # the server's
	run "${K[@]}" apply --server-side -f "$TMP/svc.yaml"
	[ "$status" -eq 0 ]
	# kubectl replace is an Update by "kubectl-replace"; the pod's image is then that manager's.
	"${K[@]}" get pod one -o yaml | sed 's/busybox:1/busybox:2/' >"$TMP/pod.yaml"
	"${K[@]}" replace -f "$TMP/pod.yaml"
	[ "$(managers pod one)" = "kubectl-replace/Update kubectl/Apply" ]
	run "${K[@]}" apply --server-side -f "$TMP/svc.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *'conflict with "kubectl-replace" using v1: .spec.containers[name="c"].image'* ]]
}

@test "apply: clients reset the record with [{}]; malformed records, managers and applies are refused by name" {
	"${K[@]}" create configmap plain --from-literal=a=1
	[ "$(managers configmap plain)" = "kubectl-create/Update" ]
	# [{}] clears the record (an empty list would not: clients unaware of it send none).
	"${K[@]}" patch configmap plain --type json -p '[{"op":"replace","path":"/metadata/managedFields","value":[{}]}]'
	[ "$(managers configmap plain)" = "" ]
	"${K[@]}" patch configmap plain --type merge -p '{"metadata":{"managedFields":[]},"data":{"b":"2"}}'
	[ "$(managers configmap plain)" = "kubectl-patch/Update" ]
	# A record a client writes is taken as it is.
	"${K[@]}" patch configmap plain --type json -p '[{"op":"replace","path":"/metadata/managedFields","value":[{"manager":"importer","operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:a":{}}}}]}]'
	[ "$(managers configmap plain)" = "importer/Apply" ]
	run "${K[@]}" apply --server-side --field-manager=me -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"plain"},"data":{"a":"9"}}'
	[[ "$output" == *'conflict with "importer": .data.a'* ]]

	# Malformed fieldsV1: 422 naming the entry, the field and the key.
	run "${K[@]}" patch configmap plain --type json -p '[{"op":"replace","path":"/metadata/managedFields","value":[{"manager":"m","operation":"Update","fieldsV1":{"f:data":{"x:y":{}}}}]}]'
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'metadata.managedFields[0].fieldsV1'*'`f:data.x:y`: not a path element'* ]]
	run "${K[@]}" patch configmap plain --type json -p '[{"op":"replace","path":"/metadata/managedFields","value":[{"manager":"m","operation":"Delete"}]}]'
	[[ "$output" == *'metadata.managedFields[0].operation'*'must be `Apply` or `Update`'* ]]
	[ "$(managers configmap plain)" = "importer/Apply" ]

	# Field managers: at most 128 printable characters; required for an apply.
	run "${K[@]}" patch configmap plain --field-manager="$(printf 'm%.0s' $(seq 129))" --type merge -p '{"data":{"c":"3"}}'
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'The PatchOptions "" is invalid: fieldManager: Too long'* ]]
	run curl_api PATCH '/api/v1/namespaces/default/configmaps/plain' -H 'Content-Type: application/apply-patch+yaml' \
		--data-binary '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"plain"}}'
	echo "$output"
	[[ "$output" == *'"code":422'* && "$output" == *'fieldManager: Required value: is required for apply patch'* ]]
	run curl_api PATCH '/api/v1/namespaces/default/configmaps/plain?fieldManager=x' \
		-H 'Content-Type: application/apply-patch+yaml' \
		--data-binary '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"plain","managedFields":[]}}'
	[[ "$output" == *'"code":400'* && "$output" == *'metadata.managedFields must be nil'* ]]
	run curl_api PATCH '/api/v1/namespaces/default/pods/p?fieldManager=x' \
		-H 'Content-Type: application/apply-patch+yaml' \
		--data-binary '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"i"},{"name":"a","image":"j"}]}}'
	echo "$output"
	[[ "$output" == *'"code":422'* && "$output" == *'spec.containers: duplicate entries for key [name=\"a\"]'* ]]
	run curl_api PATCH '/api/v1/namespaces/default/configmaps/plain?force=true' \
		-H 'Content-Type: application/merge-patch+json' --data-binary '{"data":{"d":"4"}}'
	[[ "$output" == *'force: Forbidden: may not be specified for non-apply patch'* ]]
}

@test "apply: kubectl 1.27 and 1.33 apply server-side and meet the same conflict" {
	local ran=0
	for v in 1.27 1.33; do
		other="/usr/lib/google-cloud-sdk/bin/kubectl.$v"
		[ -x "$other" ] || continue
		ran=1
		run "$other" apply --server-side -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"v'"${v/./-}"'"},"data":{"k":"1"}}'
		echo "$output"
		[ "$status" -eq 0 ]
		run "$other" apply --server-side --field-manager=rival -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"v'"${v/./-}"'"},"data":{"k":"2"}}'
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *'Apply failed with 1 conflict: conflict with "kubectl": .data.k'* ]]
	done
	[ "$ran" -eq 1 ] || skip "kubectl 1.27 and 1.33 are not installed"
}

@test "apply: the official JavaScript client (@kubernetes/client-node) applies, meets a conflict and forces" {
	command -v node >/dev/null || skip "node is not installed (scripts/install-deps installs it)"
	[ -d "$COCOON_ROOT/tests/js/node_modules/@kubernetes/client-node" ] || skip "tests/js is not installed (npm ci)"
	run node "$COCOON_ROOT/tests/integration/helpers/k8s_js_apply.mjs" default
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"managers":["js-controller/Apply"]'* && "$output" == *'"owned":["f:mode"]'* ]]
	[[ "$output" == *'"conflict":409'* && "$output" == *'"reason":"Conflict"'* ]]
	[[ "$output" == *'"message":"Apply failed with 1 conflict: conflict with \"js-controller\": .data.mode"'* ]]
	[[ "$output" == *'"reason":"FieldManagerConflict"'* ]]
	[[ "$output" == *'"forced":"slow"'* && "$output" == *'"after":["js-other"]'* ]]
}
