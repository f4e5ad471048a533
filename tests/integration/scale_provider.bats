#!/usr/bin/env bats
# cocoon scale provider serve: the Cluster Autoscaler externalgrpc provider, called over mutual TLS
# by a real gRPC client (Debian's python3-grpcio) with the messages Cluster Autoscaler sends, and
# provisioning through the exec driver with a fake cloud (helpers/block_driver.sh) that records
# its calls and can be told to fail half-way, come up short or hang. The template node is decoded
# with the test's own reading of core/v1 Node (helpers/core_v1_node.proto).

load helpers/common

DRIVER="$COCOON_ROOT/tests/integration/helpers/block_driver.sh"

# make_certs DIR: a CA, a server certificate for 127.0.0.1 and a client certificate it signed.
make_certs() {
	local dir="$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=provider test CA" \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/server.cnf"
	openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 1 \
		-extfile "$dir/server.cnf" -out "$dir/server.crt" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=cluster-autoscaler" \
		-keyout "$dir/client.key" -out "$dir/client.csr" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >"$dir/client.cnf"
	openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 1 \
		-extfile "$dir/client.cnf" -out "$dir/client.crt" 2>/dev/null
	make_rogue_client "$dir"
}

setup_file() {
	export PB2="$BATS_FILE_TMPDIR/pb2" CERTS="$BATS_FILE_TMPDIR/certs"
	mkdir -p "$PB2" "$CERTS"
	if command -v protoc >/dev/null; then
		protoc --proto_path="$COCOON_ROOT/src/scale/provider/proto" --python_out="$PB2" externalgrpc.proto
		protoc --proto_path="$COCOON_ROOT/tests/integration/helpers" --python_out="$PB2" core_v1_node.proto
	fi
	make_certs "$CERTS"
}

setup() {
	"$SYSTEM_PYTHON" -c 'import grpc' 2>/dev/null || skip "python3-grpcio is not installed"
	[ -f "$PB2/externalgrpc_pb2.py" ] || skip "protoc (protobuf-compiler) is not installed"
	TMP="$(mktemp -d)"
	export BLOCK_DRIVER_DIR="$TMP/cloud"
	mkdir -p "$BLOCK_DRIVER_DIR"
}

teardown() {
	stop_provider
	rm -rf "$TMP"
}

# ca COMMAND [ARGS]: the Cluster Autoscaler stand-in with the trusted client certificate.
ca() {
	"$SYSTEM_PYTHON" "$COCOON_ROOT/tests/integration/helpers/ca_client.py" "$PB2" "127.0.0.1:$PORT" "$CERTS/ca.crt" \
		"${CLIENT_CERT:-$CERTS/client.crt}" "${CLIENT_KEY:-$CERTS/client.key}" "$@"
}

# start_provider [extra args]: blocks b1,b2,b3 of 15 nodes on a free port, events to $TMP/events.jsonl.
start_provider() {
	PORT="$(free_port)"
	"$COCOON" scale provider serve --listen "127.0.0.1:$PORT" --cert "$CERTS/server.crt" --key "$CERTS/server.key" \
		--client-ca "$CERTS/ca.crt" --driver "exec:$DRIVER" --state "$TMP/state" --blocks b1,b2,b3 \
		--event-log "${EVENT_LOG:-$TMP/events.jsonl}" "$@" >>"$TMP/provider.log" 2>&1 &
	PROVIDER_PID=$!
	wait_for_server "the provider" "$PROVIDER_PID" "$TMP/provider.log" ca refresh
}

stop_provider() {
	if [ -n "${PROVIDER_PID:-}" ]; then
		kill -TERM "$PROVIDER_PID" 2>/dev/null || true
		wait "$PROVIDER_PID" 2>/dev/null || true
		PROVIDER_PID=
	fi
}

# field JSON EXPRESSION: a Python expression over the parsed JSON `j`.
field() {
	"$SYSTEM_PYTHON" -c 'import json, sys; j = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

driver_mode() {
	echo "$1" >"$BLOCK_DRIVER_DIR/mode"
}

# events ACTION: the audit events of that action, one JSON object a line.
events() {
	grep "\"action\":\"$1\"" "$TMP/events.jsonl" || true
}

@test "NodeGroups lists every block with min 0 and max 15; GetOptions asks for all-or-nothing scaling" {
	start_provider
	run ca groups
	[ "$status" -eq 0 ]
	[ "$(field "$output" '[g["id"] for g in j["groups"]]')" = "['b1', 'b2', 'b3']" ]
	[ "$(field "$output" '{(g["min"], g["max"]) for g in j["groups"]}')" = "{(0, 15)}" ]
	[ "$(field "$(ca target b1)" 'j["target"]')" = 0 ]
	run ca options b1
	[ "$(field "$output" 'j["zeroOrMaxNodeScaling"]')" = True ]
	[ "$(field "$output" 'j["allowNonAtomicScaleUpToMax"]')" = False ]
	# the caller's other defaults come back as sent
	[ "$(field "$output" 'j["scaleDownUnneededSeconds"]')" = 600 ]
	run ca target nope
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "NOT_FOUND"'*"node group \`nope\` is not a block"* ]]
}

@test "IncreaseSize 15 creates an empty block whole through the driver; 7 is refused with the reason" {
	start_provider
	run ca increase b1 7
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "INVALID_ARGUMENT"'*"block b1 grows whole: IncreaseSize delta must be 15"*"not 7"* ]]
	[ "$(grep -c "^create" "$BLOCK_DRIVER_DIR/calls.log")" = 0 ]
	[ "$(events block.create | grep -c '"verdict":"deny"')" = 1 ]

	run ca increase b1 15
	[ "$status" -eq 0 ]
	grep -qx "create b1 15" "$BLOCK_DRIVER_DIR/calls.log"
	run ca nodes b1
	[ "$(field "$output" 'len(j["instances"])')" = 15 ]
	[ "$(field "$output" '{i["state"] for i in j["instances"]}')" = "{'running'}" ]
	[[ "$output" == *'"id": "cocoon-test://b1/b1-node-15"'* ]]
	[ "$(field "$(ca target b1)" 'j["target"]')" = 15 ]
	[ "$(events block.create | grep -c '"verdict":"allow"')" = 1 ]
	[ "$(events block.created | grep -c '"object":"b1"')" = 1 ]
	events block.created | grep -q '"actor":"cluster-autoscaler"'

	# a full block does not grow again
	run ca increase b1 15
	[[ "$output" == *'"error": "FAILED_PRECONDITION"'*"already has its 15 nodes"* ]]
}

@test "a create that fails half-way is rolled back, answered with an error CA backs off on, and audited" {
	start_provider
	driver_mode half
	run ca increase b2 15
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "UNAVAILABLE"'* ]]
	[[ "$output" == *"reported 6 of 15 nodes"*"exited with status 1: quota exceeded after 6 nodes; rolled back"* ]]
	[ "$(cat "$BLOCK_DRIVER_DIR/calls.log")" = "$(printf 'list\ncreate b2 15\ndelete b2')" ]
	[ ! -e "$BLOCK_DRIVER_DIR/cloud/b2" ]
	[ "$(field "$(ca target b2)" 'j["target"]')" = 0 ]
	[ "$(field "$(ca nodes b2)" 'len(j["instances"])')" = 0 ]
	run events block.rollback
	[[ "$output" == *'"object":"b2"'*"quota exceeded"*'"verdict":"error"'* ]]
	[[ "$(ca groups)" == *"last error: create of block b2 failed"* ]]

	# a driver that makes fewer nodes than asked, and says it succeeded, is rolled back as well
	driver_mode short
	run ca increase b2 15
	[[ "$output" == *'"error": "RESOURCE_EXHAUSTED"'*"the driver made 14 of 15 nodes; rolled back"* ]]
	[ ! -e "$BLOCK_DRIVER_DIR/cloud/b2" ]
	[ "$(events block.rollback | wc -l)" = 2 ]
}

@test "when the rollback fails too, the leftovers are listed with error info until CA deletes them all" {
	driver_mode half
	# a create that fails half-way, then deletes that fail (the fake cloud reads its mode at each call)
	cat >"$TMP/flip.sh" <<EOF
#!/bin/bash
case "\$1" in create) "$DRIVER" "\$@"; s=\$?; echo fail-delete >"$BLOCK_DRIVER_DIR/mode"; exit \$s ;; esac
exec "$DRIVER" "\$@"
EOF
	chmod +x "$TMP/flip.sh"
	DRIVER="$TMP/flip.sh" start_provider
	run ca increase b3 15
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "UNAVAILABLE"'*"the rollback failed too"*"cloud API unavailable"*"6 nodes are left"* ]]
	run ca nodes b3
	[ "$(field "$output" 'len(j["instances"])')" = 6 ]
	[ "$(field "$output" '{(i["state"], i["errorClass"], i["errorCode"]) for i in j["instances"]}')" = \
		"{('creating', 1, 'cocoon.block.rollback-failed')}" ]
	[ "$(field "$(ca target b3)" 'j["target"]')" = 6 ]
	# Cluster Autoscaler deletes failed instances; a part is still refused, all of them accepted
	driver_mode ok
	run ca delete b3 2
	[[ "$output" == *'"error": "FAILED_PRECONDITION"'*"names 2 of its 6 nodes"* ]]
	run ca delete b3 6
	[ "$status" -eq 0 ]
	[ "$(field "$(ca target b3)" 'j["target"]')" = 0 ]
	[ ! -e "$BLOCK_DRIVER_DIR/cloud/b3" ]
}

@test "a driver that hangs is killed with its process group after --driver-timeout, and rolled back" {
	start_provider --driver-timeout 1
	driver_mode hang
	start=$(date +%s)
	run ca increase b1 15
	[ "$status" -eq 1 ]
	[ $(($(date +%s) - start)) -lt 8 ]
	[[ "$output" == *'"error": "UNAVAILABLE"'*"did not finish within 1 s: its process group was killed; rolled back"* ]]
	sleep_pid="$(cat "$BLOCK_DRIVER_DIR/hang.pid")"
	# the script's own child (a sleep) went with it: gone, or a zombie waiting for its reaper
	alive() { ps -o stat= -p "$sleep_pid" | grep -qv Z; }
	for _ in $(seq 1 20); do
		alive || break
		sleep 0.1
	done
	run alive
	[ "$status" -ne 0 ]
	grep -qx "delete b1" "$BLOCK_DRIVER_DIR/calls.log"
	[ "$(field "$(ca target b1)" 'j["target"]')" = 0 ]
}

@test "DeleteNodes refuses a part of a block (FAILED_PRECONDITION) and deletes a whole one" {
	start_provider
	ca increase b1 15 >/dev/null
	run ca delete b1 3
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "FAILED_PRECONDITION"'*"block b1 shrinks whole: the request names 3 of its 15 nodes"* ]]
	[ "$(grep -c "^delete" "$BLOCK_DRIVER_DIR/calls.log")" = 0 ]
	[ "$(events block.delete | grep -c '"verdict":"deny"')" = 1 ]
	[ "$(field "$(ca target b1)" 'j["target"]')" = 15 ]

	run ca delete b1 15
	[ "$status" -eq 0 ]
	grep -qx "delete b1" "$BLOCK_DRIVER_DIR/calls.log"
	[ "$(field "$(ca target b1)" 'j["target"]')" = 0 ]
	[ "$(field "$(ca nodes b1)" 'len(j["instances"])')" = 0 ]
	[ "$(events block.deleted | grep -c '"verdict":"none"')" = 1 ]

	run ca delete b1 15
	[[ "$output" == *'"error": "FAILED_PRECONDITION"'*"block b1 has no nodes to delete"* ]]
}

@test "NodeGroupForNode maps a node to its block by providerID or by name; other nodes get no group" {
	start_provider
	ca increase b2 15 >/dev/null
	[ "$(field "$(ca for-node cocoon-test://b2/b2-node-7)" 'j["id"]')" = b2 ]
	[ "$(field "$(ca for-node cocoon-test://b2/b2-node-7)" 'j["max"]')" = 15 ]
	[ "$(field "$(ca for-node "" b2-node-3)" 'j["id"]')" = b2 ]
	[ "$(field "$(ca for-node kind://docker/control-plane control-plane)" 'repr(j["id"])')" = "''" ]
}

@test "DecreaseTargetSize never removes existing nodes; the pricing and GPU methods answer UNIMPLEMENTED" {
	start_provider
	run ca decrease b1 -15
	[[ "$output" == *'"error": "FAILED_PRECONDITION"'*"target size of block b1 is already 0"* ]]
	ca increase b1 15 >/dev/null
	run ca decrease b1 -3
	[[ "$output" == *'"error": "INVALID_ARGUMENT"'*"delta must be -15, not -3"* ]]
	run ca decrease b1 -15
	[[ "$output" == *'"error": "FAILED_PRECONDITION"'*"all 15 nodes of block b1 exist"*"NodeGroupDeleteNodes"* ]]
	[ "$(field "$(ca target b1)" 'j["target"]')" = 15 ]
	[ "$(events target.decrease | wc -l)" = 3 ]
	for method in GPULabel PricingNodePrice PricingPodPrice GetAvailableGPUTypes; do
		run ca optional "$method"
		[ "$status" -eq 1 ]
		[[ "$output" == *'"error": "UNIMPLEMENTED"'*"$method is not offered"* ]]
	done
	run ca cleanup
	[ "$status" -eq 0 ]
}

# arch_of_machine: uname -m in Kubernetes' spelling, as the provider maps it.
arch_of_machine() {
	case "$(uname -m)" in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}

@test "NodeGroupTemplateNodeInfo: a block's node as the SKU flags describe it, in core/v1 Node protobuf" {
	start_provider --node-cpu 8 --node-memory 32Gi --node-pods 58 --reserve-cpu 250m --reserve-memory 1Gi \
		--node-instance-type cocoon.large --node-label tier=batch --node-label example.com/pool=blue \
		--node-taint dedicated=ml:NoSchedule --node-taint example.com/gpu:NoExecute
	run ca template b2 "$TMP/node.bin"
	[ "$status" -eq 0 ]
	[ "$(field "$output" 'j["name"]')" = template-b2-0 ]
	arch="$(arch_of_machine)"
	[ "$(field "$output" 'sorted(j["labels"].items())')" = "[('example.com/pool', 'blue'), \
('kubernetes.io/arch', '$arch'), ('kubernetes.io/hostname', 'template-b2-0'), ('kubernetes.io/os', 'linux'), \
('node.kubernetes.io/instance-type', 'cocoon.large'), ('scale.cocoon.dev/block', 'b2'), ('tier', 'batch')]" ]
	[ "$(field "$output" '[(t["key"], t["value"], t["effect"]) for t in j["taints"]]')" = \
		"[('dedicated', 'ml', 'NoSchedule'), ('example.com/gpu', '', 'NoExecute')]" ]
	[ "$(field "$output" 'sorted(j["capacity"].items())')" = "[('cpu', '8'), ('memory', '32Gi'), ('pods', '58')]" ]
	[ "$(field "$output" 'sorted(j["allocatable"].items())')" = \
		"[('cpu', '7750m'), ('memory', '31Gi'), ('pods', '58')]" ]
	[ "$(field "$output" 'j["conditions"]')" = "{'Ready': 'True'}" ]
	[ "$(field "$output" '(j["os"], j["arch"])')" = "('linux', '$arch')" ]
	[ "$(field "$output" 'j["resourceSlices"]')" = 0 ]
	# protoc reads the bytes as a well-formed message too, without any schema
	run protoc --decode_raw <"$TMP/node.bin"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"template-b2-0"'* ]]
	[[ "$output" == *'"7750m"'* ]]

	run ca template nope
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "NOT_FOUND"'*"node group \`nope\` is not a block"* ]]
}

@test "the template node defaults to the simulator's SKU; bad template flags are refused" {
	start_provider
	run ca template b1
	[ "$status" -eq 0 ]
	[ "$(field "$output" 'sorted(j["capacity"].items())')" = "[('cpu', '4'), ('memory', '8Gi'), ('pods', '110')]" ]
	[ "$(field "$output" 'j["allocatable"] == j["capacity"]')" = True ]
	[ "$(field "$output" 'j["taints"]')" = "[]" ]
	[ "$(field "$output" '"node.kubernetes.io/instance-type" in j["labels"]')" = False ]
	stop_provider
	base=(--listen 127.0.0.1:0 --cert "$CERTS/server.crt" --key "$CERTS/server.key" --state "$TMP/state"
		--client-ca "$CERTS/ca.crt" --driver "exec:$DRIVER")
	run "$COCOON" scale provider serve "${base[@]}" --node-cpu 2 --reserve-cpu 2
	[ "$status" -eq 2 ]
	[[ "$output" == *"--reserve-cpu 2 leaves no allocatable cpu of the node's 2"* ]]
	run "$COCOON" scale provider serve "${base[@]}" --node-memory 8GB
	[ "$status" -eq 2 ]
	[[ "$output" == *"8GB"* ]]
	run "$COCOON" scale provider serve "${base[@]}" --node-taint gpu=yes:Sometimes
	[ "$status" -eq 2 ]
	[[ "$output" == *"taint \`gpu=yes:Sometimes\`: effect \`Sometimes\` is not NoSchedule, PreferNoSchedule or NoExecute"* ]]
	run "$COCOON" scale provider serve "${base[@]}" --node-label kubernetes.io/hostname=x
	[ "$status" -eq 2 ]
	[[ "$output" == *"kubernetes.io/hostname is set by the provider"* ]]
	run "$COCOON" scale provider serve "${base[@]}" --node-pods 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"--node-pods \`0\` must be a number from 1"* ]]
}

@test "Refresh follows what the cloud did behind the provider's back, and deletes nothing" {
	start_provider --refresh-interval 0
	ca increase b1 15 >/dev/null
	: >"$BLOCK_DRIVER_DIR/calls.log"
	# b1 removed behind our back; b2 made whole behind our back
	rm -rf "$BLOCK_DRIVER_DIR/cloud/b1"
	mkdir -p "$BLOCK_DRIVER_DIR/cloud/b2"
	for i in $(seq 1 15); do : >"$BLOCK_DRIVER_DIR/cloud/b2/b2-node-$i"; done
	run ca refresh
	[ "$status" -eq 0 ]
	[ "$(field "$(ca target b1)" 'j["target"]')" = 0 ]
	[ "$(field "$(ca target b2)" 'j["target"]')" = 15 ]
	[ "$(field "$(ca for-node cocoon-test://b2/b2-node-9)" 'j["id"]')" = b2 ]
	run events block.refresh
	[[ "$output" == *'"object":"b1"'*"block b1 was running with 15 nodes but the driver lists none: empty"* ]]
	[[ "$output" == *'"object":"b2"'*"block b2 was empty but all 15 nodes exist: adopted as running"* ]]
	events block.refresh | grep -q '"actor":"cluster-autoscaler"'

	# three of b2's nodes vanish: the rest are listed with error info for CA to delete
	rm "$BLOCK_DRIVER_DIR/cloud/b2/b2-node-"{1,2,3}
	ca refresh >/dev/null
	run ca nodes b2
	[ "$(field "$output" 'len(j["instances"])')" = 12 ]
	[ "$(field "$output" '{(i["state"], i["errorClass"], i["errorCode"]) for i in j["instances"]}')" = \
		"{('creating', 99, 'cocoon.block.partial')}" ]
	[[ "$output" == *"has 12 of 15 nodes: half-made"* ]]
	[ "$(field "$(ca target b2)" 'j["target"]')" = 12 ]
	# Refresh changed the table only: the driver was only listed
	[ -z "$(grep -v '^list$' "$BLOCK_DRIVER_DIR/calls.log")" ]
	# nothing changed since: no new event
	count="$(events block.refresh | wc -l)"
	ca refresh >/dev/null
	[ "$(events block.refresh | wc -l)" = "$count" ]
	# Cluster Autoscaler deletes them, all at once
	run ca delete b2 12
	[ "$status" -eq 0 ]
	[ "$(field "$(ca target b2)" 'j["target"]')" = 0 ]
	[ ! -e "$BLOCK_DRIVER_DIR/cloud/b2" ]
}

@test "Refresh lists at most once per --refresh-interval; a list that fails is UNAVAILABLE and changes nothing" {
	# a driver whose list fails while $BLOCK_DRIVER_DIR/list-fails exists
	printf '#!/bin/bash\nif [ "$1" = list ] && [ -e "%s/list-fails" ]; then\n\techo "cloud API unavailable" >&2\n\texit 1\nfi\nexec "%s" "$@"\n' \
		"$BLOCK_DRIVER_DIR" "$DRIVER" >"$TMP/listfail.sh"
	chmod +x "$TMP/listfail.sh"
	start_provider
	: >"$BLOCK_DRIVER_DIR/calls.log"
	# the start-up reconcile listed a moment ago: within the default interval (60 s) no list
	ca refresh >/dev/null
	ca refresh >/dev/null
	[ ! -s "$BLOCK_DRIVER_DIR/calls.log" ]
	stop_provider

	DRIVER="$TMP/listfail.sh" start_provider --refresh-interval 0
	ca increase b1 15 >/dev/null
	touch "$BLOCK_DRIVER_DIR/list-fails"
	rm -rf "$BLOCK_DRIVER_DIR/cloud/b1"
	run ca refresh
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "UNAVAILABLE"'*"could not list the nodes"*"cloud API unavailable"*"left as it was"* ]]
	[ "$(field "$(ca target b1)" 'j["target"]')" = 15 ]
	[ -z "$(events block.refresh)" ]
	rm "$BLOCK_DRIVER_DIR/list-fails"
	run ca refresh
	[ "$status" -eq 0 ]
	[ "$(field "$(ca target b1)" 'j["target"]')" = 0 ]
}

@test "a client without a certificate, or with one of another CA, is refused" {
	start_provider
	CLIENT_CERT=- CLIENT_KEY=- run ca groups
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "UNAVAILABLE"'* ]]
	CLIENT_CERT="$CERTS/rogue.crt" CLIENT_KEY="$CERTS/rogue.key" run ca increase b1 15
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "UNAVAILABLE"'* ]]
	[ "$(grep -c "^create" "$BLOCK_DRIVER_DIR/calls.log")" = 0 ]
	[ "$(events provider.authenticate | grep -c '"verdict":"deny"')" -ge 2 ]
}

@test "the blocks survive a restart; a block left half-made by a crash is reported and deleted at start" {
	start_provider
	ca increase b1 15 >/dev/null
	stop_provider
	# what a provider killed while creating b2 leaves: the state says creating, 6 nodes exist
	"$SYSTEM_PYTHON" - "$TMP/state/blocks.json" <<'EOF'
import json, sys
state = json.load(open(sys.argv[1]))
for b in state["blocks"]:
    if b["id"] == "b2":
        b["phase"] = "creating"
json.dump(state, open(sys.argv[1], "w"))
EOF
	mkdir -p "$BLOCK_DRIVER_DIR/cloud/b2"
	for i in 1 2 3 4 5 6; do : >"$BLOCK_DRIVER_DIR/cloud/b2/b2-node-$i"; done
	: >"$BLOCK_DRIVER_DIR/calls.log"

	start_provider
	[ "$(cat "$BLOCK_DRIVER_DIR/calls.log")" = "$(printf 'list\ndelete b2')" ]
	[ ! -e "$BLOCK_DRIVER_DIR/cloud/b2" ]
	run events block.reconcile
	[[ "$output" == *'"object":"b2"'*"left half-made (6 of 15 nodes) by a provider that stopped while creating it: deleted"* ]]
	[ "$(field "$(ca target b2)" 'j["target"]')" = 0 ]
	# b1 kept its nodes through the restart
	[ "$(field "$(ca target b1)" 'j["target"]')" = 15 ]
	[ "$(field "$(ca nodes b1)" 'len(j["instances"])')" = 15 ]
	[ "$(field "$(ca for-node cocoon-test://b1/b1-node-1)" 'j["id"]')" = b1 ]
	# a second provider on the same state directory is refused
	run "$COCOON" scale provider serve --listen 127.0.0.1:0 --cert "$CERTS/server.crt" --key "$CERTS/server.key" \
		--client-ca "$CERTS/ca.crt" --driver "exec:$DRIVER" --state "$TMP/state" --blocks b1,b2,b3
	[ "$status" -eq 1 ]
	[[ "$output" == *"state directory \`$TMP/state\` is in use by another provider"* ]]
}

@test "--max-blocks caps the blocks holding nodes at once" {
	start_provider --max-blocks 1
	ca increase b1 15 >/dev/null
	run ca increase b2 15
	[[ "$output" == *'"error": "RESOURCE_EXHAUSTED"'*"1 blocks already hold nodes, the most allowed (--max-blocks 1)"* ]]
	[ "$(grep -c "^create" "$BLOCK_DRIVER_DIR/calls.log")" = 1 ]
}

@test "a step whose audit event cannot be written is not taken" {
	[ -w /dev/full ] || skip "no /dev/full"
	EVENT_LOG=/dev/full start_provider
	run ca increase b1 15
	[ "$status" -eq 1 ]
	[[ "$output" == *'"error": "UNAVAILABLE"'*"could not be written to the audit stream"* ]]
	[ "$(grep -c "^create" "$BLOCK_DRIVER_DIR/calls.log")" = 0 ]
	[ "$(field "$(ca target b1)" 'j["target"]')" = 0 ]
}

@test "bad flags and arguments give clear errors and exit 2" {
	base=(--listen 127.0.0.1:0 --cert "$CERTS/server.crt" --key "$CERTS/server.key" --state "$TMP/state")
	run "$COCOON" scale provider serve "${base[@]}" --driver "exec:$DRIVER"
	[ "$status" -eq 2 ]
	[[ "$output" == *"serve needs --client-ca FILE"* ]]
	run "$COCOON" scale provider serve "${base[@]}" --client-ca "$CERTS/ca.crt" --driver "exec:$DRIVER" \
		--nodes-per-block 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"--nodes-per-block \`0\` must be a number from 1 to 1000"* ]]
	run "$COCOON" scale provider serve "${base[@]}" --client-ca "$CERTS/ca.crt" --driver "exec:$DRIVER" \
		--blocks 'b1,B_2'
	[ "$status" -eq 2 ]
	[[ "$output" == *"block id \`B_2\` is not a DNS label"* ]]
	run "$COCOON" scale provider serve "${base[@]}" --client-ca "$CERTS/ca.crt" --driver "exec:$DRIVER" \
		--blocks b1,b2 --max-blocks 3
	[ "$status" -eq 2 ]
	[[ "$output" == *"--max-blocks 3 is more than the 2 blocks"* ]]
	run "$COCOON" scale provider serve "${base[@]}" --client-ca "$CERTS/ca.crt" --driver "exec:$DRIVER" \
		--driver-timeout soon
	[ "$status" -eq 2 ]
	[[ "$output" == *"--driver-timeout \`soon\` must be a number"* ]]
	run "$COCOON" scale provider bogus
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command \`bogus\`"* ]]
	run "$COCOON" scale provider --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: cocoon scale provider serve"* ]]
	# wrong drivers are refused before anything is served (exit 1: the operation failed)
	run "$COCOON" scale provider serve "${base[@]}" --client-ca "$CERTS/ca.crt" --driver "cloud:x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"driver \`cloud\` is unknown: the drivers are exec:SCRIPT"* ]]
	run "$COCOON" scale provider serve "${base[@]}" --client-ca "$CERTS/ca.crt" --driver "exec:blocks.sh"
	[ "$status" -eq 1 ]
	[[ "$output" == *"driver script \`blocks.sh\` must be an absolute path"* ]]
}
