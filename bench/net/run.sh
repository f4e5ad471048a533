#!/usr/bin/env bash
# lib/net's event-loop server side by side with nginx (Debian package) on this machine, in one run.
#
#   1. Scale (issue 10): GET latency of a small response on one keep-alive connection, unloaded,
#      then with CONNS connections held open (half idle HTTP/1.1 keep-alive connections, half HTTP/2
#      connections each with a stream open on GET /events, a watch waiting for events); the server's
#      memory per held connection. nginx serves the same "ok\n"; its half of HTTP/2 connections get
#      their GET answered (nginx has no event stream to wait on) and then stay open, idle.
#   2. Under attack (issue 11): GET latency over TLS while HOSTILE connections are held: half never
#      start their TLS handshake (from 127.0.0.2), half complete it without a certificate and then
#      say nothing (from 127.0.0.3).
#
# Usage: bench/net/run.sh [CONNS] [HOSTILE]   (default 10000 and 2000; needs a build in build/)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
conns="${1:-10000}"
hostile="${2:-2000}"
SERVER="$root/build/bench/net/bench_server"
LOAD="$root/build/bench/net/bench_load"
COCOON="$root/build/cocoon"
work="$(mktemp -d /tmp/cocoon-net-bench.XXXXXX)"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
	echo "installing nginx (Debian package) for the comparison" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null
fi
NGINX=/usr/sbin/nginx
ulimit -n "$(ulimit -Hn)"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { /usr/bin/python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
rss_kib() { awk '/^VmRSS:/ {s += $2} END {print s}' $(for p in "$@"; do echo "/proc/$p/status"; done); }

"$COCOON" certs init --dir "$work/pki" >/dev/null

# ---- the servers ----
start_cocoon() { # [--tls]
	local args=()
	[ "${1:-}" = --tls ] && args=(--tls "$work/pki/server.crt" "$work/pki/server.key")
	"$SERVER" 127.0.0.1:0 "${args[@]}" >"$work/port" 2>"$work/server.log" &
	pids+=($!)
	COCOON_PID=$!
	for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.05; done
	COCOON_PORT="$(cat "$work/port")"
	rm -f "$work/port"
}

start_nginx() {
	NGINX_PORT="$(free_port)"
	NGINX_H2_PORT="$(free_port)"
	NGINX_TLS_PORT="$(free_port)"
	cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 30000; }
http {
	access_log off;
	keepalive_requests 1000000;
	keepalive_timeout 600s;
	client_body_temp_path $work/nginx-body;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location = /small { default_type text/plain; return 200 "ok\n"; }
	}
	server {
		listen 127.0.0.1:$NGINX_H2_PORT http2;
		location = /small { default_type text/plain; return 200 "ok\n"; }
		location = /events { default_type text/plain; return 200 "no event stream here\n"; }
	}
	server {
		listen 127.0.0.1:$NGINX_TLS_PORT ssl;
		ssl_certificate $work/pki/server.crt;
		ssl_certificate_key $work/pki/server.key;
		location = /small { default_type text/plain; return 200 "ok\n"; }
	}
}
CONF
	"$NGINX" -c "$work/nginx.conf" -e "$work/nginx-error.log" 2>>"$work/nginx-error.log" &
	pids+=($!)
	NGINX_MASTER=$!
	for _ in $(seq 1 100); do [ -s "$work/nginx.pid" ] && break; sleep 0.05; done
	sleep 0.3
	NGINX_PIDS=("$NGINX_MASTER" $(pgrep -P "$NGINX_MASTER"))
}

# measure NAME PIDS... -- LOAD ARGS: unloaded, then loaded; prints a line and keeps the figures.
measure() {
	local name="$1"; shift
	local server_pids=()
	while [ "$1" != -- ]; do server_pids+=("$1"); shift; done
	shift
	local port_args=("$@")
	local quiet loaded
	quiet="$("$LOAD" "${port_args[@]}" --requests 3000)"
	local rss_before; rss_before="$(rss_kib "${server_pids[@]}")"
	BENCH_HOLD=1 "$LOAD" "${port_args[@]}" --idle $((conns / 2)) --watches $((conns / 2)) --requests 3000 \
		>"$work/loaded.json" &
	local load_pid=$!
	for _ in $(seq 1 1200); do [ -s "$work/loaded.json" ] && break; sleep 0.05; done
	loaded="$(cat "$work/loaded.json")"
	local rss_after; rss_after="$(rss_kib "${server_pids[@]}")"
	kill "$load_pid"; wait "$load_pid" 2>/dev/null || true
	rm -f "$work/loaded.json"
	local held=$(( $(field "$loaded" idle) + $(field "$loaded" watches) ))
	printf '%-7s unloaded p50 %5s us p99 %5s us | %5d connections held: p50 %5s us p99 %5s us (p99 x%s) | memory %6d KiB -> %6d KiB: %s KiB per connection\n' \
		"$name" "$(field "$quiet" p50_us)" "$(field "$quiet" p99_us)" "$held" "$(field "$loaded" p50_us)" \
		"$(field "$loaded" p99_us)" "$(echo "scale=2; $(field "$loaded" p99_us) / $(field "$quiet" p99_us)" | bc)" \
		"$rss_before" "$rss_after" "$(echo "scale=1; ($rss_after - $rss_before) / $held" | bc)"
}

echo "== scale: $conns connections held (half idle HTTP/1.1, half HTTP/2 with a stream open), GET latency on another =="
start_cocoon
start_nginx
measure cocoon "$COCOON_PID" -- --port "$COCOON_PORT"
measure nginx "${NGINX_PIDS[@]}" -- --port "$NGINX_PORT" --h2-port "$NGINX_H2_PORT"
kill "$COCOON_PID"; wait "$COCOON_PID" 2>/dev/null || true

echo "== under attack: $hostile hostile connections held over TLS (half never handshake, half idle without a certificate) =="
start_cocoon --tls
for target in cocoon nginx; do
	if [ "$target" = cocoon ]; then port="$COCOON_PORT"; else port="$NGINX_TLS_PORT"; fi
	quiet="$("$LOAD" --port "$port" --tls "$work/pki/ca.crt" --requests 3000)"
	BENCH_HOLD=1 "$LOAD" --port "$port" --tls "$work/pki/ca.crt" --stalled $((hostile / 2)) \
		--tls-idle $((hostile / 2)) --requests 3000 >"$work/attacked.json" &
	load_pid=$!
	for _ in $(seq 1 1200); do [ -s "$work/attacked.json" ] && break; sleep 0.05; done
	attacked="$(cat "$work/attacked.json")"
	kill "$load_pid"; wait "$load_pid" 2>/dev/null || true
	rm -f "$work/attacked.json"
	printf '%-7s unloaded p50 %5s us p99 %5s us | attacked (%s never-started handshakes, %s idle TLS): p50 %5s us p99 %5s us (p99 x%s)\n' \
		"$target" "$(field "$quiet" p50_us)" "$(field "$quiet" p99_us)" "$(field "$attacked" stalled)" \
		"$(field "$attacked" tls_idle)" "$(field "$attacked" p50_us)" "$(field "$attacked" p99_us)" \
		"$(echo "scale=2; $(field "$attacked" p99_us) / $(field "$quiet" p99_us)" | bc)"
done
