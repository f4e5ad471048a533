#!/usr/bin/env bats
# containerd 1.6 with cocoon-runtime as the runc binary of the io.containerd.runc.v2 shim.
# The test runs its own containerd (own root, state and socket) and stops it by PID.

load helpers/common
load helpers/runtime

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	command -v containerd >/dev/null || return 0
	export CTR_DIR="$BATS_FILE_TMPDIR/containerd"
	mkdir -p "$CTR_DIR"
	cat >"$CTR_DIR/config.toml" <<-TOML
	version = 2
	root = "$CTR_DIR/root"
	state = "$CTR_DIR/state"
	[grpc]
	  address = "$CTR_DIR/containerd.sock"
	[ttrpc]
	  address = "$CTR_DIR/containerd.sock.ttrpc"
	[debug]
	  address = "$CTR_DIR/debug.sock"
	[plugins."io.containerd.internal.v1.opt"]
	  path = "$CTR_DIR/opt"
	TOML
	containerd --config "$CTR_DIR/config.toml" >"$CTR_DIR/log" 2>&1 &
	echo $! >"$CTR_DIR/pid"
	for _ in $(seq 1 100); do
		[ -S "$CTR_DIR/containerd.sock" ] && break
		sleep 0.05
	done
}

teardown_file() {
	if [ -f "${CTR_DIR:-/nonexistent}/pid" ]; then
		kill "$(cat "$CTR_DIR/pid")" 2>/dev/null || true
		wait "$(cat "$CTR_DIR/pid")" 2>/dev/null || true
	fi
}

ctr_() {
	ctr -a "$CTR_DIR/containerd.sock" -n cocoontest "$@"
}

setup() {
	require_root
	command -v containerd >/dev/null || skip "containerd is not installed"
	[ -S "$CTR_DIR/containerd.sock" ] || skip "containerd did not start: $(tail -1 "$CTR_DIR/log")"
	ensure_podman_image
	if ! ctr_ images ls -q | grep -q cocoon-test-busybox; then
		podman --events-backend file save --format oci-archive -o "$CTR_DIR/image.tar" "$PODMAN_IMAGE" >/dev/null
		ctr_ image import --base-name localhost/cocoon-test-busybox "$CTR_DIR/image.tar" >/dev/null
	fi
}

@test "ctr run with cocoon-runtime as the runc binary" {
	run ctr_ run --rm --runc-binary "$COCOON_RUNTIME" "$PODMAN_IMAGE" c1 sh -c 'echo hello-from-containerd; exit 4'
	[ "$status" -eq 4 ]
	[ "$output" = hello-from-containerd ]
}

@test "ctr run --detach, task exec, task kill" {
	ctr_ run -d --runc-binary "$COCOON_RUNTIME" "$PODMAN_IMAGE" c2 sleep 600
	run ctr_ task exec --exec-id e1 c2 sh -c 'echo exec-ok'
	[ "$output" = exec-ok ]
	ctr_ task kill -s SIGKILL c2
	for _ in $(seq 1 100); do
		ctr_ task ls | grep -q 'c2.*STOPPED' && break
		sleep 0.05
	done
	ctr_ task rm c2
	ctr_ container rm c2
}
