#!/usr/bin/env bash
# Pods' mTLS certificates, side by side in one run (docs/design/pod-mtls.md, build step 10 "Figures"):
#   1. pod start, `kubectl apply` -> Ready (kubectl wait), N pods of each kind one after another,
#      the kinds taking turns so that load from elsewhere falls on all three alike: a plain
#      namespace; a namespace annotated run.cocoon.mtls=permissive (measure, attest binding the
#      pod's key, issue, write the volume before any container); and a plain pod whose encrypted
#      emptyDir is keyed by the broker (run.cocoon.volume.key, pods_attested.bats' vault_pod), the
#      reference for "one attestation". Median and p90 of each, and the ratio to plain. Each pod
#      is deleted (not timed) before the next starts. The times include two kubectl processes.
#   2. issuances per second at the broker, from a node in Python (bench/services/mtls_client.py,
#      made of tests/integration/helpers/kbs_mtls_client.py's pieces) with an AK of the same swtpm:
#      the whole cycle a new pod costs (auth, TPM quote, attest, certificate) with the quote's
#      share, and certificates alone on one session whose quote binds them all.
#   3. new connections between pods of the mTLS namespace: `openssl s_time` in a client pod
#      against `openssl s_server -www` demanding a client certificate (the pods' files, full
#      handshakes and resumed sessions); then one Python client on the host against the same
#      server pod, plain TCP to busybox httpd against mutual TLS to s_server, with the ratio.
#      busybox httpd forks a child per connection and s_server serves in one process, so the
#      ratio understates what the handshake costs against plaintext, if anything.
# Set up as tests/integration/pods_mtls.bats's setup_file is: swtpm, the key broker with the
# service account key, the node's EK enrolled, a policy, the tenant's CA signed by an offline root,
# cocoond with --kbs/--tpm. Needs root, kubectl, swtpm, tpm2-tools, containernetworking-plugins and
# python3-cryptography; uses a bridge of its own (ccbench7, 10.251.0.0/24) and removes it.
# Usage: bench/services/mtls.sh [-n PODS] [-m ISSUANCES] [-c CONNECTIONS] [-t SECONDS]
#        (default 10, 20, 500, 5; the build in $COCOON_BUILD, default build-scan/ or build/)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n=10 m=20 conns=500 secs=5
while getopts n:m:c:t: opt; do
	case "$opt" in
	n) n="$OPTARG" ;;
	m) m="$OPTARG" ;;
	c) conns="$OPTARG" ;;
	t) secs="$OPTARG" ;;
	*) echo "usage: $0 [-n PODS] [-m ISSUANCES] [-c CONNECTIONS] [-t SECONDS]" >&2 && exit 2 ;;
	esac
done
if [ -z "${COCOON_BUILD:-}" ]; then
	COCOON_BUILD="$root/build"
	[ -d "$root/build-scan" ] && COCOON_BUILD="$root/build-scan"
fi
export COCOON_BUILD
# Another build may be relinking: wait for the binaries rather than build them.
for _ in $(seq 1 60); do
	missing=
	for b in cocoon cocoond cocoon-kbs cocoon-runtime cocoon-shim; do [ -x "$COCOON_BUILD/$b" ] || missing="$b"; done
	[ -z "$missing" ] && break
	echo "waiting for $COCOON_BUILD/$missing" >&2
	sleep 5
done
[ -z "$missing" ] || { echo "$COCOON_BUILD/$missing is missing: build it first" >&2 && exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (pods on a bridge)" >&2 && exit 1; }
for c in kubectl swtpm tpm2_quote /usr/lib/cni/bridge; do
	command -v "$c" >/dev/null || { echo "needs $c" >&2 && exit 1; }
done

BATS_FILE_TMPDIR="$(mktemp -d /tmp/cocoon-mtls-bench.XXXXXX)"
tmp="$BATS_FILE_TMPDIR"
source "$root/tests/integration/helpers/common.bash"
source "$root/tests/integration/helpers/runtime.bash"
source "$root/tests/integration/helpers/tpm.bash"
source "$root/tests/integration/helpers/keys.bash"
source "$root/tests/integration/helpers/mtls.bash"
KUBECTL="${KUBECTL:-kubectl}"
MTLS=/var/run/secrets/cocoon.run/mtls
swtpm_pid='' kbs_pid=''
cleanup() {
	BATS_TEST_COMPLETED=1 # no log dump: this is no failed test
	stop_pods_platform    # cocoond's `down`: the pods, their mounts and the bridge removed
	[ -n "$kbs_pid" ] && kill -TERM "$kbs_pid" 2>/dev/null && wait "$kbs_pid" 2>/dev/null
	[ -n "$swtpm_pid" ] && kill -TERM "$swtpm_pid" 2>/dev/null && wait "$swtpm_pid" 2>/dev/null
	# whatever a pod left mounted under this run's directory, and only there
	for mnt in $(grep " $tmp/" /proc/self/mountinfo | cut -d' ' -f5 | sort -r); do umount -l "$mnt" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT


# --- the platform, as pods_mtls.bats sets it up (helpers/mtls.bash) -------------------------------------------------
import_openssl_image "$tmp/data/images"
start_mtls_platform mtls-node ccbench7 10.251.0.0/24 >/dev/null
swtpm_pid="$SWTPM_PID" kbs_pid="$KBS_PID"
# the volume key of the reference pods (pods_attested.bats)
head -c 64 /dev/urandom | kbs_admin PUT default/resource/volumes/fscrypt/web --data-binary @- >/dev/null
export KUBECONFIG="$tmp/data/kubeconfig"
K=("$KUBECTL" --request-timeout=30s)
for ns in bench-plain bench-mtls bench-vault; do "${K[@]}" create namespace "$ns" >/dev/null; done
"${K[@]}" annotate namespace bench-mtls run.cocoon.mtls=permissive >/dev/null

# pod NS NAME SCRIPT: an openssl pod (the confidential profile, as both tests' pods) running SCRIPT;
# in bench-vault with the broker-keyed encrypted emptyDir.
pod() {
	local extra="" mounts=""
	if [ "$1" = bench-vault ]; then
		extra=$'\n    run.cocoon.volume.encrypted: data\n    run.cocoon.volume.key: volumes/fscrypt/web'
		mounts=$'\n    volumeMounts: [{name: data, mountPath: /data}]\n  volumes: [{name: data, emptyDir: {}}]'
	fi
	"${K[@]}" -n "$1" apply -f - >/dev/null <<-YAML
	apiVersion: v1
	kind: Pod
	metadata:
	  name: $2
	  annotations:
	    run.cocoon.profile: confidential$extra
	spec:
	  containers:
	  - name: main
	    image: localhost/openssl:latest
	    command: ["/bin/sh", "-c", "$3"]$mounts
	YAML
}
ready() { "${K[@]}" -n "$1" wait --for=condition=Ready "pod/$2" --timeout=120s >/dev/null; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
stats() { "$SYSTEM_PYTHON" -c 'import statistics, sys
s = [float(x) for x in sys.argv[1].split()]
print("%.0f %.0f" % (statistics.median(s), statistics.quantiles(s, n=10, method="inclusive")[8]))' "$@"; }
field() { json_field "$1" "$2"; }

# a container that ends on SIGTERM (as PID 1 it would ignore it, and each delete would wait out the
# grace period)
idle="trap 'exit 0' TERM; sleep 3600 & wait"

# --- 1. pod start -------------------------------------------------------------------------------
declare -A samples=()
kinds=(bench-plain bench-mtls bench-vault)
for ns in "${kinds[@]}"; do # a warm-up pod each: the image unpacked, the agent's first session
	pod "$ns" warm "$idle" && ready "$ns" warm
	"${K[@]}" -n "$ns" delete pod warm --wait=true --timeout=60s >/dev/null
done
for i in $(seq -f %03g 1 "$n"); do
	for ns in "${kinds[@]}"; do
		t0="$(now_ms)"
		pod "$ns" "p$i" "$idle"
		ready "$ns" "p$i"
		samples[$ns]+="$(($(now_ms) - t0)) "
		"${K[@]}" -n "$ns" delete pod "p$i" --wait=true --timeout=60s >/dev/null
	done
done
# that the kinds did what they are named for: a certificate per mTLS pod, a key per vault pod
allowed() { grep "\"action\":\"$1\"" "$tmp/data/events.jsonl" | grep '"verdict":"allow"' | grep -c "$2" || true; }
certs="$(allowed mtls.certificate "issued the pod's certificate")"
keys="$(allowed volume.key .)"
read -r plain50 _ <<<"$(stats "${samples[bench-plain]}")"
echo "== pod start, kubectl apply -> Ready, $n pods of each kind, one at a time (openssl image, confidential profile) =="
printf "%-44s %8s %8s %10s\n" kind "p50 ms" "p90 ms" "p50/plain"
for ns in "${kinds[@]}"; do
	read -r p50 p90 <<<"$(stats "${samples[$ns]}")"
	case "$ns" in
	bench-plain) label="plain namespace" ;;
	bench-mtls) label="run.cocoon.mtls=permissive (certificate)" ;;
	bench-vault) label="plain, broker volume key (one attestation)" ;;
	esac
	printf "%-44s %8s %8s %9.2fx\n" "$label" "$p50" "$p90" "$("$SYSTEM_PYTHON" -c "print($p50 / $plain50)")"
done
echo "(cocoond's events: $certs certificates issued and $keys volume keys released for $((n + 1)) pods of each, warm-up included)"

# --- 2. issuances at the broker -----------------------------------------------------------------
# The server pod of part 3 is the pod the certificates are for: its token, its containers in the
# node's log (which the runtime keeps for the same swtpm's PCR 15).
pod bench-mtls srv "mkdir -p /tmp/www; head -c 2048 /dev/urandom >/tmp/www/index.html; httpd -p 8080 -h /tmp/www; exec openssl s_server -quiet -accept 8443 -www -cert $MTLS/tls.crt -key $MTLS/tls.key -CAfile $MTLS/ca.pem -partial_chain -Verify 1 -verify_return_error"
pod bench-mtls cli "$idle"
ready bench-mtls srv
ready bench-mtls cli
uid="$("${K[@]}" -n bench-mtls get pod srv -o jsonpath='{.metadata.uid}')"
"${K[@]}" -n bench-mtls create token default --audience cocoon-kbs:default --bound-object-kind Pod \
	--bound-object-name srv --bound-object-uid "$uid" >"$tmp/srv.token"
# a second node of the same swtpm, by its AK (kbs_mtls_revoke.bats' way); the per-node limit raised
# to its maximum, so that -m beyond the default 120 a minute measures issuance, not the limit
mkdir "$tmp/ak"
make_ak "$tmp/ak"
kbs_admin PUT default/node/bench-node --data-binary "@$tmp/ak/ak.tss" >/dev/null
kbs_admin PUT default/mtls --data '{"trustDomain": "acme.example", "issuancesPerMinute": 10000}' >/dev/null
issued="$("$SYSTEM_PYTHON" "$root/bench/services/mtls_client.py" issue "$KBS_URL" "$TMP/pki/ca.crt" --node bench-node \
	--ak-dir "$tmp/ak" --log "$tmp/data.run/runtime/measurements.jsonl" --token-file "$tmp/srv.token" --pod "$uid" -m "$m")"
"$SYSTEM_PYTHON" - "$issued" "$m" <<-'PY'
import json, sys
r, m = json.loads(sys.argv[1]), sys.argv[2]
p = r["cycle_p50_ms"]
print(f"== issuances at the broker, {m} of each, one at a time (node in Python, swtpm through tpm2-tools) ==")
print(f"whole cycle (auth, quote, attest, certificate):  {r['cycle_per_second']:7.2f}/s   "
      f"p50 auth {p['auth']} ms, quote {p['quote']} ms, attest {p['attest']} ms, certificate {p['certificate']} ms")
print(f"TPM quote's share of the cycle:                  {r['quote_share'] * 100:6.1f} %")
print(f"certificates on one attested session:           {r['batch_per_second']:7.1f}/s   "
      f"p50 {r['batch_certificate_p50_ms']} ms")
print(f"attestation + issuance / issuance alone:         {r['batch_per_second'] / r['cycle_per_second']:7.1f}x slower")
PY

# --- 3. handshakes against plaintext ------------------------------------------------------------
ip="$("${K[@]}" -n bench-mtls get pod srv -o jsonpath='{.status.podIP}')"
for _ in $(seq 1 50); do curl -sf -m 1 "http://$ip:8080/" >/dev/null && break; sleep 0.1; done
s_time() {
	"${K[@]}" -n bench-mtls exec cli -- openssl s_time -connect "$ip:8443" "$1" -time "$secs" -www / \
		-cert "$MTLS/tls.crt" -key "$MTLS/tls.key" -CAfile "$MTLS/ca.pem" 2>&1 |
		sed -n 's/^\([0-9]*\) connections in \([0-9.]*\) real seconds.*/\1 \2/p' | tail -1
}
read -r full_n full_s <<<"$(s_time -new)"
read -r reuse_n reuse_s <<<"$(s_time -reuse)"
for f in tls.crt tls.key ca.pem; do "${K[@]}" -n bench-mtls exec cli -- cat "$MTLS/$f" >"$tmp/cli-$f"; done
client=("$SYSTEM_PYTHON" "$root/bench/services/mtls_client.py" connect "$ip")
plain="$("${client[@]}" 8080 "$conns")"
mtls="$("${client[@]}" 8443 "$conns" --cert "$tmp/cli-tls.crt" --key "$tmp/cli-tls.key" --ca "$tmp/cli-ca.pem")"
echo "== new connections to a pod of the mTLS namespace, one at a time =="
"$SYSTEM_PYTHON" -c 'import sys
fn, fs, rn, rs = map(float, sys.argv[1:5])
print(f"client pod, openssl s_time -new (full mTLS handshake):   {fn / fs:8.0f}/s  ({fn:.0f} in {fs:.1f} s)")
print(f"client pod, openssl s_time -reuse (resumed session):     {rn / rs:8.0f}/s  ({rn:.0f} in {rs:.1f} s)")' \
	"$full_n" "$full_s" "$reuse_n" "$reuse_s"
echo "host, plain TCP to busybox httpd :8080:                  $(printf %8s "$(field "$plain" connections_per_second)")/s  p50 $(field "$plain" p50_us) us, p99 $(field "$plain" p99_us) us, $(field "$plain" bytes) B each"
echo "host, mutual TLS to openssl s_server :8443:              $(printf %8s "$(field "$mtls" connections_per_second)")/s  p50 $(field "$mtls" p50_us) us, p99 $(field "$mtls" p99_us) us, $(field "$mtls" bytes) B each"
"$SYSTEM_PYTHON" -c 'import sys; p, t = float(sys.argv[1]), float(sys.argv[2])
print(f"plain / mTLS, connections per second:                    {p / t:8.2f}x")' \
	"$(field "$plain" connections_per_second)" "$(field "$mtls" connections_per_second)"
