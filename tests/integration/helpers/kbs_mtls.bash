# The pieces of the key broker's pod-certificate tests (kbs_mtls_issue.bats, kbs_mtls_rotate.bats,
# kbs_mtls_etcd.bats): cocoond for the pods and their service account tokens, a software TPM quoting
# the containers cocoon-runtime measured under the pods' uids, and helpers/kbs_mtls_client.py as
# the node. Load after helpers/common, runtime, tpm and keys.

# mtls_node_setup: swtpm and its AK, cocoond with namespaces default and shop, service accounts app,
# pods default/web, default/db, default/ghost (no containers) and shop/cart, their containers run and
# measured, and the platform's service account public key in $TMP/sa.pub.
mtls_node_setup() {
	tpm_node_setup
	make_ak "$TMP"
	DATA="$TMP/platform"
	start_cocoond "$DATA" "$(free_port)"
	export KUBECONFIG="$DATA/kubeconfig"
	"$KUBECTL" create namespace shop >/dev/null
	for ns in default shop; do
		"$KUBECTL" -n "$ns" create serviceaccount app >/dev/null
	done
	make_pod default web
	make_pod default db
	make_pod default ghost
	make_pod shop cart
	# the containers the node ran, measured into PCR 15 under their pods' uids (UID-NAME-INSTANCE);
	# the ghost pod has none
	for pod in default/web default/db shop/cart; do
		RT run --bundle "$TMP/bundle" "$(uid_of "${pod#*/}" "${pod%/*}")-app-0"
	done
	openssl pkey -in "$DATA/pki/service-account.key" -pubout -out "$TMP/sa.pub" 2>/dev/null
}

# mtls_tenant_setup: the broker at $KBS_URL knows node n1's AK, a policy that accepts TPM evidence,
# and the tenant default's mTLS configuration (trust domain acme.example).
mtls_tenant_setup() {
	[ "$(kbs_admin PUT default/node/n1 --data-binary "@$TMP/ak.tss" | tail -1)" = 204 ]
	printf 'rules:\n- {claim: tee, equals: tpm}\n' >"$TMP/policy.yaml"
	[ "$(kbs_admin PUT default/policy --data-binary "@$TMP/policy.yaml" | tail -1)" = 204 ]
	[ "$(kbs_admin PUT default/mtls --data '{"trustDomain": "acme.example"}' | tail -1)" = 200 ]
}

# make_pod NS NAME: a pod of service account app (cocoond runs no pods here: only its uid matters).
make_pod() {
	"$KUBECTL" -n "$1" apply -f - >/dev/null <<-EOF
	apiVersion: v1
	kind: Pod
	metadata: {name: $2}
	spec:
	  serviceAccountName: app
	  containers: [{name: app, image: busybox}]
	EOF
}

# uid_of NAME [NS]
uid_of() {
	"$KUBECTL" -n "${2:-default}" get pod "$1" -o jsonpath='{.metadata.uid}'
}

# token POD [NS [AUDIENCE]]: the pod's service account token from cocoond's TokenRequest, bound to the pod.
token() {
	local ns="${2:-default}"
	"$KUBECTL" -n "$ns" create token app --audience "${3:-cocoon-kbs:default}" --bound-object-kind Pod \
		--bound-object-name "$1" --bound-object-uid "$(uid_of "$1" "$ns")"
}

# make_tenant_ca TENANT: the broker's CA key for TENANT signed by an offline root made with openssl
# ($TMP/root.pem), constrained to the trust domain and the cluster's Service names.
make_tenant_ca() {
	make_offline_root
	kbs_admin POST "$1/mtls/ca" | sed '$d' | jq_py 'r["csr"]' >"$TMP/ca.csr"
	openssl x509 -req -in "$TMP/ca.csr" -CA "$TMP/root.pem" -CAkey "$TMP/root.key" -CAcreateserial -days 7 \
		-extfile "$TMP/ext.cnf" -extensions issuing -out "$TMP/ca.pem" 2>/dev/null
	[ "$(kbs_admin PUT "$1/mtls/ca" --data-binary "@$TMP/ca.pem" | tail -1)" = 204 ]
}

# node ARGS: the node asks for a pod certificate (helpers/kbs_mtls_client.py) into $TMP/out (or
# $OUT), from the broker at $KBS_URL.
node() {
	"$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/kbs_mtls_client.py" "$KBS_URL" "$TMP/pki/ca.crt" \
		--node n1 --ak-dir "$TMP" --log "$RT_ROOT/measurements.jsonl" --out "${OUT:-$TMP/out}" "$@"
}
