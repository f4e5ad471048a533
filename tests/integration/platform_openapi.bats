#!/usr/bin/env bats
# cocoond's OpenAPI v3 documents and server-side field validation, driven by the real kubectl:
# `kubectl explain` reads the schemas (generated from kubernetes-models, embedded in cocoond), and
# `kubectl apply` sends fieldValidation=Strict (its default), Warn (--validate=warn) or Ignore
# (--validate=false). kubectl is not a Debian package: the tests skip where it is absent; the other
# kubectl versions of the machine (kubectl.1.27 ... kubectl.1.33) are tried where present.

load helpers/common

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
SDK_BIN=/usr/lib/google-cloud-sdk/bin

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
	export KUBECONFIG="$TMP/data/kubeconfig"
	K=("$KUBECTL" --request-timeout=10s --cache-dir "$TMP/cache")
	cat >"$TMP/typo.yaml" <<-'YAML'
		apiVersion: v1
		kind: Pod
		metadata:
		  name: typo
		spec:
		  containers:
		  - name: c
		    image: busybox
		    imagePullPolicyy: Always
	YAML
	cat >"$TMP/typo-deploy.yaml" <<-'YAML'
		apiVersion: apps/v1
		kind: Deployment
		metadata:
		  name: typo
		spec:
		  selector:
		    matchLabels: {app: typo}
		  template:
		    metadata:
		      labels: {app: typo}
		    spec:
		      containers:
		      - name: c
		        image: busybox
		        imagePullPolicyy: Always
	YAML
}

teardown() {
	stop_cocoond
	rm -rf "$TMP"
}

# The kubectl binaries to try: the default one and every versioned one installed.
kubectls() {
	echo "$KUBECTL"
	for v in 1.27 1.28 1.29 1.31 1.32 1.33; do
		[ -x "$SDK_BIN/kubectl.$v" ] && echo "$SDK_BIN/kubectl.$v"
	done
	true
}

@test "platform openapi: the v3 index hands out hashed URLs; a document is cached by its hash" {
	run "${K[@]}" get --raw /openapi/v3
	[ "$status" -eq 0 ]
	url="$(echo "$output" | jq -r '.paths["apis/apps/v1"].serverRelativeURL')"
	[[ "$url" =~ ^/openapi/v3/apis/apps/v1\?hash=[0-9A-F]{128}$ ]]
	echo "$output" | jq -e '.paths["api/v1"] and .paths["apis/rbac.authorization.k8s.io/v1"] and .paths["apis/autoscaling/v1"]'
	run "${K[@]}" get --raw "$url"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.components.schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"][0].kind == "Deployment"'
	echo "$output" | jq -e '.components.schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["x-kubernetes-int-or-string"] == true'
	echo "$output" | jq -e '.components.schemas["io.k8s.api.apps.v1.DeploymentSpec"].properties.replicas.format == "int32"'
	# Headers as kube-openapi's handler3: immutable with the current hash, a redirect with an old one.
	hash="${url##*hash=}"
	run curl -sS -D - -o /dev/null --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/data/pki/admin.crt" \
		--key "$TMP/data/pki/admin.key" "https://127.0.0.1:$PORT$url"
	echo "$output"
	[[ "${output,,}" == *"etag: \"${hash,,}\""* ]]
	[[ "$output" == *"public, immutable"* ]]
	run curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' --cacert "$TMP/data/pki/ca.crt" \
		--cert "$TMP/data/pki/admin.crt" --key "$TMP/data/pki/admin.key" \
		"https://127.0.0.1:$PORT/openapi/v3/apis/apps/v1?hash=0123"
	echo "$output"
	[[ "$output" == "301 "*"hash=$hash" ]]
}

@test "platform openapi: kubectl explain reads the schemas" {
	while read -r kubectl; do
		run "$kubectl" --cache-dir "$TMP/cache-$(basename "$kubectl")" explain pod.spec.containers.image
		echo "$kubectl: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"KIND:"*"Pod"* && "$output" == *"FIELD: image <string>"* ]]
		[[ "$output" == *"Container image name."* ]]
	done < <(kubectls)
	run "${K[@]}" explain deployment.spec.strategy --recursive
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"GROUP:      apps"* && "$output" == *"FIELD: strategy <DeploymentStrategy>"* ]]
	[[ "$output" == *"maxSurge"*"<IntOrString>"* && "$output" == *"enum: Recreate, RollingUpdate"* ]]
	run "${K[@]}" explain pods.spec.containers.resources.limits
	[[ "$output" == *"<map[string]Quantity>"* ]]
	run "${K[@]}" explain clusterrolebindings.subjects
	[ "$status" -eq 0 ]
	[[ "$output" == *"kind"*"-required-"* ]]
	run "${K[@]}" explain pods.spec.nosuchfield
	[ "$status" -ne 0 ]
	[[ "$output" == *'field "nosuchfield" does not exist'* ]]
}

@test "platform openapi: kubectl apply refuses an unknown field (Strict), warns (--validate=warn), passes (--validate=false)" {
	while read -r kubectl; do
		run "$kubectl" --cache-dir "$TMP/cache-$(basename "$kubectl")" apply -f "$TMP/typo.yaml"
		echo "$kubectl: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *'Error from server (BadRequest): error when creating'*'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagePullPolicyy"'* ]]
	done < <(kubectls)
	run "${K[@]}" get pod typo
	[ "$status" -ne 0 ]
	# Warn and Ignore let the object through without the field, as kube-apiserver drops it (a
	# Deployment: the pod admission of the namespace has no say in it).
	run "${K[@]}" apply -f "$TMP/typo-deploy.yaml" --validate=warn
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'Warning: unknown field "spec.template.spec.containers[0].imagePullPolicyy"'* ]]
	[[ "$output" == *"deployment.apps/typo created"* ]]
	run "${K[@]}" get deployment typo -o jsonpath='{.spec.template.spec.containers[0]}'
	echo "$output"
	[[ "$output" == *busybox* && "$output" != *imagePullPolicyy* ]]
	"${K[@]}" delete deployment typo
	run "${K[@]}" apply -f "$TMP/typo-deploy.yaml" --validate=false
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *'unknown field'* && "$output" == *"deployment.apps/typo created"* ]]
	run "${K[@]}" get deployment typo -o jsonpath='{.spec.template.spec.containers[0]}'
	[[ "$output" == *busybox* && "$output" != *imagePullPolicyy* ]]
}

@test "platform openapi: strict validation of updates, patches and the raw API" {
	"${K[@]}" create configmap c --from-literal=a=b
	# apply on an existing object: a strategic merge patch, its $ directives are not fields.
	run "${K[@]}" apply -f - <<-'YAML'
		apiVersion: v1
		kind: ConfigMap
		metadata:
		  name: c
		  labelz: {a: b}
		data: {a: c}
	YAML
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'strict decoding error: unknown field "metadata.labelz"'* ]]
	# kubectl patch sends no fieldValidation: the server's default, Warn, drops the field.
	run "${K[@]}" patch configmap c --type merge -p '{"data":{"x":"y"},"dataa":{"q":"r"}}'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'Warning: unknown field "dataa"'* ]]
	run "${K[@]}" get configmap c -o json
	[[ "$output" == *'"x": "y"'* && "$output" != *dataa* ]]
	# Maps take any key; the free objects of the schema (managedFields' fieldsV1) take anything.
	run "${K[@]}" get --raw /api/v1/namespaces/default/configmaps/c
	body="$(echo "$output" | jq -c '.metadata.labels = {"any.key/x": "v"} | .data["z"] = "1"')"
	run "${K[@]}" replace --validate=strict -f - <<<"$body"
	echo "$output"
	[ "$status" -eq 0 ]
	# Without the parameter the server warns (kube-apiserver's default is Warn); a bad value is 400.
	run curl -sS -D - --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/data/pki/admin.crt" \
		--key "$TMP/data/pki/admin.key" -H 'Content-Type: application/json' \
		-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"spec":{}}' \
		"https://127.0.0.1:$PORT/api/v1/namespaces/default/configmaps"
	echo "$output"
	# (HTTP/2 writes header names in lower case.)
	[[ "$output" == *" 201"* && "${output,,}" == *'warning: 299 - "unknown field \"spec\""'* ]]
	[[ "$output" != *'"spec"'*'{'* ]]
	run curl -sS --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/data/pki/admin.crt" \
		--key "$TMP/data/pki/admin.key" -H 'Content-Type: application/json' \
		-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"v"}}' \
		"https://127.0.0.1:$PORT/api/v1/namespaces/default/configmaps?fieldValidation=Sloppy"
	echo "$output"
	[[ "$output" == *'"code":400'* && "$output" == *"Unsupported value"* ]]
}
