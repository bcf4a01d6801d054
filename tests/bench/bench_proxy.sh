#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Stateful proxy benchmark (DESIGN.md section 8): sipp callers place
# INVITE/180/200/ACK/BYE/200 calls through the proxy (Record-Route,
# location lookup) to USERS registered sipp callees, against Kamailio
# and/or sipserver in the same run. Reports server CPU-seconds per 1000
# calls, failures and memory per binding, then the concurrency check: CPU
# per 1000 calls with ~CONC_LOW and ~CONC_HIGH calls held open at once.
#
# usage: bench_proxy.sh [kamailio|sipserver|both]   (default both)
set -u
. "$(dirname "$0")/lib.sh"

USERS=${USERS:-10000}
CALLS=${CALLS:-5000}
RATE=${RATE:-500}
# Concurrency check: CONC_CALLS calls at RATE/s, each held open long
# enough that RATE * hold = CONC_LOW, then CONC_HIGH. CONC_CALLS=0 skips.
CONC_CALLS=${CONC_CALLS:-20000}
CONC_LOW=${CONC_LOW:-100}
CONC_HIGH=${CONC_HIGH:-10000}

SERVERS=$(bench_servers "${1:-both}")
bench_check_tools
case "$SERVERS" in
*kamailio*) bench_check_tools "$KAMAILIO_BIN" ;;
esac
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
bench_workdir proxy

declare -A RES

# A stateful proxy with several workers (Kamailio's processes, sipserver's
# loops) may forward two messages of a call in either order: a 180 after
# the 200, a BYE before the ACK when the call is not held. The call runs
# let sipp go on past such a message instead of failing the call; the
# count of them is reported. A message that breaks a call still makes it
# fail (by timeout).
CALL_BEHAVIORS="all,-bye,-abortunexp"

start_server() {
	local srv=$1 dir=$2 port=$3
	case "$srv" in
	kamailio)
		bench_start_kamailio "$BENCH_DIR/kamailio/proxy.cfg" \
			"$port" "$dir/server.log"
		;;
	sipserver)
		bench_start_sipserver "$BENCH_DIR/sipserver/proxy.xml" \
			"$port" "$dir/server.log"
		;;
	esac
}

# register_callees SRV DIR PORT CSV: binds every callee to the sipp UAS;
# records the memory the bindings took.
register_callees() {
	local srv=$1 dir=$2 port=$3 csv=$4 rport mport mem0 mem1 ok limit
	bench_free_port rport
	bench_free_port mport
	limit=$((USERS / 2000 + 60))
	mem0=$(bench_mem_kb "$SERVER_PID")
	bench_sipp "$dir/reg" register_callee.xml "$limit" -inf "$csv" \
		-p "$rport" -mp "$mport" -r 2000 -m "$USERS" -l 20000 \
		"127.0.0.1:$port"
	bench_wait_exit "$BENCH_LAST_PID" $((limit + 15))
	ok=$(bench_sipp_stat "$dir/reg.stat.csv" "SuccessfulCall(C)") ||
		bench_die "$srv: no statistics of the registrations"
	[ "$ok" = "$USERS" ] ||
		bench_die "$srv: only $ok of $USERS callees registered" \
			"(see $dir/reg.err.log)"
	mem1=$(bench_mem_kb "$SERVER_PID")
	RES[$srv.memc]=$(awk -v d=$((mem1 - mem0)) -v n="$ok" \
		'BEGIN { printf "%.0f", d * 1024 / n }')
}

# run_calls SRV DIR PORT CSV TAG COUNT HOLD_MS: one load of COUNT calls
# at RATE/s, each held HOLD_MS after the ACK; results in RES[SRV.TAG.*].
run_calls() {
	local srv=$1 dir=$2 port=$3 csv=$4 tag=$5 count=$6 hold=$7
	local limit uport umport cport cmport uas uac cpu0 cpu1 ok failed
	limit=$((count / RATE + hold / 1000 + 60))
	# The callees are bound to 127.0.0.1:UAS_PORT: each load starts a
	# fresh UAS there (the previous one has exited).
	uport=$UAS_PORT
	bench_free_port umport
	bench_free_port cport
	bench_free_port cmport

	BENCH_SIPP_BEHAVIORS=$CALL_BEHAVIORS \
		bench_sipp "$dir/$tag.uas" uas_callee.xml "$limit" \
		-p "$uport" -mp "$umport" -m "$count"
	uas=$BENCH_LAST_PID
	bench_wait_bound "$uas" "$uport" ||
		bench_die "$srv: sipp UAS did not bind $uport"

	cpu0=$(bench_cpu_ticks "$SERVER_PID")
	BENCH_SIPP_BEHAVIORS=$CALL_BEHAVIORS \
		bench_sipp "$dir/$tag.uac" uac_call.xml "$limit" -inf "$csv" \
		-p "$cport" -mp "$cmport" -r "$RATE" -m "$count" \
		-l $((count + 100)) -d "$hold" "127.0.0.1:$port"
	uac=$BENCH_LAST_PID
	bench_log "$srv: $tag: $count calls at $RATE/s, held ${hold} ms"
	bench_wait_exit "$uac" $((limit + 15))
	RES[$srv.$tag.uacst]=$BENCH_STATUS
	bench_alive "$SERVER_PID" || bench_die "$srv died during the load"
	cpu1=$(bench_cpu_ticks "$SERVER_PID")
	bench_wait_exit "$uas" 30
	RES[$srv.$tag.uasst]=$BENCH_STATUS

	ok=$(bench_sipp_stat "$dir/$tag.uac.stat.csv" "SuccessfulCall(C)") ||
		bench_die "$srv: no sipp statistics (see $dir/$tag.uac.out)"
	failed=$(bench_sipp_stat "$dir/$tag.uac.stat.csv" "FailedCall(C)")
	RES[$srv.$tag.ok]=$ok
	RES[$srv.$tag.failed]=$failed
	RES[$srv.$tag.uasfailed]=$(bench_sipp_stat "$dir/$tag.uas.stat.csv" \
		"FailedCall(C)")
	RES[$srv.$tag.retr]=$(bench_sipp_stat "$dir/$tag.uac.stat.csv" \
		"Retransmissions(C)")
	RES[$srv.$tag.unexp]=$(($(bench_sipp_continued "$dir/$tag.uac") +
		$(bench_sipp_continued "$dir/$tag.uas")))
	RES[$srv.$tag.peak]=$(bench_sipp_max "$dir/$tag.uac.stat.csv" \
		"CurrentCall")
	RES[$srv.$tag.cpu]=$(awk -v t=$((cpu1 - cpu0)) -v hz="$BENCH_HZ" \
		'BEGIN { printf "%.2f", t / hz }')
	RES[$srv.$tag.per1000]=$(bench_per1000 $((cpu1 - cpu0)) "$ok")
	bench_log "$srv: $tag: $ok ok, $failed failed," \
		"${RES[$srv.$tag.cpu]} CPU-s, peak ${RES[$srv.$tag.peak]} calls"
}

run_one() {
	local srv=$1 dir=$BENCH_WORK/$1 port csv
	mkdir -p "$dir"
	bench_free_port port
	bench_free_port UAS_PORT
	csv=$dir/callees.csv
	bench_users "$csv" callee "$USERS" "127.0.0.1:$UAS_PORT"

	bench_log "$srv: starting on udp:127.0.0.1:$port, $USERS callees"
	start_server "$srv" "$dir" "$port"
	register_callees "$srv" "$dir" "$port" "$csv"
	run_calls "$srv" "$dir" "$port" "$csv" main "$CALLS" 0
	if [ "$CONC_CALLS" -gt 0 ]; then
		run_calls "$srv" "$dir" "$port" "$csv" low "$CONC_CALLS" \
			$((CONC_LOW * 1000 / RATE))
		run_calls "$srv" "$dir" "$port" "$csv" high "$CONC_CALLS" \
			$((CONC_HIGH * 1000 / RATE))
		RES[$srv.cliff]=$(bench_ratio "${RES[$srv.high.per1000]}" \
			"${RES[$srv.low.per1000]}")
	fi
	RES[$srv.mem]=$(bench_mem_kb "$SERVER_PID")
	bench_stop "$SERVER_PID"
}

for s in $SERVERS; do
	run_one "$s"
done

row() {
	local label=$1 key=$2 k s r
	k=${RES[kamailio.$key]:--}
	s=${RES[sipserver.$key]:--}
	r=$(bench_ratio "$s" "$k")
	printf '%-40s %11s %11s %8s\n' "$label" "$k" "$s" "$r"
}

echo
echo "proxy: stateful, Record-Route, location lookup; $USERS registered" \
	"callees; UDP 127.0.0.1, $(nproc) CPUs"
printf '%-40s %11s %11s %8s\n' metric kamailio sipserver ratio
echo "-- $CALLS calls at $RATE/s (INVITE/180/200/ACK/BYE/200)"
row "server CPU-s per 1000 calls" main.per1000
row "server CPU-seconds under load" main.cpu
row "successful calls" main.ok
row "failed calls (caller)" main.failed
row "failed calls (callee)" main.uasfailed
row "sipp retransmissions (caller)" main.retr
row "reordered messages passed over (sipp)" main.unexp
row "memory per binding (bytes, Pss)" memc
row "server memory at the end (kB, Pss)" mem
if [ "$CONC_CALLS" -gt 0 ]; then
	echo "-- concurrency: $CONC_CALLS calls at $RATE/s, held open" \
		"$((CONC_LOW * 1000 / RATE)) ms vs $((CONC_HIGH * 1000 / RATE)) ms"
	row "peak concurrent calls (low)" low.peak
	row "server CPU-s per 1000 calls (low)" low.per1000
	row "failed calls (low)" low.failed
	row "reordered messages passed over (low)" low.unexp
	row "peak concurrent calls (high)" high.peak
	row "server CPU-s per 1000 calls (high)" high.per1000
	row "failed calls (high)" high.failed
	row "reordered messages passed over (high)" high.unexp
	row "CPU per call high/low (no cliff: ~1)" cliff
fi
echo "ratio = sipserver/kamailio; target (DESIGN.md 8): CPU ratio <= 0.50"

status=0
for s in $SERVERS; do
	for t in main low high; do
		[ -n "${RES[$s.$t.failed]:-}" ] || continue
		if [ "${RES[$s.$t.failed]}" != 0 ] ||
			[ "${RES[$s.$t.uasfailed]}" != 0 ] ||
			[ "${RES[$s.$t.uacst]}" != 0 ]; then
			bench_log "$s: $t: ${RES[$s.$t.failed]} failed calls"
			status=1
		fi
	done
done
exit $status
