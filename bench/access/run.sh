#!/usr/bin/env bash
# Access control's cost, in one run (issue 14's figures):
#   - RBAC decisions per second with 1,000 ClusterRoles and 10,000 RoleBindings (in process:
#     bench/access/rbac_decisions), and the time to index them after a change; then the same with
#     the tenant boundary (tenancy.h) after RBAC;
#   - the latency one GET adds when the client is a service account token (ES256 check, the account
#     looked up, RBAC through a RoleBinding) against a client certificate of a cluster administrator,
#     over one keep-alive TLS connection each (bench/net/bench_load), side by side.
# kube-apiserver cannot run here (no Kubernetes control plane in Debian): the figures are cocoond's
# own. Usage: bench/access/run.sh [BUILD]   (default build/)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
work="$(mktemp -d /tmp/cocoon-access-bench.XXXXXX)"
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
field() { /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

mkdir "$work/rbac"
decisions="$("$build/bench/access/rbac_decisions" "$work/rbac" 1000 10000 200000)"
echo "== RBAC, 1,000 roles and 10,000 bindings: $(field "$decisions" decisions_per_second) decisions/s," \
	"p50 $(field "$decisions" p50_us) us, p99 $(field "$decisions" p99_us) us; index built in" \
	"$(field "$decisions" index_build_ms) ms =="
echo "== the same with the tenant boundary after RBAC (50 tenants over the 100 namespaces):" \
	"$(field "$decisions" decisions_per_second_with_tenants) decisions/s, p50 $(field "$decisions" p50_us_with_tenants) us," \
	"p99 $(field "$decisions" p99_us_with_tenants) us =="

port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$build/cocoond" --data-dir "$work/data" --listen "127.0.0.1:$port" --no-pods >"$work/cocoond.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -S "$work/data/cocoond.sock" ] && break; sleep 0.05; done
sleep 0.5
pki="$work/data/pki"
url="https://127.0.0.1:$port"
admin=(curl -sS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" -H 'Content-Type: application/json')
"${admin[@]}" -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"probe"},"data":{"k":"v"}}' \
	"$url/api/v1/namespaces/default/configmaps" >/dev/null
"${admin[@]}" -d '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"bench"}}' \
	"$url/api/v1/namespaces/default/serviceaccounts" >/dev/null
"${admin[@]}" -d '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"bench-view"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"ServiceAccount","name":"bench","namespace":"default"}]}' \
	"$url/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings" >/dev/null
token="$("${admin[@]}" -d '{"spec":{}}' "$url/api/v1/namespaces/default/serviceaccounts/bench/token" |
	/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["status"]["token"])')"
path=/api/v1/namespaces/default/configmaps/probe
cert="$("$build/bench/net/bench_load" --port "$port" --tls "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" --path "$path" --requests 5000)"
bearer="$("$build/bench/net/bench_load" --port "$port" --tls "$pki/ca.crt" --bearer "$token" --path "$path" --requests 5000)"
echo "GET one object, client certificate (cluster-admin): p50 $(field "$cert" p50_us) us, p99 $(field "$cert" p99_us) us"
echo "GET one object, service account token (view):      p50 $(field "$bearer" p50_us) us, p99 $(field "$bearer" p99_us) us"
/usr/bin/python3 -c "import sys; c, b = float(sys.argv[1]), float(sys.argv[2]); print(f'token / certificate, p50: {b / c:.2f}x (+{b - c:.0f} us)')" \
	"$(field "$cert" p50_us)" "$(field "$bearer" p50_us)"
