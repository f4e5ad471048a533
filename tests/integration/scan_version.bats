#!/usr/bin/env bats
# cocoon version-compare: every case of tests/fixtures/versions/*-versions.txt through the command
# line, one process per case and all cases through `-`; the `!` answers of `-` mode; usage errors.

load helpers/common

bats_require_minimum_version 1.5.0

FIXTURES="$COCOON_ROOT/tests/fixtures/versions"

setup() {
	TMP="$(mktemp -d)"
}

teardown() {
	rm -rf "$TMP"
}

# The `A op B` lines of a fixture, without comments and blank lines.
cases() {
	grep -v '^#' "$FIXTURES/$1-versions.txt" | grep -v '^[[:space:]]*$'
}

@test "version-compare answers every fixture case, one process per case" {
	for scheme in dpkg rpm apk; do
		count=0
		while read -r a op b; do
			run "$COCOON" version-compare "$scheme" "$a" "$b"
			if [ "$status" -ne 0 ] || [ "$output" != "$op" ]; then
				echo "$scheme: $a $op $b: got status $status, output '$output'" >&2
				return 1
			fi
			count=$((count + 1))
		done < <(cases "$scheme")
		echo "$scheme: $count cases" >&3
		[ "$count" -gt 20 ]
	done
}

@test "version-compare - answers every fixture case in order, each line once" {
	for scheme in dpkg rpm apk; do
		cases "$scheme" | awk '{print $1, $3}' >"$TMP/pairs"
		cases "$scheme" | awk '{print $2}' >"$TMP/want"
		run --separate-stderr "$COCOON" version-compare "$scheme" - <"$TMP/pairs"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		printf '%s\n' "$output" >"$TMP/got"
		diff -u "$TMP/want" "$TMP/got"
		# Reversed pairs give the reversed answers.
		awk '{print $2, $1}' "$TMP/pairs" | "$COCOON" version-compare "$scheme" - >"$TMP/got-reversed"
		tr '<>' '><' <"$TMP/want" | diff -u - "$TMP/got-reversed"
	done
}

@test "version-compare - answers a bad line with ! and goes on, then exits 1" {
	printf '1.0~rc1 1.0\n1.0- 1.0\n\n1.0 2.0 3.0\n2:1 1:9\n' >"$TMP/pairs"
	run --separate-stderr "$COCOON" version-compare dpkg - <"$TMP/pairs"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[0]}" = "<" ]
	[ "${lines[1]}" = "!" ]
	[ "${lines[2]}" = "!" ]
	[ "${lines[3]}" = "!" ]
	[ "${lines[4]}" = ">" ]
	[[ "$stderr" == *"line 2: dpkg version \`1.0-\` has an empty revision"* ]]
	[[ "$stderr" == *"line 3: expected two versions"* ]]
	[[ "$stderr" == *"line 4: expected two versions"* ]]
	[[ "$stderr" == *"3 of 5 lines could not be compared"* ]]
	# CRLF line ends and a last line without one are read as lines.
	printf '1.0 1.0\r\n1.0 1.1' | "$COCOON" version-compare apk - >"$TMP/got"
	printf '=\n<\n' | diff -u - "$TMP/got"
	# No input, no output.
	run "$COCOON" version-compare rpm - </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "version-compare refuses a version the scheme refuses, naming it (exit 1)" {
	run --separate-stderr "$COCOON" version-compare dpkg 1:abc:1 2
	[ "$status" -eq 0 ]
	run --separate-stderr "$COCOON" version-compare dpkg a:1 2
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$stderr" == *"dpkg version \`a:1\`"*epoch* ]]
	run "$COCOON" version-compare rpm "" 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"empty"* ]]
	# Control bytes in a refused version are not echoed to the terminal.
	run "$COCOON" version-compare dpkg "$(printf 'x:\033[2J')" 1
	[ "$status" -eq 1 ]
	[[ "$output" != *$'\033'* ]]
}

@test "version-compare takes versions that start with - as versions, and deb for dpkg" {
	run "$COCOON" version-compare rpm -1 -2
	[ "$status" -eq 0 ]
	[ "$output" = "<" ]
	run "$COCOON" version-compare deb 1:1.0 2.0
	[ "$status" -eq 0 ]
	[ "$output" = ">" ]
}

@test "version-compare usage errors exit 2, --help exits 0" {
	run "$COCOON" version-compare --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Usage: cocoon version-compare"* ]]
	[[ "$output" == *"!"* ]]
	run "$COCOON" version-compare
	[ "$status" -eq 2 ]
	run "$COCOON" version-compare dpkg 1.0
	[ "$status" -eq 2 ]
	run "$COCOON" version-compare dpkg 1.0 2.0 3.0
	[ "$status" -eq 2 ]
	run "$COCOON" version-compare pacman 1 2
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown version scheme \`pacman\`"* ]]
	run "$COCOON" version-compare --frobnicate dpkg 1 2
	[ "$status" -eq 2 ]
}

@test "version-compare reports a full disk (exit 1)" {
	[ -w /dev/full ] || skip "no /dev/full"
	run bash -c '"$0" version-compare dpkg 1 2 >/dev/full' "$COCOON"
	[ "$status" -eq 1 ]
	[[ "$output" == *"write standard output"* ]]
}

# random_pairs SEED COUNT ALPHABET: COUNT pairs of random versions, `A B` a line, reproducible. Half
# of the B share a prefix with their A, so the comparisons reach past the first character.
random_pairs() {
	"$SYSTEM_PYTHON" - "$@" <<-'PY'
	import random, sys
	rng = random.Random(int(sys.argv[1]))
	alphabet = sys.argv[3]
	def version():
	    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
	count = 0
	while count < int(sys.argv[2]):
	    a = version()
	    b = version() if rng.random() < 0.5 else a[: rng.randint(0, len(a))] + version()[:3]
	    if a.startswith("-") or b.startswith("-"):
	        continue  # dpkg would take it for an option
	    print(a, b)
	    count += 1
	PY
}

@test "version-compare dpkg agrees with dpkg --compare-versions on random versions, refusals included" {
	command -v dpkg >/dev/null || skip "dpkg is not installed"
	random_pairs 11 400 '000111222333444555666777888999abAZ~.-:+_' >"$TMP/pairs"
	# Equal pairs are rare at random.
	printf '1.0 1.0-0\n01:2.0 1:2.00\n0:1~a 1~a-0\n' >>"$TMP/pairs"
	"$COCOON" version-compare dpkg - <"$TMP/pairs" >"$TMP/got" 2>/dev/null || true
	while read -r a b; do
		if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then
			echo "<"
		elif [ $? -eq 2 ]; then
			echo "!"
		elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then
			echo "="
		else
			echo ">"
		fi
	done <"$TMP/pairs" >"$TMP/want"
	paste -d ' ' "$TMP/pairs" "$TMP/want" >"$TMP/want-with-pairs"
	paste -d ' ' "$TMP/pairs" "$TMP/got" | diff -u "$TMP/want-with-pairs" -
	# Some of the pairs are refused, and some of each answer occur, or the test proves little.
	for answer in "<" "=" ">" "!"; do
		grep -qxF "$answer" "$TMP/want"
	done
}

@test "version-compare rpm agrees with rpm's own rpm.vercmp() on random versions" {
	command -v rpm >/dev/null || skip "rpm is not installed (Debian package rpm)"
	random_pairs 7 3000 '000111222333444555666777888999abAZ~^.-:_+' >"$TMP/pairs"
	"$COCOON" version-compare rpm - <"$TMP/pairs" >"$TMP/got"
	# One rpm run per 500 pairs: rpm.vercmp() in rpm's Lua parses [epoch:]version[-release] as rpm does.
	split -l 500 "$TMP/pairs" "$TMP/chunk."
	for chunk in "$TMP"/chunk.*; do
		rpm --eval "%{lua: $(awk '{printf "print(rpm.vercmp([==[%s]==], [==[%s]==]) .. \"\\n\")\n", $1, $2}' "$chunk")}"
	done | sed -e 's/^-1$/</' -e 's/^0$/=/' -e 's/^1$/>/' | grep -v '^$' >"$TMP/want"
	paste -d ' ' "$TMP/pairs" "$TMP/want" >"$TMP/want-with-pairs"
	paste -d ' ' "$TMP/pairs" "$TMP/got" | diff -u "$TMP/want-with-pairs" -
	for answer in "<" "=" ">"; do
		grep -qxF "$answer" "$TMP/want"
	done
}
