#!/usr/bin/python3
"""bench/platform's pod-start client: apply -> Ready, as a user of the API sees it.

  pod_client.py start URL CA CERT KEY N IMAGE     N times, one after the other: POST a pod (the same
                                                  manifest as podman kube play gets) and time until a
                                                  watch shows its Ready condition True; prints the
                                                  samples (ms) as JSON
  pod_client.py clean URL CA CERT KEY N           delete them (grace 0) and wait until they are gone
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
    return http.client.HTTPSConnection(host, int(port), context=ctx, timeout=120)


def manifest(name, image):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "pods"}},
            "spec": {"restartPolicy": "Always", "containers": [
                {"name": "c", "image": image, "command": ["/bin/sleep", "3600"]}]}}


def ready(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c.get("type") == "Ready" and c.get("status") == "True":
            return True
    return False


def start(args):
    url, ca, cert, key, n, image = args[0], args[1], args[2], args[3], int(args[4]), args[5]
    writer = connect(url, ca, cert, key)
    samples = []
    for i in range(n):
        name = f"bench-pod-{i:03d}"
        watcher = connect(url, ca, cert, key)
        watcher.request("GET", f"/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3D{name}")
        stream = watcher.getresponse()
        t0 = time.monotonic()
        writer.request("POST", "/api/v1/namespaces/default/pods", json.dumps(manifest(name, image)),
                       {"Content-Type": "application/json"})
        resp = writer.getresponse()
        resp.read()
        if resp.status != 201:
            raise SystemExit(f"create {name}: HTTP {resp.status}")
        while True:
            line = stream.readline()
            if not line:
                raise SystemExit(f"{name}: the watch ended before the pod was Ready")
            if ready(json.loads(line)["object"]):
                break
        samples.append((time.monotonic() - t0) * 1000)
        watcher.close()
    print(json.dumps(samples))


def clean(args):
    url, ca, cert, key, n = args[0], args[1], args[2], args[3], int(args[4])
    conn = connect(url, ca, cert, key)
    for i in range(n):
        conn.request("DELETE", f"/api/v1/namespaces/default/pods/bench-pod-{i:03d}?gracePeriodSeconds=0")
        conn.getresponse().read()
    for _ in range(600):
        conn.request("GET", "/api/v1/namespaces/default/pods?labelSelector=bench%3Dpods")
        if not json.loads(conn.getresponse().read())["items"]:
            return
        time.sleep(0.1)


if __name__ == "__main__":
    {"start": start, "clean": clean}[sys.argv[1]](sys.argv[2:])
