# Helpers for runtime tests: a busybox rootfs, OCI bundles, and a podman image made from it.

# The busybox-static binary with one symlink per applet, plus passwd/group and a setuid copy used
# by the escape tests.
make_rootfs() {
	local root="$1"
	mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/mnt"
	cp /bin/busybox "$root/bin/busybox"
	local applet
	for applet in $("$root/bin/busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
	done
	# busybox picks the applet from argv[0], so the setuid copy keeps the name "busybox".
	mkdir -p "$root/suid"
	cp /bin/busybox "$root/suid/busybox"
	chmod 4755 "$root/suid/busybox"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\nuser:x:1000:\n' >"$root/etc/group"
	chmod 1777 "$root/tmp"
}

# make_bundle DIR [python statements editing `c`]: a bundle from `cocoon-runtime spec`, not a terminal.
make_bundle() {
	local dir="$1"
	shift
	mkdir -p "$dir"
	make_rootfs "$dir/rootfs"
	(cd "$dir" && "$COCOON_RUNTIME" spec)
	"$SYSTEM_PYTHON" - "$dir/config.json" "$@" <<-'PY'
	import json, sys
	path = sys.argv[1]
	c = json.load(open(path))
	c["process"]["terminal"] = False
	c["root"]["readonly"] = False
	for statement in sys.argv[2:]:
	    exec(statement)
	json.dump(c, open(path, "w"), indent=1)
	PY
}

# set_args DIR ARG...: replace process.args of the bundle's config.
set_args() {
	local dir="$1"
	shift
	"$SYSTEM_PYTHON" - "$dir/config.json" "$@" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["process"]["args"] = sys.argv[2:]
	json.dump(c, open(sys.argv[1], "w"), indent=1)
	PY
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -x /bin/busybox ] || skip "needs busybox-static"
}

RT() {
	"$COCOON_RUNTIME" --root "$RT_ROOT" "$@"
}

# A podman configured for this machine (see ARCHITECTURE.md) with cocoon-runtime as the runtime.
PODMAN_IMAGE=localhost/cocoon-test-busybox:latest
podman_cocoon() {
	podman --cgroup-manager cgroupfs --events-backend file --runtime "$COCOON_RUNTIME" "$@"
}
PODMAN_ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=4096:4096)

ensure_podman_image() {
	command -v podman >/dev/null || skip "podman is not installed"
	if ! podman image exists "$PODMAN_IMAGE" 2>/dev/null; then
		local tmp
		tmp="$(mktemp -d)"
		make_rootfs "$tmp/root"
		tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
		podman --events-backend file import --change "ENV PATH=/bin" "$tmp/rootfs.tar" "$PODMAN_IMAGE" >/dev/null
		rm -rf "$tmp"
	fi
}

# import_busybox_image STORE [NAME]: the busybox rootfs as a one-layer image in the image store
# STORE (`cocoon image import`, as podman import makes it), named localhost/busybox:latest.
import_busybox_image() {
	local store="$1" name="${2:-localhost/busybox:latest}" tmp
	tmp="$(mktemp -d)"
	make_rootfs "$tmp/root"
	tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
	"$COCOON" image import --store "$store" --change "ENV PATH=/bin" --change 'CMD ["/bin/sh"]' "$tmp/rootfs.tar" \
		"$name" >/dev/null
	rm -rf "$tmp"
}

# have_runc / RUNC: runc, the reference runtime of runtime_conformance.bats, with a state directory
# of the test's own ($RUNC_ROOT) so it never sees another runc's containers.
have_runc() {
	command -v runc >/dev/null
}

RUNC() {
	runc --root "$RUNC_ROOT" "$@"
}

# edit_config STATEMENT...: python statements editing the config `c` of the bundle $BUNDLE (the
# same as shim.bats' own).
edit_config() {
	"$SYSTEM_PYTHON" - "$BUNDLE/config.json" "$@" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	for statement in sys.argv[2:]:
	    exec(statement)
	json.dump(c, open(sys.argv[1], "w"), indent=1)
	PY
}

# process_running PID: PID exists and is not a zombie (a killed init stays a zombie until its
# reaper, which is not the runtime, collects it).
process_running() {
	[ -e "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# process_gone PID: the opposite, as a command of its own (bats does not fail a test on `! command`).
process_gone() {
	! process_running "$1"
}

# idmap_supported DIR: whether the kernel and DIR's filesystem take an idmapped mount of DIR
# (mount_setattr MOUNT_ATTR_IDMAP: Linux 5.12; ext4, xfs, btrfs; tmpfs only from 6.3). The probe
# maps a detached clone of DIR, which is never attached anywhere and goes away with its fd, through
# a throwaway user namespace held by a child that is killed at the end.
idmap_supported() {
	"$SYSTEM_PYTHON" - "$1" <<-'PY'
	import ctypes, os, signal, struct, sys
	libc = ctypes.CDLL(None, use_errno=True)
	SYS_open_tree, SYS_mount_setattr = 428, 442  # the unified numbers (every architecture but alpha)
	CLONE_NEWUSER, OPEN_TREE_CLONE, AT_EMPTY_PATH, MOUNT_ATTR_IDMAP = 0x10000000, 1, 0x1000, 0x100000
	ready_r, ready_w = os.pipe()
	child = os.fork()
	if child == 0:
	    os.write(ready_w, b"1" if libc.unshare(CLONE_NEWUSER) == 0 else b"0")
	    signal.pause()
	    os._exit(0)
	ok = False
	try:
	    if os.read(ready_r, 1) == b"1":
	        for name in ("uid_map", "gid_map"):
	            with open("/proc/%d/%s" % (child, name), "w") as f:
	                f.write("0 100000 65536\n")
	        userns = os.open("/proc/%d/ns/user" % child, os.O_RDONLY | os.O_CLOEXEC)
	        tree = libc.syscall(SYS_open_tree, -100, sys.argv[1].encode(), OPEN_TREE_CLONE | os.O_CLOEXEC)
	        if tree >= 0:
	            attr = struct.pack("QQQQ", MOUNT_ATTR_IDMAP, 0, 0, userns)
	            ok = libc.syscall(SYS_mount_setattr, tree, b"", AT_EMPTY_PATH, attr, len(attr)) == 0
	finally:
	    os.kill(child, signal.SIGKILL)
	    os.waitpid(child, 0)
	sys.exit(0 if ok else 1)
	PY
}
