#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Registrar benchmark (DESIGN.md section 8): USERS digest-authenticated
# registrations of distinct users at RATE/s from sipp, against Kamailio
# and/or sipserver in the same run; reports server CPU-seconds per 1000
# registrations, failures, memory per binding, and sipserver/kamailio.
# The servers take turns RUNS times (each run on a fresh server and
# database) and the CPU figure is the median of the runs: on a shared
# machine one run of either server varies by a fifth or more.
#
# usage: bench_register.sh [kamailio|sipserver|both]   (default both)
set -u
. "$(dirname "$0")/lib.sh"

USERS=${USERS:-10000}
RUNS=${RUNS:-3}
RATE=${RATE:-500}
DOMAIN=127.0.0.1

case "${KAM_USRLOC_DB_MODE:-}" in
"" | 2) ;;
*) bench_die "KAM_USRLOC_DB_MODE: only 2 (write-back) works, see registrar.cfg" ;;
esac

SERVERS=$(bench_servers "${1:-both}")
bench_check_tools sqlite3
case "$SERVERS" in
*kamailio*) bench_check_tools "$KAMAILIO_BIN" ;;
esac
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_workdir register

declare -A RES

# start_server SERVER DIR PORT CSV: the registrar role, users provisioned.
start_server() {
	local srv=$1 dir=$2 port=$3 csv=$4
	case "$srv" in
	kamailio)
		bench_kamailio_db "$dir/kamailio.sqlite"
		bench_users_sql "$csv" "$DOMAIN" |
			sqlite3 "$dir/kamailio.sqlite" ||
			bench_die "cannot fill the subscriber table"
		bench_start_kamailio "$BENCH_DIR/kamailio/registrar.cfg" \
			"$port" "$dir/server.log" \
			"DBURL=\"sqlite:///$dir/kamailio.sqlite\"" \
			${KAM_USRLOC_DB_MODE:+"USRLOC_DB_MODE=$KAM_USRLOC_DB_MODE"}
		;;
	sipserver)
		bench_start_sipserver "$BENCH_DIR/sipserver/registrar.xml" \
			"$port" "$dir/server.log"
		bench_sipserver_users "$csv" "$DOMAIN"
		;;
	esac
}

# run_one SERVER: one full measurement; results into RES[SERVER.*].
run_one() {
	local srv=$1 dir=$BENCH_WORK/$1 port cport mport csv limit
	local cpu0 cpu1 mem0 mem1 t0 t1 ok failed retr
	# Each run starts empty (sipserver's state directory is this one).
	rm -rf "$dir"
	mkdir -p "$dir"
	bench_free_port port
	bench_free_port cport
	bench_free_port mport
	csv=$dir/users.csv
	bench_users "$csv" user "$USERS" "127.0.0.1:$cport"

	bench_log "$srv: starting on udp:127.0.0.1:$port, $USERS users"
	start_server "$srv" "$dir" "$port" "$csv"

	# Bounded: the sending time plus room for retransmissions.
	limit=$((USERS / RATE + 60))
	mem0=$(bench_mem_kb "$SERVER_PID")
	cpu0=$(bench_cpu_ticks "$SERVER_PID")
	t0=$(date +%s.%N)
	bench_sipp "$dir/reg" register_auth.xml "$limit" \
		-inf "$csv" -p "$cport" -mp "$mport" \
		-r "$RATE" -m "$USERS" -l $((RATE * 10)) "127.0.0.1:$port"
	bench_log "$srv: sipp registering $USERS users at $RATE/s"
	bench_wait_exit "$BENCH_LAST_PID" $((limit + 15))
	t1=$(date +%s.%N)
	if [ "$srv" = kamailio ] && [ -n "${KAM_USRLOC_DB_MODE:-}" ]; then
		# Write-back: the window ends when every binding is on disk.
		bench_wait_rows "$dir/kamailio.sqlite" location \
			"$(bench_sipp_stat "$dir/reg.stat.csv" "SuccessfulCall(C)")" ||
			bench_log "$srv: not every binding reached the database"
	fi
	bench_alive "$SERVER_PID" || bench_die "$srv died during the load"
	cpu1=$(bench_cpu_ticks "$SERVER_PID")
	mem1=$(bench_mem_kb "$SERVER_PID")
	if [ "$srv" = sipserver ]; then
		# Group commit at work: commits and their average batch.
		RES[sipserver.commits]=$("$SIPSERVER_BIN" -C "$SIPSERVER_CONF" \
			-rx "location stats" </dev/null 2>/dev/null |
			awk '/^commits/ { print $2 " (avg batch " $12 ")" }')
	fi
	bench_stop "$SERVER_PID"

	ok=$(bench_sipp_stat "$dir/reg.stat.csv" "SuccessfulCall(C)") ||
		bench_die "$srv: no sipp statistics (see $dir/reg.out)"
	failed=$(bench_sipp_stat "$dir/reg.stat.csv" "FailedCall(C)")
	retr=$(bench_sipp_stat "$dir/reg.stat.csv" "Retransmissions(C)")
	RES[$srv.sipp]=$BENCH_STATUS
	RES[$srv.ok]=$ok
	RES[$srv.failed]=$failed
	RES[$srv.retr]=$retr
	RES[$srv.cpu]=$(awk -v t=$((cpu1 - cpu0)) -v hz="$BENCH_HZ" \
		'BEGIN { printf "%.2f", t / hz }')
	RES[$srv.per1000]=$(bench_per1000 $((cpu1 - cpu0)) "$ok")
	RES[$srv.wall]=$(awk -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%.1f", b - a }')
	RES[$srv.memc]=$(awk -v d=$((mem1 - mem0)) -v n="$ok" \
		'BEGIN { if (n > 0) printf "%.0f", d * 1024 / n; else print "-" }')
	RES[$srv.mem]=$mem1
	bench_log "$srv: $ok ok, $failed failed, ${RES[$srv.cpu]} CPU-s," \
		"sipp status $BENCH_STATUS"
}

# bench_median VALUES...: the median (the lower middle one of an even count).
bench_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

declare -A RUNS_PER1000 FAILED_RUNS
for ((run = 1; run <= RUNS; run++)); do
	for s in $SERVERS; do
		run_one "$s"
		RUNS_PER1000[$s]="${RUNS_PER1000[$s]:-} ${RES[$s.per1000]}"
		if [ "${RES[$s.failed]}" != 0 ] || [ "${RES[$s.ok]}" != "$USERS" ]; then
			FAILED_RUNS[$s]=$((${FAILED_RUNS[$s]:-0} + 1))
		fi
	done
done
for s in $SERVERS; do
	# shellcheck disable=SC2086
	RES[$s.median]=$(bench_median ${RUNS_PER1000[$s]})
	# shellcheck disable=SC2086
	RES[$s.runs]=$(printf '%s,' ${RUNS_PER1000[$s]})
	RES[$s.runs]=${RES[$s.runs]%,}
done

row() {
	local label=$1 key=$2 k s
	k=${RES[kamailio.$key]:--}
	s=${RES[sipserver.$key]:--}
	printf '%-36s %12s %12s %10s\n' "$label" "$k" "$s" "$(bench_ratio "$s" "$k")"
}

echo
echo "registrar: $USERS digest-authenticated registrations (distinct users)" \
	"at $RATE/s, UDP 127.0.0.1, $(nproc) CPUs"
printf '%-36s %12s %12s %10s\n' metric kamailio sipserver ratio
row "server CPU-s per 1000 registrations" median
echo "  each of the $RUNS runs: kamailio ${RES[kamailio.runs]:--}," \
	"sipserver ${RES[sipserver.runs]:--}"
echo "last run:"
row "server CPU-seconds under load" cpu
row "successful registrations" ok
row "failed registrations" failed
row "sipp retransmissions" retr
row "memory growth per registration (B)" memc
row "server memory after load (kB, Pss)" mem
row "wall seconds of the load" wall
[ -n "${RES[sipserver.commits]:-}" ] &&
	echo "sipserver database commits: ${RES[sipserver.commits]}"
echo "ratio = sipserver/kamailio (CPU: of the medians); target (DESIGN.md 8): CPU ratio <= 0.50"

status=0
for s in $SERVERS; do
	if [ -n "${FAILED_RUNS[$s]:-}" ]; then
		bench_log "$s: registrations failed in ${FAILED_RUNS[$s]} of $RUNS runs"
		status=1
	fi
done
exit $status
