#!/usr/bin/python3
"""A node asking the key broker for a pod certificate (docs/design/pod-mtls.md, "Issuance: who proves
what"), with Debian's python3-cryptography: a P-256 key and CSR for the pod, a session whose runtime data
binds the CSR's SubjectPublicKeyInfo (cocoon-csr: sorted hex SHA-384) and optionally names the pod
(cocoon-pod), TPM evidence from the software TPM through tpm2-tools (kbs_client.py's), then
POST /kbs/v0/mtls/certificate with the pod's service account token and DNS names.

Usage: kbs_mtls_client.py URL CA --node N --ak-dir DIR --log FILE --out DIR --token-file FILE
                          [--tenant T] [--pod UID] [--dns NAME]... [--bind other|none] [--no-attest]
Writes DIR/tls.key, DIR/tls.crt and DIR/ca.pem on success (the test reads the attestation extension
with openssl asn1parse: this python3-cryptography cannot parse its 128-bit OID arc); prints one JSON object: the statuses, the EAR's claims (unverified: the test reads
its jti), the evidence digest it sent, and the certificate answer or the problem.
"""
import argparse
import hashlib
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kbs_client  # noqa: E402  (the protocol pieces: broker connection, TEE key, TPM evidence)


def spki_sha384(key):
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha384(der).hexdigest()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("ca")
    p.add_argument("--tenant", default="default")
    p.add_argument("--node", required=True)
    p.add_argument("--ak-dir", required=True)
    p.add_argument("--log")
    p.add_argument("--out", required=True)
    p.add_argument("--token-file", required=True)
    p.add_argument("--pod")
    p.add_argument("--dns", action="append", default=[])
    p.add_argument("--bind", choices=["own", "other", "none"], default="own")
    p.add_argument("--no-attest", action="store_true")
    args = p.parse_args()

    pod_key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pod")]))
           .sign(pod_key, hashes.SHA256()))
    kbs = kbs_client.Broker(args.url, args.ca)
    result = {}
    if not args.no_attest:
        status, challenge = kbs.call("POST", "/kbs/v0/auth", {"version": "0.1.0", "tee": "tpm",
                                                              "extra-params": {"tenant": args.tenant}})
        result["auth"] = status
        _, jwk = kbs_client.tee_key("ec")
        runtime = {"nonce": challenge["nonce"], "tee-pubkey": jwk}
        bound = {"own": [spki_sha384(pod_key)], "none": None,
                 "other": [spki_sha384(ec.generate_private_key(ec.SECP256R1()))]}[args.bind]
        if bound:
            # another pod's key beside it, so the list is a sorted list of several
            runtime["cocoon-csr"] = sorted(bound + [spki_sha384(ec.generate_private_key(ec.SECP256R1()))])
        if args.pod:
            runtime["cocoon-pod"] = args.pod
        binding = hashlib.sha384(kbs_client.canonical(runtime)).digest()
        evidence = kbs_client.tpm_evidence(args, binding)
        result["evidence_digest"] = hashlib.sha384(kbs_client.canonical(evidence)).hexdigest()
        status, answer = kbs.call("POST", "/kbs/v0/attest", {"runtime-data": runtime, "tee-evidence": evidence})
        result["attest"] = status
        if status != 200:
            result["attest_problem"] = answer
            print(json.dumps(result))
            return
        result["ear"] = json.loads(kbs_client.unb64url(answer["token"].split(".")[1]))
    token = open(args.token_file).read().strip()
    body = {"csr": csr.public_bytes(serialization.Encoding.PEM).decode(), "token": token, "dnsNames": args.dns}
    status, answer = kbs.call("POST", "/kbs/v0/mtls/certificate", body)
    result["status"] = status
    if status != 201:
        result["problem"] = answer
        print(json.dumps(result))
        return
    result["answer"] = {k: answer[k] for k in ("serial", "notAfter", "spiffeId")}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tls.key"), "wb") as f:
        f.write(pod_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    open(os.path.join(args.out, "tls.crt"), "w").write(answer["certificate"])
    open(os.path.join(args.out, "ca.pem"), "w").write(answer["ca"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
