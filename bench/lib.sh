# Shared by bench/run.sh and bench/scale.sh (sourced, not run): logging,
# the processes a run starts (each recorded in PIDS and stopped by its
# PID), loopback ports, and waiting for a server.

log() { printf '==> %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

PIDS=()
# stop_pid PID: TERM, up to 10 s, then KILL; reaped and forgotten.
stop_pid() {
	local p=$1 i
	kill -TERM "$p" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	forget "$p"
}
# forget PID: a process that has ended (and was waited for).
forget() {
	local keep=() q
	for q in "${PIDS[@]}"; do [ "$q" = "$1" ] || keep+=("$q"); done
	PIDS=("${keep[@]}")
}

NEXT_PORT=$((20000 + RANDOM % 20000))
# port VAR: a free loopback port into VAR.
port() {
	while (: >"/dev/tcp/127.0.0.1/$NEXT_PORT") 2>/dev/null; do NEXT_PORT=$((NEXT_PORT + 1)); done
	printf -v "$1" '%d' "$NEXT_PORT"
	NEXT_PORT=$((NEXT_PORT + 1))
}

# wait_http URL: until anything answers (bounded: 20 s).
wait_http() {
	local i
	for i in $(seq 1 200); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" || true)" != 000 ] && return 0
		sleep 0.1
	done
	return 1
}
