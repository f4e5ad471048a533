#!/usr/bin/env bats
# What `cocoon scan image` finds inside files: malware with libclamav and signatures written here
# (ClamAV's own test files, EICAR), checked against clamscan with the same signatures; secrets by
# pattern, reported without the secret; the image config's misconfiguration.

load helpers/common
load helpers/scan

TESTFILES=/usr/share/clamav-testfiles
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

setup_file() {
	[ -r "$TESTFILES/clam.exe" ] || skip "clamav-testfiles is not installed (scripts/install-deps)"
	export DB="$BATS_FILE_TMPDIR/malware-db"
	mkdir -p "$DB"
	# Three kinds of ClamAV signature: an MD5 of the whole file (.hdb), a body pattern (.ndb),
	# a YARA rule (.yar).
	echo "$(md5sum <"$TESTFILES/clam.exe" | cut -d' ' -f1):$(stat -c %s "$TESTFILES/clam.exe"):Cocoon.Test.ClamExe" \
		>"$DB/test.hdb"
	echo "Cocoon.Test.Eicar:0:*:$(printf '%s' 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' | xxd -p | tr -d '\n')" \
		>"$DB/test.ndb"
	cat >"$DB/test.yar" <<-'YARA'
	rule Cocoon_Test_Marker
	{
	    strings:
	        $marker = "cocoon-test-malware-marker-5e2b"
	    condition:
	        $marker
	}
	YARA
}

# malware_rootfs DIR: a root filesystem with ClamAV's test executable plain, zipped and UPX-packed,
# EICAR, a file for the YARA rule, and clean files.
malware_rootfs() {
	local root="$1"
	mkdir -p "$root/etc" "$root/usr/bin" "$root/opt/app"
	printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' >"$root/etc/os-release"
	cp "$TESTFILES/clam.exe" "$TESTFILES/clam-upx.exe" "$root/usr/bin/"
	cp "$TESTFILES/clam.zip" "$root/opt/app/bundle.zip"
	printf '%s' "$EICAR" >"$root/opt/app/eicar.com"
	printf 'echo cocoon-test-malware-marker-5e2b\n' >"$root/opt/app/run.sh"
	cp /bin/true "$root/usr/bin/true"
	printf 'hello\n' >"$root/opt/app/README"
}

# detections FILE: "PATH SIGNATURE" lines of a JSON report, sorted.
detections() {
	"$SYSTEM_PYTHON" -c '
import json, sys
for m in json.load(open(sys.argv[1]))["malware"]:
    print(m["path"], m["signature"])' "$1" | sort
}

@test "malware: ClamAV signatures find the test files in every input form, as clamscan does" {
	command -v podman >/dev/null || skip "podman is not installed"
	local work="$BATS_TEST_TMPDIR"
	malware_rootfs "$work/root"
	tar -C "$work/root" --numeric-owner -cf "$work/root.tar" .
	scan_image_forms "$work/root.tar" "$work/forms"
	local form
	for form in rootfs rootfs.tar docker.tar oci.tar oci; do
		run "$COCOON" scan image --no-db --malware-db "$DB" -f json -o "$work/$form.json" "$work/forms/$form"
		[ "$status" -eq 0 ] || { echo "$form: $output"; false; }
		detections "$work/$form.json" >"$work/$form.found"
		diff -u "$work/rootfs.found" "$work/$form.found"
	done
	cat "$work/rootfs.found"
	[ "$(wc -l <"$work/rootfs.found")" -eq 5 ]
	grep -qx '/usr/bin/clam.exe Cocoon.Test.ClamExe.UNOFFICIAL' "$work/rootfs.found"
	grep -qx '/usr/bin/clam-upx.exe Cocoon.Test.ClamExe.UNOFFICIAL' "$work/rootfs.found" # unpacked
	grep -qx '/opt/app/bundle.zip Cocoon.Test.ClamExe.UNOFFICIAL' "$work/rootfs.found"   # from the zip
	grep -qx '/opt/app/eicar.com Cocoon.Test.Eicar.UNOFFICIAL' "$work/rootfs.found"
	grep -qx '/opt/app/run.sh YARA.Cocoon_Test_Marker.UNOFFICIAL' "$work/rootfs.found"
	# clamscan, with the same signatures over the same files, finds the same.
	command -v clamscan >/dev/null || skip "clamscan (Debian's clamav) is not installed"
	run clamscan --no-summary --infected -d "$DB" -r "$work/forms/rootfs"
	[ "$status" -eq 1 ] # 1: something found
	echo "$output" | sed -n "s|^$work/forms/rootfs\(/.*\): \(.*\) FOUND\$|\1 \2|p" | sort >"$work/clamscan.found"
	diff -u "$work/clamscan.found" "$work/rootfs.found"
	# The report says what it covered; the table names the detections.
	run "$SYSTEM_PYTHON" -c 'import json, sys; s = json.load(open(sys.argv[1]))["scanned"]["malware"]
print(s["engine"], s["signatures"], s["files"] >= 7, s["errors"])' "$work/docker.tar.json"
	[ "$output" = "clamav 3 True 0" ]
	run "$COCOON" scan image --no-db --malware-db "$DB" "$work/forms/docker.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Malware: FOUND"* ]]
	[[ "$output" == *"Cocoon.Test.Eicar.UNOFFICIAL"*"/opt/app/eicar.com"* ]]
	# --fail-on: malware is critical.
	run "$COCOON" scan image --no-db --malware-db "$DB" --fail-on critical "$work/forms/oci"
	[ "$status" -eq 1 ]
}

@test "malware: a file a later layer deletes still ships in the image and is reported with its layer" {
	local work="$BATS_TEST_TMPDIR"
	mkdir -p "$work/l1/usr/bin" "$work/l2/usr/bin" "$work/l1/etc"
	printf 'ID=debian\nVERSION_ID="12"\n' >"$work/l1/etc/os-release"
	cp "$TESTFILES/clam.exe" "$work/l1/usr/bin/tool"
	touch "$work/l2/usr/bin/.wh.tool"
	run "$SYSTEM_PYTHON" "$BATS_TEST_DIRNAME/helpers/oci_layout.py" "$work/image" '{"User": "1000"}' "$work/l1" "$work/l2"
	[ "$status" -eq 0 ]
	local base="${lines[0]}"
	run "$COCOON" scan image --no-db --malware-db "$DB" -f json "$work/image"
	[ "$status" -eq 0 ]
	echo "$output" >"$work/r.json"
	run "$SYSTEM_PYTHON" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["malware"]))' "$work/r.json"
	[[ "$output" == *'"path": "/usr/bin/tool"'* ]]
	[[ "$output" == *"\"layer\": \"$base\""* ]]
}

@test "malware: an unusable signature database is refused with a message that names it" {
	mkdir -p "$BATS_TEST_TMPDIR/empty" "$BATS_TEST_TMPDIR/bad" "$BATS_TEST_TMPDIR/img/etc"
	printf 'ID=debian\n' >"$BATS_TEST_TMPDIR/img/etc/os-release"
	run "$COCOON" scan image --no-db --malware-db "$BATS_TEST_TMPDIR/empty" "$BATS_TEST_TMPDIR/img"
	[ "$status" -eq 1 ]
	[[ "$output" == *"malware database \`$BATS_TEST_TMPDIR/empty\`: "*"No supported database files found"* ]]
	printf 'zzzz:12:Not.A.Hash\n' >"$BATS_TEST_TMPDIR/bad/broken.hdb"
	run "$COCOON" scan image --no-db --malware-db "$BATS_TEST_TMPDIR/bad" "$BATS_TEST_TMPDIR/img"
	[ "$status" -eq 1 ]
	[[ "$output" == *"error loading database $BATS_TEST_TMPDIR/bad/broken.hdb"* ]]
	# Lines ClamAV passes over leave no signature: refused, it would look clean.
	printf 'not:a:valid:hash:line\n' >"$BATS_TEST_TMPDIR/bad/broken.hdb"
	run "$COCOON" scan image --no-db --malware-db "$BATS_TEST_TMPDIR/bad" "$BATS_TEST_TMPDIR/img"
	[ "$status" -eq 1 ]
	[[ "$output" == *"malware database \`$BATS_TEST_TMPDIR/bad\` has no signature"* ]]
	run "$COCOON" scan image --no-db --malware-db "$BATS_TEST_TMPDIR/missing" "$BATS_TEST_TMPDIR/img"
	[ "$status" -eq 1 ]
	[[ "$output" == *"malware database \`$BATS_TEST_TMPDIR/missing\`: No such file or directory"* ]]
	# Without a database nothing is claimed about malware.
	run "$COCOON" scan image --no-db -f json "$BATS_TEST_TMPDIR/img"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"malware": null'* ]]
	run "$COCOON" scan image --no-db "$BATS_TEST_TMPDIR/img"
	[[ "$output" == *"Malware: not scanned"* ]]
}

@test "secrets: keys and tokens are found by file and line and never printed" {
	local root="$BATS_TEST_TMPDIR/root" secrets="$BATS_TEST_TMPDIR/secrets"
	mkdir -p "$root/etc" "$root/root/.aws" "$root/root/.ssh" "$root/app" "$root/root/.docker" \
		"$root/usr/share/doc/openssl" "$root/usr/lib/python3/test"
	printf 'ID=debian\nVERSION_ID="12"\n' >"$root/etc/os-release"
	local key_id secret github
	key_id="AKIA$(head -c 64 /dev/urandom | base32 | tr -dc 'A-Z2-7' | head -c 16)"
	secret="$(head -c 30 /dev/urandom | base64 | head -c 40)"
	github="ghp_$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 36)"
	printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key_id" "$secret" \
		>"$root/root/.aws/credentials"
	openssl genpkey -algorithm ed25519 -out "$root/root/.ssh/id_ed25519" 2>/dev/null
	openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out "$root/app/server.key" 2>/dev/null
	# A GCP service account key: the PEM inside a JSON string, newlines escaped.
	"$SYSTEM_PYTHON" -c 'import json, sys
print(json.dumps({"type": "service_account", "private_key": open(sys.argv[1]).read()}))' "$root/app/server.key" \
		>"$root/app/service-account.json"
	printf 'set -e\nexport GITHUB_TOKEN=%s\n' "$github" >"$root/app/deploy.sh"
	printf '{"auths": {"registry.example": {"auth": "%s"}}}\n' "$(printf 'user:hunter2' | base64)" \
		>"$root/root/.docker/config.json"
	# Not secrets: a certificate and a public key, a header without a body, documentation and a
	# test suite's fixture key, and AWS's documentation example.
	openssl req -x509 -newkey ed25519 -nodes -subj /CN=x -keyout /dev/null -out "$root/app/cert.pem" 2>/dev/null
	openssl pkey -in "$root/app/server.key" -pubout -out "$root/app/server.pub"
	printf 'Keys start with -----BEGIN RSA PRIVATE KEY----- and end.\n' >"$root/app/NOTES"
	cp "$root/app/server.key" "$root/usr/share/doc/openssl/example.key"
	cp "$root/app/server.key" "$root/usr/lib/python3/test/keycert.pem"
	printf 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n' >"$root/app/example.ini"
	run "$COCOON" scan image --no-db -f json -o "$BATS_TEST_TMPDIR/r.json" "$root"
	[ "$status" -eq 0 ]
	run "$SYSTEM_PYTHON" -c 'import json, sys
for s in json.load(open(sys.argv[1]))["secrets"]:
    print(s["path"], s["line"], s["rule"], s["severity"])' "$BATS_TEST_TMPDIR/r.json"
	echo "$output"
	[ "${#lines[@]}" -eq 7 ]
	[[ "$output" == *"/root/.aws/credentials 2 aws-access-key-id critical"* ]]
	[[ "$output" == *"/root/.aws/credentials 3 aws-secret-access-key critical"* ]]
	[[ "$output" == *"/root/.ssh/id_ed25519 1 private-key high"* ]]
	[[ "$output" == *"/app/server.key 1 private-key high"* ]]
	[[ "$output" == *"/app/service-account.json 1 private-key high"* ]]
	[[ "$output" == *"/app/deploy.sh 2 github-token critical"* ]]
	[[ "$output" == *"/root/.docker/config.json 1 registry-auth high"* ]]
	# Neither the JSON nor the table holds any secret's bytes.
	run "$COCOON" scan image --no-db "$root"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Secrets: FOUND"* ]]
	for s in "${key_id:4}" "$secret" "${github:4}" "$(printf 'user:hunter2' | base64)" \
		"$(sed -n 2p "$root/app/server.key")"; do
		! grep -qF -- "$s" "$BATS_TEST_TMPDIR/r.json" || false
		[[ "$output" != *"$s"* ]]
	done
	# --fail-on high fails; --no-secrets turns the rules off.
	run "$COCOON" scan image --no-db --fail-on high "$root"
	[ "$status" -eq 1 ]
	run "$COCOON" scan image --no-db --no-secrets -f json "$root"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"secrets": []'* ]]
}

@test "image config: root user, latest tag, secrets in ENV and SSH are misconfigurations" {
	local work="$BATS_TEST_TMPDIR"
	mkdir -p "$work/l1/etc"
	printf 'ID=debian\nVERSION_ID="12"\n' >"$work/l1/etc/os-release"
	local token="ghp_$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 36)"
	"$SYSTEM_PYTHON" "$BATS_TEST_DIRNAME/helpers/oci_layout.py" "$work/bad" \
		"{\"Env\": [\"PATH=/usr/bin\", \"DB_PASSWORD=hunter2-$$\", \"DEPLOY=$token\"], \"ExposedPorts\": {\"22/tcp\": {}}}" \
		"$work/l1" >/dev/null
	run "$COCOON" scan image --no-db -f json -o "$work/bad.json" "$work/bad"
	[ "$status" -eq 0 ]
	run "$SYSTEM_PYTHON" -c 'import json, sys
for m in json.load(open(sys.argv[1]))["misconfigurations"]:
    print(m["id"], m["severity"], m["field"])' "$work/bad.json"
	echo "$output"
	[[ "$output" == *"IMG-ROOT-USER high config.User"* ]]
	[[ "$output" == *"IMG-LATEST-TAG medium repo_tags"* ]]
	[[ "$output" == *"IMG-NO-DIGEST low repo_tags"* ]]
	[[ "$output" == *"IMG-SECRET-ENV high config.Env"* ]]     # by its name
	[[ "$output" == *"IMG-SECRET-ENV critical config.Env"* ]] # by its value
	[[ "$output" == *"IMG-SSH-PORT medium config.ExposedPorts"* ]]
	! grep -q "hunter2" "$work/bad.json" || false
	! grep -qF "${token:4}" "$work/bad.json" || false
	# A non-root user and nothing else: clean but for the tag.
	"$SYSTEM_PYTHON" "$BATS_TEST_DIRNAME/helpers/oci_layout.py" "$work/good" '{"User": "10001:10001"}' "$work/l1" >/dev/null
	run "$COCOON" scan image --no-db -f json -o "$work/good.json" "$work/good"
	[ "$status" -eq 0 ]
	run "$SYSTEM_PYTHON" -c 'import json, sys
print(sorted(m["id"] for m in json.load(open(sys.argv[1]))["misconfigurations"]))' "$work/good.json"
	[ "$output" = "['IMG-LATEST-TAG', 'IMG-NO-DIGEST']" ]
	run "$COCOON" scan image --no-db --no-config-checks -f json "$work/bad"
	[[ "$output" == *'"misconfigurations": []'* ]]
}

@test "malware and secrets: the Debian minbase image is clean" {
	local tar
	tar="$(scan_minbase_tar)"
	run "$COCOON" scan image --no-db --malware-db "$DB" -f json -o "$BATS_TEST_TMPDIR/r.json" "$tar"
	[ "$status" -eq 0 ]
	run "$SYSTEM_PYTHON" -c 'import json, sys; r = json.load(open(sys.argv[1]))
print(len(r["malware"]), len(r["secrets"]), r["scanned"]["malware"]["files"] > 5000, r["scanned"]["secrets"]["files"] > 1000)' \
		"$BATS_TEST_TMPDIR/r.json"
	[ "$output" = "0 0 True True" ]
}

@test "policies: --default-policies fails the build on malware and secrets, naming the policies" {
	local root="$BATS_TEST_TMPDIR/root"
	mkdir -p "$root/etc" "$root/opt"
	printf 'ID=debian\nVERSION_ID="12"\n' >"$root/etc/os-release"
	cp "$TESTFILES/clam.exe" "$root/opt/tool.exe"
	run "$COCOON" scan image --no-db --malware-db "$DB" --default-policies -f json -o "$BATS_TEST_TMPDIR/r.json" "$root"
	[ "$status" -eq 1 ]
	[[ "$output" == *'policy "malware-in-image": malware Cocoon.Test.ClamExe.UNOFFICIAL in /opt/tool.exe'* ]]
	run "$SYSTEM_PYTHON" -c 'import json, sys
print([(v["policy"], v["enforcement"]) for v in json.load(open(sys.argv[1]))["policy_violations"]])' "$BATS_TEST_TMPDIR/r.json"
	[ "$output" = "[('malware-in-image', 'fail')]" ]
	# Without malware the default policies pass this image; a policy of the operator's can fail it.
	rm "$root/opt/tool.exe"
	run "$COCOON" scan image --no-db --malware-db "$DB" --default-policies "$root"
	[ "$status" -eq 0 ]
	cat >"$BATS_TEST_TMPDIR/no-debian.yaml" <<-'YAML'
	apiVersion: cocoon.dev/v1
	kind: SecurityPolicy
	metadata: {name: no-debian}
	spec:
	  severity: low
	  lifecycleStages: [build]
	  enforcement: {build: fail}
	  sections:
	  - criteria:
	    - {field: Image OS, values: ["debian.*"], operator: regex}
	YAML
	run "$COCOON" scan image --no-db --policy "$BATS_TEST_TMPDIR/no-debian.yaml" "$root"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no-debian"*"fail"* ]]
	# A policy file that does not load fails the build (closed), with the file named.
	printf 'kind: SecurityPolicy\n' >"$BATS_TEST_TMPDIR/broken.yaml"
	run "$COCOON" scan image --no-db --policy "$BATS_TEST_TMPDIR/broken.yaml" "$root"
	[ "$status" -eq 1 ]
	[[ "$output" == *"policies: "*"broken.yaml"* ]]
}

