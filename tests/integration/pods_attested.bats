#!/usr/bin/env bats
# Pods whose encrypted volume is keyed by the key broker (issue 13): cocoond with --kbs and the node's
# TPM (swtpm) gets the key only after the node attested; a policy that refuses keeps the pod waiting
# (fail closed), and both decisions are security events. Real peers: swtpm, the key broker, kubectl.

load helpers/common
load helpers/runtime
load helpers/tpm
load helpers/keys

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"

setup_file() {
	[ "$(id -u)" -eq 0 ] && [ -n "$KUBECTL" ] && command -v swtpm >/dev/null &&
		[ -x /usr/lib/cni/bridge ] || return 0
	local tmp="$BATS_FILE_TMPDIR"
	import_busybox_image "$tmp/data/images"
	# The node's TPM and the key broker; the node enrolled by its EK certificate.
	start_swtpm "$tmp/tpm"
	echo "$SWTPM_PID" >"$tmp/swtpm.pid"
	export TMP="$tmp/kbs"
	mkdir -p "$TMP"
	swtpm_ek_ca "$TMP/ek-ca.pem"
	start_kbs "$TMP" --ek-ca "$TMP/ek-ca.pem" --events "$tmp/kbs-events.jsonl"
	echo "$KBS_PID" >"$tmp/kbs.pid"
	export KBS_URL COCOON_TPM_TCTI
	"$COCOON" attest agent ek-cert --out "$tmp/ek.pem"
	kbs_admin PUT default/node/attested-node --data-binary "@$tmp/ek.pem" >/dev/null
	printf 'rules:\n- {claim: tee, equals: tpm}\n' | kbs_admin PUT default/policy --data-binary @- >/dev/null
	head -c 64 /dev/urandom | kbs_admin PUT default/resource/volumes/fscrypt/web --data-binary @- >/dev/null
	"$COCOON" attest agent register --kbs "$KBS_URL" --ca "$TMP/pki/ca.crt" --node attested-node \
		--state "$tmp/data/agent" >/dev/null
	export PORT="$(free_port)"
	start_cocoond_pods "$tmp/data" "$PORT" --node-name attested-node --kbs "$KBS_URL" --kbs-ca "$TMP/pki/ca.crt" \
		--tpm "$COCOON_TPM_TCTI" --bridge cctest2 --pod-subnet 10.247.0.0/24
	echo "$COCOOND_PID" >"$tmp/cocoond.pid"
}

teardown_file() {
	local tmp="$BATS_FILE_TMPDIR" pid
	stop_pods_platform
	for f in kbs swtpm; do
		[ -f "$tmp/$f.pid" ] && kill -TERM "$(cat "$tmp/$f.pid")" 2>/dev/null
	done
	return 0
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	command -v swtpm >/dev/null || skip "needs swtpm"
	[ -x /usr/lib/cni/bridge ] || skip "needs containernetworking-plugins"
	export KUBECONFIG="$BATS_FILE_TMPDIR/data/kubeconfig"
	TMP="$BATS_FILE_TMPDIR/kbs"
	NS="t$BATS_TEST_NUMBER"
	K=("$KUBECTL" --request-timeout=20s -n "$NS")
	"${K[@]}" create namespace "$NS" >/dev/null
}

# wait_failed_mount POD: until the pod has a FailedMount event (20 s at most).
wait_failed_mount() {
	for _ in $(seq 1 100); do
		"${K[@]}" get events --field-selector "involvedObject.name=$1" 2>/dev/null | grep -q FailedMount && return
		sleep 0.2
	done
}

# vault_pod NAME [SCRIPT] [PROFILE]: a pod whose encrypted emptyDir is keyed by the broker's
# volumes/fscrypt/web, its container running SCRIPT (default: write the ledger and sleep) under
# PROFILE (default confidential; none: no profile).
vault_pod() {
	local script="${2:-echo secret-ledger > /data/ledger; sleep 600}" profile=""
	[ "${3:-confidential}" = none ] || profile="run.cocoon.profile: ${3:-confidential}"
	cat <<-YAML | "${K[@]}" apply -f -
	apiVersion: v1
	kind: Pod
	metadata:
	  name: $1
	  annotations:
	    $profile
	    run.cocoon.volume.encrypted: data
	    run.cocoon.volume.key: volumes/fscrypt/web
	spec:
	  containers:
	  - name: c
	    image: localhost/busybox:latest
	    command: ["/bin/sh", "-c", "$script"]
	    volumeMounts: [{name: data, mountPath: /data}]
	  volumes: [{name: data, emptyDir: {}}]
	YAML
}

@test "attested pods: the broker releases the volume key after the node's TPM attestation" {
	vault_pod vault
	"${K[@]}" wait --for=condition=Ready pod/vault --timeout=60s
	run "${K[@]}" exec vault -- cat /data/ledger
	[ "$output" = secret-ledger ]
	grep '"action":"volume.key"' "$BATS_FILE_TMPDIR/data/events.jsonl" | grep -q '"verdict":"allow"'
	grep -q '"verdict":"allow"' "$BATS_FILE_TMPDIR/kbs-events.jsonl"
	# The key was held in memory only; the data directory never saw it.
	uid="$("${K[@]}" get pod vault -o jsonpath='{.metadata.uid}')"
	[ -f "$BATS_FILE_TMPDIR/data.run/memory/$uid/volume.key" ]
	[ "$(stat -f -c %T "$BATS_FILE_TMPDIR/data.run/memory")" = tmpfs ]
	# Each container launch was measured into the node's TPM.
	grep -q "\"container\":\"$uid-c-0\"" "$BATS_FILE_TMPDIR/data.run/runtime/measurements.jsonl"
}

@test "attested pods: a policy the node fails keeps the pod waiting, and says why" {
	printf 'rules:\n- {claim: tee, equals: snp}\n' | kbs_admin PUT default/policy --data-binary @- >/dev/null
	vault_pod refused
	wait_failed_mount refused
	run "${K[@]}" get events --field-selector involvedObject.name=refused
	echo "$output"
	[[ "$output" == *FailedMount*"volumes/fscrypt/web"* ]]
	[ "$("${K[@]}" get pod refused -o jsonpath='{.status.phase}')" = Pending ]
	[ -z "$("${K[@]}" get pod refused -o jsonpath='{.status.containerStatuses[0].state.running}')" ]
	grep '"action":"volume.key"' "$BATS_FILE_TMPDIR/data/events.jsonl" | grep -q '"verdict":"deny"'
	printf 'rules:\n- {claim: tee, equals: tpm}\n' | kbs_admin PUT default/policy --data-binary @- >/dev/null
	# Once the policy allows it, the pod goes on by itself (the runner retries).
	"${K[@]}" wait --for=condition=Ready pod/refused --timeout=60s
}

@test "attested pods: a tenant's pod takes its key from the tenant's broker tenant, once its owners enrolled the node" {
	"$KUBECTL" apply -f - >/dev/null <<-YAML
	apiVersion: tenancy.cocoon.dev/v1alpha1
	kind: Tenant
	metadata: {name: acme}
	spec: {kbsTenant: acme-keys}
	YAML
	"$KUBECTL" label namespace "$NS" tenancy.cocoon.dev/tenant=acme >/dev/null
	# acme's broker tenant has its own policy and key, but has not enrolled this node yet
	printf 'rules:\n- {claim: tee, equals: tpm}\n' | kbs_admin PUT acme-keys/policy --data-binary @- >/dev/null
	printf 'acme%060d' 0 | kbs_admin PUT acme-keys/resource/volumes/fscrypt/web --data-binary @- >/dev/null
	vault_pod acme-vault
	wait_failed_mount acme-vault
	run "${K[@]}" get events --field-selector involvedObject.name=acme-vault
	echo "$output"
	[[ "$output" == *FailedMount*"not registered in key broker tenant acme-keys"* ]]
	[ "$("${K[@]}" get pod acme-vault -o jsonpath='{.status.phase}')" = Pending ]
	# the tenant's owners enroll the node's EK there; cocoond registers its AK by itself and goes on
	kbs_admin PUT acme-keys/node/attested-node --data-binary "@$BATS_FILE_TMPDIR/ek.pem" >/dev/null
	"${K[@]}" wait --for=condition=Ready pod/acme-vault --timeout=60s ||
		{ "${K[@]}" get events; tail -5 "$BATS_FILE_TMPDIR/kbs-events.jsonl"; false; }
	run "${K[@]}" exec acme-vault -- cat /data/ledger
	[ "$output" = secret-ledger ]
	grep '"action":"volume.key"' "$BATS_FILE_TMPDIR/data/events.jsonl" | grep '"verdict":"allow"' | grep -q 'acme-keys'
	grep '"action":"kbs.node.register"' "$BATS_FILE_TMPDIR/kbs-events.jsonl" | grep -q 'acme-keys'
	"$KUBECTL" delete namespace "$NS" --wait=false >/dev/null
}

@test "attested pods: the broker's policy judges the pod's own containers, measured before the key is asked for" {
	local digest
	digest="$("$COCOON" image inspect localhost/busybox:latest --store "$BATS_FILE_TMPDIR/data/images" |
		jq -r '.digest')"
	[[ "$digest" == sha256:* ]]
	# only this image, under the confidential profile
	printf 'rules:\n- {claim: tee, equals: tpm}\n- {claim: "pod.containers.*.image", oneOf: ["%s"]}\n- {claim: "pod.containers.*.profile", equals: confidential}\n' \
		"$digest" | kbs_admin PUT default/policy --data-binary @- >/dev/null
	vault_pod judged
	"${K[@]}" wait --for=condition=Ready pod/judged --timeout=60s
	uid="$("${K[@]}" get pod judged -o jsonpath='{.metadata.uid}')"
	# measured twice: ahead of the key (with its parts), then by create, to the same value (the
	# launch is what was judged); the parts make the measurement
	run grep -c "\"container\":\"$uid-c-0\"" "$BATS_FILE_TMPDIR/data.run/runtime/measurements.jsonl"
	[ "$output" = 2 ]
	[ "$(grep "\"container\":\"$uid-c-0\"" "$BATS_FILE_TMPDIR/data.run/runtime/measurements.jsonl" |
		jq -r .measurement | sort -u | wc -l)" = 1 ]
	grep "\"container\":\"$uid-c-0\"" "$BATS_FILE_TMPDIR/data.run/runtime/measurements.jsonl" | head -1 |
		python3 -c '
import hashlib, json, sys
r = json.loads(sys.stdin.readline())
p = r["parts"]
m = hashlib.sha384(b"".join(s.encode() + b"\0" for s in
    ["cocoon.measurement/v2", p["config"], p["rootfs"], p["profile"]])).hexdigest()
assert r["measurement"] == "sha384:" + m, (r["measurement"], m)
assert p["rootfs"] == "image:'"$digest"'" and p["profile"] == "confidential", p
'
	# the same pod without the confidential profile is refused, naming the claim
	vault_pod plain "sleep 600" none
	wait_failed_mount plain
	[ "$("${K[@]}" get pod plain -o jsonpath='{.status.phase}')" = Pending ]
	# the refused pod is measured once, however often the runner asks again (every 5 s)
	plain="$("${K[@]}" get pod plain -o jsonpath='{.metadata.uid}')"
	sleep 11
	run grep -c "\"container\":\"$plain-c-0\"" "$BATS_FILE_TMPDIR/data.run/runtime/measurements.jsonl"
	[ "$output" = 1 ]
	grep '"action":"kbs.attest"' "$BATS_FILE_TMPDIR/kbs-events.jsonl" | grep '"verdict":"deny"' |
		grep -q 'pod.containers\[0\]'
	printf 'rules:\n- {claim: tee, equals: tpm}\n' | kbs_admin PUT default/policy --data-binary @- >/dev/null
}

@test "attested pods: a container is not launched with another image than the pod's key was released for" {
	printf 'rules:\n- {claim: tee, equals: tpm}\n- {claim: "pod.containers.*.profile", equals: confidential}\n' |
		kbs_admin PUT default/policy --data-binary @- >/dev/null
	# a workload that ends after a few seconds, and is restarted
	vault_pod pinned "sleep 4"
	"${K[@]}" wait --for=condition=Ready pod/pinned --timeout=60s
	# another image (another digest) under another name, put in the pod's spec
	local tmp="$BATS_FILE_TMPDIR/other"
	make_rootfs "$tmp/root"
	tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
	"$COCOON" image import --store "$BATS_FILE_TMPDIR/data/images" --change "ENV PATH=/bin" \
		--change "ENV OTHER=1" "$tmp/rootfs.tar" localhost/busybox:other >/dev/null
	"${K[@]}" patch pod pinned --type json \
		-p '[{"op": "replace", "path": "/spec/containers/0/image", "value": "localhost/busybox:other"}]'
	# the restart would run the other image with the key released for the first: refused
	for _ in $(seq 1 120); do
		"${K[@]}" get pod pinned -o jsonpath='{.status.containerStatuses[0].state.waiting.message}' 2>/dev/null |
			grep -q "not what the pod's key was released for" && break
		sleep 0.5
	done
	run "${K[@]}" get pod pinned -o jsonpath='{.status.containerStatuses[0].state.waiting}'
	echo "$output"
	[[ "$output" == *CreateContainerConfigError* ]]
	[[ "$output" == *"is not what the pod's key was released for"* ]]
	printf 'rules:\n- {claim: tee, equals: tpm}\n' | kbs_admin PUT default/policy --data-binary @- >/dev/null
}
