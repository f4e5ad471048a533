# A software TPM for tests: swtpm (started and stopped by PID) with SHA-256 and SHA-384 banks and an
# EK certificate from swtpm's local CA; tpm2-tools reach it through TPM2TOOLS_TCTI.

# start_swtpm DIR: sets SWTPM_PID and exports COCOON_TPM_TCTI and TPM2TOOLS_TCTI.
start_swtpm() {
	local dir="$1" port ctrl
	mkdir -p "$dir"
	swtpm_setup --tpm2 --tpmstate "$dir" --pcr-banks sha256,sha384 --create-ek-cert --overwrite \
		>"$dir.setup.log" 2>&1
	# the swtpm TCTI expects the control channel on the next port: find two free in a row
	port="$("$SYSTEM_PYTHON" -c '
import socket
for _ in range(100):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError:
        pass
    finally:
        a.close(); b.close()')"
	ctrl=$((port + 1))

	swtpm socket --tpm2 --tpmstate dir="$dir" --server type=tcp,port="$port",bindaddr=127.0.0.1 \
		--ctrl type=tcp,port="$ctrl",bindaddr=127.0.0.1 --flags not-need-init,startup-clear &
	SWTPM_PID=$!
	export COCOON_TPM_TCTI="swtpm:host=127.0.0.1,port=$port"
	export TPM2TOOLS_TCTI="$COCOON_TPM_TCTI"
	for _ in $(seq 1 100); do
		tpm2_pcrread sha384:15 >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "swtpm did not start" >&2
	return 1
}

stop_swtpm() {
	if [ -n "${SWTPM_PID:-}" ]; then
		kill "$SWTPM_PID" 2>/dev/null || true
		wait "$SWTPM_PID" 2>/dev/null || true
		SWTPM_PID=
	fi
	unset COCOON_TPM_TCTI TPM2TOOLS_TCTI
}

# make_ak DIR: an ECC EK and a restricted ECDSA P-256 attestation key under it; DIR/ak.ctx for
# quoting, DIR/ak.tss (TPM2B_PUBLIC) for the verifier. Transient objects are flushed (swtpm has
# few slots).
make_ak() {
	local dir="$1"
	tpm2_createek -c "$dir/ek.ctx" -G ecc -u "$dir/ek.pub" >/dev/null
	tpm2_createak -C "$dir/ek.ctx" -c "$dir/ak.ctx" -G ecc -g sha256 -s ecdsa -u "$dir/ak.tss" -n "$dir/ak.name" >/dev/null
	tpm2_flushcontext -t
}

# tpm_evidence DIR NONCE_HEX PCRLIST LOG OUT: quotes PCRLIST (tpm2_quote syntax) with nonce, reads
# those PCRs, and writes the evidence JSON of docs/attest.md with the measurement log LOG (or "-").
tpm_evidence() {
	local dir="$1" nonce="$2" pcrs="$3" log="$4" out="$5"
	tpm2_quote -c "$dir/ak.ctx" -l "$pcrs" -q "$nonce" -m "$dir/quote.msg" -s "$dir/quote.sig" -g sha256 >/dev/null
	tpm2_flushcontext -t
	tpm2_pcrread "$pcrs" >"$dir/pcrs.yaml"
	"$SYSTEM_PYTHON" - "$dir" "$log" "$out" <<-'PY'
	import base64, json, re, sys
	d, log, out = sys.argv[1:4]
	pcrs, bank = {}, None
	for line in open(d + "/pcrs.yaml"):
	    m = re.match(r"\s*(sha\d+):\s*$", line)
	    if m:
	        bank = pcrs.setdefault(m.group(1), {})
	        continue
	    m = re.match(r"\s*(\d+)\s*:\s*0x([0-9A-Fa-f]+)", line)
	    if m:
	        bank[m.group(1)] = m.group(2).lower()
	evidence = {"quote": base64.b64encode(open(d + "/quote.msg", "rb").read()).decode(),
	            "signature": base64.b64encode(open(d + "/quote.sig", "rb").read()).decode(), "pcrs": pcrs}
	if log != "-":
	    evidence["measurements"] = [json.loads(l) for l in open(log) if l.strip()]
	json.dump(evidence, open(out, "w"))
	PY
}

# tpm_node_setup: the common setup of tests of a measured node (root, swtpm, tpm2-tools): $TMP,
# $RT_ROOT for cocoon-runtime, a started swtpm and a bundle running `true` in $TMP/bundle.
tpm_node_setup() {
	require_root
	command -v swtpm >/dev/null || skip "swtpm is not installed"
	command -v tpm2_quote >/dev/null || skip "tpm2-tools is not installed"
	TMP="$(mktemp -d)"
	RT_ROOT="$TMP/state"
	start_swtpm "$TMP/tpm"
	make_bundle "$TMP/bundle" 'c["process"]["args"] = ["true"]'
}

# swtpm_ek_ca OUT: the CA bundle (root and intermediate) of swtpm's local CA, which signed the EK
# certificates swtpm_setup wrote.
swtpm_ek_ca() {
	{ cat /var/lib/swtpm-localca/swtpm-localca-rootca-cert.pem; echo; cat /var/lib/swtpm-localca/issuercert.pem; } >"$1"
}
