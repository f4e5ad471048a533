#!/usr/bin/env bats
# cocoon scan policy: the default set listed and linted; policy files of our own linted (every
# problem named) and replacing a default; facts made from a real `cocoon scan image --format json`
# report of a small Debian root filesystem made here (gzip below its fix, curl with an open
# advisory), judged at build and, with a Deployment, at deploy: the messages, the exit codes of a
# CI step and of an admission, and the errors a user meets.

load helpers/common

bats_require_minimum_version 1.5.0

setup_file() {
	export WORK="$BATS_FILE_TMPDIR"
	local root="$WORK/rootfs"
	mkdir -p "$root/etc" "$root/var/lib/dpkg"
	printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' \
		>"$root/etc/os-release"
	cat >"$root/var/lib/dpkg/status" <<-'EOF'
	Package: gzip
	Status: install ok installed
	Architecture: amd64
	Version: 1.10-4

	Package: curl
	Status: install ok installed
	Architecture: amd64
	Version: 7.88.1-10+deb12u5

	Package: libc6
	Status: install ok installed
	Architecture: amd64
	Source: glibc
	Version: 2.36-9+deb12u4

	EOF
	# The Debian tracker's shape: gzip fixed in 1.12-1 (CVE-2022-1271, high), an open critical
	# advisory for curl, and one for glibc fixed long before the installed version.
	cat >"$WORK/feed.json" <<-'EOF'
	{"gzip": {"CVE-2022-1271": {"description": "zgrep writes arbitrary files", "releases": {"bookworm":
	   {"status": "resolved", "fixed_version": "1.12-1", "urgency": "high"}}}},
	 "curl": {"CVE-2099-0001": {"description": "an open one", "releases": {"bookworm":
	   {"status": "open", "urgency": "high"}}}},
	 "glibc": {"CVE-2010-0001": {"description": "old", "releases": {"bookworm":
	   {"status": "resolved", "fixed_version": "2.11-1", "urgency": "medium"}}}}}
	EOF
	"$COCOON" scan db import --format debian-tracker --db "$WORK/vulndb.sqlite" "$WORK/feed.json" >/dev/null
	"$COCOON" scan image --db "$WORK/vulndb.sqlite" --format json -o "$WORK/report.json" "$root"
	# Build facts: the report alone. Deploy facts: a Deployment whose app runs that image privileged.
	"$SYSTEM_PYTHON" - "$WORK" <<-'PY'
	import json, sys
	work = sys.argv[1]
	report = json.load(open(f"{work}/report.json"))
	json.dump({"stage": "build", "image": report}, open(f"{work}/build.json", "w"))
	workload = {"kind": "Deployment", "namespace": "shop", "name": "web", "labels": {"app": "web"},
	            "podSpec": {"runtimeClassName": "cocoon",
	                        "containers": [{"name": "app", "image": "registry.example/shop/web:1.0",
	                                        "securityContext": {"privileged": True,
	                                                            "allowPrivilegeEscalation": False,
	                                                            "readOnlyRootFilesystem": True,
	                                                            "capabilities": {"drop": ["ALL"]}}}]}}
	json.dump({"stage": "deploy", "images": {"registry.example/shop/web:1.0": report}, "workload": workload},
	          open(f"{work}/deploy.json", "w"))
	workload["podSpec"]["containers"][0]["securityContext"]["privileged"] = False
	workload["podSpec"]["containers"][0]["image"] = "registry.example/shop/web:1.0@sha256:" + "a" * 64
	json.dump({"stage": "deploy", "images": {workload["podSpec"]["containers"][0]["image"]: report},
	           "workload": workload}, open(f"{work}/deploy-ok.json", "w"))
	PY
}

# py EXPR: reads JSON on stdin as d and asserts EXPR.
py() {
	"$SYSTEM_PYTHON" -c "import json, sys; d = json.load(sys.stdin); assert $1, d"
}

@test "list: the default set with severity and enforcement per stage" {
	run "$COCOON" scan policy list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "NAME"*"SEVERITY"*"ENFORCEMENT"*"DESCRIPTION" ]]
	[[ "$output" == *"privileged-container "*"critical "*"deploy:deny runtime:inform "* ]]
	[[ "$output" == *"fixable-critical-cve "*"critical "*"build:fail deploy:inform "* ]]
	run "$COCOON" scan policy list --format json
	[ "$status" -eq 0 ]
	echo "$output" | py 'len(d) >= 15 and all(p["rationale"] and p["remediation"] for p in d)'
	echo "$output" | py '[p for p in d if p["name"] == "malware-in-image"][0]["enforcement"] == {"build": "fail", "deploy": "deny", "runtime": "inform"}'
}

@test "lint: the default set and the installed file are clean" {
	run "$COCOON" scan policy lint
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9]+\ policies,\ no\ problems$ ]]
	run "$COCOON" scan policy lint --no-default-policies "$COCOON_ROOT/src/scan/policies/default.yaml"
	[ "$status" -eq 0 ]
	run "$COCOON" scan policy lint "$COCOON_ROOT/src/scan/policies/default.yaml"
	# Beside the embedded set, the same names from a file replace them: still no problem.
	[ "$status" -eq 0 ]
}

@test "lint: every problem of every file, naming file, policy, section and criterion" {
	local dir="$BATS_TEST_TMPDIR/policies"
	mkdir -p "$dir"
	cat >"$dir/a.yaml" <<-'EOF'
	apiVersion: cocoon.dev/v1
	kind: SecurityPolicy
	metadata: {name: typo}
	spec:
	  severity: high
	  lifecycleStages: [build]
	  sections:
	  - name: s
	    criteria: [{field: Fixible, values: [true]}]
	---
	apiVersion: cocoon.dev/v1
	kind: SecurityPolicy
	metadata: {name: workload-at-build}
	spec:
	  severity: high
	  lifecycleStages: [build, deploy]
	  sections: [{criteria: [{field: Host PID, values: [true]}]}]
	EOF
	cat >"$dir/b.yaml" <<-'EOF'
	apiVersion: cocoon.dev/v1
	kind: SecurityPolicy
	metadata: {name: bad-regex}
	spec:
	  severity: low
	  lifecycleStages: [deploy]
	  enforcement: {deploy: fail}
	  sections: [{criteria: [{field: Image Tag, operator: regex, values: ['v(1']}]}]
	EOF
	run "$COCOON" scan policy lint "$dir"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$dir/a.yaml: policy \`typo\`: section \`s\`: criterion 1 (\`Fixible\`): unknown field"* ]]
	[[ "$output" == *"$dir/a.yaml: policy \`workload-at-build\`: section 1: criterion 1 (\`Host PID\`): the field cannot be judged at build"* ]]
	[[ "$output" == *"$dir/b.yaml: policy \`bad-regex\`: enforcement: deploy takes inform, warn or deny, not \`fail\`"* ]]
	[[ "$output" == *"3 problems"* ]]
	run "$COCOON" scan policy lint --format json "$dir/a.yaml"
	[ "$status" -eq 1 ]
	echo "$output" | py 'len(d["problems"]) == 2'
	# Loading the same directory for list or eval stops at the first problem.
	run "$COCOON" scan policy list --policy "$dir"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown field"* ]]
}

@test "eval at build: the report's findings and packages, and the exit code of a CI step" {
	run --separate-stderr "$COCOON" scan policy eval "$WORK/build.json"
	# Only warn and inform in the default set for what this image has: the build passes.
	[ "$status" -eq 0 ]
	[[ "$output" == *"fixable-high-cve "*"high "*"warn "*"CVE-2022-1271 (high) in gzip 1.10-4, fixed in 1.12-1"* ]]
	[[ "$output" == *"network-tools-in-image "*"package curl 7.88.1-10+deb12u5"* ]]
	[[ "$stderr" == *"violations at build"* ]]
	# glibc's advisory was fixed long before; a directory has no image config, so no user to judge.
	[[ "$output" != *"CVE-2010-0001"* ]]
	[[ "$output" != *"image-runs-as-root"* ]]
	[[ "$output" != *"privileged-container"* ]]
	run "$COCOON" scan policy eval --format json "$WORK/build.json"
	[ "$status" -eq 0 ]
	echo "$output" | py '{v["policy"] for v in d} == {"fixable-high-cve", "network-tools-in-image"}'
	echo "$output" | py 'all(v["stage"] == "build" for v in d)'
	# --fail-on: a violation at least that severe fails the step.
	run "$COCOON" scan policy eval --fail-on high "$WORK/build.json"
	[ "$status" -eq 1 ]
	run "$COCOON" scan policy eval --fail-on critical "$WORK/build.json"
	[ "$status" -eq 0 ]
	# A policy of our own that fails the build on any unfixed finding.
	cat >"$BATS_TEST_TMPDIR/ci.yaml" <<-'EOF'
	apiVersion: cocoon.dev/v1
	kind: SecurityPolicy
	metadata: {name: no-unfixed}
	spec:
	  severity: medium
	  lifecycleStages: [build]
	  enforcement: {build: fail}
	  remediation: Wait for the fix or take the package out.
	  sections: [{name: unfixed, criteria: [{field: Fixable, values: [false]}, {field: Severity, values: ['>= high']}]}]
	EOF
	run --separate-stderr "$COCOON" scan policy eval --no-default-policies --policy "$BATS_TEST_TMPDIR/ci.yaml" \
		"$WORK/build.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no-unfixed "*"medium "*"fail "*"CVE-2099-0001 (high) in curl 7.88.1-10+deb12u5, no fix yet"* ]]
	[[ "$stderr" == *"1 violation at build; the build fails"* ]]
}

@test "eval at deploy: a privileged container is denied; the fixed workload is admitted" {
	run --separate-stderr "$COCOON" scan policy eval "$WORK/deploy.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"privileged-container "*"critical "*"deny "*"container \"app\" is privileged"* ]]
	[[ "$output" == *"container \"app\" (image registry.example/shop/web:1.0): CVE-2022-1271 (high) in gzip 1.10-4, fixed in 1.12-1"* ]]
	[[ "$output" == *"image-not-pinned-by-digest"*"container \"app\", image registry.example/shop/web:1.0 is not referenced by digest"* ]]
	[[ "$stderr" == *"denied"* ]]
	# What the pod does right raises nothing: runtime class cocoon, capabilities dropped, read-only root.
	[[ "$output" != *"not-confidential-runtime"* ]]
	[[ "$output" != *"capabilities-not-dropped"* ]]
	[[ "$output" != *"writable-root-filesystem"* ]]
	run "$COCOON" scan policy eval --format json "$WORK/deploy-ok.json"
	[ "$status" -eq 0 ]
	echo "$output" | py 'not any(v["enforcement"] == "deny" for v in d)'
	echo "$output" | py '"image-not-pinned-by-digest" not in {v["policy"] for v in d}'
	# Facts on standard input.
	run "$COCOON" scan policy eval - <"$WORK/deploy.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"privileged-container"* ]]
	# A default policy turned off by a file of the same name.
	cat >"$BATS_TEST_TMPDIR/off.yaml" <<-'EOF'
	apiVersion: cocoon.dev/v1
	kind: SecurityPolicy
	metadata: {name: privileged-container}
	spec:
	  severity: critical
	  disabled: true
	  lifecycleStages: [deploy]
	  sections: [{criteria: [{field: Privileged Container, values: [true]}]}]
	EOF
	run "$COCOON" scan policy eval --policy "$BATS_TEST_TMPDIR/off.yaml" --format json "$WORK/deploy.json"
	[ "$status" -eq 0 ]
	echo "$output" | py '"privileged-container" not in {v["policy"] for v in d}'
	run "$COCOON" scan policy list --policy "$BATS_TEST_TMPDIR/off.yaml"
	[[ "$output" == *"privileged-container (disabled)"* ]]
}

@test "eval: facts that cannot be judged fail closed; usage errors" {
	echo '{"stage": "deploy", "workload": {"podSpec": {"containers": [{"name": "a", "securityContext": {"privileged": "yes"}}]}}}' \
		>"$BATS_TEST_TMPDIR/bad.json"
	run "$COCOON" scan policy eval "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container \`a\`: securityContext: \`privileged\` is not a boolean"* ]]
	echo '{"stage": "later"}' >"$BATS_TEST_TMPDIR/stage.json"
	run "$COCOON" scan policy eval "$BATS_TEST_TMPDIR/stage.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"\`stage\` is not build, deploy or runtime"* ]]
	echo '{"stage": ' >"$BATS_TEST_TMPDIR/cut.json"
	run "$COCOON" scan policy eval "$BATS_TEST_TMPDIR/cut.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"facts:"* ]]
	run "$COCOON" scan policy eval "$BATS_TEST_TMPDIR/missing.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing.json"* ]]
	run "$COCOON" scan policy eval
	[ "$status" -eq 2 ]
	run "$COCOON" scan policy eval --format yaml "$WORK/build.json"
	[ "$status" -eq 2 ]
	run "$COCOON" scan policy eval --fail-on urgent "$WORK/build.json"
	[ "$status" -eq 2 ]
	run "$COCOON" scan policy list --fail-on high
	[ "$status" -eq 2 ]
	run "$COCOON" scan policy judge
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command \`judge\`"* ]]
	run "$COCOON" scan policy --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: cocoon scan policy COMMAND"* ]]
}

@test "fields: the catalogue, with types, stages and operators" {
	run "$COCOON" scan policy fields
	[ "$status" -eq 0 ]
	[[ "$output" == *"Privileged Container"*"bool"*"deploy,runtime"*"equals"* ]]
	[[ "$output" == *"CVSS"*"number"*"build,deploy,runtime"*"<,<=,>,>="* ]]
	run "$COCOON" scan policy fields --format json
	echo "$output" | py 'len(d) >= 34 and {"name", "type", "stages", "operators", "description"} <= set(d[0])'
}
