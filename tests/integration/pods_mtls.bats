#!/usr/bin/env bats
# Pods' mTLS certificates from the key broker (docs/design/pod-mtls.md, build steps 5 and 6): in a
# namespace annotated run.cocoon.mtls, cocoond measures a pod's containers ahead of their launch,
# attests with the node's TPM naming the pod and binding the pod's new key, and writes the
# certificate the broker issues into the pod's csi volume (driver mtls.cocoon.run) before any
# container starts. Real peers: swtpm, the key broker, kubectl, and the openssl CLI inside the pods
# (s_server demanding a client certificate, s_client presenting the pod's) and on the host.

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys
load helpers/mtls

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
ATTESTATION_OID=2.25.315685752688738476782982348621596042586
MTLS=/var/run/secrets/cocoon.run/mtls

setup_file() {
	[ "$(id -u)" -eq 0 ] && [ -n "$KUBECTL" ] && command -v swtpm >/dev/null &&
		[ -x /usr/lib/cni/bridge ] || return 0
	import_openssl_image "$BATS_FILE_TMPDIR/data/images"
	start_mtls_platform mtls-node cctest8 10.248.0.0/24
}

teardown_file() {
	stop_mtls_platform
}

setup() {
	mtls_test_setup m permissive
	TMP="$BATS_FILE_TMPDIR/kbs"
}

# pod NAME SCRIPT [LABEL]: an openssl pod running SCRIPT.
pod() {
	cat <<-YAML | "${K[@]}" apply -f - >/dev/null
	apiVersion: v1
	kind: Pod
	metadata:
	  name: $1
	  labels: {app: ${3:-$1}}
	  annotations: {run.cocoon.profile: confidential}
	spec:
	  containers:
	  - name: main
	    image: localhost/openssl:latest
	    command: ["/bin/sh", "-c", "$2"]
	YAML
}

# server NAME: s_server on 8443 demanding a client certificate our CA chain verifies.
server() {
	pod "$1" "openssl s_server -accept 8443 -www -cert $MTLS/tls.crt -key $MTLS/tls.key -CAfile $MTLS/ca.pem -partial_chain -Verify 1 -verify_return_error"
}

wait_running() {
	"${K[@]}" wait --for=condition=Ready "pod/$1" --timeout=90s >/dev/null
}

pod_ip() {
	"${K[@]}" get pod "$1" -o jsonpath='{.status.podIP}'
}

@test "pods mtls: a pod starts with its certificate and two pods talk mutual TLS with them" {
	server web
	pod client "sleep 600"
	wait_running web
	wait_running client
	# the volume admission added, and the files the certificate made
	run "${K[@]}" get pod web -o jsonpath='{.spec.volumes[?(@.csi)].csi.driver}'
	[ "$output" = mtls.cocoon.run ]
	run "${K[@]}" get pod web -o jsonpath='{.status.conditions[?(@.type=="cocoon.run/MTLSReady")].status}'
	[ "$output" = True ]
	run "${K[@]}" exec client -- ls "$MTLS"
	echo "$output"
	for f in ca.pem credentials.pem crl.pem tls.crt tls.key; do [[ "$output" == *"$f"* ]]; done
	"${K[@]}" exec web -- cat "$MTLS/tls.crt" >"$BATS_TEST_TMPDIR/web.crt"
	uid="$("${K[@]}" get pod web -o jsonpath='{.metadata.uid}')"
	run openssl x509 -in "$BATS_TEST_TMPDIR/web.crt" -noout -text
	echo "$output"
	[[ "$output" == *"URI:spiffe://acme.example/ns/$NS/sa/default/pod/$uid"* ]]
	[[ "$output" == *"Subject: CN = $NS/web"* ]]
	[[ "$output" == *"$ATTESTATION_OID"* ]]
	# verified against the offline root, with the issuing CA the pod's bundle holds
	"${K[@]}" exec web -- cat "$MTLS/ca.pem" >"$BATS_TEST_TMPDIR/bundle.pem"
	openssl verify -CAfile "$TMP/root.pem" -untrusted "$BATS_TEST_TMPDIR/bundle.pem" -purpose sslserver \
		"$BATS_TEST_TMPDIR/web.crt"
	ip="$(pod_ip web)"
	# with the client's certificate: the handshake completes and s_server answers
	for _ in $(seq 1 50); do
		run "${K[@]}" exec client -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -quiet -connect $ip:8443 -cert $MTLS/tls.crt -key $MTLS/tls.key -CAfile $MTLS/ca.pem -partial_chain -verify_return_error 2>&1"
		[[ "$output" == *"200 ok"* ]] && break
		sleep 0.2
	done
	echo "$output"
	[[ "$output" == *"200 ok"* ]]
	# without one: refused
	run "${K[@]}" exec client -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -quiet -connect $ip:8443 -CAfile $MTLS/ca.pem -partial_chain 2>&1"
	echo "$output"
	[[ "$output" != *"200 ok"* ]]
	echo "$output" | grep -qiE "certificate required|alert number 116|handshake failure"
	# each certificate a security event of cocoond's, and one of the broker's
	grep '"action":"mtls.certificate"' "$BATS_FILE_TMPDIR/data/events.jsonl" | grep -q '"verdict":"allow"'
	grep -q '"kbs.mtls.issue"' "$BATS_FILE_TMPDIR/kbs-events.jsonl"
}

@test "pods mtls: the extension's measurements are the pod's records in the measurement log" {
	pod solo "sleep 600"
	wait_running solo
	uid="$("${K[@]}" get pod solo -o jsonpath='{.metadata.uid}')"
	"${K[@]}" exec solo -- cat "$MTLS/tls.crt" >"$BATS_TEST_TMPDIR/solo.crt"
	# the attestation extension, read by openssl asn1parse
	run openssl asn1parse -in "$BATS_TEST_TMPDIR/solo.crt"
	line="$(grep -n ":$ATTESTATION_OID\$" <<<"$output" | cut -d: -f1)"
	value="$(sed -n "$((line + 1))p" <<<"$output")"
	run openssl asn1parse -in "$BATS_TEST_TMPDIR/solo.crt" -strparse "$(echo "$value" | sed 's/^ *\([0-9]*\):.*/\1/')"
	echo "$output"
	[[ "$output" == *"UTF8STRING        :mtls-node"* ]]
	[[ "$output" == *"UTF8STRING        :$uid-main-0"* ]]
	# the measurement of the pod's container, as cocoon-runtime recorded it (ahead of its launch, and
	# again when it was created: the same value)
	measurements="$(grep "\"$uid-main-0\"" "$BATS_FILE_TMPDIR/data.run/runtime/measurements.jsonl" | jq_py 'r["measurement"][7:]' | sort -u)"
	[ "$(echo "$measurements" | wc -l)" -eq 1 ]
	[[ "$output" == *"[HEX DUMP]:${measurements^^}"* ]]
}

@test "pods mtls: a deleted pod's certificate is revoked, and the next pod's CRL lists it" {
	pod gone "sleep 600"
	wait_running gone
	"${K[@]}" exec gone -- cat "$MTLS/tls.crt" >"$BATS_TEST_TMPDIR/gone.crt"
	serial="$(openssl x509 -in "$BATS_TEST_TMPDIR/gone.crt" -noout -serial | cut -d= -f2)"
	"${K[@]}" delete pod gone --wait=true --timeout=60s >/dev/null
	grep '"kbs.mtls.revoke"' "$BATS_FILE_TMPDIR/kbs-events.jsonl" | grep -qi "$serial"
	pod later "sleep 600"
	wait_running later
	"${K[@]}" exec later -- cat "$MTLS/crl.pem" >"$BATS_TEST_TMPDIR/crl.pem"
	"${K[@]}" exec later -- cat "$MTLS/ca.pem" >"$BATS_TEST_TMPDIR/bundle.pem"
	run openssl verify -crl_check -CRLfile "$BATS_TEST_TMPDIR/crl.pem" -CAfile "$BATS_TEST_TMPDIR/bundle.pem" \
		-partial_chain "$BATS_TEST_TMPDIR/gone.crt"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"certificate revoked"* ]]
}

@test "pods mtls: a certificate due for renewal is replaced by a new key and serial" {
	pod renew "sleep 600"
	wait_running renew
	uid="$("${K[@]}" get pod renew -o jsonpath='{.metadata.uid}')"
	state="$BATS_FILE_TMPDIR/data.run/memory/$uid/mtls.json"
	[ -f "$state" ] || state="$(find "$BATS_FILE_TMPDIR/data.run" -path "*$uid/mtls.json" | head -1)"
	[ -f "$state" ]
	old="$("${K[@]}" exec renew -- cat "$MTLS/tls.crt" | openssl x509 -noout -serial)"
	# its life two thirds gone, as the runner reads it: the next refresh pass (each minute) renews
	"$SYSTEM_PYTHON" - "$state" <<-'PY'
	import json, sys
	s = json.load(open(sys.argv[1]))
	s["issuedAt"] -= 3600
	s["notAfter"] -= 2000
	json.dump(s, open(sys.argv[1], "w"))
	PY
	for _ in $(seq 1 90); do
		new="$("${K[@]}" exec renew -- cat "$MTLS/tls.crt" | openssl x509 -noout -serial)"
		[ "$new" != "$old" ] && break
		sleep 1
	done
	[ "$new" != "$old" ]
	# the key and certificate match, read together through ..data
	"${K[@]}" exec renew -- cat "$MTLS/..data/tls.crt" | openssl x509 -noout -pubkey >"$BATS_TEST_TMPDIR/a.pub"
	"${K[@]}" exec renew -- cat "$MTLS/..data/tls.key" | openssl pkey -pubout >"$BATS_TEST_TMPDIR/b.pub"
	cmp "$BATS_TEST_TMPDIR/a.pub" "$BATS_TEST_TMPDIR/b.pub"
}

@test "pods mtls: without the broker a new pod waits (fail closed), and a namespace without the annotation gets no volume" {
	"$KUBECTL" create namespace plain >/dev/null
	cat <<-YAML | "$KUBECTL" -n plain apply -f - >/dev/null
	apiVersion: v1
	kind: Pod
	metadata: {name: p}
	spec:
	  containers: [{name: main, image: localhost/openssl:latest, command: ["sleep", "600"]}]
	YAML
	run "$KUBECTL" -n plain get pod p -o jsonpath='{.spec.volumes[*].name}'
	[[ "$output" != *cocoon-mtls* ]]
	kill -TERM "$(cat "$BATS_FILE_TMPDIR/kbs.pid")"
	pod waits "sleep 600"
	for _ in $(seq 1 150); do
		"${K[@]}" get events --field-selector involvedObject.name=waits 2>/dev/null | grep -q FailedMount && break
		sleep 0.2
	done
	run "${K[@]}" get events --field-selector involvedObject.name=waits
	echo "$output"
	[[ "$output" == *FailedMount* ]]
	[[ "$output" == *certificate* ]]
	[ "$("${K[@]}" get pod waits -o jsonpath='{.status.phase}')" = Pending ]
	run "${K[@]}" get pod waits -o jsonpath='{.status.conditions[?(@.type=="cocoon.run/MTLSReady")].reason}'
	[ "$output" = CertificatePending ]
}
