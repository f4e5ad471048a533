#!/usr/bin/env bats
# cocoon scale: plan on the shipped example (text and JSON: decision, reason, drain plan, verdicts),
# a scale-up by whole blocks, bad input named precisely (exit 2), the trace generator's determinism,
# the simulator's JSON fields and SVG plot on a generated trace, and its answer on a generated week.

load helpers/common

bats_require_minimum_version 1.5.0

setup_file() {
	export WORK="$BATS_FILE_TMPDIR"
	"$COCOON" scale trace generate --seed 3 --duration 21600 --peak-pods 300 -o "$WORK/trace.csv"
}

@test "scale --help lists the subcommands" {
	run -0 "$COCOON" scale --help
	[[ "$output" == *"plan FILE"* && "$output" == *simulate* && "$output" == *"trace generate"* ]]
	run -0 "$COCOON" scale plan --help
	[[ "$output" == *"--format"* ]]
	run -0 "$COCOON" scale simulate --help
	[[ "$output" == *"--provision-delay"* ]]
	run -2 "$COCOON" scale nonsense
}

@test "plan the example: scale down the emptiest removable block, with the drain plan and reasons" {
	run -0 "$COCOON" scale plan "$COCOON_ROOT/examples/scale/cluster.json"
	[[ "$output" == *"Decision: scale down: remove block b2"* ]]
	[[ "$output" == *"shop/web-3: b2-n1 -> b1-n1"* ]]
	[[ "$output" == *"batch/huge: larger than any node"* ]]
	run -0 "$COCOON" scale plan --format json - <"$COCOON_ROOT/examples/scale/cluster.json"
	"$SYSTEM_PYTHON" - "$output" <<-'PY'
	import json, sys
	d = json.loads(sys.argv[1])
	assert d["decision"] == "scale_down" and d["remove_block"] == "b2", d
	assert d["drain"] == [{"pod": "shop/web-3", "from": "b2-n1", "to": "b1-n1"}], d["drain"]
	v = {b["block"]: b for b in d["block_verdicts"]}
	assert v["b3"]["blocker"] == "unneeded_time" and "600 s" in v["b3"]["reason"], v["b3"]
	assert d["pending"]["unschedulable"] == 1
	assert d["next_check"] == 1700004100
	PY
}

@test "plan: pending pods drive a scale-up by whole blocks, capped by max_blocks" {
	"$SYSTEM_PYTHON" - "$WORK/up.json" <<-'PY'
	import json, sys
	nodes = [{"name": f"n{i}", "block": "b1"} for i in range(15)]
	pods = [{"name": f"run{i}", "nodeName": f"n{i}", "requests": {"cpu": "4", "memory": "8Gi"},
	         "owner": {"kind": "ReplicaSet", "name": "r"}} for i in range(15)]
	pods += [{"name": f"new{i}", "requests": {"cpu": "3", "memory": "1Gi"}, "owner": {"kind": "ReplicaSet", "name": "r"}}
	         for i in range(20)]
	json.dump({"now": 1000, "max_blocks": 3, "nodes": nodes, "pods": pods}, open(sys.argv[1], "w"))
	PY
	run -0 "$COCOON" scale plan --format json "$WORK/up.json"
	"$SYSTEM_PYTHON" -c 'import json, sys; d = json.loads(sys.argv[1]); assert d["decision"] == "scale_up" and d["blocks_to_add"] == 2 and d["pending"]["needs_block"] == 20, d' "$output"
	sed -i 's/"max_blocks": 3/"max_blocks": 2/' "$WORK/up.json"
	run -0 "$COCOON" scale plan "$WORK/up.json"
	[[ "$output" == *"scale up by 1 block"* && "$output" == *"5 held by max_blocks"* ]]
}

@test "plan: bad input is named (object and field) with exit code 2" {
	echo '{"now": 1, "nodes": [{"name": "n", "block": "b"}], "pods": [{"name": "p", "nodeName": "gone"}]}' >"$WORK/bad1.json"
	run -2 "$COCOON" scale plan "$WORK/bad1.json"
	[[ "$output" == *'pod "default/p"'*'nodeName'*'"gone" is no node'* ]]
	echo '{"now": 1, "nodes": [], "pods": [{"name": "p", "requests": {"memory": "-1Gi"}}]}' >"$WORK/bad2.json"
	run -2 "$COCOON" scale plan "$WORK/bad2.json"
	[[ "$output" == *'requests.memory `-1Gi` is negative'* ]]
	echo '{"nodes": []}' >"$WORK/bad3.json"
	run -2 "$COCOON" scale plan "$WORK/bad3.json"
	[[ "$output" == *'`now`'* ]]
	echo '{"now": 1, "nodes": [], "pods": [{"name": "p"}, {"name": "p"}]}' >"$WORK/bad4.json"
	run -2 "$COCOON" scale plan "$WORK/bad4.json"
	[[ "$output" == *'"default/p" is listed twice'* ]]
	run -2 "$COCOON" scale plan --format yaml "$WORK/bad4.json"
	run -1 "$COCOON" scale plan "$WORK/missing.json"
}

@test "trace generate is deterministic for a seed" {
	"$COCOON" scale trace generate --seed 3 --duration 21600 --peak-pods 300 -o "$WORK/again.csv"
	cmp "$WORK/trace.csv" "$WORK/again.csv"
	"$COCOON" scale trace generate --seed 4 --duration 21600 --peak-pods 300 -o "$WORK/other.csv"
	! cmp -s "$WORK/trace.csv" "$WORK/other.csv" || false
	[ "$(head -1 "$WORK/trace.csv")" = "name,cpu_milli,memory_mib,creation_time,deletion_time" ]
	run -2 "$COCOON" scale trace generate --sizes huge
	[[ "$output" == *"small, mixed or large"* ]]
}

@test "simulate: JSON fields of the three policies and a valid SVG plot" {
	run -0 "$COCOON" scale simulate --trace "$WORK/trace.csv" --format json --plot "$WORK/plot.svg"
	"$SYSTEM_PYTHON" - "$output" "$WORK/plot.svg" <<-'PY'
	import json, sys, xml.etree.ElementTree as ET
	d = json.loads(sys.argv[1])
	assert set(d) == {"sku", "pods", "unschedulable", "policies"}, d.keys()
	assert d["sku"]["nodes_per_block"] == 15
	assert set(d["policies"]) == {"blocks", "node_by_node", "static_peak"}
	for name, r in d["policies"].items():
	    for k in ("node_hours", "pending_p50_s", "pending_p95_s", "pending_max_s", "utilization_mean",
	              "utilization_p5", "scale_ups", "scale_downs", "flaps", "max_nodes"):
	        assert k in r, (name, k)
	assert "block_hours" in d["policies"]["blocks"]
	b, s = d["policies"]["blocks"], d["policies"]["static_peak"]
	assert b["max_nodes"] % 15 == 0 and s["max_nodes"] % 15 == 0
	assert b["node_hours"] <= s["node_hours"] + 1e-6
	root = ET.parse(sys.argv[2]).getroot()
	assert root.tag.endswith("svg") and len(root.findall("{http://www.w3.org/2000/svg}polyline")) == 4
	PY
	run -0 "$COCOON" scale simulate --trace "$WORK/trace.csv"
	[[ "$output" == *"node_by_node"* && "$output" == *"static_peak"* ]]
}

@test "simulate: a generated week gives the answer of the simulator that planned from scratch" {
	# The figures are those the simulator gave when it rebuilt the planner's state for every
	# decision; keeping the state between decisions (docs/scale.md, "Performance") must not move them.
	"$COCOON" scale trace generate --seed 7 --duration 604800 --peak-pods 200 -o "$WORK/week.csv"
	run -0 "$COCOON" scale simulate --trace "$WORK/week.csv" --format json
	"$SYSTEM_PYTHON" - "$output" <<-'PY'
	import json, sys
	d = json.loads(sys.argv[1])
	assert d["pods"] == 26612 and d["unschedulable"] == 0, d
	want = {
	    "blocks": {"node_hours": 6913.96, "pending_p95_s": 125.0, "utilization_mean": 0.643464, "scale_ups": 44,
	               "scale_downs": 70, "flaps": 3, "max_nodes": 90, "planner_runs": 31528},
	    "node_by_node": {"node_hours": 6591.37, "utilization_p5": 0.358974, "scale_ups": 247, "scale_downs": 893,
	                     "flaps": 28, "max_nodes": 83, "planner_runs": 33089},
	    "static_peak": {"node_hours": 15119.1, "max_nodes": 90},
	}
	for policy, fields in want.items():
	    for k, v in fields.items():
	        assert d["policies"][policy][k] == v, (policy, k, d["policies"][policy][k], v)
	PY
}

@test "simulate: a trace without the needed columns is refused with the column's name" {
	printf 'name,cpu,memory_mib,creation_time\na,1,1,1\n' >"$WORK/bad.csv"
	run -2 "$COCOON" scale simulate --trace "$WORK/bad.csv"
	[[ "$output" == *"cpu_milli"* ]]
	run -2 "$COCOON" scale simulate
}
