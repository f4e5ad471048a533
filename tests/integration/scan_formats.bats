#!/usr/bin/env bats
# cocoon scan image --format cyclonedx|spdx|sarif: the Debian 12 minbase image (debootstrap, as
# scan_image.bats builds it) with gzip set back below the fix of CVE-2022-1271, a secret and EICAR
# in it, matched against the feed of its own changelogs; each document checked against the
# official schema with ajv (tests/js/validate-schema.mjs): CycloneDX 1.5's from CycloneDX's own
# npm package, SARIF 2.1.0's from Microsoft's SARIF SDK package. The SPDX 2.3 JSON schema is on no
# npm package (spdx-spec publishes it only in its repository), so the SPDX document is checked
# for what SPDX 2.3 requires, field by field below, with its license expressions parsed by
# spdx-expression-parse. Then the content: purls of the right form for every package, the same
# packages in every format, the CVE in each, and SOURCE_DATE_EPOCH's byte-identical output.

load helpers/common
load helpers/scan

export JS="$COCOON_ROOT/tests/js"
CDX_SCHEMAS="$JS/node_modules/@cyclonedx/cyclonedx-library/res/schema"
SARIF_SCHEMA="$JS/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

setup_file() {
	command -v podman >/dev/null || skip "podman is not installed"
	command -v node >/dev/null || skip "node is not installed (scripts/install-deps)"
	[ -d "$JS/node_modules/ajv-draft-04" ] || skip "tests/js is not installed (npm ci)"
	export WORK="$BATS_FILE_TMPDIR/work"
	mkdir -p "$WORK/rootfs"
	local tar
	tar="$(scan_minbase_tar)"
	tar -C "$WORK/rootfs" -xf "$tar"
	"$SYSTEM_PYTHON" "$BATS_TEST_DIRNAME/helpers/changelog_feed.py" "$WORK/rootfs" >"$WORK/feed.json"
	export DB="$WORK/vulndb.sqlite"
	"$COCOON" scan db import --format debian-tracker --db "$DB" "$WORK/feed.json" >/dev/null
	# gzip 1.10-4 (bullseye's) is below 1.12-1, which fixed CVE-2022-1271; a secret and EICAR,
	# which a signature written here finds.
	sed -i '/^Package: gzip$/,/^$/ s/^Version: 1.12-1$/Version: 1.10-4/' "$WORK/rootfs/var/lib/dpkg/status"
	mkdir -p "$WORK/rootfs/root/.aws" "$WORK/rootfs/opt/app"
	printf '[default]\naws_access_key_id = AKIA%s\n' "$(head -c 64 /dev/urandom | base32 | tr -dc 'A-Z2-7' | head -c 16)" \
		>"$WORK/rootfs/root/.aws/credentials"
	printf '%s' "$EICAR" >"$WORK/rootfs/opt/app/eicar test.com"
	mkdir -p "$WORK/malware-db"
	echo "Cocoon.Test.Eicar:0:*:$(printf '%s' 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE' | xxd -p | tr -d '\n')" \
		>"$WORK/malware-db/test.ndb"
	# The same image imported and saved as a docker-archive: an ID, a tag and a config (whose
	# misconfigurations SARIF reports).
	tar -C "$WORK/rootfs" --numeric-owner -cf "$WORK/rootfs.tar" .
	scan_podman "$WORK" import --quiet "$WORK/rootfs.tar" localhost/scan-formats:1 >/dev/null
	scan_podman "$WORK" save --quiet --format docker-archive -o "$WORK/docker.tar" localhost/scan-formats:1
	rm -f "$WORK/rootfs.tar"
	export SOURCE_DATE_EPOCH=1700000000
	local form format
	for form in rootfs docker.tar; do
		for format in json cyclonedx spdx sarif; do
			"$COCOON" scan image -q --db "$DB" --malware-db "$WORK/malware-db" --format "$format" \
				-o "$WORK/$form.$format" "$WORK/$form"
		done
	done
}

teardown_file() {
	[ -z "${WORK:-}" ] || rm -rf "$WORK"
}

validate_cyclonedx() {
	node "$JS/validate-schema.mjs" --ref "$CDX_SCHEMAS/spdx.SNAPSHOT.schema.json" \
		--ref "$CDX_SCHEMAS/jsf-0.82.SNAPSHOT.schema.json" "$CDX_SCHEMAS/bom-1.5.SNAPSHOT.schema.json" "$1"
}

@test "scan formats: CycloneDX 1.5 is valid against the official schema" {
	local form
	for form in rootfs docker.tar; do
		run validate_cyclonedx "$WORK/$form.cyclonedx"
		echo "$output"
		[ "$status" -eq 0 ]
	done
	# The validator does reject: a component type the schema does not have.
	sed 's/"type": "library"/"type": "libary"/' "$WORK/rootfs.cyclonedx" >"$BATS_TEST_TMPDIR/bad.json"
	run validate_cyclonedx "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"must be equal to one of the allowed values"* ]]
}

@test "scan formats: SARIF 2.1.0 is valid against the official schema" {
	local form
	for form in rootfs docker.tar; do
		run node "$JS/validate-schema.mjs" "$SARIF_SCHEMA" "$WORK/$form.sarif"
		echo "$output"
		[ "$status" -eq 0 ]
	done
	sed 's/"level": "error"/"level": "fatal"/' "$WORK/rootfs.sarif" >"$BATS_TEST_TMPDIR/bad.json"
	run node "$JS/validate-schema.mjs" "$SARIF_SCHEMA" "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 1 ]
}

# check_spdx FILE: what spdx-spec's schemas/spdx-schema.json (2.3) and the specification require of
# what we write, written out here because no npm package ships that schema; the license expressions
# parsed by spdx-expression-parse.
check_spdx() {
	node --input-type=module - "$1" <<-'JS'
	import { readFileSync } from "node:fs";
	import { createRequire } from "node:module";
	const require = createRequire(process.env.JS + "/package.json");
	const parse = require("spdx-expression-parse");
	const doc = JSON.parse(readFileSync(process.argv[2], "utf8"));
	const problems = [];
	const check = (ok, what) => { if (!ok) problems.push(what); };
	const date = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$/;
	const idstring = /^SPDXRef-[a-zA-Z0-9.-]+$/;
	const top = ["SPDXID", "creationInfo", "dataLicense", "name", "spdxVersion", "documentNamespace"];
	const known = ["$schema", "SPDXID", "annotations", "comment", "creationInfo", "dataLicense", "externalDocumentRefs",
		"hasExtractedLicensingInfos", "name", "revieweds", "spdxVersion", "documentNamespace", "documentDescribes",
		"packages", "files", "snippets", "relationships"];
	for (const k of top) check(k in doc, `missing ${k}`);
	for (const k of Object.keys(doc)) check(known.includes(k), `unknown member ${k}`);
	check(doc.spdxVersion === "SPDX-2.3", "spdxVersion");
	check(doc.dataLicense === "CC0-1.0", "dataLicense");
	check(doc.SPDXID === "SPDXRef-DOCUMENT", "SPDXID");
	check(/^https?:\/\/[^#\s]+$/.test(doc.documentNamespace), "documentNamespace: an absolute URI without #");
	const ci = doc.creationInfo ?? {};
	check(date.test(ci.created), "creationInfo.created");
	check(Array.isArray(ci.creators) && ci.creators.length > 0 &&
		ci.creators.every((c) => /^(Tool|Organization|Person): \S/.test(c)), "creationInfo.creators");
	for (const k of Object.keys(ci)) check(["comment", "created", "creators", "licenseListVersion"].includes(k), `creationInfo.${k}`);
	const pkgKeys = ["SPDXID", "annotations", "attributionTexts", "builtDate", "checksums", "comment", "copyrightText",
		"description", "downloadLocation", "externalRefs", "filesAnalyzed", "hasFiles", "homepage", "licenseComments",
		"licenseConcluded", "licenseDeclared", "licenseInfoFromFiles", "name", "originator", "packageFileName",
		"packageVerificationCode", "primaryPackagePurpose", "releaseDate", "sourceInfo", "summary", "supplier",
		"validUntilDate", "versionInfo"];
	const purposes = ["OTHER", "INSTALL", "ARCHIVE", "FIRMWARE", "APPLICATION", "FRAMEWORK", "LIBRARY", "CONTAINER",
		"SOURCE", "DEVICE", "OPERATING-SYSTEM", "FILE"];
	const ids = new Set(["SPDXRef-DOCUMENT"]);
	const license = (v) => v === "NOASSERTION" || v === "NONE" || (() => { try { parse(v); return true; } catch { return false; } })();
	for (const p of doc.packages ?? []) {
		for (const k of ["SPDXID", "downloadLocation", "name"]) check(typeof p[k] === "string", `${p.name}: ${k}`);
		for (const k of Object.keys(p)) check(pkgKeys.includes(k), `${p.name}: unknown member ${k}`);
		check(idstring.test(p.SPDXID), `${p.name}: SPDXID ${p.SPDXID}`);
		check(!ids.has(p.SPDXID), `${p.SPDXID} twice`);
		ids.add(p.SPDXID);
		check(purposes.includes(p.primaryPackagePurpose), `${p.name}: primaryPackagePurpose`);
		check(p.filesAnalyzed === false && !("packageVerificationCode" in p), `${p.name}: filesAnalyzed`);
		check(license(p.licenseConcluded) && license(p.licenseDeclared), `${p.name}: license expression`);
		check(/^(NOASSERTION|(Person|Organization): .+)$/.test(p.supplier), `${p.name}: supplier`);
		for (const r of p.externalRefs ?? []) {
			check(["SECURITY", "PACKAGE-MANAGER", "PERSISTENT-ID", "OTHER"].includes(r.referenceCategory), `${p.name}: referenceCategory`);
			check(typeof r.referenceType === "string" && /^\S+$/.test(r.referenceLocator), `${p.name}: referenceLocator`);
		}
	}
	const types = new Set(["DESCRIBES", "CONTAINS"]);
	for (const r of doc.relationships ?? []) {
		check(types.has(r.relationshipType), `relationshipType ${r.relationshipType}`);
		check(ids.has(r.spdxElementId) && ids.has(r.relatedSpdxElement), `relationship ${JSON.stringify(r)}`);
	}
	check((doc.relationships ?? []).some((r) => r.spdxElementId === "SPDXRef-DOCUMENT" && r.relationshipType === "DESCRIBES"),
		"the document DESCRIBES nothing");
	if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
	console.log(`${doc.packages.length} packages, ${doc.relationships.length} relationships`);
	JS
}

@test "scan formats: SPDX 2.3 has every field SPDX 2.3 requires, in its forms" {
	local form
	for form in rootfs docker.tar; do
		run check_spdx "$WORK/$form.spdx"
		echo "$output"
		[ "$status" -eq 0 ]
	done
	# The checks do fail: an SPDXID with a character idstring does not have, a relationship to
	# nothing, a license that is no expression.
	"$SYSTEM_PYTHON" - "$WORK/rootfs.spdx" "$BATS_TEST_TMPDIR/bad.json" <<-'PY'
	import json, sys
	doc = json.load(open(sys.argv[1]))
	doc["packages"][2]["SPDXID"] += "_x"
	doc["relationships"].append({"spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-None"})
	doc["packages"][3]["licenseDeclared"] = "GPLv2+"
	json.dump(doc, open(sys.argv[2], "w"))
	PY
	run check_spdx "$BATS_TEST_TMPDIR/bad.json"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"SPDXID SPDXRef-"*"_x"* ]]
	[[ "$output" == *"SPDXRef-None"* ]]
	[[ "$output" == *"license expression"* ]]
}

@test "scan formats: every package has its purl, the same in every format, and the CVE is in each" {
	run "$SYSTEM_PYTHON" - "$WORK" <<-'PY'
	import json, re, sys, urllib.parse
	work = sys.argv[1]
	report = json.load(open(f"{work}/rootfs.json"))
	cdx = json.load(open(f"{work}/rootfs.cyclonedx"))
	spdx = json.load(open(f"{work}/rootfs.spdx"))
	sarif = json.load(open(f"{work}/rootfs.sarif"))
	# The purl as the purl-spec builds it, written again here: unreserved characters and ":" stay.
	enc = lambda s: urllib.parse.quote(s, safe=":~")
	def purl(p):
	    q = {"arch": p["arch"], "distro": "debian-12"}
	    if p["source_version"] != p["version"]:
	        q["upstream"] = f'{p["source_name"]}@{p["source_version"]}'
	    elif p["source_name"] != p["name"]:
	        q["upstream"] = p["source_name"]
	    return f'pkg:deb/debian/{enc(p["name"].lower())}@{enc(p["version"])}?' + "&".join(
	        f"{k}={enc(v)}" for k, v in sorted(q.items()))
	want = sorted(purl(p) for p in report["packages"])
	assert len(want) > 80
	part = r"(?:[a-z0-9.~_-]|%[0-9A-F]{2})+"
	form = re.compile(rf"^pkg:deb/debian/{part}@(?:[A-Za-z0-9.~_:-]|%[0-9A-F]{{2}})+\?arch=[a-z0-9]+&distro=debian-12"
	                  rf"(?:&upstream={part}(?:%40(?:[A-Za-z0-9.~_:-]|%[0-9A-F]{{2}})+)?)?$")
	assert all(form.match(p) for p in want), [p for p in want if not form.match(p)]
	libs = [c for c in cdx["components"] if c["type"] == "library"]
	assert sorted(c["purl"] for c in libs) == want, set(c["purl"] for c in libs) ^ set(want)
	assert sorted((c["name"], c["version"]) for c in libs) == sorted((p["name"], p["version"]) for p in report["packages"])
	spdx_purls = sorted(r["referenceLocator"] for p in spdx["packages"] for r in p.get("externalRefs", [])
	                    if r["referenceType"] == "purl")
	assert spdx_purls == want, set(spdx_purls) ^ set(want)
	assert len(spdx["packages"]) == len(want) + 2  # the image and the OS
	# gzip's CVE: a CycloneDX vulnerability affecting gzip with the fix as recommendation, a SARIF
	# result at dpkg's database, an SPDX advisory reference of gzip's.
	gzip = next(c for c in libs if c["name"] == "gzip")
	assert gzip["version"] == "1.10-4"
	v = next(v for v in cdx["vulnerabilities"] if v["id"] == "CVE-2022-1271")
	assert [a["ref"] for a in v["affects"]] == [gzip["bom-ref"]], v["affects"]
	assert "1.12-1" in v["recommendation"] and v["source"]["name"] == "debian-tracker"
	run = sarif["runs"][0]
	r = next(r for r in run["results"] if r["ruleId"] == "CVE-2022-1271")
	assert r["properties"]["purl"] == gzip["purl"] and r["properties"]["fixed_version"] == "1.12-1"
	assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "var/lib/dpkg/status"
	rule = run["tool"]["driver"]["rules"][r["ruleIndex"]]
	assert rule["id"] == "CVE-2022-1271" and rule["helpUri"] == "https://nvd.nist.gov/vuln/detail/CVE-2022-1271"
	sp = next(p for p in spdx["packages"] if p["name"] == "gzip")
	assert any(x["referenceCategory"] == "SECURITY" and x["referenceLocator"].endswith("/CVE-2022-1271")
	           for x in sp["externalRefs"]), sp
	# Every finding of the report is in each: as many SARIF results, every CycloneDX affects entry.
	findings = {(f["package"], f["id"]) for f in report["findings"]}
	assert {(r["properties"]["package"], r["ruleId"]) for r in run["results"] if "package" in r.get("properties", {})} == findings
	refs = {c["bom-ref"]: c["name"] for c in libs}
	assert {(refs[a["ref"]], v["id"]) for v in cdx["vulnerabilities"] for a in v["affects"]} == findings
	print(len(want), "packages,", len(findings), "findings")
	PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "scan formats: SARIF reports malware, secrets and the image config's misconfiguration" {
	run "$SYSTEM_PYTHON" - "$WORK" <<-'PY'
	import json, sys
	work = sys.argv[1]
	for form in ("rootfs", "docker.tar"):
	    report = json.load(open(f"{work}/{form}.json"))
	    run = json.load(open(f"{work}/{form}.sarif"))["runs"][0]
	    rules = run["tool"]["driver"]["rules"]
	    by_rule = lambda prefix: [r for r in run["results"] if r["ruleId"].startswith(prefix)]
	    (m,) = by_rule("malware/")
	    # ClamAV names a signature of an unsigned database NAME.UNOFFICIAL.
	    assert m["ruleId"].startswith("malware/Cocoon.Test.Eicar") and m["level"] == "error", m
	    assert m["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "opt/app/eicar%20test.com"
	    (s,) = by_rule("secret/aws-access-key-id")
	    assert s["level"] == "error" and s["locations"][0]["physicalLocation"]["region"]["startLine"] == 2, s
	    assert s["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "root/.aws/credentials"
	    key = open(f"{work}/rootfs/root/.aws/credentials").read().split("= ")[1].strip()
	    assert key not in open(f"{work}/{form}.sarif").read()  # the secret itself is never written
	    misconf = [r for r in run["results"] if r["ruleId"] in {m["id"] for m in report["misconfigurations"]}]
	    assert len(misconf) == len(report["misconfigurations"]), (misconf, report["misconfigurations"])
	    for r in run["results"]:
	        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
	        assert r["partialFingerprints"]["cocoon/v1"]
	    print(form, len(run["results"]), "results,", len(misconf), "misconfigurations")
	docker = json.load(open(f"{work}/docker.tar.json"))
	assert docker["misconfigurations"], "a podman-imported image runs as root"
	cdx = json.load(open(f"{work}/docker.tar.cyclonedx"))
	image = cdx["metadata"]["component"]
	assert image["type"] == "container" and image["name"] == "localhost/scan-formats:1", image
	assert image["version"] == docker["image"]["id"]
	PY
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "scan formats: SOURCE_DATE_EPOCH gives the same bytes twice; without it, new identifiers" {
	local format
	for format in cyclonedx spdx sarif; do
		SOURCE_DATE_EPOCH=1700000000 "$COCOON" scan image -q --db "$DB" --malware-db "$WORK/malware-db" \
			--format "$format" -o "$BATS_TEST_TMPDIR/again.$format" "$WORK/rootfs"
		cmp "$WORK/rootfs.$format" "$BATS_TEST_TMPDIR/again.$format"
	done
	grep -q '"timestamp": "2023-11-14T22:13:20Z"' "$WORK/rootfs.cyclonedx"
	grep -q '"created": "2023-11-14T22:13:20Z"' "$WORK/rootfs.spdx"
	# Another image at the same time has another serial number and namespace.
	! cmp -s <(grep serialNumber "$WORK/rootfs.cyclonedx") <(grep serialNumber "$WORK/docker.tar.cyclonedx") || false
	! cmp -s <(grep documentNamespace "$WORK/rootfs.spdx") <(grep documentNamespace "$WORK/docker.tar.spdx") || false
	# Without SOURCE_DATE_EPOCH each run is a new document.
	unset SOURCE_DATE_EPOCH
	"$COCOON" scan image -q --no-db --no-secrets --format cyclonedx -o "$BATS_TEST_TMPDIR/a.json" "$WORK/docker.tar"
	"$COCOON" scan image -q --no-db --no-secrets --format cyclonedx -o "$BATS_TEST_TMPDIR/b.json" "$WORK/docker.tar"
	a="$(grep serialNumber "$BATS_TEST_TMPDIR/a.json")"
	b="$(grep serialNumber "$BATS_TEST_TMPDIR/b.json")"
	[ "$a" != "$b" ]
	[[ "$a" =~ urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} ]]
}

@test "scan formats: a bad SOURCE_DATE_EPOCH or format is refused" {
	SOURCE_DATE_EPOCH=yesterday run "$COCOON" scan image -q --no-db --format spdx -o "$BATS_TEST_TMPDIR/x" "$WORK/docker.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"SOURCE_DATE_EPOCH=\`yesterday\` is not a number of seconds since 1970"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/x" ]
	run "$COCOON" scan image --format swid "$WORK/docker.tar"
	[ "$status" -eq 2 ]
	[[ "$output" == *"table, json, sarif, cyclonedx or spdx"* ]]
	run "$COCOON" scan image --help
	[[ "$output" == *"cyclonedx (CycloneDX 1.5"* ]]
}
