#!/usr/bin/env bats
# cocoon webhook serve: AdmissionReview v1 over HTTPS with the certificates deploy/kubernetes/webhook
# makes; verdicts from real scan reports of podman-saved images (one carries ClamAV's test file);
# the mutation's JSONPatch applied with python3-jsonpatch (an independent RFC 6902 implementation);
# fail closed for unscanned images; malformed reviews; every decision an audit event.

load helpers/common
load helpers/scan

setup_file() {
	command -v podman >/dev/null || skip "podman is not installed"
	[ -r /usr/share/clamav-testfiles/clam.exe ] || skip "clamav-testfiles is not installed"
	"$SYSTEM_PYTHON" -c 'import jsonpatch' 2>/dev/null || skip "python3-jsonpatch is not installed"
	local dir="$BATS_FILE_TMPDIR"
	export CERTS="$dir/certs" REPORTS="$dir/reports" EVENTS="$dir/events.jsonl"
	mkdir -p "$CERTS" "$REPORTS" "$dir/db"
	cp -r "$COCOON_ROOT/deploy/kubernetes/webhook/." "$CERTS/"
	"$CERTS/gen-certs.sh" "$CERTS" 2>/dev/null
	# Two images, saved by podman and scanned: a clean one and one with ClamAV's test file.
	local clam=/usr/share/clamav-testfiles/clam.exe
	echo "$(md5sum <"$clam" | cut -d' ' -f1):$(stat -c %s "$clam"):Cocoon.Test.ClamExe" >"$dir/db/test.hdb"
	mkdir -p "$dir/good/etc" "$dir/bad/etc" "$dir/bad/usr/bin"
	printf 'ID=debian\nVERSION_ID="12"\n' | tee "$dir/good/etc/os-release" >"$dir/bad/etc/os-release"
	cp "$clam" "$dir/bad/usr/bin/helper"
	local name
	for name in good bad; do
		tar -C "$dir/$name" -cf "$dir/$name.tar" .
		scan_podman "$dir" import --quiet "$dir/$name.tar" "registry.example/$name:1.0" >/dev/null
		scan_podman "$dir" save --quiet --format docker-archive -o "$dir/$name.docker.tar" "registry.example/$name:1.0"
		"$COCOON" scan image --no-db --malware-db "$dir/db" -f json -o "$REPORTS/$name.json" "$dir/$name.docker.tar"
	done
	# An oci-archive keeps the manifest, so its report knows the digest pods pin.
	scan_podman "$dir" save --quiet --format oci-archive -o "$dir/good.oci.tar" registry.example/good:1.0
	"$COCOON" scan image --no-db --malware-db "$dir/db" -f json -o "$REPORTS/good-oci.json" "$dir/good.oci.tar"
	cat >"$dir/warn.yaml" <<-'YAML'
	apiVersion: cocoon.dev/v1
	kind: SecurityPolicy
	metadata: {name: team-label}
	spec:
	  description: Workloads say which team owns them.
	  severity: low
	  lifecycleStages: [deploy]
	  enforcement: {deploy: warn}
	  sections:
	  - criteria:
	    - {field: Workload Label, values: ["team=.*"], negate: true}
	YAML
}

setup() {
	PORT="$(free_port)"
	"$COCOON" webhook serve --listen "127.0.0.1:$PORT" --cert "$CERTS/tls.crt" --key "$CERTS/tls.key" \
		--reports "$REPORTS" --policy "$BATS_FILE_TMPDIR/warn.yaml" --event-log "$EVENTS" ${WEBHOOK_ARGS:-} \
		>"$BATS_TEST_TMPDIR/webhook.log" 2>&1 &
	PID=$!
	wait_for_server webhook "$PID" "$BATS_TEST_TMPDIR/webhook.log" \
		curl -sf --cacert "$CERTS/ca.crt" --resolve "cocoon-webhook.cocoon-system.svc:$PORT:127.0.0.1" \
		"https://cocoon-webhook.cocoon-system.svc:$PORT/healthz"
}

teardown() {
	[ -z "${PID:-}" ] || { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
}

# review PATH OPERATION OBJECT_JSON: posts an AdmissionReview as the API server does, over TLS with
# the Service's name, and leaves the AdmissionReview answered in $BATS_TEST_TMPDIR/answer.json.
review() {
	local path="$1" op="$2" object="$3"
	"$SYSTEM_PYTHON" - "$op" "$object" >"$BATS_TEST_TMPDIR/review.json" <<-'PY'
	import json, sys, uuid
	op, obj = sys.argv[1], json.loads(sys.argv[2])
	print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
	    "uid": str(uuid.uuid4()), "kind": {"group": "", "version": "v1", "kind": obj.get("kind", "")},
	    "resource": {"group": "", "version": "v1", "resource": "pods"}, "namespace": "team-a",
	    "operation": op, "userInfo": {"username": "alice", "groups": ["dev"]}, "object": obj, "dryRun": False}}))
	PY
	curl -sS --cacert "$CERTS/ca.crt" --resolve "cocoon-webhook.cocoon-system.svc:$PORT:127.0.0.1" \
		-H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/review.json" \
		-o "$BATS_TEST_TMPDIR/answer.json" -w '%{http_code}' "https://cocoon-webhook.cocoon-system.svc:$PORT$path"
}

# answer EXPR: a Python expression over `a` (the answer) and `r` (the review sent).
answer() {
	"$SYSTEM_PYTHON" -c '
import base64, json, sys, jsonpatch
a = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
resp = a["response"]
print(eval(sys.argv[3]))' "$BATS_TEST_TMPDIR/answer.json" "$BATS_TEST_TMPDIR/review.json" "$1"
}

pod() { # pod IMAGE [LABELS_JSON]
	printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":%s},"spec":{"containers":[{"name":"app","image":"%s"},{"name":"side","image":"%s","securityContext":{"capabilities":{"drop":["NET_RAW"]}}}]}}' \
		"${2:-{\"team\":\"a\"\}}" "$1" "$1"
}

@test "webhook: the mutation adds runtimeClassName, RuntimeDefault seccomp and drop ALL, as JSONPatch" {
	run review /mutate CREATE "$(pod registry.example/good:1.0)"
	[ "$output" = 200 ]
	run answer 'a["apiVersion"], a["kind"], resp["uid"] == r["request"]["uid"], resp["allowed"], resp["patchType"]'
	[ "$output" = "('admission.k8s.io/v1', 'AdmissionReview', True, True, 'JSONPatch')" ]
	run answer 'json.dumps(jsonpatch.apply_patch(r["request"]["object"], json.loads(base64.b64decode(resp["patch"])))["spec"], sort_keys=True)'
	echo "$output"
	[[ "$output" == *'"runtimeClassName": "cocoon"'* ]]
	[[ "$output" == *'"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}'* ]]
	[[ "$output" == *'"name": "app", "securityContext": {"capabilities": {"drop": ["ALL"]}}'* ]]
	[[ "$output" == *'"drop": ["NET_RAW", "ALL"]'* ]]
	# What the workload says is kept: a pod with all three set is not patched.
	run review /mutate CREATE '{"kind":"Pod","metadata":{"name":"q","labels":{"team":"a"}},"spec":{"runtimeClassName":"other","securityContext":{"seccompProfile":{"type":"Localhost","localhostProfile":"x.json"}},"containers":[{"name":"c","image":"registry.example/good:1.0","securityContext":{"capabilities":{"drop":["ALL"]}}}]}}'
	[ "$output" = 200 ]
	run answer '"patch" in resp, resp["allowed"]'
	[ "$output" = "(False, True)" ]
	# An UPDATE of a Pod cannot add these fields (the API server refuses the change): not patched;
	# a Deployment's template may change: patched. Windows pods take neither seccomp nor capabilities.
	run review /mutate UPDATE "$(pod registry.example/good:1.0)"
	run answer '"patch" in resp, resp["allowed"]'
	[ "$output" = "(False, True)" ]
	run review /mutate UPDATE '{"kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"registry.example/good:1.0"}]}}}}'
	run answer '"patch" in resp'
	[ "$output" = True ]
	run review /mutate CREATE '{"kind":"Pod","metadata":{"name":"w"},"spec":{"os":{"name":"windows"},"containers":[{"name":"c","image":"registry.example/good:1.0"}]}}'
	run answer '"patch" in resp'
	[ "$output" = False ]
	# The mutating path only mutates: an image with malware is the validating path's to refuse.
	run review /mutate CREATE "$(pod registry.example/bad:1.0)"
	run answer 'resp["allowed"], "warnings" in resp'
	[ "$output" = "(True, False)" ]
}

@test "webhook: pod templates of every workload kind are patched where the kind keeps them" {
	local template='{"metadata":{"labels":{"team":"a"}},"spec":{"containers":[{"name":"c","image":"registry.example/good:1.0"}]}}'
	local kind path
	for kind in Deployment StatefulSet DaemonSet ReplicaSet Job CronJob ReplicationController; do
		local object="{\"kind\":\"$kind\",\"metadata\":{\"name\":\"w\"},\"spec\":{\"template\":$template}}"
		[ "$kind" = CronJob ] && object="{\"kind\":\"CronJob\",\"metadata\":{\"name\":\"w\"},\"spec\":{\"schedule\":\"@daily\",\"jobTemplate\":{\"spec\":{\"template\":$template}}}}"
		run review /mutate CREATE "$object"
		[ "$output" = 200 ]
		run answer 'sorted(set(op["path"].rsplit("/", 1)[0] for op in json.loads(base64.b64decode(resp["patch"]))))[0]'
		path=/spec/template/spec
		[ "$kind" = CronJob ] && path=/spec/jobTemplate/spec/template/spec
		[ "$output" = "$path" ] || { echo "$kind: $output"; false; }
		run answer 'jsonpatch.apply_patch(r["request"]["object"], json.loads(base64.b64decode(resp["patch"]))) is not None'
		[ "$output" = True ]
	done
}

@test "webhook: malware in an image's report is refused with 403 naming the policy; warn policies warn" {
	run review /validate CREATE "$(pod registry.example/bad:1.0)"
	[ "$output" = 200 ]
	run answer 'resp["allowed"], resp["status"]["code"]'
	[ "$output" = "(False, 403)" ]
	run answer 'resp["status"]["message"]'
	echo "$output"
	[[ "$output" == *"malware-in-image"* ]]
	[[ "$output" == *"Cocoon.Test.ClamExe"* ]]
	# The clean image passes; without a team label the warn policy comes back as a warning.
	run review /validate CREATE "$(pod registry.example/good:1.0 '{}')"
	[ "$output" = 200 ]
	run answer 'resp["allowed"], any("team-label" in w for w in resp.get("warnings", []))'
	[ "$output" = "(True, True)" ]
	run answer 'json.loads(resp["auditAnnotations"]["policy-violations"])'
	[[ "$output" == *"team-label"* ]]
	# Short names are read as podman reads them: docker.io/library/... has no report here.
	run review /validate CREATE "$(pod good:1.0)"
	run answer 'resp["allowed"]'
	[ "$output" = False ]
}

@test "webhook: a pod that pins the manifest digest finds the report; a digest nobody scanned does not" {
	local digest
	digest="$("$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["image"]["digest"])' "$REPORTS/good-oci.json")"
	[[ "$digest" == sha256:* ]]
	local ref
	for ref in "registry.example/good@$digest" "registry.example/good:1.0@$digest"; do
		run review /validate CREATE "$(pod "$ref")"
		run answer 'resp["allowed"]'
		[ "$output" = True ] || { echo "$ref"; false; }
	done
	# The tag alone would match, but the digest it is pinned to was never scanned.
	run review /validate CREATE "$(pod "registry.example/good:1.0@sha256:$(printf 'f%.0s' {1..64})")"
	run answer 'resp["allowed"]'
	[ "$output" = False ]
}

@test "webhook: an image without a scan report is refused (fail closed), or admitted with a warning when allowed" {
	run review /validate CREATE "$(pod registry.example/never-scanned:2.0)"
	[ "$output" = 200 ]
	run answer 'resp["allowed"], resp["status"]["code"], "registry.example/never-scanned:2.0" in resp["status"]["message"]'
	[ "$output" = "(False, 403, True)" ]
	kill "$PID"; wait "$PID" 2>/dev/null || true
	WEBHOOK_ARGS=--allow-unscanned setup
	run review /validate CREATE "$(pod registry.example/never-scanned:2.0)"
	run answer 'resp["allowed"], any("without a scan verdict" in w for w in resp["warnings"])'
	[ "$output" = "(True, True)" ]
}

@test "webhook: a report written while it runs is used without a restart" {
	run review /validate CREATE "$(pod registry.example/late:1.0)"
	run answer 'resp["allowed"]'
	[ "$output" = False ]
	"$SYSTEM_PYTHON" -c 'import json, sys
r = json.load(open(sys.argv[1])); r["image"]["repo_tags"] = ["registry.example/late:1.0"]; r["image"]["id"] = "sha256:" + "1" * 64
json.dump(r, open(sys.argv[2], "w"))' "$REPORTS/good.json" "$REPORTS/late.json"
	sleep 1.2
	run review /validate CREATE "$(pod registry.example/late:1.0)"
	run answer 'resp["allowed"]'
	rm -f "$REPORTS/late.json"
	[ "$output" = True ]
}

@test "webhook: malformed reviews get 400 with the reason; DELETE passes; every decision is an event" {
	run curl -sS --cacert "$CERTS/ca.crt" --resolve "cocoon-webhook.cocoon-system.svc:$PORT:127.0.0.1" \
		--data-binary 'not json' "https://cocoon-webhook.cocoon-system.svc:$PORT/validate"
	[[ "$output" == *"the AdmissionReview"* ]]
	run curl -sS -o /dev/null -w '%{http_code}' --cacert "$CERTS/ca.crt" \
		--resolve "cocoon-webhook.cocoon-system.svc:$PORT:127.0.0.1" --data-binary '{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}' \
		"https://cocoon-webhook.cocoon-system.svc:$PORT/validate"
	[ "$output" = 400 ]
	run curl -sS --cacert "$CERTS/ca.crt" --resolve "cocoon-webhook.cocoon-system.svc:$PORT:127.0.0.1" \
		--data-binary '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"operation":"CREATE"}}' \
		"https://cocoon-webhook.cocoon-system.svc:$PORT/validate"
	[[ "$output" == *"request.uid is missing"* ]]
	run review /validate DELETE '{}'
	[ "$output" = 200 ]
	run answer 'resp["allowed"]'
	[ "$output" = True ]
	run review /validate CREATE "$(pod registry.example/bad:1.0)"
	run "$SYSTEM_PYTHON" -c 'import json, sys
for e in map(json.loads, open(sys.argv[1])):
    print(e["component"], e["action"], e["verdict"], e.get("actor"), e.get("object"))' "$EVENTS"
	echo "$output"
	[[ "$output" == *"scan admission.review deny alice Pod/team-a/p"* ]]
	[[ "$output" == *"scan admission.review allow alice"* ]]
}

@test "webhook: refuses to start without TLS; the manifests render with the generated caBundle" {
	run "$COCOON" webhook serve --listen 127.0.0.1:0
	[ "$status" -eq 2 ]
	[[ "$output" == *"--cert and --key are required"* ]]
	run kubectl kustomize "$CERTS"
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/rendered.yaml"
	run "$SYSTEM_PYTHON" - "$BATS_TEST_TMPDIR/rendered.yaml" "$CERTS/ca.crt" <<-'PY'
	import base64, sys, yaml
	docs = list(yaml.safe_load_all(open(sys.argv[1])))
	ca = open(sys.argv[2]).read()
	kinds = sorted(d["kind"] for d in docs)
	assert kinds == ["Deployment", "MutatingWebhookConfiguration", "Namespace", "PersistentVolumeClaim", "Secret",
	                 "Service", "ValidatingWebhookConfiguration"], kinds
	for d in docs:
	    for w in d.get("webhooks", []):
	        assert base64.b64decode(w["clientConfig"]["caBundle"]).decode() == ca, w["name"]
	        assert w["failurePolicy"] == "Fail" and w["admissionReviewVersions"] == ["v1"]
	        assert w["clientConfig"]["service"]["path"] in ("/mutate", "/validate")
	PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}
