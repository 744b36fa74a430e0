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
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZTIME="${FUZZTIME:-10s}"
FUZZMINIMIZETIME="${FUZZMINIMIZETIME:-1s}"

log() { printf '==> %s\n' "$*" >&2; }

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
all_start=$SECONDS
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	log "$name ($pkg)"
	start=$SECONDS
	if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg"; then
		failed+=("$name ($pkg)")
	fi
	log "$name: $((SECONDS - start))s"
done
log "${#targets[@]} fuzz targets in $((SECONDS - all_start))s"
if [ ${#failed[@]} -gt 0 ]; then
	log "FAILED: ${failed[*]}"
	log "the failing inputs are in <package>/testdata/fuzz/<target>/"
	exit 1
fi
