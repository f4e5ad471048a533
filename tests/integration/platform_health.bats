#!/usr/bin/env bats
# cocoond's health and metrics (issue 13) as kube-apiserver and kubelet expose them: /livez,
# /readyz and /healthz (plain, verbose, one check, a failing store), /metrics checked by promtool
# and scraped over mutual TLS by a real Prometheus, request counters that follow kubectl and curl,
# who may read /metrics, and cocoon status. prometheus/promtool come from Debian's prometheus
# package, etcd from etcd-server; kubectl is not a Debian package: the tests that need one skip
# without it.

load helpers/common
load helpers/runtime

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	URL="https://127.0.0.1:$PORT"
	PKI="$TMP/data/pki"
	SOCK="$TMP/data/cocoond.sock"
	CURL_ADMIN=(curl -sS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key")
}

teardown() {
	[ -n "${PROMETHEUS_PID:-}" ] && { kill -TERM "$PROMETHEUS_PID" 2>/dev/null; wait "$PROMETHEUS_PID" 2>/dev/null; }
	[ -n "${WATCH_PID:-}" ] && { kill -TERM "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; }
	stop_cocoond
	stop_etcd
	rm -rf "$TMP"
}

# local_get PATH: curl over the unix socket, printing the body and then the HTTP status on a line.
local_get() {
	curl -sS -w '\n%{http_code}' --unix-socket "$SOCK" "http://localhost$1"
}

# metric NAME_AND_LABELS: the value of one sample of /metrics (over the socket), or 0 when absent.
metric() {
	curl -sS --unix-socket "$SOCK" http://localhost/metrics | awk -v s="$1" \
		'index($0, s " ") == 1 { v = substr($0, length(s) + 2) } END { print (v == "" ? 0 : v) }'
}

# A client certificate CN=$1, O=$2 from the node CA.
make_client_certificate() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/$1.key" \
		-subj "/CN=$1/O=$2" -out "$TMP/$1.csr" 2>/dev/null
	openssl x509 -req -in "$TMP/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -days 1 -out "$TMP/$1.crt" \
		-extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
}

# One etcd member on loopback (data in $TMP/etcd, kept across a restart); sets ETCD_URL, ETCD_PID.
start_etcd() {
	ETCD_CLIENT_PORT="${ETCD_CLIENT_PORT:-$(free_port)}"
	ETCD_PEER_PORT="${ETCD_PEER_PORT:-$(free_port)}"
	ETCD_URL="http://127.0.0.1:$ETCD_CLIENT_PORT"
	etcd --name m0 --data-dir "$TMP/etcd" --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "m0=http://127.0.0.1:$ETCD_PEER_PORT" >>"$TMP/etcd.log" 2>&1 3>&- &
	ETCD_PID=$!
	for _ in $(seq 1 200); do
		curl -sf "$ETCD_URL/health" | grep -q '"health":"true"' && return 0
		sleep 0.05
	done
	echo "etcd did not become healthy" >&2
	tail -5 "$TMP/etcd.log" >&2
	return 1
}

stop_etcd() {
	if [ -n "${ETCD_PID:-}" ]; then
		kill -TERM "$ETCD_PID" 2>/dev/null || true
		wait "$ETCD_PID" 2>/dev/null || true
		ETCD_PID=
	fi
}

@test "health: /livez, /readyz and /healthz answer as kube-apiserver: ok, verbose, one check, exclude" {
	start_cocoond "$TMP/data" "$PORT"
	run local_get /livez
	[ "$output" = "ok"$'\n'"200" ]
	run local_get /healthz
	[ "$output" = "ok"$'\n'"200" ]
	run local_get '/readyz?verbose'
	echo "$output"
	[ "$output" = "[+]ping ok
[+]etcd ok
[+]poststarthook/bootstrap-controller ok
readyz check passed

200" ]
	run local_get '/livez?verbose'
	[ "$output" = "[+]ping ok
[+]etcd ok
livez check passed

200" ]
	run local_get /readyz/poststarthook/bootstrap-controller
	[ "$output" = "ok"$'\n'"200" ]
	run local_get /livez/etcd
	[ "$output" = "ok"$'\n'"200" ]
	run local_get /readyz/no-such-check
	[ "${lines[-1]}" = 404 ]
	run local_get '/readyz?verbose&exclude=etcd&exclude=nope'
	echo "$output"
	[[ "$output" == *"[+]etcd excluded: ok"* ]]
	[[ "$output" == *'warn: some health checks cannot be excluded: no matches for "nope"'* ]]
	curl -sS -D "$TMP/headers" -o /dev/null --unix-socket "$SOCK" http://localhost/readyz
	grep -qi '^content-type: text/plain; charset=utf-8' "$TMP/headers"
	[ "$(grep -ci '^x-content-type-options: nosniff' "$TMP/headers")" = 1 ]
	# Over TCP with a client certificate of the node CA; without credentials, 401 (anonymous
	# requests are refused, as the CIS benchmark asks of kube-apiserver).
	run "${CURL_ADMIN[@]}" "$URL/readyz"
	[ "$output" = ok ]
	run curl -sS -w '\n%{http_code}' --cacert "$PKI/ca.crt" "$URL/readyz"
	[ "${lines[-1]}" = 401 ]
}

@test "health: kubectl reads /livez and /readyz as from any control plane" {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	start_cocoond "$TMP/data" "$PORT"
	run "$KUBECTL" --kubeconfig "$TMP/data/kubeconfig" get --raw='/readyz?verbose'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"[+]etcd ok"* && "$output" == *"readyz check passed"* ]]
	run "$KUBECTL" --kubeconfig "$TMP/data/kubeconfig" get --raw=/livez/ping
	[ "$output" = ok ]
}

@test "health: a store that stops answering fails /livez and /readyz with 500, and they recover with it" {
	command -v etcd >/dev/null || skip "etcd-server is not installed"
	start_etcd
	start_cocoond "$TMP/data" "$PORT" --store "etcd:$ETCD_URL"
	run local_get '/readyz?verbose'
	[ "${lines[-1]}" = 200 ]
	run "$COCOON" status --data-dir "$TMP/data"
	[ "$status" -eq 0 ]
	stop_etcd
	run local_get /livez
	echo "$output"
	[ "$output" = "[+]ping ok
[-]etcd failed: reason withheld
livez check failed

500" ]
	run local_get /readyz
	[[ "$output" == *"[-]etcd failed: reason withheld"*"[+]poststarthook/bootstrap-controller ok"* ]]
	[[ "$output" == *"readyz check failed"* && "${lines[-1]}" = 500 ]]
	run local_get /healthz
	[[ "$output" == *"healthz check failed"* && "${lines[-1]}" = 500 ]]
	# The check by name says why; the log says it once.
	run local_get /livez/etcd
	echo "$output"
	[[ "$output" == "internal server error: the object store (etcd) does not answer: "* ]]
	[ "${lines[-1]}" = 500 ]
	grep -q "health check etcd failed: the object store (etcd) does not answer" "$TMP/data.log"
	run "$COCOON" status --data-dir "$TMP/data"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"health:   failing (readyz check failed)"* && "$output" == *"[-]etcd"* ]]
	run "$COCOON" status --data-dir "$TMP/data" --json
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | "$SYSTEM_PYTHON" -c 'import json,sys; r=json.load(sys.stdin); print(r["ready"], [c["name"] for c in r["checks"] if not c["ok"]])')" = "False ['etcd']" ]
	start_etcd
	run local_get /readyz
	[ "$output" = "ok"$'\n'"200" ]
	grep -q "health check etcd passes again" "$TMP/data.log"
}

@test "metrics: /metrics is Prometheus text that promtool accepts, with kube-apiserver's and kubelet's names" {
	command -v promtool >/dev/null || skip "promtool (Debian package prometheus) is not installed"
	start_cocoond "$TMP/data" "$PORT"
	local_get /readyz >/dev/null
	curl -sS --unix-socket "$SOCK" -D "$TMP/headers" http://localhost/metrics >"$TMP/metrics"
	grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$TMP/headers"
	run promtool check metrics <"$TMP/metrics"
	echo "$output"
	[ "$status" -eq 0 ]
	for family in apiserver_request_total:counter apiserver_request_duration_seconds:histogram \
		apiserver_current_inflight_requests:gauge apiserver_storage_objects:gauge \
		apiserver_registered_watchers:gauge kubelet_running_pods:gauge kubelet_running_containers:gauge \
		kubelet_pod_start_duration_seconds:histogram process_resident_memory_bytes:gauge \
		process_cpu_seconds_total:counter process_open_fds:gauge process_start_time_seconds:gauge; do
		grep -q "^# HELP ${family%%:*} " "$TMP/metrics"
		grep -q "^# TYPE ${family%%:*} ${family##*:}\$" "$TMP/metrics"
	done
	grep -q '^apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="",scope="",subresource="/readyz",verb="GET",version=""} 1$' "$TMP/metrics"
	grep -q '^apiserver_storage_objects{resource="namespaces"} 4$' "$TMP/metrics"
	grep -q '^kubelet_running_pods 0$' "$TMP/metrics"
	grep -q "^kubelet_node_name{node=\"$(hostname)\"} 1\$" "$TMP/metrics"
	run grep -c '^go_' "$TMP/metrics"
	[ "$output" = 0 ]
	# The process figures are this cocoond's.
	local rss start
	rss="$(awk '/^process_resident_memory_bytes /{print $2}' "$TMP/metrics")"
	[ "$rss" -gt 1000000 ]
	start="$(awk '/^process_start_time_seconds /{printf "%d", $2}' "$TMP/metrics")"
	[ $(($(date +%s) - start)) -lt 60 ]
}

@test "metrics: request counters and stored objects follow kubectl and curl" {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	start_cocoond "$TMP/data" "$PORT"
	export KUBECONFIG="$TMP/data/kubeconfig"
	local list='apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="LIST",version="v1"}'
	local create='apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="POST",version="v1"}'
	local conflict='apiserver_request_total{code="409",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="POST",version="v1"}'
	local timed='apiserver_request_duration_seconds_count{component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="LIST",version="v1"}'
	[ "$(metric "$list")" = 0 ]
	# Each of the four namespaces a cluster starts with holds its kube-root-ca.crt.
	[ "$(metric 'apiserver_storage_objects{resource="configmaps"}')" = 4 ]
	for _ in 1 2 3; do "$KUBECTL" get configmaps >/dev/null 2>&1; done
	[ "$(metric "$list")" = 3 ]
	[ "$(metric "$timed")" = 3 ]
	"$KUBECTL" create configmap one --from-literal=a=b >/dev/null
	run "$KUBECTL" create configmap one --from-literal=a=b
	[ "$status" -ne 0 ]
	[ "$(metric "$create")" = 1 ]
	[ "$(metric "$conflict")" = 1 ]
	[ "$(metric 'apiserver_storage_objects{resource="configmaps"}')" = 5 ]
	# curl: a 404 for a path no resource answers, and a dry run labelled as such.
	"${CURL_ADMIN[@]}" -o /dev/null "$URL/api/v1/widgets"
	[ "$(metric 'apiserver_request_total{code="404",component="apiserver",dry_run="",group="",resource="",scope="",subresource="",verb="GET",version=""}')" = 1 ]
	"${CURL_ADMIN[@]}" -o /dev/null -X POST -H 'Content-Type: application/json' \
		-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dry"}}' \
		"$URL/api/v1/namespaces/default/configmaps?dryRun=All"
	run metric 'apiserver_request_total{code="201",component="apiserver",dry_run="All",group="",resource="configmaps",scope="namespace",subresource="",verb="POST",version="v1"}'
	[ "$output" = 1 ]
	# A watch: counted as WATCH when it starts, registered while it runs, not timed.
	"$KUBECTL" get configmaps --watch >/dev/null 2>&1 3>&- &
	WATCH_PID=$!
	for _ in $(seq 1 100); do
		[ "$(metric 'apiserver_registered_watchers{group="",kind="ConfigMap",version="v1"}')" = 1 ] && break
		sleep 0.1
	done
	[ "$(metric 'apiserver_registered_watchers{group="",kind="ConfigMap",version="v1"}')" = 1 ]
	[ "$(metric 'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="WATCH",version="v1"}')" = 1 ]
	[ "$(metric 'apiserver_request_duration_seconds_count{component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="WATCH",version="v1"}')" = 0 ]
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID" 2>/dev/null || true
	WATCH_PID=
	for _ in $(seq 1 100); do
		[ "$(metric 'apiserver_registered_watchers{group="",kind="ConfigMap",version="v1"}')" = 0 ] && break
		sleep 0.1
	done
	[ "$(metric 'apiserver_registered_watchers{group="",kind="ConfigMap",version="v1"}')" = 0 ]
}

@test "metrics: /metrics is for cluster administrators and system:monitoring, not every client" {
	start_cocoond "$TMP/data" "$PORT"
	make_client_certificate dev developers
	make_client_certificate prometheus system:monitoring
	run curl -sS -w '\n%{http_code}' --cacert "$PKI/ca.crt" --cert "$TMP/dev.crt" --key "$TMP/dev.key" "$URL/metrics"
	echo "$output"
	[ "${lines[-1]}" = 403 ]
	[[ "$output" == *'User \"dev\" cannot get path \"/metrics\"'* ]]
	grep '"action":"api.authorize"' "$TMP/data/events.jsonl" | grep '"actor":"dev"' | grep '"verdict":"deny"' |
		grep -q '"object":"get /metrics"'

	# Health is every authenticated client's, as kube-apiserver's system:public-info-viewer has it.
	run curl -sS --cacert "$PKI/ca.crt" --cert "$TMP/dev.crt" --key "$TMP/dev.key" "$URL/readyz"
	[ "$output" = ok ]
	run curl -sS -w '\n%{http_code}' --cacert "$PKI/ca.crt" --cert "$TMP/prometheus.crt" \
		--key "$TMP/prometheus.key" "$URL/metrics"
	[ "${lines[-1]}" = 200 ]
	run "${CURL_ADMIN[@]}" -w '\n%{http_code}' "$URL/metrics"
	[ "${lines[-1]}" = 200 ]
}

@test "metrics: a real Prometheus scrapes cocoond over mutual TLS and the target is up" {
	command -v prometheus >/dev/null || skip "prometheus (Debian package prometheus) is not installed"
	start_cocoond "$TMP/data" "$PORT"
	local prom_port
	prom_port="$(free_port)"
	cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: cocoond
    scheme: https
    tls_config:
      ca_file: $PKI/ca.crt
      cert_file: $PKI/admin.crt
      key_file: $PKI/admin.key
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
EOF
	run promtool check config "$TMP/prometheus.yml"
	[ "$status" -eq 0 ]
	prometheus --config.file "$TMP/prometheus.yml" --storage.tsdb.path "$TMP/tsdb" \
		--web.listen-address "127.0.0.1:$prom_port" >"$TMP/prometheus.log" 2>&1 3>&- &
	PROMETHEUS_PID=$!
	local api="http://127.0.0.1:$prom_port/api/v1/query"
	local up=""
	for _ in $(seq 1 150); do
		up="$(curl -sf "$api?query=up" | "$SYSTEM_PYTHON" -c \
			'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' \
			2>/dev/null || true)"
		[ "$up" = 1 ] && break
		sleep 0.2
	done
	if [ "$up" != 1 ]; then
		tail -20 "$TMP/prometheus.log"
		curl -s "http://127.0.0.1:$prom_port/api/v1/targets"
	fi
	[ "$up" = 1 ]
	# What it scraped is cocoond's: its requests, its stored namespaces, kubelet's gauge.
	run curl -sf "$api" --data-urlencode 'query=apiserver_storage_objects{resource="namespaces"}'
	echo "$output"
	[[ "$output" == *'"job":"cocoond"'*'"4"'* ]]
	run curl -sf "$api" --data-urlencode 'query=apiserver_request_total{subresource="/healthz",code="200"} > 0'
	echo "$output"
	[[ "$output" == *'"result":[{"metric":{"__name__":"apiserver_request_total"'* ]]
	run curl -sf "$api" --data-urlencode 'query=kubelet_running_pods'
	[[ "$output" == *'"0"'* ]]
	# Each scrape is a request of its own (a GET of a non-resource path).
	[ "$(metric 'apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="",scope="",subresource="",verb="GET",version=""}')" -ge 1 ]
}

@test "metrics: kubelet's figures follow a real pod: running pods and containers, its start time" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	[ -x /usr/lib/cni/bridge ] || skip "needs containernetworking-plugins"
	make_rootfs "$TMP/root"
	tar -C "$TMP/root" -cf "$TMP/rootfs.tar" .
	"$COCOON" image import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' --store "$TMP/data/images" --quiet \
		"$TMP/rootfs.tar" localhost/busybox:latest >/dev/null
	# A bridge and subnet of this file's own, so it runs beside pods.bats.
	COCOOND_BRIDGE=cctest4 COCOOND_POD_SUBNET=10.250.4.0/24 start_cocoond_pods "$TMP/data" "$PORT"
	export KUBECONFIG="$TMP/data/kubeconfig"
	[ "$(metric kubelet_running_pods)" = 0 ]
	"$KUBECTL" run sleeper --image=localhost/busybox:latest --image-pull-policy=Never --restart=Never \
		--command -- sleep 300 >/dev/null
	"$KUBECTL" wait --for=condition=Ready pod/sleeper --timeout=60s >/dev/null
	[ "$(metric kubelet_running_pods)" = 1 ]
	[ "$(metric 'kubelet_running_containers{container_state="running"}')" = 1 ]
	[ "$(metric kubelet_pod_start_duration_seconds_count)" = 1 ]
	local seconds
	seconds="$(metric kubelet_pod_start_duration_seconds_sum)"
	echo "pod start: $seconds s"
	"$SYSTEM_PYTHON" -c "import sys; sys.exit(0 if 0 < float('$seconds') < 60 else 1)"
	[ "$(metric 'kubelet_pod_start_duration_seconds_bucket{le="60"}')" = 1 ]
	[ "$(metric 'apiserver_storage_objects{resource="pods"}')" = 1 ]
	run "$COCOON" status --data-dir "$TMP/data"
	echo "$output"
	[[ "$output" == *"pods:     1 running (1 containers running)"* ]]
	"$KUBECTL" delete pod sleeper --grace-period=1 >/dev/null
	[ "$(metric kubelet_running_pods)" = 0 ]
	[ "$(metric 'apiserver_storage_objects{resource="pods"}')" = 0 ]
	stop_cocoond_all "$TMP/data"
}

@test "cocoon status: readiness, checks, pods and node over the socket; exit 3 when cocoond is not running" {
	start_cocoond "$TMP/data" "$PORT"
	run "$COCOON" status --data-dir "$TMP/data"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"server:   unix:$SOCK (cocoond "* ]]
	[[ "$output" == *"health:   ok"* ]]
	[[ "$output" == *"checks:   [+]ping [+]etcd [+]poststarthook/bootstrap-controller"* ]]
	[[ "$output" == *"pods:     0 running (0 containers running)"* ]]
	[[ "$output" == *"node:     $(hostname) Ready"* ]]
	[[ "$output" == *"you are:  uid:$(id -u), authenticated by unix-peer-credentials"* ]]
	run "$COCOON" status --data-dir "$TMP/data" --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | "$SYSTEM_PYTHON" -c 'import json,sys; r=json.load(sys.stdin); print(r["running"], r["ready"], r["health"], r["pods"]["running"], r["nodes"][0]["ready"], len(r["checks"]))')" = "True True ok 0 True 3" ]
	# Over TCP with the admin certificate, as before.
	run "$COCOON" status --pki "$PKI" --server "$URL"
	[ "$status" -eq 0 ]
	[[ "$output" == *"health:   ok"* && "$output" == *"you are:  admin, authenticated by x509"* ]]
	stop_cocoond
	run "$COCOON" status --data-dir "$TMP/data"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"cocoond is not running: nothing answers at unix:$SOCK"* ]]
	run "$COCOON" status --data-dir "$TMP/data" --json
	[ "$status" -eq 3 ]
	[[ "$output" == *'"running": false'* ]]
	run "$COCOON" status --pki "$PKI" --server "$URL"
	[ "$status" -eq 3 ]
}
