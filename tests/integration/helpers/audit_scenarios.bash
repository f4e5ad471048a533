# Delivery scenarios shared by the syslog/TLS and RELP/TLS forwarding tests. The caller's setup
# starts the receiver and sets FORWARD (the forwarder command line without inputs), PROTOCOL
# (start_rsyslog's protocol) and OUTPUT_NAME (the output's name in the metrics).

# 20,000 Kubernetes audit events arrive, in a verifiable chain.
scenario_all_arrive() {
	write_events "$TMP/audit.log" 20000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --once
	wait_received 20000
	all_ids_arrived "$TMP/audit.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/rsyslog/received.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *"20000 records"*"0 problems"* ]]
}

# The forwarder killed with SIGKILL mid-stream and restarted loses nothing.
scenario_sigkill_restart() {
	write_events "$TMP/audit.log" 20000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --batch 64 2>"$TMP/forward1.log" &
	FORWARDER_PID=$!
	wait_received 3000
	kill -9 "$FORWARDER_PID"
	wait "$FORWARDER_PID" 2>/dev/null || true
	FORWARDER_PID=
	write_events "$TMP/audit.log" 2000 20000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --once 2>"$TMP/forward2.log"
	all_ids_arrived "$TMP/audit.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/rsyslog/received.log"
	echo "$output" | tail -3
	[ "$status" -eq 0 ]
}

# The receiver down for several seconds while events keep coming.
scenario_receiver_down() {
	write_events "$TMP/audit.log" 5000
	"${FORWARD[@]}" --input "k8s-audit:$TMP/audit.log" --metrics "unix:$TMP/metrics.sock" 2>"$TMP/forward.log" &
	FORWARDER_PID=$!
	wait_received 5000
	stop_rsyslog
	write_events "$TMP/audit.log" 5000 5000
	sleep 3
	curl -s --unix-socket "$TMP/metrics.sock" http://localhost/metrics >"$TMP/metrics"
	grep -q '^cocoon_audit_dropped_total 0$' "$TMP/metrics"
	grep -Eq "^cocoon_audit_undelivered_bytes\\{output=\"$OUTPUT_NAME\"\\} [1-9]" "$TMP/metrics"
	# the events are stamped 2026-11-28T08:00: long past, and waiting
	grep -Eq "^cocoon_audit_oldest_undelivered_age_seconds\\{output=\"$OUTPUT_NAME\"\\} [1-9][0-9]*(\\.[0-9]+)?\$" "$TMP/metrics"
	start_rsyslog "$TMP/rsyslog" "$TMP/pki" "$PROTOCOL"
	wait_received 10000
	caught_up() {
		curl -s --unix-socket "$TMP/metrics.sock" http://localhost/metrics |
			grep -q "^cocoon_audit_oldest_undelivered_age_seconds{output=\"$OUTPUT_NAME\"} 0$"
	}
	for _ in $(seq 50); do caught_up && break; sleep 0.1; done
	caught_up
	kill -TERM "$FORWARDER_PID"
	wait "$FORWARDER_PID" || true
	FORWARDER_PID=
	all_ids_arrived "$TMP/audit.log"
	grep -q "retrying in" "$TMP/forward.log"
	run "$COCOON" audit verify --key "$TMP/checkpoint.key" "$TMP/rsyslog/received.log"
	[ "$status" -eq 0 ]
}
