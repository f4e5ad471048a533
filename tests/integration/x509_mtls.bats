#!/usr/bin/env bats
# The pod-certificate library (lib/crypto: csr, x509_ca, x509_leaf, crl, attestation_ext; design in
# docs/design/pod-mtls.md) checked by the real openssl CLI, through the test program x509_tool: a
# tenant root with name constraints made by openssl, the issuing CA's key and CSR made by cocoon and
# signed by that root, leaves from CSRs that openssl made, and a CRL. What openssl says is the truth
# a TLS peer will act on.

load helpers/common

X509_TOOL="${X509_TOOL:-$BUILD/tests/integration/helpers/x509_tool}"
ATTESTATION_OID=2.25.315685752688738476782982348621596042586
TD=acme.example

setup() {
	[ -x "$X509_TOOL" ] || skip "x509_tool is not built (meson -Dtests=true)"
	command -v openssl >/dev/null || skip "the openssl CLI is not installed"
	TMP="$(mktemp -d)"
	cd "$TMP"
	# The tenant's offline root: constrained to its trust domain and the cluster's Service names.
	cat >ext.cnf <<-CNF
		[root]
		basicConstraints = critical,CA:TRUE
		keyUsage = critical,keyCertSign,cRLSign
		subjectKeyIdentifier = hash
		nameConstraints = critical,permitted;URI:$TD,permitted;DNS:.svc.cluster.local,permitted;DNS:.svc
		[issuing]
		basicConstraints = critical,CA:TRUE,pathlen:0
		keyUsage = critical,keyCertSign,cRLSign
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid:always
	CNF
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
		-subj "/CN=acme offline root" -days 30 -config ext.cnf -extensions root 2>/dev/null
	# The issuing CA: key and CSR from cocoon, signature from the root.
	"$X509_TOOL" ca-request --cn "acme issuing CA" --key issuing.key --csr issuing.csr
	openssl x509 -req -in issuing.csr -CA root.pem -CAkey root.key -CAcreateserial -days 7 \
		-extfile ext.cnf -extensions issuing -out issuing.pem 2>/dev/null
}

teardown() {
	cd /
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

# pod_csr NAME NEWKEY-ARGS...: a pod key and CSR made by openssl req -new (-newkey and its options).
pod_csr() {
	local name="$1"
	shift
	openssl req -new "$@" -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$name" 2>/dev/null
}

# issue NAME SPIFFE_ID [x509_tool options]: a leaf for NAME's CSR; sets SERIAL.
issue() {
	local name="$1" id="$2"
	shift 2
	run "$X509_TOOL" issue --csr "$name.csr" --ca issuing.pem --ca-key issuing.key --cn "shop/$name" \
		--spiffe "$id" --out "$name.pem" "$@"
	echo "$output"
	[ "$status" -eq 0 ]
	SERIAL="${output#serial }"
}

verify() {
	openssl verify -CAfile root.pem -untrusted issuing.pem "$@"
}

@test "the issuing CA's CSR asks for a CA, and the certificate the root returns passes the check" {
	run openssl req -in issuing.csr -noout -text -verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Certificate request self-signature verify OK"* || "$output" == *"verify OK"* ]]
	[[ "$output" == *"CA:TRUE"* ]]
	[[ "$output" == *"Certificate Sign, CRL Sign"* ]]
	[[ "$output" == *"NIST CURVE: P-256"* ]]
	run "$X509_TOOL" ca-check --cert issuing.pem --key issuing.key
	[ "$status" -eq 0 ]
	# Another key, and a certificate that is not a CA, are refused.
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key
	run "$X509_TOOL" ca-check --cert issuing.pem --key other.key
	[ "$status" -eq 1 ]
	[[ "$output" == *"for another key"* ]]
	pod_csr web -newkey ec -pkeyopt ec_paramgen_curve:P-256
	issue web "spiffe://$TD/ns/shop/sa/web/pod/1"
	run "$X509_TOOL" ca-check --cert web.pem --key web.key
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a CA"* ]]
}

@test "a leaf from an openssl CSR shows the profile in openssl x509 -text and verifies for both TLS roles" {
	pod_csr web -newkey ec -pkeyopt ec_paramgen_curve:P-256
	issue web "spiffe://$TD/ns/shop/sa/web/pod/0f9e6c2a" --dns web.shop.svc --dns web.shop.svc.cluster.local \
		--lifetime 3600
	run openssl x509 -in web.pem -noout -text
	echo "$output"
	[[ "$output" == *"URI:spiffe://$TD/ns/shop/sa/web/pod/0f9e6c2a, DNS:web.shop.svc, DNS:web.shop.svc.cluster.local"* ]]
	[[ "$output" == *"X509v3 Basic Constraints: critical"*"CA:FALSE"* ]]
	[[ "$output" == *"X509v3 Key Usage: critical"*"Digital Signature"* ]]
	[[ "$output" == *"TLS Web Server Authentication, TLS Web Client Authentication"* ]]
	[[ "$output" == *"X509v3 Subject Key Identifier"* ]]
	[[ "$output" == *"X509v3 Authority Key Identifier"* ]]
	[[ "$output" == *"Subject: CN = shop/web"* ]]
	[[ "$output" == *"ecdsa-with-SHA256"* ]]
	[[ "$output" != *"$ATTESTATION_OID"* ]]
	# The serial openssl reads is the one the tool printed: 128 bits at most, positive.
	run openssl x509 -in web.pem -noout -serial
	[ "${output#serial=}" = "$(printf '%s' "$SERIAL" | tr a-f A-F)" ]
	[ "${#SERIAL}" -le 32 ]
	# Lifetime: notAfter - notBefore = 3600 s + 60 s of skew.
	start="$(date -d "$(openssl x509 -in web.pem -noout -startdate | cut -d= -f2)" +%s)"
	end="$(date -d "$(openssl x509 -in web.pem -noout -enddate | cut -d= -f2)" +%s)"
	[ $((end - start)) -eq 3660 ]
	run verify -purpose sslserver web.pem
	[ "$output" = "web.pem: OK" ]
	run verify -purpose sslclient web.pem
	[ "$output" = "web.pem: OK" ]
	# The pod's key matches the certificate.
	[ "$(openssl pkey -in web.key -pubout)" = "$(openssl x509 -in web.pem -noout -pubkey)" ]
}

@test "the attestation extension is non-critical, under its OID, and asn1parse reads the structure" {
	pod_csr web -newkey ec -pkeyopt ec_paramgen_curve:P-256
	issue web "spiffe://$TD/ns/shop/sa/web/pod/1" --attestation
	run openssl x509 -in web.pem -noout -text
	[[ "$output" == *"$ATTESTATION_OID: "$'\n'* ]] # no "critical" after the name
	openssl x509 -in web.pem -outform DER -out web.der
	run openssl asn1parse -inform DER -in web.der
	echo "$output"
	line="$(grep -n ":$ATTESTATION_OID\$" <<<"$output" | cut -d: -f1)"
	[ -n "$line" ]
	# The extnValue follows the OID (no BOOLEAN between them: non-critical).
	value="$(sed -n "$((line + 1))p" <<<"$output")"
	[[ "$value" == *"prim: OCTET STRING"* ]]
	offset="$(echo "$value" | sed 's/^ *\([0-9]*\):.*/\1/')"
	run openssl asn1parse -inform DER -in web.der -strparse "$offset"
	echo "$output"
	[ "$status" -eq 0 ]
	# version, tenant, node, tee, attestedAt, earId, two 48-byte digests, two containers of four fields.
	[[ "$(sed -n 2p <<<"$output")" == *"INTEGER"*":01"* ]]
	[[ "$output" == *"UTF8STRING        :acme"* ]]
	[[ "$output" == *"UTF8STRING        :node-1"* ]]
	[[ "$output" == *"UTF8STRING        :tpm"* ]]
	[[ "$output" == *"GENERALIZEDTIME"* ]]
	[ "$(grep -c 'l=  48 prim: OCTET STRING' <<<"$output")" -eq 4 ]
	[[ "$output" == *"UTF8STRING        :0f9e6c2a-web-0"* ]]
	[[ "$output" == *"UTF8STRING        :0f9e6c2a-sidecar-0"* ]]
	# A certificate with an unknown non-critical extension still verifies.
	run verify web.pem
	[ "$output" = "web.pem: OK" ]
	# And the decoder reads back what was issued.
	run "$X509_TOOL" attestation --cert web.pem
	echo "$output"
	[[ "$output" == *"tenant acme"* ]]
	[[ "$output" == *"container 0f9e6c2a-sidecar-0 0 $(printf '22%.0s' $(seq 48)) 42"* ]]
}

@test "openssl verify -crl_check refuses the revoked serial and accepts another" {
	pod_csr a -newkey ec -pkeyopt ec_paramgen_curve:P-256
	pod_csr b -newkey ec -pkeyopt ec_paramgen_curve:P-256
	issue a "spiffe://$TD/ns/shop/sa/web/pod/a"
	revoked="$SERIAL"
	issue b "spiffe://$TD/ns/shop/sa/web/pod/b"
	kept="$SERIAL"
	run "$X509_TOOL" crl --ca issuing.pem --ca-key issuing.key --revoke "$revoked:keyCompromise" --number 5 \
		--next 3600 --out crl.pem
	[ "$status" -eq 0 ]
	run openssl crl -in crl.pem -noout -text
	echo "$output"
	[[ "$output" == *"Version 2"* ]]
	[[ "$output" == *"X509v3 CRL Number: "*"5"* ]]
	[[ "$output" == *"X509v3 Authority Key Identifier"* ]]
	[[ "$output" == *"Key Compromise"* ]]
	run openssl crl -in crl.pem -noout -CAfile issuing.pem
	[[ "$output" == *"verify OK"* ]]
	run verify -crl_check -CRLfile crl.pem a.pem
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"certificate revoked"* ]]
	run verify -crl_check -CRLfile crl.pem b.pem
	[ "$output" = "b.pem: OK" ]
	run "$X509_TOOL" crl-check --crl crl.pem --ca issuing.pem --serial "$revoked"
	[[ "$output" == *"revoked keyCompromise"* ]]
	run "$X509_TOOL" crl-check --crl crl.pem --ca issuing.pem --serial "$kept"
	[[ "$output" == *"not revoked"* ]]
	# A CRL signed by another key is refused by the parser (and by openssl).
	run "$X509_TOOL" crl-check --crl crl.pem --ca root.pem
	[ "$status" -eq 1 ]
	[[ "$output" == *"another name"* ]]
}

@test "the root's name constraints accept a leaf inside them and openssl refuses one outside" {
	pod_csr web -newkey ec -pkeyopt ec_paramgen_curve:P-256
	issue web "spiffe://$TD/ns/shop/sa/web/pod/1" --dns web.shop.svc.cluster.local
	run verify web.pem
	[ "$output" = "web.pem: OK" ]
	issue web "spiffe://other.example/ns/shop/sa/web/pod/1" --out evil-td.pem
	run verify evil-td.pem
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"permitted subtree violation"* ]]
	issue web "spiffe://$TD/ns/shop/sa/web/pod/1" --dns web.shop.svc.elsewhere.example --out evil-dns.pem
	run verify evil-dns.pem
	[ "$status" -ne 0 ]
	[[ "$output" == *"permitted subtree violation"* ]]
}

@test "a leaf without DNS names verifies under DNS name constraints only while its CN is no host name" {
	# OpenSSL checks a leaf's CN against DNS constraints when it has no DNS SAN and the CN looks
	# like a host name (RFC 6125's legacy fallback), which is why the profile's CN is NS/POD.
	pod_csr web -newkey ec -pkeyopt ec_paramgen_curve:P-256
	issue web "spiffe://$TD/ns/shop/sa/web/pod/1"
	run verify web.pem
	[ "$output" = "web.pem: OK" ]
	run "$X509_TOOL" issue --csr web.csr --ca issuing.pem --ca-key issuing.key --cn web-0.shop \
		--spiffe "spiffe://$TD/ns/shop/sa/web/pod/1" --out dotted.pem
	[ "$status" -eq 0 ]
	run verify dotted.pem
	[ "$status" -ne 0 ]
	[[ "$output" == *"permitted subtree violation"* ]]
}

@test "CSRs: openssl's EC P-256 accepted, RSA and P-384 refused, tampered and oversize refused" {
	pod_csr ec -newkey ec -pkeyopt ec_paramgen_curve:P-256
	run "$X509_TOOL" csr-check --csr ec.csr
	[ "$status" -eq 0 ]
	# The digest is SHA-384 of the DER SubjectPublicKeyInfo, as openssl computes it.
	[ "$output" = "spki-sha384 $(openssl pkey -in ec.key -pubout -outform DER | openssl dgst -sha384 -r | cut -d' ' -f1)" ]
	openssl req -in ec.csr -outform DER -out ec.der
	run "$X509_TOOL" csr-check --csr ec.der
	[ "$status" -eq 0 ]

	pod_csr rsa -newkey rsa:2048
	run "$X509_TOOL" csr-check --csr rsa.csr
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"CSR key is rsaEncryption; only EC P-256 keys are accepted"* ]]
	run "$X509_TOOL" issue --csr rsa.csr --ca issuing.pem --ca-key issuing.key --cn x \
		--spiffe "spiffe://$TD/ns/a/sa/b/pod/c" --out rsa.pem
	[ "$status" -eq 1 ]
	[ ! -e rsa.pem ]
	pod_csr p384 -newkey ec -pkeyopt ec_paramgen_curve:P-384
	run "$X509_TOOL" csr-check --csr p384.csr
	[ "$status" -eq 1 ]
	[[ "$output" == *"other than P-256"* ]]

	# One flipped bit in the signature: no proof of possession.
	size="$(stat -c %s ec.der)"
	cp ec.der bad.der
	byte="$(od -An -tu1 -j $((size - 2)) -N1 ec.der | tr -d ' ')"
	printf "\\x$(printf %02x $((byte ^ 1)))" | dd of=bad.der bs=1 seek=$((size - 2)) conv=notrunc status=none
	run cmp -s ec.der bad.der
	[ "$status" -ne 0 ]
	run "$X509_TOOL" csr-check --csr bad.der
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"proof of possession"* ]]
	head -c 9000 /dev/zero >big.csr
	run "$X509_TOOL" csr-check --csr big.csr
	[[ "$output" == *"limit of 8192 bytes"* ]]
	# The CSR cocoon makes from the pod key is one openssl verifies.
	run "$X509_TOOL" csr --key ec.key --cn web-0.shop --out ours.csr
	[ "$status" -eq 0 ]
	run openssl req -in ours.csr -noout -verify
	[[ "$output" == *"verify OK"* ]]
}

@test "refusals: too many DNS names, a bad SPIFFE ID, a foreign DNS form; lifetime capped at the CA's notAfter" {
	pod_csr web -newkey ec -pkeyopt ec_paramgen_curve:P-256
	dns=()
	for i in $(seq 33); do dns+=(--dns "s$i.shop.svc"); done
	run "$X509_TOOL" issue --csr web.csr --ca issuing.pem --ca-key issuing.key --cn web \
		--spiffe "spiffe://$TD/ns/shop/sa/web/pod/1" "${dns[@]}" --out web.pem
	[ "$status" -eq 1 ]
	[[ "$output" == *"33 DNS names asked for; a pod certificate holds at most 32"* ]]
	for id in "spiffe://$TD" "spiffe://$TD/ns//x" "https://$TD/x" "spiffe://$TD/ns/../x" "spiffe://$TD:443/x"; do
		run "$X509_TOOL" issue --csr web.csr --ca issuing.pem --ca-key issuing.key --cn web --spiffe "$id" \
			--out web.pem
		echo "$id: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"URI SAN: SPIFFE ID"* ]]
	done
	run "$X509_TOOL" issue --csr web.csr --ca issuing.pem --ca-key issuing.key --cn web \
		--spiffe "spiffe://$TD/x" --dns '*.shop.svc' --out web.pem
	[ "$status" -eq 1 ]
	[[ "$output" == *"DNS SAN 1"* ]]
	[ ! -e web.pem ]

	# A CA that ends in 1 day: a 2-day lifetime ends with it.
	openssl x509 -req -in issuing.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1 \
		-extfile ext.cnf -extensions issuing -out short.pem 2>/dev/null
	run "$X509_TOOL" issue --csr web.csr --ca short.pem --ca-key issuing.key --cn web \
		--spiffe "spiffe://$TD/x" --lifetime 172800 --out web.pem
	[ "$status" -eq 0 ]
	[ "$(openssl x509 -in web.pem -noout -enddate)" = "$(openssl x509 -in short.pem -noout -enddate)" ]
	run openssl verify -CAfile root.pem -untrusted short.pem web.pem
	[ "$output" = "web.pem: OK" ]
}
