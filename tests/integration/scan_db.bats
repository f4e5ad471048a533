#!/usr/bin/env bats
# cocoon scan db: the feeds of tests/fixtures/vulndb imported through the command line, the status
# as a table and as JSON, the stale warning, and the errors a user meets (a missing file, the wrong
# format, a malformed feed, a --db that is not the database), each with its exit code.

load helpers/common

bats_require_minimum_version 1.5.0

FIXTURES="$COCOON_ROOT/tests/fixtures/vulndb"

setup() {
	TMP="$(mktemp -d)"
	DB="$TMP/lib/vulndb.sqlite" # its directory does not exist yet: import creates it
}

teardown() {
	rm -rf "$TMP"
}

# py EXPR: reads JSON on stdin as d and asserts EXPR.
py() {
	"$SYSTEM_PYTHON" -c "import json, sys; d = json.load(sys.stdin); assert $1, d"
}

# db_state: the database's status without its age, which moves on with the clock between two calls.
db_state() {
	"$COCOON" scan db status --db "$DB" --json |
		"$SYSTEM_PYTHON" -c 'import json, sys; d = json.load(sys.stdin); d.pop("age_seconds"); print(json.dumps(d, sort_keys=True))'
}

import_all() {
	"$COCOON" scan db import --format debian-tracker --db "$DB" "$FIXTURES/debian-tracker/debian.json" >/dev/null
	"$COCOON" scan db import --format alpine-secdb --db "$DB" "$FIXTURES/alpine-secdb/v3.10/main.yaml" \
		"$FIXTURES/alpine-secdb/v3.11/main.yaml" >/dev/null
	"$COCOON" scan db import --format osv --db "$DB" "$FIXTURES/osv" >/dev/null
}

@test "import prints what each file held" {
	run "$COCOON" scan db import --format debian-tracker --db "$DB" "$FIXTURES/debian-tracker/debian.json"
	[ "$status" -eq 0 ]
	[ "$output" = "$FIXTURES/debian-tracker/debian.json (debian-tracker): 7 vulnerabilities, 21 advisories, 4 skipped" ]
	# Two branches whose files are both main.yaml: two sources, not one replacing the other.
	run "$COCOON" scan db import --format alpine-secdb --db "$DB" "$FIXTURES/alpine-secdb/v3.10/main.yaml" \
		"$FIXTURES/alpine-secdb/v3.11/main.yaml"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"v3.10/main.yaml (alpine-secdb): 1201 vulnerabilities, 1269 advisories, 0 skipped" ]]
	[[ "${lines[1]}" == *"v3.11/main.yaml (alpine-secdb): 1221 vulnerabilities, 1297 advisories, 0 skipped" ]]
	run "$COCOON" scan db import --format osv --db "$DB" --json "$FIXTURES/osv"
	[ "$status" -eq 0 ]
	echo "$output" | py 'd["database"] == "'"$DB"'"'
	echo "$output" | py 'd["files"] == [{"file": "'"$FIXTURES/osv"'", "format": "osv", "vulnerabilities": 4, "advisories": 9, "skipped": 4}]'
}

@test "status lists the sources and the advisories per release, as a table and as JSON" {
	import_all
	run --separate-stderr "$COCOON" scan db status --db "$DB"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ] # just imported: not stale
	[[ "${lines[0]}" == "Database:       $DB" ]]
	[[ "$output" == *"FORMAT "*" FILE "*" SCOPE "*" IMPORTED "* ]]
	[[ "$output" =~ alpine-secdb\ +main\.yaml\ +v3\.10/main\ +[0-9T:Z-]+\ +1201\ +1269\ +0\ +[0-9a-f]{12} ]]
	[[ "$output" =~ debian-tracker\ +debian\.json\ +-\ +[0-9T:Z-]+\ +7\ +21\ +4 ]]
	[[ "$output" =~ osv\ +osv\ +Alpine,Debian,Ubuntu ]]
	[[ "$output" =~ debian\ +10\ +4 ]]
	[[ "$output" =~ ubuntu\ +22\.04\ +1 ]]

	run --separate-stderr "$COCOON" scan db status --db "$DB" --json
	[ "$status" -eq 0 ]
	echo "$output" | py 'len(d["sources"]) == 4 and d["stale"] is False and d["max_age_days"] == 7'
	echo "$output" | py 'd["newest_import"] == max(s["imported"] for s in d["sources"])'
	echo "$output" | py '{(x["distro"], x["release"]): x["advisories"] for x in d["distributions"]}[("alpine", "3.10")] == 1269'
	echo "$output" | py 'all(len(s["sha256"]) == 64 for s in d["sources"])'
	# The sha256 of a file is the file's.
	sum="$(sha256sum "$FIXTURES/debian-tracker/debian.json" | cut -d' ' -f1)"
	echo "$output" | py '[s["sha256"] for s in d["sources"] if s["format"] == "debian-tracker"] == ["'"$sum"'"]'
}

@test "status warns when the newest import is older than --max-age, and still exits 0" {
	"$COCOON" scan db import --format debian-tracker --db "$DB" "$FIXTURES/debian-tracker/debian.json" >/dev/null
	run --separate-stderr "$COCOON" scan db status --db "$DB" --max-age 0
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"warning: the newest import is 0 minutes old (--max-age 0 days)"* ]]
	[[ "$output" == *"debian-tracker"* ]]
	run --separate-stderr "$COCOON" scan db status --db "$DB" --max-age 0 --json
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"warning: the newest import"* ]]
	echo "$output" | py 'd["stale"] is True and d["max_age_days"] == 0 and d["age_seconds"] >= 0'
	# The default of 7 days: fresh.
	run --separate-stderr "$COCOON" scan db status --db "$DB" --json
	echo "$output" | py 'd["stale"] is False'
	[ -z "$stderr" ]
}

@test "a database that holds no feed is stale; the path comes from COCOON_SCAN_DB" {
	# An import whose only file is missing creates the database and writes nothing into it.
	run "$COCOON" scan db import --format osv --db "$DB" "$TMP/nope.json"
	[ "$status" -eq 1 ]
	[ -f "$DB" ]
	export COCOON_SCAN_DB="$DB"
	run --separate-stderr "$COCOON" scan db status --json
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"warning: \`$DB\` holds no feed"* ]]
	echo "$output" | py 'd["stale"] is True and d["newest_import"] is None and d["age_seconds"] is None'
	echo "$output" | py 'd["sources"] == [] and d["distributions"] == [] and d["database"] == "'"$DB"'"'
	# A file that names nothing for a distribution is still an import: no longer stale.
	"$COCOON" scan db import --format osv "$FIXTURES/osv/GHSA-2222-3333-4444.json" >/dev/null
	run --separate-stderr "$COCOON" scan db status --json
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	echo "$output" | py 'd["stale"] is False and len(d["sources"]) == 1 and d["sources"][0]["skipped"] == 1'
}

@test "re-importing a file replaces its rows; a malformed version of it changes nothing" {
	cp "$FIXTURES/debian-tracker/debian.json" "$TMP/debian.json"
	"$COCOON" scan db import --format debian-tracker --db "$DB" "$TMP/debian.json" >/dev/null
	before="$(db_state)"
	cat >"$TMP/debian.json" <<-'JSON'
	{"sope": {"CVE-2025-53603": {"releases": {"bookworm": {"status": "fixed", "fixed_version": "5.8.0-1+deb12u1"}}}}}
	JSON
	run "$COCOON" scan db import --format debian-tracker --db "$DB" "$TMP/debian.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"debian-tracker feed \`$TMP/debian.json\`: package \`sope\`, CVE-2025-53603: release \`bookworm\`: status \`fixed\` is none of the tracker's"* ]]
	after="$(db_state)"
	[ "$before" = "$after" ]

	echo '{"sope": {"CVE-2025-53603": {"releases": {"bookworm": {"status": "open"}}}}}' >"$TMP/debian.json"
	run "$COCOON" scan db import --format debian-tracker --db "$DB" "$TMP/debian.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 vulnerability, 1 advisory, 0 skipped" ]]
	run "$COCOON" scan db status --db "$DB" --json
	echo "$output" | py 'len(d["sources"]) == 1 and d["distributions"] == [{"distro": "debian", "release": "12", "advisories": 1}]'
}

@test "errors name the problem: missing file, wrong format, not the database" {
	run "$COCOON" scan db import --format debian-tracker --db "$DB" "$TMP/nope.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"debian-tracker feed \`$TMP/nope.json\`: No such file or directory"* ]]

	# The Debian tracker's JSON given as Alpine's, and Alpine's YAML as the tracker's.
	run "$COCOON" scan db import --format alpine-secdb --db "$DB" "$FIXTURES/debian-tracker/debian.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not an Alpine secdb: required field \`distroversion\` is missing"* ]]
	run "$COCOON" scan db import --format debian-tracker --db "$DB" "$FIXTURES/alpine-secdb/v3.10/main.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"main.yaml\`: not the tracker's JSON: expected an object of source packages"* ]]
	run "$COCOON" scan db import --format debian-tracker --db "$DB" "$FIXTURES/osv"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is a directory; only osv reads a directory of records"* ]]

	# One file fails, the others are imported; exit 1.
	run "$COCOON" scan db import --format osv --db "$DB" "$TMP/nope.json" "$FIXTURES/osv/DSA-9999-1.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"DSA-9999-1.json (osv): 1 vulnerability, 3 advisories, 0 skipped"* ]]

	run "$COCOON" scan db status --db "$TMP/missing.sqlite"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no vulnerability database at \`$TMP/missing.sqlite\`: import a feed first"* ]]
	[ ! -e "$TMP/missing.sqlite" ]
	run "$COCOON" scan db status --db "$FIXTURES/debian-tracker/debian.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not a vulnerability database (not an SQLite file)"* ]]
}

@test "usage errors exit 2; --help exits 0" {
	run "$COCOON" scan db import --db "$DB" "$FIXTURES/osv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"give the feeds' --format"* ]]
	run "$COCOON" scan db import --format nvd --db "$DB" "$FIXTURES/osv"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown --format \`nvd\`"* ]]
	run "$COCOON" scan db import --format osv --db "$DB"
	[ "$status" -eq 2 ]
	run "$COCOON" scan db status --db "$DB" --max-age -1
	[ "$status" -eq 2 ]
	[[ "$output" == *"--max-age wants whole days"* ]]
	run "$COCOON" scan db frobnicate
	[ "$status" -eq 2 ]
	run "$COCOON" scan db
	[ "$status" -eq 2 ]
	[ ! -e "$DB" ]
	for command in "" import status; do
		run "$COCOON" scan db $command --help
		[ "$status" -eq 0 ]
		[[ "$output" == Usage:* ]]
	done
}
