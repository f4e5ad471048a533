#!/usr/bin/env bats
# Rotation of a tenant's issuing CA at the key broker (docs/design/pod-mtls.md, "The issuer": "a
# rotation adds a second CA, and the bundle carries both for at least the longest leaf lifetime").
# The node is helpers/kbs_mtls_client.py with swtpm quotes of cocoon-runtime's records, as in
# kbs_mtls_issue.bats; the offline root, the checks of leaves, bundle and CRLs are the openssl CLI's.

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys
load helpers/kbs_mtls

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	mtls_node_setup
	start_kbs "$TMP" --events "$TMP/events.jsonl" --sa-issuer-key "$TMP/sa.pub"
	mtls_tenant_setup
	make_tenant_ca default
	token web >"$TMP/web.token"
	token db >"$TMP/db.token"
}

teardown() {
	stop_kbs
	stop_cocoond
	stop_swtpm
	rm -rf "$TMP"
}

# issue POD DIR [ARGS]: a certificate for POD into DIR (with the node's bundle and CRL fetched after);
# prints its serial.
issue() {
	local pod="$1" dir="$2"
	shift 2
	OUT="$dir" node --token-file "$TMP/$pod.token" --dns "$pod.default.svc" --bundle "$dir/bundle.pem" \
		--crl "$dir/crl.pem" "$@" >"$dir.json"
	[ "$(jq_py 'r["status"]' <"$dir.json")" = 201 ]
	jq_py 'r["answer"]["serial"]' <"$dir.json"
}

# fetch DIR: the tenant's bundle and CRL into DIR, as a node fetches them.
fetch() {
	mkdir -p "$1"
	node --no-csr --bundle "$1/bundle.pem" --crl "$1/crl.pem" >"$1.json"
	[ "$(jq_py 'r["bundle"]["status"]' <"$1.json")" = 200 ]
	[ "$(jq_py 'r["crl"]["status"]' <"$1.json")" = 200 ]
}

# verifies LEAF DIR: the leaf verifies to the offline root through DIR's bundle, checked against DIR's CRLs.
verifies() {
	openssl verify -CAfile "$TMP/root.pem" -untrusted "$2/bundle.pem" -crl_check -CRLfile "$2/crl.pem" \
		-purpose sslclient "$1"
}

fingerprint() {
	openssl x509 -in "$1" -noout -fingerprint -sha256
}

# cert_n FILE N: the N-th certificate (from 1) of a PEM file.
cert_n() {
	awk -v n="$2" '/BEGIN CERTIFICATE/ {i++} i == n' "$1"
}

# set_until EPOCH: an administrator's store edit (SQLite) that moves the previous CA's stay, as if
# the leaf lifetime had passed; the broker has no switch for it.
set_until() {
	"$SYSTEM_PYTHON" - "$TMP/state.db" "$1" <<-'PY'
		import json, sqlite3, sys
		db = sqlite3.connect(sys.argv[1])
		key = "kbs/default/mtls/ca-cert"
		(value,) = db.execute("select value from kv where key = ?", (key,)).fetchone()
		state = json.loads(value if isinstance(value, str) else value.decode())
		state["previous"]["until"] = int(sys.argv[2])
		db.execute("update kv set value = ? where key = ?", (json.dumps(state).encode(), key))
		db.commit()
	PY
}

@test "kbs mtls rotate: a second CA issues after its activation, the bundle and CRL carry both, the old one retires" {
	mkdir -p "$TMP/old" "$TMP/new"
	old_serial="$(issue web "$TMP/old")"
	cp "$TMP/old/tls.crt" "$TMP/old.crt"

	# the rotation starts: a CSR for a new key, with a name of its own; asked again, the same key
	run kbs_admin POST 'default/mtls/ca?rotate=true'
	echo "$output"
	[ "$(tail -1 <<<"$output")" = 201 ]
	sed '$d' <<<"$output" | jq_py 'r["csr"]' >"$TMP/ca2.csr"
	[ "$(sed '$d' <<<"$output" | jq_py 'r["generation"]')" = 2 ]
	run openssl req -in "$TMP/ca2.csr" -noout -text -verify
	[[ "$output" == *"verify OK"* ]]
	[[ "$output" == *"Subject: CN = cocoon mTLS CA of tenant default (2)"* ]]
	[ "$(openssl req -in "$TMP/ca2.csr" -noout -pubkey)" != "$(openssl x509 -in "$TMP/ca.pem" -noout -pubkey)" ]
	run kbs_admin POST 'default/mtls/ca?rotate=true'
	[ "$(tail -1 <<<"$output")" = 200 ]
	[ "$(sed '$d' <<<"$output" | jq_py 'r["csr"]' | openssl req -noout -pubkey)" = "$(openssl req -in "$TMP/ca2.csr" -noout -pubkey)" ]
	run kbs_admin GET default/mtls/ca
	[ "$(sed '$d' <<<"$output" | jq_py 'r["next"]["generation"]')" = 2 ]
	[ "$(sed '$d' <<<"$output" | jq_py '"previous" in r')" = False ]

	# until its certificate is activated, the current CA keeps issuing
	mkdir -p "$TMP/mid"
	issue db "$TMP/mid" >/dev/null
	[ "$(openssl x509 -in "$TMP/mid/tls.crt" -noout -issuer)" = "issuer=CN = cocoon mTLS CA of tenant default" ]

	# the root signs it; PUT activates it: the switch
	openssl x509 -req -in "$TMP/ca2.csr" -CA "$TMP/root.pem" -CAkey "$TMP/root.key" -CAcreateserial -days 7 \
		-extfile "$TMP/ext.cnf" -extensions issuing -out "$TMP/ca2.pem" 2>/dev/null
	[ "$(kbs_admin PUT default/mtls/ca --data-binary "@$TMP/ca2.pem" | tail -1)" = 204 ]
	grep '"action":"kbs.mtls.ca.rotate"' "$TMP/events.jsonl" | grep '"verdict":"allow"' | grep -q "generation 2"
	grep '"action":"kbs.mtls.ca.activate"' "$TMP/events.jsonl" | grep '"verdict":"allow"' | grep -q '"switched":true'
	run kbs_admin GET default/mtls/ca
	echo "$output"
	[ "$(sed '$d' <<<"$output" | jq_py 'r["generation"]')" = 2 ]
	[ "$(sed '$d' <<<"$output" | jq_py 'r["previous"]["generation"]')" = 1 ]
	sed '$d' <<<"$output" | jq_py 'r["previous"]["certificate"]' >"$TMP/prev.pem"
	[ "$(fingerprint "$TMP/prev.pem")" = "$(fingerprint "$TMP/ca.pem")" ]

	# a new leaf is the new CA's: it verifies through the bundle, not through the old CA alone
	new_serial="$(issue web "$TMP/new")"
	[ "$(openssl x509 -in "$TMP/new/tls.crt" -noout -issuer)" = "issuer=CN = cocoon mTLS CA of tenant default (2)" ]
	[ "$(fingerprint "$TMP/new/ca.pem")" = "$(fingerprint "$TMP/ca2.pem")" ]
	run openssl verify -CAfile "$TMP/root.pem" -untrusted "$TMP/ca.pem" "$TMP/new/tls.crt"
	[ "$status" -ne 0 ]
	# the bundle: both, newest first
	[ "$(grep -c 'BEGIN CERTIFICATE' "$TMP/new/bundle.pem")" = 2 ]
	[ "$(cert_n "$TMP/new/bundle.pem" 1 | fingerprint /dev/stdin)" = "$(fingerprint "$TMP/ca2.pem")" ]
	[ "$(cert_n "$TMP/new/bundle.pem" 2 | fingerprint /dev/stdin)" = "$(fingerprint "$TMP/ca.pem")" ]
	# one CRL per CA, and old and new leaves both verify with CRL checks against the bundle, as
	# peers with only the bundle do (-partial_chain) and against the offline root
	[ "$(grep -c 'BEGIN X509 CRL' "$TMP/new/crl.pem")" = 2 ]
	for leaf in "$TMP/old.crt" "$TMP/mid/tls.crt" "$TMP/new/tls.crt"; do
		run verifies "$leaf" "$TMP/new"
		echo "$output"
		[[ "$output" == *": OK" ]]
		run openssl verify -partial_chain -CAfile "$TMP/new/bundle.pem" -crl_check -CRLfile "$TMP/new/crl.pem" "$leaf"
		[[ "$output" == *": OK" ]]
	done

	# no second rotation while the previous CA stays
	run kbs_admin POST 'default/mtls/ca?rotate=true'
	echo "$output"
	[ "$(tail -1 <<<"$output")" = 409 ]
	[[ "$output" == *"stays in the bundle until"* ]]

	# a revocation of the old CA's leaf is in the old CA's CRL: openssl refuses it, passes the others
	[ "$(kbs_admin POST default/mtls/revoke --data "{\"serial\": \"$old_serial\"}" | tail -1)" = 200 ]
	fetch "$TMP/after"
	run verifies "$TMP/old.crt" "$TMP/after"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"certificate revoked"* ]]
	run verifies "$TMP/new/tls.crt" "$TMP/after"
	[[ "$output" == *": OK" ]]

	# past its stay (a store edit: the lifetime is 3600 s), the old CA still stays while db's
	# certificate from it is valid and unrevoked
	set_until "$(($(date +%s) - 10))"
	[ "$(kbs_admin POST default/mtls/revoke --data "{\"serial\": \"$new_serial\"}" | tail -1)" = 200 ]
	fetch "$TMP/stay"
	[ "$(grep -c 'BEGIN CERTIFICATE' "$TMP/stay/bundle.pem")" = 2 ]
	[ "$(grep -c 'BEGIN X509 CRL' "$TMP/stay/crl.pem")" = 2 ]
	run verifies "$TMP/mid/tls.crt" "$TMP/stay"
	[[ "$output" == *": OK" ]]
	# once that one is revoked too, the next CRL retires it: out of the bundle, its key deleted
	mid_serial="$(jq_py 'r["answer"]["serial"]' <"$TMP/mid.json")"
	[ "$(kbs_admin POST default/mtls/revoke --data "{\"serial\": \"$mid_serial\"}" | tail -1)" = 200 ]
	fetch "$TMP/retired"
	[ "$(grep -c 'BEGIN CERTIFICATE' "$TMP/retired/bundle.pem")" = 1 ]
	[ "$(fingerprint "$TMP/retired/bundle.pem")" = "$(fingerprint "$TMP/ca2.pem")" ]
	[ "$(grep -c 'BEGIN X509 CRL' "$TMP/retired/crl.pem")" = 1 ]
	run openssl crl -in "$TMP/retired/crl.pem" -noout -issuer
	[[ "$output" == *"cocoon mTLS CA of tenant default (2)"* ]]
	grep '"action":"kbs.mtls.ca.retire"' "$TMP/events.jsonl" | grep -q "generation 1"
	run kbs_admin GET default/mtls/ca
	[ "$(sed '$d' <<<"$output" | jq_py '"previous" in r')" = False ]
	"$SYSTEM_PYTHON" - "$TMP/state.db" <<-'PY'
		import sqlite3, sys
		db = sqlite3.connect(sys.argv[1])
		assert db.execute("select count(*) from kv where key = 'kbs/default/mtls/ca'").fetchone()[0] == 0
		assert db.execute("select count(*) from kv where key = 'kbs/default/mtls/ca-2'").fetchone()[0] == 1
	PY
	run verifies "$TMP/old.crt" "$TMP/retired"
	[ "$status" -ne 0 ]
	# and the next rotation may start, with a third key
	run kbs_admin POST 'default/mtls/ca?rotate=true'
	[ "$(tail -1 <<<"$output")" = 201 ]
	[ "$(sed '$d' <<<"$output" | jq_py 'r["generation"]')" = 3 ]
}

@test "kbs mtls rotate: nothing to rotate before a CA is active; a bad rotate value and a foreign certificate are refused" {
	run kbs_admin POST 'other/mtls/ca?rotate=true'
	echo "$output"
	[ "$(tail -1 <<<"$output")" = 409 ]
	[[ "$output" == *"no active mTLS CA to rotate"* ]]
	run kbs_admin POST 'default/mtls/ca?rotate=yes'
	[ "$(tail -1 <<<"$output")" = 400 ]
	grep '"action":"kbs.mtls.ca.rotate"' "$TMP/events.jsonl" | grep '"verdict":"deny"' | grep -q "no active mTLS CA"
	# during a rotation, a certificate for neither key is refused and changes nothing
	[ "$(kbs_admin POST 'default/mtls/ca?rotate=true' | tail -1)" = 201 ]
	run kbs_admin PUT default/mtls/ca --data-binary "@$TMP/root.pem"
	echo "$output"
	[ "$(tail -1 <<<"$output")" = 400 ]
	[[ "$output" == *"for another key"* ]]
	run kbs_admin GET default/mtls/ca
	[ "$(sed '$d' <<<"$output" | jq_py 'r["generation"]')" = 1 ]
	[ "$(sed '$d' <<<"$output" | jq_py 'r["next"]["generation"]')" = 2 ]
}
