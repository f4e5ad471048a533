#!/usr/bin/python3
"""bench/services' load: connections through a Service's virtual IP against the pod's own address,
and DNS queries against cocoond's name server and dnsmasq, from the host, one after the other.

  client.py http HOST PORT N     N HTTP/1.0 GETs of /x, each on a new TCP connection; prints JSON
                                 {connections_per_second, p50_us, p99_us}
  client.py dns SERVER PORT NAME N   N A queries for NAME over UDP, one at a time; prints JSON
                                 {queries_per_second, p50_us, p99_us}
Standard library only."""
import json
import random
import socket
import struct
import sys
import time


def summary(samples, per_second_key, total):
    samples.sort()
    return {per_second_key: round(len(samples) / total), "p50_us": round(samples[len(samples) // 2] * 1e6),
            "p99_us": round(samples[len(samples) * 99 // 100] * 1e6)}


def http(host, port, n):
    samples = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(b"GET /x HTTP/1.0\r\n\r\n")
        while s.recv(65536):
            pass
        s.close()
        samples.append(time.perf_counter() - t0)
    return summary(samples, "connections_per_second", time.perf_counter() - start)


def query(name):
    qid = random.randrange(65536)
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return qid, struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + struct.pack(">HH", 1, 1)


def dns(server, port, name, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    samples = []
    start = time.perf_counter()
    for _ in range(n):
        qid, msg = query(name)
        t0 = time.perf_counter()
        s.sendto(msg, (server, port))
        while True:
            data, _ = s.recvfrom(4096)
            if struct.unpack(">H", data[:2])[0] == qid:
                break
        if struct.unpack(">H", data[6:8])[0] < 1:
            raise SystemExit(f"no answer for {name} from {server}:{port}")
        samples.append(time.perf_counter() - t0)
    return summary(samples, "queries_per_second", time.perf_counter() - start)


if __name__ == "__main__":
    if sys.argv[1] == "http":
        print(json.dumps(http(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        print(json.dumps(dns(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))))
