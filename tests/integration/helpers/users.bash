# Users of cocoond's API by client certificate, for the access tests (rbac, ldap, tenancy): the
# node CA of the cocoond under test is at $TMP/data/pki, and cocoond listens on $PORT.

# make_user NAME [GROUP...]: a client certificate from the node CA (CN=NAME, O=GROUP...).
make_user() {
	local name="$1" subject="/CN=$1"
	shift
	for g in "$@"; do subject="$subject/O=$g"; done
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/$name.key" \
		-subj "$subject" -out "$TMP/$name.csr" 2>/dev/null
	openssl x509 -req -in "$TMP/$name.csr" -CA "$TMP/data/pki/ca.crt" -CAkey "$TMP/data/pki/ca.key" \
		-days 1 -out "$TMP/$name.crt" -extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
}

# as USER kubectl-arguments...
as() {
	local name="$1"
	shift
	"$KUBECTL" --kubeconfig /dev/null --cache-dir "$TMP/cache-$name" --request-timeout=10s \
		--server "https://127.0.0.1:$PORT" --certificate-authority "$TMP/data/pki/ca.crt" \
		--client-certificate "$TMP/$name.crt" --client-key "$TMP/$name.key" "$@"
}
