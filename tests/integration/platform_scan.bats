#!/usr/bin/env bats
# cocoond's scanner (issue 15, "In the platform"), driven by the real kubectl: an image that enters
# the node's image store is scanned (packages against the vulnerability database, secrets), its
# verdict is served as a VulnerabilityReport per workload and container (`kubectl get
# vulnerabilityreports -A`), scanned again when the database changes, read-only to clients, and gone
# with its pod; detections reach the audit stream; admission with --admission-policy refuses an
# image without a verdict and one its policies deny, and says why.

load helpers/common
load helpers/runtime

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

# A busybox image with a dpkg database that says Debian 12 with gzip 1.10-4 installed, and an AWS
# key left in a file.
make_scan_image() {
	local store="$1" name="$2" tmp
	tmp="$(mktemp -d)"
	make_rootfs "$tmp/root"
	mkdir -p "$tmp/root/var/lib/dpkg" "$tmp/root/app"
	printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n' \
		>"$tmp/root/etc/os-release"
	printf 'Package: gzip\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.10-4\n\n' \
		>"$tmp/root/var/lib/dpkg/status"
	# a made-up key in the AWS format (the scanner must find it and never print it whole)
	printf 'aws_access_key_id = AKIAQ3EXAMPLEZ7KDQ2B\n' >"$tmp/root/app/credentials"
	tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
	"$COCOON" image import --store "$store" --change 'CMD ["/bin/sh"]' "$tmp/rootfs.tar" "$name" >/dev/null
	rm -rf "$tmp"
}

feed() {
	cat >"$BATS_FILE_TMPDIR/$1.json"
	"$COCOON" scan db import --format debian-tracker --db "$DATA/scan/vulndb.sqlite" "$BATS_FILE_TMPDIR/$1.json" \
		>/dev/null
}

setup_file() {
	[ -n "$KUBECTL" ] || return 0
	export DATA="$BATS_FILE_TMPDIR/data"
	mkdir -p "$DATA/scan"
	printf '%s' '{"gzip": {"CVE-2099-0001": {"description": "a fixed one", "releases": {"bookworm": {"status": "resolved", "fixed_version": "1.12-1", "urgency": "high", "repositories": {}}}}}}' |
		feed first
	make_scan_image "$DATA/images" localhost/scan-demo:1
	export PORT="$(free_port)"
	start_cocoond "$DATA" "$PORT" --log-level debug
	echo "$COCOOND_PID" >"$BATS_FILE_TMPDIR/cocoond.pid"
}

teardown_file() {
	[ -e "$BATS_FILE_TMPDIR/cocoond.pid" ] || return 0
	COCOOND_PID="$(cat "$BATS_FILE_TMPDIR/cocoond.pid")"
	stop_cocoond
}

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	export KUBECONFIG="$DATA/kubeconfig"
	COCOOND_LOG="$DATA.log"
	NS="t$BATS_TEST_NUMBER"
	K=("$KUBECTL" --request-timeout=20s -n "$NS")
	"${K[@]}" create namespace "$NS" >/dev/null
}

# report_field NAME JSONPATH: of a VulnerabilityReport in $NS
report_field() {
	"${K[@]}" get vulnerabilityreport "$1" -o jsonpath="$2"
}

# wait_report NAME JSONPATH VALUE: up to 20 s
wait_report() {
	local i
	for i in $(seq 1 100); do
		[ "$(report_field "$1" "$2" 2>/dev/null)" = "$3" ] && return 0
		sleep 0.2
	done
	echo "report $1: $2 is '$(report_field "$1" "$2" 2>&1)', not '$3'"
	"${K[@]}" get vulnerabilityreports -o yaml
	return 1
}

pod() {
	"${K[@]}" run "$1" --image="$2" --restart=Never --command -- /bin/sleep 3600 >/dev/null
}

# wait_no_reports: until $NS has no VulnerabilityReport (up to 20 s)
wait_no_reports() {
	local i
	for i in $(seq 1 100); do
		run "${K[@]}" get vulnerabilityreports -o name
		[ -z "$output" ] && return 0
		sleep 0.2
	done
	echo "reports left: $output"
	return 1
}

# start_admission_platform DIR POLICY_FILE: a second cocoond in DIR (the file's database, the scan
# image in its store) that judges with POLICY_FILE; waits for its first report. Sets ADM_PID and
# ADM_K (its kubectl); stop_admission_platform stops it.
start_admission_platform() {
	local data="$1" policy="$2" outer_pid="$COCOOND_PID" i
	mkdir -p "$data/scan"
	cp "$DATA/scan/vulndb.sqlite" "$data/scan/"
	make_scan_image "$data/images" localhost/scan-demo:1
	start_cocoond "$data" "$(free_port)" --admission-policy "$policy"
	ADM_PID="$COCOOND_PID"
	COCOOND_PID="$outer_pid"
	ADM_K=("$KUBECTL" --kubeconfig "$data/kubeconfig" --request-timeout=20s)
	for i in $(seq 1 100); do
		ls "$data/scan/reports/"*.json >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "no report in $data/scan/reports"
	return 1
}

stop_admission_platform() {
	local outer_pid="$COCOOND_PID"
	COCOOND_PID="$ADM_PID"
	stop_cocoond
	COCOOND_PID="$outer_pid"
}

@test "platform scan: an image in the store is scanned and its pod gets a VulnerabilityReport" {
	pod app localhost/scan-demo:1
	wait_report pod-app-app '{.report.summary.highCount}' 1
	[ "$(report_field pod-app-app '{.report.vulnerabilities[0].vulnerabilityID}')" = CVE-2099-0001 ]
	[ "$(report_field pod-app-app '{.report.vulnerabilities[0].fixedVersion}')" = 1.12-1 ]
	[ "$(report_field pod-app-app '{.report.vulnerabilities[0].installedVersion}')" = 1.10-4 ]
	[ "$(report_field pod-app-app '{.report.summary.fixableCount}')" = 1 ]
	[ "$(report_field pod-app-app '{.report.summary.secretCount}')" = 1 ]
	[ "$(report_field pod-app-app '{.report.secrets[0].path}')" = /app/credentials ]
	[ "$(report_field pod-app-app '{.report.artifact.repository}')" = scan-demo ]
	[ "$(report_field pod-app-app '{.report.artifact.tag}')" = 1 ]
	[ "$(report_field pod-app-app '{.report.registry.server}')" = localhost ]
	[ "$(report_field pod-app-app '{.report.os.family}')" = debian ]
	[ "$(report_field pod-app-app '{.metadata.ownerReferences[0].kind}')" = Pod ]
	[ "$(report_field pod-app-app '{.metadata.labels.scan\.cocoon\.dev/container-name}')" = app ]
	# the secret is reported, never printed
	run "${K[@]}" get vulnerabilityreport pod-app-app -o json
	[[ "$output" != *AKIAQ3EXAMPLEZ7KDQ2B* ]]
	run grep -r AKIAQ3EXAMPLEZ7KDQ2B "$DATA/scan" "$DATA/events.jsonl" "$DATA.log"
	[ "$status" -eq 1 ]
	# kubectl's table: trivy-operator's columns
	run "$KUBECTL" get vulns -A
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"NAMESPACE"*"NAME"*"REPOSITORY"*"TAG"*"SCANNER"*"AGE"*"CRITICAL"*"HIGH"*"MEDIUM"*"LOW"*"UNKNOWN"* ]]
	[[ "$output" == *"$NS"*"pod-app-app"*"scan-demo"*"cocoon"* ]]
	# the scan's events: the summary and the secret, in the audit stream
	grep -q '"action":"image.scanned"' "$DATA/events.jsonl"
	grep -q '"action":"secret.detected"' "$DATA/events.jsonl"
	run "$KUBECTL" get vulns -A -o wide
	[[ "$output" == *"FIXABLE"*"MALWARE"* ]]
	# kubectl explain reads the group's OpenAPI document
	run "$KUBECTL" explain vulnerabilityreport.report.summary
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fixableCount"* ]]
	# discovery names the group and the short names
	run "$KUBECTL" api-resources --api-group=scan.cocoon.dev
	[[ "$output" == *"vulnerabilityreports"*"vuln,vulns"*"scan.cocoon.dev/v1alpha1"*"true"*"VulnerabilityReport"* ]]
}

@test "platform scan: a change of the vulnerability database rescans the images" {
	pod app localhost/scan-demo:1
	wait_report pod-app-app '{.report.summary.highCount}' 1
	printf '%s' '{"gzip": {"CVE-2099-0003": {"description": "no fix yet", "releases": {"bookworm": {"status": "open", "urgency": "unimportant", "repositories": {}}}}}}' |
		feed second
	wait_report pod-app-app '{.report.summary.noneCount}' 1
	[ "$(report_field pod-app-app '{.report.summary.highCount}')" = 1 ]
	run report_field pod-app-app '{.report.vulnerabilities[*].vulnerabilityID}'
	[[ "$output" == *CVE-2099-0001*CVE-2099-0003* ]]
}

@test "platform scan: reports are read-only to clients and go with their pods" {
	pod app localhost/scan-demo:1
	wait_report pod-app-app '{.metadata.name}' pod-app-app
	run "${K[@]}" delete vulnerabilityreport pod-app-app
	[ "$status" -ne 0 ]
	[[ "$output" == *"MethodNotAllowed"* || "$output" == *"read-only"* ]]
	# an image nobody scanned (not in the store) gets no report; its pod is still listed
	pod other localhost/not-here:1
	"${K[@]}" delete pod app --wait=false >/dev/null
	wait_no_reports
}

@test "platform scan: a ReplicaSet's pods share one report, owned by the ReplicaSet" {
	cat >"$BATS_TEST_TMPDIR/rs.yaml" <<-YAML
	apiVersion: apps/v1
	kind: ReplicaSet
	metadata: {name: web}
	spec:
	  replicas: 2
	  selector: {matchLabels: {app: web}}
	  template:
	    metadata: {labels: {app: web}}
	    spec:
	      containers: [{name: main, image: "localhost/scan-demo:1", command: ["/bin/sleep", "3600"]}]
	YAML
	"${K[@]}" apply -f "$BATS_TEST_TMPDIR/rs.yaml" >/dev/null
	wait_report replicaset-web-main '{.metadata.ownerReferences[0].kind}' ReplicaSet
	run "${K[@]}" get vulnerabilityreports -o name
	[ "$output" = vulnerabilityreport.scan.cocoon.dev/replicaset-web-main ]
}

@test "platform scan: an image that leaves the store loses its report" {
	make_scan_image "$DATA/images" localhost/scan-gone:1
	pod gone localhost/scan-gone:1
	wait_report pod-gone-gone '{.report.summary.highCount}' 1
	"$COCOON" image rm --store "$DATA/images" localhost/scan-gone:1 >/dev/null
	wait_no_reports
}

@test "platform scan: admission by verdicts and policies refuses the unscanned and the denied, and says why" {
	cat >"$BATS_TEST_TMPDIR/policy.yaml" <<-YAML
	apiVersion: cocoon.dev/v1
	kind: SecurityPolicy
	metadata: {name: no-fixable-high}
	spec:
	  description: An image has a high-severity vulnerability a newer package fixes.
	  severity: high
	  lifecycleStages: [deploy]
	  enforcement: {deploy: deny}
	  sections:
	  - criteria:
	    - {field: Fixable, values: [true]}
	    - {field: Severity, values: [high]}
	YAML
	start_admission_platform "$BATS_TEST_TMPDIR/adm" "$BATS_TEST_TMPDIR/policy.yaml"
	# an image without a verdict: refused, with what to do
	run "${ADM_K[@]}" run unscanned --image=localhost/not-here:1 --restart=Never
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Forbidden"*"no scan verdict for image"*"localhost/not-here:1"*"cocoon image pull"* ]]
	# the scanned image violates the policy: refused, naming it
	run "${ADM_K[@]}" run denied --image=localhost/scan-demo:1 --restart=Never
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Forbidden"*"no-fixable-high"* ]]
	# a Deployment is judged by its template
	run "${ADM_K[@]}" create deployment web --image=localhost/scan-demo:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"no-fixable-high"* ]]
	# each decision is an audit event
	run grep -c '"action":"admission.review".*"deny"' "$BATS_TEST_TMPDIR/adm/events.jsonl"
	[ "$output" -ge 3 ]
	stop_admission_platform
}

@test "platform scan: bad scanner options are refused at start, naming the problem" {
	run "$COCOOND" --data-dir "$BATS_TEST_TMPDIR/d1" --listen "127.0.0.1:$(free_port)" --no-pods \
		--admission-policy "$BATS_TEST_TMPDIR/missing.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *"missing.yaml"* ]]
	run "$COCOOND" --data-dir "$BATS_TEST_TMPDIR/d2" --listen "127.0.0.1:$(free_port)" --no-pods \
		--no-image-scan --admission-policy default
	[ "$status" -ne 0 ]
	[[ "$output" == *"--admission-allow-unscanned"* ]]
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run "$COCOOND" --data-dir "$BATS_TEST_TMPDIR/d3" --listen "127.0.0.1:$(free_port)" --no-pods \
		--malware-db "$BATS_TEST_TMPDIR/empty"
	[ "$status" -ne 0 ]
	[[ "$output" == *"malware database"*"empty"* ]]
	run "$COCOOND" --scan-node-interval soon
	[ "$status" -eq 2 ]
	[[ "$output" == *"--scan-node-interval"* ]]
}

@test "platform scan: pods a ReplicaSet makes after the data changed are judged anew (FailedCreate)" {
	local data="$BATS_TEST_TMPDIR/rs" i
	cat >"$BATS_TEST_TMPDIR/policy.yaml" <<-YAML
	apiVersion: cocoon.dev/v1
	kind: SecurityPolicy
	metadata: {name: no-cve-2099-0009}
	spec:
	  description: An image is exposed to CVE-2099-0009.
	  severity: critical
	  lifecycleStages: [deploy]
	  enforcement: {deploy: deny}
	  sections:
	  - criteria:
	    - {field: CVE, values: [CVE-2099-0009]}
	YAML
	start_admission_platform "$data" "$BATS_TEST_TMPDIR/policy.yaml"
	# admitted: the image is not exposed to it yet
	"${ADM_K[@]}" create deployment web --image=localhost/scan-demo:1 >/dev/null
	for i in $(seq 1 100); do
		[ "$("${ADM_K[@]}" get pods -l app=web -o name | wc -l)" -eq 1 ] && break
		sleep 0.2
	done
	[ "$("${ADM_K[@]}" get pods -l app=web -o name | wc -l)" -eq 1 ]
	# the advisory arrives; the rescan makes the image fail the policy
	printf '%s' '{"gzip": {"CVE-2099-0009": {"description": "a new one", "releases": {"bookworm": {"status": "resolved", "fixed_version": "1.12-1", "urgency": "high", "repositories": {}}}}}}' \
		>"$BATS_TEST_TMPDIR/critical.json"
	"$COCOON" scan db import --format debian-tracker --db "$data/scan/vulndb.sqlite" "$BATS_TEST_TMPDIR/critical.json" >/dev/null
	for i in $(seq 1 100); do
		grep -q CVE-2099-0009 "$data/scan/reports/"*.json && break
		sleep 0.2
	done
	"${ADM_K[@]}" scale deployment web --replicas=2 >/dev/null
	local events=
	for i in $(seq 1 100); do
		events="$("${ADM_K[@]}" get events --field-selector reason=FailedCreate -o jsonpath='{.items[*].message}')"
		[ -n "$events" ] && break
		sleep 0.2
	done
	echo "$events"
	[[ "$events" == *"forbidden"*"no-cve-2099-0009"* ]]
	[ "$("${ADM_K[@]}" get pods -l app=web -o name | wc -l)" -eq 1 ]
	grep -q 'replicaset-controller' "$data/events.jsonl"
	stop_admission_platform
}
