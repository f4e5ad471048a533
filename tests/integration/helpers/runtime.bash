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
