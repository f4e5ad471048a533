#!/usr/bin/env bats
# Tenants on cocoond (issue 14): a Tenant (tenancy.cocoon.dev/v1alpha1) is a set of namespaces
# labelled tenancy.cocoon.dev/tenant=NAME with its owners, members and key broker tenant. Owners
# create namespaces that join their tenant and administer them; a tenant's users see and reach
# nothing of another tenant, whatever a binding says; the broker's admin API lets owners manage their
# broker tenant only. Real peers: cocoond, kubectl with client certificates of several users, the key
# broker with delegated authorization.

load helpers/common
load helpers/users
load helpers/keys

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
	export KUBECONFIG="$TMP/data/kubeconfig"
	K=("$KUBECTL" --request-timeout=10s --cache-dir "$TMP/cache")
	make_user alice acme-admins
	make_user dave
	make_user bob
	"${K[@]}" apply -f - >/dev/null <<-'YAML'
		apiVersion: tenancy.cocoon.dev/v1alpha1
		kind: Tenant
		metadata: {name: acme}
		spec:
		  owners: [{kind: Group, name: acme-admins}, {kind: ServiceAccount, name: acme-ops, namespace: default}]
		  members: [{kind: User, name: dave}]
		---
		apiVersion: tenancy.cocoon.dev/v1alpha1
		kind: Tenant
		metadata: {name: beta}
		spec:
		  owners: [{kind: User, name: bob}]
		  kbsTenant: beta-keys
		  namespaceQuota: 1
		YAML
}

teardown() {
	stop_kbs
	stop_cocoond
	rm -rf "$TMP"
}

# wait_until SECONDS COMMAND...: retries until the command succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

@test "tenancy: an owner's namespace joins the tenant, and the owners and members get their roles in it" {
	run as alice create namespace acme-dev
	[ "$status" -eq 0 ]
	run "${K[@]}" get namespace acme-dev -o jsonpath='{.metadata.labels.tenancy\.cocoon\.dev/tenant}'
	[ "$output" = acme ]
	# the controller's bindings: owners admin, members edit
	wait_until 10 "${K[@]}" -n acme-dev get rolebinding cocoon-tenant-members
	run as alice -n acme-dev create configmap settings --from-literal=a=1
	[ "$status" -eq 0 ]
	run as alice -n acme-dev create rolebinding readers --clusterrole view --user dave
	[ "$status" -eq 0 ]
	run as dave -n acme-dev create deployment web --image registry.example/web:1
	[ "$status" -eq 0 ]
	run as dave -n acme-dev create rolebinding more --clusterrole admin --user dave
	[ "$status" -ne 0 ]
	# owners read and delete their namespace itself; members do not
	run as alice get namespace acme-dev
	[ "$status" -eq 0 ]
	run as dave delete namespace acme-dev
	[ "$status" -ne 0 ]
	# the Tenant's status and table
	wait_until 10 sh -c "'$KUBECTL' get tenant acme -o jsonpath='{.status.namespaces}' | grep -q acme-dev"
	run "${K[@]}" get tenants
	echo "$output"
	[[ "${lines[0]}" == *NAME*NAMESPACES*"KBS TENANT"*AGE* ]]
	[[ "$output" == *"acme "*1*acme* ]]
	[[ "$output" == *"beta "*0*beta-keys* ]]
	run as alice delete namespace acme-dev
	[ "$status" -eq 0 ]
}

@test "tenancy: a tenant's users see only their tenant's namespaces and Tenants" {
	as alice create namespace acme-dev
	as bob create namespace beta-dev
	"${K[@]}" create namespace shared
	run as alice get namespaces -o name
	echo "$output"
	[ "$output" = "namespace/acme-dev" ]
	run as bob get namespaces -o name
	[ "$output" = "namespace/beta-dev" ]
	run as alice get tenants -o name
	[ "$output" = "tenant.tenancy.cocoon.dev/acme" ]
	run as alice get tenant beta
	[ "$status" -ne 0 ]
	# a cluster administrator sees everything
	run "${K[@]}" get namespaces -o name
	[[ "$output" == *acme-dev* && "$output" == *beta-dev* && "$output" == *shared* ]]
	# a watch is narrowed the same way
	as alice get namespaces --watch-only -o name >"$TMP/watch" 2>&1 &
	local watcher=$!
	sleep 1
	"${K[@]}" label namespace beta-dev touched=yes >/dev/null
	"${K[@]}" label namespace acme-dev touched=yes >/dev/null
	sleep 1
	kill "$watcher" 2>/dev/null || true
	wait "$watcher" 2>/dev/null || true
	cat "$TMP/watch"
	grep -q acme-dev "$TMP/watch" # the relabel's event, not an initial list
	! grep -q beta-dev "$TMP/watch" || false
	# pages of a list across namespaces neither count nor name what is hidden
	"${K[@]}" -n beta-dev create configmap beta-1 --from-literal=a=1 >/dev/null
	"${K[@]}" -n acme-dev create configmap acme-1 --from-literal=a=1 >/dev/null
	"${K[@]}" create clusterrolebinding bob-view-all --clusterrole view --user bob >/dev/null
	local token="" names=""
	for _ in $(seq 1 20); do
		run as bob get --raw "/api/v1/configmaps?limit=1${token:+&continue=$token}"
		[ "$status" -eq 0 ]
		[[ "$output" != *acme* ]]
		names="$names $(echo "$output" | jq -r '.items[].metadata.name')"
		token="$(echo "$output" | jq -r '.metadata.continue // empty')"
		[ -n "$token" ] || break
	done
	[[ "$names" == *beta-1* ]]
	# a tenant user may list its namespaces, and kubectl auth can-i says so
	run as alice auth can-i list namespaces
	echo "$output"
	[ "${lines[-1]}" = yes ]
}

@test "tenancy: the tenant boundary holds against a binding into another tenant, with the reason audited" {
	as alice create namespace acme-dev
	as bob create namespace beta-dev
	"${K[@]}" -n acme-dev create configmap ledger --from-literal=total=42
	# an administrator's mistake: bob bound to view in acme's namespace, and cluster-wide
	"${K[@]}" -n acme-dev create rolebinding bob-view --clusterrole view --user bob
	"${K[@]}" create clusterrolebinding bob-view-all --clusterrole view --user bob
	run as bob -n acme-dev get configmap ledger
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'tenant boundary: user \"bob\" belongs to tenant(s) [\"beta\"], and the request reaches another tenant'* ||
		"$output" == *'tenant boundary: user "bob" belongs to tenant(s) ["beta"], and the request reaches another tenant'* ]]
	# the refusal does not say whose namespace it is
	[[ "$output" != *'"acme"'* && "$output" != *'\"acme\"'* ]]
	# `kubectl auth can-i` says what the request meets, and why
	run "${K[@]}" auth can-i get configmaps -n acme-dev --as bob
	echo "$output"
	[[ "$output" == 'no - tenant boundary: user "bob" belongs to tenant(s) ["beta"]'* ]]
	run "${K[@]}" auth can-i get configmaps -n beta-dev --as bob
	[ "$output" = yes ]
	# a tenant user who may impersonate cannot leave the boundary by impersonating someone outside
	"${K[@]}" create clusterrole impersonator --verb=impersonate --resource=users,groups,serviceaccounts
	"${K[@]}" create clusterrolebinding bob-impersonates --clusterrole impersonator --user bob
	run as bob -n acme-dev get configmap ledger --as dave
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"may impersonate only users of its own tenants"* ]]
	# a list across namespaces shows bob's tenant's objects only
	"${K[@]}" -n beta-dev create configmap beta-settings --from-literal=a=1
	run as bob get configmaps -A -o name
	echo "$output"
	[[ "$output" == *beta-settings* ]]
	[[ "$output" != *ledger* ]]
	# namespaces of no tenant stay reachable through RBAC
	run as bob -n default get configmaps
	[ "$status" -eq 0 ]
	# the decision is a security event with the reason, allowed ones too
	grep '"action":"api.authorize"' "$TMP/data/events.jsonl" | grep '"verdict":"deny"' | grep -q 'tenant boundary'
}

@test "tenancy: a service account of a tenant's namespace is the tenant's, an owner account administers it" {
	as alice create namespace acme-dev
	as bob create namespace beta-dev
	"${K[@]}" -n acme-dev create serviceaccount worker
	"${K[@]}" create clusterrolebinding worker-view --clusterrole view --serviceaccount acme-dev:worker
	local token
	token="$("${K[@]}" -n acme-dev create token worker)"
	run "${K[@]}" --token "$token" --kubeconfig /dev/null --server "https://127.0.0.1:$PORT" \
		--certificate-authority "$TMP/data/pki/ca.crt" -n beta-dev get pods
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"tenant boundary"* ]]
	run "${K[@]}" --token "$token" --kubeconfig /dev/null --server "https://127.0.0.1:$PORT" \
		--certificate-authority "$TMP/data/pki/ca.crt" -n acme-dev get pods
	[ "$status" -eq 0 ]
	# default/acme-ops is an owner: it administers acme's namespaces
	"${K[@]}" create serviceaccount acme-ops
	wait_until 10 "${K[@]}" -n acme-dev get rolebinding cocoon-tenant-owners
	token="$("${K[@]}" create token acme-ops)"
	run "${K[@]}" --token "$token" --kubeconfig /dev/null --server "https://127.0.0.1:$PORT" \
		--certificate-authority "$TMP/data/pki/ca.crt" -n acme-dev create configmap from-ops --from-literal=a=1
	[ "$status" -eq 0 ]
}

@test "tenancy: who may put a namespace in a tenant, take it out, and the namespace quota" {
	# not an owner
	run as bob create -f - <<-'YAML'
		apiVersion: v1
		kind: Namespace
		metadata: {name: sneaky, labels: {tenancy.cocoon.dev/tenant: acme}}
		YAML
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'may not put namespaces in tenant \"acme\"'* || "$output" == *'may not put namespaces in tenant "acme"'* ]]
	# a tenant that does not exist
	run "${K[@]}" create -f - <<-'YAML'
		apiVersion: v1
		kind: Namespace
		metadata: {name: lost, labels: {tenancy.cocoon.dev/tenant: nowhere}}
		YAML
	[ "$status" -ne 0 ]
	[[ "$output" == *'tenant \"nowhere\" does not exist'* || "$output" == *'tenant "nowhere" does not exist'* ]]
	# beta's quota is one namespace
	run as bob create namespace beta-one
	[ "$status" -eq 0 ]
	run as bob create namespace beta-two
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"namespace quota (1)"* ]]
	# an owner may not pull an existing namespace into its tenant, even where it may update it
	"${K[@]}" create namespace legacy
	"${K[@]}" -n legacy create rolebinding bob-admin --clusterrole admin --user bob
	"${K[@]}" create clusterrole ns-updater --verb=get,update,patch --resource=namespaces
	"${K[@]}" -n legacy create rolebinding bob-ns --clusterrole ns-updater --user bob
	run as bob label namespace legacy tenancy.cocoon.dev/tenant=beta
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"may not move an existing namespace into tenant"* ]]
	# a broker tenant belongs to one Tenant, and never the node's own
	run "${K[@]}" apply -f - <<-'YAML'
		apiVersion: tenancy.cocoon.dev/v1alpha1
		kind: Tenant
		metadata: {name: gamma}
		spec: {kbsTenant: beta-keys}
		YAML
	[ "$status" -ne 0 ]
	[[ "$output" == *"is tenant \"beta\"'s already"* || "$output" == *'is tenant "beta"'"'"'s already'* ]]
	run "${K[@]}" apply -f - <<-'YAML'
		apiVersion: tenancy.cocoon.dev/v1alpha1
		kind: Tenant
		metadata: {name: default}
		YAML
	[ "$status" -ne 0 ]
	[[ "$output" == *"the node's own"* ]]
	# an administrator moves a namespace between tenants; the bindings follow it
	"${K[@]}" create namespace plain
	"${K[@]}" label namespace plain tenancy.cocoon.dev/tenant=acme
	wait_until 10 "${K[@]}" -n plain get rolebinding cocoon-tenant-owners
	"${K[@]}" label namespace plain tenancy.cocoon.dev/tenant-
	wait_until 10 sh -c "! '$KUBECTL' -n plain get rolebinding cocoon-tenant-owners"
	run as alice -n plain get configmaps
	[ "$status" -ne 0 ]
	grep '"action":"tenant.namespace"' "$TMP/data/events.jsonl" | grep -q '"verdict":"deny"'
	grep '"action":"tenant.namespace"' "$TMP/data/events.jsonl" | grep '"verdict":"allow"' | grep -q 'joins tenant'
}

@test "tenancy: a Tenant with namespaces is not deleted; its roles go with it; edited bindings come back" {
	as alice create namespace acme-dev
	wait_until 10 "${K[@]}" -n acme-dev get rolebinding cocoon-tenant-owners
	"${K[@]}" -n acme-dev delete rolebinding cocoon-tenant-owners
	wait_until 10 "${K[@]}" -n acme-dev get rolebinding cocoon-tenant-owners
	"${K[@]}" -n acme-dev patch rolebinding cocoon-tenant-owners --type merge -p '{"subjects":[{"kind":"User","name":"mallory","apiGroup":"rbac.authorization.k8s.io"}]}'
	wait_until 10 sh -c "'$KUBECTL' -n acme-dev get rolebinding cocoon-tenant-owners -o jsonpath='{.subjects[0].name}' | grep -qx acme-admins"
	run "${K[@]}" delete tenant acme
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"still has 1 namespace(s)"* ]]
	run "${K[@]}" delete tenants --all
	[ "$status" -ne 0 ]
	"${K[@]}" get tenant acme
	"${K[@]}" delete namespace acme-dev
	"${K[@]}" delete tenant acme
	wait_until 10 sh -c "! '$KUBECTL' get clusterrole cocoon:tenant:acme"
	run "${K[@]}" get clusterrolebinding cocoon:tenant:acme
	[ "$status" -ne 0 ]
}

@test "tenancy: bad Tenants are refused naming the field" {
	run "${K[@]}" create -f - <<-'YAML'
		apiVersion: tenancy.cocoon.dev/v1alpha1
		kind: Tenant
		metadata: {name: Bad_Name}
		spec:
		  owners: [{kind: Robot, name: r2}, {kind: ServiceAccount, name: sa}]
		  kbsTenant: "no/slashes"
		  namespaceQuota: -1
		YAML
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *metadata.name* ]]
	[[ "$output" == *"spec.owners[0].kind"* ]]
	[[ "$output" == *"spec.owners[1].namespace"* ]]
	[[ "$output" == *spec.kbsTenant* ]]
	[[ "$output" == *spec.namespaceQuota* ]]
	run "${K[@]}" explain tenant.spec.kbsTenant
	[ "$status" -eq 0 ]
	[[ "$output" == *"key broker tenant"* ]]
}

@test "tenancy: owners administer their key broker tenant through the broker's delegated admin API, no other" {
	start_kbs "$TMP" --events "$TMP/kbs-events.jsonl" --delegate-url "https://127.0.0.1:$PORT" \
		--delegate-ca "$TMP/data/pki/ca.crt" --delegate-cert "$TMP/data/pki/admin.crt" \
		--delegate-key "$TMP/data/pki/admin.key"
	"${K[@]}" create serviceaccount acme-ops
	wait_until 10 "${K[@]}" get clusterrolebinding cocoon:tenant:acme
	local token
	token="$("${K[@]}" create token acme-ops)"
	printf 'rules:\n- {claim: tee, equals: tpm}\n' >"$TMP/policy.yaml"
	run curl -s --cacert "$TMP/pki/ca.crt" -H "Authorization: Bearer $token" -X PUT \
		"$KBS_URL/kbs/v0/admin/acme/policy" --data-binary "@$TMP/policy.yaml" -w '\n%{http_code}\n'
	[ "${lines[-1]}" = 204 ]
	run curl -s --cacert "$TMP/pki/ca.crt" -H "Authorization: Bearer $token" -X PUT \
		"$KBS_URL/kbs/v0/admin/beta-keys/policy" --data-binary "@$TMP/policy.yaml" -w '\n%{http_code}\n'
	[ "${lines[-1]}" = 403 ]
	run curl -s --cacert "$TMP/pki/ca.crt" -H "Authorization: Bearer $token" \
		"$KBS_URL/kbs/v0/admin/acme/resources" -w '\n%{http_code}\n'
	[ "${lines[-1]}" = 200 ]
}
