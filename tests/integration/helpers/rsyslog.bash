# An rsyslog receiver for audit tests: mutual-TLS syslog (RFC 5425) with the GnuTLS driver (its
# OpenSSL driver loses the tail of fast sessions), writing each message's raw text to a file.

# start_rsyslog DIR PKI_DIR [relp]: listens on RSYSLOG_PORT (set), writes $DIR/received.log.
# With "relp", the input is RELP over mutual TLS (imrelp) accepting only the client named "admin".
start_rsyslog() {
	local dir="$1" pki="$2" protocol="${3:-syslog}"
	mkdir -p "$dir/work"
	RSYSLOG_PORT="${RSYSLOG_PORT:-$(free_port)}"
	local input
	if [ "$protocol" = relp ]; then
		input="module(load=\"imrelp\")
	input(type=\"imrelp\" port=\"$RSYSLOG_PORT\" address=\"127.0.0.1\" ruleset=\"received\" tls=\"on\"
	      tls.cacert=\"$pki/ca.crt\" tls.mycert=\"$pki/server.crt\" tls.myprivkey=\"$pki/server.key\"
	      tls.authmode=\"name\" tls.permittedpeer=[\"admin\"])"
	else
		input="module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\"
	       StreamDriver.AuthMode=\"x509/certvalid\" MaxSessions=\"100\")
	input(type=\"imtcp\" port=\"$RSYSLOG_PORT\" address=\"127.0.0.1\" ruleset=\"received\")"
	fi
	cat >"$dir/rsyslog.conf" <<-CONF
	global(workDirectory="$dir/work"
	       DefaultNetstreamDriver="gtls"
	       DefaultNetstreamDriverCAFile="$pki/ca.crt"
	       DefaultNetstreamDriverCertFile="$pki/server.crt"
	       DefaultNetstreamDriverKeyFile="$pki/server.key"
	       maxMessageSize="256k")
	$input
	template(name="raw" type="string" string="%rawmsg%\n")
	ruleset(name="received") {
	    action(type="omfile" file="$dir/received.log" template="raw" asyncWriting="off" flushOnTXEnd="on")
	}
	CONF
	rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslog.pid" >"$dir/rsyslog.out" 2>&1 &
	RSYSLOG_PID=$!
	for _ in $(seq 1 100); do
		(exec 6<>"/dev/tcp/127.0.0.1/$RSYSLOG_PORT") 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$dir/rsyslog.out" >&2
	return 1
}

stop_rsyslog() {
	if [ -n "${RSYSLOG_PID:-}" ]; then
		kill "$RSYSLOG_PID" 2>/dev/null || true
		wait "$RSYSLOG_PID" 2>/dev/null || true
		RSYSLOG_PID=
	fi
}
