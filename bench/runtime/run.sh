#!/usr/bin/env bash
# Side-by-side runtime benchmark: `run` of a /bin/true container and create+start+delete, for
# cocoon-runtime, runc and crun, in one hyperfine run each (ratios matter, not absolute times).
# Needs root. Usage: bench/runtime/run.sh [RUNS]   (installs hyperfine, runc, crun if missing)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-50}"
for pkg in hyperfine runc crun busybox-static; do
	dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -q installed ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
done
COCOON_RUNTIME="$root/build/cocoon-runtime"
SYSTEM_PYTHON=/usr/bin/python3
source "$root/tests/integration/helpers/runtime.bash"

work="$(mktemp -d /tmp/cocoon-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
make_bundle "$work/bundle" 'c["process"]["args"] = ["/bin/true"]' \
	'c["ociVersion"] = "1.0.2"' # crun 1.8 refuses newer versions
cd "$work/bundle"

runtimes=(cocoon "$COCOON_RUNTIME" runc runc crun crun)
commands_run=()
commands_cycle=()
for ((i = 0; i < ${#runtimes[@]}; i += 2)); do
	name="${runtimes[i]}" bin="${runtimes[i + 1]}"
	state="$work/state-$name"
	if ! "$bin" --root "$state" run "probe-$name" >"$work/$name.probe" 2>&1; then
		echo "$name cannot run here: $(tail -1 "$work/$name.probe")"
		continue
	fi
	commands_run+=(-n "$name" "$bin --root $state run b-$name")
	commands_cycle+=(-n "$name" "sh -c '$bin --root $state create c-$name && $bin --root $state start c-$name && $bin --root $state delete --force c-$name'")
done
echo "== run of a /bin/true container"
hyperfine -N --warmup 5 --runs "$runs" "${commands_run[@]}"
echo "== create + start + delete"
hyperfine --warmup 5 --runs "$runs" "${commands_cycle[@]}"
