# A real OpenLDAP directory for the tests (Debian's slapd, started by the test, StartTLS with a CA of
# its own): dc=example,dc=com with the people alice and bob, the service account cocoond (password
# bindpw), and the groups payments-admins and auditors (alice in both), the memberof overlay keeping
# each person's memberOf. Stopped by PID.

# start_ldap DIR PORT
start_ldap() {
	local dir="$1" port="$2"
	mkdir -p "$dir/db"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=ldap test CA" \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -days 1 \
		-extfile <(printf 'subjectAltName=IP:127.0.0.1\n') -out "$dir/server.crt" 2>/dev/null
	cat >"$dir/slapd.conf" <<-CONF
		include /etc/ldap/schema/core.schema
		include /etc/ldap/schema/cosine.schema
		include /etc/ldap/schema/inetorgperson.schema
		modulepath /usr/lib/ldap
		moduleload back_mdb
		moduleload memberof
		pidfile $dir/slapd.pid
		TLSCACertificateFile $dir/ca.crt
		TLSCertificateFile $dir/server.crt
		TLSCertificateKeyFile $dir/server.key
		database mdb
		suffix "dc=example,dc=com"
		rootdn "cn=admin,dc=example,dc=com"
		rootpw secret
		directory $dir/db
		overlay memberof
	CONF
	{
		printf 'dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n'
		printf 'dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n'
		printf 'dn: ou=groups,dc=example,dc=com\nobjectClass: organizationalUnit\nou: groups\n\n'
		for who in alice bob; do
			printf 'dn: uid=%s,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\nmail: %s@example.com\n\n' \
				"$who" "$who" "$who" "$who" "$who"
		done
		printf 'dn: cn=cocoond,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\ncn: cocoond\nsn: service\nuserPassword: bindpw\n\n'
	} >"$dir/people.ldif"
	/usr/sbin/slapadd -f "$dir/slapd.conf" -l "$dir/people.ldif" >/dev/null 2>&1
	/usr/sbin/slapd -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/" -d 0 >"$dir/slapd.log" 2>&1 3>&- &
	LDAP_PID=$!
	wait_for_server slapd "$LDAP_PID" "$dir/slapd.log" ldapsearch -H "ldap://127.0.0.1:$port" -x -b dc=example,dc=com -s base
	# Groups added live, so that the memberof overlay writes memberOf.
	printf 'dn: cn=%s,ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\ncn: %s\nmember: uid=alice,ou=people,dc=example,dc=com\n\n' \
		payments-admins payments-admins auditors auditors |
		ldapadd -H "ldap://127.0.0.1:$port" -x -D cn=admin,dc=example,dc=com -w secret >/dev/null
	echo bindpw >"$dir/bind.password"
}

stop_ldap() {
	[ -n "${LDAP_PID:-}" ] || return 0
	kill "$LDAP_PID" 2>/dev/null
	wait "$LDAP_PID" 2>/dev/null
	LDAP_PID=
}
