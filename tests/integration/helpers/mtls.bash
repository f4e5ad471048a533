# start_mtls_platform NODE BRIDGE SUBNET [COCOOND-ARG...]: the test file's pod-running cocoond (with
# the extra arguments given), with what pods of
# namespaces annotated run.cocoon.mtls need to start (their certificates, docs/design/pod-mtls.md):
# swtpm, the key broker with cocoond's service account key, tenant `default` with an mTLS
# configuration (trust domain acme.example), an issuing CA signed by an openssl offline root, the
# node NODE registered. Needs helpers/common, runtime, tpm and keys loaded and the images imported
# into $BATS_FILE_TMPDIR/data/images first. The broker's files are in $BATS_FILE_TMPDIR/kbs ($TMP);
# stop_mtls_platform stops all three by PID.
start_mtls_platform() {
	local node="$1" bridge="$2" subnet="$3" tmp="$BATS_FILE_TMPDIR"
	shift 3
	# cocoond's service account key made first, so that the broker can check the pods' tokens
	mkdir -p "$tmp/data/pki"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/data/pki/service-account.key" 2>/dev/null
	openssl pkey -in "$tmp/data/pki/service-account.key" -pubout -out "$tmp/sa.pub" 2>/dev/null
	start_swtpm "$tmp/tpm"
	echo "$SWTPM_PID" >"$tmp/swtpm.pid"
	export TMP="$tmp/kbs"
	mkdir -p "$TMP"
	swtpm_ek_ca "$TMP/ek-ca.pem"
	start_kbs "$TMP" --ek-ca "$TMP/ek-ca.pem" --events "$tmp/kbs-events.jsonl" --sa-issuer-key "$tmp/sa.pub"
	echo "$KBS_PID" >"$tmp/kbs.pid"
	export KBS_URL COCOON_TPM_TCTI
	"$COCOON" attest agent ek-cert --out "$tmp/ek.pem"
	kbs_admin PUT "default/node/$node" --data-binary "@$tmp/ek.pem" >/dev/null
	printf 'rules:\n- {claim: tee, equals: tpm}\n' | kbs_admin PUT default/policy --data-binary @- >/dev/null
	kbs_admin PUT default/mtls --data '{"trustDomain": "acme.example"}' >/dev/null
	make_offline_root
	kbs_admin POST default/mtls/ca | sed '$d' | jq_py 'r["csr"]' >"$TMP/ca.csr"
	openssl x509 -req -in "$TMP/ca.csr" -CA "$TMP/root.pem" -CAkey "$TMP/root.key" -CAcreateserial -days 7 \
		-extfile "$TMP/ext.cnf" -extensions issuing -out "$TMP/ca.pem" 2>/dev/null
	kbs_admin PUT default/mtls/ca --data-binary "@$TMP/ca.pem" >/dev/null
	"$COCOON" attest agent register --kbs "$KBS_URL" --ca "$TMP/pki/ca.crt" --node "$node" \
		--state "$tmp/data/agent" >/dev/null
	export PORT="$(free_port)"
	start_cocoond_pods "$tmp/data" "$PORT" --node-name "$node" --kbs "$KBS_URL" --kbs-ca "$TMP/pki/ca.crt" \
		--tpm "$COCOON_TPM_TCTI" --bridge "$bridge" --pod-subnet "$subnet" "$@"
	echo "$COCOOND_PID" >"$tmp/cocoond.pid"
}

stop_mtls_platform() {
	local tmp="$BATS_FILE_TMPDIR" f
	stop_pods_platform
	for f in kbs swtpm; do
		[ -f "$tmp/$f.pid" ] && kill -TERM "$(cat "$tmp/$f.pid")" 2>/dev/null
		rm -f "$tmp/$f.pid"
	done
	return 0
}

# import_openssl_image STORE: busybox with the openssl binary and the libraries it loads.
import_openssl_image() {
	local tmp lib
	tmp="$(mktemp -d)"
	make_rootfs "$tmp/root"
	mkdir -p "$tmp/root/usr/bin" "$tmp/root/usr/lib/ssl"
	cp /usr/bin/openssl "$tmp/root/usr/bin/openssl"
	cp /usr/lib/ssl/openssl.cnf "$tmp/root/usr/lib/ssl/openssl.cnf"
	for lib in $(ldd /usr/bin/openssl | grep -o '/[^ ]*'); do
		mkdir -p "$tmp/root$(dirname "$lib")"
		cp -L "$lib" "$tmp/root$lib"
	done
	# the providers and engines openssl may load
	[ -d /usr/lib/x86_64-linux-gnu/ossl-modules ] &&
		cp -r /usr/lib/x86_64-linux-gnu/ossl-modules "$tmp/root/usr/lib/x86_64-linux-gnu/"
	tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
	"$COCOON" image import --store "$1" --change "ENV PATH=/usr/bin:/bin" --change 'CMD ["/bin/sh"]' \
		"$tmp/rootfs.tar" localhost/openssl:latest >/dev/null
	rm -rf "$tmp"
}

# mtls_test_setup PREFIX [MODE]: what each test of a file on start_mtls_platform needs: skips without
# root, kubectl, swtpm, nftables or the CNI plugins; KUBECONFIG; a namespace PREFIX<test number> ($NS,
# annotated run.cocoon.mtls=MODE unless MODE is empty) and K, kubectl in it.
mtls_test_setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	command -v swtpm >/dev/null || skip "needs swtpm"
	command -v nft >/dev/null || skip "needs nftables"
	[ -x /usr/lib/cni/bridge ] || skip "needs containernetworking-plugins"
	export KUBECONFIG="$BATS_FILE_TMPDIR/data/kubeconfig"
	NS="$1$BATS_TEST_NUMBER"
	K=("$KUBECTL" --request-timeout=30s -n "$NS")
	"$KUBECTL" create namespace "$NS" >/dev/null
	[ -z "${2:-}" ] || "$KUBECTL" annotate namespace "$NS" "run.cocoon.mtls=$2" >/dev/null
}
