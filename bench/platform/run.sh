#!/usr/bin/env bash
# cocoond's Kubernetes API under load, in one run (issue 13's API figures):
#   - GET of one object and LIST of 1,000 ConfigMaps over one keep-alive TLS connection with the
#     admin certificate (bench/net/bench_load: p50/p99);
#   - watch latency: a ConfigMap created while a watch is open, until its event arrives (p50/p99);
#   - cocoond's memory idle and holding 1,000 objects.
# There is no second Kubernetes API server on this machine to run beside it (k3s is not in Debian);
# the figures are absolute. Usage: bench/platform/run.sh [OBJECTS]   (default 1000; needs build/)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
objects="${1:-1000}"
COCOOND="$root/build/cocoond"
LOAD="$root/build/bench/net/bench_load"
CLIENT="$root/bench/platform/api_client.py"
work="$(mktemp -d /tmp/cocoon-platform-bench.XXXXXX)"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$COCOOND" --data-dir "$work/data" --listen "127.0.0.1:$port" --no-pods >"$work/cocoond.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -S "$work/data/cocoond.sock" ] && break; sleep 0.05; done
sleep 0.5
pki="$work/data/pki"
url="https://127.0.0.1:$port"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
field() { /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
tls=(--tls "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key")

idle="$(rss)"
created="$(/usr/bin/python3 "$CLIENT" create "$url" "$pki/ca.crt" "$pki/admin.crt" "$pki/admin.key" "$objects")"
loaded="$(rss)"
echo "== cocoond: $objects ConfigMaps created in $(field "$created" seconds) s; memory $idle KiB idle, $loaded KiB holding them =="
get="$("$LOAD" --port "$port" "${tls[@]}" --path /api/v1/namespaces/default/configmaps/bench-00500 --requests 3000)"
echo "GET one object:          p50 $(field "$get" p50_us) us, p99 $(field "$get" p99_us) us ($(field "$get" requests) requests)"
list="$("$LOAD" --port "$port" "${tls[@]}" --path "/api/v1/namespaces/default/configmaps" --requests 100)"
echo "LIST $objects objects:      p50 $(field "$list" p50_us) us, p99 $(field "$list" p99_us) us ($(field "$list" requests) requests)"
page="$("$LOAD" --port "$port" "${tls[@]}" --path "/api/v1/namespaces/default/configmaps?limit=100" --requests 500)"
echo "LIST a page of 100:      p50 $(field "$page" p50_us) us, p99 $(field "$page" p99_us) us"
sel="$("$LOAD" --port "$port" "${tls[@]}" --path "/api/v1/namespaces/default/configmaps?labelSelector=bench%3Dno" --requests 100)"
echo "LIST by label (0 match): p50 $(field "$sel" p50_us) us, p99 $(field "$sel" p99_us) us"
watch="$(/usr/bin/python3 "$CLIENT" watch "$url" "$pki/ca.crt" "$pki/admin.crt" "$pki/admin.key" 200)"
echo "watch: create -> event: p50 $(field "$watch" p50_ms) ms, p99 $(field "$watch" p99_ms) ms (200 events)"
