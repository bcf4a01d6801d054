# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers for tests that run the real sipserver binary: a private
# state directory per test, start/stop by PID, and waiting on conditions
# (the console answers) instead of fixed sleeps.

: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
SIPSERVER="$top_builddir/core/sipserver"

fail() {
	local d
	echo "FAIL: $*" >&2
	[ -n "${SS_LOG:-}" ] && [ -f "$SS_LOG" ] && sed 's/^/  server: /' "$SS_LOG" >&2
	for d in ${SS_SERVERS_DIRS:-}; do
		[ -f "$d/server.log" ] && sed "s|^|  $(basename "$d"): |" "$d/server.log" >&2
	done
	exit 1
}

# Writes a config file $1 holding $3 (the <modules> body) and optional extra
# <core> attributes in $4, with state under directory $2; @SS_DIR@ in either
# becomes that directory.
ss_write_config() {
	cat >"$1" <<XML
<?xml version="1.0"?>
<sipserver>
  <core workers="2" verbose="4" statedir="$2/var" console="ctl" $4/>
  <modules>
$3
  </modules>
</sipserver>
XML
	sed -i "s|@SS_DIR@|$2|g" "$1"
}

# Makes $SS_DIR and sets SS_CONF to a config holding $1 (the <modules> body)
# and optional extra <core> attributes in $2; @SS_DIR@ in either becomes the
# test's directory.
ss_make_config() {
	SS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sipserver-test.XXXXXX")
	SS_CONF="$SS_DIR/sipserver.xml"
	SS_LOG="$SS_DIR/server.log"
	ss_write_config "$SS_CONF" "$SS_DIR" "$1" "${2:-}"
}

ss_rx() {
	"$SIPSERVER" -C "$SS_CONF" -rx "$1"
}

# Starts the server in the foreground (background job) and waits until its
# console answers; bounded at 20 s.
ss_start() {
	"$SIPSERVER" -C "$SS_CONF" -f >"$SS_LOG" 2>&1 &
	SS_PID=$!
	ss_wait_for "console answers" ss_rx "core show uptime"
}

# ss_wait_for DESCRIPTION CMD...: polls CMD until it succeeds (20 s bound),
# failing early if the server died.
ss_wait_for() {
	local what=$1 i
	shift
	for i in $(seq 1 400); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if [ -n "${SS_PID:-}" ] && ! kill -0 "$SS_PID" 2>/dev/null; then
			fail "server exited while waiting for: $what"
		fi
		sleep 0.05
	done
	fail "timed out waiting for: $what"
}

# Waits for the server process to exit and checks its status.
ss_wait_exit() {
	local want=$1 status
	wait "$SS_PID"
	status=$?
	SS_PID=
	[ "$status" -eq "$want" ] || fail "server exited with $status, expected $want"
}

# Further servers in the same test (multi-proxy flows), named by a word:
#   ss_server_config NAME MODULES [CORE_ATTRS]   makes its directory
#   ss_server_start NAME                         starts it, waits for its console
#   ss_server_rx NAME CMD                        runs a console command
#   ss_server_dir NAME                           prints its directory
# They are stopped and removed by ss_cleanup, and their logs printed by fail.
SS_SERVERS_DIRS=
SS_SERVERS_PIDS=

ss_server_dir() {
	eval "printf '%s\n' \"\${SS_SRV_DIR_$1:?unknown server $1}\""
}

ss_server_config() {
	local dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/sipserver-$1.XXXXXX")
	eval "SS_SRV_DIR_$1=\$dir"
	SS_SERVERS_DIRS="$SS_SERVERS_DIRS $dir"
	ss_write_config "$dir/sipserver.xml" "$dir" "$2" "${3:-}"
}

ss_server_rx() {
	"$SIPSERVER" -C "$(ss_server_dir "$1")/sipserver.xml" -rx "$2"
}

ss_server_start() {
	local dir pid main=${SS_PID:-}
	dir=$(ss_server_dir "$1")
	"$SIPSERVER" -C "$dir/sipserver.xml" -f >"$dir/server.log" 2>&1 &
	pid=$!
	eval "SS_SRV_PID_$1=\$pid"
	SS_SERVERS_PIDS="$SS_SERVERS_PIDS $pid"
	# ss_wait_for notices a server that died through SS_PID.
	SS_PID=$pid
	ss_wait_for "console of $1 answers" ss_server_rx "$1" "core show uptime"
	SS_PID=$main
}

# Prints the PID of server NAME.
ss_server_pid() {
	eval "printf '%s\n' \"\${SS_SRV_PID_$1:?unknown server $1}\""
}

# ss_template IN OUT NAME=VALUE...: copies IN to OUT replacing @NAME@ by
# VALUE (sipp scenarios with the test's addresses and ports).
ss_template() {
	local in=$1 out=$2 kv expr=
	shift 2
	for kv in "$@"; do
		expr="$expr -e s|@${kv%%=*}@|${kv#*=}|g"
	done
	sed $expr "$in" >"$out"
}

# sipp user agents. Each run works in its own folder under $1's parent
# directory with -trace_msg/-trace_err/-trace_logs, so a failure can show
# what was exchanged; runs are bounded by `timeout` besides sipp's own
# -timeout and -m, which the caller passes.
#   ss_sipp DIR ARGS...        foreground; returns sipp's status
#   ss_sipp_bg DIR ARGS...     background; sets SS_SIPP_PID
#   ss_sipp_wait PID DIR WHAT  waits for a background run, fails on error
#   ss_sipp_show DIR           prints the logs of a run (for fail paths)
SS_SIPP_PIDS=

ss_sipp() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && exec timeout 120 sipp "$@" -nostdin -trace_msg \
		-trace_err -trace_logs >sipp.out 2>&1)
}

ss_sipp_bg() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && exec timeout 120 sipp "$@" -nostdin -trace_msg \
		-trace_err -trace_logs >sipp.out 2>&1) &
	SS_SIPP_PID=$!
	SS_SIPP_PIDS="$SS_SIPP_PIDS $SS_SIPP_PID"
}

ss_sipp_show() {
	local f
	for f in "$1"/*_errors.log "$1"/*_logs.log "$1"/*_messages.log; do
		[ -f "$f" ] && sed "s|^|  $(basename "$f"): |" "$f" >&2
	done
}

ss_sipp_wait() {
	local st
	wait "$1"
	st=$?
	[ "$st" -eq 0 ] || { ss_sipp_show "$2"; fail "$3: sipp exited with $st"; }
}

# Waits until something listens on UDP address $1 port $2 (sipp started in
# the background binds before reading its scenario's first message).
ss_wait_udp() {
	ss_wait_for "UDP $1:$2 bound" sh -c "ss -Huln 'sport = :$2' | grep -q '$1:$2'"
}

ss_cleanup() {
	local p d
	for p in $SS_SIPP_PIDS; do
		kill "$p" 2>/dev/null
	done
	if [ -n "${SS_PID:-}" ] && kill -0 "$SS_PID" 2>/dev/null; then
		kill -KILL "$SS_PID" 2>/dev/null
		wait "$SS_PID" 2>/dev/null
	fi
	for p in $SS_SERVERS_PIDS; do
		if kill -0 "$p" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null
			wait "$p" 2>/dev/null
		fi
	done
	# SS_KEEP=1 leaves the directories for a post-mortem.
	[ -n "${SS_KEEP:-}" ] && return
	[ -n "${SS_DIR:-}" ] && rm -rf "$SS_DIR"
	for d in $SS_SERVERS_DIRS; do
		rm -rf "$d"
	done
}
trap ss_cleanup EXIT
