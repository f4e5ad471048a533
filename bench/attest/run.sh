#!/usr/bin/env bash
# Attestation and key benchmarks, side by side with the physical bound measured in the same run:
#   KMS v2: Encrypt and Decrypt calls/s from 16 concurrent HTTP/2 clients (bench/attest/kms_load)
#           against cocoon kms serve on its unix socket, next to `openssl speed` of AES-256-GCM on
#           64-byte blocks (one KMS call is one such AES-GCM operation plus gRPC);
#   evidence: in-process verification latency p50/p99 of the real SNP report and TDX quote, next to
#           `openssl speed` of the signature verifications each one needs.
# Usage: bench/attest/run.sh [SECONDS]   (default 5 per KMS run; needs a build in build/)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-5}"
COCOON="$root/build/cocoon"
LOAD="$root/build/bench/attest/kms_load"
VERIFY="$root/build/bench/attest/verify_latency"
fixtures="$root/tests/fixtures/attestation"
work="$(mktemp -d /tmp/cocoon-attest-bench.XXXXXX)"
kms_pid=
cleanup() {
	[ -n "$kms_pid" ] && kill "$kms_pid" 2>/dev/null && wait "$kms_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

"$COCOON" key init-root "$work/root.key" >/dev/null
"$COCOON" key create bench --root-key "$work/root.key" --store "sqlite:$work/state.db" >/dev/null
"$COCOON" kms serve --socket "$work/kms.sock" --key bench --root-key "$work/root.key" \
	--store "sqlite:$work/state.db" 2>"$work/kms.log" &
kms_pid=$!
for _ in $(seq 1 100); do [ -S "$work/kms.sock" ] && break; sleep 0.05; done

field() { "${PYTHON:-/usr/bin/python3}" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

echo "== KMS v2 plugin, 16 clients, ${seconds}s each (goal >= 20000 calls/s) =="
for op in encrypt decrypt; do
	result="$("$LOAD" --socket "$work/kms.sock" --clients 16 --seconds "$seconds" --op "$op")"
	echo "cocoon kms $op: $(field "$result" ops_per_s) calls/s, p50 $(field "$result" p50_us) us," \
		"p99 $(field "$result" p99_us) us, errors $(field "$result" errors)"
done
aes="$(openssl speed -seconds 2 -evp aes-256-gcm 2>/dev/null | awk '/^AES-256-GCM/ {print $3}')"
aes_ops="$(echo "${aes%k} * 1000 / 64" | bc)"
echo "openssl speed AES-256-GCM, 64-byte blocks, one core: $aes_ops ops/s (the bound of the crypto alone)"

echo "== evidence verification in process (goal p99 < 20 ms) =="
"$VERIFY" snp "$fixtures/snp/milan-report.bin" "$fixtures/snp/ask_ark_milan.pem" "$fixtures/snp/milan-vcek.der" 300
"$VERIFY" tdx "$fixtures/tdx/spr-e4-quote-v4.dat" "$fixtures/tdx/intel-sgx-root-ca.pem" - 300
openssl speed -seconds 2 ecdsap256 ecdsap384 rsa4096 2>/dev/null |
	awk '/ecdsa \(nistp|^rsa 4096/ {print "openssl speed " $0}'
echo "(SNP: 1 ECDSA P-384 + RSA-4096-PSS for VCEK and ASK; TDX: ECDSA P-256 for PCK and its CA, the QE report and the quote)"

echo "== key broker round trip: auth -> attest -> resource over HTTPS (goal p99 verification < 20 ms) =="
SYSTEM_PYTHON=/usr/bin/python3
source "$root/tests/integration/helpers/common.bash"
source "$root/tests/integration/helpers/tpm.bash"
source "$root/tests/integration/helpers/keys.bash"
TMP="$work"
trap 'stop_kbs; stop_swtpm; cleanup' EXIT
start_swtpm "$work/tpm"
make_ak "$work"
start_kbs "$work" --snp-chain "$fixtures/snp/ask_ark_milan.pem" --tdx-root "$fixtures/tdx/intel-sgx-root-ca.pem"
kbs_admin PUT default/node/n1 --data-binary "@$work/ak.tss" >/dev/null
printf 'rules:\n- {claim: tee, oneOf: [tpm]}\n' | kbs_admin PUT default/policy --data-binary @- >/dev/null
printf 'bench-secret' | kbs_admin PUT default/resource/bench/key/one --data-binary @- >/dev/null
"$SYSTEM_PYTHON" -c 'import base64, json, sys; json.dump({"report": base64.b64encode(open(sys.argv[1], "rb").read()).decode(), "vcek": base64.b64encode(open(sys.argv[2], "rb").read()).decode()}, open(sys.argv[3], "w"))' \
	"$fixtures/snp/milan-report.bin" "$fixtures/snp/milan-vcek.der" "$work/snp.json"
"$SYSTEM_PYTHON" -c 'import base64, json, sys; json.dump({"quote": base64.b64encode(open(sys.argv[1], "rb").read()).decode()}, open(sys.argv[2], "w"))' \
	"$fixtures/tdx/spr-e4-quote-v4.dat" "$work/tdx.json"
echo "TPM (swtpm quote excluded from the broker time): $(kbs_client --repeat 100 --tee tpm --node n1 --ak-dir "$work" --resource bench/key/one)"
echo "SNP vector (verified, then refused at the session binding): $(kbs_client --repeat 100 --tee snp --evidence "$work/snp.json")"
echo "TDX vector (verified, then refused at the session binding): $(kbs_client --repeat 100 --tee tdx --evidence "$work/tdx.json")"
