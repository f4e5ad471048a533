#!/usr/bin/python3
"""Producers for the audit socket tests, well-behaved and not (audit_socket_attacks.bats).

  send SOCKET LINE...          one connection: each line sent, its reply printed with the seconds it took
  long SOCKET BYTES            one line of BYTES letters A (more than fits an argument), as send
  flood SOCKET LINE COUNT HOLD  COUNT copies of LINE sent and no reply ever read; the connection held
                               HOLD seconds (or until the forwarder closes it); prints "closed after N
                               lines" or "held"
  idle SOCKET COUNT HOLD        COUNT connections that send nothing, held HOLD seconds; prints how many
                               the forwarder closed
  trickle SOCKET HOLD           one connection sending a byte every 0.2 s and never a newline; prints
                               the seconds until the forwarder closed it, or "held"
Every count is bounded; every wait has a timeout.
"""
import select
import socket
import sys
import time


def connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def closed_by_peer(s):
    """True when the forwarder closed s (EOF or reset), without blocking."""
    s.setblocking(False)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    finally:
        s.setblocking(True)


def send(path, lines):
    s = connect(path, timeout=2.0)
    f = s.makefile("rb")
    for line in lines:
        start = time.monotonic()
        try:
            s.sendall(line.encode() + b"\n")
        except OSError:
            pass  # cut off while sending: its reply may be waiting all the same
        try:
            reply = f.readline().decode(errors="replace").strip() or "(closed)"
        except (socket.timeout, OSError) as e:
            reply = "(no reply: %s)" % e
        print("%s %.2f" % (reply, time.monotonic() - start), flush=True)


def flood(path, line, count, hold):
    s = connect(path)
    data = (line + "\n").encode()
    sent = 0
    try:
        for sent in range(1, count + 1):
            s.sendall(data)
    except OSError:
        print("closed after %d lines" % sent, flush=True)
        return
    # Wait for the forwarder to close the connection, still reading no reply: POLLRDHUP says the
    # other side is gone even with replies left unread.
    p = select.poll()
    p.register(s, select.POLLRDHUP)
    if p.poll(hold * 1000):
        print("closed after %d lines" % sent, flush=True)
    else:
        print("held", flush=True)


def idle(path, count, hold):
    conns = [connect(path) for _ in range(count)]
    time.sleep(hold)
    print(sum(1 for s in conns if closed_by_peer(s)), flush=True)


def trickle(path, hold):
    s = connect(path)
    start = time.monotonic()
    while time.monotonic() - start < hold:
        try:
            s.send(b"{")
        except OSError:
            break
        if closed_by_peer(s):
            break
        time.sleep(0.2)
    else:
        print("held", flush=True)
        return
    print("%.1f" % (time.monotonic() - start), flush=True)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "send":
        send(path, sys.argv[3:])
    elif mode == "long":
        send(path, ["A" * int(sys.argv[3])])
    elif mode == "flood":
        flood(path, sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif mode == "idle":
        idle(path, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "trickle":
        trickle(path, float(sys.argv[3]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
