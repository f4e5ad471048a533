#!/usr/bin/env bats
# The gRPC layer (lib/net over nghttp2) called by a real client: Debian's python3-grpcio.

load helpers/common

setup_file() {
	export PB2="$BATS_FILE_TMPDIR/pb2"
	mkdir -p "$PB2"
	protoc --proto_path="$COCOON_ROOT/src/lib/net/proto" --python_out="$PB2" health.proto
}

setup() {
	"$SYSTEM_PYTHON" -c 'import grpc' 2>/dev/null || skip "python3-grpcio is not installed"
	TMP="$(mktemp -d)"
	PORT="$(free_port)"
	start_cocoond "$TMP/data" "$PORT"
	SOCK="unix:$TMP/data/cocoond.sock"
	PKI="$TMP/data/pki"
}

teardown() {
	stop_cocoond
	rm -rf "$TMP"
}

client() {
	"$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/grpc_health_client.py" "$PB2" "$@"
}

@test "Health/Check over the unix socket answers SERVING" {
	run client serving "$SOCK"
	[ "$status" -eq 0 ]
	run client service "$SOCK"
	[ "$status" -eq 0 ]
}

@test "an unknown service is NOT_FOUND, an unknown method UNIMPLEMENTED (Trailers-Only)" {
	run client unknown-service "$SOCK"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"unknown service"* ]]
	run client unknown-method "$SOCK"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "a malformed protobuf message is INVALID_ARGUMENT" {
	run client malformed "$SOCK"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "the 4 MiB message limit: just under passes, over is RESOURCE_EXHAUSTED" {
	run client just-under-limit "$SOCK"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run client too-large "$SOCK"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "a client sending the socket path as :authority (as Go gRPC does) is served" {
	run client socket-authority "$SOCK"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "200 concurrent calls on one channel all succeed" {
	run client concurrent "$SOCK"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}

@test "gRPC over TCP with mutual TLS; without a client certificate it is refused (UNAUTHENTICATED)" {
	run client serving "127.0.0.1:$PORT" "$PKI/ca.crt" "$PKI/admin.crt" "$PKI/admin.key"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run client refused "127.0.0.1:$PORT" "$PKI/ca.crt"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}
