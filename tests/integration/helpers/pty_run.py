#!/usr/bin/python3
"""Runs a command on a pseudo-terminal of the given size, as a user at a terminal would: waits for
the first output, types the input, and prints what the terminal showed and the exit code.

Usage: pty_run.py ROWSxCOLS INPUT COMMAND [ARG...]   (INPUT: \\r escapes allowed)"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios
import time


def main():
    rows, cols = (int(v) for v in sys.argv[1].split("x"))
    typed = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[3], sys.argv[3:])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    out = b""
    sent = False
    deadline = time.time() + 20
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the command is gone
                break
            if not data:
                break
            out += data
        if not sent and out:
            os.write(fd, typed)
            sent = True
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    print("\nexit %d" % os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
