#!/usr/bin/env bats
# The HTTPS layer (lib/net) through cocoond, with curl as the real client: mutual TLS, protocol
# versions, HTTP/1.1 and HTTP/2, limits, and refusals.

load helpers/common

setup() {
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
	PKI="$TMP/data/pki"
	URL="https://127.0.0.1:$PORT"
	CURL_ADMIN=(curl -sS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key")
}

teardown() {
	stop_cocoond
	rm -rf "$TMP"
}

@test "a client with the admin certificate is identified by CN and O" {
	run "${CURL_ADMIN[@]}" "$URL/v1/whoami"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"user":"admin"'* ]]
	[[ "$output" == *'"groups":["system:masters"]'* ]]
	[[ "$output" == *'"authenticatedBy":"x509"'* ]]
}

@test "HTTP/1.1 and HTTP/2 both work over TLS" {
	run "${CURL_ADMIN[@]}" --http1.1 -o /dev/null -w '%{http_version} %{http_code}' "$URL/version"
	[ "$output" = "1.1 200" ]
	run "${CURL_ADMIN[@]}" --http2 -o /dev/null -w '%{http_version} %{http_code}' "$URL/version"
	[ "$output" = "2 200" ]
}

@test "a client without a certificate or a token is refused: 401, as kube-apiserver without anonymous access" {
	run curl -sS -w ' %{http_code}' --cacert "$PKI/ca.crt" "$URL/healthz"
	echo "$output"
	[[ "$output" != ok* ]]
	[[ "$output" == *'"reason":"Unauthorized"'*' 401' ]]
	grep '"action":"api.authenticate"' "$TMP/data/events.jsonl" | grep '"verdict":"deny"' |
		grep -q 'no client certificate and no bearer token'
}

@test "a client certificate from another CA is refused" {
	make_rogue_client "$TMP"
	run curl -sS --cacert "$PKI/ca.crt" --cert "$TMP/rogue.crt" --key "$TMP/rogue.key" "$URL/v1/whoami"
	[ "$status" -ne 0 ]
	[[ "$output" != *admin* ]]
}

@test "TLS below 1.2 is refused; TLS 1.3 is negotiated" {
	run "${CURL_ADMIN[@]}" --tlsv1.0 --tls-max 1.1 "$URL/healthz"
	[ "$status" -ne 0 ]
	run "${CURL_ADMIN[@]}" -v "$URL/healthz"
	[[ "$output" == *"TLSv1.3"* ]]
}

@test "the server certificate verifies for 127.0.0.1 and localhost" {
	run "${CURL_ADMIN[@]}" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/healthz"
	[ "$status" -eq 0 ]
	[ "$output" = "ok" ]
}

@test "errors are JSON with a status code: 404, 405, 413" {
	run "${CURL_ADMIN[@]}" -w ' %{http_code}' "$URL/nope"
	[[ "$output" == *'"code":404'*' 404' ]]
	run "${CURL_ADMIN[@]}" -X DELETE -w ' %{http_code}' "$URL/version"
	[[ "$output" == *'"code":405'*' 405' ]]
	head -c 2000000 /dev/zero >"$TMP/big"
	run "${CURL_ADMIN[@]}" --http1.1 -X POST --data-binary "@$TMP/big" -w ' %{http_code}' "$URL/version"
	echo "output: $output"; [[ "$output" == *' 413' ]]
	# Over HTTP/2 a request no route takes is answered as soon as its headers arrive, before its
	# body: the method is wrong whatever the body (the body is dropped, never buffered).
	run "${CURL_ADMIN[@]}" --http2 -X POST --data-binary "@$TMP/big" -w ' %{http_code}' "$URL/version"
	echo "output: $output"; [[ "$output" == *'"code":405'*' 405' ]]
}

@test "garbage instead of a TLS handshake is refused and the server keeps serving" {
	# fd 3 belongs to bats; use another one. The server may reset before the write completes.
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	{ printf 'this is not TLS\r\n\r\n' >&5; } 2>/dev/null || true
	exec 5>&-
	head -c 4096 /dev/urandom | curl -sS --max-time 5 --cacert "$PKI/ca.crt" --data-binary @- \
		"telnet://127.0.0.1:$PORT" >/dev/null 2>&1 || true
	run "${CURL_ADMIN[@]}" "$URL/healthz"
	[ "$output" = "ok" ]
	grep -q "TLS handshake failed" "$TMP/data.log"
}

@test "the unix socket authenticates by peer credentials" {
	run curl -sS --unix-socket "$TMP/data/cocoond.sock" http://localhost/v1/whoami
	[ "$status" -eq 0 ]
	[[ "$output" == *"\"uid\":$(id -u)"* ]]
	[[ "$output" == *'"authenticatedBy":"unix-peer-credentials"'* ]]
	[ "$(stat -c %a "$TMP/data/cocoond.sock")" = 600 ]
}

@test "cocoon status uses the same client layer" {
	run "$COCOON" status --pki "$PKI" --server "$URL"
	[ "$status" -eq 0 ]
	[[ "$output" == *"you are:  admin, authenticated by x509"* ]]
	run "$COCOON" status --server "$URL" --ca "$PKI/ca.crt"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cocoon status:"* ]]
}

@test "every authentication decision is recorded as a valid security event" {
	"${CURL_ADMIN[@]}" "$URL/healthz"
	curl -sS --cacert "$PKI/ca.crt" "$URL/healthz" || true
	curl -sS --unix-socket "$TMP/data/cocoond.sock" http://localhost/healthz
	stop_cocoond
	run "$COCOON" event validate "$TMP/data/events.jsonl"
	[ "$status" -eq 0 ]
	grep -q '"action":"api.authenticate","actor":"admin".*"verdict":"allow"' "$TMP/data/events.jsonl"
	grep -q '"actor":"anonymous".*"reason":"client certificate refused\|"actor":"anonymous".*"verdict":"deny"' "$TMP/data/events.jsonl"
	grep -q "\"actor\":\"uid:$(id -u)\"" "$TMP/data/events.jsonl"
	[ "$(stat -c %a "$TMP/data/events.jsonl")" = 600 ]
}

@test "SIGTERM stops cocoond cleanly and removes its socket" {
	stop_cocoond
	[ ! -e "$TMP/data/cocoond.sock" ]
	grep -q "received SIGTERM" "$TMP/data.log"
}
