#!/usr/bin/env bats
# cocoon kbs serve: the key broker, driven by a guest that follows the Trustee KBS protocol v0
# (helpers/kbs_client.py with python3-cryptography) and proves itself with quotes of a real software
# TPM (swtpm + tpm2-tools) over the containers cocoon-runtime measured.

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys

setup() {
	tpm_node_setup
	make_ak "$TMP"
	RT run --bundle "$TMP/bundle" web
	start_kbs "$TMP"
	[ "$(kbs_admin PUT default/node/n1 --data-binary "@$TMP/ak.tss" | tail -1)" = 204 ]
	printf 'rules:\n- {claim: tee, equals: tpm}\n- {claim: clock.safe, equals: true}\n' >"$TMP/policy.yaml"
	[ "$(kbs_admin PUT default/policy --data-binary "@$TMP/policy.yaml" | tail -1)" = 204 ]
	[ "$(printf 'db-password-1' | kbs_admin PUT default/resource/app/db/password --data-binary @- | tail -1)" = 204 ]
}

teardown() {
	[ -n "${KDS_PID:-}" ] && kill "$KDS_PID" 2>/dev/null
	stop_kbs
	stop_swtpm
	stop_etcd_cluster
	stop_audit_socket
	rm -rf "$TMP"
}

# activate_with_tpm DIR: tpm2-tools activates DIR/credential for DIR's AK with its EK (under the EK's
# PolicySecret session) into DIR/secret, as a node's TPM does.
activate_with_tpm() {
	tpm2_startauthsession --policy-session -S "$1/session.ctx"
	tpm2_policysecret -S "$1/session.ctx" -c e >/dev/null
	tpm2_activatecredential -c "$1/ak.ctx" -C "$1/ek.ctx" -i "$1/credential" -o "$1/secret" \
		-P "session:$1/session.ctx" >/dev/null
	tpm2_flushcontext "$1/session.ctx"
	tpm2_flushcontext -t
}

tpm_guest() {
	kbs_client --tee tpm --node n1 --ak-dir "$TMP" --log "$RT_ROOT/measurements.jsonl" "$@"
}

@test "kbs: attested TPM guests get the secret as JWE (ECDH-ES+A256KW and RSA-OAEP-256) with a signed EAR" {
	run tpm_guest --resource app/db/password
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 200 ]
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["secret"]')" = db-password-1 ]
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["alg"]')" = ECDH-ES+A256KW ]
	[ "$(echo "$output" | jq_py 'r["ear"]["submods"]["tpm"]["ear.status"]')" = affirming ]
	[ "$(echo "$output" | jq_py 'r["ear"]["submods"]["tpm"]["ear.veraison.annotated-evidence"]["containers"][0]["container"]')" = web ]
	[ "$(echo "$output" | jq_py 'r["ear"]["tenant"]')" = default ]
	run tpm_guest --key rsa --bearer --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["alg"]')" = RSA-OAEP-256 ]
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["secret"]')" = db-password-1 ]
	! grep -q db-password-1 "$TMP/state.db"
}

@test "kbs: the broker is a binary of its own: cocoon kbs serve runs cocoon-kbs, which serves when started directly too" {
	# `cocoon kbs serve` became cocoon-kbs in the same process (so it is stopped by the same PID)
	[ "$(readlink "/proc/$KBS_PID/exe")" = "$(readlink -f "$COCOON_KBS")" ]
	stop_kbs
	KBS_DIRECT=1 start_kbs "$TMP"
	[ "$(readlink "/proc/$KBS_PID/exe")" = "$(readlink -f "$COCOON_KBS")" ]
	run tpm_guest --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["secret"]')" = db-password-1 ]
	# it links neither the audit forwarder's RELP library nor anything of the CLI it does not use
	! ldd "$COCOON_KBS" | grep -q librelp || false
	# a cocoon with no broker next to it or on PATH says what is missing; one on PATH is found
	mkdir -p "$TMP/alone"
	cp "$COCOON" "$TMP/alone/cocoon"
	run env PATH=/usr/bin:/bin "$TMP/alone/cocoon" kbs serve --help
	[ "$status" -eq 1 ]
	[[ "$output" == *"the key broker is the binary \`cocoon-kbs\`, which is neither next to this cocoon nor on PATH"* ]]
	run env PATH="$(dirname "$COCOON_KBS"):/usr/bin:/bin" "$TMP/alone/cocoon" kbs serve --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: cocoon-kbs [serve]"* ]]
}

@test "kbs: a policy on measured containers decides; a denied session gets 403, never the secret" {
	measurement="$(head -1 "$RT_ROOT/measurements.jsonl" | jq_py 'r["measurement"]')"
	printf 'rules:\n- {claim: containers.*.measurement, oneOf: ["sha384:%s"]}\n' "$(printf '0%.0s' $(seq 1 96))" >"$TMP/deny.yaml"
	[ "$(kbs_admin PUT default/policy --data-binary "@$TMP/deny.yaml" | tail -1)" = 204 ]
	run tpm_guest --resource app/db/password
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 200 ]
	[ "$(echo "$output" | jq_py 'r["ear"]["submods"]["tpm"]["ear.status"]')" = contraindicated ]
	[[ "$output" == *"containers[0]: measurement is"*"not among the 1 allowed values"* ]]
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["status"]')" = 403 ]
	[[ "$output" != *db-password-1* ]]
	printf 'rules:\n- {claim: containers.*.measurement, oneOf: ["%s"]}\n' "$measurement" >"$TMP/allow.yaml"
	kbs_admin PUT default/policy --data-binary "@$TMP/allow.yaml" >/dev/null
	run tpm_guest --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["status"]')" = 200 ]
	kbs_admin DELETE default/resource/app/db/password >/dev/null
	run tpm_guest --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["status"]')" = 404 ]
}

@test "kbs: a wrong nonce, an expired challenge, evidence bound to another key, a replayed attestation and no session are refused" {
	run tpm_guest --tamper nonce --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 401 ]
	[[ "$(echo "$output" | jq_py 'r["attest_problem"]["detail"]')" == *"not this session's challenge"* ]]
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["status"]')" = 401 ]
	run tpm_guest --tamper runtime --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 401 ]
	[[ "$(echo "$output" | jq_py 'r["attest_problem"]["detail"]')" == *"nonce (extraData) is not the expected one"* ]]
	stop_kbs
	start_kbs "$TMP" --session-ttl 1
	run tpm_guest --pause 2 --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 401 ]
	[[ "$output" == *"no valid kbs-session-id cookie"* ]]
	run tpm_guest --tamper replay
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 200 ]
	[ "$(echo "$output" | jq_py 'r["replay"]')" = 401 ]
	run curl -s --cacert "$TMP/pki/ca.crt" -w '\n%{http_code}' "$KBS_URL/kbs/v0/resource/app/db/password"
	[ "${lines[-1]}" = 401 ]
	run curl -s --cacert "$TMP/pki/ca.crt" -H 'Authorization: Bearer e30.e30.AAAA' -w '\n%{http_code}' \
		"$KBS_URL/kbs/v0/resource/app/db/password"
	[ "${lines[-1]}" = 401 ]
}

@test "kbs: a flood of 5,000 challenges on one connection does not lock guests out" {
	flood() {
		"$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/kbs_flood.py" "$KBS_URL" "$TMP/pki/ca.crt" "$@"
	}
	# a guest takes its challenge, then waits while another address floods (its 64-session limit
	# keeps the table from filling, so the guest's challenge survives)
	tpm_guest --pause 3 --resource app/db/password >"$TMP/waiting.json" &
	guest=$!
	sleep 0.5
	run flood 5000 --source 127.0.0.2
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["statuses"].get("200", 0)')" = 5000 ]
	[ "$(echo "$output" | jq_py 'r["connections"]')" = 1 ]
	wait "$guest"
	[ "$(jq_py 'r["attest"]' <"$TMP/waiting.json")" = 200 ]
	[ "$(jq_py 'r["resources"]["app/db/password"]["secret"]' <"$TMP/waiting.json")" = db-password-1 ]
	# the same address as the guests floods: no 503, and a guest still completes auth and attestation
	run flood 5000
	[ "$(echo "$output" | jq_py 'r["statuses"].get("503", 0)')" = 0 ]
	[ "$(echo "$output" | jq_py 'r["statuses"].get("200", 0)')" = 5000 ]
	run tpm_guest --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["auth"]')" = 200 ]
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 200 ]
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["secret"]')" = db-password-1 ]
	# the replacements are reported, not once per request
	n="$(grep -c 'replaced an unanswered one' "$TMP/kbs.log")"
	[ "$n" -ge 1 ] && [ "$n" -le 4 ]
}

@test "kbs: an unanswered challenge lasts --challenge-ttl; an attested session lasts --session-ttl" {
	stop_kbs
	start_kbs "$TMP" --challenge-ttl 2 --session-ttl 30
	run tpm_guest --pause 3 --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 401 ]
	[[ "$output" == *"no valid kbs-session-id cookie"* ]]
	# attested within the challenge's two seconds, the session outlives them
	run tpm_guest --pause-after 3 --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 200 ]
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["status"]')" = 200 ]
	run "$COCOON_KBS" serve --challenge-ttl 0 --listen x
	[ "$status" -eq 2 ]
	[[ "$output" == *"--challenge-ttl \`0\` must be 1 to 3600"* ]]
}

@test "kbs: the state file is created 0600; a store group or others may open is refused, naming the fix" {
	# setup() started the broker on a fresh store and wrote to it
	for f in "$TMP/state.db" "$TMP/state.db-wal" "$TMP/state.db-shm"; do
		[ ! -e "$f" ] || [ "$(stat -c %a "$f")" = 600 ]
	done
	[ "$(stat -c %a "$TMP/state.db")" = 600 ]
	stop_kbs
	chmod 644 "$TMP/state.db"
	run "$COCOON" kbs serve --listen 127.0.0.1:0 --cert "$TMP/pki/server.crt" --key "$TMP/pki/server.key" \
		--client-ca "$TMP/pki/ca.crt" --root-key "$TMP/root.key" --token-key "$TMP/token.key" --store "sqlite:$TMP/state.db"
	[ "$status" -eq 1 ]
	[[ "$output" == *"store \`sqlite:$TMP/state.db\`: \`$TMP/state.db\` is open to group or others (mode 644); chmod 600 it"* ]]
	chmod 600 "$TMP/state.db"
	[ -e "$TMP/state.db-shm" ] || : >"$TMP/state.db-shm" # SQLite's shared-memory file, left by an older cocoon
	chmod 604 "$TMP/state.db-shm"
	run "$COCOON" kbs serve --listen 127.0.0.1:0 --cert "$TMP/pki/server.crt" --key "$TMP/pki/server.key" \
		--client-ca "$TMP/pki/ca.crt" --root-key "$TMP/root.key" --token-key "$TMP/token.key" --store "sqlite:$TMP/state.db"
	[ "$status" -eq 1 ]
	[[ "$output" == *"state.db-shm\` is open to group or others (mode 604); chmod 600 it"* ]]
}

@test "kbs: tenants are isolated: sessions, nodes, resources and admin certificates" {
	tenant_cert bank-a
	ADMIN_CERT="$TMP/bank-a.crt" ADMIN_KEY="$TMP/bank-a.key" run kbs_admin PUT default/policy --data-binary "@$TMP/policy.yaml"
	[ "${lines[-1]}" = 403 ]
	ADMIN_CERT="$TMP/bank-a.crt" ADMIN_KEY="$TMP/bank-a.key" kbs_admin PUT bank-a/policy --data-binary "@$TMP/policy.yaml" | tail -1 | grep -q 204
	ADMIN_CERT="$TMP/bank-a.crt" ADMIN_KEY="$TMP/bank-a.key" kbs_admin PUT bank-a/node/n1 --data-binary "@$TMP/ak.tss" | tail -1 | grep -q 204
	# a bank-a guest asks for default's resource path: it only ever sees bank-a's namespace
	run tpm_guest --tenant bank-a --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 200 ]
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["status"]')" = 404 ]
	# a node registered for bank-a only cannot attest for bank-b
	run tpm_guest --tenant bank-b
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 401 ]
	[[ "$(echo "$output" | jq_py 'r["attest_problem"]["detail"]')" == *"node \`n1\` is not registered for tenant \`bank-b\`"* ]]
	run curl -s --cacert "$TMP/pki/ca.crt" -X PUT --data x -w '\n%{http_code}' "$KBS_URL/kbs/v0/admin/default/resource/a/b/c"
	[ "${lines[-1]}" = 401 ]
}

@test "kbs: real SNP and TDX evidence is authentic but not bound to the session, so it is refused" {
	stop_kbs
	F="$COCOON_ROOT/tests/fixtures/attestation"
	start_kbs "$TMP" --snp-chain "$F/snp/ask_ark_milan.pem" --tdx-root "$F/tdx/intel-sgx-root-ca.pem"
	"$SYSTEM_PYTHON" -c 'import base64, json, sys; json.dump({"report": base64.b64encode(open(sys.argv[1], "rb").read()).decode(), "vcek": base64.b64encode(open(sys.argv[2], "rb").read()).decode()}, open(sys.argv[3], "w"))' \
		"$F/snp/milan-report.bin" "$F/snp/milan-vcek.der" "$TMP/snp.json"
	"$SYSTEM_PYTHON" -c 'import base64, json, sys; json.dump({"quote": base64.b64encode(open(sys.argv[1], "rb").read()).decode()}, open(sys.argv[2], "w"))' \
		"$F/tdx/spr-e4-quote-v4.dat" "$TMP/tdx.json"
	run kbs_client --tee snp --evidence "$TMP/snp.json"
	[ "$(echo "$output" | jq_py 'r["attest"]')" = 401 ]
	[[ "$output" == *"SNP report_data does not carry the expected nonce"* ]]
	run kbs_client --tee intel-tdx --evidence "$TMP/tdx.json"
	[[ "$output" == *"TDX report_data does not carry the expected nonce"* ]]
	# without a VCEK the broker needs its cache; a verified VCEK fills it
	"$SYSTEM_PYTHON" -c 'import json, sys; e = json.load(open(sys.argv[1])); del e["vcek"]; json.dump(e, open(sys.argv[2], "w"))' \
		"$TMP/snp.json" "$TMP/snp-novcek.json"
	run kbs_client --tee snp --evidence "$TMP/snp-novcek.json"
	[[ "$output" == *"lacks \`vcek\` and this broker has no VCEK cache"* ]]
	stop_kbs
	start_kbs "$TMP" --snp-chain "$F/snp/ask_ark_milan.pem" --vcek-cache "$TMP/vcek-cache"
	run kbs_client --tee snp --evidence "$TMP/snp-novcek.json"
	[[ "$output" == *"no VCEK for this chip and TCB in the cache"* ]]
	run kbs_client --tee snp --evidence "$TMP/snp.json"
	[[ "$output" == *"SNP report_data does not carry the expected nonce"* ]]
	[ "$(ls "$TMP/vcek-cache" | wc -l)" -eq 1 ] # authentic, so cached, though bound to another session
	run kbs_client --tee snp --evidence "$TMP/snp-novcek.json"
	[[ "$output" == *"SNP report_data does not carry the expected nonce"* ]] # verified with the cached VCEK

	# a VCEK missing from the cache comes from the key distribution service when one is configured
	# (AMD's is unreachable here: an HTTPS file server with AMD's URL layout stands in for it)
	stop_kbs
	hwid="$("$SYSTEM_PYTHON" -c 'import sys; print(open(sys.argv[1], "rb").read()[0x1A0:0x1E0].hex())' "$F/snp/milan-report.bin")"
	mkdir -p "$TMP/kds/vcek/v1/Milan"
	cp "$F/snp/milan-vcek.der" "$TMP/kds/vcek/v1/Milan/$hwid"
	kds_port="$(free_port)"
	"$SYSTEM_PYTHON" - "$TMP/kds" "$kds_port" "$TMP/pki" <<-'PY' &
	import functools, http.server, ssl, sys
	handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
	server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), handler)
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
	ctx.load_cert_chain(sys.argv[3] + "/server.crt", sys.argv[3] + "/server.key")
	server.socket = ctx.wrap_socket(server.socket, server_side=True)
	server.serve_forever()
	PY
	KDS_PID=$!
	sleep 0.5
	rm -rf "$TMP/vcek-cache"
	start_kbs "$TMP" --snp-chain "$F/snp/ask_ark_milan.pem" --vcek-cache "$TMP/vcek-cache" \
		--kds "https://localhost:$kds_port/vcek/v1/Milan" --kds-ca "$TMP/pki/ca.crt"
	run kbs_client --tee snp --evidence "$TMP/snp-novcek.json"
	echo "$output"
	[[ "$output" == *"SNP report_data does not carry the expected nonce"* ]] # fetched and verified
	[ "$(ls "$TMP/vcek-cache" | wc -l)" -eq 1 ]
	stop_kbs
	start_kbs "$TMP"
	run kbs_client --tee snp --evidence "$TMP/snp.json"
	[[ "$output" == *"no AMD chain configured"* ]]
}


@test "kbs: bad input gets a precise error, and every decision is an audit event" {
	start_audit_socket
	stop_kbs
	COCOON_AUDIT_SOCKET="$TMP/audit.sock" start_kbs "$TMP"
	c=(curl -s --cacert "$TMP/pki/ca.crt" -H 'Content-Type: application/json' -w '\n%{http_code}')
	run "${c[@]}" -X POST -d '{"version":"0.1.0","tee":"sgx"}' "$KBS_URL/kbs/v0/auth"
	[ "${lines[-1]}" = 400 ]
	[[ "$output" == *"tee must be one of"* ]]
	run "${c[@]}" -X POST -d '{"version":"1.0.0","tee":"tpm"}' "$KBS_URL/kbs/v0/auth"
	[[ "$output" == *"ProtocolVersion"* ]]
	run "${c[@]}" -X POST -d '{not json' "$KBS_URL/kbs/v0/auth"
	[ "${lines[-1]}" = 400 ]
	head -c 2000000 /dev/zero >"$TMP/big"
	run "${c[@]}" -X POST --data-binary "@$TMP/big" "$KBS_URL/kbs/v0/auth"
	[ "${lines[-1]}" = 413 ]
	run kbs_admin PUT default/resource/../etc/passwd --data x --path-as-is
	[ "${lines[-1]}" = 400 ] || [ "${lines[-1]}" = 404 ]
	run kbs_admin PUT default/policy --data 'rules: []'
	[ "${lines[-1]}" = 400 ]
	run tpm_guest --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["status"]')" = 200 ]
	for _ in $(seq 1 50); do
		grep -q '"action":"kbs.resource"' "$TMP/siem.jsonl" 2>/dev/null && break
		sleep 0.1
	done
	grep '"action":"kbs.auth"' "$TMP/siem.jsonl" | grep -q '"verdict":"allow"'
	grep '"action":"kbs.attest"' "$TMP/siem.jsonl" | grep -q '"verdict":"allow"'
	grep '"action":"kbs.resource"' "$TMP/siem.jsonl" | grep -q '"object":"app/db/password"'
	grep '"action":"kbs.admin.write"' "$TMP/siem.jsonl" | grep -q '"verdict":"deny"'
}

@test "kbs: with its state in a 3-member etcd cluster the broker keeps serving when a member dies" {
	command -v etcd >/dev/null || skip "etcd-server is not installed"
	stop_kbs
	start_etcd_cluster "$TMP"
	export STORE="etcd:$ETCD_URLS"
	start_kbs "$TMP"
	kbs_admin PUT default/node/n1 --data-binary "@$TMP/ak.tss" >/dev/null
	kbs_admin PUT default/policy --data-binary "@$TMP/policy.yaml" >/dev/null
	printf 'in-etcd' | kbs_admin PUT default/resource/app/db/password --data-binary @- >/dev/null
	kill -KILL "${ETCD_PIDS[1]}"
	wait "${ETCD_PIDS[1]}" 2>/dev/null || true
	run tpm_guest --resource app/db/password
	echo "$output"
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["secret"]')" = in-etcd ]
	run etcdctl --endpoints "${ETCD_URLS%%,*}" get --prefix kbs/default/resource/
	[[ "$output" != *"in-etcd"* ]]
}

@test "kbs: a node enrolled by its EK certificate registers its AK by credential activation, once" {
	stop_kbs
	swtpm_ek_ca "$TMP/ek-ca.pem"
	start_kbs "$TMP" --ek-ca "$TMP/ek-ca.pem"
	mkdir -p "$TMP/n2"
	tpm2_createek -c "$TMP/n2/ek.ctx" -G rsa -u "$TMP/n2/ek.pub" >/dev/null
	tpm2_createak -C "$TMP/n2/ek.ctx" -c "$TMP/n2/ak.ctx" -G ecc -g sha256 -s ecdsa -u "$TMP/n2/ak.tss" >/dev/null
	tpm2_flushcontext -t
	tpm2_nvread 0x1c00002 -o "$TMP/n2/ek.der" 2>/dev/null # the RSA EK certificate swtpm_setup wrote
	register() {
		curl -s --cacert "$TMP/pki/ca.crt" -H 'Content-Type: application/json' -w '\n%{http_code}' \
			-d "{\"tenant\":\"default\",\"node\":\"$1\",\"ak\":\"$(base64 -w0 "$2")\"}" "$KBS_URL/kbs/v0/node/register"
	}
	activate() {
		curl -s --cacert "$TMP/pki/ca.crt" -H 'Content-Type: application/json' -w '\n%{http_code}' \
			-d "{\"id\":\"$1\",\"secret\":\"$2\"}" "$KBS_URL/kbs/v0/node/activate"
	}
	run register n2 "$TMP/n2/ak.tss"
	[ "${lines[-1]}" = 404 ]
	[[ "$output" == *"node \`n2\` is not enrolled"* ]]
	[ "$(kbs_admin PUT default/node/n2 --data-binary "@$TMP/n2/ek.der" | tail -1)" = 204 ]
	# the EK itself is a decryption key, never an AK
	tpm2_readpublic -c "$TMP/n2/ek.ctx" -o "$TMP/n2/ek.tss" -f tss >/dev/null
	run register n2 "$TMP/n2/ek.tss"
	echo "$output"
	[[ "$output" == *"not a restricted signing key"* ]]
	run register n2 "$TMP/n2/ak.tss"
	[ "${lines[-1]}" = 200 ]
	id="$(echo "${lines[0]}" | jq_py 'r["id"]')"
	echo "${lines[0]}" | jq_py 'r["credential"]' | base64 -d >"$TMP/n2/credential"
	activate_with_tpm "$TMP/n2"
	run activate "$id" "$(head -c 32 /dev/zero | base64 -w0)"
	[ "${lines[-1]}" = 403 ]
	# a refused answer used the registration up
	run activate "$id" "$(base64 -w0 "$TMP/n2/secret")"
	[ "${lines[-1]}" = 404 ]
	run register n2 "$TMP/n2/ak.tss"
	id="$(echo "${lines[0]}" | jq_py 'r["id"]')"
	echo "${lines[0]}" | jq_py 'r["credential"]' | base64 -d >"$TMP/n2/credential"
	activate_with_tpm "$TMP/n2"
	run activate "$id" "$(base64 -w0 "$TMP/n2/secret")"
	[ "${lines[-1]}" = 204 ]
	# the registered AK's quotes now open the tenant's secrets
	run kbs_client --tee tpm --node n2 --ak-dir "$TMP/n2" --resource app/db/password
	[ "$(echo "$output" | jq_py 'r["resources"]["app/db/password"]["secret"]')" = db-password-1 ]
	# an EK certificate from another CA is refused at registration
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=fake EK" -keyout "$TMP/fake.key" \
		-out "$TMP/fake.pem" 2>/dev/null
	kbs_admin PUT default/node/n3 --data-binary "@$TMP/fake.pem" >/dev/null
	run register n3 "$TMP/n2/ak.tss"
	[[ "$output" == *"EK certificate does not chain to the trusted root"* ]]
}
