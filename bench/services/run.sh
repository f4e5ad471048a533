#!/usr/bin/env bash
# Services and names, side by side in one run (issue 18's figures):
#   - connections through a Service's virtual IP (nftables DNAT and masquerade) against the same
#     pod's own address: new TCP connections with one HTTP/1.0 request each, rate and latency;
#   - DNS: cocoond's name server answering for the Service against dnsmasq answering the same name
#     from a fixed record on this host, one query at a time over UDP.
# Needs root (it runs a pod on a bridge of its own, cbench0, 10.254.0.0/24), Debian's
# dnsmasq-base, and the busybox-static image the tests use. Usage: bench/services/run.sh [BUILD] [N]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
n="${2:-2000}"
export COCOON_BUILD="$build"
BATS_FILE_TMPDIR="$(mktemp -d /tmp/cocoon-services-bench.XXXXXX)"
source "$root/tests/integration/helpers/common.bash"
source "$root/tests/integration/helpers/runtime.bash"
data="$BATS_FILE_TMPDIR/data"
dnsmasq_pid=
cleanup() {
	BATS_TEST_COMPLETED=1 # no log dump: this is no failed test
	[ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null
	: >"$data/down-requested" 2>/dev/null || true
	stop_cocoond
	rm -rf "$BATS_FILE_TMPDIR"
}
trap cleanup EXIT
import_busybox_image "$data/images" >/dev/null 2>&1
port="$(free_port)"
COCOOND_BRIDGE=cbench0 COCOOND_POD_SUBNET=10.254.0.0/24 start_cocoond_pods "$data" "$port" --service-cidr 10.99.0.0/16
export KUBECONFIG="$data/kubeconfig"
kubectl="${KUBECTL:-kubectl}"
"$kubectl" apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: httpd
        image: localhost/busybox:latest
        command: ["/bin/sh", "-c", "echo hello > /tmp/x; exec httpd -f -p 8080 -h /tmp"]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
YAML
"$kubectl" rollout status deployment web --timeout=120s >/dev/null
vip="$("$kubectl" get service web -o jsonpath='{.spec.clusterIP}')"
pod_ip="$("$kubectl" get pods -l app=web -o jsonpath='{.items[0].status.podIP}')"
for _ in $(seq 1 50); do curl -sf -m 1 "http://$vip/x" >/dev/null && break; sleep 0.1; done
field() { /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
client="$root/bench/services/client.py"
direct="$(/usr/bin/python3 "$client" http "$pod_ip" 8080 "$n")"
through="$(/usr/bin/python3 "$client" http "$vip" 80 "$n")"
echo "== $n connections, one request each =="
echo "pod address $pod_ip:8080:  $(field "$direct" connections_per_second)/s, p50 $(field "$direct" p50_us) us, p99 $(field "$direct" p99_us) us"
echo "virtual IP  $vip:80:     $(field "$through" connections_per_second)/s, p50 $(field "$through" p50_us) us, p99 $(field "$through" p99_us) us"
/usr/bin/python3 -c "import sys; d, t = float(sys.argv[1]), float(sys.argv[2]); print(f'added latency at p50: {(t - d) / d * 100:+.1f}%')" \
	"$(field "$direct" p50_us)" "$(field "$through" p50_us)"
name=web.default.svc.cluster.local
dnsmasq_port="$(free_port)"
dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces --listen-address=127.0.0.1 \
	--port="$dnsmasq_port" --address="/$name/$vip" --user=root --pid-file= >/dev/null 2>&1 &
dnsmasq_pid=$!
sleep 0.5
ours="$(/usr/bin/python3 "$client" dns 10.254.0.1 53 "$name" "$n")"
theirs="$(/usr/bin/python3 "$client" dns 127.0.0.1 "$dnsmasq_port" "$name" "$n")"
echo "== $n DNS queries for $name, one at a time =="
echo "cocoond:  $(field "$ours" queries_per_second)/s, p50 $(field "$ours" p50_us) us, p99 $(field "$ours" p99_us) us"
echo "dnsmasq:  $(field "$theirs" queries_per_second)/s, p50 $(field "$theirs" p50_us) us, p99 $(field "$theirs" p99_us) us"
/usr/bin/python3 -c "import sys; o, t = float(sys.argv[1]), float(sys.argv[2]); print(f'cocoond / dnsmasq, queries per second: {o / t:.2f}x')" \
	"$(field "$ours" queries_per_second)" "$(field "$theirs" queries_per_second)"
