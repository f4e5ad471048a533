#!/usr/bin/env bats
# The key broker's admin API under the platform's identity (issue 14): with --delegate-url, a bearer
# token is authenticated by cocoond's TokenReview and each request authorized by its
# SubjectAccessReview against RBAC on tenants.kbs.cocoon.dev, as Kubernetes' extension API servers
# delegate to kube-apiserver. Real peers: cocoond, kubectl (the RBAC objects, TokenRequest), the
# key broker. Client certificates keep working beside it.

load helpers/common
load helpers/keys

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	TMP="$(mktemp -d)"
	DATA="$TMP/platform"
	PORT="$(free_port)"
	start_cocoond "$DATA" "$PORT"
	export KUBECONFIG="$DATA/kubeconfig"
	start_kbs "$TMP" --events "$TMP/kbs-events.jsonl" --delegate-url "https://127.0.0.1:$PORT" \
		--delegate-ca "$DATA/pki/ca.crt" --delegate-cert "$DATA/pki/admin.crt" --delegate-key "$DATA/pki/admin.key"
	# acme's administrator: a service account that RBAC lets manage tenant acme's policy and secrets
	"$KUBECTL" create serviceaccount acme-admin >/dev/null
	"$KUBECTL" apply -f - >/dev/null <<-EOF
	apiVersion: rbac.authorization.k8s.io/v1
	kind: ClusterRole
	metadata: {name: kbs-tenant-acme}
	rules:
	- apiGroups: [kbs.cocoon.dev]
	  resources: [tenants/policy, tenants/resources]
	  resourceNames: [acme]
	  verbs: [get, update, delete]
	---
	apiVersion: rbac.authorization.k8s.io/v1
	kind: ClusterRoleBinding
	metadata: {name: kbs-tenant-acme}
	roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kbs-tenant-acme}
	subjects: [{kind: ServiceAccount, name: acme-admin, namespace: default}]
	EOF
	TOKEN="$("$KUBECTL" create token acme-admin)"
}

teardown() {
	stop_kbs
	stop_cocoond
	rm -rf "$TMP"
}

# as_token METHOD PATH [curl args]: the admin API with the bearer token, no client certificate
as_token() {
	local method="$1" path="$2"
	shift 2
	curl -s --cacert "$TMP/pki/ca.crt" -H "Authorization: Bearer ${BEARER:-$TOKEN}" -X "$method" \
		"$KBS_URL/kbs/v0/admin/$path" -w '\n%{http_code}\n' "$@"
}

@test "kbs delegate: RBAC on the platform decides who administers a tenant with a bearer token" {
	printf 'rules:\n- {claim: tee, equals: tpm}\n' >"$TMP/policy.yaml"
	run as_token PUT acme/policy --data-binary "@$TMP/policy.yaml"
	[ "${lines[-1]}" = 204 ]
	run as_token GET acme/policy
	[ "${lines[-1]}" = 200 ]
	[[ "$output" == *'"tee"'* ]]
	run as_token PUT acme/resource/app/db/password --data-binary 'db-password-1'
	[ "${lines[-1]}" = 204 ]
	# another tenant, and a subresource the role leaves out, are refused with RBAC's answer
	run as_token PUT other/policy --data-binary "@$TMP/policy.yaml"
	echo "$output"
	[ "${lines[-1]}" = 403 ]
	[[ "$output" == *"system:serviceaccount:default:acme-admin update tenants/other/policy"* ]]
	run as_token PUT acme/node/n1 --data-binary 'x'
	[ "${lines[-1]}" = 403 ]
	# every decision is an event naming the user the platform vouched for; the token never appears
	grep '"action":"kbs.admin.write"' "$TMP/kbs-events.jsonl" | grep '"verdict":"allow"' |
		grep -q '"actor":"system:serviceaccount:default:acme-admin"'
	grep '"verdict":"deny"' "$TMP/kbs-events.jsonl" | grep -q 'tenants/other/policy'
	! grep -qF "$TOKEN" "$TMP/kbs-events.jsonl" "$TMP/kbs.log" || false
	# the role's change on the platform is the broker's at once: no copy to keep in step
	"$KUBECTL" delete clusterrolebinding kbs-tenant-acme >/dev/null
	run as_token GET acme/policy
	[ "${lines[-1]}" = 403 ]
}

@test "kbs delegate: a token the platform does not know is 401; client certificates still work; a platform down refuses" {
	BEARER=not-a-token run as_token GET acme/policy
	[ "${lines[-1]}" = 401 ]
	[[ "$output" == *"did not authenticate"* ]]
	run curl -s --cacert "$TMP/pki/ca.crt" -w '\n%{http_code}\n' "$KBS_URL/kbs/v0/admin/acme/policy"
	[ "${lines[-1]}" = 401 ]
	[[ "$output" == *"client certificate or a bearer token"* ]]
	printf 'rules:\n- {claim: tee, equals: tpm}\n' | kbs_admin PUT acme/policy --data-binary @- | tail -1 | grep -qx 204
	# fail closed: without the platform nobody is let in by a token
	stop_cocoond
	run as_token GET acme/policy
	echo "$output"
	[ "${lines[-1]}" = 503 ]
	[[ "$output" == *"cannot be asked"* ]]
	run "$COCOON" kbs serve --listen 127.0.0.1:1 --cert x --key x --client-ca x --root-key x --token-key x \
		--delegate-url http://127.0.0.1:1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--delegate-url needs an https URL"* ]]
}
