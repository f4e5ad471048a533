#!/usr/bin/python3
"""A Debian security tracker feed (its JSON format) made from a root filesystem's own changelogs.

Debian's changelogs (/usr/share/doc/*/changelog.Debian.gz) name the CVEs each upload fixed: for
every (source package, CVE) the oldest entry naming it gives the fixed version, a real triple to
test matching with, without a network. Every advisory is written for `--release` (default
bookworm); `--also-release NAME` writes each one a second time for another release with a fixed
version far above anything installed, which must never match a bookworm image.

Usage: changelog_feed.py ROOTFS [--release bookworm] [--also-release bullseye] > feed.json
"""
import argparse
import gzip
import json
import os
import re
import sys

HEADER = re.compile(r"^(\S+) \(([^)]+)\) [^;]*;.*$")
CVE = re.compile(r"CVE-\d{4}-\d{4,}")


def entries(path):
    """(source, version, body) of each entry, newest first."""
    with gzip.open(path, "rt", errors="replace") as f:
        source = version = None
        body = []
        for line in f:
            m = HEADER.match(line)
            if m:
                if source:
                    yield source, version, "".join(body)
                source, version, body = m.group(1), m.group(2), []
            elif source:
                body.append(line)
        if source:
            yield source, version, "".join(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rootfs")
    ap.add_argument("--release", default="bookworm")
    ap.add_argument("--also-release")
    args = ap.parse_args()
    fixed = {}  # (source, cve) -> version of the oldest entry naming it
    doc = os.path.join(args.rootfs, "usr/share/doc")
    for name in sorted(os.listdir(doc)):
        path = os.path.join(doc, name, "changelog.Debian.gz")
        if os.path.islink(os.path.join(doc, name)) or not os.path.isfile(path):
            continue
        for source, version, body in entries(path):
            for cve in set(CVE.findall(body)):
                fixed[(source, cve)] = version  # later (older) entries overwrite: the first fix wins
    feed = {}
    for (source, cve), version in sorted(fixed.items()):
        releases = {args.release: {"status": "resolved", "fixed_version": version, "urgency": "medium",
                                   "repositories": {args.release: version}}}
        if args.also_release:
            releases[args.also_release] = {"status": "resolved", "fixed_version": "999:0", "urgency": "high",
                                           "repositories": {args.also_release: "999:0"}}
        feed.setdefault(source, {})[cve] = {"description": f"{cve} in {source} (from its changelog)",
                                              "releases": releases}
    json.dump(feed, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
