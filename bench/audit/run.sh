#!/usr/bin/env bash
# Side-by-side audit forwarding benchmark into one rsyslog receiver (mutual TLS, GnuTLS):
#   syslog over TLS: cocoon audit forward (durable queue, chained, RFC 5424, delivery confirmed)
#                    against rsyslog imfile -> omfwd over TLS with a disk-assisted queue;
#   RELP over TLS:   cocoon audit forward (relp+tls, removed from the queue on 200 OK)
#                    against rsyslog imfile -> omrelp (a librelp client) with the same queue.
# All forward the same Kubernetes audit log; the time is until the receiver has every event.
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
received() { wc -l <"$work/receiver/received.log" 2>/dev/null || echo 0; }
wait_for() {
	while [ "$(received)" -lt "$1" ]; do sleep 0.02; done
}
elapsed_since() { echo "$(date +%s.%N) - $1" | bc; }
rate() { echo "$events / $1" | bc -l; }

# compare PROTOCOL COCOON_URL RSYSLOG_MODULE RSYSLOG_ACTION: one receiver, cocoon first, then the
# rsyslog sender with that output module and action parameters.
compare() {
	local protocol="$1" url="$2" module="$3" action="$4" start base cocoon_s rsyslog_s
	rm -rf "$work/receiver" "$work/queue" "$work/sender"
	RSYSLOG_PORT=
	start_rsyslog "$work/receiver" "$work/pki" "$protocol"
	url="${url//PORT/$RSYSLOG_PORT}"
	echo "== $protocol: cocoon audit forward, $events events"
	start=$(date +%s.%N)
	"$COCOON" audit forward --input "k8s-audit:$work/audit.log" --output "$url" --ca "$work/pki/ca.crt" \
		--cert "$work/pki/admin.crt" --key "$work/pki/admin.key" --queue "$work/queue" --once 2>/dev/null
	wait_for "$events"
	cocoon_s=$(elapsed_since "$start")
	base=$(received)
	echo "== $protocol: rsyslog imfile -> $module (TLS, disk-assisted queue), $events events"
	mkdir -p "$work/sender"
	cat >"$work/sender/rsyslog.conf" <<-CONF
	global(workDirectory="$work/sender" DefaultNetstreamDriverCAFile="$work/pki/ca.crt"
	       DefaultNetstreamDriverCertFile="$work/pki/admin.crt" DefaultNetstreamDriverKeyFile="$work/pki/admin.key")
	module(load="imfile")
	$([ "$module" = omfwd ] || echo "module(load=\"$module\")")
	input(type="imfile" File="$work/audit.log" Tag="k8s-audit" ruleset="forward")
	ruleset(name="forward") {
	    action(type="$module" $action port="$RSYSLOG_PORT"
	           queue.type="LinkedList" queue.filename="forward" queue.saveOnShutdown="on" queue.syncqueuefiles="on")
	}
	CONF
	start=$(date +%s.%N)
	rsyslogd -n -f "$work/sender/rsyslog.conf" -i "$work/sender/pid" >/dev/null 2>&1 &
	sender_pid=$!
	wait_for $((base + events))
	rsyslog_s=$(elapsed_since "$start")
	kill "$sender_pid"
	wait "$sender_pid" 2>/dev/null || true
	sender_pid=
	stop_rsyslog
	results+=("$(printf '%-6s cocoon %6.0f events/s (%.2f s), rsyslog %6.0f events/s (%.2f s): %.2fx' "$protocol" \
		"$(rate "$cocoon_s")" "$cocoon_s" "$(rate "$rsyslog_s")" "$rsyslog_s" "$(echo "$rsyslog_s / $cocoon_s" | bc -l)")")
}

results=()
compare syslog "syslog+tls://127.0.0.1:PORT" omfwd \
	'target="127.0.0.1" protocol="tcp" TCP_Framing="octet-counted"
	       StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/certvalid"'
compare relp "relp+tls://localhost:PORT" omrelp \
	'target="localhost" tls="on" tls.cacert="'"$work"'/pki/ca.crt"
	       tls.mycert="'"$work"'/pki/admin.crt" tls.myprivkey="'"$work"'/pki/admin.key" tls.authmode="name"
	       tls.permittedpeer=["localhost"]'
echo
echo "throughput to the receiver, same events, same run (ratio = cocoon / rsyslog):"
printf '%s\n' "${results[@]}"
