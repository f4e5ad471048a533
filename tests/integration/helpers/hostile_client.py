#!/usr/bin/python3
"""The hostile clients of issue 11, bounded so that a test can run them: each reproduces one attack
on a cocoon server and reports what it managed as JSON on stdout.

  h2-flood   open STREAMS HTTP/2 streams (TLS, ALPN h2, no client certificate), never end them, and
             send BYTES of DATA on each as fast as flow control allows; hold the connection.
  hold       open COUNT TCP connections from SOURCE and keep them; with --tls complete the handshake
             (an idle, unauthenticated TLS connection), without it say nothing (a stalled handshake).
  churn      COUNT times: connect, send garbage instead of a TLS ClientHello, close.

Uses python3-h2 (Debian) for HTTP/2 framing; the sockets and TLS are the standard library's."""
import argparse
import json
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events


def tls_context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["h2"])
    return ctx


def h2_flood(args):
    sock = socket.create_connection((args.host, args.port))
    tls = tls_context(args.ca).wrap_socket(sock, server_hostname=args.host)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    tls.sendall(conn.data_to_send())
    streams = []
    headers = [(":method", "POST"), (":path", args.path), (":scheme", "https"), (":authority", args.host),
               ("content-type", args.content_type)]
    for _ in range(args.streams):
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, headers)
        streams.append(sid)
    tls.sendall(conn.data_to_send())
    sent = {sid: 0 for sid in streams}
    answered = {}
    reset = set()
    chunk = b"\0" * 16384
    tls.settimeout(0.05)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        progress = False
        for sid in streams:
            if sid in reset or sent[sid] >= args.bytes:
                continue
            window = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size, len(chunk),
                         args.bytes - sent[sid])
            if window <= 0:
                continue
            try:
                conn.send_data(sid, chunk[:window])
            except Exception:  # the stream was closed by the server
                reset.add(sid)
                continue
            sent[sid] += window
            progress = True
        out = conn.data_to_send()
        if out:
            tls.sendall(out)
        try:
            data = tls.recv(65536)
            if not data:
                break
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    answered[ev.stream_id] = dict((k.decode(), v.decode()) for k, v in ev.headers)
                elif isinstance(ev, h2.events.TrailersReceived):
                    answered.setdefault(ev.stream_id, {}).update((k.decode(), v.decode()) for k, v in ev.headers)
                elif isinstance(ev, h2.events.StreamReset):
                    reset.add(ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    pass
            tls.sendall(conn.data_to_send())
        except (socket.timeout, ssl.SSLWantReadError):
            pass
        if not progress and all(sent[s] >= args.bytes or s in reset for s in streams):
            break
    # Keep the connection (and its streams) open while the test looks at the server.
    print(json.dumps({"sent": sum(sent.values()), "streams": len(streams), "answered": len(answered),
                      "statuses": sorted(set(h.get(":status", "") + "/" + h.get("grpc-status", "-")
                                             for h in answered.values())),
                      "reset": len(reset)}), flush=True)
    if args.hold:
        time.sleep(args.hold)
    tls.close()


def hold(args):
    held = []
    for _ in range(args.count):
        s = socket.socket()
        s.bind((args.source, 0))
        try:
            s.connect((args.host, args.port))
        except OSError:
            s.close()
            continue
        if args.tls:
            try:
                s = tls_context(args.ca).wrap_socket(s, server_hostname=args.host)
            except (OSError, ssl.SSLError):
                s.close()
                continue
        held.append(s)
    print(json.dumps({"held": len(held)}), flush=True)
    time.sleep(args.seconds)
    alive = 0
    for s in held:
        s.setblocking(False)
        try:
            alive += s.recv(1) == b"" and 0 or 1
        except (BlockingIOError, ssl.SSLWantReadError):
            alive += 1
        except OSError:
            pass
        s.close()
    print(json.dumps({"alive_at_end": alive}), flush=True)


def churn(args):
    done = 0
    for _ in range(args.count):
        try:
            s = socket.create_connection((args.host, args.port))
            s.sendall(b"this is not a TLS ClientHello\r\n\r\n")
            s.close()
            done += 1
        except OSError:
            pass
    print(json.dumps({"connections": done}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["h2-flood", "hold", "churn"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca")
    p.add_argument("--path", default="/kbs/v0/auth")
    p.add_argument("--content-type", default="application/grpc")
    p.add_argument("--streams", type=int, default=100)
    p.add_argument("--bytes", type=int, default=4 << 20)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--hold", type=float, default=0)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--source", default="127.0.0.2")
    p.add_argument("--tls", action="store_true")
    args = p.parse_args()
    {"h2-flood": h2_flood, "hold": hold, "churn": churn}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
