#!/usr/bin/env bash
# Side-by-side scan benchmark (issue 15): a full `cocoon scan image` (read, inventory, matching
# against a feed made from the image's changelogs) of the Debian 12 minbase image in each input
# form, against the I/O floor of merely listing the same archive (`tar -tf`, `tar -tzf`), in one
# hyperfine run per form; peak memory from GNU time. Goal: <= 2x the floor. Then malware against
# clamscan (goal: <= 1x).
# Needs root (debootstrap, podman). Usage: bench/scan/run.sh [RUNS]   COCOON_BUILD picks the build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-10}"
for pkg in hyperfine debootstrap podman time clamav clamav-testfiles; do
	dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -q installed ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
done
COCOON="$(realpath "$root/${COCOON_BUILD:-build}/cocoon")"
SYSTEM_PYTHON=/usr/bin/python3
skip() { echo "skipped: $*" >&2; exit 1; }
source "$root/tests/integration/helpers/scan.bash"
work="$(mktemp -d /tmp/cocoon-bench-scan.XXXXXX)"
trap 'rm -rf "$work"' EXIT
tar="$(scan_minbase_tar)"
scan_image_forms "$tar" "$work/forms"
gzip -1 -c "$tar" >"$work/forms/rootfs.tar.gz"
"$SYSTEM_PYTHON" "$root/tests/integration/helpers/changelog_feed.py" "$work/forms/rootfs" >"$work/feed.json"
"$COCOON" scan db import --format debian-tracker --db "$work/db.sqlite" "$work/feed.json" >/dev/null

oci_layer="$("$SYSTEM_PYTHON" - "$work/forms/oci" <<-'PY'
	import json, sys
	d = sys.argv[1]
	index = json.load(open(f"{d}/index.json"))
	manifest = json.load(open(f"{d}/blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]))
	print("blobs/sha256/" + manifest["layers"][0]["digest"].split(":")[1])
	PY
)"
docker_layer="$("$SYSTEM_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[0]["Layers"][0])' \
	< <(tar -xOf "$work/forms/docker.tar" manifest.json))"
for form in docker.tar oci.tar rootfs.tar.gz; do
	# docker-archive: the layer is a plain tar inside the tar; the floor lists both
	list="sh -c 'tar -xOf $work/forms/docker.tar $docker_layer | tar -tf - >/dev/null'"
	[ "$form" = rootfs.tar.gz ] && list="tar -tzf $work/forms/$form"
	# the oci-archive's layer is gzip inside the tar: the floor lists it straight out of the archive
	[ "$form" = oci.tar ] && list="sh -c 'tar -xOf $work/forms/oci.tar $oci_layer | tar -tzf - >/dev/null'"
	echo "== $form"
	hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/$form.json" \
		-n scan "$COCOON scan image --db $work/db.sqlite --format json -o /dev/null $work/forms/$form" \
		-n floor "$list" | grep -E 'Time|±|faster' || true
	"$SYSTEM_PYTHON" - "$work/$form.json" <<-'PY'
	import json, sys
	r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
	print(f"  median scan {r['scan']:.0f} ms, floor {r['floor']:.0f} ms: {r['scan'] / r['floor']:.2f}x the floor")
	PY
	/usr/bin/time -f "  peak memory of the scan: %M KiB" "$COCOON" scan image --db "$work/db.sqlite" --format json \
		-o /dev/null "$work/forms/$form"
done

# Malware: the same files, the same signatures (an MD5 of ClamAV's test executable, EICAR's body, a
# YARA rule), libclamav from inside the image's archive against clamscan over the unpacked root
# filesystem (its page-cached files: the cheapest read clamscan can have). Goal: <= 1x.
mkdir -p "$work/malware-db"
clam=/usr/share/clamav-testfiles/clam.exe
echo "$(md5sum <"$clam" | cut -d' ' -f1):$(stat -c %s "$clam"):Bench.ClamExe" >"$work/malware-db/bench.hdb"
echo "Bench.Eicar:0:*:$(printf '%s' EICAR-STANDARD-ANTIVIRUS-TEST-FILE | xxd -p | tr -d '\n')" >"$work/malware-db/bench.ndb"
printf 'rule Bench_Marker { strings: $m = "cocoon-bench-marker" condition: $m }\n' >"$work/malware-db/bench.yar"
echo "== malware (docker-archive vs clamscan -r of the same root filesystem)"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/malware.json" \
	-n cocoon "$COCOON scan image --no-db --no-secrets --no-config-checks --malware-db $work/malware-db --format json -o /dev/null $work/forms/docker.tar" \
	-n clamscan "clamscan --no-summary --infected -d $work/malware-db -r $work/forms/rootfs" | grep -E 'Time|±|faster' || true
"$SYSTEM_PYTHON" - "$work/malware.json" <<-'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
print(f"  median cocoon {r['cocoon']:.0f} ms, clamscan {r['clamscan']:.0f} ms: {r['cocoon'] / r['clamscan']:.2f}x clamscan")
PY
/usr/bin/time -f "  peak memory of cocoon: %M KiB" "$COCOON" scan image --no-db --malware-db "$work/malware-db" \
	--format json -o /dev/null "$work/forms/docker.tar"
/usr/bin/time -f "  peak memory of clamscan: %M KiB" clamscan --no-summary --infected -d "$work/malware-db" -r \
	"$work/forms/rootfs" || true

