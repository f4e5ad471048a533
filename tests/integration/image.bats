#!/usr/bin/env bats
# cocoon image against the real podman: images podman saves as docker-archive and oci-archive load
# with the digests podman reports, their layers mount with overlayfs and run busybox; `cocoon image
# import` makes of a rootfs tarball the image podman import makes (diff_id, Env, Cmd, WorkingDir).

load helpers/common
load helpers/runtime
bats_require_minimum_version 1.5.0

# podman with storage of its own under the test's directory, so the host's store is untouched.
P() {
	podman --root "$BATS_FILE_TMPDIR/podman" --runroot "$BATS_FILE_TMPDIR/podman-run" \
		--cgroup-manager cgroupfs --events-backend file "$@"
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	command -v podman >/dev/null || return 0
	local tmp="$BATS_FILE_TMPDIR"
	make_rootfs "$tmp/root"
	tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
	P import --change "ENV PATH=/bin" --change "ENV GREETING=hello" --change 'CMD ["/bin/sh","-c","echo hi"]' \
		--change "WORKDIR /tmp" "$tmp/rootfs.tar" localhost/cocoon-image-test:1.0 >/dev/null
	P save --format docker-archive -o "$tmp/docker.tar" localhost/cocoon-image-test:1.0 2>/dev/null
	P save --format oci-archive -o "$tmp/oci.tar" localhost/cocoon-image-test:1.0 2>/dev/null
}

setup() {
	require_root
	command -v podman >/dev/null || skip "podman is not installed"
	STORE="$BATS_TEST_TMPDIR/store"
}

CI() {
	"$COCOON" image "$@" --store "$STORE"
}

json_field() {
	"$SYSTEM_PYTHON" -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[int(k)] if k.isdigit() else v[k]
print(v if not isinstance(v,(list,dict)) else json.dumps(v))' "$1"
}

@test "image load docker-archive: the image ID is podman's, names and progress" {
	run CI load "$BATS_FILE_TMPDIR/docker.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"unpacking layer 1/1"* ]]
	[[ "$output" == *"Loaded image localhost/cocoon-image-test:1.0"* ]]
	id="$(P inspect --format '{{.Id}}' localhost/cocoon-image-test:1.0)"
	run CI list --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_field 0.id)" = "sha256:$id" ]
	[ "$(echo "$output" | json_field 0.format)" = docker-archive ]
}

@test "image load oci-archive: manifest digest as podman loads it, ID as podman's" {
	run CI load --json "$BATS_FILE_TMPDIR/oci.tar"
	[ "$status" -eq 0 ]
	digest="$(echo "$output" | json_field images.0.digest)"
	# The manifest digest is the one in the archive's index.json ...
	index_digest="$(tar -xOf "$BATS_FILE_TMPDIR/oci.tar" index.json | json_field manifests.0.digest)"
	[ "$digest" = "$index_digest" ]
	# ... and the one a second podman reports after loading the same archive.
	podman --root "$BATS_TEST_TMPDIR/p2" --runroot "$BATS_TEST_TMPDIR/p2-run" --cgroup-manager cgroupfs \
		--events-backend file load -i "$BATS_FILE_TMPDIR/oci.tar" >/dev/null 2>&1
	p2_digest="$(podman --root "$BATS_TEST_TMPDIR/p2" --runroot "$BATS_TEST_TMPDIR/p2-run" --cgroup-manager cgroupfs \
		--events-backend file inspect --format '{{.Digest}}' localhost/cocoon-image-test:1.0)"
	[ "$digest" = "$p2_digest" ]
	id="$(P inspect --format '{{.Id}}' localhost/cocoon-image-test:1.0)"
	[ "$(echo "$output" | json_field images.0.id)" = "sha256:$id" ]
	podman --root "$BATS_TEST_TMPDIR/p2" --runroot "$BATS_TEST_TMPDIR/p2-run" --events-backend file rmi -af >/dev/null 2>&1 || true
}

@test "image inspect shows Cmd, Env and WorkingDir; resolves by name, digest and ID" {
	CI load --quiet --name other/name:2 "$BATS_FILE_TMPDIR/oci.tar"
	run CI inspect cocoon-image-test:1.0
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_field config.Cmd)" = '["/bin/sh", "-c", "echo hi"]' ]
	[[ "$(echo "$output" | json_field config.Env)" == *'"GREETING=hello"'* ]]
	[ "$(echo "$output" | json_field config.WorkingDir)" = /tmp ]
	digest="$(echo "$output" | json_field digest)"
	id="$(echo "$output" | json_field id)"
	CI inspect "localhost/cocoon-image-test@$digest" >/dev/null
	CI inspect "${id:7:12}" >/dev/null
	CI inspect other/name:2 >/dev/null
	run CI inspect nothing:here
	[ "$status" -eq 1 ]
	[[ "$output" == *"no image \`nothing:here\`"* ]]
}

@test "layers mount with overlayfs and busybox runs in a chroot" {
	CI load --quiet "$BATS_FILE_TMPDIR/docker.tar"
	lower="$(CI inspect localhost/cocoon-image-test:1.0 | json_field layer_dirs.0)"
	[ -x "$lower/bin/busybox" ]
	mkdir -p "$BATS_TEST_TMPDIR"/{upper,work,merged}
	run unshare -m --propagation private sh -c "
		mount -t overlay overlay -o lowerdir=$lower,upperdir=$BATS_TEST_TMPDIR/upper,workdir=$BATS_TEST_TMPDIR/work $BATS_TEST_TMPDIR/merged &&
		chroot $BATS_TEST_TMPDIR/merged /bin/busybox true &&
		chroot $BATS_TEST_TMPDIR/merged /bin/sh -c 'echo written >/tmp/new; cat /etc/passwd | head -1'"
	[ "$status" -eq 0 ]
	[[ "$output" == "root:x:0:0"* ]]
	# Writes went to the upper directory, never into the store's layer.
	[ -f "$BATS_TEST_TMPDIR/upper/tmp/new" ]
	[ ! -e "$lower/tmp/new" ]
}

@test "image rm: untag, then remove; a shared layer stays until its last image goes" {
	CI load --quiet "$BATS_FILE_TMPDIR/docker.tar"
	CI load --quiet "$BATS_FILE_TMPDIR/oci.tar" --name second:1
	[ "$(ls "$STORE/layers/sha256" | wc -l)" -eq 1 ]
	run CI rm localhost/cocoon-image-test:1.0
	[ "$status" -eq 0 ]
	run CI rm second:1
	[ "$status" -eq 0 ]
	# The docker-archive image went with its last name; the oci one still holds the shared layer.
	[ "$(ls "$STORE/layers/sha256" | wc -l)" -eq 1 ]
	for d in $(CI list --json | "$SYSTEM_PYTHON" -c 'import json,sys; [print(i["digest"]) for i in json.load(sys.stdin)]'); do
		CI rm "$d"
	done
	[ "$(CI list --json)" = "[]" ]
	[ "$(ls "$STORE/layers/sha256" | wc -l)" -eq 0 ]
	[ "$(ls "$STORE/blobs/sha256" | wc -l)" -eq 0 ]
}

@test "image load refuses a blob that does not match its digest" {
	dir="$BATS_TEST_TMPDIR/bad"
	mkdir -p "$dir" && tar -C "$dir" -xf "$BATS_FILE_TMPDIR/oci.tar"
	config="$(ls -S "$dir/blobs/sha256" | tail -1)"
	echo ' ' >>"$dir/blobs/sha256/$config"
	tar -C "$dir" -cf "$BATS_TEST_TMPDIR/bad.tar" .
	run CI load "$BATS_TEST_TMPDIR/bad.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not match its digest"* ]]
	[ "$(CI list --json)" = "[]" ]
}

@test "image import: a busybox rootfs with --change; inspect shows Env, Cmd and WorkingDir" {
	run CI import --change "ENV PATH=/bin" --change 'ENV GREETING="hello world"' --change 'CMD ["/bin/sh","-c","echo hi"]' \
		--change "WORKDIR /tmp" --change "USER 1000" --change "EXPOSE 8080" --change "LABEL team=red" \
		"$BATS_FILE_TMPDIR/rootfs.tar" imported:1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"reading $BATS_FILE_TMPDIR/rootfs.tar"* ]]
	[[ "$output" == *"unpacking layer 1/1"* ]]
	[[ "$output" == *"Imported image localhost/imported:1 (sha256:"* ]]
	run CI inspect imported:1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_field config.Env)" = '["PATH=/bin", "GREETING=hello world"]' ]
	[ "$(echo "$output" | json_field config.Cmd)" = '["/bin/sh", "-c", "echo hi"]' ]
	[ "$(echo "$output" | json_field config.WorkingDir)" = /tmp ]
	[ "$(echo "$output" | json_field config.User)" = 1000 ]
	[ "$(echo "$output" | json_field config.ExposedPorts)" = '["8080/tcp"]' ]
	[ "$(echo "$output" | json_field config.Labels.team)" = red ]
	# The layer is the tarball: its diff_id is the tarball's sha256, and busybox is in it.
	[ "$(echo "$output" | json_field diff_ids.0)" = "sha256:$(sha256sum "$BATS_FILE_TMPDIR/rootfs.tar" | cut -d' ' -f1)" ]
	[ -x "$(echo "$output" | json_field layer_dirs.0)/bin/busybox" ]
}

@test "image import: the same tarball twice (plain, then gzip on stdin) is one layer with one diff_id" {
	run CI import --json "$BATS_FILE_TMPDIR/rootfs.tar" first
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_field layers_unpacked)" = 1 ]
	first="$(CI inspect first | json_field diff_ids.0)"
	gzip -c "$BATS_FILE_TMPDIR/rootfs.tar" >"$BATS_TEST_TMPDIR/rootfs.tar.gz"
	run CI import --json - second <"$BATS_TEST_TMPDIR/rootfs.tar.gz"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_field layers_unpacked)" = 0 ] # already in the store
	[ "$(CI inspect second | json_field diff_ids.0)" = "$first" ]
	[ "$(ls "$STORE/layers/sha256")" = "${first#sha256:}" ]
	# With SOURCE_DATE_EPOCH the image is reproducible: the same ID again.
	a="$(SOURCE_DATE_EPOCH=1700000000 CI import --json -c "ENV A=1" "$BATS_FILE_TMPDIR/rootfs.tar" third | json_field images.0.id)"
	b="$(SOURCE_DATE_EPOCH=1700000000 CI import --json -c "ENV A=1" "$BATS_FILE_TMPDIR/rootfs.tar" fourth | json_field images.0.id)"
	[ "$a" = "$b" ]
}

@test "image import makes podman import's image: the same diff_id, Env, Cmd, Entrypoint and WorkingDir" {
	changes=(--change "ENV PATH=/bin" --change "ENV GREETING=hello" --change 'CMD ["/bin/sh","-c","echo hi"]'
		--change "WORKDIR /tmp")
	CI import --quiet "${changes[@]}" "$BATS_FILE_TMPDIR/rootfs.tar" localhost/mine:1.0
	# setup_file imported the same tarball with the same changes into podman.
	mine="$(CI inspect mine:1.0)"
	theirs="$(P image inspect localhost/cocoon-image-test:1.0 | json_field 0)"
	[ "$(echo "$mine" | json_field diff_ids.0)" = "$(echo "$theirs" | json_field RootFS.Layers.0)" ]
	for field in Env Cmd WorkingDir; do
		[ "$(echo "$mine" | json_field "config.$field")" = "$(echo "$theirs" | json_field "Config.$field")" ]
	done
	# Shell-form CMD, ENTRYPOINT, a relative WORKDIR, a gzip tarball: the same again.
	gzip -c "$BATS_FILE_TMPDIR/rootfs.tar" >"$BATS_TEST_TMPDIR/rootfs.tgz"
	changes=(--change "CMD echo hi" --change 'ENTRYPOINT ["/bin/env"]' --change "WORKDIR /srv" --change "WORKDIR app"
		--change "USER 1000:1000" --change "LABEL a=b")
	CI import --quiet "${changes[@]}" "$BATS_TEST_TMPDIR/rootfs.tgz" shell:1
	P import "${changes[@]}" "$BATS_TEST_TMPDIR/rootfs.tgz" localhost/shell:1 >/dev/null 2>&1
	mine="$(CI inspect shell:1)"
	theirs="$(P image inspect localhost/shell:1 | json_field 0)"
	[ "$(echo "$mine" | json_field diff_ids.0)" = "$(echo "$theirs" | json_field RootFS.Layers.0)" ]
	for field in Cmd Entrypoint WorkingDir User Labels; do
		echo "$field: $(echo "$mine" | json_field "config.$field") vs $(echo "$theirs" | json_field "Config.$field")"
		[ "$(echo "$mine" | json_field "config.$field")" = "$(echo "$theirs" | json_field "Config.$field")" ]
	done
	P rmi localhost/shell:1 >/dev/null 2>&1
}

@test "image import: a bad --change is a usage error naming the instruction; nothing is stored" {
	run CI import --change "RUN make" "$BATS_FILE_TMPDIR/rootfs.tar" bad
	[ "$status" -eq 2 ]
	[[ "$output" == *"--change \`RUN make\`: not an instruction cocoon image import applies (CMD, ENTRYPOINT, ENV"* ]]
	run CI import --change "EXPOSE http" "$BATS_FILE_TMPDIR/rootfs.tar" bad
	[ "$status" -eq 2 ]
	[[ "$output" == *"EXPOSE: \`http\` is not PORT[/PROTO]"* ]]
	run CI import --change 'ENV A="open' "$BATS_FILE_TMPDIR/rootfs.tar" bad
	[ "$status" -eq 2 ]
	[[ "$output" == *'a " is not closed'* ]]
	[ "$(CI list --json)" = "[]" ]
	run CI import "$BATS_FILE_TMPDIR/rootfs.tar"
	[ "$status" -eq 2 ]
	[[ "$output" == *"import needs TARBALL (or - for standard input) and NAME"* ]]
	run CI load --change "ENV A=1" "$BATS_FILE_TMPDIR/oci.tar"
	[ "$status" -eq 2 ]
}

@test "image import refuses what is not a tar: text, a truncated tar, xz, a bad name" {
	echo "just some text" >"$BATS_TEST_TMPDIR/notes.txt"
	run CI import "$BATS_TEST_TMPDIR/notes.txt" bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"import \`$BATS_TEST_TMPDIR/notes.txt\`: not a tar archive"* ]]
	head -c 700 "$BATS_FILE_TMPDIR/rootfs.tar" >"$BATS_TEST_TMPDIR/short.tar"
	run CI import "$BATS_TEST_TMPDIR/short.tar" bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a tar archive"* ]]
	xz -c "$BATS_FILE_TMPDIR/rootfs.tar" >"$BATS_TEST_TMPDIR/rootfs.tar.xz"
	run CI import "$BATS_TEST_TMPDIR/rootfs.tar.xz" bad
	[ "$status" -eq 1 ]
	[[ "$output" == *"xz or bzip2 compressed"* ]]
	run CI import "$BATS_FILE_TMPDIR/rootfs.tar" "Not A Name"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not an image name"* ]]
	# A layer the unpacker refuses (a path out of the rootfs) is refused on import as on load.
	mkdir -p "$BATS_TEST_TMPDIR/evil"
	echo x >"$BATS_TEST_TMPDIR/evil/x"
	tar -C "$BATS_TEST_TMPDIR/evil" -cf "$BATS_TEST_TMPDIR/evil.tar" --transform 's|^x$|../../x|' x
	run CI import "$BATS_TEST_TMPDIR/evil.tar" evil
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'..'* ]]
	[ "$(CI list --json)" = "[]" ]
	[ ! -e "$BATS_TEST_TMPDIR/x" ]
}

@test "image: usage errors exit 2, --help exits 0" {
	run "$COCOON" image load
	[ "$status" -eq 2 ]
	run "$COCOON" image frobnicate
	[ "$status" -eq 2 ]
	run "$COCOON" image --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"docker-archive"* ]]
}
