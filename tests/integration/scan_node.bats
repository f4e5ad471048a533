#!/usr/bin/env bats
# cocoon scan node: a host's filesystem (a root made here, with proc, sysfs and tmpfs mounted in a
# private mount namespace) scanned for packages, malware and world-readable secrets; the walk's
# limits (pseudo filesystems, --exclude), its priority and rate limit; detections as audit events.

load helpers/common

TESTFILES=/usr/share/clamav-testfiles

setup() {
	[ -r "$TESTFILES/clam.exe" ] || skip "clamav-testfiles is not installed (scripts/install-deps)"
	ROOT="$BATS_TEST_TMPDIR/host"
	DB="$BATS_TEST_TMPDIR/malware-db"
	EVENTS="$BATS_TEST_TMPDIR/events.jsonl"
	mkdir -p "$DB" "$ROOT/etc" "$ROOT/var/lib/dpkg" "$ROOT/home/u" "$ROOT/root/.ssh" "$ROOT/opt/big" \
		"$ROOT/proc" "$ROOT/sys" "$ROOT/tmp" "$ROOT/srv/skip"
	echo "$(md5sum <"$TESTFILES/clam.exe" | cut -d' ' -f1):$(stat -c %s "$TESTFILES/clam.exe"):Cocoon.Test.ClamExe" \
		>"$DB/test.hdb"
	printf 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n' >"$ROOT/etc/os-release"
	printf 'Package: gzip\nStatus: install ok installed\nVersion: 1.10-4\nArchitecture: amd64\n\n' \
		>"$ROOT/var/lib/dpkg/status"
	KEY_ID="AKIA$(head -c 64 /dev/urandom | base32 | tr -dc 'A-Z2-7' | head -c 16)"
	printf 'aws_access_key_id = %s\n' "$KEY_ID" >"$ROOT/home/u/exposed.ini"
	chmod 0644 "$ROOT/home/u/exposed.ini"
	cp "$ROOT/home/u/exposed.ini" "$ROOT/root/.ssh/private.ini"
	chmod 0600 "$ROOT/root/.ssh/private.ini"
	cp "$TESTFILES/clam.exe" "$ROOT/opt/big/tool.exe"
	cp "$TESTFILES/clam.exe" "$ROOT/srv/skip/other.exe"
}

# in_namespace COMMAND...: runs COMMAND in a private mount namespace where ROOT/proc is a procfs,
# ROOT/sys a sysfs and ROOT/tmp a tmpfs holding malware (a host's /tmp is where droppers land).
in_namespace() {
	unshare -m --propagation private bash -c '
		root="$1"; shift
		mount -t proc proc "$root/proc" && mount -t sysfs sysfs "$root/sys" && mount -t tmpfs tmpfs "$root/tmp" &&
		cp /usr/share/clamav-testfiles/clam.exe "$root/tmp/dropper" && exec "$@"' _ "$ROOT" "$@"
}

@test "scan node: packages, malware (tmpfs too) and world-readable secrets; /proc, /sys and --exclude stay out" {
	run in_namespace "$COCOON" scan node --no-db --malware-db "$DB" --event-log "$EVENTS" --exclude /srv/skip \
		-f json -o "$BATS_TEST_TMPDIR/r.json" "$ROOT"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$SYSTEM_PYTHON" - "$BATS_TEST_TMPDIR/r.json" <<-'PY'
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["image"]["format"] == "host", r["image"]
	assert [p["name"] + " " + p["version"] for p in r["packages"]] == ["gzip 1.10-4"]
	assert sorted(m["path"] for m in r["malware"]) == ["/opt/big/tool.exe", "/tmp/dropper"], r["malware"]
	assert [(s["path"], s["rule"]) for s in r["secrets"]] == [("/home/u/exposed.ini", "aws-access-key-id")], r["secrets"]
	# nothing of proc or sysfs was read: the file count is the tree made here
	assert r["image"]["files"] < 20, r["image"]["files"]
	assert r["misconfigurations"] == []
	PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "scan node: every detection and the summary are audit events, without the secret" {
	run in_namespace "$COCOON" scan node --no-db --malware-db "$DB" --event-log "$EVENTS" -q "$ROOT"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run "$SYSTEM_PYTHON" - "$EVENTS" <<-'PY'
	import json, sys
	events = [json.loads(l) for l in open(sys.argv[1])]
	assert all(e["component"] == "scan" and e["schema"] == "cocoon.event/v1" for e in events)
	actions = sorted((e["action"], e["object"].split(":", 1)[1]) for e in events)
	assert actions == [("malware.detected", "/opt/big/tool.exe"), ("malware.detected", "/srv/skip/other.exe"),
	                   ("malware.detected", "/tmp/dropper"), ("node.scanned", sys.argv[1].rsplit("/", 1)[0] + "/host"),
	                   ("secret.detected", "/home/u/exposed.ini")], actions
	m = next(e for e in events if e["action"] == "malware.detected")
	assert m["severity"] == "critical" and m["extra"]["detection"]["signature"] == "Cocoon.Test.ClamExe.UNOFFICIAL", m
	s = next(e for e in events if e["action"] == "secret.detected")
	assert s["extra"]["detection"] == {"rule": "aws-access-key-id", "line": 1, "severity": "critical"}, s
	PY
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	! grep -qF "${KEY_ID:4}" "$EVENTS" || false
	# An event sink that cannot be written fails the command before it scans.
	run "$COCOON" scan node --no-db --event-log /proc/cocoon-no-such-dir/events.jsonl "$ROOT"
	[ "$status" -eq 1 ]
	[[ "$output" == *"events:"* ]]
}

@test "scan node: runs at nice 10 and idle I/O priority, and reads no faster than --rate" {
	# 3 MiB of content at 1 MiB/s: at least 2 s whatever the machine's speed.
	head -c $((3 << 20)) /dev/urandom >"$ROOT/opt/big/data.bin"
	local start=$SECONDS
	"$COCOON" scan node --no-db --malware-db "$DB" --event-log "$EVENTS" --rate 1 -q -o /dev/null \
		--exclude /proc --exclude /sys "$ROOT" &
	local pid=$!
	sleep 0.5
	local nice io
	nice="$(ps -o ni= -p "$pid" | tr -d ' ')"
	io="$(ionice -p "$pid")"
	wait "$pid"
	[ $((SECONDS - start)) -ge 2 ]
	[ "$nice" = 10 ]
	[ "$io" = idle ]
	# --no-nice keeps the caller's priority.
	# (with the malware engine, which reads every file whole: the 3 MiB take 3 s at 1 MiB/s)
	"$COCOON" scan node --no-db --malware-db "$DB" --event-log "$EVENTS" --no-nice --rate 1 -q -o /dev/null \
		--exclude /proc --exclude /sys "$ROOT" &
	pid=$!
	sleep 0.3
	nice="$(ps -o ni= -p "$pid" | tr -d ' ')"
	wait "$pid"
	[ "$nice" = "$(ps -o ni= -p $$ | tr -d ' ')" ]
}

@test "scan node: usage errors and a ROOT that is not a directory" {
	run "$COCOON" scan node --rate fast "$ROOT"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--rate takes MiB per second"* ]]
	run "$COCOON" scan node --no-db --event-log "$EVENTS" "$ROOT/etc/os-release"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a directory: a host is scanned from its root directory"* ]]
	run "$COCOON" scan node --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: cocoon scan node"* ]]
}
