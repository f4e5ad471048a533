#!/usr/bin/env bats
# Two key brokers on one 3-member etcd cluster share a tenant's pod-certificate issuer
# (docs/design/pod-mtls.md, "The issuer": "several brokers on one etcd share the sealed key and the
# records"; build step 2): the CA made through one and activated through the other, both issuing, a
# revocation through one in the CRL the other serves with a cRLNumber that never goes down, and a
# rotation started on one and activated on the other. Real peers: etcd-server, swtpm and tpm2-tools,
# cocoond for the pods' tokens, helpers/kbs_mtls_client.py as the node, the openssl CLI.

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys
load helpers/kbs_mtls

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	command -v etcd >/dev/null || skip "etcd-server is not installed"
	mtls_node_setup
	start_etcd_cluster "$TMP"
	export STORE="etcd:$ETCD_URLS"
	# both with the same root key, token key and TLS identity, as replicas of one Deployment
	start_kbs "$TMP" --events "$TMP/events-a.jsonl" --sa-issuer-key "$TMP/sa.pub"
	A_URL="$KBS_URL" A_PID="$KBS_PID"
	start_kbs "$TMP" --events "$TMP/events-b.jsonl" --sa-issuer-key "$TMP/sa.pub"
	B_URL="$KBS_URL" B_PID="$KBS_PID"
	KBS_URL="$A_URL"
	mtls_tenant_setup
	token web >"$TMP/web.token"
	token db >"$TMP/db.token"
	make_offline_root # after both brokers read their root key: this overwrites $TMP/root.key
}

teardown() {
	KBS_PID="${A_PID:-}" stop_kbs
	KBS_PID="${B_PID:-}" stop_kbs
	stop_etcd_cluster
	stop_cocoond
	stop_swtpm
	rm -rf "$TMP"
}

# on A|B COMMAND...: the command against broker A or B.
on() {
	local url="$A_URL"
	[ "$1" = B ] && url="$B_URL"
	shift
	KBS_URL="$url" "$@"
}

# signed CSR OUT: the offline root's certificate for a CSR of the broker's.
signed() {
	openssl x509 -req -in "$1" -CA "$TMP/root.pem" -CAkey "$TMP/root.key" -CAcreateserial -days 7 \
		-extfile "$TMP/ext.cnf" -extensions issuing -out "$2" 2>/dev/null
}

# issue A|B POD DIR: a certificate for POD from that broker into DIR; prints its serial.
issue() {
	OUT="$3" on "$1" node --token-file "$TMP/$2.token" --dns "$2.default.svc" >"$3.json"
	[ "$(jq_py 'r["status"]' <"$3.json")" = 201 ]
	jq_py 'r["answer"]["serial"]' <"$3.json"
}

# fetch A|B DIR [ARGS]: the tenant's bundle and CRL as that broker serves them to the node, into DIR.
fetch() {
	local broker="$1" dir="$2"
	shift 2
	mkdir -p "$dir"
	on "$broker" node --no-csr --bundle "$dir/bundle.pem" --crl "$dir/crl.pem" "$@" >"$dir.json"
	[ "$(jq_py 'r["crl"]["status"]' <"$dir.json")" = 200 ]
}

# crl_number FILE: the cRLNumber of the (first) CRL in FILE, in decimal.
crl_number() {
	printf '%d\n' "$(openssl crl -in "$1" -noout -crlnumber | cut -d= -f2)"
}

verifies() {
	openssl verify -CAfile "$TMP/root.pem" -untrusted "$2/bundle.pem" -crl_check -CRLfile "$2/crl.pem" "$1"
}

fingerprint() {
	openssl x509 -in "$1" -noout -fingerprint -sha256
}

# activate_first: the CA key made through broker A, its certificate activated through broker B.
activate_first() {
	run on A kbs_admin POST default/mtls/ca
	[ "$(tail -1 <<<"$output")" = 201 ]
	sed '$d' <<<"$output" | jq_py 'r["csr"]' >"$TMP/ca.csr"
	# B answers for the same key: the store holds one, made once
	[ "$(on B kbs_admin POST default/mtls/ca | sed '$d' | jq_py 'r["csr"]' | openssl req -noout -pubkey)" = \
		"$(openssl req -in "$TMP/ca.csr" -noout -pubkey)" ]
	signed "$TMP/ca.csr" "$TMP/ca.pem"
	[ "$(on B kbs_admin PUT default/mtls/ca --data-binary "@$TMP/ca.pem" | tail -1)" = 204 ]
}

@test "kbs mtls etcd: a CA made on one broker and activated on the other; both issue; revocations cross, the cRLNumber never goes down" {
	activate_first
	grep -q '"action":"kbs.mtls.ca.create"' "$TMP/events-a.jsonl"
	grep '"action":"kbs.mtls.ca.activate"' "$TMP/events-b.jsonl" | grep -q '"verdict":"allow"'
	run on A kbs_admin GET default/mtls/ca
	sed '$d' <<<"$output" | jq_py 'r["certificate"]' >"$TMP/active.pem"
	[ "$(fingerprint "$TMP/active.pem")" = "$(fingerprint "$TMP/ca.pem")" ]

	# both issue from the one sealed key, and both leaves verify to the offline root
	web="$(issue A web "$TMP/web")"
	db="$(issue B db "$TMP/db")"
	for leaf in web db; do
		run openssl verify -CAfile "$TMP/root.pem" -untrusted "$TMP/ca.pem" "$TMP/$leaf/tls.crt"
		[[ "$output" == *": OK" ]]
		[ "$(fingerprint "$TMP/$leaf/ca.pem")" = "$(fingerprint "$TMP/ca.pem")" ]
	done
	# both records are in etcd, none of them clear keys
	run etcdctl --endpoints "$ETCD_URLS" get --prefix --keys-only kbs/default/mtls/issued/
	[[ "$output" == *"$web"* && "$output" == *"$db"* ]]
	run etcdctl --endpoints "$ETCD_URLS" get --prefix kbs/default/mtls/
	[[ "$output" != *"PRIVATE KEY"* ]]

	# the CRL from B before any revocation, then the node revokes web through A: B's next CRL lists it
	fetch B "$TMP/c0"
	n0="$(crl_number "$TMP/c0/crl.pem")"
	run verifies "$TMP/web/tls.crt" "$TMP/c0"
	[[ "$output" == *": OK" ]]
	run on A node --no-csr --revoke "$web"
	[ "$(jq_py 'r["revoke"]["status"]' <<<"$output")" = 200 ]
	fetch B "$TMP/c1"
	n1="$(crl_number "$TMP/c1/crl.pem")"
	run verifies "$TMP/web/tls.crt" "$TMP/c1"
	echo "$output"
	[[ "$output" == *"certificate revoked"* ]]
	run verifies "$TMP/db/tls.crt" "$TMP/c1"
	[[ "$output" == *": OK" ]]
	[ "$n1" -gt "$n0" ]
	# A serves the same or a later CRL, never an earlier number
	fetch A "$TMP/c2"
	n2="$(crl_number "$TMP/c2/crl.pem")"
	[ "$n2" -ge "$n1" ]
	# an administrator revokes db through B: A's next CRL lists both, with a higher number
	[ "$(on B kbs_admin POST default/mtls/revoke --data "{\"serial\": \"$db\"}" | tail -1)" = 200 ]
	fetch A "$TMP/c3"
	n3="$(crl_number "$TMP/c3/crl.pem")"
	[ "$n3" -gt "$n2" ]
	for leaf in web db; do
		run verifies "$TMP/$leaf/tls.crt" "$TMP/c3"
		[[ "$output" == *"certificate revoked"* ]]
	done
	fetch B "$TMP/c4"
	[ "$(crl_number "$TMP/c4/crl.pem")" -ge "$n3" ]
}

@test "kbs mtls etcd: a rotation started on one broker and activated on the other gives a bundle of both from each" {
	activate_first
	web="$(issue A web "$TMP/old")"
	run on A kbs_admin POST 'default/mtls/ca?rotate=true'
	echo "$output"
	[ "$(tail -1 <<<"$output")" = 201 ]
	sed '$d' <<<"$output" | jq_py 'r["csr"]' >"$TMP/ca2.csr"
	# B continues the rotation A started: the same next key, nothing made
	run on B kbs_admin POST 'default/mtls/ca?rotate=true'
	[ "$(tail -1 <<<"$output")" = 200 ]
	[ "$(sed '$d' <<<"$output" | jq_py 'r["csr"]' | openssl req -noout -pubkey)" = "$(openssl req -in "$TMP/ca2.csr" -noout -pubkey)" ]
	grep '"action":"kbs.mtls.ca.rotate"' "$TMP/events-a.jsonl" | grep -q '"verdict":"allow"'
	! grep -q '"action":"kbs.mtls.ca.rotate"' "$TMP/events-b.jsonl" || false
	signed "$TMP/ca2.csr" "$TMP/ca2.pem"
	[ "$(on B kbs_admin PUT default/mtls/ca --data-binary "@$TMP/ca2.pem" | tail -1)" = 204 ]
	grep '"action":"kbs.mtls.ca.activate"' "$TMP/events-b.jsonl" | grep -q '"switched":true'

	# each broker serves both CAs, the new one first, and one CRL per CA
	for broker in A B; do
		fetch "$broker" "$TMP/$broker"
		[ "$(grep -c 'BEGIN CERTIFICATE' "$TMP/$broker/bundle.pem")" = 2 ]
		[ "$(awk '/BEGIN CERTIFICATE/ {i++} i == 1' "$TMP/$broker/bundle.pem" | fingerprint /dev/stdin)" = "$(fingerprint "$TMP/ca2.pem")" ]
		[ "$(awk '/BEGIN CERTIFICATE/ {i++} i == 2' "$TMP/$broker/bundle.pem" | fingerprint /dev/stdin)" = "$(fingerprint "$TMP/ca.pem")" ]
		[ "$(grep -c 'BEGIN X509 CRL' "$TMP/$broker/crl.pem")" = 2 ]
	done
	# both issue from the new CA now; the old leaf still verifies with either broker's bundle
	issue A db "$TMP/new-a" >/dev/null
	issue B web "$TMP/new-b" >/dev/null
	for dir in new-a new-b; do
		[ "$(fingerprint "$TMP/$dir/ca.pem")" = "$(fingerprint "$TMP/ca2.pem")" ]
		run verifies "$TMP/$dir/tls.crt" "$TMP/A"
		[[ "$output" == *": OK" ]]
	done
	for broker in A B; do
		run verifies "$TMP/old/tls.crt" "$TMP/$broker"
		[[ "$output" == *": OK" ]]
	done
	run on B kbs_admin GET default/mtls/ca
	[ "$(sed '$d' <<<"$output" | jq_py 'r["previous"]["generation"]')" = 1 ]
	[ "$(sed '$d' <<<"$output" | jq_py 'r["generation"]')" = 2 ]
}
