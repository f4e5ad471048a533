#!/usr/bin/env bats
# Revoking pod certificates, the CRL and the bundle (docs/design/pod-mtls.md, "Revocation"; build
# step 4). Real peers as in kbs_mtls_issue.bats: cocoond for the pods and their service account
# tokens, a software TPM quoting cocoon-runtime's records under two attestation keys (nodes n1 and
# n2), the key broker, the node in Python (helpers/kbs_mtls_client.py), and the openssl CLI, which
# makes the tenant's root and checks leaves against the served CRL (verify -crl_check).

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	tpm_node_setup
	make_ak "$TMP"
	mkdir "$TMP/n2"
	make_ak "$TMP/n2"
	DATA="$TMP/platform"
	start_cocoond "$DATA" "$(free_port)"
	export KUBECONFIG="$DATA/kubeconfig"
	"$KUBECTL" -n default create serviceaccount app >/dev/null
	for pod in web db; do
		"$KUBECTL" apply -f - >/dev/null <<-EOF
		apiVersion: v1
		kind: Pod
		metadata: {name: $pod}
		spec:
		  serviceAccountName: app
		  containers: [{name: app, image: busybox}]
		EOF
		RT run --bundle "$TMP/bundle" "$(uid_of "$pod")-app-0"
		"$KUBECTL" create token app --audience cocoon-kbs:default --bound-object-kind Pod \
			--bound-object-name "$pod" --bound-object-uid "$(uid_of "$pod")" >"$TMP/$pod.token"
	done
	openssl pkey -in "$DATA/pki/service-account.key" -pubout -out "$TMP/sa.pub" 2>/dev/null
	start_kbs "$TMP" --events "$TMP/events.jsonl" --sa-issuer-key "$TMP/sa.pub"
	[ "$(kbs_admin PUT default/node/n1 --data-binary "@$TMP/ak.tss" | tail -1)" = 204 ]
	[ "$(kbs_admin PUT default/node/n2 --data-binary "@$TMP/n2/ak.tss" | tail -1)" = 204 ]
	printf 'rules:\n- {claim: tee, equals: tpm}\n' >"$TMP/policy.yaml"
	[ "$(kbs_admin PUT default/policy --data-binary "@$TMP/policy.yaml" | tail -1)" = 204 ]
	[ "$(kbs_admin PUT default/mtls --data '{"trustDomain": "acme.example"}' | tail -1)" = 200 ]
	make_offline_root
	kbs_admin POST default/mtls/ca | sed '$d' | jq_py 'r["csr"]' >"$TMP/ca.csr"
	openssl x509 -req -in "$TMP/ca.csr" -CA "$TMP/root.pem" -CAkey "$TMP/root.key" -CAcreateserial -days 7 \
		-extfile "$TMP/ext.cnf" -extensions issuing -out "$TMP/ca.pem" 2>/dev/null
	[ "$(kbs_admin PUT default/mtls/ca --data-binary "@$TMP/ca.pem" | tail -1)" = 204 ]
}

teardown() {
	stop_kbs
	stop_cocoond
	stop_swtpm
	rm -rf "$TMP"
}

uid_of() {
	"$KUBECTL" get pod "$1" -o jsonpath='{.metadata.uid}'
}

# node NAME ARGS: node NAME (n1: the AK in $TMP, n2: in $TMP/n2) runs the Python node with ARGS.
node() {
	local name="$1" dir="$TMP"
	shift
	[ "$name" = n1 ] || dir="$TMP/$name"
	"$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/kbs_mtls_client.py" "$KBS_URL" "$TMP/pki/ca.crt" \
		--node "$name" --ak-dir "$dir" --log "$RT_ROOT/measurements.jsonl" --out "$TMP/out" "$@"
}

# issue NODE POD: a certificate for POD through NODE into $TMP/NODE-POD/; prints its serial.
issue() {
	local out
	out="$(node "$1" --token-file "$TMP/$2.token" --out "$TMP/$1-$2")"
	[ "$(echo "$out" | jq_py 'r["status"]')" = 201 ] || { echo "$out" >&2; return 1; }
	echo "$out" | jq_py 'r["answer"]["serial"]'
}

# crl [NODE]: the tenant's CRL into $TMP/crl.pem and the bundle into $TMP/bundle.pem, on a session of
# NODE (n2 unless given).
crl() {
	local out
	out="$(node "${1:-n2}" --no-csr --crl "$TMP/crl.pem" --bundle "$TMP/bundle.pem")"
	[ "$(echo "$out" | jq_py 'r["crl"]["status"]')" = 200 ] || { echo "$out" >&2; return 1; }
	[ "$(echo "$out" | jq_py 'r["bundle"]["status"]')" = 200 ]
}

# verify LEAF: openssl's verdict on LEAF against the root, the served bundle and the served CRL.
verify() {
	openssl verify -crl_check -CAfile "$TMP/root.pem" -untrusted "$TMP/bundle.pem" -CRLfile "$TMP/crl.pem" "$1" 2>&1
}

revoked() {
	run verify "$1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"certificate revoked"* ]]
}

valid() {
	run verify "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *": OK" ]]
}

# crl_number: the served CRL's cRLNumber, as openssl writes it (0x...)
crl_number() {
	openssl crl -in "$TMP/crl.pem" -noout -crlnumber | cut -d= -f2
}

@test "kbs mtls revoke: the node revokes a pod's certificate; the served CRL refuses it and passes another" {
	web="$(issue n1 web)"
	db="$(issue n1 db)"
	run node n1 --no-csr --revoke "${web^^}" --crl "$TMP/crl.pem" --bundle "$TMP/bundle.pem"
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["revoke"]["status"]')" = 200 ]
	[ "$(echo "$output" | jq_py 'r["revoke"]["answer"]["revoked"]')" = "['$web']" ]
	[ "$(echo "$output" | jq_py 'r["crl"]["type"]')" = application/x-pem-file ]
	[ "$(echo "$output" | jq_py 'r["bundle"]["type"]')" = application/x-pem-file ]
	revoked "$TMP/n1-web/tls.crt"
	valid "$TMP/n1-db/tls.crt"
	# the bundle is the issuing CA, which verifies the leaf against the root on its own
	run openssl verify -CAfile "$TMP/root.pem" -untrusted "$TMP/bundle.pem" "$TMP/n1-db/tls.crt"
	[[ "$output" == *": OK" ]]
	[ "$(openssl x509 -in "$TMP/bundle.pem" -noout -fingerprint)" = "$(openssl x509 -in "$TMP/ca.pem" -noout -fingerprint)" ]

	# the CRL: signed by the issuing CA, the reason, nextUpdate the leaf lifetime (3600 s) after it was made
	run openssl crl -in "$TMP/crl.pem" -noout -text
	echo "$output"
	[[ "$output" == *"Serial Number: ${web^^}"* ]]
	[[ "$output" == *"Cessation Of Operation"* ]]
	[[ "$output" != *"${db^^}"* ]]
	now="$(date +%s)"
	this="$(date -d "$(openssl crl -in "$TMP/crl.pem" -noout -lastupdate | cut -d= -f2)" +%s)"
	next="$(date -d "$(openssl crl -in "$TMP/crl.pem" -noout -nextupdate | cut -d= -f2)" +%s)"
	[ "$this" -le "$now" ]
	[ $((next - now)) -le 3600 ] && [ $((next - now)) -gt 3000 ]
	openssl crl -in "$TMP/crl.pem" -noout -CAfile "$TMP/bundle.pem" 2>&1 | grep -q "verify OK"
	first="$(crl_number)"

	# revoking again is fine and changes nothing; another revocation makes a CRL with a larger number
	run node n1 --no-csr --revoke "$web" --revoke "$db" --reason keyCompromise
	[ "$(echo "$output" | jq_py 'r["revoke"]["status"]')" = 200 ]
	crl
	revoked "$TMP/n1-db/tls.crt"
	[ $(($(crl_number))) -gt $((first)) ]
	run openssl crl -in "$TMP/crl.pem" -noout -text
	[[ "$output" == *"Key Compromise"* ]]
	[[ "$output" == *"Cessation Of Operation"* ]] # web's first reason stays

	# events: each revocation with its serial, node and reason; each CRL built
	grep '"action":"kbs.mtls.revoke"' "$TMP/events.jsonl" | grep '"verdict":"allow"' | grep "\"$web\"" |
		grep '"node":"n1"' | grep -q cessationOfOperation
	grep '"action":"kbs.mtls.revoke"' "$TMP/events.jsonl" | grep "\"$db\"" | grep -q keyCompromise
	[ "$(grep '"action":"kbs.mtls.crl"' "$TMP/events.jsonl" | grep -c '"verdict":"allow"')" -ge 2 ]
}

@test "kbs mtls revoke: another node cannot revoke a certificate, an unknown serial is 404, and then nothing is revoked" {
	web="$(issue n1 web)"
	db="$(issue n2 db)"
	# n2 asks for its own and n1's: refused whole, naming n1's
	run node n2 --no-csr --revoke "$db" --revoke "$web"
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["revoke"]["status"]')" = 403 ]
	[[ "$(echo "$output" | jq_py 'r["revoke"]["answer"]["type"]')" == */NotYourCertificate ]]
	[[ "$(echo "$output" | jq_py 'r["revoke"]["answer"]["detail"]')" == *"serial $web was issued to a pod of another node"* ]]
	run node n1 --no-csr --revoke "$web" --revoke 00ff
	[ "$(echo "$output" | jq_py 'r["revoke"]["status"]')" = 404 ]
	[[ "$(echo "$output" | jq_py 'r["revoke"]["answer"]["detail"]')" == *"no certificate with serial 00ff"* ]]
	crl
	valid "$TMP/n1-web/tls.crt"
	valid "$TMP/n2-db/tls.crt"
	# a malformed body, and no attested session at all
	run node n1 --no-csr --revoke not-hex
	[ "$(echo "$output" | jq_py 'r["revoke"]["status"]')" = 400 ]
	[[ "$(echo "$output" | jq_py 'r["revoke"]["answer"]["detail"]')" == *"serials[0]"* ]]
	run node n1 --no-attest --no-csr --revoke "$web" --crl "$TMP/x.pem"
	[ "$(echo "$output" | jq_py 'r["revoke"]["status"]')" = 401 ]
	[ "$(echo "$output" | jq_py 'r["crl"]["status"]')" = 401 ]
	grep '"action":"kbs.mtls.revoke"' "$TMP/events.jsonl" | grep '"verdict":"deny"' | grep -q "another node"
}

@test "kbs mtls revoke: an administrator revokes by serial and by node" {
	web="$(issue n1 web)"
	db="$(issue n1 db)"
	other="$(issue n2 web)"
	run kbs_admin POST default/mtls/revoke --data "{\"serial\": \"$web\", \"reason\": \"keyCompromise\"}"
	echo "$output"
	[ "$(echo "$output" | tail -1)" = 200 ]
	[ "$(echo "$output" | sed '$d' | jq_py 'r["revoked"]')" = "['$web']" ]
	run kbs_admin POST default/mtls/revoke --data '{"node": "n1"}'
	echo "$output"
	[ "$(echo "$output" | tail -1)" = 200 ]
	[ "$(echo "$output" | sed '$d' | jq_py 'r["revoked"]')" = "['$db']" ]
	crl
	revoked "$TMP/n1-web/tls.crt"
	revoked "$TMP/n1-db/tls.crt"
	valid "$TMP/n2-web/tls.crt"
	[[ "$(openssl crl -in "$TMP/crl.pem" -noout -text)" == *"Key Compromise"* ]]
	# refusals: an unknown serial, a body naming both, another tenant's administrator
	[ "$(kbs_admin POST default/mtls/revoke --data '{"serial": "00ff"}' | tail -1)" = 404 ]
	[ "$(kbs_admin POST default/mtls/revoke --data "{\"serial\": \"$other\", \"node\": \"n2\"}" | tail -1)" = 400 ]
	tenant_cert other
	[ "$(ADMIN_CERT="$TMP/other.crt" ADMIN_KEY="$TMP/other.key" kbs_admin POST default/mtls/revoke \
		--data "{\"serial\": \"$other\"}" | tail -1)" = 403 ]
	crl
	valid "$TMP/n2-web/tls.crt"
	grep '"action":"kbs.mtls.revoke"' "$TMP/events.jsonl" | grep '"verdict":"allow"' | grep -q "\"$db\""
}

@test "kbs mtls revoke: authentic evidence that fails replay or policy revokes the node's certificates; forged evidence revokes nothing" {
	web="$(issue n1 web)"
	other="$(issue n2 web)"
	# a forged quote naming n1: refused, and nothing revoked
	run node n1 --no-csr --tamper signature
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 401 ]
	crl
	valid "$TMP/n1-web/tls.crt"
	# n1's own quote with a log that does not replay: n1's certificates go, n2's stay
	run node n1 --no-csr --tamper log
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 401 ]
	[[ "$(echo "$output" | jq_py 'r["attest_problem"]["detail"]')" == *"does not replay"* ]]
	crl
	revoked "$TMP/n1-web/tls.crt"
	valid "$TMP/n2-web/tls.crt"
	[[ "$(openssl crl -in "$TMP/crl.pem" -noout -text)" == *"Privilege Withdrawn"* ]]
	grep '"action":"kbs.mtls.revoke"' "$TMP/events.jsonl" | grep "\"$web\"" | grep -q "does not replay"

	# a policy that judges one pod (cocoon-pod) and fails it revokes that pod's certificates only
	web2="$(issue n1 web)"
	db="$(issue n1 db)"
	printf 'rules:\n- {claim: tee, equals: tpm}\n- {claim: "pod.containers.*.profile", equals: confidential}\n' \
		>"$TMP/pod.yaml"
	[ "$(kbs_admin PUT default/policy --data-binary "@$TMP/pod.yaml" | tail -1)" = 204 ]
	run node n1 --no-csr --pod "$(uid_of web)" --crl "$TMP/crl.pem" --bundle "$TMP/bundle.pem"
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["ear"]["submods"]["tpm"]["ear.status"]')" = contraindicated ]
	# a contraindicated session still gets the CRL
	[ "$(echo "$output" | jq_py 'r["crl"]["status"]')" = 200 ]
	revoked "$TMP/n1-web/tls.crt"
	valid "$TMP/n1-db/tls.crt"
	# a session that names no pod (cocoond's, for the CRL) fails the pod rules, which say nothing of the node
	run node n1 --no-csr --crl "$TMP/crl.pem"
	[ "$(echo "$output" | jq_py 'r["ear"]["submods"]["tpm"]["ear.status"]')" = contraindicated ]
	valid "$TMP/n1-db/tls.crt"
	# nor do rules on the node's containers (some pod's image): no pod's certificate goes for it
	printf 'rules:\n- {claim: tee, equals: tpm}\n- {claim: "containers.*.image", oneOf: ["sha256:none"]}\n' \
		>"$TMP/containers.yaml"
	[ "$(kbs_admin PUT default/policy --data-binary "@$TMP/containers.yaml" | tail -1)" = 204 ]
	run node n1 --no-csr --crl "$TMP/crl.pem"
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["ear"]["submods"]["tpm"]["ear.status"]')" = contraindicated ]
	valid "$TMP/n1-db/tls.crt"
	# a policy the node's claims fail: all of the node's go
	printf 'rules:\n- {claim: tee, equals: snp}\n' >"$TMP/deny.yaml"
	[ "$(kbs_admin PUT default/policy --data-binary "@$TMP/deny.yaml" | tail -1)" = 204 ]
	run node n1 --no-csr
	[ "$(echo "$output" | jq_py 'r["ear"]["submods"]["tpm"]["ear.status"]')" = contraindicated ]
	crl n1 # (n2 would fail this policy as well)
	revoked "$TMP/n1-db/tls.crt"
	valid "$TMP/n2-web/tls.crt"
	grep '"action":"kbs.mtls.revoke"' "$TMP/events.jsonl" | grep "\"$db\"" | grep -q "do not meet the policy"
	[ -n "$web2" ]
}

@test "kbs mtls revoke: a node beyond its issuances per minute gets 429" {
	[ "$(kbs_admin PUT default/mtls --data '{"trustDomain": "acme.example", "issuancesPerMinute": 2}' | tail -1)" = 200 ]
	issue n1 web
	issue n1 db
	run node n1 --token-file "$TMP/web.token"
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["status"]')" = 429 ]
	[[ "$(echo "$output" | jq_py 'r["problem"]["type"]')" == */TooManyCertificates ]]
	[[ "$(echo "$output" | jq_py 'r["problem"]["detail"]')" == *"node \`n1\` of tenant \`default\` reached its limit of 2"* ]]
	# another node has its own count
	issue n2 web
	grep '"action":"kbs.mtls.issue"' "$TMP/events.jsonl" | grep '"verdict":"deny"' | grep -q "reached its limit"
}
