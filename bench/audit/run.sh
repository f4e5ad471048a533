#!/usr/bin/env bash
# Side-by-side audit forwarding benchmark into one rsyslog receiver (mutual TLS, GnuTLS driver):
#   cocoon audit forward  (durable queue, chained, RFC 5424 over TLS, delivery confirmed)
#   rsyslog imfile -> omfwd over TLS with a disk-assisted queue
# Both forward the same Kubernetes audit log; the time is until the receiver has every event.
# Usage: bench/audit/run.sh [EVENTS]   (default 50000)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
events="${1:-50000}"
COCOON="$root/build/cocoon"
SYSTEM_PYTHON=/usr/bin/python3
source "$root/tests/integration/helpers/common.bash"
source "$root/tests/integration/helpers/rsyslog.bash"
work="$(mktemp -d /tmp/cocoon-audit-bench.XXXXXX)"
sender_pid=
cleanup() {
	[ -n "$sender_pid" ] && kill "$sender_pid" 2>/dev/null || true
	stop_rsyslog
	rm -rf "$work"
}
trap cleanup EXIT
"$COCOON" certs init --dir "$work/pki" >/dev/null
"$SYSTEM_PYTHON" - "$work/audit.log" "$events" <<'PY'
import json, sys, uuid
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": str(uuid.uuid4()),
            "verb": "get", "user": {"username": "alice", "groups": ["system:authenticated"]},
            "sourceIPs": ["10.1.2.3"], "objectRef": {"resource": "secrets", "namespace": "bank-a", "name": "s%d" % i},
            "responseStatus": {"code": 200}, "stageTimestamp": "2026-11-28T08:00:00.%06dZ" % (i % 1000000)}) + "\n")
PY
start_rsyslog "$work/receiver" "$work/pki"
received() { wc -l <"$work/receiver/received.log" 2>/dev/null || echo 0; }
wait_for() {
	while [ "$(received)" -lt "$1" ]; do sleep 0.02; done
}

echo "== cocoon audit forward: $events events"
start=$(date +%s.%N)
"$COCOON" audit forward --input "k8s-audit:$work/audit.log" --output "syslog+tls://127.0.0.1:$RSYSLOG_PORT" \
	--ca "$work/pki/ca.crt" --cert "$work/pki/admin.crt" --key "$work/pki/admin.key" --queue "$work/queue" --once 2>/dev/null
wait_for "$events"
cocoon_s=$(echo "$(date +%s.%N) - $start" | bc)
base=$(received)

echo "== rsyslog imfile -> omfwd (TLS, disk-assisted queue): $events events"
mkdir -p "$work/sender"
cat >"$work/sender/rsyslog.conf" <<CONF
global(workDirectory="$work/sender" DefaultNetstreamDriverCAFile="$work/pki/ca.crt"
       DefaultNetstreamDriverCertFile="$work/pki/admin.crt" DefaultNetstreamDriverKeyFile="$work/pki/admin.key")
module(load="imfile")
input(type="imfile" File="$work/audit.log" Tag="k8s-audit" ruleset="forward")
ruleset(name="forward") {
    action(type="omfwd" target="127.0.0.1" port="$RSYSLOG_PORT" protocol="tcp" TCP_Framing="octet-counted"
           StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid"
           queue.type="LinkedList" queue.filename="forward" queue.saveOnShutdown="on" queue.syncqueuefiles="on")
}
CONF
start=$(date +%s.%N)
rsyslogd -n -f "$work/sender/rsyslog.conf" -i "$work/sender/pid" >/dev/null 2>&1 &
sender_pid=$!
wait_for $((base + events))
rsyslog_s=$(echo "$(date +%s.%N) - $start" | bc)
printf '\ncocoon:  %d events in %.2f s = %.0f events/s (chained, durable, delivery confirmed)\n' "$events" "$cocoon_s" \
	"$(echo "$events / $cocoon_s" | bc -l)"
printf 'rsyslog: %d events in %.2f s = %.0f events/s (disk-assisted queue, syncqueuefiles)\n' "$events" "$rsyslog_s" \
	"$(echo "$events / $rsyslog_s" | bc -l)"
printf 'ratio cocoon/rsyslog throughput: %.2fx\n' "$(echo "$rsyslog_s / $cocoon_s" | bc -l)"
