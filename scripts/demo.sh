#!/usr/bin/env bash
# Starts the movie API (upstream-example) and jwtgate in front of it, on the
# embedded SQLite store, with a first user siva / siva (the seed's). Ctrl-C
# stops both. Everything lives in ./var/demo (delete it to start afresh).
#
# Both listen on 127.0.0.1 only (the first user's password is published):
#   JWTGATE_ADDR    the gateway          (default 127.0.0.1:8080)
#   JWTGATE_ADMIN   Caddy's admin API    (default 127.0.0.1:2019)
#   UPSTREAM_ADDR   the movie API        (default 127.0.0.1:9000)
# The demo refuses to start when one of these ports is taken: Caddy listens
# with SO_REUSEPORT, so a second Caddy on the same port would start without
# error and the kernel would split connections between the two.
#
# The example Caddyfile's environment variables work here too, e.g.
#   ROTATE_REFRESH_TOKENS=true BLACKLIST_AFTER_ROTATION=true scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export JWTGATE_ADDR="${JWTGATE_ADDR:-127.0.0.1:8080}"
export JWTGATE_ADMIN="${JWTGATE_ADMIN:-127.0.0.1:2019}"
export UPSTREAM_ADDR="${UPSTREAM_ADDR:-127.0.0.1:9000}"
# The example Caddyfile listens on JWTGATE_BIND:JWTGATE_PORT.
JWTGATE_BIND="${JWTGATE_ADDR%:*}"
JWTGATE_BIND="${JWTGATE_BIND#[}"
export JWTGATE_BIND="${JWTGATE_BIND%]}"
export JWTGATE_PORT="${JWTGATE_ADDR##*:}"

# taken PORT: something listens on PORT, on any address.
taken() {
	if command -v ss >/dev/null; then
		[ -n "$(ss -Hltn "sport = :$1")" ]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}
for var in JWTGATE_ADDR JWTGATE_ADMIN UPSTREAM_ADDR; do
	port="${!var##*:}"
	if taken "$port"; then
		echo "demo: port $port ($var=${!var}) is already in use (another demo, or another Caddy?);" >&2
		echo "      stop it, or choose another port, e.g. $var=127.0.0.1:$((port + 1)) scripts/demo.sh" >&2
		exit 1
	fi
done

VAR="${JWTGATE_DEMO_DIR:-$PWD/var/demo}"
mkdir -p "$VAR/bin"
echo "building the gateway and the movie API into $VAR/bin (the first build takes a few minutes) …"
go build -o "$VAR/bin/caddy" ./cmd/caddy
go build -o "$VAR/bin/upstream" ./upstream-example

# Caddy keeps its data (the SQLite store, a generated signing key) here.
export XDG_DATA_HOME="$VAR/data" XDG_CONFIG_HOME="$VAR/config"
export UPSTREAM_DB="${UPSTREAM_DB:-$VAR/upstream.sqlite3}"
caddy=("$VAR/bin/caddy")
conf=(--config Caddyfile --adapter caddyfile)

# The store: migrate creates it on the first run (the other commands refuse
# a store that does not exist) and names it.
"${caddy[@]}" jwtgate migrate "${conf[@]}" >/dev/null
if ! "${caddy[@]}" jwtgate user show siva "${conf[@]}" >/dev/null 2>&1; then
	JWTGATE_SUPERUSER_PASSWORD=siva "${caddy[@]}" jwtgate createsuperuser --noinput \
		--username siva --email siva@example.com "${conf[@]}" 2>/dev/null
fi

"$VAR/bin/upstream" &
upstream=$!
# Background jobs of a script ignore Ctrl-C; stop the movie API with the
# gateway, whatever way the script ends.
trap 'kill "$upstream" 2>/dev/null || true; wait "$upstream" 2>/dev/null || true' EXIT

# Wait (at most 10 s) until our movie API answers /healthz.
for _ in $(seq 100); do
	kill -0 "$upstream" 2>/dev/null || { echo "demo: the movie API exited; see its message above" >&2; exit 1; }
	curl -fsS -o /dev/null "http://$UPSTREAM_ADDR/healthz" 2>/dev/null && break
	sleep 0.1
done
curl -fsS -o /dev/null "http://$UPSTREAM_ADDR/healthz" || { echo "demo: the movie API does not answer on $UPSTREAM_ADDR" >&2; exit 1; }

cat <<BANNER

  jwtgate:        http://$JWTGATE_ADDR  (try POST /userprofiles/api/token/)
  movie API:      http://$UPSTREAM_ADDR (behind the gateway at /movieapi/)
  admin API:      http://$JWTGATE_ADMIN
  first user:     siva / siva
  Ctrl-C stops both.

BANNER
"${caddy[@]}" run "${conf[@]}"
