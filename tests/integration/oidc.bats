#!/usr/bin/env bats
# OIDC bearer tokens on cocoond (issue 14) against a real OpenID Connect provider started by the
# test (oauth2-mock-server from npm, tests/js; tests/integration/helpers/oidc_provider.mjs; and
# node-oidc-provider for `cocoon login --device`, helpers/oidc_device_provider.mjs): the
# provider's discovery and JWKS over HTTPS with its own CA, ID tokens signed RS256, ES256 and EdDSA,
# kube-apiserver's AuthenticationConfiguration (claim mappings with prefixes, a claim validation
# rule), RBAC on the mapped groups, key rotation, and every kind of bad token refused with 401.

load helpers/common

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
PROVIDER="$COCOON_ROOT/tests/integration/helpers/oidc_provider.mjs"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	command -v node >/dev/null || skip "node is not installed (scripts/install-deps installs it)"
	[ -d "$COCOON_ROOT/tests/js/node_modules/oauth2-mock-server" ] || skip "tests/js is not installed (npm ci)"
	TMP="$(mktemp -d)"
	mkdir "$TMP/tokens"
	# The provider's own CA and server certificate for 127.0.0.1.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=oidc test CA" \
		-keyout "$TMP/idp-ca.key" -out "$TMP/idp-ca.crt" 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$TMP/idp.key" -out "$TMP/idp.csr" 2>/dev/null
	openssl x509 -req -in "$TMP/idp.csr" -CA "$TMP/idp-ca.crt" -CAkey "$TMP/idp-ca.key" -days 1 \
		-extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') -out "$TMP/idp.crt" 2>/dev/null
	IDP_PORT="$(free_port)"
	node "$PROVIDER" "$IDP_PORT" "$TMP/idp.key" "$TMP/idp.crt" "$TMP/tokens" >"$TMP/idp.log" 2>&1 3>&- &
	IDP_PID=$!
	wait_for_server oidc-provider "$IDP_PID" "$TMP/idp.log" test -s "$TMP/tokens/ready"
	{
		echo "apiVersion: apiserver.config.k8s.io/v1beta1"
		echo "kind: AuthenticationConfiguration"
		echo "jwt:"
		echo "- issuer:"
		echo "    url: https://127.0.0.1:$IDP_PORT"
		echo "    audiences: [cocoon]"
		echo "    certificateAuthority: |"
		sed 's/^/      /' "$TMP/idp-ca.crt"
		echo "  claimValidationRules:"
		echo "  - {claim: hd, requiredValue: example.com}"
		echo "  claimMappings:"
		echo "    username: {claim: email, prefix: \"\"}"
		echo "    groups: {claim: groups, prefix: \"oidc:\"}"
		echo "    uid: {claim: sub}"
	} >"$TMP/authn.yaml"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT" --authentication-config "$TMP/authn.yaml"
	export KUBECONFIG="$TMP/data/kubeconfig"
	K=("$KUBECTL" --request-timeout=10s --cache-dir "$TMP/cache")
}

teardown() {
	stop_cocoond
	[ -n "${IDP_PID:-}" ] && kill "$IDP_PID" 2>/dev/null && wait "$IDP_PID" 2>/dev/null
	# the device-grant provider, whether its test passed or not
	[ -n "${DEVICE_IDP_PID:-}" ] && kill "$DEVICE_IDP_PID" 2>/dev/null && wait "$DEVICE_IDP_PID" 2>/dev/null
	rm -rf "$TMP"
}

# as_token FILE kubectl-arguments...
as_token() {
	local token
	token="$(cat "$TMP/tokens/$1")"
	shift
	"$KUBECTL" --kubeconfig /dev/null --cache-dir "$TMP/cache-oidc" --request-timeout=10s \
		--server "https://127.0.0.1:$PORT" --certificate-authority "$TMP/data/pki/ca.crt" --token "$token" "$@"
}

@test "oidc: ID tokens signed RS256, ES256 and EdDSA authenticate; claims map to user, groups and uid; RBAC binds the groups" {
	for t in alice-rsa alice-ec alice-ed; do
		run as_token "$t.jwt" auth whoami -o json
		echo "$t: $output"
		[ "$status" -eq 0 ]
		[ "$(echo "$output" | jq -r .status.userInfo.username)" = alice@example.com ]
		[ "$(echo "$output" | jq -r .status.userInfo.uid)" = u-1001 ]
		[ "$(echo "$output" | jq -c .status.userInfo.groups)" = '["oidc:developers","oidc:auditors","system:authenticated"]' ]
	done
	[ "$(as_token alice-rsa.jwt auth can-i list pods)" = no ]
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: oidc-developers, namespace: default}
		subjects: [{kind: Group, name: "oidc:developers", apiGroup: rbac.authorization.k8s.io}]
		roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}
	YAML
	[ "$(as_token alice-rsa.jwt auth can-i create deployments)" = yes ]
	as_token alice-ed.jwt create configmap from-alice --from-literal=a=b
	# The audit log names her as the token did.
	grep -q '"username":"alice@example.com"' "$TMP/data/audit.log"
	# A token without groups is still her colleague, with none of theirs.
	run as_token no-groups.jwt auth whoami -o json
	[ "$(echo "$output" | jq -c .status.userInfo.groups)" = '["system:authenticated"]' ]
}

@test "oidc: expired, not yet valid, other-audience, unverified, wrong-domain, forged and unsigned tokens are 401" {
	for t in expired not-yet other-audience unverified-email other-domain forged alg-none; do
		run curl -sS -w ' %{http_code}' --cacert "$TMP/data/pki/ca.crt" \
			-H "Authorization: Bearer $(cat "$TMP/tokens/$t.jwt")" "https://127.0.0.1:$PORT/api/v1/namespaces"
		echo "$t: $output"
		[[ "$output" == *'"reason":"Unauthorized"'*' 401' ]]
	done
	events="$(grep '"action":"api.authenticate"' "$TMP/data/events.jsonl")"
	for why in 'the token has expired' 'not valid yet' 'not for this cluster (audience)' 'email is not verified' \
		'claimValidationRules' 'signature does not verify' 'alg none'; do
		echo "$events" | grep -q "$why" || { echo "no event says: $why"; false; }
	done
	# No token ever reaches a log.
	for t in "$TMP"/tokens/*.jwt; do
		! grep -qF "$(cat "$t")" "$TMP/data/events.jsonl" "$TMP/data/audit.log" "$TMP/data.log" || false
	done
}

@test "oidc: a rotated key is fetched when a token names it; with the provider down cached keys serve and new ones fail closed" {
	as_token alice-rsa.jwt auth whoami
	kill -USR2 "$IDP_PID"
	for _ in $(seq 1 50); do [ -s "$TMP/tokens/rotated.ready" ] && break; sleep 0.1; done
	sleep 10 # cocoond fetches the keys again at most every 10 s
	run as_token rotated.jwt auth whoami
	echo "$output"
	[ "$status" -eq 0 ]
	# The provider goes away: the keys cocoond holds still verify; a kid it never saw cannot.
	kill "$IDP_PID"
	wait "$IDP_PID" 2>/dev/null || true
	IDP_PID=
	as_token alice-ec.jwt auth whoami
	as_token rotated.jwt auth whoami
	run as_token forged.jwt auth whoami
	[ "$status" -ne 0 ]
}

@test "oidc: a configuration cocoond cannot honour is refused at start, naming the field" {
	stop_cocoond
	sed 's/    username: {claim: email, prefix: ""}/    username: {expression: "claims.email"}/' "$TMP/authn.yaml" >"$TMP/cel.yaml"
	run "$COCOOND" --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" --no-pods --authentication-config "$TMP/cel.yaml"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'jwt[0].claimMappings.username: CEL expressions are not supported by cocoond'* ]]
	sed 's/    username: {claim: email, prefix: ""}/    username: {claim: email}/' "$TMP/authn.yaml" >"$TMP/noprefix.yaml"
	run "$COCOOND" --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" --no-pods --authentication-config "$TMP/noprefix.yaml"
	[[ "$output" == *'jwt[0].claimMappings.username.prefix: Required value'* ]]
	sed 's#url: https://#url: http://#' "$TMP/authn.yaml" >"$TMP/http.yaml"
	run "$COCOOND" --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" --no-pods --authentication-config "$TMP/http.yaml"
	[[ "$output" == *'jwt[0].issuer.url: must be an https URL'* ]]
}

@test "oidc: cocoon login signs in through the browser (code with PKCE) and kubectl uses it as an exec plugin" {
	stop_cocoond
	{
		echo "apiVersion: apiserver.config.k8s.io/v1"
		echo "kind: AuthenticationConfiguration"
		echo "jwt:"
		echo "- issuer:"
		echo "    url: https://127.0.0.1:$IDP_PORT"
		echo "    audiences: [cocoon-cli]"
		echo "    certificateAuthority: |"
		sed 's/^/      /' "$TMP/idp-ca.crt"
		echo "  claimMappings: {username: {claim: sub, prefix: 'oidc:'}}"
	} >"$TMP/login-authn.yaml"
	start_cocoond "$TMP/data" "$PORT" --authentication-config "$TMP/login-authn.yaml"
	export XDG_CACHE_HOME="$TMP/cache-home"
	"$COCOON" login --issuer "https://127.0.0.1:$IDP_PORT" --client-id cocoon-cli --issuer-ca "$TMP/idp-ca.crt" \
		--no-browser --timeout 30 --kubeconfig "$TMP/user.kubeconfig" --server "https://127.0.0.1:$PORT" \
		--ca "$TMP/data/pki/ca.crt" >"$TMP/login.out" 2>"$TMP/login.err" 3>&- &
	login=$!
	for _ in $(seq 1 100); do grep -q 'https://127.0.0.1:.*/authorize?' "$TMP/login.err" && break; sleep 0.1; done
	url="$(grep -o 'https://127.0.0.1:[^ ]*/authorize?[^ ]*' "$TMP/login.err")"
	[[ "$url" == *code_challenge_method=S256* && "$url" == *state=* ]]
	# The browser: the provider signs the user in and sends it back to cocoon login's listener.
	curl -sS -L --cacert "$TMP/idp-ca.crt" "$url" >"$TMP/browser.html"
	wait "$login"
	cat "$TMP/login.err"
	grep -q 'Signed in' "$TMP/browser.html"
	[ "$(stat -c %a "$TMP/user.kubeconfig")" = 600 ]
	[ "$(stat -c %a "$TMP"/cache-home/cocoon/oidc/*.json)" = 600 ]
	# kubectl runs `cocoon login --exec` and sends the cached token.
	run "$KUBECTL" --kubeconfig "$TMP/user.kubeconfig" auth whoami -o json
	echo "$output"
	[ "$(echo "$output" | jq -r .status.userInfo.username)" = oidc:johndoe ]
	# An expired token is refreshed with the refresh token, without a browser.
	cache="$(echo "$TMP"/cache-home/cocoon/oidc/*.json)"
	jq '.id_token = "x.eyJleHAiOjF9.y"' "$cache" >"$cache.new" && mv "$cache.new" "$cache"
	run "$KUBECTL" --kubeconfig "$TMP/user.kubeconfig" auth whoami -o json </dev/null
	echo "$output"
	[ "$(echo "$output" | jq -r .status.userInfo.username)" = oidc:johndoe ]
	# Nothing to refresh with and no terminal: a clear error, not a hang.
	jq 'del(.refresh_token) | .id_token = "x.eyJleHAiOjF9.y"' "$cache" >"$cache.new" && mv "$cache.new" "$cache"
	run "$COCOON" login --exec --issuer "https://127.0.0.1:$IDP_PORT" --client-id cocoon-cli --issuer-ca "$TMP/idp-ca.crt" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'no valid token cached: run `cocoon login` first'* ]]
}

# device_user URL USER_CODE LOGIN [abort]: a person on another device, on the provider's own pages
# (node-oidc-provider's device and development interaction pages): enters the code, confirms (or
# refuses with `abort`), signs in as LOGIN and consents. Answers the last page.
device_user() {
	local base="$1" code="$2" login="$3" jar="$TMP/jar" page location xsrf
	local C=(curl -sS --cacert "$TMP/idp-ca.crt" -c "$jar" -b "$jar")
	page="$("${C[@]}" "$base/device")"
	xsrf="$(grep -o 'name="xsrf" value="[^"]*"' <<<"$page" | cut -d'"' -f4)"
	page="$("${C[@]}" --data-urlencode "xsrf=$xsrf" --data-urlencode "user_code=$code" "$base/device")"
	xsrf="$(grep -o 'name="xsrf" value="[^"]*"' <<<"$page" | cut -d'"' -f4)"
	if [ "${4:-}" = abort ]; then
		"${C[@]}" --data-urlencode "xsrf=$xsrf" --data-urlencode "user_code=$code" -d confirm=yes -d abort=yes "$base/device"
		return
	fi
	location="$("${C[@]}" -o /dev/null -w '%{redirect_url}' --data-urlencode "xsrf=$xsrf" \
		--data-urlencode "user_code=$code" -d confirm=yes "$base/device")"
	# the sign-in page, then the consent page, each answered where it posts to
	location="$("${C[@]}" -o /dev/null -w '%{redirect_url}' -d prompt=login --data-urlencode "login=$login" \
		-d password=any "$location")"
	location="$("${C[@]}" -o /dev/null -w '%{redirect_url}' "$location")"
	location="$("${C[@]}" -o /dev/null -w '%{redirect_url}' -d prompt=consent "$location")"
	"${C[@]}" -L "$location"
}

@test "oidc: cocoon login --device signs in with a code entered elsewhere (node-oidc-provider), and a refusal is said" {
	[ -d "$COCOON_ROOT/tests/js/node_modules/oidc-provider" ] || skip "tests/js is not installed (npm ci)"
	local dev_port
	dev_port="$(free_port)"
	node "$COCOON_ROOT/tests/integration/helpers/oidc_device_provider.mjs" "$dev_port" "$TMP/idp.key" "$TMP/idp.crt" \
		"$TMP/device-ready" >"$TMP/device-idp.log" 2>&1 3>&- &
	DEVICE_IDP_PID=$!
	wait_for_server oidc-provider "$DEVICE_IDP_PID" "$TMP/device-idp.log" test -s "$TMP/device-ready"
	stop_cocoond
	{
		echo "apiVersion: apiserver.config.k8s.io/v1"
		echo "kind: AuthenticationConfiguration"
		echo "jwt:"
		echo "- issuer:"
		echo "    url: https://127.0.0.1:$dev_port"
		echo "    audiences: [cocoon-cli]"
		echo "    certificateAuthority: |"
		sed 's/^/      /' "$TMP/idp-ca.crt"
		echo "  claimMappings: {username: {claim: sub, prefix: 'oidc:'}}"
	} >"$TMP/device-authn.yaml"
	start_cocoond "$TMP/data" "$PORT" --authentication-config "$TMP/device-authn.yaml"
	export XDG_CACHE_HOME="$TMP/device-cache"
	local login=("$COCOON" login --device --issuer "https://127.0.0.1:$dev_port" --client-id cocoon-cli
		--issuer-ca "$TMP/idp-ca.crt" --scope "openid email offline_access" --timeout 60)
	"${login[@]}" --kubeconfig "$TMP/device.kubeconfig" --server "https://127.0.0.1:$PORT" --ca "$TMP/data/pki/ca.crt" \
		>"$TMP/device.out" 2>"$TMP/device.err" 3>&- &
	local pid=$! code
	for _ in $(seq 1 100); do grep -q 'enter the code' "$TMP/device.err" && break; sleep 0.1; done
	code="$(grep -o 'enter the code  [A-Z0-9-]*' "$TMP/device.err" | awk '{print $4}')"
	[ -n "$code" ]
	grep -q "https://127.0.0.1:$dev_port/device" "$TMP/device.err"
	device_user "https://127.0.0.1:$dev_port" "$code" alice >"$TMP/device-page.html"
	grep -q 'Sign-in Success' "$TMP/device-page.html"
	wait "$pid"
	cat "$TMP/device.err"
	# the device code itself is never shown, only the code for the person
	! grep -qi 'device_code' "$TMP/device.err" || false
	run "$KUBECTL" --kubeconfig "$TMP/device.kubeconfig" auth whoami -o json
	echo "$output"
	[ "$(echo "$output" | jq -r .status.userInfo.username)" = oidc:alice ]
	jq -e '.users[0].user.exec.args | index("--device")' "$TMP/device.kubeconfig" >/dev/null
	# the person refuses on the provider's page: login says so and fails
	rm -rf "$TMP/device-cache" "$TMP/jar"
	"${login[@]}" >"$TMP/refused.out" 2>"$TMP/refused.err" 3>&- &
	pid=$!
	for _ in $(seq 1 100); do grep -q 'enter the code' "$TMP/refused.err" && break; sleep 0.1; done
	code="$(grep -o 'enter the code  [A-Z0-9-]*' "$TMP/refused.err" | awk '{print $4}')"
	device_user "https://127.0.0.1:$dev_port" "$code" alice abort >/dev/null
	local rc=0
	wait "$pid" || rc=$?
	cat "$TMP/refused.err"
	[ "$rc" -ne 0 ]
	grep -q 'the sign-in was refused' "$TMP/refused.err"
	# a provider without the device grant is named as such
	run "$COCOON" login --device --issuer "https://127.0.0.1:$IDP_PORT" --client-id cocoon-cli \
		--issuer-ca "$TMP/idp-ca.crt" --timeout 10
	[ "$status" -ne 0 ]
	[[ "$output" == *"offers no device sign-in"* ]]
}
