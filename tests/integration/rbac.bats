#!/usr/bin/env bats
# RBAC on cocoond (issue 14), driven by the real kubectl with client certificates of several users:
# the examples of the Kubernetes documentation (a Role and RoleBinding, a ClusterRole bound in one
# namespace, resourceNames, subresources, non-resource URLs), the default roles and their
# aggregation, the escalation check, impersonation, `kubectl auth can-i [--list] [--as]` and
# `kubectl auth whoami`. kubectl is not a Debian package: the tests skip where it is absent.

load helpers/common
load helpers/users

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
	export KUBECONFIG="$TMP/data/kubeconfig"
	K=("$KUBECTL" --request-timeout=10s --cache-dir "$TMP/cache")
	make_user jane
	make_user dave developers
}

teardown() {
	stop_cocoond
	rm -rf "$TMP"
}

@test "rbac: a Role and RoleBinding grant what they say in their namespace, nothing more" {
	"${K[@]}" create namespace other
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: Role
		metadata: {namespace: default, name: pod-reader}
		rules:
		- apiGroups: [""]
		  resources: ["pods"]
		  verbs: ["get", "watch", "list"]
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: read-pods, namespace: default}
		subjects:
		- {kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}
		roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
	YAML
	"${K[@]}" run web --image=busybox
	as jane get pods
	as jane get pod web -o name
	run as jane get pods -n other
	[ "$status" -ne 0 ]
	[[ "$output" == *'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "other"'* ]]
	run as jane delete pod web
	[[ "$output" == *'pods "web" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"'* ]]
	run as jane get configmaps
	[ "$status" -ne 0 ]
	[ "$(as jane auth can-i watch pods)" = yes ]
	[ "$(as jane auth can-i watch pods -n other)" = no ]
	# --list is SelfSubjectRulesReview: the role's rule, and the defaults every user has.
	run as jane auth can-i --list -n default
	echo "$output"
	[[ "$output" == *"pods "*"[get watch list]"* ]]
	[[ "$output" == *"selfsubjectaccessreviews.authorization.k8s.io"*"[create]"* ]]
	[[ "$output" == *"/api/*"*"[get]"* ]]
	# The RoleBinding goes: so does the access.
	"${K[@]}" delete rolebinding read-pods
	run as jane get pods
	[ "$status" -ne 0 ]
}

@test "rbac: groups, resourceNames, subresources and a ClusterRole bound in one namespace" {
	"${K[@]}" create configmap allowed --from-literal=a=b
	"${K[@]}" create configmap hidden --from-literal=a=b
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRole
		metadata: {name: one-configmap}
		rules:
		- {apiGroups: [""], resources: ["configmaps"], resourceNames: ["allowed"], verbs: ["get", "update"]}
		- {apiGroups: [""], resources: ["pods/log"], verbs: ["get"]}
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: developers-one-configmap, namespace: default}
		subjects: [{kind: Group, name: developers, apiGroup: rbac.authorization.k8s.io}]
		roleRef: {kind: ClusterRole, name: one-configmap, apiGroup: rbac.authorization.k8s.io}
	YAML
	as dave get configmap allowed -o name
	run as dave get configmap hidden
	[[ "$output" == *'configmaps "hidden" is forbidden: User "dave" cannot get resource "configmaps"'* ]]
	run as dave get configmaps
	[ "$status" -ne 0 ]
	[ "$(as dave auth can-i get pods --subresource=log)" = yes ]
	[ "$(as dave auth can-i get pods)" = no ]
	# Bound in default only: the ClusterRole grants nothing in kube-system.
	[ "$(as dave auth can-i get configmap/allowed -n kube-system)" = no ]
	# The reason names the binding that allowed it, in the security event.
	grep '"action":"api.authorize"' "$TMP/data/events.jsonl" | grep '"actor":"dave"' |
		grep -q 'RBAC: allowed by RoleBinding \\"developers-one-configmap/default\\" of ClusterRole \\"one-configmap\\" to Group \\"developers\\"'
}

@test "rbac: the default roles: admin, edit and view aggregate, and a new role joins them by its label" {
	run "${K[@]}" get clusterroles cluster-admin admin edit view system:discovery system:basic-user -o name
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 6 ]
	run "${K[@]}" get clusterrole view -o json
	[[ "$(echo "$output" | jq '.rules | length')" -gt 5 ]]
	"${K[@]}" get clusterrole admin -o json | jq -e '.rules[] | select(.resources | index("rolebindings"))' >/dev/null
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRole
		metadata:
		  name: widgets-view
		  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
		rules:
		- {apiGroups: ["example.com"], resources: ["widgets"], verbs: ["get", "list"]}
	YAML
	for _ in $(seq 1 50); do
		"${K[@]}" get clusterrole admin -o json | jq -e '.rules[] | select(.resources | index("widgets"))' \
			>/dev/null && break
		sleep 0.1
	done
	# view, then edit (labelled to view's... edit aggregates to admin), then admin have it.
	for role in view edit admin; do
		"${K[@]}" get clusterrole "$role" -o json | jq -e '.rules[] | select(.resources | index("widgets"))' >/dev/null
	done
	# kubectl auth whoami reads SelfSubjectReview.
	run as dave auth whoami -o json
	echo "$output"
	[ "$(echo "$output" | jq -r .status.userInfo.username)" = dave ]
	[ "$(echo "$output" | jq -c .status.userInfo.groups)" = '["developers","system:authenticated"]' ]
}

@test "rbac: nobody grants what they do not hold: roles and bindings beyond the creator's rights are refused" {
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: Role
		metadata: {namespace: default, name: rbac-manager}
		rules:
		- {apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: ["get", "list", "create", "update", "patch", "delete"]}
		- {apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"]}
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: jane-rbac-manager, namespace: default}
		subjects: [{kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}]
		roleRef: {kind: Role, name: rbac-manager, apiGroup: rbac.authorization.k8s.io}
	YAML
	cat >"$TMP/secrets-role.yaml" <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: Role
		metadata: {namespace: default, name: secret-reader}
		rules:
		- {apiGroups: [""], resources: ["secrets"], verbs: ["get"]}
	YAML
	run as jane apply -f "$TMP/secrets-role.yaml"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:'* ]]
	[[ "$output" == *'{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}'* ]]
	# What she holds she may pass on.
	as jane apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: Role
		metadata: {namespace: default, name: configmap-reader}
		rules:
		- {apiGroups: [""], resources: ["configmaps"], verbs: ["get"]}
	YAML
	# A binding to a role beyond her rights is refused; with `bind` on that role it is allowed.
	cat >"$TMP/bind-admin.yaml" <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: dave-admin, namespace: default}
		subjects: [{kind: User, name: dave, apiGroup: rbac.authorization.k8s.io}]
		roleRef: {kind: ClusterRole, name: admin, apiGroup: rbac.authorization.k8s.io}
	YAML
	run as jane apply -f "$TMP/bind-admin.yaml"
	[ "$status" -ne 0 ]
	[[ "$output" == *'is attempting to grant RBAC permissions not currently held'* ]]
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRole
		metadata: {name: bind-admin}
		rules:
		- {apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["admin"]}
		---
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: jane-bind-admin, namespace: default}
		subjects: [{kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}]
		roleRef: {kind: ClusterRole, name: bind-admin, apiGroup: rbac.authorization.k8s.io}
	YAML
	as jane apply -f "$TMP/bind-admin.yaml"
	[ "$(as dave auth can-i delete deployments)" = yes ]
}

@test "rbac: impersonation needs the impersonate verb; kubectl --as and auth can-i --as work for administrators" {
	[ "$("${K[@]}" auth can-i list pods --as dave)" = no ]
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: developers-view, namespace: default}
		subjects: [{kind: Group, name: developers, apiGroup: rbac.authorization.k8s.io}]
		roleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}
	YAML
	[ "$("${K[@]}" auth can-i list pods --as dave)" = no ]
	[ "$("${K[@]}" auth can-i list pods --as dave --as-group developers)" = yes ]
	run "${K[@]}" get pods --as dave --as-group developers
	[ "$status" -eq 0 ]
	# jane may not impersonate: refused, in kube-apiserver's words.
	run as jane get pods --as admin
	[ "$status" -ne 0 ]
	[[ "$output" == *'Forbidden'* ]]
	run curl -sS --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/jane.crt" --key "$TMP/jane.key" \
		-H 'Impersonate-User: admin' "https://127.0.0.1:$PORT/api/v1/namespaces/default/pods"
	echo "$output"
	[[ "$output" == *'users \"admin\" is forbidden: User \"jane\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope'* ]]
	# A SubjectAccessReview asks about someone else (administrators only, by the defaults).
	run curl -sS --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/data/pki/admin.crt" --key "$TMP/data/pki/admin.key" \
		-H 'Content-Type: application/json' \
		-d '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"dave","groups":["developers"],"resourceAttributes":{"namespace":"default","verb":"list","resource":"pods"}}}' \
		"https://127.0.0.1:$PORT/apis/authorization.k8s.io/v1/subjectaccessreviews"
	echo "$output"
	[ "$(echo "$output" | jq .status.allowed)" = true ]
	[[ "$(echo "$output" | jq -r .status.reason)" == *'RoleBinding "developers-view/default" of ClusterRole "view" to Group "developers"'* ]]
}

@test "rbac: non-resource URLs: health for every user, /metrics for system:monitoring; no credentials is 401" {
	make_user prom system:monitoring
	curl_as() {
		local name="$1"
		shift
		curl -sS -o /dev/null -w '%{http_code}' --cacert "$TMP/data/pki/ca.crt" --cert "$TMP/$name.crt" \
			--key "$TMP/$name.key" "$@"
	}
	[ "$(curl_as jane "https://127.0.0.1:$PORT/readyz")" = 200 ]
	[ "$(curl_as jane "https://127.0.0.1:$PORT/version")" = 200 ]
	[ "$(curl_as jane "https://127.0.0.1:$PORT/metrics")" = 403 ]
	[ "$(curl_as prom "https://127.0.0.1:$PORT/metrics")" = 200 ]
	run curl -sS --cacert "$TMP/data/pki/ca.crt" "https://127.0.0.1:$PORT/api/v1/namespaces"
	echo "$output"
	[[ "$output" == *'"code":401'* && "$output" == *'"reason":"Unauthorized"'* ]]
	run curl -sS --cacert "$TMP/data/pki/ca.crt" -H 'Authorization: Bearer not-a-token' \
		"https://127.0.0.1:$PORT/readyz"
	[[ "$output" == *'"code":401'* ]]
	# Why is in the security event, never the token.
	grep '"action":"api.authenticate"' "$TMP/data/events.jsonl" | grep -q '"verdict":"deny"'
	! grep -q 'not-a-token' "$TMP/data/events.jsonl" "$TMP/data/audit.log"
}

@test "rbac: roles and bindings are validated as kube-apiserver validates them; a roleRef cannot change" {
	run "${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: Role
		metadata: {namespace: default, name: bad}
		rules:
		- {nonResourceURLs: ["/metrics"], verbs: ["get"]}
		- {apiGroups: [""], resources: ["pods"]}
		- {resources: ["pods"], verbs: ["get"]}
	YAML
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'rules[0].nonResourceURLs: Invalid value: namespaced rules cannot apply to non-resource URLs'* ]]
	[[ "$output" == *'rules[1].verbs: Required value'* ]]
	[[ "$output" == *'rules[2].apiGroups: Required value: resource rules must supply at least one api group'* ]]
	run "${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: ClusterRoleBinding
		metadata: {name: bad}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: x}
		subjects: [{kind: ServiceAccount, name: robot}, {kind: Robot, name: r2}]
	YAML
	echo "$output"
	[[ "$output" == *'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"'* ]]
	[[ "$output" == *'subjects[0].namespace: Required value'* ]]
	[[ "$output" == *'subjects[1].kind: Unsupported value: "Robot"'* ]]
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: b, namespace: default}
		roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
		subjects: [{kind: User, name: jane}]
	YAML
	run "${K[@]}" patch rolebinding b --type merge -p '{"roleRef":{"name":"edit"}}'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'roleRef: Invalid value: cannot change roleRef'* ]]
}
