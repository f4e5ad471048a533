#!/usr/bin/env bash
# Scale benchmark (issue 16): the planner's decision time on 5,000 nodes (334 blocks of 15) and
# 150,000 pods, read-and-parse reported apart (goal: decide < 100 ms on 2 cores), in two shapes:
# a busy cluster where about 16,000 pods are pending (scale-up) and a quiet one at 25% (every block judged
# for scale-down); then the simulator's speed in trace events a second on a generated day and week.
# Usage: bench/scale/run.sh [RUNS]   COCOON_BUILD picks the build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-5}"
COCOON="$(realpath "$root/${COCOON_BUILD:-build}/cocoon")"
work="$(mktemp -d /tmp/cocoon-bench-scale.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# make_state FILE PENDING RUNNING_CPU: 5,000 nodes, 150,000 pods (PENDING of them pending) with
# sizes drawn from a fixed seed, a few taints, labels and PDBs.
make_state() {
	/usr/bin/python3 - "$@" <<-'PY'
	import json, random, sys
	path, pending, busy = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
	rnd = random.Random(16)
	nodes = []
	for i in range(5000):
	    n = {"name": f"n{i:05}", "block": f"b{i // 15:03}", "allocatable": {"cpu": "3800m", "memory": "7Gi"},
	         "labels": {"zone": "abc"[i % 3]}}
	    if i % 50 == 0:
	        n["taints"] = [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]
	    nodes.append(n)
	pods, free = [], [[3800, 7 * 1024] for _ in nodes]
	for i in range(150000 - pending):
	    cpu = int(rnd.choice([50, 100, 100, 150]) * busy)
	    mem = cpu * 2
	    node = i % 5000
	    if free[node][0] < cpu or free[node][1] < mem or i % 50 == 0 and node % 50 == 0:
	        continue
	    free[node][0] -= cpu
	    free[node][1] -= mem
	    pods.append({"namespace": f"ns{i % 40}", "name": f"p{i}", "nodeName": nodes[node]["name"],
	                 "requests": {"cpu": f"{cpu}m", "memory": f"{mem}Mi"}, "labels": {"app": f"a{i % 200}"},
	                 "owner": {"kind": "ReplicaSet", "name": f"a{i % 200}"}})
	for i in range(150000 - len(pods)):
	    pods.append({"namespace": "batch", "name": f"pending{i}", "requests": {"cpu": "1", "memory": "1Gi"},
	                 "owner": {"kind": "Job", "name": "j"}})
	pdbs = [{"namespace": f"ns{k}", "name": f"pdb{k}", "selector": {"matchLabels": {"app": f"a{k}"}},
	         "maxUnavailable": 1} for k in range(40)]
	json.dump({"now": 100000, "max_blocks": 600, "nodes": nodes, "pods": pods, "pdbs": pdbs,
	           "blocks": [{"id": f"b{b:03}", "underutilized_since": 90000} for b in range(334)]}, open(path, "w"))
	PY
}

make_state "$work/busy.json" 3000 2.2
make_state "$work/quiet.json" 0 0.5
for shape in busy quiet; do
	echo "== $shape: $(du -h "$work/$shape.json" | cut -f1) of JSON"
	for _ in $(seq 1 "$runs"); do
		"$COCOON" scale plan --timing --format json "$work/$shape.json" 2>&1 >"$work/$shape.out" | sed 's/^/  /'
	done
	/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print("  decision:", d["decision"], "-", d["reason"][:150])' "$work/$shape.out"
done

echo "== simulator"
# simulate NAME SECONDS: the simulator's speed on a generated trace of that length (a creation and,
# almost always, a deletion per pod, replayed by four runs: the three policies and the peak finder).
simulate() {
	"$COCOON" scale trace generate --seed 1 --duration "$2" --peak-pods 3000 -o "$work/$1.csv"
	pods=$(($(wc -l <"$work/$1.csv") - 1))
	start=$(date +%s.%N)
	"$COCOON" scale simulate --trace "$work/$1.csv" --format json >"$work/sim.json"
	end=$(date +%s.%N)
	/usr/bin/python3 - "$1" "$pods" "$start" "$end" "$work/sim.json" <<-'PY'
	import json, sys
	name, pods, start, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
	d = json.load(open(sys.argv[5]))
	events = 2 * pods
	secs = end - start
	print(f"  {pods} pods over a {name}, {secs:.2f} s for the four runs: {4 * events / secs:,.0f} trace events/s")
	for policy, r in d["policies"].items():
	    print(f"  {policy:13} node-hours {r['node_hours']:9.0f}  p95 pending {r['pending_p95_s']:6.0f} s  "
	          f"utilization {r['utilization_mean']:.2f}  ups {r['scale_ups']:4}  downs {r['scale_downs']:4}  "
	          f"flaps {r['flaps']}  max nodes {r['max_nodes']}")
	PY
}
simulate day 86400
simulate week 604800
