#!/usr/bin/python3
"""A token service for docker-registry's token authentication (Docker's token spec,
https://distribution.github.io/distribution/spec/auth/token/), enough for tests: GET
/token?service=S&scope=repository:NAME:ACTIONS answers {"token": JWT} signed ES256 with the key
given, the certificate in the JWT's x5c header (the registry's rootcertbundle trusts it). Anonymous
requests are granted `pull` on any repository except those under private/, which need the basic
credentials USER:PASSWORD given with --user. Each request is logged as one JSON line to --log.

Usage: registry_token.py --port PORT --key KEY.pem --cert CERT.pem --issuer NAME --log FILE [--user U:P]
Prints "listening PORT" when ready (PORT 0: the kernel picks one).
"""

import argparse
import base64
import json
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(key, cert_der, issuer, service, access):
    header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(cert_der).decode()]}
    now = int(time.time())
    claims = {"iss": issuer, "sub": "", "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now,
              "jti": str(now), "access": access}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--user", default="")
    args = ap.parse_args()
    key = serialization.load_pem_private_key(open(args.key, "rb").read(), password=None)
    cert_der = x509.load_pem_x509_certificate(open(args.cert, "rb").read()).public_bytes(serialization.Encoding.DER)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(url.query)
            auth = self.headers.get("Authorization", "")
            user = ""
            if auth.startswith("Basic "):
                user = base64.b64decode(auth[6:]).decode(errors="replace")
            with open(args.log, "a") as log:
                log.write(json.dumps({"path": url.path, "query": q, "basic": bool(user)}) + "\n")
            if url.path != "/token" or "service" not in q:
                self.send_response(400)
                self.end_headers()
                return
            if user and user != args.user:
                self.send_response(401)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"details":"wrong user name or password"}')
                return
            access = []
            for scope in q.get("scope", []):
                parts = scope.split(":")
                if len(parts) != 3 or parts[0] != "repository":
                    continue
                name = parts[1]
                if name.startswith("private/") and user != args.user:
                    continue  # anonymous: no access there (the registry then answers 401)
                access.append({"type": "repository", "name": name, "actions": parts[2].split(",")})
            token = make_token(key, cert_der, args.issuer, q["service"][0], access)
            body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("listening", server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
