#!/usr/bin/env bash
# jwtgate at scale: for each user count N, fills a throwaway PostgreSQL
# database with N users in Django's auth_user (generate_series, the layout
# of store/schema_ref/django_postgres.sql, as an existing Django site has),
# starts the gateway on it and reports
#   - ready: seconds from the process start to the first protected request
#     answered other than 503 (the user index loaded), on the first start
#     (which also builds jwtgate's indexes on lower(email) and
#     lower(username)) and on a restart;
#   - RSS of the gateway after the restart's load;
#   - deactivation: milliseconds from an UPDATE auth_user SET is_active =
#     false (psql, as Django would) to the gateway refusing that user's
#     token (median of 5);
#   - registration p50 and p99, one client at a time and with 16
#     concurrent clients (wrk, bench/lua/register.lua), and their rate:
#     every size's gateway stays up and the rounds interleave the sizes.
# Every process it starts is stopped by its PID, and every database it
# creates is dropped, also on failure or Ctrl-C.
#
# Usage:
#   bench/scale.sh              N = 1,000 and 1,000,000
#   bench/scale.sh 10m          also 10,000,000 (about 4 GB of database
#                               and several minutes to fill)
#   bench/scale.sh 1000 50000   any list of counts
#
# Environment:
#   DURATION=10s              each registration load
#   ROUNDS=3                  rounds of registration loads, each over every
#                             size in turn (the table shows the medians)
#   CONCURRENT=16             clients of the concurrent registration load
#   PASSWORD_ITERATIONS=260000   pbkdf2_sha256 iterations of registered
#                             users (Django 3.2's; the hash is most of a
#                             registration's cost)
#   CADDY_BIN                 measure this gateway binary instead of
#                             building cmd/caddy (for example an older
#                             commit's, for a before/after)
#   BENCH_DIR=var/scale       binaries, logs and results.tsv
#   READY_TIMEOUT=600         seconds a start may take before the run fails
#
# Needs Go, curl, openssl, wrk, and PostgreSQL on 127.0.0.1:5432 (user
# postgres, trust) with its client tools (createdb, dropdb, psql).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SIZES=()
for a in "$@"; do
	case "$a" in
	10m) SIZES+=(10000000) ;;
	*[!0-9]* | "") echo "usage: bench/scale.sh [10m] [N…]" >&2 && exit 2 ;;
	*) SIZES+=("$a") ;;
	esac
done
if [ ${#SIZES[@]} -eq 0 ] || { [ ${#SIZES[@]} -eq 1 ] && [ "${SIZES[0]}" = 10000000 ]; }; then
	SIZES=(1000 1000000 "${SIZES[@]}")
fi
: "${DURATION:=10s}" "${ROUNDS:=3}" "${CONCURRENT:=16}" "${PASSWORD_ITERATIONS:=260000}" "${READY_TIMEOUT:=600}"
WORK=${BENCH_DIR:-$ROOT/var/scale}
LUA=$ROOT/bench/lua
LOG=$WORK/log
RESULTS=$WORK/results.tsv
PGARGS=(-h 127.0.0.1 -p 5432 -U postgres)

. bench/lib.sh

# --- processes and databases: each recorded, stopped or dropped by name ----
DBS=()
drop_db() {
	local keep=() d
	dropdb "${PGARGS[@]}" --if-exists "$1" 2>/dev/null || log "could not drop database $1"
	for d in "${DBS[@]}"; do [ "$d" = "$1" ] || keep+=("$d"); done
	DBS=("${keep[@]}")
}
cleanup() {
	local p d
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	for d in "${DBS[@]}"; do drop_db "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ns() { date +%s%N; }

# --- preflight --------------------------------------------------------------
for c in curl openssl wrk psql createdb dropdb; do
	command -v "$c" >/dev/null || die "need $c"
done
pg_isready -q "${PGARGS[@]}" -t 2 || die "PostgreSQL does not answer on 127.0.0.1:5432"
rm -rf "$WORK"
mkdir -p "$WORK/bin" "$LOG"
printf 'users\tfill_s\tdb_mib\tready_first_s\tready_s\trss_mib\tdeactivation_ms\treg1_p50_ms\treg1_p99_ms\treg1_per_s\tregN_p50_ms\tregN_p99_ms\tregN_per_s\tstatuses\n' >"$RESULTS"
if [ -n "${CADDY_BIN:-}" ]; then
	CADDY=$CADDY_BIN
else
	log "building the gateway into $WORK/bin"
	go build -o "$WORK/bin/caddy" ./cmd/caddy
	CADDY=$WORK/bin/caddy
fi
KEY=$(openssl rand -hex 24)

# token UID: an HS256 access token for user UID, signed with KEY.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
token() {
	local now h p s
	now=$(date +%s)
	h=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
	p=$(printf '{"token_type":"access","exp":%d,"iat":%d,"jti":"%s","user_id":%d}' $((now + 3600)) "$now" "$(openssl rand -hex 16)" "$1" | b64url)
	s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -mac HMAC -macopt "key:$KEY" -binary | b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}
# status TOKEN: the protected route's status with that token.
status() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $1" "http://127.0.0.1:$PORT/protected" || true
}

# start DBURL LOGFILE: the gateway in the background (GW_PID), and the
# seconds until a protected request with a token of user 1 is not 503
# (READY_S; it must then be 200).
start() {
	local t0 code tok i
	port PORT
	port ADMIN_PORT
	tok=$(token 1)
	t0=$(now_ns)
	env BENCH_PORT="$PORT" BENCH_ADMIN_PORT="$ADMIN_PORT" DATABASE_URL="$1" JWT_SIGNING_KEY="$KEY" \
		PASSWORD_ITERATIONS="$PASSWORD_ITERATIONS" \
		"$CADDY" run --config "$ROOT/bench/scale.Caddyfile" --adapter caddyfile >"$2" 2>&1 &
	GW_PID=$!
	PIDS+=("$GW_PID")
	for i in $(seq 1 $((READY_TIMEOUT * 20))); do
		code=$(status "$tok")
		case "$code" in
		000 | 503) ;;
		200) break ;;
		*) die "the protected route answered $code before the index was ready (see $2)" ;;
		esac
		kill -0 "$GW_PID" 2>/dev/null || die "the gateway exited (see $2)"
		sleep 0.05
	done
	[ "$code" = 200 ] || die "not ready after ${READY_TIMEOUT}s (see $2)"
	READY_S=$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN {printf "%.2f", (b - a) / 1e9}')
}

# deactivation DBURL: median milliseconds from the UPDATE to the refusal,
# over users 2..6, into DEACT_MS.
deactivation() {
	local uid tok t0 i code all=()
	for uid in 2 3 4 5 6; do
		tok=$(token "$uid")
		[ "$(status "$tok")" = 200 ] || die "user $uid's token is not accepted"
		t0=$(now_ns)
		psql "$1" -qAtc "UPDATE auth_user SET is_active = false WHERE id = $uid" >/dev/null
		for i in $(seq 1 2000); do
			code=$(status "$tok")
			[ "$code" = 401 ] && break
			sleep 0.005
		done
		[ "$code" = 401 ] || die "user $uid still accepted 2,000 checks after its deactivation"
		all+=("$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN {printf "%.0f", (b - a) / 1e6}')")
	done
	DEACT_MS=$(printf '%s\n' "${all[@]}" | sort -n | sed -n 3p)
}

# register CONNS RUN: a registration load; p50/p99 in ms, rate and
# statuses into REG_*.
register() {
	local conns=$1 threads=1 out=$LOG/register-$2.txt line kv
	[ "$conns" -gt 1 ] && threads=2
	env BENCH_LUA="$LUA" RUN="$2" wrk -t"$threads" -c"$conns" -d"$DURATION" --timeout 60s -s "$LUA/register.lua" \
		"http://127.0.0.1:$PORT/userprofiles/register/" >"$out" 2>&1
	line=$(grep '^RESULT ' "$out") || die "wrk printed no result: $(tail -5 "$out")"
	REG_ST=
	for kv in $line; do
		case $kv in
		requests=*) REG_N=${kv#*=} ;;
		duration_us=*) REG_DUR=${kv#*=} ;;
		p50_us=*) REG_P50=$(awk -v v="${kv#*=}" 'BEGIN {printf "%.1f", v / 1000}') ;;
		p99_us=*) REG_P99=$(awk -v v="${kv#*=}" 'BEGIN {printf "%.1f", v / 1000}') ;;
		s[0-9]*=*) REG_ST+="${REG_ST:+,}${kv#s}" ;;
		esac
	done
	REG_RATE=$(awk -v n="$REG_N" -v d="$REG_DUR" 'BEGIN {printf "%.1f", n / (d / 1e6)}')
}

# --- per size: fill, start, restart, RSS, deactivation ----------------------
# Each size's gateway keeps running (GW_PIDS, GW_PORTS) for the
# registration rounds, which interleave the sizes so that the machine's
# other load falls on all of them alike.
declare -A GW_PIDS GW_PORTS ROW
one_size() {
	local n=$1 db dburl t0 fill_s db_mib ready_first rss
	db=jwtgate_scale_${n}_$$
	dburl="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable"
	log "N=$n: database $db"
	createdb "${PGARGS[@]}" "$db"
	DBS+=("$db")
	psql "$dburl" -qX -v ON_ERROR_STOP=1 -f "$ROOT/store/schema_ref/django_postgres.sql" >/dev/null
	t0=$(now_ns)
	# As Django's createsuperuser/registration would leave them: a
	# pbkdf2_sha256 hash (the same for all: nobody logs in), joined a day
	# ago so that tokens issued now are after date_joined.
	psql "$dburl" -qX -v ON_ERROR_STOP=1 -c "INSERT INTO auth_user
  (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT 'pbkdf2_sha256\$260000\$c2NhbGVzYWx0c2NhbGVz\$Z2VuZXJhdGVkIGJ5IGJlbmNoL3NjYWxlLnNoIGZvciBzaXplIHRlc3Rz', NULL, false,
  'user' || g, 'First', 'Last', 'user' || g || '@example.com', false, true, now() - interval '1 day'
FROM generate_series(1, $n) g" >/dev/null
	psql "$dburl" -qX -c "VACUUM ANALYZE auth_user" >/dev/null
	fill_s=$(awk -v a="$t0" -v b="$(now_ns)" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
	log "N=$n: filled in ${fill_s}s"

	start "$dburl" "$LOG/gateway-$n-first.log"
	ready_first=$READY_S
	log "N=$n: first start ready in ${ready_first}s (with jwtgate's index builds)"
	stop_pid "$GW_PID"
	db_mib=$(psql "$dburl" -qAtX -c "SELECT pg_database_size(current_database()) / 1048576")

	start "$dburl" "$LOG/gateway-$n.log"
	log "N=$n: restart ready in ${READY_S}s"
	sleep 3
	rss=$(awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$GW_PID/status")
	log "N=$n: RSS ${rss} MiB"
	deactivation "$dburl"
	log "N=$n: deactivation refused after ${DEACT_MS} ms (median of 5)"
	GW_PIDS[$n]=$GW_PID
	GW_PORTS[$n]=$PORT
	ROW[$n]="$n	$fill_s	$db_mib	$ready_first	$READY_S	$rss	$DEACT_MS"
}

for n in "${SIZES[@]}"; do one_size "$n"; done

# --- registration rounds ------------------------------------------------------
# median of the values on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A R1P50 R1P99 R1RATE RNP50 RNP99 RNRATE RST
for r in $(seq 1 "$ROUNDS"); do
	for n in "${SIZES[@]}"; do
		PORT=${GW_PORTS[$n]}
		register 1 "s${n}r${r}a"
		log "N=$n round $r: registration, 1 client: p50 ${REG_P50} ms, p99 ${REG_P99} ms, ${REG_RATE}/s [$REG_ST]"
		R1P50[$n]+="$REG_P50 " R1P99[$n]+="$REG_P99 " R1RATE[$n]+="$REG_RATE " RST[$n]+="1:$REG_ST;"
		register "$CONCURRENT" "s${n}r${r}b"
		log "N=$n round $r: registration, $CONCURRENT clients: p50 ${REG_P50} ms, p99 ${REG_P99} ms, ${REG_RATE}/s [$REG_ST]"
		RNP50[$n]+="$REG_P50 " RNP99[$n]+="$REG_P99 " RNRATE[$n]+="$REG_RATE " RST[$n]+="$CONCURRENT:$REG_ST;"
	done
done
for n in "${SIZES[@]}"; do
	med() { tr ' ' '\n' <<<"$1" | grep . | median; }
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${ROW[$n]}" "$(med "${R1P50[$n]}")" "$(med "${R1P99[$n]}")" "$(med "${R1RATE[$n]}")" \
		"$(med "${RNP50[$n]}")" "$(med "${RNP99[$n]}")" "$(med "${RNRATE[$n]}")" "${RST[$n]}" >>"$RESULTS"
	stop_pid "${GW_PIDS[$n]}"
done

echo
echo "jwtgate at scale, $(date -u +%Y-%m-%d), $(nproc) cores, PostgreSQL $(psql "${PGARGS[@]}" -qAtX -c 'SHOW server_version'), password_iterations $PASSWORD_ITERATIONS, registration: median of $ROUNDS interleaved rounds of $DURATION"
echo
echo "| users | fill | database | ready, first start | ready, restart | RSS | deactivation refused | register p50 / p99 (1 client) | register p50 / p99 ($CONCURRENT clients) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
tail -n +2 "$RESULTS" | while IFS=$'\t' read -r n fill db rf r rss d p50 p99 rate np50 np99 nrate st; do
	printf '| %s | %s s | %s MiB | %s s | %s s | %s MiB | %s ms | %s / %s ms (%s/s) | %s / %s ms (%s/s) |\n' \
		"$(printf "%'d" "$n")" "$fill" "$db" "$rf" "$r" "$rss" "$d" "$p50" "$p99" "$rate" "$np50" "$np99" "$nrate"
done
