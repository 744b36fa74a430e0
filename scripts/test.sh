#!/usr/bin/env bash
# Runs jwtgate's whole test suite on this machine, installing and starting
# what the tests need first:
#   - PostgreSQL on 127.0.0.1:5432 (started if it is installed but down);
#   - the simplejwt reference's Debian packages (Django, DRF, simplejwt,
#     psycopg2, gunicorn) and the hashers Django verifies with (argon2,
#     bcrypt), used by the interop tests;
#   - nginx (Debian's; the forward-auth e2e starts its own on a loopback port);
#   - newman (npm, into ~/.cache/jwtgate/newman), which runs the Postman
#     collection in postman/.
# Nothing is skipped: a test that needs a component fails when it is
# missing. Extra arguments go to `go test` (e.g. -run TestSeedFlow).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else log "need root for: $*"; return 1
	fi
}

# --- Debian packages -------------------------------------------------------
debs=(python3-djangorestframework-simplejwt python3-psycopg2 gunicorn python3-argon2 python3-bcrypt python3-jwt python3-cryptography postgresql-client nginx pgbouncer)
missing=()
for p in "${debs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The reference's PyJWT refuses an unknown "crit" only from Debian's
# security update 2.6.0-1+deb12u1 on; an older one installed is upgraded.
jwt_version=$(dpkg-query -W -f='${Version}' python3-jwt 2>/dev/null || true)
if [ -n "$jwt_version" ] && dpkg --compare-versions "$jwt_version" lt 2.6.0-1+deb12u1; then
	missing+=(python3-jwt)
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- PostgreSQL --------------------------------------------------------------
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 -t 2; }
if ! pg_up; then
	if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
		log "installing postgresql"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
	fi
	log "starting PostgreSQL"
	as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
	for _ in $(seq 1 50); do pg_up && break; sleep 0.2; done
	pg_up || { log "PostgreSQL does not answer on 127.0.0.1:5432"; exit 1; }
fi

# --- newman (runs postman/ in e2e/seedflow) ----------------------------------
# Installed from npm into the user's cache, never into the repository; the
# tests find it through JWTGATE_NEWMAN.
if [ -z "${JWTGATE_NEWMAN:-}" ]; then
	newman_dir="${XDG_CACHE_HOME:-$HOME/.cache}/jwtgate/newman"
	if [ -x "$newman_dir/node_modules/.bin/newman" ]; then
		JWTGATE_NEWMAN="$newman_dir/node_modules/.bin/newman"
	elif command -v newman >/dev/null; then
		JWTGATE_NEWMAN="$(command -v newman)"
	else
		command -v npm >/dev/null || { log "need npm (Node.js >= 16) to install newman"; exit 1; }
		log "installing newman 6 into $newman_dir"
		npm install --no-audit --no-fund --prefix "$newman_dir" newman@6 >/dev/null
		JWTGATE_NEWMAN="$newman_dir/node_modules/.bin/newman"
	fi
fi
export JWTGATE_NEWMAN

# --- the suite ---------------------------------------------------------------
log "go vet"
go vet ./...
log "go mod tidy -diff"
go mod tidy -diff # go.mod and go.sum as tidy leaves them: no stray // indirect
log "go test"
go test -count=1 -timeout 20m "$@" ./...

# --- fuzzing -----------------------------------------------------------------
# Every fuzz target for a fixed number of executions (about 10 s each, plus
# building and replaying its corpus; FUZZ_SCALE scales it).
log "fuzz"
scripts/fuzz.sh
