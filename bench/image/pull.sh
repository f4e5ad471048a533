#!/usr/bin/env bash
# Image pull, side by side in one run (issue 13): `cocoon image pull` against `podman pull` of the
# same image from the same local docker-registry (plain HTTP on loopback, so the registry and the
# unpacking are measured, not a network), N pulls each, alternating, each into an emptied store
# (cocoon: the store directory removed; podman: `podman rmi -a`, its layers go with the image);
# p50 and p95 of each and the ratio. The image: busybox and two layers more, about 30 MB unpacked
# (a shared library, text, 8 MB of random bytes), gzip-compressed by podman's push.
# Usage: bench/image/pull.sh [PULLS] [BUILD_DIR]   (default 10, build/; root; needs podman and
# docker-registry)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n="${1:-10}"
build="$(cd "${2:-$root/build}" && pwd)"
command -v podman >/dev/null || { echo "pull.sh: needs podman" >&2; exit 2; }
[ -x /usr/bin/docker-registry ] || { echo "pull.sh: needs docker-registry (Debian package)" >&2; exit 2; }
work="$(mktemp -d /tmp/cocoon-pull-bench.XXXXXX)"
registry_pid=
P=(podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend file)
P2=(podman --root "$work/podman2" --runroot "$work/podman2-run" --cgroup-manager cgroupfs --events-backend file)
cleanup() {
	"${P[@]}" rmi -af >/dev/null 2>&1 || true
	"${P2[@]}" rmi -af >/dev/null 2>&1 || true
	if [ -n "$registry_pid" ]; then
		kill -TERM "$registry_pid" 2>/dev/null && while kill -0 "$registry_pid" 2>/dev/null; do sleep 0.1; done
	fi
	for m in $(grep "$work" /proc/self/mountinfo | cut -d' ' -f5 | sort -r); do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
COCOON_ROOT="$root"
source "$root/tests/integration/helpers/runtime.bash"
stats() { /usr/bin/python3 -c 'import json, statistics, sys
s = sorted(json.loads(sys.argv[1])); q = statistics.quantiles(s, n=20) if len(s) > 1 else s * 19
print("%.1f %.1f" % (statistics.median(s), q[18]))' "$1"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
YAML
/usr/bin/docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done

# The image: a busybox rootfs imported, then two layers built on it.
make_rootfs "$work/root"
tar -C "$work/root" -cf "$work/rootfs.tar" .
"${P[@]}" import --change "ENV PATH=/bin" "$work/rootfs.tar" localhost/busybox:1 >/dev/null 2>&1
mkdir -p "$work/ctx/lib" "$work/ctx/data"
cp /usr/lib/x86_64-linux-gnu/libcrypto.so.3 "$work/ctx/lib/" 2>/dev/null || cp /bin/busybox "$work/ctx/lib/"
cat /usr/share/common-licenses/* >"$work/ctx/lib/licenses.txt" 2>/dev/null || true
head -c 8000000 /dev/urandom >"$work/ctx/data/random"
printf 'FROM localhost/busybox:1\nCOPY lib /usr/lib/bench\nCOPY data /data\n' >"$work/ctx/Containerfile"
"${P[@]}" build -q -t localhost/bench:1 "$work/ctx" >/dev/null 2>&1
ref="127.0.0.1:$port/bench:1"
"${P[@]}" push --tls-verify=false localhost/bench:1 "$ref" >/dev/null 2>&1
size="$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
	"http://127.0.0.1:$port/v2/bench/manifests/1" |
	/usr/bin/python3 -c 'import json,sys; m=json.load(sys.stdin); print(len(m["layers"]), sum(l["size"] for l in m["layers"]))')"

cocoon_pull() { "$build/cocoon" image pull --quiet --tls-verify=false --store "$work/store" "$ref" >/dev/null; }
podman_pull() { "${P2[@]}" pull -q --tls-verify=false "$ref" >/dev/null; }
# One warm-up each (page cache of the registry's files, podman's first-run setup).
cocoon_pull
rm -rf "$work/store"
podman_pull
"${P2[@]}" rmi -af >/dev/null
cocoon_samples="[" podman_samples="["
for _ in $(seq 1 "$n"); do
	rm -rf "$work/store"
	sync
	t0="$(now_ms)"
	cocoon_pull
	cocoon_samples+="$(($(now_ms) - t0)),"
	"${P2[@]}" rmi -af >/dev/null
	sync
	t0="$(now_ms)"
	podman_pull
	podman_samples+="$(($(now_ms) - t0)),"
done
cocoon_samples="${cocoon_samples%,}]" podman_samples="${podman_samples%,}]"
# The same image in both: the ID podman reports is the one cocoon stored.
cocoon_id="$("$build/cocoon" image list --json --store "$work/store" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')"
podman_id="sha256:$("${P2[@]}" inspect --format '{{.Id}}' "$ref")"
[ "$cocoon_id" = "$podman_id" ] || { echo "pull.sh: different images: cocoon $cocoon_id, podman $podman_id" >&2; exit 1; }

read -r c50 c95 <<<"$(stats "$cocoon_samples")"
read -r p50 p95 <<<"$(stats "$podman_samples")"
read -r layers bytes <<<"$size"
echo "== image pull from a local docker-registry, $n pulls each into an emptied store =="
echo "image $ref: $layers layers, $((bytes / 1000)) kB compressed (gzip), id $cocoon_id"
printf "cocoon image pull:  p50 %7.1f ms   p95 %7.1f ms\n" "$c50" "$c95"
printf "podman pull:        p50 %7.1f ms   p95 %7.1f ms\n" "$p50" "$p95"
/usr/bin/python3 -c 'import sys; c50, c95, p50, p95 = map(float, sys.argv[1:])
print("ratio cocoon / podman: p50 %.2fx, p95 %.2fx (goal <= 1.0)" % (c50 / p50, c95 / p95))' "$c50" "$c95" "$p50" "$p95"
