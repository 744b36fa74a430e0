#!/usr/bin/env bash
# Runs every Go fuzz target of the module (each `func Fuzz…` in a
# *_test.go file) for a bounded time, one after the other:
#   FUZZTIME           time per target (default 10s; any -fuzztime value)
#   FUZZMINIMIZETIME   time to minimise an input (default 1s)
# Go minimises every new interesting input, not only failing ones, and
# fuzzing stalls meanwhile (golang/go#48820): with 10s a 10s run often
# spent most of its time at "0/sec". 1s keeps the time for fuzzing; a
# failing input is still saved, minimised as far as 1s allows. (A count
# such as 100x is worse: the run then fails with "context deadline
# exceeded" when the fuzz time ends during a minimisation.)
# A failing input is saved under <package>/testdata/fuzz/<target>/, where
# plain `go test` replays it from then on. Exits non-zero if any target
# failed, after running all of them.
#
# Go 1.26's fuzz coordinator can fail a target that found nothing: when
# -fuzztime ends, the parent context is done a moment before the workers'
# child context, and stop() reports that moment as the error "context
# deadline exceeded" (golang/go#75804; Go 1.26.8's internal/fuzz still
# compares only against the child's error).
# A finding always wins over that error and always writes its input, so a
# run whose only failure text is that line, with no input written, found
# nothing; it is reported as the race and not counted as a failure.
# `scripts/fuzz.sh --selftest` checks that classification on sample outputs
# (it also runs before every fuzz run).
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-10s}"
FUZZMINIMIZETIME="${FUZZMINIMIZETIME:-1s}"

log() { printf '==> %s\n' "$*" >&2; }

# is_deadline_race NAME LOGFILE: true when LOGFILE is `go test -fuzz` output
# whose only failure is go#75804's bare "context deadline exceeded" for
# target NAME: one "--- FAIL: NAME" whose body is exactly that line (Go
# prints it without a file:line prefix, unlike a t.Fatal in the target),
# and no failing input, panic, hung worker or other failing test anywhere.
is_deadline_race() {
	awk -v name="$1" '
		/Failing input written to|^panic:|fuzzing process hung or terminated/ { other = 1 }
		/^--- FAIL: / {
			fails++
			if ($3 != name) other = 1
			inside = 1
			next
		}
		inside && /^FAIL$/ { inside = 0; next }
		inside && /^    / {
			if ($0 == "    context deadline exceeded") race++
			else other = 1
			next
		}
		inside { inside = 0 }
		END { exit !(fails == 1 && race == 1 && !other) }
	' "$2"
}

selftest() {
	local dir ok=0
	dir=$(mktemp -d)
	# name, expected (race|finding), output
	check() {
		printf '%s\n' "$3" >"$dir/out"
		local got=finding
		is_deadline_race "$1" "$dir/out" && got=race
		if [ "$got" != "$2" ]; then
			log "selftest: expected $2, classified $got:"
			cat "$dir/out" >&2
			ok=1
		fi
	}
	check FuzzX race 'fuzz: elapsed: 10s, execs: 82353 (10017/sec), new interesting: 3 (total: 301)
--- FAIL: FuzzX (10.08s)
    context deadline exceeded
FAIL
exit status 1
FAIL	example.com/p	10.084s'
	check FuzzX finding 'fuzz: elapsed: 4s, execs: 1 (0/sec)
--- FAIL: FuzzX (4.02s)
    --- FAIL: FuzzX (0.00s)
        x_test.go:12: authenticated without a valid token

    Failing input written to testdata/fuzz/FuzzX/582528ddfad69eb5
    To re-run:
    go test -run=FuzzX/582528ddfad69eb5
FAIL
exit status 1
FAIL	example.com/p	4.03s'
	check FuzzX finding '--- FAIL: FuzzX (10.01s)
    x_test.go:30: context deadline exceeded
FAIL'
	check FuzzX finding '--- FAIL: FuzzX (10.01s)
    context deadline exceeded
    fuzzing process hung or terminated unexpectedly: exit status 2
FAIL'
	check FuzzX finding '--- FAIL: TestSeed (0.00s)
    x_test.go:9: boom
--- FAIL: FuzzX (10.01s)
    context deadline exceeded
FAIL'
	check FuzzX finding 'panic: runtime error: index out of range [recovered]
--- FAIL: FuzzX (10.01s)
    context deadline exceeded
FAIL'
	check FuzzX finding 'FAIL	example.com/p [build failed]'
	check FuzzX finding '--- FAIL: FuzzX (10.01s)
FAIL'
	check FuzzX finding '--- FAIL: FuzzY (10.01s)
    context deadline exceeded
FAIL'
	check FuzzX finding '--- FAIL: FuzzX (0.00s)
FAIL
--- FAIL: FuzzX (10.01s)
    context deadline exceeded
FAIL'
	rm -rf "$dir"
	return $ok
}

if ! selftest; then
	log "selftest of the failure classification failed"
	exit 1
fi
if [ "${1:-}" = "--selftest" ]; then
	log "selftest passed"
	exit 0
fi

# Only the packages that declare fuzz targets are listed: `go test -list`
# runs each test binary, and the e2e packages' TestMain builds the
# binaries before it lists anything.
mapfile -t pkgs < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Z0-9_]' . | xargs -r -n1 dirname | sort -u)
if [ ${#pkgs[@]} -eq 0 ]; then
	log "no fuzz targets found"
	exit 1
fi

# `go test -list` prints each package's matching names, then "ok <pkg>".
listing=$(go test -list '^Fuzz' "${pkgs[@]}")
targets=()
names=()
while IFS= read -r line; do
	case "$line" in
	Fuzz*) names+=("$line") ;;
	ok*)
		pkg=$(awk '{print $2}' <<<"$line")
		for n in "${names[@]}"; do targets+=("$pkg $n"); done
		names=()
		;;
	esac
done <<<"$listing"

log "${#targets[@]} fuzz targets, ${FUZZTIME} each"
failed=()
raced=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
all_start=$SECONDS
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	log "$name ($pkg)"
	start=$SECONDS
	out="$tmp/$name.log"
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" 2>&1 | tee "$out"; then
		if is_deadline_race "$name" "$out"; then
			log "$name: \"context deadline exceeded\" at the -fuzztime boundary with no failing input:"
			log "  the Go fuzz coordinator's shutdown race (golang/go#75804), not a finding"
			raced+=("$name")
		else
			failed+=("$name ($pkg)")
		fi
	fi
	log "$name: $((SECONDS - start))s"
done
log "${#targets[@]} fuzz targets in $((SECONDS - all_start))s"
if [ ${#raced[@]} -gt 0 ]; then
	log "ended by the go#75804 race, no finding: ${raced[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
	log "FAILED: ${failed[*]}"
	log "the failing inputs are in <package>/testdata/fuzz/<target>/"
	exit 1
fi
