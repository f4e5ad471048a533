#!/usr/bin/env bats
# The key broker's mTLS issuing CA per tenant (docs/design/pod-mtls.md, "The issuer"; build step 2):
# the configuration, the CA key made and sealed in the broker, its CSR out and the certificate of a
# root made with the openssl CLI in, through the admin API.

load helpers/common
load helpers/keys

setup() {
	TMP="$(mktemp -d)"
	start_kbs "$TMP" --events "$TMP/events.jsonl"
	make_offline_root
}

teardown() {
	stop_kbs
	rm -rf "$TMP"
}

# body_of OUTPUT: kbs_admin's output without its last line (the status).
body_of() {
	sed '$d' <<<"$1"
}

status_of() {
	tail -1 <<<"$1"
}

@test "kbs mtls: the configuration is checked, gets its defaults, and is read back" {
	run kbs_admin GET acme/mtls
	[ "$(status_of "$output")" = 404 ]
	[[ "$output" == *"no mTLS configuration, so nothing is issued"* ]]
	run kbs_admin PUT acme/mtls --data '{"trustDomain": "acme.example"}'
	echo "$output"
	[ "$(status_of "$output")" = 200 ]
	run kbs_admin GET acme/mtls
	[ "$(body_of "$output")" = '{"clusterDomain":"cluster.local","enabled":true,"lifetime":3600,"trustDomain":"acme.example"}' ]
	for bad in '{"trustDomain": "Acme"}' '{"trustDomain": "acme.example", "lifetime": 60}' \
		'{"trustDomain": "acme.example", "ttl": 600}' '{"clusterDomain": "cluster.local"}' \
		'{"trustDomain": "acme.example", "clusterDomain": "*.local"}' 'not json'; do
		run kbs_admin PUT acme/mtls --data "$bad"
		echo "$bad: $output"
		[ "$(status_of "$output")" = 400 ]
	done
	# The stored configuration is unchanged by the refusals.
	run kbs_admin GET acme/mtls
	[[ "$output" == *'"lifetime":3600'* ]]
	# Each change is a kbs.mtls.config event naming who and what, the refusals with their reason.
	grep '"action":"kbs.mtls.config"' "$TMP/events.jsonl" | grep '"verdict":"allow"' |
		grep '"actor":"admin"' | grep -q 'trustDomain'
	[ "$(grep '"action":"kbs.mtls.config"' "$TMP/events.jsonl" | grep -c '"verdict":"deny"')" = 6 ]
	grep '"action":"kbs.mtls.config"' "$TMP/events.jsonl" | grep -q 'unknown mTLS field'
}

@test "kbs mtls: the CA key is made and sealed in the broker, its CSR goes out, the root's certificate comes in" {
	run kbs_admin POST acme/mtls/ca
	echo "$output"
	[ "$(status_of "$output")" = 201 ]
	body_of "$output" | jq_py 'r["csr"]' >"$TMP/ca.csr"
	run openssl req -in "$TMP/ca.csr" -noout -text -verify
	[[ "$output" == *"verify OK"* ]]
	[[ "$output" == *"Subject: CN = cocoon mTLS CA of tenant acme"* ]]
	[[ "$output" == *"CA:TRUE"* ]]
	[[ "$output" == *"NIST CURVE: P-256"* ]]
	# Asking again answers for the same key (another CSR, same public key), not a new one.
	run kbs_admin POST acme/mtls/ca
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq_py 'r["csr"]' >"$TMP/again.csr"
	[ "$(openssl req -in "$TMP/ca.csr" -noout -pubkey)" = "$(openssl req -in "$TMP/again.csr" -noout -pubkey)" ]

	# Nothing active until the root's certificate is given.
	run kbs_admin GET acme/mtls/ca
	[ "$(status_of "$output")" = 404 ]
	openssl x509 -req -in "$TMP/ca.csr" -CA "$TMP/root.pem" -CAkey "$TMP/root.key" -CAcreateserial -days 7 \
		-extfile "$TMP/ext.cnf" -extensions issuing -out "$TMP/ca.pem" 2>/dev/null
	run kbs_admin PUT acme/mtls/ca --data-binary "@$TMP/ca.pem"
	echo "$output"
	[ "$(status_of "$output")" = 204 ]
	run kbs_admin GET acme/mtls/ca
	[ "$(status_of "$output")" = 200 ]
	body_of "$output" | jq_py 'r["certificate"]' >"$TMP/active.pem"
	[ "$(openssl x509 -in "$TMP/active.pem" -noout -fingerprint)" = "$(openssl x509 -in "$TMP/ca.pem" -noout -fingerprint)" ]
	run openssl verify -CAfile "$TMP/root.pem" "$TMP/active.pem"
	[[ "$output" == *": OK" ]]
	# One creation event (the second POST made nothing), one activation naming the serial.
	[ "$(grep -c '"action":"kbs.mtls.ca.create"' "$TMP/events.jsonl")" = 1 ]
	serial="$(openssl x509 -in "$TMP/ca.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')"
	grep '"action":"kbs.mtls.ca.activate"' "$TMP/events.jsonl" | grep '"verdict":"allow"' | grep -q "serial 0*$serial"

	# No clear key in the store: the sealed value is not a key, and the store holds no PEM key.
	"$SYSTEM_PYTHON" - "$TMP/state.db" "$TMP/sealed.bin" <<-'PY'
		import sqlite3, sys
		db = sqlite3.connect(sys.argv[1])
		names = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
		for table in names:
		    cols = [c[1] for c in db.execute(f"pragma table_info({table})")]
		    if "key" in cols and "value" in cols:
		        row = db.execute(f"select value from {table} where key = 'kbs/acme/mtls/ca'").fetchone()
		        if row:
		            open(sys.argv[2], "wb").write(row[0] if isinstance(row[0], bytes) else row[0].encode("latin-1"))
	PY
	[ -s "$TMP/sealed.bin" ]
	run openssl pkey -inform DER -in "$TMP/sealed.bin" -noout
	[ "$status" -ne 0 ]
	run grep -c "PRIVATE KEY" "$TMP/state.db"
	[ "$output" = 0 ]
}

@test "kbs mtls: certificates that do not fit the CA key are refused with the reason" {
	run kbs_admin PUT acme/mtls/ca --data-binary "@$TMP/root.pem"
	[ "$(status_of "$output")" = 404 ]
	[[ "$output" == *"has no mTLS issuing CA; POST mtls/ca makes one"* ]]
	run kbs_admin POST acme/mtls/ca
	[ "$(status_of "$output")" = 201 ]
	# A certificate for another key (the root itself).
	run kbs_admin PUT acme/mtls/ca --data-binary "@$TMP/root.pem"
	echo "$output"
	[ "$(status_of "$output")" = 400 ]
	[[ "$output" == *"for another key"* ]]
	# The CA's key, but signed as a leaf.
	run kbs_admin POST acme/mtls/ca
	body_of "$output" | jq_py 'r["csr"]' >"$TMP/ca.csr"
	printf '[leaf]\nbasicConstraints = critical,CA:FALSE\n' >"$TMP/leaf.cnf"
	openssl x509 -req -in "$TMP/ca.csr" -CA "$TMP/root.pem" -CAkey "$TMP/root.key" -CAcreateserial -days 7 \
		-extfile "$TMP/leaf.cnf" -extensions leaf -out "$TMP/leaf.pem" 2>/dev/null
	run kbs_admin PUT acme/mtls/ca --data-binary "@$TMP/leaf.pem"
	echo "$output"
	[ "$(status_of "$output")" = 400 ]
	[[ "$output" == *"not a CA"* ]]
	run kbs_admin PUT acme/mtls/ca --data 'not a certificate'
	[ "$(status_of "$output")" = 400 ]
	# Confusing CAs: the broker's --client-ca (the node CA of cocoond's and the admin API's client
	# certificates) may not sign a tenant's mTLS CA.
	openssl x509 -req -in "$TMP/ca.csr" -CA "$TMP/pki/ca.crt" -CAkey "$TMP/pki/ca.key" -CAcreateserial -days 7 \
		-extfile "$TMP/ext.cnf" -extensions issuing -out "$TMP/by-client-ca.pem" 2>/dev/null
	run kbs_admin PUT acme/mtls/ca --data-binary "@$TMP/by-client-ca.pem"
	echo "$output"
	[ "$(status_of "$output")" = 400 ]
	[[ "$output" == *"signed by the broker's --client-ca"* ]]
	run kbs_admin GET acme/mtls/ca
	[ "$(status_of "$output")" = 404 ]
	[ "$(grep '"action":"kbs.mtls.ca.activate"' "$TMP/events.jsonl" | grep -c '"verdict":"deny"')" -ge 4 ]
	# Another tenant's administrator may not make or read this tenant's CA.
	tenant_cert other
	ADMIN_CERT="$TMP/other.crt" ADMIN_KEY="$TMP/other.key" run kbs_admin POST acme/mtls/ca
	echo "$output"
	[ "$(status_of "$output")" = 403 ]
}
