#!/usr/bin/env bats
# Pod certificates from the key broker (docs/design/pod-mtls.md, "Issuance: who proves what"; build
# step 3). Real peers: cocoond (the pods, and their service account tokens through kubectl create
# token, signed with its service account key), a software TPM (swtpm + tpm2-tools) quoting the
# containers cocoon-runtime measured under the pods' uids, the key broker, a node written in Python
# (helpers/kbs_mtls_client.py: the CSR, cocoon-csr, the quote), and the openssl CLI, which makes the
# tenant's root and checks what was issued.

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys
load helpers/kbs_mtls

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
ATTESTATION_OID=2.25.315685752688738476782982348621596042586

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	mtls_node_setup
	start_kbs "$TMP" --events "$TMP/events.jsonl" --sa-issuer-key "$TMP/sa.pub"
	mtls_tenant_setup
	make_tenant_ca default
	token web >"$TMP/web.token"
}

teardown() {
	stop_kbs
	stop_cocoond
	stop_swtpm
	rm -rf "$TMP"
}

# refused STATUS KIND TEXT ARGS: the node's request is refused with that problem.
refused() {
	local want="$1" kind="$2" text="$3" # not `status`: run sets that
	shift 3
	run node "$@"
	echo "$output"
	[ "$(echo "$output" | jq_py 'r.get("status")')" = "$want" ]
	[[ "$(echo "$output" | jq_py 'r["problem"]["type"]')" == *"/$kind" ]]
	[[ "$(echo "$output" | jq_py 'r["problem"]["detail"]')" == *"$text"* ]]
}

@test "kbs mtls issue: an attested pod gets a certificate the openssl CLI verifies against the tenant's root" {
	web="$(uid_of web)"
	run node --token-file "$TMP/web.token" --pod "$web" --dns web.default.svc --dns web.default.svc.cluster.local
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["status"]')" = 201 ]
	result="$output"
	jti="$(echo "$result" | jq_py 'r["ear"]["jti"]')"
	[ -n "$jti" ]
	serial="$(echo "$result" | jq_py 'r["answer"]["serial"]')"

	run openssl x509 -in "$TMP/out/tls.crt" -noout -text
	echo "$output"
	[[ "$output" == *"Subject: CN = default/web"* ]]
	[[ "$output" == *"URI:spiffe://acme.example/ns/default/sa/app/pod/$web"* ]]
	[[ "$output" == *"DNS:web.default.svc, DNS:web.default.svc.cluster.local"* ]]
	[[ "$output" == *"TLS Web Server Authentication, TLS Web Client Authentication"* ]]
	[[ "$output" == *"CA:FALSE"* ]]
	[[ "$output" == *"$ATTESTATION_OID: "$'\n'* ]]
	[[ "$output" == *"ASN1 OID: prime256v1"* ]]
	# the certificate is for the pod's own key
	[ "$(openssl x509 -in "$TMP/out/tls.crt" -noout -pubkey)" = "$(openssl pkey -in "$TMP/out/tls.key" -pubout)" ]
	# one hour, from the tenant's configuration
	start="$(date -d "$(openssl x509 -in "$TMP/out/tls.crt" -noout -startdate | cut -d= -f2)" +%s)"
	end="$(date -d "$(openssl x509 -in "$TMP/out/tls.crt" -noout -enddate | cut -d= -f2)" +%s)"
	[ $((end - start)) = $((3600 + 60)) ]
	# the chain verifies to the offline root, name constraints included, for both TLS ends
	for purpose in sslclient sslserver; do
		run openssl verify -CAfile "$TMP/root.pem" -untrusted "$TMP/out/ca.pem" -purpose "$purpose" "$TMP/out/tls.crt"
		echo "$output"
		[[ "$output" == *": OK" ]]
	done
	[ "$(openssl x509 -in "$TMP/out/tls.crt" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')" = "$(echo "$serial" | tr 'A-F' 'a-f')" ]

	# the attestation extension, read by openssl asn1parse: tenant, node, tee, the EAR's jti, the
	# evidence's digest and the pod's container with the log's measurement and seq
	run openssl asn1parse -in "$TMP/out/tls.crt"
	line="$(grep -n ":$ATTESTATION_OID\$" <<<"$output" | cut -d: -f1)"
	value="$(sed -n "$((line + 1))p" <<<"$output")"
	[[ "$value" == *"prim: OCTET STRING"* ]] # no BOOLEAN between: non-critical
	run openssl asn1parse -in "$TMP/out/tls.crt" -strparse "$(echo "$value" | sed 's/^ *\([0-9]*\):.*/\1/')"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"UTF8STRING        :default"* ]]
	[[ "$output" == *"UTF8STRING        :n1"* ]]
	[[ "$output" == *"UTF8STRING        :tpm"* ]]
	[[ "$output" == *"UTF8STRING        :$jti"* ]]
	[[ "$output" == *"UTF8STRING        :$web-app-0"* ]]
	[[ "$output" == *"GENERALIZEDTIME"* ]]
	digest="$(echo "$result" | jq_py 'r["evidence_digest"]')"
	[[ "$output" == *"[HEX DUMP]:${digest^^}"* ]]
	record="$(grep "\"$web-app-0\"" "$RT_ROOT/measurements.jsonl")"
	measurement="$(echo "$record" | jq_py 'r["measurement"][7:]')"
	[[ "$output" == *"[HEX DUMP]:${measurement^^}"* ]]
	seq="$(echo "$record" | jq_py 'r["seq"]')"
	[ "$seq" = 0 ]

	# the record of the issuance and the EAR it rests on are in the store
	"$SYSTEM_PYTHON" - "$TMP/state.db" "$serial" "$jti" "$web" <<-'PY'
		import json, sqlite3, sys
		db, serial, jti, uid = sys.argv[1:]
		con = sqlite3.connect(db)
		tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
		def get(key):
		    for t in tables:
		        cols = [c[1] for c in con.execute(f"pragma table_info({t})")]
		        if "key" in cols and "value" in cols:
		            row = con.execute(f"select value from {t} where key = ?", (key,)).fetchone()
		            if row:
		                return row[0] if isinstance(row[0], str) else row[0].decode()
		rec = json.loads(get(f"kbs/default/mtls/issued/{serial}"))
		assert rec["uid"] == uid and rec["namespace"] == "default" and rec["pod"] == "web", rec
		assert rec["node"] == "n1" and rec["jti"] == jti and rec["serviceAccount"] == "app", rec
		assert get(f"kbs/default/mtls/ear/{jti}").count(".") == 2
	PY

	# the decision is an event naming the pod, the serial and the EAR, never the token or a key
	grep '"action":"kbs.mtls.issue"' "$TMP/events.jsonl" | grep '"verdict":"allow"' | grep "$serial" |
		grep "$jti" | grep -q "spiffe://acme.example/ns/default/sa/app/pod/$web"
	! grep -qF "$(cat "$TMP/web.token")" "$TMP/events.jsonl" "$TMP/kbs.log" || false
	! grep -q "PRIVATE KEY" "$TMP/events.jsonl" "$TMP/kbs.log" "$TMP/state.db"
}

@test "kbs mtls issue: a CSR the quote does not bind, and a session without cocoon-csr, get nothing" {
	refused 403 CsrNotBound "is not among those this session's quote binds" --token-file "$TMP/web.token" --bind other
	refused 403 CsrNotBound "bound no CSR keys" --token-file "$TMP/web.token" --bind none
	refused 401 UnAuthenticated "attest first" --token-file "$TMP/web.token" --no-attest
	[ "$(grep '"action":"kbs.mtls.issue"' "$TMP/events.jsonl" | grep -c '"verdict":"deny"')" = 3 ]
}

@test "kbs mtls issue: another pod's or namespace's token, a pod absent from the log, a foreign DNS name are refused" {
	web="$(uid_of web)"
	# the session named pod web, whose containers the policy judged: db's token is not taken
	token db >"$TMP/db.token"
	refused 403 PodMismatch "named pod \`$web\`" --token-file "$TMP/db.token" --pod "$web"
	# without a named pod, db's token is fine: its container is in the log
	run node --token-file "$TMP/db.token" --dns db.default.svc
	[ "$(echo "$output" | jq_py 'r["status"]')" = 201 ]
	# a pod the node never ran
	token ghost >"$TMP/ghost.token"
	refused 403 PodNotAttested "no container of pod \`$(uid_of ghost)\` is in the node's replayed measurement log" \
		--token-file "$TMP/ghost.token"
	# another namespace's pod may not take default's names; its own are fine
	token cart shop >"$TMP/cart.token"
	refused 403 ForeignName "is not a name of namespace \`shop\`" --token-file "$TMP/cart.token" --dns web.default.svc
	run node --token-file "$TMP/cart.token" --dns cart.shop.svc.cluster.local
	[ "$(echo "$output" | jq_py 'r["status"]')" = 201 ]
	[[ "$(openssl x509 -in "$TMP/out/tls.crt" -noout -ext subjectAltName)" == *"spiffe://acme.example/ns/shop/sa/app/pod/"* ]]
	refused 403 ForeignName "is not a name of namespace \`default\`" --token-file "$TMP/web.token" --dns evil.example.com
	refused 400 InvalidRequest "dnsNames[0]" --token-file "$TMP/web.token" --dns '*.default.svc'
	# a token for another tenant's audience, one bound to no pod, and one not from the platform
	token web default cocoon-kbs:other >"$TMP/other.token"
	refused 403 TokenRejected "audience must include \`cocoon-kbs:default\`" --token-file "$TMP/other.token"
	"$KUBECTL" create token app --audience cocoon-kbs:default >"$TMP/unbound.token"
	refused 403 TokenRejected "bound to no pod" --token-file "$TMP/unbound.token"
	"$SYSTEM_PYTHON" -c 'import sys; h, c, s = open(sys.argv[1]).read().strip().split("."); print(h + "." + c + "." + s[:-4] + "AAAA")' \
		"$TMP/web.token" >"$TMP/forged.token"
	refused 403 TokenRejected "signature does not verify" --token-file "$TMP/forged.token"
	# each refusal is an event with its reason, never the token
	grep '"action":"kbs.mtls.issue"' "$TMP/events.jsonl" | grep '"verdict":"deny"' | grep -q 'not a name of namespace'
	! grep -qF "$(cat "$TMP/db.token")" "$TMP/events.jsonl" "$TMP/kbs.log"
}

@test "kbs mtls issue: a contraindicated session and a tenant without mTLS configuration get nothing" {
	printf 'rules:\n- {claim: tee, equals: snp}\n' >"$TMP/deny.yaml"
	[ "$(kbs_admin PUT default/policy --data-binary "@$TMP/deny.yaml" | tail -1)" = 204 ]
	refused 403 PolicyDeny "did not meet tenant \`default\`'s policy" --token-file "$TMP/web.token"
	kbs_admin PUT default/policy --data-binary "@$TMP/policy.yaml" >/dev/null
	# disabled, then a tenant with none
	kbs_admin PUT default/mtls --data '{"trustDomain": "acme.example", "enabled": false}' >/dev/null
	refused 403 MtlsNotConfigured "disabled" --token-file "$TMP/web.token"
	[ "$(kbs_admin PUT bare/node/n1 --data-binary "@$TMP/ak.tss" | tail -1)" = 204 ]
	[ "$(kbs_admin PUT bare/policy --data-binary "@$TMP/policy.yaml" | tail -1)" = 204 ]
	token web default cocoon-kbs:bare >"$TMP/bare.token"
	refused 403 MtlsNotConfigured "tenant \`bare\` has no mTLS configuration" --tenant bare --token-file "$TMP/bare.token"
	# configured but with no active CA yet
	kbs_admin PUT bare/mtls --data '{"trustDomain": "bare.example"}' >/dev/null
	refused 403 MtlsNotConfigured "no active mTLS CA certificate" --tenant bare --token-file "$TMP/bare.token"
}
