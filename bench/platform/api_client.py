#!/usr/bin/python3
"""bench/platform's client for what bench_load cannot do: create N objects, and time watch events.

  api_client.py create URL CA CERT KEY N        POST N ConfigMaps (bench-00000 ...) into default
  api_client.py watch URL CA CERT KEY N         N times: create a ConfigMap while a watch is open and
                                                time until its ADDED event arrives; prints p50/p99 (ms)
Standard library only (http.client over TLS with the admin certificate)."""
import http.client
import json
import ssl
import sys
import time


def connect(url, ca, cert, key):
    host, port = url.split("://")[1].split(":")
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    return http.client.HTTPSConnection(host, int(port), context=ctx)


def post(conn, name):
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": name, "labels": {"bench": "yes"}}, "data": {"k": "v" * 64}})
    conn.request("POST", "/api/v1/namespaces/default/configmaps", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    resp.read()
    if resp.status != 201:
        raise SystemExit(f"create {name}: HTTP {resp.status}")


def create(args):
    url, ca, cert, key, n = args[0], args[1], args[2], args[3], int(args[4])
    conn = connect(url, ca, cert, key)
    start = time.monotonic()
    for i in range(n):
        post(conn, f"bench-{i:05d}")
    print(json.dumps({"created": n, "seconds": round(time.monotonic() - start, 3)}))


def watch(args):
    url, ca, cert, key, n = args[0], args[1], args[2], args[3], int(args[4])
    writer = connect(url, ca, cert, key)
    watcher = connect(url, ca, cert, key)
    watcher.request("GET", "/api/v1/namespaces/default/configmaps?watch=true&labelSelector=bench%3Dwatch&resourceVersion=" +
                    latest(writer))
    stream = watcher.getresponse()
    samples = []
    for i in range(n):
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": f"watched-{i:05d}", "labels": {"bench": "watch"}}})
        start = time.monotonic()
        writer.request("POST", "/api/v1/namespaces/default/configmaps", body, {"Content-Type": "application/json"})
        writer.getresponse().read()
        while True:
            line = stream.readline()
            if not line:
                raise SystemExit("the watch ended")
            if f"watched-{i:05d}".encode() in line:
                break
        samples.append((time.monotonic() - start) * 1000)
    samples.sort()
    print(json.dumps({"events": n, "p50_ms": round(samples[n // 2], 2), "p99_ms": round(samples[n * 99 // 100], 2)}))


def latest(conn):
    conn.request("GET", "/api/v1/namespaces/default/configmaps?limit=1")
    resp = conn.getresponse()
    rv = json.loads(resp.read())["metadata"]["resourceVersion"]
    return rv


if __name__ == "__main__":
    {"create": create, "watch": watch}[sys.argv[1]](sys.argv[2:])
