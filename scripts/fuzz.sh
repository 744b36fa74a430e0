#!/usr/bin/env bash
# Runs every Go fuzz target of the module (each `func Fuzz…` in a *_test.go
# file, found anew on each run), one after the other, each for a fixed
# number of executions rather than a duration: the same work on any machine,
# and no wall-clock deadline for Go's fuzz coordinator to race at shutdown
# (golang/go#75804, fixed in Go 1.27). Minimising a new input is bounded the
# same way, to a tenth of the target's budget.
#
# The counts below took about 10 s per target on a loaded 2-core machine
# (December 2026); a target not listed gets DEFAULT_EXECS.
#   FUZZ_SCALE   multiplies every count (default 1: 10 for a long run, 0.1 for a smoke run)
#
# A failing input is saved under <package>/testdata/fuzz/<target>/, where
# plain `go test` replays it from then on. Exits non-zero if any target
# failed, after running all of them.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A execs=(
	[FuzzDecode]=180000 [FuzzVerifyAccess]=200000 [FuzzJSONObject]=150000 [FuzzBase64]=120000
	[FuzzAuthorizationHeader]=35000 [FuzzAuthenticatorCheck]=20000 [FuzzServeView]=25000
	[FuzzParse]=110000 [FuzzValidateChars]=170000
	[FuzzCheck]=90000 [FuzzValidate]=130000
	[FuzzDifferentialGolangJWT]=150000 [FuzzKeySetHeader]=60000
)
DEFAULT_EXECS=20000

failed=()
start=$SECONDS
while read -r file name; do
	pkg=$(dirname "$file")
	n=$(awk -v n="${execs[$name]:-$DEFAULT_EXECS}" -v s="${FUZZ_SCALE:-1}" 'BEGIN { n *= s; printf "%d", n < 10 ? 10 : n }')
	printf '==> %s (%s): %d executions\n' "$name" "$pkg" "$n" >&2
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "${n}x" -fuzzminimizetime "$((n / 10))x" "$pkg" ||
		failed+=("$name ($pkg)")
done < <(grep -rHoE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+' . | sed 's/:func / /' | sort)
printf '==> fuzzing took %ds\n' "$((SECONDS - start))" >&2
if [ ${#failed[@]} -gt 0 ]; then
	printf '==> FAILED: %s; the failing inputs are in <package>/testdata/fuzz/<target>/\n' "${failed[*]}" >&2
	exit 1
fi
