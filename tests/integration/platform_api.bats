#!/usr/bin/env bats
# cocoond's Kubernetes API driven by the real kubectl (issue 13): discovery, the first objects of a
# cluster, create/get/list/apply/patch/label/delete, watches, chunked lists, conflicts, validation,
# namespaces, and authorization. kubectl is not a Debian package: the tests skip where it is absent.

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

# A client certificate for CN=dev, O=developers from the node CA: authenticated, not an administrator.
make_developer_certificate() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/dev.key" \
		-subj "/CN=dev/O=developers" -out "$TMP/dev.csr" 2>/dev/null
	openssl x509 -req -in "$TMP/dev.csr" -CA "$TMP/data/pki/ca.crt" -CAkey "$TMP/data/pki/ca.key" \
		-days 1 -out "$TMP/dev.crt" -extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
}

# kubectl as that developer.
as_developer() {
	"$KUBECTL" --kubeconfig /dev/null --cache-dir "$TMP/dev-cache" --server "https://127.0.0.1:$PORT" \
		--certificate-authority "$TMP/data/pki/ca.crt" --client-certificate "$TMP/dev.crt" \
		--client-key "$TMP/dev.key" "$@"
}

teardown() {
	[ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null
	stop_cocoond
	# What a `cocoon up` test started, should it have failed before its `cocoon down`.
	[ -e "$TMP/up/cocoond.pid" ] && "$COCOON" down --data-dir "$TMP/up" --timeout 10 >/dev/null 2>&1
	rm -rf "$TMP"
}

@test "platform: a fresh cocoond is a cluster kubectl knows: version, node, namespaces, discovery" {
	[ "$(stat -c %a "$KUBECONFIG")" = 600 ]
	run "${K[@]}" version -o json
	echo "$output"
	[[ "$output" == *'"gitVersion": "v1.30.0+cocoon-'* ]]
	run "${K[@]}" get nodes
	echo "$output"
	[[ "$output" == *"$(hostname)"*" Ready "* ]]
	run "${K[@]}" get namespaces -o name
	[[ "$output" == *"namespace/default"* && "$output" == *"namespace/kube-system"* ]]
	run "${K[@]}" get serviceaccount default -n kube-public -o jsonpath='{.metadata.name}'
	[ "$output" = default ]
	run "${K[@]}" api-resources
	echo "$output"
	[[ "$output" == *"deployments"*"deploy"*"apps/v1"*"true"*"Deployment"* ]]
	[[ "$output" == *"configmaps"*"cm"* ]]
	# discovery's verbs are what the API allows: the Node is cocoond's to create and delete
	run "${K[@]}" api-resources -o wide
	echo "$output" | grep -E '^nodes ' | grep -q ' get,list,patch,update,watch '
	echo "$output" | grep -E '^selfsubjectaccessreviews ' | grep -qE ' create +$'
	echo "$output" | grep -E '^tenants ' | grep -q 'tenancy.cocoon.dev/v1alpha1.*Tenant'
}

@test "platform: configmaps and secrets: create, get, label, patch, apply twice, delete" {
	run "${K[@]}" create configmap app --from-literal=mode=fast
	[ "$status" -eq 0 ]
	[ "$output" = "configmap/app created" ]
	run "${K[@]}" get configmap app -o jsonpath='{.data.mode}'
	[ "$output" = fast ]
	run "${K[@]}" get configmap app
	echo "$output"
	[[ "$output" == *"NAME"*"DATA"*"AGE"* && "$output" == *"app "*"1 "* ]]
	"${K[@]}" label configmap app tier=web
	run "${K[@]}" get configmaps -l tier=web -o name
	[ "$output" = "configmap/app" ]
	run "${K[@]}" get configmaps -l 'tier in (db)' -o name
	[ -z "$output" ]
	"${K[@]}" patch configmap app --type merge -p '{"data":{"mode":"slow"}}'
	[ "$("${K[@]}" get cm app -o jsonpath='{.data.mode}')" = slow ]
	"${K[@]}" patch configmap app --type json -p '[{"op":"add","path":"/data/extra","value":"1"}]'
	[ "$("${K[@]}" get cm app -o jsonpath='{.data.extra}')" = 1 ]
	cat >"$TMP/cm.yaml" <<-YAML
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: settings, labels: {app: web}}
	data: {replicas: "2"}
	YAML
	run "${K[@]}" apply -f "$TMP/cm.yaml"
	[ "$output" = "configmap/settings created" ]
	run "${K[@]}" apply -f "$TMP/cm.yaml"
	[ "$output" = "configmap/settings unchanged" ]
	sed -i 's/"2"/"3"/' "$TMP/cm.yaml"
	run "${K[@]}" apply -f "$TMP/cm.yaml"
	[ "$output" = "configmap/settings configured" ]
	[ "$("${K[@]}" get cm settings -o jsonpath='{.data.replicas}')" = 3 ]
	run "${K[@]}" create secret generic db --from-literal=password=s3cret
	[ "$output" = "secret/db created" ]
	[ "$("${K[@]}" get secret db -o jsonpath='{.data.password}' | base64 -d)" = s3cret ]
	run "${K[@]}" delete configmap app
	[ "$output" = 'configmap "app" deleted' ]
	run "${K[@]}" get configmap app
	[ "$status" -ne 0 ]
	[[ "$output" == *'Error from server (NotFound): configmaps "app" not found'* ]]
}

@test "platform: Secrets are sealed in the store, readable through the API, bound to their key" {
	"${K[@]}" create secret generic vault --from-literal=password=correct-horse-battery
	"${K[@]}" create secret generic other --from-literal=password=other-value
	[ "$("${K[@]}" get secret vault -o jsonpath='{.data.password}' | base64 -d)" = correct-horse-battery ]
	# Neither the value nor its base64 is anywhere in the SQLite files (the WAL included).
	! grep -qa -e correct-horse-battery -e "$(printf correct-horse-battery | base64)" "$TMP/data"/state.db* || false
	[ "$(stat -c %a "$TMP/data/secrets-root.key")" = 600 ]
	# A ConfigMap is not sealed (only Secrets are).
	"${K[@]}" create configmap plain --from-literal=k=visible-in-the-store
	stop_cocoond
	"$SYSTEM_PYTHON" - "$TMP/data/state.db" <<-'PY'
	import sqlite3, sys
	db = sqlite3.connect(sys.argv[1])
	rows = dict(db.execute("select key, value from kv where key like '/registry/core/secrets/default/%'").fetchall())
	assert all(bytes(v).startswith(b"cocoon:enc:v1:") for v in rows.values()), rows
	# Move one Secret's sealed value under the other's key: it must not open there.
	db.execute("update kv set value = ? where key = '/registry/core/secrets/default/other'",
	           (rows["/registry/core/secrets/default/vault"],))
	db.commit()
	PY
	start_cocoond "$TMP/data" "$PORT"
	[ "$("${K[@]}" get secret vault -o jsonpath='{.data.password}' | base64 -d)" = correct-horse-battery ]
	run "${K[@]}" get secret other
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"belongs to another key"* ]]
	grep -qa visible-in-the-store "$TMP/data"/state.db*
}

@test "platform: events older than an hour expire, as kube-apiserver's --event-ttl" {
	old="$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)"
	new="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	for e in "stale $old" "fresh $new"; do
		set -- $e
		printf '{"apiVersion":"v1","kind":"Event","metadata":{"name":"%s"},"involvedObject":{"kind":"Pod","name":"x","namespace":"default"},"reason":"Test","message":"m","type":"Normal","firstTimestamp":"%s","lastTimestamp":"%s","count":1}' \
			"$1" "$2" "$2" | "${K[@]}" create -f -
	done
	for _ in $(seq 1 100); do "${K[@]}" get event stale >/dev/null 2>&1 || break; sleep 0.1; done
	run "${K[@]}" get event stale
	[ "$status" -ne 0 ]
	"${K[@]}" get event fresh
}

@test "platform: names that become paths on the node are refused: volumes, init containers, duplicates" {
	cat >"$TMP/bad.yaml" <<-'YAML'
	apiVersion: v1
	kind: Pod
	metadata: {name: escape}
	spec:
	  initContainers: [{name: "../../etc/x", image: busybox}, {name: main, image: busybox}]
	  containers: [{name: main, image: busybox}]
	  volumes: [{name: "../../../../etc", emptyDir: {}}, {name: ok, emptyDir: {}}, {name: ok, emptyDir: {}}]
	YAML
	run "${K[@]}" apply -f "$TMP/bad.yaml"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'spec.initContainers[0].name'* ]]
	[[ "$output" == *'spec.containers[0].name: Duplicate value: "main"'* ]]
	[[ "$output" == *'spec.volumes[0].name'* ]]
	[[ "$output" == *'spec.volumes[2].name: Duplicate value: "ok"'* ]]
}

@test "platform: a watch sees changes as they happen" {
	"${K[@]}" get configmaps --watch -o name >"$TMP/watch.out" 2>&1 3>&- &
	WATCH_PID=$!
	sleep 1
	"${K[@]}" create configmap seen-by-watch --from-literal=a=b
	for _ in $(seq 1 50); do grep -q seen-by-watch "$TMP/watch.out" && break; sleep 0.1; done
	cat "$TMP/watch.out"
	grep -q "configmap/seen-by-watch" "$TMP/watch.out"
}

@test "platform: lists come in chunks; a stale update is a conflict; invalid objects name the field" {
	for i in $(seq 1 25); do echo "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c$i\"}}"; done |
		"${K[@]}" create -f - >/dev/null
	run "${K[@]}" get configmaps --chunk-size=7 -o name
	[ "$(echo "$output" | grep -c '^configmap/c')" -eq 25 ]
	"${K[@]}" get configmap c1 -o json >"$TMP/c1.json"
	"${K[@]}" label configmap c1 touched=yes
	run "${K[@]}" replace -f "$TMP/c1.json"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Conflict"*"the object has been modified"* ]]
	run "${K[@]}" create configmap Bad_Name
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"metadata.name"*"RFC 1123"* ]]
	run "${K[@]}" create configmap c2
	echo "$output"
	[[ "$output" == *'configmaps "c2" already exists'* ]]
	run "${K[@]}" get configmaps -o name --field-selector metadata.name=c2
	[ "$output" = configmap/c2 ]
}

@test "platform: namespaces hold their objects and take them when deleted" {
	"${K[@]}" create namespace team-a
	[ "$("${K[@]}" get sa -n team-a -o name)" = serviceaccount/default ]
	"${K[@]}" create configmap inside -n team-a
	run "${K[@]}" create configmap nowhere -n no-such-namespace
	[[ "$output" == *'namespaces "no-such-namespace" not found'* ]]
	run "${K[@]}" get configmaps -A
	[[ "$output" == *"team-a"*"inside"* ]]
	"${K[@]}" delete namespace team-a
	run "${K[@]}" get configmap inside -n team-a
	[ "$status" -ne 0 ]
}

@test "platform: a Deployment is validated and stored with Kubernetes' defaults" {
	cat >"$TMP/deploy.yaml" <<-YAML
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web}
	spec:
	  replicas: 2
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec:
	      containers:
	      - {name: httpd, image: localhost/busybox, ports: [{containerPort: 8080}]}
	YAML
	run "${K[@]}" apply -f "$TMP/deploy.yaml"
	[ "$output" = "deployment.apps/web created" ]
	[ "$("${K[@]}" get deploy web -o jsonpath='{.spec.strategy.rollingUpdate.maxSurge}')" = 25% ]
	# Client-side apply of a changed image and replica count: a strategic merge patch.
	sed -i 's/replicas: 2/replicas: 3/; s|localhost/busybox|localhost/busybox:2|' "$TMP/deploy.yaml"
	run "${K[@]}" apply -f "$TMP/deploy.yaml"
	[ "$output" = "deployment.apps/web configured" ]
	[ "$("${K[@]}" get deploy web -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].image}')" = "3 localhost/busybox:2" ]
	[ "$("${K[@]}" get deploy web -o jsonpath='{.metadata.generation}')" = 2 ]
	sed -i 's/app: web}}$/app: other}}/' "$TMP/deploy.yaml"
	printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: broken}\nspec:\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: b}}\n    spec: {containers: [{name: c, image: x}]}\n' >"$TMP/broken.yaml"
	run "${K[@]}" apply -f "$TMP/broken.yaml"
	echo "$output"
	[[ "$output" == *'selector` does not match template `labels`'* ]]
}

@test "platform: a user no binding names is refused in kube-apiserver's words, and each refusal is an event" {
	make_developer_certificate
	run as_developer get configmaps
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'Error from server (Forbidden): configmaps is forbidden: User "dev" cannot list resource "configmaps" in API group "" in the namespace "default"'* ]]
	run curl -s --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/dev.crt" --key "$TMP/dev.key" \
		"https://127.0.0.1:$PORT/apis/apps/v1/namespaces/default/deployments/web"
	echo "$output"
	[[ "$output" == *'"reason":"Forbidden"'* && "$output" == *'deployments.apps \"web\" is forbidden: User \"dev\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"default\"'* ]]
	# Each decision is a security event naming the user, its groups and the request.
	grep '"action":"api.authorize"' "$TMP/data/events.jsonl" | grep '"actor":"dev"' | grep '"verdict":"deny"' |
		grep -q 'get apps/deployments in default web'
}

@test "platform: state survives a restart, and kubectl 1.27 and 1.33 work as well" {
	"${K[@]}" create configmap durable --from-literal=k=v
	rv="$("${K[@]}" get cm durable -o jsonpath='{.metadata.resourceVersion}')"
	stop_cocoond
	start_cocoond "$TMP/data" "$PORT"
	[ "$("${K[@]}" get cm durable -o jsonpath='{.data.k}')" = v ]
	"${K[@]}" create configmap after-restart
	[ "$("${K[@]}" get cm after-restart -o jsonpath='{.metadata.resourceVersion}')" -gt "$rv" ]
	for v in 1.27 1.33; do
		other="/usr/lib/google-cloud-sdk/bin/kubectl.$v"
		[ -x "$other" ] || continue
		run "$other" get configmaps durable -o name
		echo "kubectl $v: $output"
		[ "$output" = configmap/durable ]
		run "$other" apply -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-'"${v/./-}"'"}}'
		[ "$status" -eq 0 ]
	done
}

@test "platform: a Deployment makes a ReplicaSet and its Pods; scale, a new template, delete take them along" {
	"${K[@]}" create deployment web --image=localhost/busybox --replicas=2
	for _ in $(seq 1 50); do [ "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 2 ] && break; sleep 0.1; done
	run "${K[@]}" get replicasets -l app=web -o jsonpath='{.items[*].metadata.ownerReferences[0].kind}'
	[ "$output" = Deployment ]
	[ "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 2 ]
	run "${K[@]}" get pods -l app=web -o jsonpath='{.items[0].metadata.ownerReferences[0].kind}'
	[ "$output" = ReplicaSet ]
	# This cocoond runs no pods (--no-pods): they stay Pending, and the Deployment says it is not
	# available.
	[ "$("${K[@]}" get deploy web -o jsonpath='{.status.conditions[?(@.type=="Available")].status}')" = False ]
	"${K[@]}" scale deployment web --replicas=3
	for _ in $(seq 1 50); do [ "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 3 ] && break; sleep 0.1; done
	[ "$("${K[@]}" get pods -l app=web -o name | wc -l)" -eq 3 ]
	"${K[@]}" set image deployment/web busybox=localhost/busybox:2
	for _ in $(seq 1 50); do [ "$("${K[@]}" get rs -l app=web -o name | wc -l)" -eq 2 ] && break; sleep 0.1; done
	run "${K[@]}" get rs -l app=web -o jsonpath='{range .items[*]}{.spec.replicas} {.spec.template.spec.containers[0].image}{"\n"}{end}'
	echo "$output"
	# A rolling update (25% surge, 25% unavailable of 3: 1 and 0) starts the new set with one pod and
	# keeps the old three, as none of the new pods becomes available here (pods.bats rolls to the end).
	[[ "$output" == *"1 localhost/busybox:2"* && "$output" == *"3 localhost/busybox"* ]]
	"${K[@]}" delete deployment web
	for _ in $(seq 1 50); do [ -z "$("${K[@]}" get rs,pods -l app=web -o name)" ] && break; sleep 0.1; done
	[ -z "$("${K[@]}" get rs,pods -l app=web -o name)" ]
}

@test "platform: cocoon up starts it in the background, kubeconfig prints its access, down stops it" {
	stop_cocoond
	port="$(free_port)"
	run "$COCOON" up --data-dir "$TMP/up" --log-dir "$TMP/log" --listen "127.0.0.1:$port" -- --no-pods
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"kubectl --kubeconfig $TMP/up/kubeconfig get nodes"* ]]
	run "$COCOON" up --data-dir "$TMP/up" --log-dir "$TMP/log" --listen "127.0.0.1:$port" -- --no-pods
	[[ "$output" == *"already running"* ]]
	"$COCOON" kubeconfig --data-dir "$TMP/up" >"$TMP/kc"
	run "$KUBECTL" --kubeconfig "$TMP/kc" get namespace default -o name
	[ "$output" = namespace/default ]
	[ -s "$TMP/log/cocoond.log" ]
	run "$COCOON" down --data-dir "$TMP/up"
	[ "$output" = "cocoond stopped" ]
	[ ! -e "$TMP/up/cocoond.sock" ] && [ ! -e "$TMP/up/cocoond.pid" ]
	run "$COCOON" kubeconfig --data-dir "$TMP/nowhere"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cocoon up"* ]]
}

@test "platform: cocoon up --audit-config starts the audit forwarder beside cocoond; down stops both" {
	stop_cocoond
	port="$(free_port)"
	printf 'outputs:\n- url: file:%s\n  format: json\n' "$TMP/siem.jsonl" >"$TMP/audit.yaml"
	run "$COCOON" up --data-dir "$TMP/up" --log-dir "$TMP/log" --listen "127.0.0.1:$port" \
		--audit-config "$TMP/audit.yaml" -- --no-pods --run-dir "$TMP/run"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"audit forwarder running"* ]]
	forwarder="$(cat "$TMP/up/audit-forward.pid")"
	kill -0 "$forwarder"
	"$KUBECTL" --kubeconfig "$TMP/up/kubeconfig" create configmap forwarded --from-literal=a=b
	for _ in $(seq 1 100); do grep -q '"forwarded"' "$TMP/siem.jsonl" 2>/dev/null && break; sleep 0.1; done
	grep -q '"forwarded"' "$TMP/siem.jsonl"
	run "$COCOON" down --data-dir "$TMP/up"
	[ "$status" -eq 0 ]
	! kill -0 "$forwarder" 2>/dev/null || false
	[ ! -e "$TMP/up/audit-forward.pid" ]
}

@test "platform: every API request is a Kubernetes audit event (no Secret data), and the forwarder takes the log" {
	"${K[@]}" create secret generic audited --from-literal=password=never-in-the-log
	"${K[@]}" get secret audited -o name
	"${K[@]}" delete secret audited
	log="$TMP/data/audit.log"
	[ "$(stat -c %a "$log")" = 600 ]
	grep '"verb":"create"' "$log" | grep '"resource":"secrets"' | grep -q '"username":"admin"'
	grep -q '"verb":"delete".*"name":"audited"\|"name":"audited".*"verb":"delete"' "$log"
	! grep -q never-in-the-log "$log" || false
	! grep -q "$(printf never-in-the-log | base64)" "$log" || false
	/usr/bin/python3 -c 'import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["kind"] == "Event" and e["apiVersion"] == "audit.k8s.io/v1" and e["level"] == "Metadata", e
    assert e["stage"] in ("ResponseComplete", "ResponseStarted") and e["responseStatus"]["code"] > 0, e' "$log"
	# The audit pipeline reads it as it reads kube-apiserver's log.
	"$COCOON" audit forward --input "k8s-audit:$log" --queue "$TMP/queue" --once --output "file:$TMP/forwarded.jsonl"
	[ "$(wc -l <"$TMP/forwarded.jsonl")" -eq "$(wc -l <"$log")" ]
	grep '"action":"k8s.create"' "$TMP/forwarded.jsonl" | grep -q '"resource":"secrets"'
}

@test "platform: an audit policy file sets each request's level, as kube-apiserver's --audit-policy-file" {
	stop_cocoond
	cat >"$TMP/policy.yaml" <<-'YAML'
	apiVersion: audit.k8s.io/v1
	kind: Policy
	rules:
	- level: None
	  nonResourceURLs: ["/api*", "/apis*", "/version", "/openapi*"]
	- level: None
	  verbs: [get, list, watch]
	  resources: [{group: "", resources: [configmaps]}]
	- level: Metadata
	  resources: [{group: "", resources: [secrets]}]
	- level: RequestResponse
	  resources: [{group: "", resources: [configmaps]}]
	- level: Request
	  resources: [{group: apps, resources: ["*"]}]
	YAML
	rm -f "$TMP/data/audit.log"
	start_cocoond "$TMP/data" "$PORT" --audit-policy "$TMP/policy.yaml"
	"${K[@]}" create configmap policy-cm --from-literal=color=turquoise
	"${K[@]}" get configmap policy-cm -o name
	"${K[@]}" create secret generic policy-secret --from-literal=password=not-even-under-policy
	"${K[@]}" create deployment policy-web --image=localhost/busybox
	log="$TMP/data/audit.log"
	"$SYSTEM_PYTHON" - "$log" <<-'PY'
	import json, sys
	events = [json.loads(l) for l in open(sys.argv[1])]
	by = lambda res, verb: [e for e in events if e.get("objectRef", {}).get("resource") == res and e["verb"] == verb]
	cm = by("configmaps", "create")
	assert len(cm) == 1 and cm[0]["level"] == "RequestResponse", cm
	assert cm[0]["requestObject"]["data"]["color"] == "turquoise" and cm[0]["responseObject"]["metadata"]["uid"]
	assert not by("configmaps", "get"), "get of configmaps is None"
	sec = by("secrets", "create")
	assert len(sec) == 1 and sec[0]["level"] == "Metadata" and "requestObject" not in sec[0], sec
	dep = by("deployments", "create")
	assert len(dep) == 1 and dep[0]["level"] == "Request" and "requestObject" in dep[0] and "responseObject" not in dep[0]
	assert not [e for e in events if "objectRef" not in e], "discovery is None"
	PY
	! grep -q not-even-under-policy "$log" || false
	# A malformed policy stops cocoond at start, naming the rule.
	stop_cocoond
	printf 'kind: Policy\nrules: [{level: Loud}]\n' >"$TMP/bad.yaml"
	run "$COCOOND" --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" --no-pods --audit-policy "$TMP/bad.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rules[0].level"* ]]
	start_cocoond "$TMP/data" "$PORT"
}

@test "platform: kubectl auth can-i answers from the authorizer, for administrators and others" {
	run "${K[@]}" auth can-i delete pods
	[ "$output" = yes ]
	make_developer_certificate
	run as_developer auth can-i get configmaps
	echo "$output"
	[ "$output" = no ]
	[[ "$output" != *"doesn't have a resource type"* ]] # discovery is open to every authenticated user
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: dev-view}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
		subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: dev}]
	YAML
	run as_developer auth can-i get configmaps
	[ "$output" = yes ]
	run as_developer auth can-i get secrets
	[ "$output" = no ]
}

@test "platform: the official JavaScript client (@kubernetes/client-node) lists, writes, patches, watches and reads errors" {
	command -v node >/dev/null || skip "node is not installed (scripts/install-deps installs it)"
	[ -d "$COCOON_ROOT/tests/js/node_modules/@kubernetes/client-node" ] || skip "tests/js is not installed (npm ci)"
	run node "$COCOON_ROOT/tests/integration/helpers/k8s_js_client.mjs" default
	echo "$output"
	[ "$status" -eq 0 ]
	json="$(echo "$output" | tail -1)"
	[ "$(echo "$json" | jq -c .namespaces)" = '["default","kube-node-lease","kube-public","kube-system"]' ]
	[ "$(echo "$json" | jq -r .created)" = from-js ]
	[ "$(echo "$json" | jq -c .patched)" = '{"a":"1","b":"2"}' ]
	[ "$(echo "$json" | jq -c .listed)" = '["from-js"]' ]
	[ "$(echo "$json" | jq -c .events)" = '["ADDED from-js","MODIFIED from-js","DELETED from-js"]' ]
	[ "$(echo "$json" | jq .missing)" = 404 ]
	[ "$(echo "$json" | jq -r .missingReason)" = NotFound ]
	[ "$(echo "$json" | jq .scale)" = 2 ]
}

@test "platform: kubectl 1.33 sends protobuf bodies: its create subcommands, create token, auth can-i and whoami work" {
	local kc=/usr/lib/google-cloud-sdk/bin/kubectl.1.33
	[ -x "$kc" ] || skip "kubectl 1.33 is not installed on this machine"
	K33=("$kc" --request-timeout=10s --cache-dir "$TMP/cache-133")
	"${K33[@]}" create namespace pb
	"${K33[@]}" -n pb create serviceaccount robot
	"${K33[@]}" -n pb create deployment web --image=busybox --replicas=0 --port=8080
	"${K33[@]}" -n pb create service clusterip web --tcp=80:8080
	"${K33[@]}" -n pb create secret generic s --from-literal=password=s3cret --from-literal=empty=
	"${K33[@]}" -n pb create configmap c --from-literal=a=b
	"${K33[@]}" -n pb create role reader --verb=get,list --resource=pods,configmaps
	"${K33[@]}" -n pb create rolebinding robot-reader --role=reader --serviceaccount=pb:robot
	"${K33[@]}" create clusterrole pod-viewer --verb=get --resource=pods
	"${K33[@]}" create clusterrolebinding robot-pods --clusterrole=pod-viewer --serviceaccount=pb:robot
	# What they made is what JSON would have made: zero replicas kept, the empty secret value kept.
	[ "$("${K[@]}" -n pb get deployment web -o jsonpath='{.spec.replicas}')" = 0 ]
	[ "$("${K[@]}" -n pb get deployment web -o jsonpath='{.spec.template.spec.containers[0].ports[0].containerPort}')" = 8080 ]
	[ "$("${K[@]}" -n pb get service web -o jsonpath='{.spec.ports[0].targetPort}')" = 8080 ]
	[ "$("${K[@]}" -n pb get secret s -o jsonpath='{.data.password}' | base64 -d)" = s3cret ]
	[ "$("${K[@]}" -n pb get secret s -o json | jq -r '.data | has("empty")')" = true ]
	[ "$("${K[@]}" -n pb get rolebinding robot-reader -o jsonpath='{.subjects[0].namespace}')" = pb ]
	token="$("${K33[@]}" -n pb create token robot --duration=15m)"
	[ "$("${K33[@]}" auth can-i list configmaps -n pb --token "$token" --kubeconfig /dev/null \
		--server "https://127.0.0.1:$PORT" --certificate-authority "$TMP/data/pki/ca.crt")" = yes ]
	run "${K33[@]}" auth whoami --token "$token" --kubeconfig /dev/null --server "https://127.0.0.1:$PORT" \
		--certificate-authority "$TMP/data/pki/ca.crt"
	echo "$output"
	[[ "$output" == *"system:serviceaccount:pb:robot"* ]]
	# A body that is not protobuf at all is a 400 naming the problem.
	run curl -sS --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/data/pki/admin.crt" --key "$TMP/data/pki/admin.key" \
		-H 'Content-Type: application/vnd.kubernetes.protobuf' --data-binary 'k8s?garbage' \
		"https://127.0.0.1:$PORT/api/v1/namespaces/pb/configmaps"
	echo "$output"
	[[ "$output" == *'"code":400'* ]]
}
