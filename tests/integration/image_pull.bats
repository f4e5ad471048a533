#!/usr/bin/env bats
# cocoon image pull against the real Debian docker-registry (distribution 2.8), images pushed there
# by podman: by tag and by digest with the digests and image ID podman reports, a multi-arch index
# (this machine's amd64 image picked), gzip, zstd and uncompressed layers, a missing tag, a tampered
# blob refused with nothing stored, an image already present fetched no more, HTTPS with --ca and
# without it, plain HTTP only with --tls-verify=false, basic credentials (htpasswd) and Docker's
# token authentication (a token service of the test's own). Then cocoond's pod runner pulling a
# pod's image as imagePullPolicy says, with kubelet's events. Four registries serve one storage
# directory: plain HTTP, HTTPS, htpasswd and token; each is stopped by its PID.

load helpers/common
load helpers/runtime
bats_require_minimum_version 1.5.0

KUBECTL="${KUBECTL:-$(command -v kubectl || true)}"
REGISTRY=/usr/bin/docker-registry

P() {
	podman --root "$BATS_FILE_TMPDIR/podman" --runroot "$BATS_FILE_TMPDIR/podman-run" \
		--cgroup-manager cgroupfs --events-backend file "$@"
}

# A second podman with an empty store: what `podman pull` makes of the registry's images.
P2() {
	podman --root "$BATS_FILE_TMPDIR/podman2" --runroot "$BATS_FILE_TMPDIR/podman2-run" \
		--cgroup-manager cgroupfs --events-backend file "$@"
}

# write_config NAME PORT [yaml lines appended]: a docker-registry config on the shared storage.
write_config() {
	local name="$1" port="$2"
	shift 2
	cat >"$BATS_FILE_TMPDIR/$name.yml" <<-YAML
	version: 0.1
	log:
	  level: info
	storage:
	  filesystem:
	    rootdirectory: $BATS_FILE_TMPDIR/storage
	  delete:
	    enabled: true
	http:
	  addr: 127.0.0.1:$port
	YAML
	printf '%s\n' "$@" >>"$BATS_FILE_TMPDIR/$name.yml"
}

# start_registry NAME: serves NAME.yml, its log in NAME.log, its pid in NAME.pid.
start_registry() {
	local name="$1" tmp="$BATS_FILE_TMPDIR"
	"$REGISTRY" serve "$tmp/$name.yml" >"$tmp/$name.log" 2>&1 3>&- &
	echo $! >"$tmp/$name.pid"
	local port
	port="$(sed -n 's/^  addr: 127.0.0.1://p' "$tmp/$name.yml")"
	wait_for_server "docker-registry $name" "$(cat "$tmp/$name.pid")" "$tmp/$name.log" \
		"$SYSTEM_PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)"
}

stop_pid_file() {
	[ -e "$1" ] || return 0
	local pid
	pid="$(cat "$1")"
	rm -f "$1"
	kill -TERM "$pid" 2>/dev/null || return 0
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

# push_raw REPO TAG none|zstd: an image of one layer, uncompressed or zstd (podman 4.3 pushes gzip
# whatever it is asked), pushed blob by blob with curl as the distribution spec says (POST, then PUT
# with the digest), then its manifest. REPO.digest and REPO.id get its manifest digest and image ID.
push_raw() {
	local repo="$1" tag="$2" compression="$3" tmp="$BATS_FILE_TMPDIR" base="http://127.0.0.1:$PLAIN_PORT/v2/$1"
	mkdir -p "$tmp/$repo-root/bin"
	cp /bin/busybox "$tmp/$repo-root/bin/busybox"
	ln -sf busybox "$tmp/$repo-root/bin/sh"
	ln -sf busybox "$tmp/$repo-root/bin/sleep"
	tar -C "$tmp/$repo-root" -cf "$tmp/$repo.tar" .
	local diff_id media=application/vnd.oci.image.layer.v1.tar layer="$repo.tar"
	diff_id="sha256:$(sha256sum "$tmp/$repo.tar" | cut -d' ' -f1)"
	if [ "$compression" = zstd ]; then
		zstd -q -f "$tmp/$repo.tar" -o "$tmp/$repo.tar.zst"
		layer="$repo.tar.zst" media="$media+zstd"
	fi
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$diff_id" >"$tmp/$repo-config.json"
	local file digest location
	for file in "$layer" "$repo-config.json"; do
		digest="sha256:$(sha256sum "$tmp/$file" | cut -d' ' -f1)"
		location="$(curl -sf -X POST -D - -o /dev/null "$base/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')"
		case "$location" in http*) ;; *) location="http://127.0.0.1:$PLAIN_PORT$location" ;; esac
		curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$tmp/$file" \
			"$location&digest=$digest" >/dev/null
	done
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"%s","digest":"sha256:%s","size":%d}]}' \
		"$(sha256sum "$tmp/$repo-config.json" | cut -d' ' -f1)" "$(stat -c %s "$tmp/$repo-config.json")" "$media" \
		"$(sha256sum "$tmp/$layer" | cut -d' ' -f1)" "$(stat -c %s "$tmp/$layer")" >"$tmp/$repo-manifest.json"
	curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
		--data-binary "@$tmp/$repo-manifest.json" "$base/manifests/$tag" >/dev/null
	echo "sha256:$(sha256sum "$tmp/$repo-manifest.json" | cut -d' ' -f1)" >"$tmp/$repo.digest"
	echo "sha256:$(sha256sum "$tmp/$repo-config.json" | cut -d' ' -f1)" >"$tmp/$repo.id"
}

setup_file() {
	[ "$(id -u)" -eq 0 ] && command -v podman >/dev/null && [ -x "$REGISTRY" ] || return 0
	local tmp="$BATS_FILE_TMPDIR"
	export PLAIN_PORT TLS_PORT BASIC_PORT TOKEN_PORT AUTH_PORT
	PLAIN_PORT="$(free_port)" TLS_PORT="$(free_port)" BASIC_PORT="$(free_port)" TOKEN_PORT="$(free_port)"
	AUTH_PORT="$(free_port)"
	# A CA and the registry's certificate for 127.0.0.1 and localhost; the token service's signer.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=registry test CA" \
		-keyout "$tmp/ca.key" -out "$tmp/ca.crt" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
		-keyout "$tmp/registry.key" -out "$tmp/registry.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tmp/san.cnf"
	openssl x509 -req -in "$tmp/registry.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -days 1 \
		-extfile "$tmp/san.cnf" -out "$tmp/registry.crt" 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=token signer" \
		-keyout "$tmp/token.key" -out "$tmp/token.crt" 2>/dev/null
	# htpasswd wants bcrypt: libcrypt's, through Debian's Python.
	"$SYSTEM_PYTHON" -W ignore -c 'import crypt; print("alice:" + crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' \
		>"$tmp/htpasswd"
	write_config plain "$PLAIN_PORT"
	write_config tls "$TLS_PORT" "  tls:" "    certificate: $tmp/registry.crt" "    key: $tmp/registry.key"
	write_config basic "$BASIC_PORT" "auth:" "  htpasswd:" "    realm: test-realm" "    path: $tmp/htpasswd"
	write_config token "$TOKEN_PORT" "auth:" "  token:" "    realm: http://127.0.0.1:$AUTH_PORT/token" \
		"    service: test-registry" "    issuer: test-issuer" "    rootcertbundle: $tmp/token.crt"
	for name in plain tls basic token; do start_registry "$name"; done
	"$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/registry_token.py" --port "$AUTH_PORT" \
		--key "$tmp/token.key" --cert "$tmp/token.crt" --issuer test-issuer --log "$tmp/token-requests.jsonl" \
		--user alice:s3cret >"$tmp/token.out" 2>&1 3>&- &
	echo $! >"$tmp/token-service.pid"
	wait_for_server "the token service" "$(cat "$tmp/token-service.pid")" "$tmp/token.out" grep -q listening "$tmp/token.out"

	# The images, pushed by podman: busybox:1 (gzip), tamper:1 (a layer of its own), private/busybox:1,
	# and multi:1, an index of an arm64 and an amd64 image; raw:1 and zstd:1 by curl.
	make_rootfs "$tmp/root"
	tar -C "$tmp/root" -cf "$tmp/rootfs.tar" .
	P import --change "ENV PATH=/bin" --change 'CMD ["/bin/sh"]' "$tmp/rootfs.tar" localhost/busybox:1 >/dev/null
	local push=(push --tls-verify=false)
	P "${push[@]}" --digestfile "$tmp/busybox.digest" localhost/busybox:1 "127.0.0.1:$PLAIN_PORT/busybox:1" 2>/dev/null
	P "${push[@]}" localhost/busybox:1 "127.0.0.1:$PLAIN_PORT/private/busybox:1" 2>/dev/null
	echo tampered >"$tmp/root/etc/tamper"
	tar -C "$tmp/root" -cf "$tmp/tamper.tar" .
	P import "$tmp/tamper.tar" localhost/tamper:1 >/dev/null
	P "${push[@]}" localhost/tamper:1 "127.0.0.1:$PLAIN_PORT/tamper:1" 2>/dev/null
	rm "$tmp/root/etc/tamper"
	echo arm >"$tmp/root/etc/arch"
	tar -C "$tmp/root" -cf "$tmp/arm.tar" .
	P import --arch arm64 "$tmp/arm.tar" localhost/busybox-arm:1 >/dev/null
	P manifest create localhost/multi:1 >/dev/null
	P manifest add localhost/multi:1 containers-storage:localhost/busybox-arm:1 >/dev/null
	P manifest add localhost/multi:1 containers-storage:localhost/busybox:1 >/dev/null
	P manifest push --all --tls-verify=false --digestfile "$tmp/multi.digest" localhost/multi:1 \
		"docker://127.0.0.1:$PLAIN_PORT/multi:1" 2>/dev/null
	push_raw raw 1 none
	push_raw zstd 1 zstd
}

teardown_file() {
	stop_pods_platform
	local name
	for name in plain tls basic token token-service; do stop_pid_file "$BATS_FILE_TMPDIR/$name.pid"; done
	P rmi -af >/dev/null 2>&1 || true
	P2 rmi -af >/dev/null 2>&1 || true
}

setup() {
	require_root
	command -v podman >/dev/null || skip "podman is not installed (the test images are pushed with it)"
	[ -x "$REGISTRY" ] || skip "docker-registry is not installed (Debian package docker-registry)"
	STORE="$BATS_TEST_TMPDIR/store"
	PLAIN="127.0.0.1:$PLAIN_PORT"
	TLS="127.0.0.1:$TLS_PORT"
}

CI() {
	"$COCOON" image "$@" --store "$STORE"
}

json_field() {
	"$SYSTEM_PYTHON" -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[int(k)] if k.isdigit() else v[k]
print(v if not isinstance(v,(list,dict)) else json.dumps(v))' "$1"
}

# The blob requests a registry logged so far.
blob_gets() {
	grep -c "GET /v2/$2/blobs/" "$BATS_FILE_TMPDIR/$1.log" || true
}

@test "image pull by tag: podman's digest and image ID, a gzip layer unpacked, progress as podman's" {
	run CI pull --tls-verify=false "$PLAIN/busybox:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Trying to pull $PLAIN/busybox:1..."* ]]
	[[ "$output" == *"Copying blob sha256:"*"MB)"* ]]
	[[ "$output" == *"Copying config sha256:"* ]]
	[[ "$output" == *"unpacking layer 1/1"* ]]
	[[ "$output" == *"Pulled image $PLAIN/busybox:1 ($(cat "$BATS_FILE_TMPDIR/busybox.digest"), id sha256:"* ]]
	# What podman itself makes of the same pull.
	P2 pull -q --tls-verify=false "$PLAIN/busybox:1" >/dev/null
	run CI list --json
	[ "$(echo "$output" | json_field 0.id)" = "sha256:$(P2 inspect --format '{{.Id}}' "$PLAIN/busybox:1")" ]
	[ "$(echo "$output" | json_field 0.digest)" = "$(P2 inspect --format '{{.Digest}}' "$PLAIN/busybox:1")" ]
	[ "$(echo "$output" | json_field 0.names)" = "[\"$PLAIN/busybox:1\"]" ]
	[ "$(echo "$output" | json_field 0.format)" = registry ]
	# The layer is the rootfs, ready for overlayfs; the config came along.
	run CI inspect "$PLAIN/busybox:1"
	[ "$(echo "$output" | json_field config.Cmd)" = '["/bin/sh"]' ]
	dir="$(echo "$output" | json_field layer_dirs.0)"
	[ -x "$dir/bin/busybox" ]
}

@test "image pull by digest: the manifest checked against it, no tag, resolvable by NAME@DIGEST" {
	digest="$(cat "$BATS_FILE_TMPDIR/busybox.digest")"
	run CI pull --json --tls-verify=false "$PLAIN/busybox@$digest"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_field digest)" = "$digest" ]
	[ "$(echo "$output" | json_field names)" = "[]" ]
	[ "$(echo "$output" | json_field repo_digests)" = "[\"$PLAIN/busybox@$digest\"]" ]
	[ "$(echo "$output" | json_field id)" = "sha256:$(P inspect --format '{{.Id}}' localhost/busybox:1)" ]
	run CI inspect "$PLAIN/busybox@$digest"
	[ "$status" -eq 0 ]
	# A digest the registry does not have under that name is its answer, named.
	run CI pull --tls-verify=false "$PLAIN/busybox@sha256:$(printf '%064d' 0)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pull $PLAIN/busybox@sha256:0000"*"has no manifest busybox:sha256:0000"*"HTTP 404"* ]]
}

@test "image pull of a multi-arch index takes this machine's amd64 image, as podman does" {
	[ "$(uname -m)" = x86_64 ] || skip "the index has amd64 and arm64 images; this machine is $(uname -m)"
	run CI pull --json --tls-verify=false "$PLAIN/multi:1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_field index_digest)" = "$(cat "$BATS_FILE_TMPDIR/multi.digest")" ]
	[ "$(echo "$output" | json_field id)" = "sha256:$(P inspect --format '{{.Id}}' localhost/busybox:1)" ]
	[[ "$(echo "$output" | json_field repo_digests)" == *"$PLAIN/multi@$(cat "$BATS_FILE_TMPDIR/multi.digest")"* ]]
	P2 pull -q --tls-verify=false "$PLAIN/multi:1" >/dev/null
	[ "$(echo "$output" | json_field id)" = "sha256:$(P2 inspect --format '{{.Id}}' "$PLAIN/multi:1")" ]
	# The image answers to the index's digest too (a pod naming the index finds it).
	run CI inspect "$PLAIN/multi@$(cat "$BATS_FILE_TMPDIR/multi.digest")"
	[ "$status" -eq 0 ]
	run CI inspect "$PLAIN/multi:1"
	[ ! -e "$(echo "$output" | json_field layer_dirs.0)/etc/arch" ] # the arm64 image's file is not there
}

@test "image pull: zstd and uncompressed layers" {
	for repo in zstd raw; do
		run CI pull --json --tls-verify=false "$PLAIN/$repo:1"
		[ "$status" -eq 0 ]
		[ "$(echo "$output" | json_field digest)" = "$(cat "$BATS_FILE_TMPDIR/$repo.digest")" ]
		[ "$(echo "$output" | json_field id)" = "$(cat "$BATS_FILE_TMPDIR/$repo.id")" ]
		run CI inspect "$PLAIN/$repo:1"
		[ -x "$(echo "$output" | json_field layer_dirs.0)/bin/busybox" ]
	done
	grep -q 'application/vnd.oci.image.layer.v1.tar+zstd"' "$STORE/index.json"
	grep -q 'application/vnd.oci.image.layer.v1.tar"' "$STORE/index.json"
}

@test "image pull of a missing tag or repository: the reference and the registry's answer" {
	run CI pull --tls-verify=false "$PLAIN/busybox:nope"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pull $PLAIN/busybox:nope: registry $PLAIN has no manifest busybox:nope (HTTP 404: MANIFEST_UNKNOWN: manifest unknown)"* ]]
	run CI pull --tls-verify=false "$PLAIN/nothere/at-all:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"pull $PLAIN/nothere/at-all:1: registry $PLAIN has no manifest nothere/at-all:1 (HTTP 404: MANIFEST_UNKNOWN: manifest unknown)"* ]]
	# Nothing pulled, nothing stored; short names and malformed references never reach a registry.
	run CI list --json
	[ "$output" = "[]" ]
	run CI pull busybox:1
	[ "$status" -eq 2 ]
	[[ "$output" == *'`busybox:1` names no registry: give it as REGISTRY[:PORT]/NAME[:TAG]'* ]]
	run CI pull "$PLAIN/BusyBox:1"
	[ "$status" -eq 2 ]
	[[ "$output" == *"is not an image reference"* ]]
	run CI pull localhost/busybox:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"localhost/ names local images"*"cocoon image load"* ]]
}

@test "image pull of a tampered blob: refused as a digest mismatch, nothing stored" {
	digest="$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"http://$PLAIN/v2/tamper/manifests/1" | json_field layers.0.digest)"
	data="$BATS_FILE_TMPDIR/storage/docker/registry/v2/blobs/sha256/${digest:7:2}/${digest:7}/data"
	[ -f "$data" ]
	cp "$data" "$BATS_TEST_TMPDIR/original"
	printf 'X' | dd of="$data" bs=1 seek=200 conv=notrunc 2>/dev/null
	run CI pull --tls-verify=false "$PLAIN/tamper:1"
	cp "$BATS_TEST_TMPDIR/original" "$data"
	[ "$status" -eq 1 ]
	[[ "$output" == *"sent blob $digest with content sha256:"*"refused (digest mismatch"* ]]
	run CI list --json
	[ "$output" = "[]" ]
	[ -z "$(find "$STORE/blobs/sha256" "$STORE/layers/sha256" "$STORE/tmp" -mindepth 1 -print -quit)" ]
	# The blob as it was pulls.
	run CI pull --quiet --tls-verify=false "$PLAIN/tamper:1"
	[ "$status" -eq 0 ]
}

@test "image pull of an image already present fetches no blob again" {
	CI pull --quiet --tls-verify=false "$PLAIN/busybox:1"
	before="$(blob_gets plain busybox)"
	run CI pull --json --tls-verify=false "$PLAIN/busybox:1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | json_field blobs_fetched)" = 0 ]
	[ "$(echo "$output" | json_field blobs_skipped)" = 2 ]
	[ "$(echo "$output" | json_field layers_unpacked)" = 0 ]
	[ "$(blob_gets plain busybox)" = "$before" ]
	# Another name for the same image shares the blobs too.
	run CI pull --tls-verify=false "$PLAIN/private/busybox:1"
	[[ "$output" == *"Copying blob sha256:"*"skipped: already in the store"* ]]
	[ "$(CI list --json | json_field 0.names)" = "[\"$PLAIN/busybox:1\", \"$PLAIN/private/busybox:1\"]" ]
}

@test "image pull over HTTPS: the registry's CA with --ca; a certificate error without it" {
	run CI pull --ca "$BATS_FILE_TMPDIR/ca.crt" "$TLS/busybox:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pulled image $TLS/busybox:1"* ]]
	rm -rf "$STORE"
	run CI pull "$TLS/busybox:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"TLS with registry $TLS failed"*"SSL certificate problem: unable to get local issuer certificate"* ]]
	run CI pull --ca "$BATS_FILE_TMPDIR/token.crt" "$TLS/busybox:1" # another CA
	[ "$status" -eq 1 ]
	[[ "$output" == *"SSL certificate problem"* ]]
	# --tls-verify=false takes the certificate unverified (still TLS).
	run CI pull --tls-verify=false "$TLS/busybox:1"
	[ "$status" -eq 0 ]
	grep -q "GET /v2/busybox/manifests/1" "$BATS_FILE_TMPDIR/tls.log"
}

@test "image pull over plain HTTP only with --tls-verify=false" {
	run CI pull "$PLAIN/busybox:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"TLS with registry $PLAIN failed"*"--tls-verify=false"* ]]
	run CI list --json
	[ "$output" = "[]" ]
	run CI pull --tls-verify=false "$PLAIN/busybox:1"
	[ "$status" -eq 0 ]
	run CI pull --tls-verify=nonsense "$PLAIN/busybox:1"
	[ "$status" -eq 2 ]
}

@test "image pull with basic credentials (htpasswd): --creds and an auth file; refused without" {
	BASIC="127.0.0.1:$BASIC_PORT"
	run CI pull --tls-verify=false "$BASIC/busybox:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"registry $BASIC asks for a user name and password"* ]]
	run CI pull --tls-verify=false --creds alice:wrong "$BASIC/busybox:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused the version check (GET /v2/) (HTTP 401"* ]]
	[[ "$output" != *wrong* ]] # the password is never shown
	run CI pull --tls-verify=false --creds alice:s3cret "$BASIC/busybox:1"
	[ "$status" -eq 0 ]
	rm -rf "$STORE"
	# podman login's auth file, by --authfile and by REGISTRY_AUTH_FILE.
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$BASIC" "$(printf alice:s3cret | base64)" >"$BATS_TEST_TMPDIR/auth.json"
	run CI pull --tls-verify=false --authfile "$BATS_TEST_TMPDIR/auth.json" "$BASIC/busybox:1"
	[ "$status" -eq 0 ]
	rm -rf "$STORE"
	REGISTRY_AUTH_FILE="$BATS_TEST_TMPDIR/auth.json" run CI pull --tls-verify=false "$BASIC/busybox:1"
	[ "$status" -eq 0 ]
}

@test "image pull with token authentication: an anonymous token scoped to the repository, credentials for a private one" {
	TOKEN="127.0.0.1:$TOKEN_PORT"
	: >"$BATS_FILE_TMPDIR/token-requests.jsonl"
	run CI pull --tls-verify=false "$TOKEN/busybox:1"
	[ "$status" -eq 0 ]
	grep -q '"scope": \["repository:busybox:pull"\]' "$BATS_FILE_TMPDIR/token-requests.jsonl"
	grep -q '"service": \["test-registry"\]' "$BATS_FILE_TMPDIR/token-requests.jsonl"
	! grep -q '"basic": true' "$BATS_FILE_TMPDIR/token-requests.jsonl" || false
	# private/ is only for alice: anonymously the registry refuses, with her name and password it serves.
	run CI pull --tls-verify=false "$TOKEN/private/busybox:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused manifest private/busybox:1 (HTTP 401: UNAUTHORIZED"* ]]
	run CI pull --tls-verify=false --creds alice:s3cret "$TOKEN/private/busybox:1"
	[ "$status" -eq 0 ]
	grep -q '"basic": true' "$BATS_FILE_TMPDIR/token-requests.jsonl"
	run CI pull --tls-verify=false --creds alice:wrong "$TOKEN/private/busybox:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the token service http://127.0.0.1:$AUTH_PORT/token refused the credentials' access"* ]]
}

# ---- the pod runner ----

# wait_for POD JSONPATH VALUE [SECONDS]
wait_for() {
	local i
	for i in $(seq 1 $((${4:-30} * 5))); do
		[ "$("${K[@]}" get pod "$1" -o jsonpath="$2" 2>/dev/null)" = "$3" ] && return 0
		sleep 0.2
	done
	echo "pod $1: $2 is $("${K[@]}" get pod "$1" -o jsonpath="$2" 2>&1), not $3" >&2
	"${K[@]}" get pod "$1" -o yaml >&2 || true
	return 1
}

events() {
	"${K[@]}" get events --field-selector "involvedObject.name=$1" -o jsonpath='{range .items[*]}{.reason}: {.message}{"\n"}{end}'
}

# pod NAME IMAGE POLICY: a pod of one container that sleeps.
pod() {
	cat <<-YAML | "${K[@]}" apply -f - >/dev/null
	apiVersion: v1
	kind: Pod
	metadata: {name: $1}
	spec:
	  restartPolicy: Never
	  containers:
	  - {name: c, image: "$2", imagePullPolicy: $3, command: [sleep, "600"]}
	YAML
}

@test "pods: the runner pulls a pod's image as imagePullPolicy says, with kubelet's events" {
	[ -n "$KUBECTL" ] || skip "kubectl is not installed on this machine"
	[ -x /usr/lib/cni/bridge ] || skip "needs containernetworking-plugins"
	local data="$BATS_FILE_TMPDIR/data"
	COCOOND_BRIDGE=cctest3 COCOOND_POD_SUBNET=10.249.0.0/24 start_cocoond_pods "$data" "$(free_port)" \
		--registry-ca "$BATS_FILE_TMPDIR/ca.crt" --insecure-registry "$PLAIN"
	echo "$COCOOND_PID" >"$BATS_FILE_TMPDIR/cocoond.pid"
	export KUBECONFIG="$data/kubeconfig"
	K=("$KUBECTL" --request-timeout=20s -n default)

	# IfNotPresent and not present: pulled over HTTPS with cocoond's --registry-ca.
	pod web "$TLS/busybox:1" IfNotPresent
	wait_for web '{.status.phase}' Running 60
	run events web
	echo "$output"
	[[ "$output" == *"Pulling: Pulling image \"$TLS/busybox:1\""* ]]
	[[ "$output" == *"Pulled: Successfully pulled image \"$TLS/busybox:1\" in "*" including waiting)"* ]]
	[[ "$output" == *"Started: Started container c"* ]]
	[ "$("${K[@]}" get pod web -o jsonpath='{.status.containerStatuses[0].imageID}')" != "" ]
	"$COCOON" image inspect "$TLS/busybox:1" --store "$data/images" >/dev/null

	# IfNotPresent and present: no pull.
	pod again "$TLS/busybox:1" IfNotPresent
	wait_for again '{.status.phase}' Running 30
	run events again
	[[ "$output" == *"Container image \"$TLS/busybox:1\" already present on machine"* ]]
	[[ "$output" != *Pulling* ]]

	# Always: pulled at the start though present; from a registry cocoond reaches without TLS.
	pod always "$PLAIN/zstd:1" Always
	wait_for always '{.status.phase}' Running 60
	[[ "$(events always)" == *"Pulling: Pulling image \"$PLAIN/zstd:1\""* ]]

	# Never, missing: ErrImageNeverPull, and no pull.
	pod never "$TLS/busybox:never" Never
	wait_for never '{.status.containerStatuses[0].state.waiting.reason}' ErrImageNeverPull 30
	[[ "$(events never)" == *"is not present with pull policy of Never"* ]]

	# A tag the registry does not have: ErrImagePull, then ImagePullBackOff, the registry's answer kept.
	pod ghost "$TLS/busybox:nope" IfNotPresent
	wait_for ghost '{.status.containerStatuses[0].state.waiting.reason}' ErrImagePull 30
	[[ "$("${K[@]}" get pod ghost -o jsonpath='{.status.containerStatuses[0].state.waiting.message}')" == *"MANIFEST_UNKNOWN: manifest unknown"* ]]
	wait_for ghost '{.status.containerStatuses[0].state.waiting.reason}' ImagePullBackOff 40
	message="$("${K[@]}" get pod ghost -o jsonpath='{.status.containerStatuses[0].state.waiting.message}')"
	[[ "$message" == *"Back-off pulling image \"$TLS/busybox:nope\""*"MANIFEST_UNKNOWN"* ]]
	[[ "$(events ghost)" == *"Failed: Failed to pull image \"$TLS/busybox:nope\": pull $TLS/busybox:nope: registry $TLS has no manifest busybox:nope"* ]]

	# A registry whose certificate cocoond cannot verify: the TLS error, as ErrImagePull.
	pod untrusted "127.0.0.1:$BASIC_PORT/busybox:1" IfNotPresent
	wait_for untrusted '{.status.containerStatuses[0].state.waiting.reason}' ErrImagePull 30
	[[ "$("${K[@]}" get pod untrusted -o jsonpath='{.status.containerStatuses[0].state.waiting.message}')" == *"TLS with registry 127.0.0.1:$BASIC_PORT failed"* ]]

	stop_pods_platform
	! grep -q "$data.run" /proc/self/mountinfo || false
	! ip link show cctest3 2>/dev/null
}
