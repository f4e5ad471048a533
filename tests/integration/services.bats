#!/usr/bin/env bats
# Services on cocoond (issue 18), driven by the real kubectl: a Service gets a virtual IP of the
# service CIDR (kube-apiserver's allocator rules: a free one, the one asked for if in range and free,
# never changed, None for headless), and the node routes it as kube-proxy's nftables mode does: to
# the ready endpoints at random, from the host and from pods, refused at once without endpoints, and
# gone with the Service. Pods really run; the table is the platform's own (ip cocoon-cctest5).

load helpers/common
load helpers/runtime

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
TABLE=cocoon-cctest5

setup_file() {
	[ "$(id -u)" -eq 0 ] && [ -n "$KUBECTL" ] && [ -x /usr/lib/cni/bridge ] && command -v nft >/dev/null || return 0
	local tmp="$BATS_FILE_TMPDIR"
	import_busybox_image "$tmp/data/images"
	export PORT="$(free_port)"
	COCOOND_BRIDGE=cctest5 COCOOND_POD_SUBNET=10.251.0.0/24 start_cocoond_pods "$tmp/data" "$PORT" \
		--service-cidr 10.98.0.0/16
	echo "$COCOOND_PID" >"$tmp/cocoond.pid"
}

teardown_file() {
	stop_pods_platform
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	[ -x /usr/lib/cni/bridge ] || skip "needs containernetworking-plugins"
	command -v nft >/dev/null || skip "needs nftables"
	export KUBECONFIG="$BATS_FILE_TMPDIR/data/kubeconfig"
	NS="s$BATS_TEST_NUMBER"
	K=("$KUBECTL" --request-timeout=20s -n "$NS")
	"$KUBECTL" create namespace "$NS" >/dev/null
}

# api REPLICAS: a Deployment of httpd answering its pod's name on 8080, and its Service on port 80.
api() {
	"${K[@]}" apply -f - <<-YAML
		apiVersion: apps/v1
		kind: Deployment
		metadata: {name: api}
		spec:
		  replicas: $1
		  selector: {matchLabels: {app: api}}
		  template:
		    metadata: {labels: {app: api}}
		    spec:
		      containers:
		      - name: httpd
		        image: localhost/busybox:latest
		        command: ["/bin/sh", "-c", "hostname > /tmp/name; exec httpd -f -p 8080 -h /tmp"]
		        ports: [{containerPort: 8080, name: http}]
		        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
		---
		apiVersion: v1
		kind: Service
		metadata: {name: api}
		spec:
		  selector: {app: api}
		  ports: [{name: web, port: 80, targetPort: http}]
	YAML
}

@test "services: a Service gets a virtual IP of the service CIDR, kept for life; headless gets none" {
	api 0
	run "${K[@]}" get service api
	echo "$output"
	[[ "$output" == *"NAME   TYPE        CLUSTER-IP"*"api    ClusterIP   10.98."*"<none>        80/TCP"* ]]
	vip="$("${K[@]}" get service api -o jsonpath='{.spec.clusterIP}')"
	[[ "$vip" == 10.98.* ]]
	[ "$("${K[@]}" get service api -o jsonpath='{.spec.clusterIPs[0]}')" = "$vip" ]
	# Asked for: taken when free and in range, refused otherwise, in kube-apiserver's words.
	"${K[@]}" create service clusterip fixed --tcp=80:80 --clusterip=10.98.7.7
	[ "$("${K[@]}" get service fixed -o jsonpath='{.spec.clusterIP}')" = 10.98.7.7 ]
	run "${K[@]}" create service clusterip again --tcp=80:80 --clusterip=10.98.7.7
	[[ "$output" == *'failed to allocate IP 10.98.7.7: provided IP is already allocated'* ]]
	run "${K[@]}" create service clusterip outside --tcp=80:80 --clusterip=192.168.1.1
	[[ "$output" == *'provided IP is not in the valid range'* ]]
	run "${K[@]}" patch service fixed --type merge -p '{"spec":{"clusterIP":"10.98.7.8","clusterIPs":["10.98.7.8"]}}'
	[[ "$output" == *'may not change once set'* ]]
	"${K[@]}" create service clusterip headless --clusterip=None --tcp=80:80
	[ "$("${K[@]}" get service headless -o jsonpath='{.spec.clusterIP}')" = None ]
	# A deleted Service's address is free again.
	"${K[@]}" delete service fixed
	"${K[@]}" create service clusterip fixed2 --tcp=80:80 --clusterip=10.98.7.7
}

@test "services: the virtual IP reaches the ready pods at random, from the host and from a pod" {
	api 2
	"${K[@]}" rollout status deployment api --timeout=60s
	vip="$("${K[@]}" get service api -o jsonpath='{.spec.clusterIP}')"
	for _ in $(seq 1 50); do curl -sf -m 2 "http://$vip/name" >/dev/null && break; sleep 0.1; done
	names="$(for _ in $(seq 1 20); do curl -sS -m 2 "http://$vip/name"; done | sort -u)"
	echo "$names"
	[ "$(echo "$names" | wc -l)" -eq 2 ]
	nft list table ip "$TABLE" | grep -q "ip daddr $vip tcp dport 80"
	# From a pod on the bridge.
	"${K[@]}" run client --image=localhost/busybox:latest -- sleep 3600
	for _ in $(seq 1 100); do [ "$("${K[@]}" get pod client -o jsonpath='{.status.phase}')" = Running ] && break; sleep 0.2; done
	run "${K[@]}" exec client -- sh -c "printf 'GET /name HTTP/1.0\r\n\r\n' | nc $vip 80"
	echo "$output"
	[[ "$output" == *"200 OK"*"api-"* ]]
	# No ready endpoint: refused at once, not a time-out.
	"${K[@]}" scale deployment api --replicas=0
	for _ in $(seq 1 100); do nft list table ip "$TABLE" | grep -q "ip daddr $vip tcp dport 80 reject" && break; sleep 0.1; done
	run curl -sS -m 5 -w '%{time_total}' "http://$vip/name"
	echo "$output"
	[ "$status" -eq 7 ]
	# The Service goes: its rules too.
	"${K[@]}" delete service api
	for _ in $(seq 1 50); do nft list table ip "$TABLE" | grep -q "$vip" || break; sleep 0.1; done
	! nft list table ip "$TABLE" | grep -q "$vip"
}

@test "services: the cluster's name server answers (UDP and TCP) for Services, headless pods and SRV, forwards the rest; pods use it" {
	command -v dig >/dev/null || skip "needs dig (dnsutils)"
	api 2
	"${K[@]}" create service clusterip api-headless --clusterip=None --tcp=8080:8080
	"${K[@]}" patch service api-headless --type merge -p '{"spec":{"selector":{"app":"api"}}}'
	"${K[@]}" rollout status deployment api --timeout=60s
	vip="$("${K[@]}" get service api -o jsonpath='{.spec.clusterIP}')"
	dns=10.251.0.1
	run dig +short @"$dns" "api.$NS.svc.cluster.local" A
	echo "$output"
	[ "$output" = "$vip" ]
	# Over TCP too (RFC 7766), where a client goes after a truncated answer; two queries, one connection.
	run dig +tcp +keepopen +short @"$dns" "api.$NS.svc.cluster.local" A "api.$NS.svc.cluster.local" A
	echo "$output"
	[ "$output" = "$vip"$'\n'"$vip" ]
	# Headless: the ready pods themselves.
	for _ in $(seq 1 50); do
		[ "$(dig +short @"$dns" "api-headless.$NS.svc.cluster.local" A | wc -l)" -eq 2 ] && break
		sleep 0.1
	done
	run dig +short @"$dns" "api-headless.$NS.svc.cluster.local" A
	echo "$output"
	[ "$(echo "$output" | sort)" = "$("${K[@]}" get pods -l app=api -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | sort)" ]
	# SRV for a named port; a name that is not there is NXDOMAIN with the zone's SOA.
	run dig +short @"$dns" "_web._tcp.api.$NS.svc.cluster.local" SRV
	[ "$output" = "0 100 80 api.$NS.svc.cluster.local." ]
	run dig @"$dns" "nothing.$NS.svc.cluster.local" A
	[[ "$output" == *"status: NXDOMAIN"* && "$output" == *"ns.dns.cluster.local. hostmaster.cluster.local."* ]]
	run dig +short @"$dns" "10-1-2-3.$NS.pod.cluster.local" A
	[ "$output" = 10.1.2.3 ]
	# The answer follows the Service at once.
	"${K[@]}" delete service api
	run dig @"$dns" "api.$NS.svc.cluster.local" A
	[[ "$output" == *"status: NXDOMAIN"* ]]
	# Names outside the zone go to the node's resolvers: an answer comes back, whatever it says.
	run dig +tries=1 +time=5 @"$dns" example.invalid A
	echo "$output"
	[[ "$output" == *"status: "* ]]
	# A pod's resolv.conf names it, with the namespace's search path, as kubelet writes it.
	"${K[@]}" run client --image=localhost/busybox:latest -- sleep 3600
	for _ in $(seq 1 100); do [ "$("${K[@]}" get pod client -o jsonpath='{.status.phase}')" = Running ] && break; sleep 0.2; done
	run "${K[@]}" exec client -- cat /etc/resolv.conf
	echo "$output"
	[ "$output" = "search $NS.svc.cluster.local svc.cluster.local cluster.local"$'\n'"nameserver $dns"$'\n'"options ndots:5" ]
	run "${K[@]}" exec client -- nslookup "api-headless.$NS.svc.cluster.local"
	echo "$output"
	[[ "$output" == *"Address"*"10.251.0."* ]]
}

@test "services: the kubernetes Service brings in-cluster clients to the API, with the names its certificate has" {
	run "$KUBECTL" -n default get service kubernetes -o json
	echo "$output"
	[ "$(echo "$output" | jq -r .spec.clusterIP)" = 10.98.0.1 ]
	[ "$(echo "$output" | jq -c '[.spec.ports[0].port, .spec.ports[0].targetPort]')" = '[443,6443]' ]
	[ "$("$KUBECTL" -n default get endpoints kubernetes -o jsonpath='{.subsets[0].addresses[0].ip}')" = 10.251.0.1 ]
	# From the host, as a pod's service account: TLS to kubernetes.default.svc at the virtual IP.
	token="$("${K[@]}" create token default)"
	for _ in $(seq 1 50); do
		curl -s -m 2 --cacert "$BATS_FILE_TMPDIR/data/pki/ca.crt" --resolve kubernetes.default.svc:443:10.98.0.1 \
			https://kubernetes.default.svc/healthz -o /dev/null && break
		sleep 0.1
	done
	run curl -sS -m 5 --cacert "$BATS_FILE_TMPDIR/data/pki/ca.crt" --resolve kubernetes.default.svc:443:10.98.0.1 \
		-H "Authorization: Bearer $token" https://kubernetes.default.svc/api
	echo "$output"
	[[ "$output" == *'"kind":"APIVersions"'* ]]
	# In a pod: the variables client-go reads, and the Service's port reachable.
	"${K[@]}" run incluster --image=localhost/busybox:latest -- sleep 3600
	for _ in $(seq 1 100); do [ "$("${K[@]}" get pod incluster -o jsonpath='{.status.phase}')" = Running ] && break; sleep 0.2; done
	run "${K[@]}" exec incluster -- env
	[[ "$output" == *"KUBERNETES_SERVICE_HOST=10.98.0.1"* && "$output" == *"KUBERNETES_SERVICE_PORT=443"* ]]
	"${K[@]}" exec incluster -- sh -c 'nc -w 3 10.98.0.1 443 </dev/null'
}

@test "services: NodePort answers on the host's addresses; ClientIP affinity keeps a client on its pod" {
	api 2
	"${K[@]}" rollout status deployment api --timeout=60s
	"${K[@]}" patch service api --type merge -p '{"spec":{"type":"NodePort","sessionAffinity":"ClientIP"}}'
	run "${K[@]}" get service api -o json
	node_port="$(echo "$output" | jq .spec.ports[0].nodePort)"
	echo "node port $node_port"
	[ "$node_port" -ge 30000 ] && [ "$node_port" -le 32767 ]
	[[ "$("${K[@]}" get service api)" == *"NodePort"*"80:$node_port/TCP"* ]]
	vip="$("${K[@]}" get service api -o jsonpath='{.spec.clusterIP}')"
	for _ in $(seq 1 50); do curl -sf -m 1 "http://10.251.0.1:$node_port/name" >/dev/null && break; sleep 0.1; done
	# Every answer from one pod: the node port and the virtual IP, ten times each, from one client
	# address (affinity is by the client's address; the host would reach the virtual IP from
	# another).
	answers="$( (for _ in $(seq 1 10); do
		curl -sS -m 2 "http://10.251.0.1:$node_port/name"
		curl -sS -m 2 --interface 10.251.0.1 "http://$vip/name"
	done) | sort -u)"
	echo "$answers"
	[ "$(echo "$answers" | wc -l)" -eq 1 ]
	[[ "$answers" == api-* ]]
	# A node port asked for that another Service holds is refused, in kube-apiserver's words.
	run "${K[@]}" create service nodeport other --tcp=80:80 --node-port="$node_port"
	echo "$output"
	[[ "$output" == *"provided port is already allocated"* ]]
}

@test "services: a LoadBalancer answers on the node's address at its port; another class's stays pending" {
	api 1
	"${K[@]}" rollout status deployment api --timeout=60s
	port="$(free_host_port)"
	"${K[@]}" expose deployment api --name lb --type LoadBalancer --port "$port" --target-port http
	node="$("${K[@]}" get pods -l app=api -o jsonpath='{.items[0].status.hostIP}')"
	[ "$("${K[@]}" get service lb -o jsonpath='{.status.loadBalancer.ingress[0].ip}')" = "$node" ]
	run "${K[@]}" get service lb
	echo "$output"
	[[ "$output" == *LoadBalancer*"$node"*"$port:3"*/TCP* ]]
	for _ in $(seq 1 50); do curl -sf -m 1 "http://$node:$port/name" >/dev/null && break; sleep 0.1; done
	run curl -sS -m 2 "http://$node:$port/name"
	[[ "$output" == api-* ]]
	# Another load balancer's class: not this node's to fill.
	"${K[@]}" apply -f - <<-YAML
		apiVersion: v1
		kind: Service
		metadata: {name: elsewhere}
		spec:
		  type: LoadBalancer
		  loadBalancerClass: example.com/other
		  selector: {app: api}
		  ports: [{port: $port, targetPort: http}]
	YAML
	[[ "$("${K[@]}" get service elsewhere)" == *"<pending>"* ]]
	# ClusterIP again: no address, no node port, no route on the node's address.
	"${K[@]}" patch service lb -p '{"spec":{"type":"ClusterIP"}}'
	run "${K[@]}" get service lb -o json
	[ "$(echo "$output" | jq -c '.status.loadBalancer')" = '{}' ]
	[ "$(echo "$output" | jq '.spec.ports[0].nodePort')" = null ]
	for _ in $(seq 1 50); do curl -s -m 1 "http://$node:$port/name" >/dev/null || break; sleep 0.1; done
	run curl -sS -m 2 "http://$node:$port/name"
	[ "$status" -ne 0 ]
}

@test "services: reverse lookups name Services' virtual IPs and their endpoints; other addresses go upstream" {
	command -v dig >/dev/null || skip "needs dig (dnsutils)"
	api 1
	"${K[@]}" create service clusterip api-headless --clusterip=None --tcp=8080:8080
	"${K[@]}" patch service api-headless --type merge -p '{"spec":{"selector":{"app":"api"}}}'
	"${K[@]}" rollout status deployment api --timeout=60s
	dns=10.251.0.1
	vip="$("${K[@]}" get service api -o jsonpath='{.spec.clusterIP}')"
	run dig +short @"$dns" -x "$vip"
	echo "$output"
	[ "$output" = "api.$NS.svc.cluster.local." ]
	pod_ip="$("${K[@]}" get pods -l app=api -o jsonpath='{.items[0].status.podIP}')"
	for _ in $(seq 1 50); do [ -n "$(dig +short @"$dns" -x "$pod_ip")" ] && break; sleep 0.1; done
	run dig +short @"$dns" -x "$pod_ip"
	echo "$output"
	# Under one of its Services, by its dashed address (it has no hostname).
	[[ "$output" == "${pod_ip//./-}.api"*".$NS.svc.cluster.local." ]]
	# An address no Service or endpoint has: the node's resolvers answer, whatever they say.
	run dig +tries=1 +time=5 @"$dns" -x 192.0.2.1
	echo "$output"
	[[ "$output" == *"status: "* && "$output" != *"svc.cluster.local"* ]]
	# The name follows the Service.
	"${K[@]}" delete service api
	for _ in $(seq 1 50); do [ -z "$(dig +short @"$dns" -x "$vip")" ] && break; sleep 0.1; done
	[ -z "$(dig +short @"$dns" -x "$vip")" ]
}

@test "services: the three-tier example works by names across namespaces and survives an api pod's loss with a client retry" {
	"$KUBECTL" apply -f "$BATS_TEST_DIRNAME/../../examples/three-tier.yaml"
	for d in shop/web shop/api payments/db; do
		"$KUBECTL" -n "${d%/*}" rollout status "deployment/${d#*/}" --timeout=90s
	done
	node="$("$KUBECTL" -n shop get svc web -o jsonpath='{.status.loadBalancer.ingress[0].ip}')"
	[ -n "$node" ]
	url="http://$node:8000/cgi-bin/page"
	for _ in $(seq 1 100); do curl -sf -m 2 "$url" | grep -q '| db ' && break; sleep 0.2; done
	run curl -sf -m 5 "$url"
	echo "$output"
	[[ "$output" == "web web-"*" | api api-"*" | db db-"* ]]
	# 40 requests while an api pod is deleted: each one succeeds, some after the client's retry.
	victim="$("$KUBECTL" -n shop get pods -l app=api -o jsonpath='{.items[0].metadata.name}')"
	(sleep 0.5; "$KUBECTL" -n shop delete pod "$victim" --wait=false >/dev/null) &
	local deleter=$! failures=0
	for _ in $(seq 1 40); do
		curl -sf -m 5 --retry 5 --retry-all-errors --retry-delay 1 "$url" | grep -q '| db ' || failures=$((failures + 1))
		sleep 0.05
	done
	wait "$deleter"
	echo "failures: $failures"
	[ "$failures" -eq 0 ]
	# A NetworkPolicy lets only api reach db: the page still works, web reaching db is refused, through
	# the Service (routed by the node) and straight to the pod (over the bridge).
	"$KUBECTL" apply -f - <<-YAML
		apiVersion: networking.k8s.io/v1
		kind: NetworkPolicy
		metadata: {name: db-from-api, namespace: payments}
		spec:
		  podSelector: {matchLabels: {app: db}}
		  ingress:
		  - from:
		    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
		      podSelector: {matchLabels: {app: api}}
		    ports: [{port: postgres}]
	YAML
	[[ "$("$KUBECTL" -n payments get networkpolicy db-from-api -o jsonpath='{.spec.policyTypes}')" == '["Ingress"]' ]]
	[[ "$("$KUBECTL" -n payments get netpol)" == *"db-from-api"*"app=db"* ]]
	db_ip="$("$KUBECTL" -n payments get pods -l app=db -o jsonpath='{.items[0].status.podIP}')"
	web="$("$KUBECTL" -n shop get pods -l app=web -o jsonpath='{.items[0].metadata.name}')"
	api="$("$KUBECTL" -n shop get pods -l app=api --field-selector=status.phase=Running -o jsonpath='{.items[0].metadata.name}')"
	probe() { "$KUBECTL" -n shop exec "$1" -- sh -c "printf 'GET /record HTTP/1.0\r\n\r\n' | nc -w 2 $2 5432 | tail -1"; }
	for _ in $(seq 1 50); do [ -z "$(probe "$web" "$db_ip")" ] && break; sleep 0.1; done
	[ -z "$(probe "$web" "$db_ip")" ]
	[ -z "$(probe "$web" db.payments.svc.cluster.local)" ]
	[[ "$(probe "$api" "$db_ip")" == "db db-"* ]]
	[[ "$(probe "$api" db.payments.svc.cluster.local)" == "db db-"* ]]
	run curl -sf -m 5 --retry 3 --retry-all-errors "$url"
	[[ "$output" == "web web-"*" | api api-"*" | db db-"* ]]
	# A namespace default deny (every pod selected, no rule): api is refused too; gone, all works.
	"$KUBECTL" -n payments apply -f - <<-YAML
		apiVersion: networking.k8s.io/v1
		kind: NetworkPolicy
		metadata: {name: default-deny}
		spec: {podSelector: {}, policyTypes: [Ingress]}
	YAML
	"$KUBECTL" -n payments delete networkpolicy db-from-api
	for _ in $(seq 1 50); do [ -z "$(probe "$api" "$db_ip")" ] && break; sleep 0.1; done
	[ -z "$(probe "$api" db.payments.svc.cluster.local)" ]
	"$KUBECTL" -n payments delete networkpolicy default-deny
	for _ in $(seq 1 50); do [ -n "$(probe "$web" "$db_ip")" ] && break; sleep 0.1; done
	[[ "$(probe "$web" "$db_ip")" == "db db-"* ]]
	! nft list table bridge "$TABLE" 2>/dev/null || false
	# Egress: web may reach api's named port and nothing else; the page works, web to db does not.
	"$KUBECTL" -n shop apply -f - <<-YAML
		apiVersion: networking.k8s.io/v1
		kind: NetworkPolicy
		metadata: {name: web-to-api}
		spec:
		  podSelector: {matchLabels: {app: web}}
		  policyTypes: [Egress]
		  egress: [{to: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: http}]}]
	YAML
	for _ in $(seq 1 50); do [ -z "$(probe "$web" "$db_ip")" ] && break; sleep 0.1; done
	[ -z "$(probe "$web" "$db_ip")" ]
	run curl -sf -m 5 --retry 3 --retry-all-errors "$url"
	[[ "$output" == "web web-"*" | api api-"*" | db db-"* ]]
	"$KUBECTL" delete -f "$BATS_TEST_DIRNAME/../../examples/three-tier.yaml" --ignore-not-found --wait=false >/dev/null
}
