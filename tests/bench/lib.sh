# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers of the benchmarks (sourced by bench_*.sh, bash): free
# loopback ports, starting and stopping servers and sipp by PID, waiting on
# conditions (a server's UDP port answers OPTIONS, a socket is bound), CPU
# time and memory of a process tree from /proc, sipp's statistics, users.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_TOP=$(cd "$BENCH_DIR/../.." && pwd)
BENCH_HZ=$(getconf CLK_TCK)
BENCH_PIDS=""
BENCH_PORTS=" "

# Servers under test. SIPSERVER_BIN and SIPSERVER_START can be overridden
# from the environment (see README.md); @CONF@ in SIPSERVER_START is
# replaced by the generated config file.
KAMAILIO_BIN=${KAMAILIO_BIN:-kamailio}
SIPSERVER_BIN=${SIPSERVER_BIN:-$BENCH_TOP/core/sipserver}
SIPSERVER_START=${SIPSERVER_START:-"$SIPSERVER_BIN -C @CONF@ -f"}

bench_log() {
	printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

bench_die() {
	bench_log "ERROR: $*"
	exit 1
}

# bench_workdir NAME: a fresh directory for one run's files, kept when
# BENCH_KEEP=1 (logs, sipp statistics) and removed at exit otherwise.
bench_workdir() {
	BENCH_WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipserver-bench-$1.XXXXXX")
}

# Ports in use on the machine, decimal, one per line: every local port of
# /proc/net/{udp,udp6,tcp,tcp6}, whatever the address.
bench_ports_in_use() {
	cat /proc/net/udp /proc/net/udp6 /proc/net/tcp /proc/net/tcp6 \
		2>/dev/null |
		awk 'NR > 1 && $2 ~ /:/ { n = split($2, a, ":");
			print a[n] }' |
		while read -r hex; do echo $((16#$hex)); done | sort -u
}

# bench_free_port VAR: sets VAR to a loopback port P such that P..P+3 are
# free and were not handed out before in this run (sipp binds its media
# port and the ones after it). Ports come from 20000-59999 at random. Not
# in a subshell: the ports handed out are remembered in BENCH_PORTS.
bench_free_port() {
	local used p i ok try
	used=" $(bench_ports_in_use | tr '\n' ' ') "
	for try in $(seq 1 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		p=$((p - p % 4))
		ok=1
		for i in 0 1 2 3; do
			case "$used$BENCH_PORTS" in
			*" $((p + i)) "*) ok=0 ;;
			esac
		done
		if [ "$ok" -eq 1 ]; then
			BENCH_PORTS="$BENCH_PORTS$p $((p + 1)) $((p + 2)) $((p + 3)) "
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	bench_die "no free port found in $try tries"
}

# bench_udp_bound PORT: true when some socket is bound to UDP PORT.
bench_udp_bound() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h=":$hex" 'NR > 1 && substr($2, length($2) - 4) == h {
		f = 1 } END { exit !f }' /proc/net/udp /proc/net/udp6 2>/dev/null
}

# bench_start LOG CMD...: starts CMD in the background with its output in
# LOG, records its PID for cleanup, and sets BENCH_LAST_PID.
bench_start() {
	local log=$1
	shift
	"$@" </dev/null >"$log" 2>&1 &
	BENCH_LAST_PID=$!
	BENCH_PIDS="$BENCH_PIDS $BENCH_LAST_PID"
}

# bench_alive PID
bench_alive() {
	kill -0 "$1" 2>/dev/null
}

# bench_tree PID: PID and all its descendants (processes forked by it and
# by its children), one per line. Threads are not listed: a process's
# /proc/PID/stat already sums its threads.
bench_tree() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$1" '
	{
		i = index($0, ") ");
		split(substr($0, i + 2), f, " ");
		pid = $1 + 0;
		parent[pid] = f[2] + 0;
		seen[pid] = 1;
	}
	END {
		if (!(root in seen))
			exit 1;
		out[root] = 1;
		do {
			grew = 0;
			for (p in parent)
				if (!(p in out) && (parent[p] in out)) {
					out[p] = 1;
					grew = 1;
				}
		} while (grew);
		for (p in out)
			print p;
	}'
}

# bench_cpu_ticks PID: utime+stime of PID's whole tree, plus cutime+cstime
# (children that exited and were reaped), in clock ticks (BENCH_HZ/s).
bench_cpu_ticks() {
	local pids p total=0 line
	pids=$(bench_tree "$1") || bench_die "process $1 is gone"
	for p in $pids; do
		line=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		line=${line##*) }
		# shellcheck disable=SC2086
		set -- $line
		# Fields 14-17 of stat are 12-15 after "pid (comm) ".
		total=$((total + ${12} + ${13} + ${14} + ${15}))
	done
	echo "$total"
}

# bench_mem_kb PID: proportional set size (Pss) of PID's tree in kB: the
# resident set, with memory shared between Kamailio's processes counted
# once; falls back to VmRSS where smaps_rollup is missing.
bench_mem_kb() {
	local pids p total=0 v
	pids=$(bench_tree "$1") || bench_die "process $1 is gone"
	for p in $pids; do
		v=$(awk '/^Pss:/ { print $2; exit }' \
			"/proc/$p/smaps_rollup" 2>/dev/null)
		[ -n "$v" ] || v=$(awk '/^VmRSS:/ { print $2 }' \
			"/proc/$p/status" 2>/dev/null)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# bench_starttime PID: the start time of PID (field 22 of its stat), which
# tells a process from a later one that got the same PID.
bench_starttime() {
	local line
	line=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	line=${line##*) }
	# shellcheck disable=SC2086
	set -- $line
	echo "${20}"
}

# bench_stop PID: SIGTERM, then SIGKILL to the processes of its tree that
# are still there after 10 s (the same processes: PID and start time).
# Only PIDs this run started, and their children.
bench_stop() {
	local pid=$1 tree="" i p st
	bench_alive "$pid" || {
		wait "$pid" 2>/dev/null
		return 0
	}
	for p in $(bench_tree "$pid"); do
		st=$(bench_starttime "$p") && tree="$tree $p:$st"
	done
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 100); do
		bench_alive "$pid" || break
		sleep 0.1
	done
	for p in $tree; do
		st=$(bench_starttime "${p%%:*}") || continue
		[ "$st" = "${p#*:}" ] && kill -KILL "${p%%:*}" 2>/dev/null
	done
	wait "$pid" 2>/dev/null
	BENCH_PIDS=$(echo "$BENCH_PIDS" | tr ' ' '\n' | grep -vx "$pid" |
		tr '\n' ' ')
	return 0
}

# bench_cleanup: stops everything this run started; the EXIT trap.
bench_cleanup() {
	local p
	for p in $BENCH_PIDS; do
		bench_stop "$p"
	done
	if [ -n "${BENCH_WORK:-}" ] && [ "${BENCH_KEEP:-0}" != 1 ]; then
		rm -rf "$BENCH_WORK"
	elif [ -n "${BENCH_WORK:-}" ]; then
		bench_log "files kept in $BENCH_WORK"
	fi
}

# bench_wait_sip PID PORT [SECONDS]: polls the server at 127.0.0.1:PORT
# with an OPTIONS sip:127.0.0.1:PORT (sipsak, T1 50 ms) until it answers
# anything, failing early when PID died. Bounded (default 30 s). The
# message is given whole with -f because sipsak 0.9.8 cuts the last digit
# of a 5-digit port in the -s URI.
bench_wait_sip() {
	local pid=$1 port=$2 limit=${3:-30} end msg
	msg=$BENCH_WORK/options-$port.sip
	printf '%s\r\n' "OPTIONS sip:127.0.0.1:$port SIP/2.0" \
		"From: <sip:probe@127.0.0.1>;tag=bench$$" \
		"To: <sip:127.0.0.1:$port>" \
		"Call-ID: bench-probe-$$-$port@127.0.0.1" \
		"CSeq: 1 OPTIONS" "Max-Forwards: 70" "Content-Length: 0" "" \
		>"$msg"
	end=$((SECONDS + limit))
	while [ "$SECONDS" -lt "$end" ]; do
		bench_alive "$pid" || return 1
		sipsak -L -f "$msg" -s sip:127.0.0.1 -r "$port" \
			-H 127.0.0.1 -k 127.0.0.1 -Z 50 >/dev/null 2>&1
		# 0: 200 received, 1: another final response; both mean a
		# SIP stack answers on the port.
		case $? in
		0 | 1) return 0 ;;
		esac
		sleep 0.1
	done
	return 1
}

# bench_wait_bound PID PORT [SECONDS]: waits until PID (sipp) has bound
# UDP PORT, without sending it anything. Bounded (default 20 s).
bench_wait_bound() {
	local pid=$1 port=$2 limit=${3:-20} end
	end=$((SECONDS + limit))
	while [ "$SECONDS" -lt "$end" ]; do
		bench_alive "$pid" || return 1
		bench_udp_bound "$port" && return 0
		sleep 0.05
	done
	return 1
}

# bench_wait_exit PID SECONDS: waits for PID to exit, bounded, and sets
# BENCH_STATUS to its exit status. A PID still running at the bound is
# stopped and BENCH_STATUS is 124. Not in a subshell: wait needs the parent.
bench_wait_exit() {
	local pid=$1 limit=$2 end
	end=$((SECONDS + limit))
	while bench_alive "$pid" && [ "$SECONDS" -lt "$end" ]; do
		sleep 0.1
	done
	if bench_alive "$pid"; then
		bench_stop "$pid"
		BENCH_STATUS=124
		return 0
	fi
	wait "$pid" 2>/dev/null
	# shellcheck disable=SC2034 # read by the scripts sourcing this file
	BENCH_STATUS=$?
	BENCH_PIDS=$(echo "$BENCH_PIDS" | tr ' ' '\n' | grep -vx "$pid" |
		tr '\n' ' ')
}

# bench_sipp_stat FILE COLUMN: COLUMN (e.g. "SuccessfulCall(C)") of the
# last line of a sipp -trace_stat file (";"-separated, header first).
bench_sipp_stat() {
	awk -F';' -v col="$2" '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
	{ last = $c }
	END { if (!c) exit 1; print last + 0 }' "$1"
}

# bench_sipp_max FILE COLUMN: the largest value COLUMN took over the run
# (e.g. the peak of "CurrentCall").
bench_sipp_max() {
	awk -F';' -v col="$2" '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
	$c + 0 > m { m = $c + 0 }
	END { if (!c) exit 1; print m + 0 }' "$1"
}

# bench_users FILE PREFIX COUNT CONTACT: writes a sipp injection file of
# COUNT users PREFIX1..PREFIXCOUNT, password "pw-PREFIXn", contact
# host:port CONTACT, read sequentially (one user per call). The fourth
# field holds the call's [authentication ...] keyword: sipp re-parses a
# field's text as keywords, its documented way to give each call its own
# credentials (a [fieldN] nested inside [authentication] is not expanded).
bench_users() {
	awk -v p="$2" -v n="$3" -v c="$4" 'BEGIN {
		print "SEQUENTIAL";
		for (i = 1; i <= n; i++)
			printf "%s%d;pw-%s%d;%s;[authentication " \
				"username=%s%d password=pw-%s%d];\n",
				p, i, p, i, c, p, i, p, i;
	}' >"$1"
}

# bench_users_sql CSV REALM: SQL inserting the users of a sipp injection
# file into Kamailio's subscriber table with their HA1 precomputed
# (MD5(user:realm:password)) and no plain password stored.
bench_users_sql() {
	perl -MDigest::MD5=md5_hex -ne '
		BEGIN { $r = shift @ARGV; print "BEGIN;\n"; }
		chomp;
		next if $. == 1;
		($u, $p) = split /;/;
		printf "INSERT INTO subscriber (username, domain, ha1) " .
			"VALUES (\x27%s\x27, \x27%s\x27, \x27%s\x27);\n",
			$u, $r, md5_hex("$u:$r:$p");
		END { print "COMMIT;\n"; }' "$2" "$1"
}

# bench_per1000 TICKS COUNT: CPU-seconds per 1000 of COUNT, 3 decimals.
bench_per1000() {
	awk -v t="$1" -v n="$2" -v hz="$BENCH_HZ" 'BEGIN {
		if (n > 0) printf "%.3f", t / hz * 1000 / n; else print "-" }'
}

# bench_ratio A B: A/B with 2 decimals, "-" when either is missing.
bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0)
			print "-";
		else
			printf "%.2f", a / b }'
}

# bench_servers ARG: validates the server argument of a bench script and
# prints the servers to run, in order.
bench_servers() {
	case "${1:-both}" in
	kamailio) echo kamailio ;;
	sipserver) echo sipserver ;;
	both) echo "kamailio sipserver" ;;
	*) bench_die "usage: $0 [kamailio|sipserver|both]" ;;
	esac
}

# bench_check_tools: the commands every benchmark needs.
bench_check_tools() {
	local t
	for t in sipp sipsak perl awk "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			bench_die "$t not found: run tests/bench/install-bench-deps.sh"
	done
}

# bench_kamailio_db FILE: a fresh SQLite database with Kamailio's version,
# subscriber and location tables.
bench_kamailio_db() {
	local s=/usr/share/kamailio/db_sqlite
	[ -r "$s/auth_db-create.sql" ] ||
		bench_die "$s missing: install kamailio-sqlite-modules"
	# WAL is a property of the file: readers (auth_db in every worker)
	# then never wait for the writer of bindings (KAM_USRLOC_DB_MODE).
	{
		echo "PRAGMA journal_mode=WAL;"
		cat "$s/standard-create.sql" "$s/auth_db-create.sql" \
			"$s/usrloc-create.sql"
	} | sqlite3 "$1" >/dev/null ||
		bench_die "cannot create $1"
}

# bench_wait_rows DB TABLE COUNT: waits until TABLE of the SQLite file DB
# holds at least COUNT rows. Bounded at 30 s.
bench_wait_rows() {
	local end=$((SECONDS + 30)) n
	while [ "$SECONDS" -lt "$end" ]; do
		n=$(sqlite3 "$1" "SELECT count(*) FROM $2" 2>/dev/null)
		[ "${n:-0}" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# bench_start_kamailio CFG PORT LOG [DEFINE...]: starts Kamailio in the
# foreground (-DD: the main process stays, its children are forked from
# it) on udp:127.0.0.1:PORT and waits until it answers; sets SERVER_PID.
bench_start_kamailio() {
	local cfg=$1 port=$2 log=$3 d
	local args=(-f "$cfg" -DD -E -l "udp:127.0.0.1:$port"
		-m "${KAM_SHM_MB:-512}" -M "${KAM_PKG_MB:-16}"
		-Y "$BENCH_WORK" -w "$BENCH_WORK")
	shift 3
	for d in "$@"; do
		args+=(-A "$d")
	done
	bench_start "$log" "$KAMAILIO_BIN" "${args[@]}"
	SERVER_PID=$BENCH_LAST_PID
	bench_wait_sip "$SERVER_PID" "$port" ||
		bench_die "kamailio did not answer on $port; log: $(tail -5 "$log")"
}

# bench_start_sipserver TEMPLATE PORT LOG: writes the config from the
# template (@PORT@, @STATEDIR@ replaced), starts sipserver with
# SIPSERVER_START, waits until it answers; sets SERVER_PID, SIPSERVER_CONF.
bench_start_sipserver() {
	local tpl=$1 port=$2 log=$3 cmd
	mkdir -p "$BENCH_WORK/sipserver"
	SIPSERVER_CONF=$BENCH_WORK/sipserver/sipserver.xml
	sed -e "s|@PORT@|$port|g" -e "s|@STATEDIR@|$BENCH_WORK/sipserver|g" \
		"$tpl" >"$SIPSERVER_CONF"
	cmd=${SIPSERVER_START//@CONF@/$SIPSERVER_CONF}
	[ -x "${cmd%% *}" ] || command -v "${cmd%% *}" >/dev/null ||
		bench_die "sipserver binary ${cmd%% *} not found (SIPSERVER_BIN)"
	# shellcheck disable=SC2086
	bench_start "$log" $cmd
	SERVER_PID=$BENCH_LAST_PID
	bench_wait_sip "$SERVER_PID" "$port" ||
		bench_die "sipserver did not answer on $port; log: $(tail -5 "$log")"
}

# bench_sipserver_users CSV DOMAIN: adds the users of a sipp injection
# file to the running sipserver in one `auth user import` (one database
# transaction). SIPSERVER_ADD_USERS, when set, replaces it: a command run
# once with @CONF@ and @CSV@ replaced.
bench_sipserver_users() {
	local csv=$1 dom=$2 cmd list
	if [ -n "${SIPSERVER_ADD_USERS:-}" ]; then
		cmd=${SIPSERVER_ADD_USERS//@CONF@/$SIPSERVER_CONF}
		cmd=${cmd//@CSV@/$csv}
		sh -c "$cmd" || bench_die "bulk user add failed: $cmd"
		return 0
	fi
	list="$BENCH_WORK/users.txt"
	awk -F';' -v d="$dom" '$1 != "SEQUENTIAL" && NF >= 2 { print $1 "@" d, $2 }' \
		"$csv" >"$list"
	"$SIPSERVER_BIN" -C "$SIPSERVER_CONF" -rx "auth user import $list" \
		</dev/null | tail -n 1 >&2 ||
		bench_die "auth user import $list failed"
}

# bench_sipp PREFIX SCENARIO SECONDS SIPP-ARGS...: starts sipp in the
# background with a scenario of tests/bench/sipp/, bound to 127.0.0.1,
# stopping by itself after SECONDS (-timeout) at the latest; statistics
# (PREFIX.stat.csv, every second and at exit), unexpected messages
# (PREFIX.err.log), the last screen (PREFIX.screen.log). A failed call is
# not cleaned up with a BYE (it would only add load). BENCH_SIPP_BEHAVIORS
# overrides sipp's -default_behaviors. Sets BENCH_LAST_PID.
bench_sipp() {
	local prefix=$1 scn=$2 limit=$3
	shift 3
	bench_start "$prefix.out" sipp -sf "$BENCH_DIR/sipp/$scn" \
		-i 127.0.0.1 -nostdin -timeout "${limit}s" -timeout_error \
		-trace_stat -stf "$prefix.stat.csv" -fd 1 \
		-trace_err -error_file "$prefix.err.log" \
		-trace_screen -screen_file "$prefix.screen.log" \
		-default_behaviors "${BENCH_SIPP_BEHAVIORS:-all,-bye}" "$@"
}

# bench_sipp_continued PREFIX: how many unexpected messages sipp let pass
# without failing the call (see BENCH_SIPP_BEHAVIORS in bench_proxy.sh).
bench_sipp_continued() {
	local n
	n=$(grep -o 'Continuing call on unexpected message' \
		"$1.err.log" 2>/dev/null | wc -l)
	echo "${n:-0}"
}
