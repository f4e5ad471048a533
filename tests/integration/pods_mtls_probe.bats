#!/usr/bin/env bats
# The node's probe of declared mTLS ports and the connection events (docs/design/pod-mtls.md, build
# step 8; docs/services.md, "Probes and connection events"): in a namespace annotated
# run.cocoon.mtls: required, cocoond connects to each declared port of a running pod with a TLS
# client that shows no certificate; the port passes when the server refuses it and presented the
# pod's current certificate (an mtls.probe event per port, the condition cocoon.run/MTLSProbed). The
# guard's connection sets become mtls.connections events naming both pods and their serials. Real
# peers: kubectl, the key broker with swtpm (pods of required namespaces wait for certificates), and
# openssl s_server / s_client and busybox httpd inside the pods. cocoond reads the connection sets
# every 5 s here (--mtls-observe-interval), not every minute.

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys
load helpers/mtls

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
MTLS=/var/run/secrets/cocoon.run/mtls
TABLE=cocoon-cctest9

setup_file() {
	[ "$(id -u)" -eq 0 ] && [ -n "$KUBECTL" ] && command -v swtpm >/dev/null && command -v nft >/dev/null &&
		[ -x /usr/lib/cni/bridge ] || return 0
	import_openssl_image "$BATS_FILE_TMPDIR/data/images"
	start_mtls_platform probe-node cctest9 10.253.0.0/24 --mtls-observe-interval 5
}

teardown_file() {
	stop_mtls_platform
}

setup() {
	mtls_test_setup p required
	EVENTS="$BATS_FILE_TMPDIR/data/events.jsonl"
}

# pod NAME PORTS SCRIPT [LABEL]: an openssl pod declaring PORTS ("" for none) and running SCRIPT.
pod() {
	local ports=""
	[ -n "$2" ] && ports=", run.cocoon.mtls.ports: \"$2\""
	cat <<-YAML | "${K[@]}" apply -f - >/dev/null
	apiVersion: v1
	kind: Pod
	metadata:
	  name: $1
	  labels: {app: ${4:-$1}}
	  annotations: {run.cocoon.profile: confidential$ports}
	spec:
	  containers:
	  - name: main
	    image: localhost/openssl:latest
	    command: ["/bin/sh", "-c", "$3"]
	YAML
}

# s_server PORT [OPTIONS]: openssl's server on PORT with the pod's certificate.
s_server() {
	echo "openssl s_server -accept $1 -www -cert $MTLS/tls.crt -key $MTLS/tls.key -CAfile $MTLS/ca.pem -partial_chain ${*:2}"
}

# probed NAME: the pod's condition cocoon.run/MTLSProbed once the probe concluded, as
# "STATUS REASON MESSAGE".
probed() {
	local out
	for _ in $(seq 1 300); do
		out="$("${K[@]}" get pod "$1" -o jsonpath='{.status.conditions[?(@.type=="cocoon.run/MTLSProbed")].status} {.status.conditions[?(@.type=="cocoon.run/MTLSProbed")].reason} {.status.conditions[?(@.type=="cocoon.run/MTLSProbed")].message}')"
		case "$out" in
		" "* | "False ProbePending"*) sleep 0.2 ;;
		*) break ;;
		esac
	done
	echo "$out"
}

# event ACTION POD [PY-CONDITION]: the last event of ACTION about pod/$NS/POD whose fields meet the
# condition (a Python expression over e, the event), as JSON; fails when there is none.
event() {
	"$SYSTEM_PYTHON" - "$EVENTS" "$1" "pod/$NS/$2" "${3:-True}" <<-'PY'
		import json, sys
		path, action, obj, cond = sys.argv[1:]
		found = None
		for line in open(path):
		    e = json.loads(line)
		    if e.get("action") == action and e.get("object") == obj and eval(cond, {"e": e}):
		        found = e
		if not found:
		    sys.exit(1)
		print(json.dumps(found))
	PY
}

# wait_event ACTION POD [PY-CONDITION]: event, once it came (at most 2 minutes).
wait_event() {
	for _ in $(seq 1 120); do
		event "$@" && return 0
		sleep 1
	done
	return 1
}

# serial NAME: the pod's certificate serial, in the broker's form (lower-case hex).
serial() {
	"${K[@]}" exec "$1" -- openssl x509 -in "$MTLS/tls.crt" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f'
}

@test "mtls probe: a port demanding a client certificate passes: MTLSProbed=True and an mtls.probe ok event" {
	pod srv 8443 "$(s_server 8443 -Verify 1 -verify_return_error)"
	"${K[@]}" wait --for=condition=Ready pod/srv --timeout=90s
	run probed srv
	echo "$output"
	[ "$output" = "True  " ]
	run event mtls.probe srv 'e["extra"]["port"] == 8443'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"result": "ok"'* ]]
	[[ "$output" == *'"verdict": "allow"'* ]]
	[[ "$output" == *"\"serial\": \"$(serial srv)\""* ]]
	[[ "$output" == *"certificate required"* ]]
}

@test "mtls probe: a declared port that serves plaintext fails with plaintext, naming the port" {
	pod plain 8080 "mkdir -p /tmp/www; echo hello > /tmp/www/index.html; exec httpd -f -p 8080 -h /tmp/www"
	"${K[@]}" wait --for=condition=Ready pod/plain --timeout=90s
	run probed plain
	echo "$output"
	[[ "$output" == "False Plaintext plaintext: port 8080 does not answer as TLS"* ]]
	run event mtls.probe plain 'e["extra"]["result"] == "plaintext"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"verdict": "deny"'* ]]
	[[ "$output" == *'"port": 8080'* ]]
}

@test "mtls probe: TLS without client authentication fails with no-client-auth; the first failing port is named" {
	pod lax "8443,9443" "$(s_server 9443 -Verify 1 -verify_return_error) & exec $(s_server 8443)"
	"${K[@]}" wait --for=condition=Ready pod/lax --timeout=90s
	run probed lax
	echo "$output"
	[[ "$output" == "False NoClientAuth no-client-auth: port 8443 completed a TLS handshake without a client certificate"* ]]
	run event mtls.probe lax 'e["extra"]["port"] == 8443'
	[[ "$output" == *'"result": "no-client-auth"'* ]]
	# the other port demands one, and passed
	run event mtls.probe lax 'e["extra"]["port"] == 9443'
	echo "$output"
	[[ "$output" == *'"result": "ok"'* ]]
}

@test "mtls probe: a connection from one mTLS pod to another's declared port is an mtls.connections event with both serials" {
	pod srv 8443 "$(s_server 8443 -Verify 1 -verify_return_error)" srv
	pod cli "" "sleep 600"
	"${K[@]}" apply -f - >/dev/null <<-YAML
		apiVersion: v1
		kind: Service
		metadata: {name: srv}
		spec:
		  selector: {app: srv}
		  ports: [{name: tls, port: 443, targetPort: 8443}]
	YAML
	"${K[@]}" wait --for=condition=Ready pod/srv pod/cli --timeout=90s
	[ "$(probed srv)" = "True  " ]
	ip="$("${K[@]}" get pod srv -o jsonpath='{.status.podIP}')"
	cli_ip="$("${K[@]}" get pod cli -o jsonpath='{.status.podIP}')"
	vip="$("${K[@]}" get service srv -o jsonpath='{.spec.clusterIP}')"
	srv_serial="$(serial srv)"
	cli_serial="$(serial cli)"
	connect() {
		"${K[@]}" exec cli -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -quiet -connect $1 -cert $MTLS/tls.crt -key $MTLS/tls.key -CAfile $MTLS/ca.pem -partial_chain -verify_return_error 2>&1"
	}
	run connect "$ip:8443"
	echo "$output"
	[[ "$output" == *"200 ok"* ]]
	# The guard's set in the server's network namespace holds the client's address and the port.
	netns="$BATS_FILE_TMPDIR/data.run/pods/$("${K[@]}" get pod srv -o jsonpath='{.metadata.uid}')/ns/net"
	nsenter --net="$netns" nft list set inet cocoon-mtls connections | grep "$cli_ip . 8443"
	# Within 2 minutes (here: the 5 s interval), one event naming both pods and both serials.
	run wait_event mtls.connections srv 'e["extra"]["via"] == "pod"'
	echo "$output"
	[ "$status" -eq 0 ]
	"$SYSTEM_PYTHON" - "$output" "$NS" "$srv_serial" "$cli_serial" "$cli_ip" <<-'PY'
		import json, sys
		e, ns, srv_serial, cli_serial, cli_ip = json.loads(sys.argv[1]), *sys.argv[2:]
		x = e["extra"]
		assert e["component"] == "platform" and e["verdict"] == "allow", e
		assert x["server"]["namespace"] == ns and x["server"]["name"] == "srv", x
		assert x["server"]["serial"] == srv_serial and x["server"]["spiffeId"].endswith("/pod/" + x["server"]["uid"]), x
		assert x["client"]["name"] == "cli" and x["client"]["serial"] == cli_serial and x["client"]["mtls"], x
		assert x["client"]["address"] == cli_ip and x["port"] == 8443, x
		assert x["probe"] == "ok" and x["count"] >= 1, x
	PY
	# Through the Service: the platform's set sees the client before masquerade.
	run connect "$vip:443"
	[[ "$output" == *"200 ok"* ]]
	nft list set ip "$TABLE-mtls-connections" connections | grep "$cli_ip . $ip . 8443"
	run wait_event mtls.connections srv 'e["extra"]["via"] == "service"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"serial\": \"$cli_serial\""* ]]
	[[ "$output" == *"\"serial\": \"$srv_serial\""* ]]
}
