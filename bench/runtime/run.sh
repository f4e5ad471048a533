#!/usr/bin/env bash
# Side-by-side runtime benchmark: `run` of a /bin/true container (back to back, and spaced out as on
# a node), create+start+delete and exec, for cocoon-runtime, runc and crun, in one hyperfine run each
# (ratios matter, not absolute times), then where cocoon-runtime's time goes
# (COCOON_RUNTIME_PROFILE's phases, median over the runs).
# crun refuses the hybrid cgroup layout, so the whole benchmark runs in a private mount namespace
# with the cgroup2 mount at /sys/fs/cgroup/unified removed (the host's mounts are untouched).
# Needs root. Usage: bench/runtime/run.sh [RUNS]   (installs hyperfine, runc, crun if missing)
# COCOON_BUILD picks the build directory (default: build).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-50}"
if [ -z "${COCOON_BENCH_PRIVATE_MOUNTS:-}" ]; then
	for pkg in hyperfine runc crun busybox-static golang-github-containers-common; do
		dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -q installed ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
	done
	exec env COCOON_BENCH_PRIVATE_MOUNTS=1 unshare -m --propagation private "$0" "$@"
fi
if mountpoint -q /sys/fs/cgroup/unified; then
	umount /sys/fs/cgroup/unified
fi
COCOON_RUNTIME="$root/${COCOON_BUILD:-build}/cocoon-runtime"
COCOON_RUNTIME="$(realpath "$COCOON_RUNTIME")"
SYSTEM_PYTHON=/usr/bin/python3
source "$root/tests/integration/helpers/runtime.bash"

work="$(mktemp -d /tmp/cocoon-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
make_bundle "$work/bundle" 'c["process"]["args"] = ["/bin/true"]' \
	'c["ociVersion"] = "1.0.2"' # crun 1.8 refuses newer versions
# The same container under podman's default seccomp profile (containers-common's seccomp.json, in
# the OCI form podman hands a runtime): libseccomp's compilation is most of a launch there.
make_bundle "$work/seccomp" 'c["process"]["args"] = ["/bin/true"]' 'c["ociVersion"] = "1.0.2"'
"$SYSTEM_PYTHON" - "$work/seccomp/config.json" /usr/share/containers/seccomp.json <<-'PY'
import json, sys
c = json.load(open(sys.argv[1]))
profile = json.load(open(sys.argv[2]))
caps = set(c["process"]["capabilities"]["bounding"])
rules = []
for s in profile["syscalls"]:
    inc, exc = s.get("includes", {}), s.get("excludes", {})
    if inc.get("caps") and not set(inc["caps"]) <= caps or exc.get("caps") and set(exc["caps"]) & caps:
        continue
    if inc.get("arches") and "amd64" not in inc["arches"]:
        continue
    rule = {"names": s["names"], "action": s["action"]}
    for key in ("args", "errnoRet"):
        if s.get(key) is not None:
            rule[key] = s[key]
    rules.append(rule)
c["linux"]["seccomp"] = {"defaultAction": profile["defaultAction"],
                         "defaultErrnoRet": profile.get("defaultErrnoRet", 1),
                         "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": rules}
json.dump(c, open(sys.argv[1], "w"))
PY
make_bundle "$work/sleeper" 'c["process"]["args"] = ["sleep", "600"]' 'c["ociVersion"] = "1.0.2"'
# An image the size of a distribution's base image: busybox and 10,000 small files in 100 directories
# (cocoon-runtime measures every one of them at every create).
make_bundle "$work/large" 'c["process"]["args"] = ["/bin/true"]' 'c["ociVersion"] = "1.0.2"'
"$SYSTEM_PYTHON" - "$work/large/rootfs/usr/share/bench" <<-'PY'
import os, sys
for d in range(100):
    os.makedirs(f"{sys.argv[1]}/d{d:03}")
    for f in range(100):
        with open(f"{sys.argv[1]}/d{d:03}/f{f:03}", "wb") as out:
            out.write(bytes((d * 7 + f * 13 + i) % 251 for i in range(64 + (d * 100 + f) % 2000)))
PY
# cocoon-runtime remembers a file's digest once its ctime is two seconds old (a change within one
# timestamp tick must never be missed): images are older than that by the time they run, these
# bundles were made just now.
sleep 3
cd "$work/bundle"
# Container state where runtimes keep it on a host: on the /run tmpfs.
state_root="$(mktemp -d /run/cocoon-bench.XXXXXX)"
trap 'rm -rf "$work" "$state_root"' EXIT

runtimes=(cocoon "$COCOON_RUNTIME" runc runc crun crun)
commands_run=()
commands_seccomp=()
commands_cycle=()
usable=()
for ((i = 0; i < ${#runtimes[@]}; i += 2)); do
	name="${runtimes[i]}" bin="${runtimes[i + 1]}"
	state="$state_root/state-$name"
	if ! "$bin" --root "$state" run "probe-$name" >"$work/$name.probe" 2>&1; then
		echo "$name cannot run here: $(tail -1 "$work/$name.probe")"
		continue
	fi
	usable+=("$name" "$bin")
	commands_run+=(-n "$name" "$bin --root $state run b-$name")
	commands_seccomp+=(-n "$name" "$bin --root $state run --bundle $work/seccomp s-$name")
	commands_cycle+=(-n "$name" "sh -c '$bin --root $state create c-$name && $bin --root $state start c-$name && $bin --root $state delete --force c-$name'")
done
# medians FILE: each runtime's median and its ratio to crun's (σ on this VM is large: medians).
medians() {
	"$SYSTEM_PYTHON" - "$1" <<-'PY'
	import json, sys
	results = {r["command"]: r["median"] * 1000 for r in json.load(open(sys.argv[1]))["results"]}
	base = results.get("crun")
	for name, ms in results.items():
	    ratio = f"  {ms / base:.2f}x crun" if base else ""
	    print(f"  median {name:>7} {ms:6.2f} ms{ratio}")
	PY
}
echo "== run of a /bin/true container"
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/run.json" "${commands_run[@]}"
medians "$work/run.json"
# Back to back, runc and crun run at their best: moving their init into its cgroups takes the kernel's
# cgroup_threadgroup_rwsem for writing, which waits for an RCU grace period (8-15 ms here) unless the
# previous writer let go of it less than a grace period ago (rcu_sync's fast path). Each of their runs
# then finds the lock as its previous run left it. A node does not create containers milliseconds
# apart, so these runs come 50 ms after one another: runc and crun wait for the grace period each
# time, as on a node; cocoon-runtime's init joins its cgroups itself and never takes that lock.
echo "== run of a /bin/true container, each run 50 ms after the previous one, as creates come on a node"
hyperfine -N --warmup 3 --runs "$runs" --prepare "sleep 0.05" --export-json "$work/spaced.json" "${commands_run[@]}"
medians "$work/spaced.json"
echo "== run of a /bin/true container whose image has 10,000 more files, runs 50 ms apart"
commands_large=()
for ((i = 0; i < ${#usable[@]}; i += 2)); do
	commands_large+=(-n "${usable[i]}" "${usable[i + 1]} --root $state_root/state-${usable[i]} run --bundle $work/large l-${usable[i]}")
done
hyperfine -N --warmup 3 --runs "$runs" --prepare "sleep 0.05" --export-json "$work/large.json" "${commands_large[@]}"
medians "$work/large.json"
echo "== run under podman's default seccomp profile (the compiled program cached after the first run)"
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/seccomp.json" "${commands_seccomp[@]}"
medians "$work/seccomp.json"
echo "== create + start + delete"
hyperfine --warmup 5 --runs "$runs" --export-json "$work/cycle.json" "${commands_cycle[@]}"
medians "$work/cycle.json"

echo "== exec of /bin/true into a running container"
commands_exec=()
for ((i = 0; i < ${#usable[@]}; i += 2)); do
	name="${usable[i]}" bin="${usable[i + 1]}"
	state="$state_root/state-$name"
	"$bin" --root "$state" run --bundle "$work/sleeper" --detach "e-$name" >/dev/null
	commands_exec+=(-n "$name" "$bin --root $state exec e-$name /bin/true")
done
hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/exec.json" "${commands_exec[@]}"
medians "$work/exec.json"
for ((i = 0; i < ${#usable[@]}; i += 2)); do
	"${usable[i + 1]}" --root "$state_root/state-${usable[i]}" delete --force "e-${usable[i]}" >/dev/null 2>&1 || true
done

# crun's `run` swings by a third from one hyperfine run to the next (its cgroup moves wait for an RCU
# grace period or not, depending on what ran just before): ten short rounds, cocoon-runtime and crun
# side by side in each, give the ratio with that swing averaged out.
if [ "${#usable[@]}" -ge 6 ]; then
	echo "== run of a /bin/true container, 10 rounds of $((runs / 2)) runs each, cocoon-runtime and crun in each round"
	for round in $(seq 1 10); do
		hyperfine -N --warmup 3 --runs "$((runs / 2))" --export-json "$work/round.json" \
			-n cocoon "$COCOON_RUNTIME --root $state_root/state-cocoon run r-cocoon" \
			-n crun "crun --root $state_root/state-crun run r-crun" >/dev/null
		"$SYSTEM_PYTHON" -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"]; print(r[0]["median"] / r[1]["median"])' \
			"$work/round.json"
	done | "$SYSTEM_PYTHON" -c '
import statistics, sys
ratios = [float(line) for line in sys.stdin]
print(f"  cocoon/crun per round: median {statistics.median(ratios):.2f}x, mean {statistics.mean(ratios):.2f}x, range {min(ratios):.2f}-{max(ratios):.2f}x")
'
fi

echo "== where cocoon-runtime's run goes (median microseconds per phase over $runs runs)"
for i in $(seq 1 "$runs"); do
	COCOON_RUNTIME_PROFILE=1 "$COCOON_RUNTIME" --root "$state_root/state-profile" run "p$i" 2>&1 >/dev/null |
		grep '^{"phases"'
done | "$SYSTEM_PYTHON" -c '
import json, statistics, sys
lines = [json.loads(line) for line in sys.stdin]
runs = [line["phases"] for line in lines]
names = list(runs[0])
for name in names:
    print(f"{name:>16} {statistics.median(r.get(name, 0) for r in runs):8.0f}")
print("{:>16} {:8.0f}".format("sum", statistics.median(sum(r.values()) for r in runs)))
# Work in another thread while the phases above went on (not in the sum).
for name in sorted({n for line in lines for n in line.get("beside", {})}):
    value = statistics.median(line.get("beside", {}).get(name, 0) for line in lines)
    print(f"{name:>16} {value:8.0f}  (beside: in a thread of its own)")
'
