#!/usr/bin/python3
"""bench/services/mtls.sh's load: pod certificates at the key broker, and new connections with and
without mutual TLS, from the host, one after the other.

  mtls_client.py issue URL CA --node N --ak-dir DIR --log FILE --token-file FILE --pod UID -m M
      The node's side of docs/design/pod-mtls.md "Issuance" with the test helpers' pieces
      (tests/integration/helpers/kbs_client.py, kbs_mtls_client.py), twice:
        cycle: M times a new P-256 key and CSR, POST /kbs/v0/auth, a TPM quote binding the CSR's
               SPKI digest (cocoon-csr) and naming the pod (cocoon-pod; tpm2_quote and tpm2_pcrread
               against swtpm), POST
               /kbs/v0/attest, POST /kbs/v0/mtls/certificate: what one new pod costs;
        batch: one session whose quote binds M keys, then M certificates on it: the broker's
               issuance alone (token check, log lookup, rate bucket, signing, the record).
      Prints JSON: per phase p50 in ms, issuances per second of each.
  mtls_client.py connect HOST PORT N [--cert C --key K --ca CA]
      N HTTP/1.0 GETs of /, each on a new TCP connection; with --cert, a TLS connection presenting
      C (server verified against CA with partial chains, no host name: the pods' certificates name
      SPIFFE IDs). Prints JSON {connections_per_second, p50_us, p99_us, bytes}.
Debian's python3 and python3-cryptography."""
import argparse
import hashlib
import json
import os
import socket
import ssl
import statistics
import sys
import time

HELPERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "integration", "helpers")
sys.path.insert(0, HELPERS)
import kbs_client  # noqa: E402  (broker connection, TEE key, TPM evidence)
from kbs_mtls_client import spki_sha384  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

CSR_LIST_MAX = 256  # keys one attestation may bind (src/kbs/kbs_mtls_checks.h, KBS_MTLS_CSR_LIST_MAX)


def new_csr():
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pod")]))
           .sign(key, hashes.SHA256()))
    return key, csr.public_bytes(serialization.Encoding.PEM).decode()


def check(what, status, answer, want):
    if status != want:
        raise SystemExit(f"{what}: HTTP {status}: {json.dumps(answer)}")


def attest(args, keys, t):
    """A session attested with a quote binding KEYS; adds each phase's seconds to T."""
    t0 = time.perf_counter()
    kbs = kbs_client.Broker(args.url, args.ca)
    status, challenge = kbs.call("POST", "/kbs/v0/auth", {"version": "0.1.0", "tee": "tpm",
                                                          "extra-params": {"tenant": "default"}})
    check("auth", status, challenge, 200)
    _, jwk = kbs_client.tee_key("ec")
    runtime = {"nonce": challenge["nonce"], "tee-pubkey": jwk, "cocoon-csr": sorted(spki_sha384(k) for k in keys),
               # the pod named, as cocoond does: the EAR then carries its containers only, not every
               # container of the node's log (which outgrows the broker's 16 KiB JWT limit)
               "cocoon-pod": args.pod}
    binding = hashlib.sha384(kbs_client.canonical(runtime)).digest()
    t1 = time.perf_counter()
    evidence = kbs_client.tpm_evidence(args, binding)
    t2 = time.perf_counter()
    status, answer = kbs.call("POST", "/kbs/v0/attest", {"runtime-data": runtime, "tee-evidence": evidence})
    check("attest", status, answer, 200)
    kbs.ear_len = len(answer["token"])
    t3 = time.perf_counter()
    t["auth"].append(t1 - t0)
    t["quote"].append(t2 - t1)
    t["attest"].append(t3 - t2)
    return kbs


def certificate(kbs, token, csr, t):
    t0 = time.perf_counter()
    status, answer = kbs.call("POST", "/kbs/v0/mtls/certificate", {"csr": csr, "token": token, "dnsNames": []})
    check(f"certificate (the session's EAR is {kbs.ear_len} bytes)", status, answer, 201)
    t["certificate"].append(time.perf_counter() - t0)


def ms(samples):
    return round(statistics.median(samples) * 1e3, 1)


def issue(args):
    token = open(args.token_file).read().strip()
    cycle = {k: [] for k in ("auth", "quote", "attest", "certificate")}
    start = time.perf_counter()
    for _ in range(args.m):
        key, csr = new_csr()
        certificate(attest(args, [key], cycle), token, csr, cycle)
    cycle_total = time.perf_counter() - start
    batch = {k: [] for k in ("auth", "quote", "attest", "certificate")}
    batch_total = 0.0
    for first in range(0, args.m, CSR_LIST_MAX):
        pairs = [new_csr() for _ in range(min(CSR_LIST_MAX, args.m - first))]
        kbs = attest(args, [k for k, _ in pairs], batch)
        start = time.perf_counter()
        for _, csr in pairs:
            certificate(kbs, token, csr, batch)
        batch_total += time.perf_counter() - start
    quote = sum(cycle["quote"])
    print(json.dumps({
        "cycle_per_second": round(args.m / cycle_total, 2),
        "cycle_p50_ms": {k: ms(v) for k, v in cycle.items()},
        "quote_share": round(quote / cycle_total, 3),
        "batch_per_second": round(args.m / batch_total, 1),
        "batch_certificate_p50_ms": ms(batch["certificate"]),
    }))


def connect(args):
    ctx = None
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.load_verify_locations(args.ca)
        ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the pod's bundle holds the issuing CA
        ctx.load_cert_chain(args.cert, args.key)
    samples, got = [], 0
    start = time.perf_counter()
    for _ in range(args.n):
        t0 = time.perf_counter()
        s = socket.create_connection((args.host, args.port), timeout=5)
        if ctx:
            s = ctx.wrap_socket(s)  # a new context session each time: a full handshake
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                got += len(data)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            pass
        s.close()
        samples.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    samples.sort()
    print(json.dumps({"connections_per_second": round(len(samples) / total),
                      "p50_us": round(samples[len(samples) // 2] * 1e6),
                      "p99_us": round(samples[len(samples) * 99 // 100] * 1e6), "bytes": got // args.n}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("issue")
    i.add_argument("url")
    i.add_argument("ca")
    i.add_argument("--node", required=True)
    i.add_argument("--ak-dir", required=True)
    i.add_argument("--log", required=True)
    i.add_argument("--token-file", required=True)
    i.add_argument("--pod", required=True)
    i.add_argument("-m", type=int, default=20)
    c = sub.add_parser("connect")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("n", type=int)
    c.add_argument("--cert")
    c.add_argument("--key")
    c.add_argument("--ca")
    args = p.parse_args()
    issue(args) if args.cmd == "issue" else connect(args)


if __name__ == "__main__":
    main()
