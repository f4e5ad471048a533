#!/usr/bin/env bats
# Service account tokens on cocoond (issues 13 and 14), driven by the real kubectl and curl: a
# TokenRequest issues a token, the token authenticates as system:serviceaccount:NS:NAME with its
# groups, RBAC binds the service account, TokenReview answers for it, and the token dies with its
# service account; tampered tokens and other issuers' are refused (401) without the token in any log.

load helpers/common

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
	export KUBECONFIG="$TMP/data/kubeconfig"
	K=("$KUBECTL" --request-timeout=10s --cache-dir "$TMP/cache")
	URL="https://127.0.0.1:$PORT"
	ADMIN=(curl -sS --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/data/pki/admin.crt" --key "$TMP/data/pki/admin.key")
}

teardown() {
	stop_cocoond
	rm -rf "$TMP"
}

# token_for NAMESPACE SA [REQUEST-JSON]: a token from the TokenRequest API.
token_for() {
	local request='{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}'
	[ -n "${3:-}" ] && request="$3"
	"${ADMIN[@]}" -H 'Content-Type: application/json' -d "$request" \
		"$URL/api/v1/namespaces/$1/serviceaccounts/$2/token" | jq -r .status.token
}

# with_token TOKEN kubectl-arguments...
with_token() {
	local token="$1"
	shift
	"$KUBECTL" --kubeconfig /dev/null --cache-dir "$TMP/cache-token" --request-timeout=10s --server "$URL" \
		--certificate-authority "$TMP/data/pki/ca.crt" --token "$token" "$@"
}

@test "service accounts: every namespace has a default account and the cluster CA in kube-root-ca.crt" {
	"${K[@]}" create namespace team
	"${K[@]}" get serviceaccount default -n team
	"${K[@]}" get configmap kube-root-ca.crt -n team -o jsonpath='{.data.ca\.crt}' >"$TMP/ca-published.crt"
	cmp "$TMP/ca-published.crt" "$TMP/data/pki/ca.crt"
	"${K[@]}" get configmap kube-root-ca.crt -n kube-system
}

@test "service accounts: a TokenRequest's token authenticates as the account, and RBAC binds the account" {
	"${K[@]}" create serviceaccount robot
	run "${ADMIN[@]}" -H 'Content-Type: application/json' \
		-d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":900}}' \
		"$URL/api/v1/namespaces/default/serviceaccounts/robot/token"
	echo "$output"
	[ "$(echo "$output" | jq -r .kind)" = TokenRequest ]
	[ "$(echo "$output" | jq -r .spec.expirationSeconds)" = 900 ]
	[ "$(echo "$output" | jq -r '.spec.audiences[0]')" = https://kubernetes.default.svc.cluster.local ]
	token="$(echo "$output" | jq -r .status.token)"
	# The claims, as kube-apiserver writes them.
	claims="$(echo "$token" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null || true)"
	echo "$claims"
	[ "$(echo "$claims" | jq -r .sub)" = system:serviceaccount:default:robot ]
	[ "$(echo "$claims" | jq -r '.["kubernetes.io"].serviceaccount.name')" = robot ]
	[ $(($(echo "$claims" | jq .exp) - $(echo "$claims" | jq .iat))) -eq 900 ]
	run with_token "$token" auth whoami -o json
	echo "$output"
	[ "$(echo "$output" | jq -r .status.userInfo.username)" = system:serviceaccount:default:robot ]
	[ "$(echo "$output" | jq -c .status.userInfo.groups)" = '["system:serviceaccounts","system:serviceaccounts:default","system:authenticated"]' ]
	[ "$(with_token "$token" auth can-i list pods)" = no ]
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: robot-view, namespace: default}
		subjects: [{kind: ServiceAccount, name: robot, namespace: default}]
		roleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}
	YAML
	[ "$(with_token "$token" auth can-i list pods)" = yes ]
	with_token "$token" get configmaps
	# TokenReview answers for it.
	run "${ADMIN[@]}" -H 'Content-Type: application/json' \
		-d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"spec\":{\"token\":\"$token\"}}" \
		"$URL/apis/authentication.k8s.io/v1/tokenreviews"
	[ "$(echo "$output" | jq .status.authenticated)" = true ]
	[ "$(echo "$output" | jq -r .status.user.username)" = system:serviceaccount:default:robot ]
	# The account goes: its tokens stop working at once.
	"${K[@]}" delete serviceaccount robot
	run with_token "$token" get configmaps
	[ "$status" -ne 0 ]
	[[ "$output" == *Unauthorized* ]]
	grep '"action":"api.authenticate"' "$TMP/data/events.jsonl" | grep -q 'the service account has been deleted'
	! grep -qF "$token" "$TMP/data/events.jsonl" "$TMP/data/audit.log" "$TMP/data.log"
}

@test "service accounts: tampered tokens, other audiences and bad requests are refused" {
	token="$(token_for default default)"
	[ -n "$token" ] && [ "$token" != null ]
	# Another namespace in the claims, the signature unchanged: refused.
	header="$(echo "$token" | cut -d. -f1)"
	sig="$(echo "$token" | cut -d. -f3)"
	payload="$(echo "$token" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -c '.sub = "system:serviceaccount:kube-system:default"' | base64 -w0 | tr '/+' '_-' | tr -d '=')"
	run curl -sS --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer $header.$payload.$sig" "$URL/api/v1/namespaces"
	[[ "$output" == *'"code":401'* ]]
	# A token for another audience authenticates nobody here.
	other="$(token_for default default '{"spec":{"audiences":["vault"]}}')"
	run curl -sS --cacert "$TMP/data/pki/ca.crt" -H "Authorization: Bearer $other" "$URL/api/v1/namespaces"
	[[ "$output" == *'"code":401'* ]]
	grep '"action":"api.authenticate"' "$TMP/data/events.jsonl" | grep -q 'not for this API server (audience)'
	# Too short a life, an unknown account, a pod that is not there.
	run "${ADMIN[@]}" -H 'Content-Type: application/json' -d '{"spec":{"expirationSeconds":60}}' \
		"$URL/api/v1/namespaces/default/serviceaccounts/default/token"
	[[ "$output" == *'"code":422'* && "$output" == *'may not specify a duration less than 10 minutes'* ]]
	run "${ADMIN[@]}" -H 'Content-Type: application/json' -d '{"spec":{}}' \
		"$URL/api/v1/namespaces/default/serviceaccounts/ghost/token"
	[[ "$output" == *'"code":404'* ]]
	run "${ADMIN[@]}" -H 'Content-Type: application/json' \
		-d '{"spec":{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"nope"}}}' \
		"$URL/api/v1/namespaces/default/serviceaccounts/default/token"
	[[ "$output" == *'"code":422'* && "$output" == *'pods \"nope\" not found'* ]]
}

@test "service accounts: a token bound to a pod dies with the pod; pods get the account and its volume" {
	"${K[@]}" run web --image=busybox --restart=Never
	run "${K[@]}" get pod web -o json
	[ "$(echo "$output" | jq -r .spec.serviceAccountName)" = default ]
	[ "$(echo "$output" | jq -r '.spec.volumes[0].name' | cut -c1-16)" = kube-api-access- ]
	[ "$(echo "$output" | jq -r '.spec.containers[0].volumeMounts[0].mountPath')" = /var/run/secrets/kubernetes.io/serviceaccount ]
	[ "$(echo "$output" | jq -r '.spec.volumes[0].projected.sources[0].serviceAccountToken.path')" = token ]
	uid="$(echo "$output" | jq -r .metadata.uid)"
	token="$(token_for default default "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"web\",\"uid\":\"$uid\"}}}")"
	run with_token "$token" auth whoami -o json
	[ "$(echo "$output" | jq -r '.status.userInfo.extra["authentication.kubernetes.io/pod-name"][0]')" = web ]
	"${K[@]}" delete pod web
	run with_token "$token" auth whoami
	[[ "$output" == *Unauthorized* ]]
	# An account that must not mount, and one that does not exist.
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: v1
		kind: ServiceAccount
		metadata: {name: quiet}
		automountServiceAccountToken: false
	YAML
	"${K[@]}" run q --image=busybox --restart=Never --overrides='{"spec":{"serviceAccountName":"quiet"}}'
	[ "$("${K[@]}" get pod q -o jsonpath='{.spec.volumes}')" = "" ]
	run "${K[@]}" run g --image=busybox --restart=Never --overrides='{"spec":{"serviceAccountName":"ghost"}}'
	[[ "$output" == *'error looking up service account default/ghost: serviceaccount "ghost" not found'* ]]
}
