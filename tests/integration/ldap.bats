#!/usr/bin/env bats
# Groups from the company directory (issue 14) against a real OpenLDAP server started by the test
# (Debian's slapd, StartTLS with its own CA; tests/integration/helpers/ldap.bash): a user
# authenticated by a client certificate gets the directory's groups (memberOf, or a group search),
# RBAC binds them, answers are cached for a time, a filter cannot be injected through a name, and a
# directory that cannot answer refuses the request (or, when configured so, leaves the user without
# its groups).

load helpers/common
load helpers/users
load helpers/ldap

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup() {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	[ -x /usr/sbin/slapd ] || skip "slapd is not installed (scripts/install-deps installs it)"
	TMP="$(mktemp -d)"
	LDAP_PORT="$(free_port)"
	start_ldap "$TMP/ldap" "$LDAP_PORT"
	write_config memberOf
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT" --ldap-config "$TMP/ldap.yaml"
	export KUBECONFIG="$TMP/data/kubeconfig"
	K=("$KUBECTL" --request-timeout=10s --cache-dir "$TMP/cache")
}

teardown() {
	stop_cocoond
	stop_ldap
	rm -rf "$TMP"
}

# write_config memberOf|search [onError] [cacheSeconds]
write_config() {
	{
		echo "url: ldap://127.0.0.1:$LDAP_PORT"
		echo "startTLS: true"
		echo "certificateAuthority: $TMP/ldap/ca.crt"
		echo "bindDN: cn=cocoond,ou=people,dc=example,dc=com"
		echo "bindPasswordFile: $TMP/ldap/bind.password"
		echo "userSearch: {baseDN: 'ou=people,dc=example,dc=com', filter: '(uid={username})'}"
		if [ "$1" = search ]; then
			echo "groups: {from: search, baseDN: 'ou=groups,dc=example,dc=com', filter: '(member={dn})', nameAttribute: cn, prefix: 'ldap:'}"
		else
			echo "groups: {from: memberOf, prefix: 'ldap:'}"
		fi
		echo "users: [x509, oidc]"
		echo "onError: ${2:-deny}"
		echo "cacheSeconds: ${3:-300}"
	} >"$TMP/ldap.yaml"
}

groups_of() {
	as "$1" auth whoami -o json | jq -c .status.userInfo.groups
}

@test "ldap: a user gets the directory's groups (memberOf), and RBAC binds them" {
	make_user alice
	make_user bob
	[ "$(groups_of alice)" = '["ldap:payments-admins","ldap:auditors","system:authenticated"]' ]
	[ "$(groups_of bob)" = '["system:authenticated"]' ]
	"${K[@]}" apply -f - <<-'YAML'
		apiVersion: rbac.authorization.k8s.io/v1
		kind: RoleBinding
		metadata: {name: payments-admins, namespace: default}
		subjects: [{kind: Group, name: "ldap:payments-admins", apiGroup: rbac.authorization.k8s.io}]
		roleRef: {kind: ClusterRole, name: admin, apiGroup: rbac.authorization.k8s.io}
	YAML
	[ "$(as alice auth can-i delete deployments)" = yes ]
	[ "$(as bob auth can-i delete deployments)" = no ]
	# The bind password is never in a log.
	! grep -q bindpw "$TMP/data.log" "$TMP/data/events.jsonl" "$TMP/data/audit.log"
}

@test "ldap: groups by a search for the user's DN; a name cannot widen the filter" {
	stop_cocoond
	write_config search
	start_cocoond "$TMP/data" "$PORT" --ldap-config "$TMP/ldap.yaml"
	make_user alice
	run groups_of alice
	echo "$output"
	[ "$(echo "$output" | jq -c sort)" = '["ldap:auditors","ldap:payments-admins","system:authenticated"]' ]
	# A certificate named `*` would match everyone in an unescaped filter; escaped, nobody.
	make_user '*'
	[ "$(groups_of '*')" = '["system:authenticated"]' ]
	make_user 'x)(uid=alice'
	[ "$(groups_of 'x)(uid=alice')" = '["system:authenticated"]' ]
}

@test "ldap: answers are cached; a directory that cannot answer refuses new users, or not when told" {
	stop_cocoond
	write_config memberOf deny 300
	start_cocoond "$TMP/data" "$PORT" --ldap-config "$TMP/ldap.yaml"
	make_user alice
	make_user bob
	[ "$(groups_of alice)" = '["ldap:payments-admins","ldap:auditors","system:authenticated"]' ]
	stop_ldap
	# alice's groups are cached; bob was never asked for: refused, and the event says why.
	[ "$(groups_of alice)" = '["ldap:payments-admins","ldap:auditors","system:authenticated"]' ]
	run as bob auth whoami
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *Unauthorized* ]]
	grep '"action":"api.authenticate"' "$TMP/data/events.jsonl" | grep -q "the directory could not be asked for the user's groups"
	# onError: allow lets bob in without directory groups.
	stop_cocoond
	write_config memberOf allow 300
	start_cocoond "$TMP/data" "$PORT" --ldap-config "$TMP/ldap.yaml"
	[ "$(groups_of bob)" = '["system:authenticated"]' ]
}

@test "ldap: a configuration without TLS, or missing what it needs, is refused at start" {
	stop_cocoond
	sed '/startTLS/d' "$TMP/ldap.yaml" >"$TMP/plain.yaml"
	run "$COCOOND" --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" --no-pods --ldap-config "$TMP/plain.yaml"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'url: a directory is reached over TLS only'* ]]
	sed '/userSearch/d' "$TMP/ldap.yaml" >"$TMP/nousers.yaml"
	run "$COCOOND" --data-dir "$TMP/data" --listen "127.0.0.1:$PORT" --no-pods --ldap-config "$TMP/nousers.yaml"
	[[ "$output" == *'userSearch.baseDN: Required value'* ]]
}
