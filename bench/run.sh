#!/usr/bin/env bash
# jwtgate's benchmark suite: builds the gateway (cmd/caddy) and the example
# upstream, starts everything on 127.0.0.1, runs time-bounded wrk loads,
# stops every process it started by its PID, and prints
#   - the proxy table: A the upstream alone, B stock Caddy reverse_proxy
#     (tuned as the gateway's), C jwtgate with a valid Bearer token on a
#     required route, D jwtgate with an invalid one, E jwtgate with a valid
#     token and the signed identity assertion on, G the same gateway
#     Caddyfile with every jwt_auth removed (routes, handles, matchers and
#     jwt_endpoints kept); at 1 and 64 connections, interleaved A B C D E G
#     per round; and the ratios C/B, D/B, E/C, C/G;
#   - CPU profiles (pprof top) of B, C and G at 64 connections;
#   - the login storm: proxied p99 alone and while obtain is flooded;
#   - forward auth: nginx alone against nginx with auth_request to jwtgate;
#   - the token routes (refresh with and without rotation+blacklist on
#     SQLite and PostgreSQL, verify, obtain against the raw PBKDF2 rate),
#     each interleaved with the Django reference (testdata/django_ref).
#
# Usage:
#   bench/run.sh            the full run (about 10 minutes)
#   bench/run.sh quick      a smoke check of every step (1 round, 1 s loads)
#   bench/run.sh gobench    the Go benchmarks, benchstat-friendly (-count 5)
#
# Environment (defaults of the full run):
#   DURATION=5s           each load (whole seconds)
#   PROXY_ROUNDS=5        interleaved rounds of A B C D E G
#   ROUNDS=3              interleaved rounds of the storm and the token routes
#   OBTAIN_DURATION=12s   each obtain load (a login is a fraction of a second)
#   TOKEN_CONNS=16        connections for refresh and verify
#   OBTAIN_CONNS=2        connections for obtain (one hashing, one waiting)
#   STORM_CONNS=16        Bearer connections during the login storm
#   FLOOD_CONNS=64        connections flooding obtain with wrong passwords
#   FLOOD_DELAY_MS=100    the paced storm: each flood connection's pause between logins
#   WRK_THREADS=2         wrk threads for loads of more than one connection
#   PASSWORD_ITERATIONS=1000000   the gateway's pbkdf2_sha256 iterations
#   SECTIONS="proxy storm forwardauth tokens"   which parts to run
#   PROFILE=1             0: skip the CPU profiles
#   DJANGO=1              0: skip the Django reference
#   PG=1                  0: skip PostgreSQL (127.0.0.1:5432, user postgres)
#   BENCH_DIR=var/bench   binaries, databases, logs and the raw results
#
# Needs Go, curl, wrk (installed with apt-get when missing and root), nginx
# for the forwardauth section, and
# for the reference Debian's python3-djangorestframework-simplejwt,
# gunicorn and python3-psycopg2 (scripts/test.sh installs them). The
# machine's cores are shared by wrk, the servers and whatever else runs:
# read ratios measured in one run, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-full}

case "$MODE" in
gobench)
	exec go test -run '^$' -bench . -benchmem -count "${COUNT:-5}" \
		./token ./simplejwt ./caddymodule ./password ./userindex
	;;
quick)
	: "${DURATION:=1s}" "${ROUNDS:=1}" "${PROXY_ROUNDS:=1}" "${OBTAIN_DURATION:=3s}" "${PROFILE:=0}"
	;;
full) ;;
*)
	echo "usage: bench/run.sh [full|quick|gobench]" >&2
	exit 2
	;;
esac
: "${DURATION:=5s}" "${ROUNDS:=3}" "${PROXY_ROUNDS:=5}" "${OBTAIN_DURATION:=12s}" "${PROFILE:=1}"
: "${SECTIONS:=proxy storm forwardauth tokens}"
: "${TOKEN_CONNS:=16}" "${OBTAIN_CONNS:=2}" "${STORM_CONNS:=16}" "${FLOOD_CONNS:=64}" "${FLOOD_DELAY_MS:=100}"
: "${WRK_THREADS:=2}" "${PASSWORD_ITERATIONS:=1000000}" "${DJANGO:=1}" "${PG:=1}"
WORK=${BENCH_DIR:-$ROOT/var/bench}
section() { [[ " $SECTIONS " == *" $1 "* ]]; }
secs() { local s=${1%s}; [[ $s =~ ^[0-9]+$ ]] || { echo "durations are whole seconds (5s), not $1" >&2; exit 2; }; echo "$s"; }
DUR_S=$(secs "$DURATION")
OBTAIN_S=$(secs "$OBTAIN_DURATION")
DURATION=${DUR_S}s
OBTAIN_DURATION=${OBTAIN_S}s
LUA=$ROOT/bench/lua
BIN=$WORK/bin
RESULTS=$WORK/results.tsv
META=$WORK/meta.env
LOG=$WORK/log
CLK_TCK=$(getconf CLK_TCK)

. bench/lib.sh

# --- processes and databases: each stopped or dropped, also on failure ------
PG_DBS=()
cleanup() {
	local p d
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	for d in "${PG_DBS[@]}"; do
		dropdb -h 127.0.0.1 -p 5432 -U postgres --if-exists "$d" 2>/dev/null || log "could not drop database $d"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# cpu_us PID…: user+system CPU of the processes, in µs.
cpu_us() {
	local t=0 p v
	for p in "$@"; do
		v=$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat")
		t=$((t + v))
	done
	echo $((t * 1000000 / CLK_TCK))
}
# rss_kb PID…: their resident sets together.
rss_kb() {
	local t=0 p v
	for p in "$@"; do
		v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status")
		t=$((t + v))
	done
	echo "$t"
}

# --- preflight --------------------------------------------------------------
command -v go >/dev/null || die "need Go"
command -v curl >/dev/null || die "need curl"
if ! command -v wrk >/dev/null; then
	[ "$(id -u)" -eq 0 ] || die "need wrk (apt-get install wrk)"
	log "installing wrk"
	apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
if [ "$DJANGO" = 1 ] && ! /usr/bin/python3 -c 'import rest_framework_simplejwt, gunicorn' 2>/dev/null; then
	log "the Django reference is not installed (scripts/test.sh installs it): skipping it"
	DJANGO=0
fi
if [ "$PG" = 1 ] && ! pg_isready -q -h 127.0.0.1 -p 5432 -t 2 2>/dev/null; then
	log "PostgreSQL does not answer on 127.0.0.1:5432: skipping the PostgreSQL rows"
	PG=0
fi

rm -rf "$WORK"
mkdir -p "$BIN" "$LOG"
: >"$RESULTS"
T0=$(date +%s)

log "building the gateway and the upstream into $BIN"
go build -o "$BIN/caddy" ./cmd/caddy
go build -o "$BIN/upstream" ./upstream-example
go build -o "$BIN/benchreport" ./bench/cmd/benchreport

# --- one core's raw PBKDF2 rate (before any server runs) --------------------
case "$PASSWORD_ITERATIONS" in
1000000) HASH_BENCH=BenchmarkPBKDF2SHA256_1M ;;
260000) HASH_BENCH=BenchmarkPBKDF2SHA256_260k ;;
*) die "PASSWORD_ITERATIONS: the password package benchmarks 1000000 and 260000" ;;
esac
HASH_RUNS=5
[ "$MODE" = quick ] && HASH_RUNS=2
go test -c -o "$BIN/password.test" ./password
# raw_hash OUT COUNT: one core's PBKDF2 time (ns per hash, median of COUNT
# runs of HASH_RUNS hashes) into RAW_NS.
raw_hash() {
	(cd "$ROOT/password" && "$BIN/password.test" -test.run '^$' -test.bench "^$HASH_BENCH\$" \
		-test.benchtime "${HASH_RUNS}x" -test.count "$2") >"$1" 2>&1
	RAW_NS=$(awk -v b="$HASH_BENCH" '$1 ~ "^"b"(-[0-9]+)?$" {printf "%d\n", $3}' "$1" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	[ -n "$RAW_NS" ] || die "no PBKDF2 benchmark result in $1"
}
log "raw PBKDF2 rate: go test -bench $HASH_BENCH ./password"
raw_hash "$LOG/pbkdf2.txt" 3
RAW_HASH_NS=$RAW_NS
GOMAXPROCS_N=$(nproc)
HASH_WORKERS=$((GOMAXPROCS_N / 2))
[ "$HASH_WORKERS" -ge 1 ] || HASH_WORKERS=1

# --- servers ----------------------------------------------------------------
SIGNING_KEY=$(head -c 36 /dev/urandom | base64 | tr '+/' '-_')
ASSERTION_KEY_FILE=$WORK/assertion-es256.pem
"$BIN/caddy" jwtgate gen-signing-key --algorithm ES256 >"$ASSERTION_KEY_FILE"
BENCH_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')

port UP_PORT
log "upstream (upstream-example) on 127.0.0.1:$UP_PORT"
env UPSTREAM_ADDR="127.0.0.1:$UP_PORT" UPSTREAM_DB="$WORK/upstream.sqlite3" "$BIN/upstream" >"$LOG/upstream.log" 2>&1 &
UP_PID=$!
PIDS+=("$UP_PID")
wait_http "http://127.0.0.1:$UP_PORT/healthz" || die "the upstream did not start: $(tail -5 "$LOG/upstream.log")"

port B_PORT
port B_ADMIN
log "B: stock reverse_proxy on 127.0.0.1:$B_PORT"
env XDG_DATA_HOME="$WORK/proxy/data" XDG_CONFIG_HOME="$WORK/proxy/config" \
	BENCH_PORT="$B_PORT" BENCH_ADMIN_PORT="$B_ADMIN" BENCH_UPSTREAM_PORT="$UP_PORT" \
	"$BIN/caddy" run --config bench/proxy.Caddyfile --adapter caddyfile >"$LOG/proxy.log" 2>&1 &
B_PID=$!
PIDS+=("$B_PID")
wait_http "http://127.0.0.1:$B_PORT/healthz" || die "B did not start: $(tail -5 "$LOG/proxy.log")"

# gateway_env NAME PORT ADMIN DATABASE_URL ROTATE ITERATIONS: the environment
# of one gateway instance, into the array GW_ENV; its second listener (E's)
# on ASSERT_PORT.
gateway_env() {
	port ASSERT_PORT
	GW_ENV=(XDG_DATA_HOME="$WORK/$1/data" XDG_CONFIG_HOME="$WORK/$1/config"
		BENCH_PORT="$2" BENCH_ADMIN_PORT="$3" BENCH_UPSTREAM_PORT="$UP_PORT" BENCH_ASSERT_PORT="$ASSERT_PORT"
		DATABASE_URL="$4" JWTGATE_DB_PATH="$WORK/$1/jwtgate.sqlite3" JWT_SIGNING_KEY="$SIGNING_KEY"
		ASSERTION_KEY_FILE="$ASSERTION_KEY_FILE"
		ROTATE_REFRESH_TOKENS="$5" BLACKLIST_AFTER_ROTATION="$5" PASSWORD_ITERATIONS="$6")
}
# start_gateway NAME PORT ADMIN DATABASE_URL ROTATE ITERATIONS: creates the
# user bench, starts the instance; its PID in GW_PID.
start_gateway() {
	gateway_env "$@"
	mkdir -p "$WORK/$1"
	env "${GW_ENV[@]}" JWTGATE_SUPERUSER_PASSWORD="$BENCH_PASSWORD" "$BIN/caddy" jwtgate createsuperuser --noinput \
		--username bench --email bench@example.com --create-store --config bench/gateway.Caddyfile --adapter caddyfile \
		>"$LOG/$1-createsuperuser.log" 2>&1 || die "createsuperuser ($1): $(tail -5 "$LOG/$1-createsuperuser.log")"
	env "${GW_ENV[@]}" "$BIN/caddy" run --config bench/gateway.Caddyfile --adapter caddyfile >"$LOG/$1.log" 2>&1 &
	GW_PID=$!
	PIDS+=("$GW_PID")
	wait_http "http://127.0.0.1:$2/healthz" || die "gateway $1 did not start: $(tail -5 "$LOG/$1.log")"
}

json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

# obtain BASE USER PASSWORD: a login; the tokens in OB_REFRESH, OB_ACCESS.
obtain() {
	local body
	body=$(curl -s --max-time 30 -X POST "$1/userprofiles/api/token/" --data-urlencode "username=$2" --data-urlencode "password=$3")
	OB_REFRESH=$(json_field refresh <<<"$body")
	OB_ACCESS=$(json_field access <<<"$body")
	[ -n "$OB_REFRESH" ] && [ -n "$OB_ACCESS" ] || die "obtain at $1 failed: $body"
}

port C_PORT
port C_ADMIN
log "C/D: jwtgate on 127.0.0.1:$C_PORT (SQLite, no rotation)"
start_gateway gateway "$C_PORT" "$C_ADMIN" "" false "$PASSWORD_ITERATIONS"
C_PID=$GW_PID
C_URL=http://127.0.0.1:$C_PORT
E_URL=http://127.0.0.1:$ASSERT_PORT
obtain "$C_URL" bench "$BENCH_PASSWORD"
REFRESH=$OB_REFRESH ACCESS=$OB_ACCESS
SIG=${ACCESS##*.}
BAD_SIG=AAAA
[ "${SIG:0:4}" = AAAA ] && BAD_SIG=BBBB
INVALID=${ACCESS%.*}.$BAD_SIG${SIG:4}

# The loads must measure what they say: check each answer once.
check() {
	local want=$1 got
	shift
	got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@")
	[ "$got" = "$want" ] || die "expected $want from curl $*, got $got"
}
check 200 "http://127.0.0.1:$UP_PORT/healthz"
check 200 "http://127.0.0.1:$B_PORT/healthz"
check 200 -H "Authorization: Bearer $ACCESS" "$C_URL/healthz"
check 401 -H "Authorization: Bearer $INVALID" "$C_URL/healthz"
check 401 "$C_URL/healthz"
check 200 -H "Authorization: Bearer $ACCESS" "$E_URL/healthz"
check 401 "$E_URL/healthz"

# G: the gateway's Caddyfile with every jwt_auth directive (and its block)
# removed, so that C − G is what jwt_auth itself costs.
NOAUTH_CADDYFILE=$WORK/noauth.Caddyfile
awk '
	skip != "" { if ($0 == skip) skip = ""; next }
	/^[ \t]*jwt_auth( |$)/ {
		if ($0 ~ /\{$/) { match($0, /^[ \t]*/); skip = substr($0, 1, RLENGTH) "}" }
		next
	}
	{ print }' bench/gateway.Caddyfile >"$NOAUTH_CADDYFILE"
! grep -v '^[[:space:]]*#' "$NOAUTH_CADDYFILE" | grep -q jwt_auth || die "jwt_auth left in $NOAUTH_CADDYFILE"
port G_PORT
port G_ADMIN
log "G: the gateway's Caddyfile without jwt_auth on 127.0.0.1:$G_PORT"
gateway_env noauth "$G_PORT" "$G_ADMIN" "" false "$PASSWORD_ITERATIONS"
mkdir -p "$WORK/noauth"
env "${GW_ENV[@]}" "$BIN/caddy" run --config "$NOAUTH_CADDYFILE" --adapter caddyfile >"$LOG/noauth.log" 2>&1 &
G_PID=$!
PIDS+=("$G_PID")
G_URL=http://127.0.0.1:$G_PORT
wait_http "$G_URL/healthz" || die "G did not start: $(tail -5 "$LOG/noauth.log")"
check 200 -H "Authorization: Bearer $ACCESS" "$G_URL/healthz"
check 200 "$G_URL/healthz"

# --- measuring --------------------------------------------------------------
# SRV_PIDS: the processes whose CPU and RSS a load reports; UP_PIDS: the
# upstream's (proxy loads only).
SRV_PIDS=()
UP_PIDS=()

# parse_result FILE: the RESULT line of a wrk run into R_* variables.
parse_result() {
	local line kv
	line=$(grep '^RESULT ' "$1" || true)
	[ -n "$line" ] || die "wrk printed no result: $(tail -5 "$1")"
	R_STATUSES=
	for kv in $line; do
		case $kv in
		requests=*) R_REQ=${kv#*=} ;;
		duration_us=*) R_DUR=${kv#*=} ;;
		p50_us=*) R_P50=${kv#*=} ;;
		p99_us=*) R_P99=${kv#*=} ;;
		status_err=*) R_STATUS_ERR=${kv#*=} ;;
		connect_err=* | read_err=* | write_err=* | timeout=*) R_SOCK_ERR=$((${R_SOCK_ERR:-0} + ${kv#*=})) ;;
		s[0-9]*=*)
			kv=${kv#s}
			R_STATUSES+="${R_STATUSES:+,}${kv%%=*}:${kv#*=}"
			;;
		esac
	done
	[ -n "$R_STATUSES" ] || R_STATUSES=-
}

# record GROUP NAME SERVER CONNS ROUND CPU_US UP_CPU_US RSS_KB: one results line.
record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" \
		"$R_REQ" "$R_DUR" "$R_P50" "$R_P99" "$R_STATUS_ERR" "$R_SOCK_ERR" "$6" "$7" "$8" "$R_STATUSES" >>"$RESULTS"
	printf '    %-8s %-22s %-8s c=%-3s r%s  %8.1f req/s  p50 %6s µs  p99 %7s µs  err %s/%s%s\n' "$1" "$2" "$3" "$4" "$5" \
		"$(awk -v n="$R_REQ" -v d="$R_DUR" 'BEGIN {print n / (d / 1e6)}')" "$R_P50" "$R_P99" "$R_STATUS_ERR" "$R_SOCK_ERR" \
		"$([ "$R_STATUSES" = - ] || echo "  [$R_STATUSES]")" >&2
}

# wrk_run CONNS DURATION SCRIPT URL OUT [ENV…]: one bounded wrk load, its
# output into OUT. With WRK_BG=1 it runs in the background: its PID (wrk's
# own: env execs it) in WRK_PID.
wrk_run() {
	local conns=$1 dur=$2 script=$3 url=$4 out=$5 threads=1
	shift 5
	[ "$conns" -gt 1 ] && threads=$WRK_THREADS
	if [ "${WRK_BG:-0}" = 1 ]; then
		env BENCH_LUA="$LUA" WRK_THREADS="$threads" "$@" \
			wrk -t"$threads" -c"$conns" -d"$dur" --timeout 10s -s "$LUA/$script" "$url" >"$out" 2>&1 &
		WRK_PID=$!
		PIDS+=("$WRK_PID")
	else
		env BENCH_LUA="$LUA" WRK_THREADS="$threads" "$@" \
			wrk -t"$threads" -c"$conns" -d"$dur" --timeout 10s -s "$LUA/$script" "$url" >"$out" 2>&1
	fi
}

# measure GROUP NAME SERVER CONNS ROUND DURATION SCRIPT URL [ENV…]: a load,
# with the CPU of SRV_PIDS and UP_PIDS around it, recorded.
measure() {
	local group=$1 name=$2 server=$3 conns=$4 round=$5 dur=$6 script=$7 url=$8 out c0 c1 u0=0 u1=0
	shift 8
	out=$LOG/wrk-$group-$name-$server-c$conns-r$round.txt
	c0=$(cpu_us "${SRV_PIDS[@]}")
	[ ${#UP_PIDS[@]} -eq 0 ] || u0=$(cpu_us "${UP_PIDS[@]}")
	wrk_run "$conns" "$dur" "$script" "$url" "$out" "$@"
	c1=$(cpu_us "${SRV_PIDS[@]}")
	[ ${#UP_PIDS[@]} -eq 0 ] || u1=$(cpu_us "${UP_PIDS[@]}")
	R_SOCK_ERR=0
	parse_result "$out"
	local up=-1
	[ ${#UP_PIDS[@]} -eq 0 ] || up=$((u1 - u0))
	record "$group" "$name" "$server" "$conns" "$round" $((c1 - c0)) "$up" "$(rss_kb "${SRV_PIDS[@]}")"
}

# --- A B C D ----------------------------------------------------------------
A_URL=http://127.0.0.1:$UP_PORT/healthz
B_URL=http://127.0.0.1:$B_PORT/healthz
C_PATH_URL=$C_URL/healthz
E_PATH_URL=$E_URL/healthz
G_PATH_URL=$G_URL/healthz
proxy_load() { # SCENARIO CONNS ROUND DURATION
	case $1 in
	A) SRV_PIDS=("$UP_PID") UP_PIDS=() ;;
	B) SRV_PIDS=("$B_PID") UP_PIDS=("$UP_PID") ;;
	C | D | E) SRV_PIDS=("$C_PID") UP_PIDS=("$UP_PID") ;;
	G) SRV_PIDS=("$G_PID") UP_PIDS=("$UP_PID") ;;
	esac
	case $1 in
	A) measure proxy A upstream "$2" "$3" "$4" get.lua "$A_URL" ;;
	B) measure proxy B caddy "$2" "$3" "$4" get.lua "$B_URL" ;;
	C) measure proxy C jwtgate "$2" "$3" "$4" get.lua "$C_PATH_URL" BEARER="$ACCESS" ;;
	D) measure proxy D jwtgate "$2" "$3" "$4" get.lua "$C_PATH_URL" BEARER="$INVALID" ;;
	E) measure proxy E jwtgate "$2" "$3" "$4" get.lua "$E_PATH_URL" BEARER="$ACCESS" ;;
	G) measure proxy G noauth "$2" "$3" "$4" get.lua "$G_PATH_URL" BEARER="$ACCESS" ;;
	esac
}
if section proxy; then
log "warming up A B C D E G (1 s each at 64 connections, not recorded)"
wrk_run 64 1s get.lua "$A_URL" "$LOG/warmup-A.txt"
wrk_run 64 1s get.lua "$B_URL" "$LOG/warmup-B.txt"
wrk_run 64 1s get.lua "$C_PATH_URL" "$LOG/warmup-C.txt" BEARER="$ACCESS"
wrk_run 64 1s get.lua "$C_PATH_URL" "$LOG/warmup-D.txt" BEARER="$INVALID"
wrk_run 64 1s get.lua "$E_PATH_URL" "$LOG/warmup-E.txt" BEARER="$ACCESS"
wrk_run 64 1s get.lua "$G_PATH_URL" "$LOG/warmup-G.txt" BEARER="$ACCESS"
log "A B C D E G: $PROXY_ROUNDS rounds × (1, 64 connections) × $DURATION"
for r in $(seq 1 "$PROXY_ROUNDS"); do
	for c in 1 64; do
		for s in A B C D E G; do proxy_load "$s" "$c" "$r" "$DURATION"; done
	done
done
fi

# --- CPU profiles of B, C and G at 64 connections ---------------------------
if [ "$PROFILE" = 1 ] && section proxy; then
	PROF_S=$DUR_S
	for s in B C G; do
		case $s in
		B) admin=$B_ADMIN url=$B_URL tok= ;;
		C) admin=$C_ADMIN url=$C_PATH_URL tok=$ACCESS ;;
		G) admin=$G_ADMIN url=$G_PATH_URL tok=$ACCESS ;;
		esac
		log "profiling $s for ${PROF_S}s at 64 connections (Caddy's admin /debug/pprof/profile)"
		WRK_BG=1 wrk_run 64 "$((PROF_S + 2))s" get.lua "$url" "$LOG/wrk-profile-$s.txt" BEARER="$tok"
		wpid=$WRK_PID
		sleep 1
		curl -s --max-time $((PROF_S + 10)) -o "$WORK/cpu-$s.pprof" "http://127.0.0.1:$admin/debug/pprof/profile?seconds=$PROF_S" ||
			log "no profile from $s"
		wait "$wpid" || true
		forget "$wpid"
		go tool pprof -top -nodecount=30 "$BIN/caddy" "$WORK/cpu-$s.pprof" >"$WORK/pprof-top-$s.txt" 2>/dev/null ||
			log "go tool pprof failed on $WORK/cpu-$s.pprof"
	done
	# what jwtgate's own frames cost in C (the reverse proxy below jwt_auth left out)
	go tool pprof -top -cum -nodecount=25 -focus jwtgate -ignore reverseproxy "$BIN/caddy" "$WORK/cpu-C.pprof" >"$WORK/pprof-top-C-jwtgate.txt" 2>/dev/null || true
fi

# --- the login storm ---------------------------------------------------------
# The Bearer route at STORM_CONNS connections, alone and while FLOOD_CONNS
# connections send logins with a wrong password: paced (each connection
# waits FLOOD_DELAY_MS between logins: a storm of up to
# FLOOD_CONNS*1000/FLOOD_DELAY_MS attempts/s, far beyond the hash rate) and
# unpaced (each connection sends its next login as soon as the 503 comes
# back). The control floods obtain as unpaced with an empty body (400
# before any hash): the same requests without the hashing, to tell the
# cost of hashing from the cost of answering a flood at all.
LOGIN_URL=$C_URL/userprofiles/api/token/
storm_with() { # NAME ROUND BODY DELAY_MS
	local out=$LOG/wrk-flood-$1-r$2.txt
	WRK_BG=1 wrk_run "$FLOOD_CONNS" "$((DUR_S + 2))s" post.lua "$LOGIN_URL" "$out" \
		BODY="$3" COUNT_STATUS=1 DELAY_MS="$4"
	local fpid=$WRK_PID
	sleep 1
	measure storm "bearer-$1" jwtgate "$STORM_CONNS" "$2" "$DURATION" get.lua "$C_PATH_URL" BEARER="$ACCESS"
	wait "$fpid" || true
	forget "$fpid"
	R_SOCK_ERR=0
	parse_result "$out"
	record storm "flood-$1" jwtgate "$FLOOD_CONNS" "$2" -1 -1 "$(rss_kb "$C_PID")"
	sleep 2 # let the hashes already started finish
}
if section storm; then
log "login storm: Bearer at $STORM_CONNS connections alone, during a paced login storm, an unpaced login flood and a control flood ($ROUNDS rounds)"
SRV_PIDS=("$C_PID") UP_PIDS=()
for r in $(seq 1 "$ROUNDS"); do
	measure storm bearer-alone jwtgate "$STORM_CONNS" "$r" "$DURATION" get.lua "$C_PATH_URL" BEARER="$ACCESS"
	storm_with paced "$r" "username=bench&password=wrong-password" "$FLOOD_DELAY_MS"
	storm_with unpaced "$r" "username=bench&password=wrong-password" 0
	storm_with control "$r" "" 0
done
fi

# --- forward auth: nginx alone (N) and nginx asking jwtgate (F) -------------
# The same upstream behind Debian's nginx (bench/nginx.conf), without and
# with auth_request to jwtgate's forward_auth endpoint; CPU is nginx's (N)
# and nginx's plus the gateway's (F).
if section forwardauth; then
	NGINX=${NGINX:-/usr/sbin/nginx}
	[ -x "$NGINX" ] || die "need nginx for the forwardauth section (apt-get install nginx), or leave it out of SECTIONS"
	port N_PORT
	port F_PORT
	mkdir -p "$WORK/nginx"
	sed -e "s|\$DIR|$WORK/nginx|g" -e "s|\$N_PORT|$N_PORT|g" -e "s|\$F_PORT|$F_PORT|g" \
		-e "s|\$UPSTREAM|127.0.0.1:$UP_PORT|g" -e "s|\$GATEWAY|127.0.0.1:$C_PORT|g" bench/nginx.conf >"$WORK/nginx/nginx.conf"
	log "N/F: nginx on 127.0.0.1:$N_PORT (alone) and 127.0.0.1:$F_PORT (auth_request to jwtgate)"
	"$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" >"$LOG/nginx.log" 2>&1 &
	NGINX_PID=$!
	PIDS+=("$NGINX_PID")
	wait_http "http://127.0.0.1:$N_PORT/healthz" || die "nginx did not start: $(tail -5 "$WORK/nginx/error.log")"
	check 200 "http://127.0.0.1:$N_PORT/healthz"
	check 200 -H "Authorization: Bearer $ACCESS" "http://127.0.0.1:$F_PORT/healthz"
	check 401 -H "Authorization: Bearer $INVALID" "http://127.0.0.1:$F_PORT/healthz"
	UP_PIDS=("$UP_PID")
	wrk_run 64 1s get.lua "http://127.0.0.1:$F_PORT/healthz" "$LOG/warmup-F.txt" BEARER="$ACCESS"
	log "N F: $PROXY_ROUNDS rounds × (1, 64 connections) × $DURATION"
	for r in $(seq 1 "$PROXY_ROUNDS"); do
		for c in 1 64; do
			SRV_PIDS=("$NGINX_PID")
			measure fauth N nginx "$c" "$r" "$DURATION" get.lua "http://127.0.0.1:$N_PORT/healthz"
			SRV_PIDS=("$NGINX_PID" "$C_PID")
			measure fauth F nginx+jwtgate "$c" "$r" "$DURATION" get.lua "http://127.0.0.1:$F_PORT/healthz" BEARER="$ACCESS"
		done
	done
	stop_pid "$NGINX_PID"
fi

# --- token routes: jwtgate and the Django reference ------------------------
DJANGO_ITERATIONS=-
if section tokens; then
REF=$ROOT/testdata/django_ref
DJ_KEY=$(head -c 36 /dev/urandom | base64 | tr '+/' '-_')
DJ_PID=
DJ_URL=
# start_django NAME ROTATE [ENV…]: gunicorn (2 sync workers) in the foreground
# of a background job, so its PID is ours.
start_django() {
	local name=$1 rot=$2
	shift 2
	port DJ_PORT
	env DJANGO_SECRET_KEY="$DJ_KEY" JWT_ROTATE_REFRESH_TOKENS="$rot" JWT_BLACKLIST_AFTER_ROTATION="$rot" \
		JWT_ACCESS_LIFETIME_S=3600 DJANGO_DEBUG=0 "$@" \
		/usr/bin/python3 -m gunicorn --chdir "$REF" --workers 2 --bind "127.0.0.1:$DJ_PORT" \
		django_ref.wsgi:application >"$LOG/django-$name.log" 2>&1 &
	DJ_PID=$!
	PIDS+=("$DJ_PID")
	DJ_URL=http://127.0.0.1:$DJ_PORT
	wait_http "$DJ_URL/movieapi/movie/" || die "Django ($name) did not start: $(tail -5 "$LOG/django-$name.log")"
}
django_pids() { echo "$DJ_PID" $(pgrep -P "$DJ_PID" || true); }
# init_django ENV…: migrate and seed (user siva / siva) a fresh database.
init_django() {
	env REF_VAR_DIR="$WORK/django" DJANGO_SECRET_KEY="$DJ_KEY" "$@" "$REF/reset_db.sh" >"$LOG/django-reset.log" 2>&1 ||
		die "Django reset_db.sh failed: $(tail -5 "$LOG/django-reset.log")"
}
# pool BASE USER PASSWORD N FILE: N refresh tokens, one per line.
pool() {
	local i
	: >"$5"
	for i in $(seq 1 "$4"); do
		obtain "$1" "$2" "$3"
		echo "$OB_REFRESH" >>"$5"
	done
}
# token_load ROUTE ROUND SERVER BASE REFRESH ACCESS [POOL]: one load of ROUTE at SERVER.
token_load() {
	local route=$1 r=$2 server=$3 base=$4 refresh=$5 access=$6 pool_file=${7:-}
	if [ "$server" = jwtgate ]; then SRV_PIDS=("$GW_CUR_PID"); else read -ra SRV_PIDS < <(django_pids); fi
	UP_PIDS=()
	case $route in
	refresh-rotate-*) measure token "$route" "$server" "$TOKEN_CONNS" "$r" "$DURATION" rotate.lua \
		"$base/userprofiles/api/token/refresh/" TOKENS_FILE="$pool_file.$r" ;;
	refresh-*) measure token "$route" "$server" "$TOKEN_CONNS" "$r" "$DURATION" post.lua \
		"$base/userprofiles/api/token/refresh/" BODY="refresh=$refresh" ;;
	verify) measure token verify "$server" "$TOKEN_CONNS" "$r" "$DURATION" post.lua \
		"$base/userprofiles/api/token/verify/" BODY="token=$access" ;;
	obtain)
		if [ "$server" = jwtgate ]; then
			# one core's raw hash rate in the same round, just before
			raw_hash "$LOG/pbkdf2-r$r.txt" 1
			R_REQ=1 R_DUR=$((RAW_NS / 1000)) R_P50=$((RAW_NS / 1000)) R_P99=$((RAW_NS / 1000)) R_STATUS_ERR=0 R_SOCK_ERR=0 R_STATUSES=-
			record hash raw go 1 "$r" -1 -1 0
		fi
		measure token obtain "$server" "$OBTAIN_CONNS" "$r" "$OBTAIN_DURATION" post.lua \
		"$base/userprofiles/api/token/" BODY="$(
			if [ "$server" = jwtgate ]; then echo "username=bench&password=$BENCH_PASSWORD"; else echo "username=siva&password=siva"; fi
		)" ;;
	esac
}
# token_rounds "ROUTE…": ROUNDS rounds of each route, jwtgate then Django.
# Uses GW_CUR_PID/GW_BASE/GW_REFRESH/GW_ACCESS/GW_POOL and DJ_* (when DJANGO=1).
token_rounds() {
	local r route
	for r in $(seq 1 "$ROUNDS"); do
		for route in $1; do
			if [[ $route == refresh-rotate-* ]]; then
				# one token per connection and a spare per wrk thread (see rotate.lua)
				pool "$GW_BASE" bench "$GW_POOL_PASSWORD" "$((TOKEN_CONNS + WRK_THREADS))" "$GW_POOL.$r"
				[ "$DJANGO" = 0 ] || pool "$DJ_URL" siva siva "$((TOKEN_CONNS + WRK_THREADS))" "$DJ_POOL.$r"
			fi
			token_load "$route" "$r" jwtgate "$GW_BASE" "$GW_REFRESH" "$GW_ACCESS" "$GW_POOL"
			[ "$DJANGO" = 0 ] || token_load "$route" "$r" django "$DJ_URL" "$DJ_REFRESH" "$DJ_ACCESS" "$DJ_POOL"
		done
	done
}
django_tokens() {
	obtain "$DJ_URL" siva siva
	DJ_REFRESH=$OB_REFRESH DJ_ACCESS=$OB_ACCESS
}

DJ_POOL=$WORK/django-pool
GW_POOL=$WORK/gateway-pool
if [ "$DJANGO" = 1 ]; then
	DJANGO_ITERATIONS=$(/usr/bin/python3 -c 'from django.contrib.auth.hashers import PBKDF2PasswordHasher as h; print(h.iterations)')
	log "Django reference: migrating a SQLite database"
	init_django DJANGO_DB_PATH="$WORK/django/db.sqlite3"
	start_django sqlite false DJANGO_DB_PATH="$WORK/django/db.sqlite3"
	django_tokens
fi

log "token routes on SQLite without rotation: refresh, verify, obtain ($ROUNDS rounds)"
GW_CUR_PID=$C_PID GW_BASE=$C_URL GW_REFRESH=$REFRESH GW_ACCESS=$ACCESS
token_rounds "refresh-sqlite verify obtain"
[ -z "$DJ_PID" ] || stop_pid "$DJ_PID"
# The login storm and obtain are done with this instance; C stays up for
# nothing else.
stop_pid "$C_PID"
C_PID=

# The rotating instances hash at 1000 iterations: refresh never hashes, and
# their token pools (one login per connection per round) fill at once.
GW_POOL_PASSWORD=$BENCH_PASSWORD
log "token routes on SQLite with rotation and blacklist ($ROUNDS rounds)"
port R_PORT
port R_ADMIN
start_gateway rotate-sqlite "$R_PORT" "$R_ADMIN" "" true 1000
GW_CUR_PID=$GW_PID GW_BASE=http://127.0.0.1:$R_PORT
[ "$DJANGO" = 0 ] || start_django sqlite-rotate true DJANGO_DB_PATH="$WORK/django/db.sqlite3"
token_rounds "refresh-rotate-sqlite"
stop_pid "$GW_CUR_PID"
[ -z "$DJ_PID" ] || stop_pid "$DJ_PID"

if [ "$PG" = 1 ]; then
	GW_DB=jwtgate_bench_gw_$$
	DJ_DB=jwtgate_bench_dj_$$
	createdb -h 127.0.0.1 -p 5432 -U postgres "$GW_DB"
	PG_DBS+=("$GW_DB")
	PG_URL="postgres://postgres@127.0.0.1:5432/$GW_DB?sslmode=disable"
	if [ "$DJANGO" = 1 ]; then
		createdb -h 127.0.0.1 -p 5432 -U postgres "$DJ_DB"
		PG_DBS+=("$DJ_DB")
		log "Django reference: migrating a PostgreSQL database"
		init_django DJANGO_PG_NAME="$DJ_DB"
	fi
	log "token routes on PostgreSQL without rotation ($ROUNDS rounds)"
	port P_PORT
	port P_ADMIN
	start_gateway pg "$P_PORT" "$P_ADMIN" "$PG_URL" false 1000
	GW_CUR_PID=$GW_PID GW_BASE=http://127.0.0.1:$P_PORT
	obtain "$GW_BASE" bench "$BENCH_PASSWORD"
	GW_REFRESH=$OB_REFRESH GW_ACCESS=$OB_ACCESS
	if [ "$DJANGO" = 1 ]; then
		start_django pg false DJANGO_PG_NAME="$DJ_DB"
		django_tokens
	fi
	token_rounds "refresh-pg"
	stop_pid "$GW_CUR_PID"
	[ -z "$DJ_PID" ] || stop_pid "$DJ_PID"

	log "token routes on PostgreSQL with rotation and blacklist ($ROUNDS rounds)"
	port P_PORT
	port P_ADMIN
	# the same database: the user bench exists already
	gateway_env pg-rotate "$P_PORT" "$P_ADMIN" "$PG_URL" true 1000
	mkdir -p "$WORK/pg-rotate"
	env "${GW_ENV[@]}" "$BIN/caddy" run --config bench/gateway.Caddyfile --adapter caddyfile >"$LOG/pg-rotate.log" 2>&1 &
	GW_PID=$!
	PIDS+=("$GW_PID")
	wait_http "http://127.0.0.1:$P_PORT/healthz" || die "gateway pg-rotate did not start: $(tail -5 "$LOG/pg-rotate.log")"
	GW_CUR_PID=$GW_PID GW_BASE=http://127.0.0.1:$P_PORT
	[ "$DJANGO" = 0 ] || start_django pg-rotate true DJANGO_PG_NAME="$DJ_DB"
	token_rounds "refresh-rotate-pg"
	stop_pid "$GW_CUR_PID"
	[ -z "$DJ_PID" ] || stop_pid "$DJ_PID"
fi
fi # tokens
[ -z "$C_PID" ] || stop_pid "$C_PID"
stop_pid "$B_PID"
stop_pid "$UP_PID"

# --- the report ---------------------------------------------------------------
T1=$(date +%s)
{
	echo "DURATION=$DURATION"
	echo "OBTAIN_DURATION=$OBTAIN_DURATION"
	echo "PASSWORD_ITERATIONS=$PASSWORD_ITERATIONS"
	echo "RAW_HASH_NS=$RAW_HASH_NS"
	echo "RAW_HASH_BENCH=$HASH_BENCH"
	echo "HASH_WORKERS=$HASH_WORKERS"
	echo "HASH_QUEUE=$((8 * HASH_WORKERS))"
	echo "HASH_WAIT=2s"
	echo "FLOOD_CONNS=$FLOOD_CONNS"
	echo "FLOOD_DELAY_MS=$FLOOD_DELAY_MS"
	echo "FLOOD_MAX_RATE=$((FLOOD_CONNS * 1000 / (FLOOD_DELAY_MS > 0 ? FLOOD_DELAY_MS : 1)))"
	echo "DJANGO_ITERATIONS=$DJANGO_ITERATIONS"
	echo "DJANGO_WORKERS=2"
	echo "SIMPLEJWT_VERSION=$(dpkg-query -W -f='${Version}' python3-djangorestframework-simplejwt 2>/dev/null || echo '?')"
} >"$META"

{
	echo "## jwtgate benchmark: bench/run.sh $MODE"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); run took $((T1 - T0)) s"
	echo "- machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/^MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr); $(go version | cut -d' ' -f3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
	echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (wrk, the servers and anything else share the $(nproc) CPUs)"
	echo "- settings: DURATION=$DURATION PROXY_ROUNDS=$PROXY_ROUNDS ROUNDS=$ROUNDS OBTAIN_DURATION=$OBTAIN_DURATION TOKEN_CONNS=$TOKEN_CONNS OBTAIN_CONNS=$OBTAIN_CONNS STORM_CONNS=$STORM_CONNS FLOOD_CONNS=$FLOOD_CONNS WRK_THREADS=$WRK_THREADS (1 for 1 connection)"
	echo "- D's token is C's with a broken signature (the HMAC is computed, then 401); the proxied route is the upstream's GET /healthz (a fixed \"ok\": it measures the proxy, not SQLite)"
	echo
	"$BIN/benchreport" "$RESULTS" "$META"
	if [ "$PROFILE" = 1 ]; then
		for s in B C G; do
			[ -s "$WORK/pprof-top-$s.txt" ] || continue
			echo
			echo "### CPU profile of $s at 64 connections (go tool pprof -top, ${DUR_S}s)"
			echo
			echo '```'
			sed -n '1,40p' "$WORK/pprof-top-$s.txt"
			echo '```'
		done
		if [ -s "$WORK/pprof-top-C-jwtgate.txt" ]; then
			echo
			echo "### C's profile, jwtgate's own frames (-focus jwtgate -ignore reverseproxy -cum)"
			echo
			echo '```'
			sed -n '1,30p' "$WORK/pprof-top-C-jwtgate.txt"
			echo '```'
		fi
	fi
	echo
	echo "Raw results: $RESULTS; wrk output and server logs: $LOG; profiles: $WORK/cpu-*.pprof"
} | tee "$WORK/report.md"
