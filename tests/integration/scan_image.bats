#!/usr/bin/env bats
# cocoon scan image: a real Debian 12 minbase image (debootstrap) in every input form, matched
# against a Debian tracker feed made from the image's own changelogs (real CVEs, real fixed
# versions); whiteouts across layers; an Alpine database against Alpine's secdb; bad input.

load helpers/common
load helpers/scan

setup_file() {
	command -v podman >/dev/null || skip "podman is not installed"
	export FORMS="$BATS_FILE_TMPDIR/forms"
	local tar
	tar="$(scan_minbase_tar)"
	scan_image_forms "$tar" "$FORMS"
	# The feed: every CVE the changelogs name, fixed in the version that says so, for bookworm; the
	# same CVEs for bullseye with a fix above anything installed, which a bookworm image must ignore.
	"$SYSTEM_PYTHON" "$BATS_TEST_DIRNAME/helpers/changelog_feed.py" "$FORMS/rootfs" --also-release bullseye \
		>"$BATS_FILE_TMPDIR/feed.json"
	export DB="$BATS_FILE_TMPDIR/vulndb.sqlite"
	"$COCOON" scan db import --format debian-tracker --db "$DB" "$BATS_FILE_TMPDIR/feed.json" >/dev/null
}

teardown_file() {
	[ -z "${FORMS:-}" ] || rm -rf "$FORMS"
}

# findings FILE: "package id status fixed_version" lines of a JSON report, sorted.
findings() {
	"$SYSTEM_PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
for f in r["findings"]:
    print(f["package"], f["id"], f["status"], f["fixed_version"])
' "$1" | sort
}

@test "scan image: every input form gives the same OS, packages and findings" {
	local form
	for form in rootfs rootfs.tar docker.tar oci.tar oci; do
		run "$COCOON" scan image --db "$DB" --format json -o "$BATS_TEST_TMPDIR/$form.json" "$FORMS/$form"
		[ "$status" -eq 0 ] || { echo "$form: $output"; false; }
	done
	"$SYSTEM_PYTHON" - "$BATS_TEST_TMPDIR" "$FORMS/rootfs" <<-'PY'
	import json, os, subprocess, sys
	tmp, rootfs = sys.argv[1], sys.argv[2]
	installed = subprocess.run(["dpkg-query", "--admindir", rootfs + "/var/lib/dpkg", "-W", "-f",
	                            "${db:Status-Status} ${Package} ${Version} ${source:Package} ${source:Version}\n"],
	                           capture_output=True, text=True, check=True).stdout.split("\n")
	want = sorted(l.split(" ", 1)[1] for l in installed if l.startswith("installed "))
	reports = {f: json.load(open(f"{tmp}/{f}.json")) for f in ("rootfs", "rootfs.tar", "docker.tar", "oci.tar", "oci")}
	for form, r in reports.items():
	    assert r["os"]["id"] == "debian" and r["os"]["version_id"] == "12", (form, r["os"])
	    got = sorted(f'{p["name"]} {p["version"]} {p["source_name"]} {p["source_version"]}' for p in r["packages"])
	    assert got == want, (form, set(got) ^ set(want))
	    key = lambda f: (f["package"], f["id"])
	    assert sorted(r["findings"], key=key) == sorted(reports["rootfs"]["findings"], key=key), form
	    assert all(f["fixed_version"] != "999:0" for f in r["findings"]), "a bullseye entry matched"
	assert len(want) > 80
	assert reports["docker.tar"]["image"]["id"] == reports["oci.tar"]["image"]["id"] == reports["oci"]["image"]["id"]
	assert reports["docker.tar"]["image"]["format"] == "docker-archive"
	assert reports["oci"]["image"]["format"] == "oci-layout"
	PY
}

@test "scan image: a package downgraded below a fix is a fixable finding; the fixed one is not" {
	run "$COCOON" scan image --db "$DB" --format json -o "$BATS_TEST_TMPDIR/before.json" "$FORMS/rootfs"
	[ "$status" -eq 0 ]
	! findings "$BATS_TEST_TMPDIR/before.json" | grep -q 'CVE-2022-1271' || false
	# gzip 1.12-1 fixed CVE-2022-1271 (zgrep); 1.10-4 is bullseye's version, before the fix.
	cp -a "$FORMS/rootfs" "$BATS_TEST_TMPDIR/old"
	sed -i '/^Package: gzip$/,/^$/ s/^Version: 1.12-1$/Version: 1.10-4/' "$BATS_TEST_TMPDIR/old/var/lib/dpkg/status"
	run "$COCOON" scan image --db "$DB" --format json -o "$BATS_TEST_TMPDIR/after.json" "$BATS_TEST_TMPDIR/old"
	[ "$status" -eq 0 ]
	run findings "$BATS_TEST_TMPDIR/after.json"
	[[ "$output" == *"gzip CVE-2022-1271 fixed 1.12-1"* ]]
	# gzip's older CVEs were fixed long before 1.10-4.
	[[ "$output" != *"gzip CVE-2010-0001"* ]]
	run "$COCOON" scan image --db "$DB" "$BATS_TEST_TMPDIR/old"
	[ "$status" -eq 0 ]
	[[ "$output" == *"CVE-2022-1271"*"1.10-4"*"1.12-1"* ]]
	run "$COCOON" scan image --db "$DB" --fail-on medium "$BATS_TEST_TMPDIR/old"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--fail-on medium"* ]]
	run "$COCOON" scan image --db "$DB" --fail-on critical "$BATS_TEST_TMPDIR/old"
	[ "$status" -eq 0 ]
}

@test "scan image: an open advisory is an unfixed finding; a not-affected entry is none" {
	cat >"$BATS_TEST_TMPDIR/open.json" <<-'EOF'
	{"gzip": {"CVE-2099-0001": {"description": "open in gzip", "releases": {"bookworm": {"status": "open", "urgency": "high", "repositories": {}}}},
	          "CVE-2099-0002": {"description": "never affected", "releases": {"bookworm": {"status": "resolved", "fixed_version": "0", "urgency": "high", "repositories": {}}}}}}
	EOF
	cp "$DB" "$BATS_TEST_TMPDIR/db.sqlite"
	"$COCOON" scan db import --format debian-tracker --db "$BATS_TEST_TMPDIR/db.sqlite" "$BATS_TEST_TMPDIR/open.json"
	run "$COCOON" scan image --db "$BATS_TEST_TMPDIR/db.sqlite" --format json -o "$BATS_TEST_TMPDIR/r.json" "$FORMS/oci.tar"
	[ "$status" -eq 0 ]
	run findings "$BATS_TEST_TMPDIR/r.json"
	[[ "$output" == *"gzip CVE-2099-0001 unfixed None"* ]]
	[[ "$output" != *"CVE-2099-0002"* ]]
}

@test "scan image: whiteouts and opaque directories of later layers hide what lower layers had" {
	"$SYSTEM_PYTHON" - "$BATS_TEST_TMPDIR/layered" <<-'PY'
	import hashlib, io, json, os, sys, tarfile
	out = sys.argv[1]
	os.makedirs(f"{out}/blobs/sha256")
	def blob(data):
	    d = hashlib.sha256(data).hexdigest()
	    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
	    return {"digest": "sha256:" + d, "size": len(data)}
	def layer(files):
	    buf = io.BytesIO()
	    with tarfile.open(fileobj=buf, mode="w:gz") as t:
	        for name, data in files:
	            info = tarfile.TarInfo(name)
	            if data is None:
	                info.type = tarfile.DIRTYPE
	                t.addfile(info)
	            else:
	                info.size = len(data)
	                t.addfile(info, io.BytesIO(data))
	    raw = buf.getvalue()
	    return raw
	def stanza(name, version):
	    return f"Package: {name}\nStatus: install ok installed\nVersion: {version}\nArchitecture: amd64\n\n"
	osr = b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
	l1 = layer([("etc/", None), ("etc/os-release", osr), ("var/lib/dpkg/", None),
	            ("var/lib/dpkg/status", stanza("gzip", "1.10-4").encode()),
	            ("lib/apk/db/installed", b"P:musl\nV:1.1.22-r3\n\n")])
	l2 = layer([("var/lib/dpkg/status", (stanza("gzip", "1.12-1") + stanza("bash", "5.2.15-2+b2")).encode()),
	            ("lib/.wh..wh..opq", b"")])
	l3 = layer([("var/lib/dpkg/status.d/", None), ("var/lib/dpkg/status.d/tzdata", stanza("tzdata", "2024a-0+deb12u1").encode()),
	            ("var/lib/dpkg/.wh.status", b"")])
	layers = [blob(l) | {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"} for l in (l1, l2, l3)]
	diff_ids = ["sha256:" + hashlib.sha256(__import__("gzip").decompress(l)).hexdigest() for l in (l1, l2, l3)]
	config = blob(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
	                          "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode())
	manifest = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
	                            "config": config | {"mediaType": "application/vnd.oci.image.config.v1+json"},
	                            "layers": layers}).encode())
	json.dump({"schemaVersion": 2, "manifests": [manifest | {"mediaType": "application/vnd.oci.image.manifest.v1+json"}]},
	          open(f"{out}/index.json", "w"))
	open(f"{out}/oci-layout", "w").write('{"imageLayoutVersion": "1.0.0"}')
	open(f"{out}.layers", "w").write("\n".join(l["digest"].split(":")[1] for l in layers) + "\n")
	PY
	run "$COCOON" scan image --no-db --format json "$BATS_TEST_TMPDIR/layered"
	[ "$status" -eq 0 ]
	echo "$output" >"$BATS_TEST_TMPDIR/r.json"
	run "$SYSTEM_PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(sorted(p["name"] + " " + p["version"] for p in r["packages"]), len(r["image"]["layers"]))' "$BATS_TEST_TMPDIR/r.json"
	# status (layer 2's) is whited out by layer 3, the apk database by layer 2's opaque lib/.
	[ "$output" = "['tzdata 2024a-0+deb12u1'] 3" ]
	# A layer whose content is not the digest its descriptor names is refused: layer 1's blob
	# replaced by layer 3's, a valid layer of another digest.
	local blobs="$BATS_TEST_TMPDIR/layered/blobs/sha256"
	cp "$blobs/$(sed -n 3p "$BATS_TEST_TMPDIR/layered.layers")" "$blobs/$(sed -n 1p "$BATS_TEST_TMPDIR/layered.layers")"
	run "$COCOON" scan image --no-db "$BATS_TEST_TMPDIR/layered"
	[ "$status" -eq 1 ]
	[[ "$output" == *"layer 1 (sha256:"*"content has sha256:"* ]]
}

@test "scan image: bad input is a clear error, never a crash" {
	# a truncated archive
	head -c 1000000 "$FORMS/docker.tar" >"$BATS_TEST_TMPDIR/truncated.tar"
	run "$COCOON" scan image --no-db "$BATS_TEST_TMPDIR/truncated.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cocoon scan image: "* ]]
	# an entry that climbs out of the root
	"$SYSTEM_PYTHON" - "$BATS_TEST_TMPDIR/escape.tar" <<-'PY'
	import io, sys, tarfile
	with tarfile.open(sys.argv[1], "w") as t:
	    for name in ("etc/", "../../etc/passwd"):
	        info = tarfile.TarInfo(name)
	        info.size = 2 if not name.endswith("/") else 0
	        info.type = tarfile.DIRTYPE if name.endswith("/") else tarfile.REGTYPE
	        t.addfile(info, io.BytesIO(b"x\n") if info.size else None)
	PY
	run "$COCOON" scan image --no-db "$BATS_TEST_TMPDIR/escape.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"leaves the image's root"* ]]
	# not an archive at all
	head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/noise"
	run "$COCOON" scan image --no-db "$BATS_TEST_TMPDIR/noise"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a tar"* ]]
	# a bomb: a layer whose files declare more than a layer may hold is refused at the header,
	# before anything is decompressed
	"$SYSTEM_PYTHON" - "$BATS_TEST_TMPDIR/bomb.tar.gz" <<-'PY'
	import gzip, sys, tarfile
	info = tarfile.TarInfo("zeros")
	info.size = 32 << 30
	with gzip.open(sys.argv[1], "wb") as f:
	    f.write(info.tobuf(format=tarfile.GNU_FORMAT) + bytes(1 << 20))
	PY
	run "$COCOON" scan image --no-db "$BATS_TEST_TMPDIR/bomb.tar.gz"
	[ "$status" -eq 1 ]
	[[ "$output" == *"holds more than"* ]]
	run "$COCOON" scan image --no-db /nonexistent
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent"* ]]
	run "$COCOON" scan image --format yaml "$FORMS/rootfs"
	[ "$status" -eq 2 ]
	run "$COCOON" scan image
	[ "$status" -eq 2 ]
}

@test "scan image: without a database the packages are listed with a warning" {
	COCOON_SCAN_DB= run "$COCOON" scan image --format json "$FORMS/rootfs.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no vulnerability database"* ]]
	run "$COCOON" scan image --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"docker-archive"* ]]
}

@test "scan image: an Alpine database is matched against Alpine's secdb by origin, in its branch only" {
	local root="$BATS_TEST_TMPDIR/alpine"
	mkdir -p "$root/etc" "$root/lib/apk/db"
	printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.10.9\nPRETTY_NAME="Alpine Linux v3.10"\n' >"$root/etc/os-release"
	# busybox (and ssl_client, built from it) set back below the 1.30.1-r2 that fixed CVE-2019-5747
	sed 's/^V:1.36.1-r5$/V:1.30.1-r1/' "$COCOON_ROOT/tests/fixtures/apk/installed" >"$root/lib/apk/db/installed"
	local db="$BATS_TEST_TMPDIR/alpine.sqlite"
	"$COCOON" scan db import --format alpine-secdb --db "$db" \
		"$COCOON_ROOT/tests/fixtures/vulndb/alpine-secdb/v3.11/main.yaml" \
		"$COCOON_ROOT/tests/fixtures/vulndb/alpine-secdb/v3.10/main.yaml" >/dev/null
	"$COCOON" scan db import --format debian-tracker --db "$db" "$BATS_FILE_TMPDIR/feed.json" >/dev/null
	run "$COCOON" scan image --db "$db" --format json -o "$BATS_TEST_TMPDIR/r.json" "$root"
	[ "$status" -eq 0 ]
	run findings "$BATS_TEST_TMPDIR/r.json"
	[[ "$output" == *"busybox CVE-2019-5747 fixed 1.30.1-r2"* ]]
	[[ "$output" == *"ssl_client CVE-2019-5747 fixed 1.30.1-r2"* ]]
	# one finding per package and id, however many entries name it
	[ "$(grep -c '^busybox CVE-2019-5747 ' <<<"$output")" -eq 1 ]
	# nothing Debian's, nothing of another package
	! grep -qv '^busybox \|^ssl_client ' <<<"$output" || false
	# The same database in v3.12: no branch the data has, nothing matched, and said so.
	sed -i 's/VERSION_ID=3.10.9/VERSION_ID=3.12.0/' "$root/etc/os-release"
	run "$COCOON" scan image --db "$db" --format json -o "$BATS_TEST_TMPDIR/r2.json" "$root"
	[ "$status" -eq 0 ]
	run findings "$BATS_TEST_TMPDIR/r2.json"
	[ -z "$output" ]
}

@test "scan image: store:REF scans an image of cocoon's image store as the other forms" {
	local store="$BATS_TEST_TMPDIR/store"
	"$COCOON" image import --store "$store" --quiet "$FORMS/rootfs.tar" localhost/scan-store:1 >/dev/null
	run "$COCOON" scan image --db "$DB" --store "$store" -f json -o "$BATS_TEST_TMPDIR/store.json" store:localhost/scan-store:1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$COCOON" scan image --db "$DB" -f json -o "$BATS_TEST_TMPDIR/tar.json" "$FORMS/rootfs.tar"
	[ "$status" -eq 0 ]
	run "$SYSTEM_PYTHON" - "$BATS_TEST_TMPDIR/store.json" "$BATS_TEST_TMPDIR/tar.json" <<-'PY'
	import json, sys
	s, t = (json.load(open(p)) for p in sys.argv[1:3])
	assert s["image"]["format"] == "store" and s["image"]["repo_tags"] == ["localhost/scan-store:1"], s["image"]
	key = lambda f: (f["package"], f["id"])
	assert sorted(s["findings"], key=key) == sorted(t["findings"], key=key)
	assert sorted(p["name"] for p in s["packages"]) == sorted(p["name"] for p in t["packages"])
	assert s["os"] == t["os"]
	PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	# A name the store lacks, and a store that is not there (never created by a scan).
	run "$COCOON" scan image --no-db --store "$store" store:localhost/absent:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"no image \`localhost/absent:1\` in the store"* ]]
	run "$COCOON" scan image --no-db --store "$BATS_TEST_TMPDIR/none" store:x
	[ "$status" -eq 1 ]
	[[ "$output" == *"image store \`$BATS_TEST_TMPDIR/none\`: No such file or directory"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/none" ]
}
