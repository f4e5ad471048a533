# Kubernetes audit events for the forwarding tests, and checks of what the receiver got.
# wait_received reads $TMP/rsyslog/received.log, as all_ids_arrived does by default.
# write_events FILE COUNT [START]: Kubernetes audit events, one JSON line each.
write_events() {
	"$SYSTEM_PYTHON" - "$@" <<-'PY'
	import json, sys, uuid
	path, count = sys.argv[1], int(sys.argv[2])
	start = int(sys.argv[3]) if len(sys.argv) > 3 else 0
	with open(path, "a") as f:
	    for i in range(start, start + count):
	        f.write(json.dumps({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": str(uuid.uuid4()),
	            "verb": "get", "user": {"username": "alice"}, "sourceIPs": ["10.1.2.3"],
	            "objectRef": {"resource": "secrets", "namespace": "bank-a", "name": "s%d" % i},
	            "responseStatus": {"code": 200}, "stageTimestamp": "2026-11-28T08:00:00.%06dZ" % (i % 1000000)}) + "\n")
	PY
}

wait_received() {
	local want="$1"
	for _ in $(seq 1 300); do
		[ "$(grep -c 'k8s.get' "$TMP/rsyslog/received.log" 2>/dev/null || echo 0)" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# all_ids_arrived INPUT [RECEIVED [ID_PATTERN]]: every auditID of INPUT is in RECEIVED (default
# rsyslog's log), found by ID_PATTERN (default the RFC 5424 structured-data id="...").
all_ids_arrived() {
	local received="${2:-$TMP/rsyslog/received.log}" pattern=' id="[^"]*"'
	[ $# -lt 3 ] || pattern="$3"
	grep -o '"auditID": "[^"]*"' "$1" | cut -d'"' -f4 | sort -u >"$TMP/sent.ids"
	grep -o "$pattern" "$received" | sed 's/.*"\([^"]*\)"$/\1/' | sort -u >"$TMP/received.ids"
	local missing
	missing="$(comm -23 "$TMP/sent.ids" "$TMP/received.ids" | wc -l)"
	echo "sent $(wc -l <"$TMP/sent.ids"), received $(wc -l <"$TMP/received.ids") distinct, missing $missing"
	[ "$missing" -eq 0 ]
}
