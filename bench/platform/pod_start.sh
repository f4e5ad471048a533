#!/usr/bin/env bash
# Pod start, side by side in one run (issue 13): cocoond (POST the pod -> its Ready condition, seen
# through a watch) against `podman kube play` of the same manifest (which returns once the pod's
# containers run; podman has no readiness without probes, so this is its apply -> Ready), N pods one
# after the other, p50/p95 of each; then cocoond's memory idle, with N running pods, and the pods'
# monitors (cocoon-shim, podman's conmon).
# Usage: bench/platform/pod_start.sh [PODS] [BUILD_DIR]   (default 50, build/; root; needs podman)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n="${1:-50}"
build="$(cd "${2:-$root/build}" && pwd)"
work="$(mktemp -d /tmp/cocoon-pod-bench.XXXXXX)"
pid=
# podman with runc: crun 1.8 cannot run on this machine's hybrid cgroups (docs/STATUS.md), and a
# nofile and nproc limits the host allows (podman asks for 1048576, above this machine's hard limit).
mkdir -p "$work"
# The limits podman.bats uses (tests/integration/helpers/runtime.bash, PODMAN_ULIMITS).
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n' >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"
P=(podman --root "$work/podman" --runroot "$work/podman-run" --cgroup-manager cgroupfs --events-backend file --runtime runc)
cleanup() {
	"${P[@]}" pod rm -af -t 0 >/dev/null 2>&1 || true
	if [ -n "$pid" ]; then
		: >"$work/data/down-requested"
		kill -TERM "$pid" 2>/dev/null && while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	fi
	for m in $(grep "$work" /proc/self/mountinfo | cut -d' ' -f5 | sort -r); do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
COCOON_ROOT="$root"
source "$root/tests/integration/helpers/runtime.bash"
stats() { /usr/bin/python3 -c 'import json, statistics, sys
s = sorted(json.loads(sys.argv[1])); q = statistics.quantiles(s, n=20)
print("%.1f %.1f" % (statistics.median(s), q[18]))' "$1"; }
rss_kib() { awk '/^VmRSS:/ {s += $2} END {print s + 0}' "$@" 2>/dev/null || echo 0; }

# The same busybox image for both.
make_rootfs "$work/root"
tar -C "$work/root" -cf "$work/rootfs.tar" .
"${P[@]}" import --change "ENV PATH=/bin" "$work/rootfs.tar" localhost/busybox:latest >/dev/null
"${P[@]}" save --format docker-archive -o "$work/busybox.tar" localhost/busybox:latest 2>/dev/null
"$build/cocoon" image load "$work/busybox.tar" --store "$work/data/images" >/dev/null

port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$build/cocoond" --data-dir "$work/data" --listen "127.0.0.1:$port" --run-dir "$work/run" --log-dir "$work/logs" \
	--bridge cocoonbench0 --pod-subnet 10.248.0.0/22 >"$work/cocoond.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -S "$work/data/cocoond.sock" ] && break; sleep 0.05; done
sleep 0.5
pki="$work/data/pki"
tls=("https://127.0.0.1:$port" "$pki/ca.crt" "$pki/admin.crt" "$pki/admin.key")
idle="$(rss_kib /proc/$pid/status)"

# A warm-up pod each, so the first sample does not carry one-time costs (the bridge, caches).
/usr/bin/python3 "$root/bench/platform/pod_client.py" start "${tls[@]}" 1 localhost/busybox:latest >/dev/null
/usr/bin/python3 "$root/bench/platform/pod_client.py" clean "${tls[@]}" 1
cocoon_samples="$(/usr/bin/python3 "$root/bench/platform/pod_client.py" start "${tls[@]}" "$n" localhost/busybox:latest)"
loaded="$(rss_kib /proc/$pid/status)"
shims="$(pgrep -f "cocoon-shim .*$work" | sed 's|^|/proc/|; s|$|/status|' | xargs -r awk '/^VmRSS:/ {s += $2} END {print s + 0}')"
/usr/bin/python3 "$root/bench/platform/pod_client.py" clean "${tls[@]}" "$n"

podman_samples="["
manifest() {
	cat <<-YAML
	apiVersion: v1
	kind: Pod
	metadata: {name: bench-pod-$1, labels: {bench: pods}}
	spec:
	  restartPolicy: Always
	  containers:
	  - {name: c, image: localhost/busybox:latest, command: [/bin/sleep, "3600"]}
	YAML
}
manifest warm >"$work/warm.yaml"
"${P[@]}" kube play "$work/warm.yaml" >/dev/null
"${P[@]}" pod rm -f -t 0 bench-pod-warm >/dev/null
for i in $(seq -f %03g 0 $((n - 1))); do
	manifest "$i" >"$work/pod.yaml"
	t0="$(date +%s%N)"
	"${P[@]}" kube play "$work/pod.yaml" >/dev/null
	t1="$(date +%s%N)"
	podman_samples+="$(((t1 - t0) / 1000)).0e-3,"
done
podman_samples="${podman_samples%,}]"
conmons="$(pgrep -f "conmon .*$work" | sed 's|^|/proc/|; s|$|/status|' | xargs -r awk '/^VmRSS:/ {s += $2} END {print s + 0}')"

read -r c50 c95 <<<"$(stats "$cocoon_samples")"
read -r p50 p95 <<<"$(stats "$podman_samples")"
echo "== pod start, apply -> Ready, $n pods one after another (same busybox image and manifest) =="
printf "cocoond:           p50 %7.1f ms   p95 %7.1f ms\n" "$c50" "$c95"
printf "podman kube play:  p50 %7.1f ms   p95 %7.1f ms\n" "$p50" "$p95"
/usr/bin/python3 -c 'import sys; c50, c95, p50, p95 = map(float, sys.argv[1:])
print("ratio cocoond / podman: p50 %.2fx, p95 %.2fx (goal <= 1.0)" % (c50 / p50, c95 / p95))' "$c50" "$c95" "$p50" "$p95"
echo "== memory =="
echo "cocoond: $idle KiB idle, $loaded KiB with $n running pods; their cocoon-shim monitors: $shims KiB in all"
echo "podman's conmon monitors for $n pods (infra + container each): $conmons KiB in all"
