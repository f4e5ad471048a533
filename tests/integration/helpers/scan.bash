# Helpers for the scanner's tests: a real Debian 12 minbase root filesystem (debootstrap, cached
# across test files and runs) and the same image in every input form `cocoon scan image` takes.

SCAN_CACHE="${COCOON_TEST_CACHE:-/var/cache/cocoon-tests}"

# scan_minbase_tar: prints the path of a tar of a Debian 12 minbase root filesystem, made once.
scan_minbase_tar() {
	local tar="$SCAN_CACHE/debian12-minbase.tar"
	if [ ! -s "$tar" ]; then
		command -v debootstrap >/dev/null || skip "debootstrap is not installed (scripts/install-deps)"
		mkdir -p "$SCAN_CACHE"
		local root
		root="$(mktemp -d "$SCAN_CACHE/minbase.XXXXXX")"
		debootstrap --variant=minbase bookworm "$root" "${COCOON_DEBIAN_MIRROR:-http://deb.debian.org/debian}" \
			>"$root.log" 2>&1 || { cat "$root.log" >&2; rm -rf "$root" "$root.log"; return 1; }
		# The apt lists and caches are no part of an image's packages; dropped as image builds do.
		rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
		tar -C "$root" --numeric-owner -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
		rm -rf "$root" "$root.log"
	fi
	echo "$tar"
}

# scan_podman DIR ARGS...: podman with its own storage under DIR (the host's images are untouched).
scan_podman() {
	local dir="$1"
	shift
	podman --root "$dir/storage" --runroot "$dir/run" --storage-driver vfs "$@"
}

# scan_image_forms ROOTFS_TAR DIR: DIR/rootfs (directory), DIR/rootfs.tar, DIR/docker.tar,
# DIR/oci.tar (oci-archive) and DIR/oci (OCI layout directory) of one image.
scan_image_forms() {
	local tar="$1" dir="$2"
	mkdir -p "$dir/rootfs"
	tar -C "$dir/rootfs" -xf "$tar"
	cp "$tar" "$dir/rootfs.tar"
	scan_podman "$dir" import --quiet "$tar" localhost/scan-test:1 >/dev/null
	scan_podman "$dir" save --quiet --format docker-archive -o "$dir/docker.tar" localhost/scan-test:1
	scan_podman "$dir" save --quiet --format oci-archive -o "$dir/oci.tar" localhost/scan-test:1
	scan_podman "$dir" save --quiet --format oci-dir -o "$dir/oci" localhost/scan-test:1
}
