#!/usr/bin/python3
"""A node asking the key broker for a pod certificate (docs/design/pod-mtls.md, "Issuance: who proves
what"), with Debian's python3-cryptography: a P-256 key and CSR for the pod, a session whose runtime data
binds the CSR's SubjectPublicKeyInfo (cocoon-csr: sorted hex SHA-384) and optionally names the pod
(cocoon-pod), TPM evidence from the software TPM through tpm2-tools (kbs_client.py's), then
POST /kbs/v0/mtls/certificate with the pod's service account token and DNS names.

Usage: kbs_mtls_client.py URL CA --node N --ak-dir DIR --log FILE --out DIR --token-file FILE
                          [--tenant T] [--pod UID] [--dns NAME]... [--bind other|none] [--no-attest]
                          [--no-csr] [--tamper log|signature] [--revoke SERIAL]... [--reason R]
                          [--crl FILE] [--bundle FILE]
Writes DIR/tls.key, DIR/tls.crt and DIR/ca.pem on success (the test reads the attestation extension
with openssl asn1parse: this python3-cryptography cannot parse its 128-bit OID arc); prints one JSON object: the statuses, the EAR's claims (unverified: the test reads
its jti), the evidence digest it sent, and the certificate answer or the problem.

Revocation (design step 4), on the same session: --no-csr attests without asking for a certificate
(no token file needed); --tamper alters the evidence after the quote (log: one measurement record more, so
the log no longer replays though the quote is the TPM's; signature: the quote's signature, as a
forger would send it); --revoke posts the serials to /kbs/v0/mtls/revoke (with --reason); --crl and
--bundle fetch the tenant's CRL and CA bundle (PEM) into FILE. Their statuses and answers join the
JSON object as "revoke", "crl" and "bundle".
"""
import argparse
import base64
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
    p.add_argument("--token-file")
    p.add_argument("--pod")
    p.add_argument("--dns", action="append", default=[])
    p.add_argument("--bind", choices=["own", "other", "none"], default="own")
    p.add_argument("--no-attest", action="store_true")
    p.add_argument("--no-csr", action="store_true")
    p.add_argument("--tamper", choices=["log", "signature"])
    p.add_argument("--revoke", action="append", default=[])
    p.add_argument("--reason")
    p.add_argument("--crl")
    p.add_argument("--bundle")
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
        tamper(evidence, args.tamper)
        result["evidence_digest"] = hashlib.sha384(kbs_client.canonical(evidence)).hexdigest()
        status, answer = kbs.call("POST", "/kbs/v0/attest", {"runtime-data": runtime, "tee-evidence": evidence})
        result["attest"] = status
        if status != 200:
            result["attest_problem"] = answer
            print(json.dumps(result))
            return
        result["ear"] = json.loads(kbs_client.unb64url(answer["token"].split(".")[1]))
    if args.no_csr:
        after(kbs, args, result)
        print(json.dumps(result))
        return
    if not args.token_file:
        p.error("--token-file is needed to ask for a certificate (or --no-csr)")
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
    after(kbs, args, result)
    print(json.dumps(result))


def tamper(evidence, how):
    """Evidence a broken node (log) or a forger (signature) would send."""
    if how == "log":
        # a record the TPM never saw extended (a well-formed copy of the last one): the log no longer replays
        record = dict(evidence["measurements"][-1])
        record["seq"] = record.get("seq", 0) + 1
        evidence["measurements"].append(record)
    elif how == "signature":
        sig = bytearray(base64.b64decode(evidence["signature"]))
        sig[-1] ^= 0xFF
        evidence["signature"] = base64.b64encode(bytes(sig)).decode()


def get_pem(kbs, path):
    """GET a PEM answer on the session: (status, content type, text)."""
    kbs.conn.request("GET", path, headers={"Cookie": kbs.cookie} if kbs.cookie else {})
    r = kbs.conn.getresponse()
    return r.status, r.getheader("Content-Type"), r.read().decode()


def after(kbs, args, result):
    """What the node does with its session besides issuance: revoke, fetch the CRL and the bundle."""
    if args.revoke:
        body = {"serials": args.revoke}
        if args.reason:
            body["reason"] = args.reason
        status, answer = kbs.call("POST", "/kbs/v0/mtls/revoke", body)
        result["revoke"] = {"status": status, "answer": answer}
    for name, path in (("crl", args.crl), ("bundle", args.bundle)):
        if not path:
            continue
        status, ctype, text = get_pem(kbs, "/kbs/v0/mtls/" + name)
        result[name] = {"status": status, "type": ctype}
        if status == 200:
            open(path, "w").write(text)
        else:
            result[name]["problem"] = json.loads(text)


if __name__ == "__main__":
    main()
