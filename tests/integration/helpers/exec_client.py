#!/usr/bin/python3
"""A Kubernetes remote command client over WebSocket (v5/v4.channel.k8s.io), as kubectl exec speaks
it, built on Debian's python3-websocket; for tests/integration/exec_stream.bats.

Usage: exec_client.py URL [options]   (URL: ws://... or wss://..., with ?command=...&stdin=true...)
  --protocol P      offer P (repeatable; default v5.channel.k8s.io)
  --stdin TEXT      send TEXT on channel 0 (\\n escapes allowed), then CLOSE stdin (v5)
  --keep-stdin      do not send CLOSE after --stdin
  --resize WxH      send a resize message first
  --wait-for TEXT   send --stdin only once TEXT appeared on stdout
  --drop-after N    after N output messages, drop the TCP connection without a close frame
  --unmasked        send one unmasked frame and report the server's close code
  --oversize N      send one message of N bytes and report the server's close code
Prints one JSON object: protocol, stdout, stderr, status (channel 3, parsed), close_code.
"""
import argparse
import json
import socket
import ssl
import sys

import websocket


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--protocol", action="append")
    ap.add_argument("--stdin")
    ap.add_argument("--keep-stdin", action="store_true")
    ap.add_argument("--resize")
    ap.add_argument("--wait-for")
    ap.add_argument("--drop-after", type=int)
    ap.add_argument("--unmasked", action="store_true")
    ap.add_argument("--oversize", type=int)
    ap.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()
    protocols = a.protocol or ["v5.channel.k8s.io"]
    result = {"stdout": "", "stderr": "", "status": None, "close_code": None, "first": None}
    try:
        ws = websocket.create_connection(a.url, subprotocols=protocols, timeout=a.timeout,
                                         sslopt={"cert_reqs": ssl.CERT_NONE})
    except websocket.WebSocketBadStatusException as e:
        result["handshake_status"] = e.status_code
        print(json.dumps(result))
        return
    result["protocol"] = ws.subprotocol
    v5 = ws.subprotocol == "v5.channel.k8s.io"

    if a.unmasked or a.oversize:
        if a.unmasked:
            frame = websocket.ABNF(1, 0, 0, 0, websocket.ABNF.OPCODE_BINARY, 0, b"\x00unmasked")
        else:
            frame = websocket.ABNF.create_frame(b"\x00" + b"x" * (a.oversize - 1), websocket.ABNF.OPCODE_BINARY)
        ws.send_frame(frame)
        while True:
            try:
                opcode, f = ws.recv_data_frame(True)
            except Exception:
                break
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                result["close_code"] = int.from_bytes(f.data[:2], "big") if len(f.data) >= 2 else None
                result["close_reason"] = f.data[2:].decode(errors="replace")
                break
        print(json.dumps(result))
        return

    def send_stdin():
        if a.stdin is not None:
            ws.send_binary(b"\x00" + a.stdin.encode().decode("unicode_escape").encode("latin-1"))
            if v5 and not a.keep_stdin:
                ws.send_binary(b"\xff\x00")

    if a.resize:
        w, h = a.resize.split("x")
        ws.send_binary(b"\x04" + json.dumps({"Width": int(w), "Height": int(h)}).encode() + b"\n")
    if not a.wait_for:
        send_stdin()
    messages = 0
    while True:
        try:
            opcode, data = ws.recv_data(True)
        except (websocket.WebSocketConnectionClosedException, socket.timeout, ConnectionError) as e:
            result["error"] = str(e)
            break
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            result["close_code"] = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            break
        if opcode != websocket.ABNF.OPCODE_BINARY or not data:
            continue
        channel, payload = data[0], data[1:]
        if result["first"] is None:
            result["first"] = [channel, len(payload)]
        text = payload.decode(errors="replace")
        if channel == 1:
            result["stdout"] += text
        elif channel == 2:
            result["stderr"] += text
        elif channel == 3:
            result["status"] = json.loads(text)
        messages += 1
        if a.wait_for and a.wait_for in result["stdout"]:
            a.wait_for = None
            send_stdin()
        if a.drop_after is not None and messages >= a.drop_after:
            ws.sock.shutdown(socket.SHUT_RDWR)
            ws.sock.close()
            result["dropped"] = True
            break
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
