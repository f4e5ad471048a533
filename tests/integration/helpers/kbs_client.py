#!/usr/bin/python3
"""A key broker guest written against the Trustee KBS protocol v0, with Debian's python3-cryptography
for the TEE key, JWE decryption and the EAR signature check. TPM evidence comes from the real
(software) TPM through tpm2-tools, bound to the challenge as the protocol requires.

Usage: kbs_client.py URL CA roundtrip --tenant T --tee tpm|snp|tdx [--node N --ak-dir DIR --log FILE]
                     [--evidence FILE] [--key ec|rsa] [--token-key PEM] [--resource PATH]...
                     [--tamper nonce|runtime] [--bearer] [--repeat N] [--pause S] [--pause-after S]
Prints one JSON object: auth/attest statuses, the verified EAR claims, and per resource its HTTP status
and the decrypted secret (or the problem details). With --repeat N it runs N round trips and prints
latency percentiles of the broker's part (the HTTP calls auth + attest + resource, without the time the
TPM takes to quote).
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def tee_key(kind):
    if kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        n = key.public_key().public_numbers()
        return key, {"kty": "RSA", "alg": "RSA-OAEP-256", "n": b64url(n.n.to_bytes(256, "big")),
                     "e": b64url(n.e.to_bytes(3, "big"))}
    key = ec.generate_private_key(ec.SECP256R1())
    n = key.public_key().public_numbers()
    return key, {"kty": "EC", "crv": "P-256", "alg": "ECDH-ES+A256KW", "x": b64url(n.x.to_bytes(32, "big")),
                 "y": b64url(n.y.to_bytes(32, "big"))}


def jwe_decrypt(key, jwe):
    header = json.loads(unb64url(jwe["protected"]))
    ek = unb64url(jwe["encrypted_key"])
    if header["alg"] == "RSA-OAEP-256":
        cek = key.decrypt(ek, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None))
    else:
        epk = header["epk"]
        peer = ec.EllipticCurvePublicNumbers(int.from_bytes(unb64url(epk["x"]), "big"),
                                             int.from_bytes(unb64url(epk["y"]), "big"), ec.SECP256R1()).public_key()
        z = key.exchange(ec.ECDH(), peer)
        alg = b"ECDH-ES+A256KW"
        kek = hashlib.sha256(b"\0\0\0\1" + z + len(alg).to_bytes(4, "big") + alg + bytes(8) +
                             (256).to_bytes(4, "big")).digest()
        cek = aes_key_unwrap(kek, ek)
    assert header["enc"] == "A256GCM", header
    return AESGCM(cek).decrypt(unb64url(jwe["iv"]), unb64url(jwe["ciphertext"]) + unb64url(jwe["tag"]),
                               jwe["protected"].encode())


def verify_ear(token, pem):
    h, c, s = token.split(".")
    sig = unb64url(s)
    key = serialization.load_pem_private_key(open(pem, "rb").read(), None).public_key()
    key.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
               (h + "." + c).encode(), ec.ECDSA(hashes.SHA256()))
    assert json.loads(unb64url(h))["alg"] == "ES256"
    return json.loads(unb64url(c))


def tpm_evidence(args, binding):
    d = args.ak_dir
    subprocess.run(["tpm2_quote", "-c", d + "/ak.ctx", "-l", "sha384:15+sha256:15", "-q", binding.hex(),
                    "-m", d + "/kbs-quote.msg", "-s", d + "/kbs-quote.sig", "-g", "sha256"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["tpm2_flushcontext", "-t"], check=True)
    out = subprocess.run(["tpm2_pcrread", "sha384:15+sha256:15"], check=True, capture_output=True, text=True).stdout
    pcrs, bank = {}, None
    for line in out.splitlines():
        line = line.strip()
        if line.endswith(":") and line.startswith("sha"):
            bank = pcrs.setdefault(line[:-1], {})
        elif ":" in line and bank is not None:
            index, value = line.split(":", 1)
            bank[index.strip()] = value.strip()[2:].lower()
    log = [json.loads(l) for l in open(args.log)] if args.log else []
    return {"node": args.node, "quote": base64.b64encode(open(d + "/kbs-quote.msg", "rb").read()).decode(),
            "signature": base64.b64encode(open(d + "/kbs-quote.sig", "rb").read()).decode(), "pcrs": pcrs,
            "measurements": log}


class Broker:
    def __init__(self, url, ca):
        u = urllib.parse.urlparse(url)
        ctx = ssl.create_default_context(cafile=ca)
        self.conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10)
        self.cookie = None

    def call(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        cookie = r.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";")[0]
        return r.status, json.loads(data) if data else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("ca")
    p.add_argument("command", choices=["roundtrip"])
    p.add_argument("--tenant", default="default")
    p.add_argument("--tee", default="tpm")
    p.add_argument("--node")
    p.add_argument("--ak-dir")
    p.add_argument("--log")
    p.add_argument("--evidence")
    p.add_argument("--key", default="ec")
    p.add_argument("--token-key")
    p.add_argument("--resource", action="append", default=[])
    p.add_argument("--tamper", choices=["nonce", "runtime", "replay"])
    p.add_argument("--bearer", action="store_true")
    p.add_argument("--repeat", type=int, default=0)
    p.add_argument("--pause", type=float, default=0, help="seconds between challenge and attestation")
    p.add_argument("--pause-after", type=float, default=0, help="seconds between attestation and resources")
    args = p.parse_args()

    if args.repeat:
        broker_ms, quote_ms = [], []
        for _ in range(args.repeat):
            result = roundtrip(args)
            assert result["attest"] in (200, 401), result
            broker_ms.append(result["timing"]["broker_ms"])
            quote_ms.append(result["timing"]["evidence_ms"])
        broker_ms.sort()
        quote_ms.sort()
        n = len(broker_ms)
        print(json.dumps({"round_trips": n, "attest_status": result["attest"],
                          "broker_p50_ms": round(broker_ms[n // 2], 2),
                          "broker_p99_ms": round(broker_ms[min(n - 1, n * 99 // 100)], 2),
                          "evidence_p50_ms": round(quote_ms[n // 2], 2)}))
        return
    print(json.dumps(roundtrip(args)))


def roundtrip(args):
    kbs = Broker(args.url, args.ca)
    result = {}
    broker = 0.0
    t = time.monotonic()
    status, challenge = kbs.call("POST", "/kbs/v0/auth", {"version": "0.1.0", "tee": args.tee,
                                                          "extra-params": {"tenant": args.tenant}})
    broker += time.monotonic() - t
    result["auth"] = status
    if status != 200:
        result["auth_problem"] = challenge
        return result
    key, jwk = tee_key(args.key)
    runtime = {"nonce": challenge["nonce"], "tee-pubkey": jwk}
    binding = hashlib.sha384(canonical(runtime)).digest()
    if args.tamper == "nonce":
        runtime["nonce"] = base64.b64encode(os.urandom(32)).decode()
    t = time.monotonic()
    if args.evidence:
        evidence = json.load(open(args.evidence))
    else:
        evidence = tpm_evidence(args, binding)
    evidence_time = time.monotonic() - t
    if args.tamper == "runtime":  # the evidence binds the original key; swap in another
        runtime["tee-pubkey"] = tee_key(args.key)[1]
    body = {"runtime-data": runtime, "tee-evidence": evidence}
    time.sleep(args.pause)
    t = time.monotonic()
    status, answer = kbs.call("POST", "/kbs/v0/attest", body)
    broker += time.monotonic() - t
    result["attest"] = status
    if args.tamper == "replay":
        result["replay"], result["replay_problem"] = kbs.call("POST", "/kbs/v0/attest", body)
    if status == 200:
        token = answer["token"]
        result["ear"] = verify_ear(token, args.token_key) if args.token_key else None
        if args.bearer:
            kbs.cookie = None
    else:
        result["attest_problem"] = answer
    result["resources"] = {}
    time.sleep(args.pause_after)
    for path in args.resource:
        headers = {"Authorization": "Bearer " + answer["token"]} if args.bearer and status == 200 else None
        t = time.monotonic()
        rstatus, reply = kbs.call("GET", "/kbs/v0/resource/" + path, headers=headers)
        broker += time.monotonic() - t
        entry = {"status": rstatus}
        if rstatus == 200:
            entry["secret"] = jwe_decrypt(key, reply).decode()
            entry["alg"] = json.loads(unb64url(reply["protected"]))["alg"]
        else:
            entry["problem"] = reply
        result["resources"][path] = entry
    result["timing"] = {"broker_ms": broker * 1000, "evidence_ms": evidence_time * 1000}
    return result


if __name__ == "__main__":
    main()
