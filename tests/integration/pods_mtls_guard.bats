#!/usr/bin/env bats
# The mTLS guard (docs/design/pod-mtls.md, build step 7; docs/services.md, "Mutual TLS guard"): in a
# namespace annotated run.cocoon.mtls: required, other pods reach a pod only on the ports it
# declares in run.cocoon.mtls.ports, straight over the bridge (the pod's own table inet
# cocoon-mtls) and through a Service (the platform's mtls-forward chain), while the node (probes,
# curl from the host) and kubectl port-forward still reach every port. Admission checks the
# namespace's value and refuses pods the guard cannot hold. Real kubectl; pods really run, those of
# required namespaces with their certificates from a real key broker (swtpm as the node's TPM); the
# platform's table is ip cocoon-cctest7.

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys
load helpers/mtls

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
TABLE=cocoon-cctest7

# import_nft_image STORE: busybox with the host's nft and the libraries it loads, so a container can
# try to change its network namespace's rules itself.
import_nft_image() {
	local store="$1" tmp nft lib
	tmp="$(mktemp -d)"
	nft="$(command -v nft)"
	make_rootfs "$tmp/root"
	mkdir -p "$tmp/root/usr/sbin"
	cp "$nft" "$tmp/root/usr/sbin/nft"
	for lib in $(ldd "$nft" | grep -o '/[^ ]*'); do
		mkdir -p "$tmp/root$(dirname "$lib")"
		cp -L "$lib" "$tmp/root$lib"
	done
	tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
	"$COCOON" image import --store "$store" --change "ENV PATH=/bin:/usr/sbin" --change 'CMD ["/bin/sh"]' \
		"$tmp/rootfs.tar" localhost/busybox-nft:latest >/dev/null
	rm -rf "$tmp"
}

setup_file() {
	[ "$(id -u)" -eq 0 ] && [ -n "$KUBECTL" ] && [ -x /usr/lib/cni/bridge ] && command -v nft >/dev/null &&
		command -v swtpm >/dev/null || return 0
	local tmp="$BATS_FILE_TMPDIR"
	import_busybox_image "$tmp/data/images"
	import_nft_image "$tmp/data/images"
	start_mtls_platform guard-node cctest7 10.247.0.0/24
}

teardown_file() {
	stop_mtls_platform
}

teardown() {
	if [ -n "${PF_PID:-}" ]; then
		kill "$PF_PID" 2>/dev/null || true
		wait "$PF_PID" 2>/dev/null || true
		PF_PID=
	fi
}

setup() {
	mtls_test_setup m
	CNS="c$BATS_TEST_NUMBER"
	"$KUBECTL" create namespace "$CNS" >/dev/null
}

# server: pod srv in $NS, httpd answering its name on 8443 (declared) and 8080 (not), both probed by
# the node, and Service srv (443 -> 8443, 80 -> 8080).
server() {
	"${K[@]}" apply -f - <<-YAML
		apiVersion: v1
		kind: Pod
		metadata:
		  name: srv
		  labels: {app: srv}
		  annotations: {run.cocoon.mtls.ports: "8443"}
		spec:
		  containers:
		  - name: httpd
		    image: localhost/busybox-nft:latest
		    command: ["/bin/sh", "-c", "hostname > /tmp/name; httpd -p 8443 -h /tmp; exec httpd -f -p 8080 -h /tmp"]
		    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
		---
		apiVersion: v1
		kind: Service
		metadata: {name: srv}
		spec:
		  selector: {app: srv}
		  ports: [{name: tls, port: 443, targetPort: 8443}, {name: plain, port: 80, targetPort: 8080}]
	YAML
	"${K[@]}" wait --for=condition=Ready pod/srv --timeout=60s
	SRV_IP="$("${K[@]}" get pod srv -o jsonpath='{.status.podIP}')"
	VIP="$("${K[@]}" get service srv -o jsonpath='{.spec.clusterIP}')"
	SRV_NETNS="$BATS_FILE_TMPDIR/data.run/pods/$("${K[@]}" get pod srv -o jsonpath='{.metadata.uid}')/ns/net"
	# The Service routes to the ready pod.
	for _ in $(seq 1 100); do nft list table ip "$TABLE" | grep -q "dnat to $SRV_IP:8443" && break; sleep 0.1; done
}

# client: pod client in $CNS, a namespace without the annotation.
client() {
	"$KUBECTL" -n "$CNS" run client --image=localhost/busybox:latest -- sleep 3600 >/dev/null
	"$KUBECTL" -n "$CNS" wait --for=condition=Ready pod/client --timeout=60s
}

# fetch HOST PORT: GET /name from the client pod: the body, or nc's "Connection refused" for a reset.
fetch() {
	local out
	out="$("$KUBECTL" -n "$CNS" exec client -- sh -c "printf 'GET /name HTTP/1.0\r\n\r\n' | nc -w 5 $1 $2" 2>&1)"
	case "$out" in
	*"200 OK"*) echo "${out##*$'\r\n\r\n'}" ;;
	*) echo "$out" ;;
	esac
}

# guard_table: the pod srv's table, listed inside its network namespace by the host's nft.
guard_table() {
	nsenter --net="$SRV_NETNS" nft list table inet cocoon-mtls
}

require_mtls() {
	"$KUBECTL" annotate namespace "$NS" run.cocoon.mtls=required >/dev/null
}

@test "mtls guard: a namespace's value is permissive or required, each change an mtls.policy event" {
	run "$KUBECTL" annotate namespace "$NS" run.cocoon.mtls=strict
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'annotation run.cocoon.mtls is "strict": it must be "permissive" or "required"'* ]]
	run "$KUBECTL" create -f - <<-YAML
		apiVersion: v1
		kind: Namespace
		metadata: {name: bad$BATS_TEST_NUMBER, annotations: {run.cocoon.mtls: "yes"}}
	YAML
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'metadata.annotations[run.cocoon.mtls]'*'"yes"'* ]]
	"$KUBECTL" annotate namespace "$NS" run.cocoon.mtls=permissive
	"$KUBECTL" annotate namespace "$NS" run.cocoon.mtls=required --overwrite
	"$KUBECTL" annotate namespace "$NS" run.cocoon.mtls-
	events="$(grep '"action":"mtls.policy"' "$BATS_FILE_TMPDIR/data/events.jsonl" | grep "namespace $NS")"
	echo "$events"
	[ "$(echo "$events" | wc -l)" -eq 3 ]
	echo "$events" | sed -n 1p | grep -q 'changes from off to permissive'
	echo "$events" | sed -n 2p | grep -q 'changes from permissive to required'
	echo "$events" | sed -n 3p | grep -q 'changes from required to off: a weaker protection'
}

@test "mtls guard: a required namespace refuses malformed ports, hostNetwork and NET_ADMIN, naming why" {
	require_mtls
	run "${K[@]}" run ports --image=localhost/busybox:latest --annotations=run.cocoon.mtls.ports=80,x -- sleep 60
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'annotation run.cocoon.mtls.ports is "80,x": it must list TCP ports'* ]]
	run "${K[@]}" run many --image=localhost/busybox:latest \
		--annotations=run.cocoon.mtls.ports=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17 -- sleep 60
	[ "$status" -ne 0 ]
	[[ "$output" == *'at most 16 ports'* ]]
	run "${K[@]}" apply -f - <<-YAML
		apiVersion: v1
		kind: Pod
		metadata: {name: hostnet}
		spec:
		  hostNetwork: true
		  containers: [{name: c, image: localhost/busybox:latest, command: [sleep, "60"]}]
	YAML
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'pods "hostnet" is forbidden: namespace "'"$NS"'" requires mutual TLS'*'spec.hostNetwork is true'* ]]
	run "${K[@]}" apply -f - <<-YAML
		apiVersion: v1
		kind: Pod
		metadata: {name: netadmin}
		spec:
		  containers:
		  - name: c
		    image: localhost/busybox:latest
		    command: [sleep, "60"]
		    securityContext: {capabilities: {add: [NET_ADMIN]}}
	YAML
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'spec.containers[0] (c) adds capability NET_ADMIN'* ]]
	grep '"action":"mtls.admission"' "$BATS_FILE_TMPDIR/data/events.jsonl" | grep "pod/$NS/netadmin" |
		grep -q '"verdict":"deny"'
	# The same pods are fine where mTLS is not required.
	"$KUBECTL" -n "$CNS" run ports --image=localhost/busybox:latest --annotations=run.cocoon.mtls.ports=80,x -- sleep 60
}

@test "mtls guard: other pods reach only the declared port, directly and through the Service; the node and port-forward reach the rest" {
	require_mtls
	server
	client
	guard_table
	# Straight over the bridge: the pod's own table.
	run fetch "$SRV_IP" 8443
	echo "$output"
	[ "$output" = srv ]
	run fetch "$SRV_IP" 8080
	echo "$output"
	[[ "$output" == *"Connection refused"* ]]
	# Through the Service (masqueraded to the gateway, which the pod's table lets in): the
	# platform's chain, before masquerade.
	for _ in $(seq 1 100); do nft list chain ip "$TABLE" mtls-forward 2>/dev/null | grep -q "$SRV_IP" && break; sleep 0.1; done
	nft list chain ip "$TABLE" mtls-forward | grep "ip daddr $SRV_IP tcp dport != 8443 reject"
	run fetch "$VIP" 443
	echo "$output"
	[ "$output" = srv ]
	run fetch "$VIP" 80
	echo "$output"
	[[ "$output" == *"Connection refused"* ]]
	# The node: its probe of 8080 keeps the pod ready, and curl from the host gets through.
	[ "$("${K[@]}" get pod srv -o jsonpath='{.status.containerStatuses[0].ready}')" = true ]
	[ "$(curl -sS -m 5 "http://$SRV_IP:8080/name")" = srv ]
	[ "$(curl -sS -m 5 "http://$VIP:80/name")" = srv ]
	# kubectl port-forward to the undeclared port.
	# kubectl 1.31+ tunnels SPDY through a WebSocket by default; 1.30 does when asked (as pods.bats).
	local port kc="$KUBECTL"
	[ -x /usr/lib/google-cloud-sdk/bin/kubectl.1.33 ] && kc=/usr/lib/google-cloud-sdk/bin/kubectl.1.33
	port="$(free_port)"
	KUBECTL_PORT_FORWARD_WEBSOCKETS=true "$kc" --kubeconfig "$KUBECONFIG" -n "$NS" port-forward pod/srv "$port:8080" \
		>"$BATS_TEST_TMPDIR/pf.log" 2>&1 3>&- &
	PF_PID=$!
	for _ in $(seq 1 50); do grep -q "Forwarding from 127.0.0.1:$port" "$BATS_TEST_TMPDIR/pf.log" && break; sleep 0.1; done
	for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/name" >/dev/null && break; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/pf.log"
	[ "$(curl -sS -m 5 "http://127.0.0.1:$port/name")" = srv ]
	# Root in the container, without NET_ADMIN, cannot flush the table: it stays, and so does the
	# refusal.
	run "${K[@]}" exec srv -- nft flush ruleset
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[ "$("${K[@]}" exec srv -- id -u)" = 0 ]
	guard_table | grep -q "tcp dport 8443 ct state new update @connections { ip saddr . tcp dport } accept"
	run fetch "$SRV_IP" 8080
	[[ "$output" == *"Connection refused"* ]]
}

@test "mtls guard: a namespace without the annotation is untouched, and permissive changes nothing" {
	server
	client
	[ "$(fetch "$SRV_IP" 8080)" = srv ]
	[ "$(fetch "$VIP" 80)" = srv ]
	! guard_table || false
	! nft list chain ip "$TABLE" mtls-forward 2>/dev/null | grep -q "$SRV_IP" || false
	"$KUBECTL" annotate namespace "$NS" run.cocoon.mtls=permissive >/dev/null
	sleep 2 # the runner passes every second: long enough for a change that must not happen
	! guard_table || false
	[ "$(fetch "$SRV_IP" 8080)" = srv ]
	[ "$(fetch "$VIP" 80)" = srv ]
	[ ! -e "$(dirname "$(dirname "$SRV_NETNS")")/mtls-guard" ]
}

@test "mtls guard: the rules follow the annotations: a port declared later opens, and removing the namespace's annotation removes the table" {
	require_mtls
	server
	client
	run fetch "$SRV_IP" 8080
	[[ "$output" == *"Connection refused"* ]]
	"${K[@]}" annotate pod srv run.cocoon.mtls.ports=8443,8080 --overwrite
	for _ in $(seq 1 100); do guard_table | grep -q "8080" && break; sleep 0.1; done
	guard_table | grep -q "tcp dport { 8080, 8443 } ct state new update @connections { ip saddr . tcp dport } accept"
	for _ in $(seq 1 100); do nft list chain ip "$TABLE" mtls-forward | grep -q "8080, 8443" && break; sleep 0.1; done
	[ "$(fetch "$SRV_IP" 8080)" = srv ]
	[ "$(fetch "$VIP" 80)" = srv ]
	# A malformed list is refused on update too.
	run "${K[@]}" annotate pod srv run.cocoon.mtls.ports=0 --overwrite
	[ "$status" -ne 0 ]
	[[ "$output" == *'run.cocoon.mtls.ports is "0"'* ]]
	"${K[@]}" annotate pod srv run.cocoon.mtls.ports=8443 --overwrite
	for _ in $(seq 1 100); do guard_table | grep -q "8080" || break; sleep 0.1; done
	run fetch "$SRV_IP" 8080
	[[ "$output" == *"Connection refused"* ]]
	# The namespace no longer requires mTLS: the table and the forward rules go.
	"$KUBECTL" annotate namespace "$NS" run.cocoon.mtls-
	for _ in $(seq 1 100); do guard_table >/dev/null 2>&1 || break; sleep 0.1; done
	! guard_table || false
	for _ in $(seq 1 100); do nft list chain ip "$TABLE" mtls-forward 2>/dev/null | grep -q "$SRV_IP" || break; sleep 0.1; done
	! nft list chain ip "$TABLE" mtls-forward 2>/dev/null | grep -q "$SRV_IP" || false
	[ "$(fetch "$SRV_IP" 8080)" = srv ]
	[ "$(fetch "$VIP" 80)" = srv ]
}
