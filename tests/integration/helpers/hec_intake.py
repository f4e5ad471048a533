#!/usr/bin/env python3
"""A Splunk HTTP Event Collector intake for the tests (Splunk itself is not installable here).

It follows the collector's documented JSON event protocol: POST /services/collector/event with
"Authorization: Splunk <token>" and one or more event objects back to back; answers
{"text":"Success","code":0}, with an "ackId" when the request names a channel
(X-Splunk-Request-Channel) and --ack is on; POST /services/collector/ack with {"acks":[ids]}
answers {"acks":{"<id>":true|false}}. Refusals use the collector's codes: 2 token required,
4 invalid token, 5 no data, 6 invalid data format, 10 data channel missing, 12 event field
required, 9 server busy. HTTPS, with a client certificate required when --client-ca is given.

Every accepted event's "event" value is appended to --out as one JSON line, flushed before the
answer. --busy N answers the first N event requests with 503, --garbage N with a 200 that is not the
collector's JSON (and stores nothing); --ack-after N reports an ackId
indexed only from its Nth poll on, so senders must poll."""
import argparse
import http.server
import json
import ssl
import sys
import threading


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--client-ca")
    parser.add_argument("--token", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ack", action="store_true")
    parser.add_argument("--ack-after", type=int, default=2)
    parser.add_argument("--busy", type=int, default=0)
    parser.add_argument("--garbage", type=int, default=0)
    args = parser.parse_args()

    lock = threading.Lock()
    state = {"busy": args.busy, "garbage": args.garbage, "next_ack": 0, "polls": {}}
    out = open(args.out, "a")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("hec: " + fmt % a + "\n")

        def answer(self, status, doc):
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def authorised(self):
            auth = self.headers.get("Authorization")
            if not auth:
                self.answer(401, {"text": "Token is required", "code": 2})
                return False
            if auth != "Splunk " + args.token:
                self.answer(403, {"text": "Invalid token", "code": 4})
                return False
            return True

        def do_GET(self):
            if self.path.startswith("/services/collector/health"):
                self.answer(200, {"text": "HEC is healthy", "code": 17})
            else:
                self.answer(404, {"text": "The requested URL was not found on this server.", "code": 404})

        def do_POST(self):
            data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not self.authorised():
                return
            channel = self.headers.get("X-Splunk-Request-Channel")
            if self.path.startswith("/services/collector/ack"):
                self.acks(data, channel)
            elif self.path.startswith("/services/collector/event") or self.path == "/services/collector":
                self.events(data, channel)
            else:
                self.answer(404, {"text": "The requested URL was not found on this server.", "code": 404})

        def events(self, data, channel):
            with lock:
                if state["busy"] > 0:
                    state["busy"] -= 1
                    self.answer(503, {"text": "Server is busy", "code": 9})
                    return
                if state["garbage"] > 0:  # a broken proxy in front of the collector
                    state["garbage"] -= 1
                    body = b"<html>gateway</html>"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
            if args.ack and not channel:
                self.answer(400, {"text": "Data channel is missing", "code": 10})
                return
            text = data.decode("utf-8", "strict").strip()
            if not text:
                self.answer(400, {"text": "No data", "code": 5})
                return
            decoder, events, pos = json.JSONDecoder(), [], 0
            try:
                while pos < len(text):
                    obj, pos = decoder.raw_decode(text, pos)
                    while pos < len(text) and text[pos] in " \t\r\n":
                        pos += 1
                    if not isinstance(obj, dict) or "event" not in obj:
                        self.answer(400, {"text": "Event field is required", "code": 12,
                                          "invalid-event-number": len(events)})
                        return
                    events.append(obj["event"])
            except ValueError:
                self.answer(400, {"text": "Invalid data format", "code": 6, "invalid-event-number": len(events)})
                return
            with lock:
                for event in events:
                    out.write(json.dumps(event, separators=(",", ":")) + "\n")
                out.flush()
                doc = {"text": "Success", "code": 0}
                if args.ack:
                    doc["ackId"] = state["next_ack"]
                    state["polls"][state["next_ack"]] = 0
                    state["next_ack"] += 1
            self.answer(200, doc)

        def acks(self, data, channel):
            if not channel:
                self.answer(400, {"text": "Data channel is missing", "code": 10})
                return
            try:
                ids = json.loads(data)["acks"]
            except (ValueError, KeyError, TypeError):
                self.answer(400, {"text": "Invalid data format", "code": 6})
                return
            result = {}
            with lock:
                for ack in ids:
                    polls = state["polls"].get(ack)
                    if polls is None:
                        result[str(ack)] = False
                        continue
                    state["polls"][ack] = polls + 1
                    result[str(ack)] = polls + 1 >= args.ack_after
            self.answer(200, {"acks": result})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        context.load_verify_locations(args.client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
