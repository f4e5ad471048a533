#!/bin/bash
# A fake cloud for `cocoon scale provider serve --driver exec:THIS`: it speaks the exec driver
# protocol (create BLOCK NODES, delete BLOCK, list; JSON node lists on stdout) and keeps its "nodes"
# as files under $BLOCK_DRIVER_DIR/cloud/BLOCK/. Every call is appended to $BLOCK_DRIVER_DIR/calls.log.
# The test steers it through $BLOCK_DRIVER_DIR/mode (read at each call):
#   ok           every step works (the default)
#   half         create makes 6 nodes, then fails (exit 1, "quota exceeded" on stderr)
#   short        create makes one node fewer than asked and exits 0
#   hang         create starts a `sleep` (its pid in $BLOCK_DRIVER_DIR/hang.pid) and waits for it
#   fail-delete  delete fails (exit 1); create works
set -u
dir="${BLOCK_DRIVER_DIR:?must name the directory of the fake cloud}"
mode="$(cat "$dir/mode" 2>/dev/null || echo ok)"
echo "$*" >>"$dir/calls.log"

# print_nodes [BLOCK]: the node list of one block, or of all.
print_nodes() {
	local first=1 path block name blocks=("$dir"/cloud/*)
	[ -z "${1:-}" ] || blocks=("$dir/cloud/$1")
	printf '{"nodes":['
	for block in "${blocks[@]}"; do
		for path in "$block"/*; do
			[ -f "$path" ] || continue
			name="$(basename "$path")"
			[ "$first" = 1 ] || printf ','
			first=0
			printf '{"name":"%s","providerID":"cocoon-test://%s/%s","block":"%s","status":"running"}' \
				"$name" "$(basename "$block")" "$name" "$(basename "$block")"
		done
	done
	printf ']}\n'
}

case "${1:-}" in
create)
	block="$2" count="$3"
	mkdir -p "$dir/cloud/$block"
	made="$count"
	case "$mode" in
	half) made=6 ;;
	short) made=$((count - 1)) ;;
	hang)
		sleep 1000 &
		echo $! >"$dir/hang.pid"
		wait
		;;
	esac
	for i in $(seq 1 "$made"); do
		: >"$dir/cloud/$block/$block-node-$i"
	done
	print_nodes "$block"
	if [ "$mode" = half ]; then
		echo "quota exceeded after 6 nodes" >&2
		exit 1
	fi
	;;
delete)
	if [ "$mode" = fail-delete ]; then
		echo "cloud API unavailable" >&2
		exit 1
	fi
	rm -rf "${dir:?}/cloud/$2"
	;;
list)
	print_nodes
	;;
*)
	echo "usage: $0 create BLOCK NODES | delete BLOCK | list" >&2
	exit 2
	;;
esac
