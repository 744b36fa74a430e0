#!/usr/bin/env bash
# Starts the movie API (upstream-example) and jwtgate in front of it, on the
# embedded SQLite store, with a first user siva / siva (the seed's). Ctrl-C
# stops both. Everything lives in ./var/demo (delete it to start afresh).
#
# The example Caddyfile's environment variables work here too, e.g.
#   ROTATE_REFRESH_TOKENS=true BLACKLIST_AFTER_ROTATION=true scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VAR="${JWTGATE_DEMO_DIR:-$PWD/var/demo}"
mkdir -p "$VAR/bin"
echo "building the gateway and the movie API into $VAR/bin …"
go build -o "$VAR/bin/caddy" ./cmd/caddy
go build -o "$VAR/bin/upstream" ./upstream-example

# Caddy keeps its data (the SQLite store, a generated signing key) here.
export XDG_DATA_HOME="$VAR/data" XDG_CONFIG_HOME="$VAR/config"
export UPSTREAM_ADDR="${UPSTREAM_ADDR:-127.0.0.1:9000}"
export UPSTREAM_DB="${UPSTREAM_DB:-$VAR/upstream.sqlite3}"
caddy=("$VAR/bin/caddy")
conf=(--config Caddyfile --adapter caddyfile)

if ! "${caddy[@]}" user show siva "${conf[@]}" >/dev/null 2>&1; then
	JWTGATE_SUPERUSER_PASSWORD=siva "${caddy[@]}" createsuperuser --noinput \
		--username siva --email siva@example.com "${conf[@]}" 2>/dev/null
fi

"$VAR/bin/upstream" &
upstream=$!
# Background jobs of a script ignore Ctrl-C; stop the movie API with the
# gateway, whatever way the script ends.
trap 'kill "$upstream" 2>/dev/null || true; wait "$upstream" 2>/dev/null || true' EXIT

addr="${JWTGATE_ADDR:-:8080}"
case "$addr" in :*) addr="localhost$addr" ;; esac
cat <<EOF

  jwtgate:        http://$addr  (try POST /userprofiles/api/token/)
  movie API:      http://$UPSTREAM_ADDR (behind the gateway at /movieapi/)
  first user:     siva / siva
  Ctrl-C stops both.

EOF
"${caddy[@]}" run "${conf[@]}"
