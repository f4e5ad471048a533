#!/usr/bin/env bats
# cocoon scan config: manifests of every kind that makes pods (tests/fixtures/workloads), Lists,
# YAML streams, JSON and directories; the table and the JSON; --level, --no-confidential and
# --fail-on; the errors a user meets (a file that is not YAML, a document that is not an object,
# a missing path), each with its exit code. Where kubectl is installed, the phrases are compared
# with the refusals cocoond's Pod Security admission sends kubectl for the same pods (a real
# kube-apiserver cannot run here; cocoond's admission is the one pod_security.bats checks).

load helpers/common

bats_require_minimum_version 1.5.0

FIXTURES="$COCOON_ROOT/tests/fixtures/workloads"
KUBECTL="${KUBECTL:-$(command -v /usr/lib/google-cloud-sdk/bin/kubectl.1.33 kubectl | head -n 1 || true)}"

setup() {
	TMP="$(mktemp -d)"
}

teardown() {
	stop_cocoond
	rm -rf "$TMP"
}

# py EXPR: reads JSON on stdin as d and asserts EXPR.
py() {
	"$SYSTEM_PYTHON" -c "import json, sys; d = json.load(sys.stdin); assert $1, d"
}

@test "--help, and usage errors exit 2" {
	run "$COCOON" scan config --help
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage: cocoon scan config [OPTIONS] PATH..."* ]]
	[[ "$output" == *"--fail-on SEVERITY"* ]]
	run "$COCOON" scan --help
	[[ "$output" == *"config PATH..."* ]]
	run "$COCOON" scan config
	[ "$status" -eq 2 ]
	[[ "$output" == *"give at least one PATH"* ]]
	run "$COCOON" scan config --format xml "$FIXTURES"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--format takes table or json, not \`xml\`"* ]]
	run "$COCOON" scan config --level strict "$FIXTURES"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--level takes restricted, baseline or privileged"* ]]
	run "$COCOON" scan config --fail-on severe "$FIXTURES"
	[ "$status" -eq 2 ]
	run "$COCOON" scan config --bogus "$FIXTURES"
	[ "$status" -eq 2 ]
}

@test "every kind that makes pods: its template found where the kind keeps it" {
	run --separate-stderr "$COCOON" scan config --format json "$FIXTURES/every-kind.yaml"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	echo "$output" | py 'd["objects"] == 11 and d["target"] == "'"$FIXTURES/every-kind.yaml"'"'
	# 9 workloads x (4 restricted + runtime class, profile, image digest).
	echo "$output" | py 'len(d["misconfigurations"]) == 63'
	echo "$output" | "$SYSTEM_PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
want = {"Pod": "spec", "Deployment": "spec.template.spec", "StatefulSet": "spec.template.spec",
        "DaemonSet": "spec.template.spec", "ReplicaSet": "spec.template.spec",
        "ReplicationController": "spec.template.spec", "Job": "spec.template.spec",
        "CronJob": "spec.jobTemplate.spec.template.spec", "PodTemplate": "template.spec"}
seen = {}
for m in d["misconfigurations"]:
    seen.setdefault(m["kind"], []).append(m)
    assert m["file"].endswith("every-kind.yaml"), m
    assert set(m) <= {"id", "title", "severity", "category", "kind", "namespace", "name", "container", "field",
                      "message", "file"}, m
assert set(seen) == set(want), seen.keys()
for kind, items in seen.items():
    ids = sorted(m["id"] for m in items)
    assert ids == sorted(["PSS-RESTRICTED-PRIVILEGE-ESCALATION", "PSS-RESTRICTED-CAPABILITIES",
                          "PSS-RESTRICTED-RUN-AS-NON-ROOT", "PSS-RESTRICTED-SECCOMP", "CC-RUNTIME-CLASS",
                          "CC-PROFILE", "CC-IMAGE-DIGEST"]), (kind, ids)
    rc = [m for m in items if m["id"] == "CC-RUNTIME-CLASS"][0]
    assert rc["field"] == want[kind] + ".runtimeClassName", rc
    assert rc["name"] == kind.lower(), rc
    digest = [m for m in items if m["id"] == "CC-IMAGE-DIGEST"][0]
    assert digest["field"] == want[kind] + ".containers[0].image" and digest["container"] == "c", digest
    assert all(m["namespace"] == ("shop" if kind in ("Pod", "Deployment") else None) for m in items), items
'
}

@test "Lists in JSON, lists in lists, and objects that make no pods" {
	run "$COCOON" scan config --format json --no-confidential --level baseline "$FIXTURES/list.json"
	[ "$status" -eq 0 ]
	echo "$output" | py 'd["objects"] == 3'
	echo "$output" | py '[(m["kind"], m["name"], m["id"]) for m in d["misconfigurations"]] == [("Pod", "listed-pod", "PSS-BASELINE-HOST-NAMESPACES"), ("Deployment", "listed-deployment", "PSS-BASELINE-PRIVILEGED")]'
	echo "$output" | py 'd["misconfigurations"][1]["message"] == "privileged (container \"c\" must not set securityContext.privileged=true)"'
}

@test "a confidential restricted workload passes every check" {
	run --separate-stderr "$COCOON" scan config --fail-on low "$FIXTURES/confidential.yaml"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Objects: 1  Workloads: 1  Misconfigurations: 0 (critical 0, high 0, medium 0, low 0)" ]
	[ "${lines[1]}" = "Checks: Pod Security restricted:latest, cocoon confidential policy" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "the table: objects one after another, misconfigurations by severity" {
	cat >"$TMP/web.yaml" <<-'YAML'
	apiVersion: apps/v1
	kind: Deployment
	metadata: {name: web, namespace: shop}
	spec:
	  template:
	    spec:
	      runtimeClassName: cocoon
	      hostNetwork: true
	      containers:
	      - name: app
	        image: nginx:1.25
	        ports: [{containerPort: 80, hostPort: 8080}]
	YAML
	run "$COCOON" scan config --level baseline "$TMP/web.yaml" "$FIXTURES/confidential.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Objects: 2  Workloads: 2  Misconfigurations: 5 (critical 1, high 3, medium 1, low 0)" ]
	[ "${lines[1]}" = "Checks: Pod Security baseline:latest, cocoon confidential policy" ]
	[ "${lines[2]}" = "Deployment shop/web ($TMP/web.yaml)" ]
	[[ "${lines[3]}" =~ ^SEVERITY\ +ID\ +CONTAINER\ +FIELD\ +MESSAGE$ ]]
	[[ "${lines[4]}" =~ ^critical\ +CC-HOST-NAMESPACES\ +-\ +spec\.template\.spec\.hostNetwork\ +hostNetwork=true\ shares ]]
	[[ "${lines[5]}" =~ ^high\ +PSS-BASELINE-HOST-NAMESPACES\ +-\ +spec\.template\.spec\.hostNetwork\ +host\ namespaces\ \(hostNetwork=true\)$ ]]
	[[ "${lines[6]}" =~ ^high\ +CC-PROFILE\ +-\ +spec\.template\.metadata\.annotations\[run\.cocoon\.profile\] ]]
	[[ "${lines[7]}" =~ ^high\ +CC-IMAGE-DIGEST\ +app\ +spec\.template\.spec\.containers\[0\]\.image ]]
	[[ "${lines[8]}" =~ ^medium\ +PSS-BASELINE-HOST-PORTS\ +app\ +spec\.template\.spec\.containers\[0\]\.ports\[0\]\.hostPort\ +hostPort\ \(container\ \"app\"\ uses\ hostPort\ 8080\)$ ]]
	[ "${#lines[@]}" -eq 9 ] # the clean Deployment has no section
}

@test "--fail-on critical fails on a missing runtime class, --fail-on high on a tag" {
	cat >"$TMP/pod.yaml" <<-'YAML'
	kind: Pod
	metadata: {name: p, annotations: {run.cocoon.profile: confidential}}
	spec:
	  runtimeClassName: cocoon
	  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
	  containers:
	  - name: c
	    image: busybox:1.36
	    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
	YAML
	run --separate-stderr "$COCOON" scan config --fail-on critical "$TMP/pod.yaml"
	[ "$status" -eq 0 ]
	run --separate-stderr "$COCOON" scan config --fail-on high "$TMP/pod.yaml"
	[ "$status" -eq 1 ]
	[ "$stderr" = "cocoon scan config: misconfigurations at or above --fail-on high" ]
	run --separate-stderr "$COCOON" scan config --fail-on critical "$FIXTURES/every-kind.yaml"
	[ "$status" -eq 1 ] # CC-RUNTIME-CLASS is critical
}

@test "levels and the confidential switch" {
	run "$COCOON" scan config --format json --level baseline "$FIXTURES/every-kind.yaml"
	echo "$output" | py 'not [m for m in d["misconfigurations"] if m["category"] != "confidential"]'
	run "$COCOON" scan config --format json --no-confidential "$FIXTURES/every-kind.yaml"
	echo "$output" | py '{m["category"] for m in d["misconfigurations"]} == {"pod-security-restricted"}'
	run "$COCOON" scan config --format json --level privileged --no-confidential "$FIXTURES/every-kind.yaml"
	echo "$output" | py 'd["misconfigurations"] == [] and d["objects"] == 11'
}

@test "directories: manifests found below them in name order, the rest left alone" {
	mkdir -p "$TMP/m/b/deeper" "$TMP/m/.git" "$TMP/m/a"
	cp "$FIXTURES/list.json" "$TMP/m/b/deeper/list.json"
	printf 'kind: Pod\nmetadata: {name: two}\nspec: {hostIPC: true}\n' >"$TMP/m/a/two.yml"
	printf 'kind: Pod\nmetadata: {name: one}\nspec: {hostPID: true}\n' >"$TMP/m/one.yaml"
	printf 'not: [a manifest\n' >"$TMP/m/.git/config.yaml"   # hidden: skipped
	printf 'not: [a manifest\n' >"$TMP/m/README.md"          # not *.yaml, *.yml, *.json
	printf 'not: [a manifest\n' >"$TMP/m/.hidden.yaml"
	ln -s "$FIXTURES/every-kind.yaml" "$TMP/m/link.yaml"       # symbolic links are not followed
	run --separate-stderr "$COCOON" scan config --format json --level baseline --no-confidential "$TMP/m"
	echo "$stderr"
	[ "$status" -eq 0 ]
	echo "$output" | py 'd["objects"] == 5'
	echo "$output" | py '[m["name"] for m in d["misconfigurations"]] == ["two", "listed-pod", "listed-deployment", "one"]'
	echo "$output" | py 'd["misconfigurations"][0]["file"] == "'"$TMP/m/a/two.yml"'"'
	# Named on the command line, a symbolic link is followed.
	run "$COCOON" scan config --format json "$TMP/m/link.yaml"
	[ "$status" -eq 0 ]
	echo "$output" | py 'd["objects"] == 11'
}

@test "standard input" {
	run bash -c "'$COCOON' scan config --format json --level baseline - <'$FIXTURES/list.json'"
	[ "$status" -eq 0 ]
	echo "$output" | py 'd["target"] == "-" and d["objects"] == 3'
	echo "$output" | py 'd["misconfigurations"][0]["file"] == "-"'
}

@test "errors name the file, the document and its line; the other files are still scanned" {
	printf 'kind: Pod\nmetadata: {name: a}\nspec:\n  containers: [\n' >"$TMP/broken.yaml"
	printf -- '---\n# first\nkind: Pod\nmetadata: {name: first}\nspec: {hostPID: true}\n---\n\n---\n- just\n- a list\n---\napiVersion: v1\nkind: List\nitems:\n- {kind: Pod, spec: {}}\n- {apiVersion: v1}\n' >"$TMP/mixed.yaml"
	printf '{"kind": "Pod",}' >"$TMP/bad.json"
	run --separate-stderr "$COCOON" scan config --format json --level baseline --no-confidential \
		"$TMP/broken.yaml" "$TMP/mixed.yaml" "$TMP/bad.json" "$TMP/missing.yaml"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cocoon scan config: $TMP/broken.yaml: invalid YAML at line 5"* ]]
	[[ "$stderr" == *"cocoon scan config: $TMP/mixed.yaml: document 2 (line 9): a list, not a Kubernetes object"* ]]
	[[ "$stderr" == *"cocoon scan config: $TMP/mixed.yaml: document 3 (line 12): items[1]: no \`kind\`: not a Kubernetes object"* ]]
	[[ "$stderr" == *"cocoon scan config: $TMP/bad.json"* ]]
	[[ "$stderr" == *"cocoon scan config: $TMP/missing.yaml: cannot open: No such file or directory"* ]]
	[[ "$stderr" == *"cocoon scan config: 4 files could not be read or are not Kubernetes manifests" ]]
	# What could be read is reported: the first document, and the List's first item.
	echo "$output" | py 'd["objects"] == 2'
	echo "$output" | py '[m["name"] for m in d["misconfigurations"]] == ["first"]'
}

@test "what is not a manifest file: too large, not UTF-8" {
	head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$TMP/huge.yaml"
	printf 'kind: Pod\nmetadata: {name: "\xff"}\n' >"$TMP/latin1.yaml"
	run --separate-stderr "$COCOON" scan config "$TMP/huge.yaml" "$TMP/latin1.yaml"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$TMP/huge.yaml"* ]]
	[[ "$stderr" == *"$TMP/latin1.yaml: invalid UTF-8 at byte 28 (line 2)"* ]]
}

# --- beside cocoond's admission ---

# kubectl_refusal FILE: the refusal cocoond's admission sends for the pod in FILE.
kubectl_refusal() {
	"$KUBECTL" --request-timeout=20s -n "$NS" create -f "$1" 2>&1 || true
}

# scanned LEVEL FILE: what `cocoon scan config` says of FILE at LEVEL, as kube-apiserver joins it.
scanned() {
	"$COCOON" scan config --format json --no-confidential --level "$1" "$2" |
		"$SYSTEM_PYTHON" -c 'import json, sys; print(", ".join(m["message"] for m in json.load(sys.stdin)["misconfigurations"]))'
}

@test "the phrases are those cocoond's Pod Security admission refuses the same pods with" {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	export PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
	export KUBECONFIG="$TMP/data/kubeconfig"
	NS=scan
	"$KUBECTL" create namespace "$NS" >/dev/null
	"$KUBECTL" label namespace "$NS" pod-security.kubernetes.io/enforce=restricted >/dev/null
	cat >"$TMP/rooted.yaml" <<-'YAML'
	apiVersion: v1
	kind: Pod
	metadata: {name: rooted}
	spec:
	  containers: [{name: rooted, image: localhost/busybox:latest}]
	YAML
	cat >"$TMP/escalating.yaml" <<-'YAML'
	apiVersion: v1
	kind: Pod
	metadata: {name: escalating}
	spec:
	  securityContext: {runAsUser: 0}
	  initContainers:
	  - name: a
	    image: localhost/busybox:latest
	    securityContext: {allowPrivilegeEscalation: true, runAsNonRoot: false, capabilities: {drop: [ALL], add: [SYS_TIME]}}
	  containers:
	  - name: b
	    image: localhost/busybox:latest
	    securityContext: {seccompProfile: {type: Unconfined}, runAsNonRoot: true, capabilities: {drop: [ALL]}}
	  volumes:
	  - {name: share, nfs: {server: nfs.example, path: /}}
	  - {name: scratch, emptyDir: {}}
	YAML
	cat >"$TMP/sink.yaml" <<-'YAML'
	apiVersion: v1
	kind: Pod
	metadata:
	  name: sink
	  annotations: {container.apparmor.security.beta.kubernetes.io/b: unconfined}
	spec:
	  hostPID: true
	  hostIPC: true
	  securityContext:
	    seccompProfile: {type: Unconfined}
	    sysctls: [{name: kernel.msgmax, value: "1"}, {name: net.ipv4.tcp_syncookies, value: "1"}]
	    seLinuxOptions: {type: spc_t}
	  initContainers:
	  - name: a
	    image: localhost/busybox:latest
	    securityContext: {privileged: true, capabilities: {add: [NET_RAW, SYS_ADMIN]}}
	  containers:
	  - name: b
	    image: localhost/busybox:latest
	    ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81, hostPort: 9}]
	  volumes:
	  - {name: host, hostPath: {path: /etc}}
	YAML
	# cocoond cuts a refusal at 1 KiB (platform_status_error): these pods stay below it.
	for pod in rooted escalating; do
		want="$(scanned restricted "$TMP/$pod.yaml")"
		[ -n "$want" ]
		[ "${#want}" -lt 900 ]
		run kubectl_refusal "$TMP/$pod.yaml"
		echo "$output"
		[[ "$output" == *"pods \"$pod\" is forbidden: violates PodSecurity \"restricted:latest\": $want" ]]
	done
	"$KUBECTL" label namespace "$NS" pod-security.kubernetes.io/enforce=baseline --overwrite >/dev/null
	want="$(scanned baseline "$TMP/sink.yaml")"
	[[ "$want" == "forbidden AppArmor profile ("* ]]
	[ "${#want}" -lt 900 ]
	run kubectl_refusal "$TMP/sink.yaml"
	echo "$output"
	[[ "$output" == *"pods \"sink\" is forbidden: violates PodSecurity \"baseline:latest\": $want" ]]
	# What baseline allows is admitted by cocoond and reported by nobody.
	[ -z "$(scanned baseline "$TMP/rooted.yaml")" ]
	run kubectl_refusal "$TMP/rooted.yaml"
	[[ "$output" == "pod/rooted created" ]]
}
