# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the baresip scenario tests: baresip user agents with a private
# config folder each under the server's test directory, driven through a
# FIFO on stdin, started and stopped by PID, waited on by polling their log
# and the server's console. It sources tests/lib/server.sh itself.
#
# Why MD5 only in the challenges: libre 1.x (Debian 12's baresip 1.0.0)
# gives up on a 401 as soon as one WWW-Authenticate names an algorithm
# other than MD5 ("Register: Function not implemented"), whatever its
# position, so the SHA-256 offer must be left out for it.

. "$top_srcdir/tests/lib/server.sh"

BS_TEMPLATE="$top_srcdir/tests/scenarios/baresip/config.in"
BS_DOMAIN=127.0.0.1
BS_NAMES=""
BS_PIDS=""

command -v baresip >/dev/null 2>&1 || {
	echo "SKIP: baresip (Debian package baresip) is not installed"
	exit 77
}

# The folder holding baresip's modules (BARESIP_MODULES overrides).
bs_module_path() {
	local d
	for d in ${BARESIP_MODULES:-} /usr/lib/baresip/modules \
		/usr/local/lib/baresip/modules \
		/usr/lib/*-linux-gnu/baresip/modules; do
		if [ -f "$d/g711.so" ] && [ -f "$d/aufile.so" ] &&
			[ -f "$d/sndfile.so" ] && [ -f "$d/stdio.so" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}
BS_MODULE_PATH=$(bs_module_path) || {
	echo "SKIP: baresip modules g711, aufile, sndfile, stdio not found"
	exit 77
}

# Strips baresip's colour escapes; carriage returns (its line redraws)
# become line breaks.
bs_plain() {
	sed 's/\x1b\[[0-9;]*m//g; s/\r/\n/g'
}

# fail with the server's log and the tail of every user agent's log (less
# the echo of the commands typed into it).
fail() {
	local n
	echo "FAIL: $*" >&2
	[ -n "${SS_LOG:-}" ] && [ -f "$SS_LOG" ] && sed 's/^/  server: /' "$SS_LOG" >&2
	for n in $BS_NAMES; do
		[ -f "$SS_DIR/$n/log" ] || continue
		bs_plain <"$SS_DIR/$n/log" | grep -v '^/' | tail -n 60 |
			sed "s/^/  $n: /" >&2
	done
	exit 1
}

bs_cleanup() {
	local pid
	for pid in $BS_PIDS; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	BS_PIDS=""
	ss_cleanup
}
trap bs_cleanup EXIT

# bs_server MODULES_XML: starts the server with the given <module> elements
# (@SS_DIR@ replaced), UDP on 127.0.0.1 at a port the system picks, and
# sets SS_PORT to it.
bs_server() {
	ss_make_config "$1" "modulepath=\"$top_builddir/modules\""
	ss_start
	SS_PORT=$(ss_rx "sip show transports" |
		awk '$1 == "udp" { n = split($2, a, ":"); print a[n]; exit }')
	[ -n "$SS_PORT" ] || fail "no UDP listener in sip show transports"
}

# The <module> elements of a registrar with digest authentication, MD5
# challenges only (see the top of this file).
bs_registrar_modules() {
	cat <<XML
    <module name="parser"/>
    <module name="transport"><listen transport="udp" address="127.0.0.1" port="0"/></module>
    <module name="transaction"/>
    <module name="location"><database path="location.db"/></module>
    <module name="digest_auth">
      <algorithms offer="MD5"/>
      <require methods="REGISTER"/>
    </module>
    <module name="registrar"/>
XML
}

# bs_ua NAME USER PASSWORD [ACCOUNT_PARAMS] [SOURCE_WAV] [RTP_PORTS]:
# makes the config folder $SS_DIR/NAME of a user agent registering
# USER@127.0.0.1 through the server (outbound proxy) with PASSWORD.
bs_ua() {
	local name=$1 user=$2 pass=$3 params=${4:-} src=${5:-/dev/null}
	local rtp=${6:-40000-49999} dir="$SS_DIR/$1"
	mkdir -p "$dir" || fail "mkdir $dir"
	sed -e "s|@SOURCE@|$src|" -e "s|@RTP_PORTS@|$rtp|" \
		-e "s|@MODULE_PATH@|$BS_MODULE_PATH|" -e "s|@DIR@|$dir|" \
		"$BS_TEMPLATE" >"$dir/config" || fail "config of $name"
	printf '<sip:%s@%s>;auth_pass=%s;outbound="sip:127.0.0.1:%s";regint=600%s\n' \
		"$user" "$BS_DOMAIN" "$pass" "$SS_PORT" "$params" >"$dir/accounts"
	rm -f "$dir/ctl"
	mkfifo "$dir/ctl" || fail "mkfifo $dir/ctl"
}

# bs_pid NAME: the PID of user agent NAME.
bs_pid() {
	cat "$SS_DIR/$1/pid"
}

# bs_start NAME: runs user agent NAME in the background. Its stdin is its
# FIFO opened read-write, so it never sees end-of-file and a writer never
# blocks.
bs_start() {
	local dir="$SS_DIR/$1"
	baresip -f "$dir" <>"$dir/ctl" >"$dir/log" 2>&1 &
	echo $! >"$dir/pid"
	BS_PIDS="$BS_PIDS $!"
	BS_NAMES="$BS_NAMES $1"
}

# bs_cmd NAME COMMAND: types a command (e.g. "/dial sip:...") into NAME.
bs_cmd() {
	printf '%s\n' "$2" 1<>"$SS_DIR/$1/ctl"
}

# bs_log_has NAME REGEX: whether NAME's log has a line matching REGEX.
bs_log_has() {
	bs_plain <"$SS_DIR/$1/log" | grep -q -- "$2"
}

# bs_wait DESCRIPTION NAME CMD...: polls CMD (20 s bound) while user agent
# NAME and the server run.
bs_wait() {
	local what=$1 name=$2 i
	shift 2
	for i in $(seq 1 400); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$(bs_pid "$name")" 2>/dev/null ||
			fail "$name exited while waiting for: $what"
		kill -0 "$SS_PID" 2>/dev/null ||
			fail "server exited while waiting for: $what"
		sleep 0.05
	done
	fail "timed out waiting for: $what"
}

# bs_wait_log NAME REGEX DESCRIPTION: waits for a line in NAME's log.
bs_wait_log() {
	bs_wait "$3" "$1" bs_log_has "$1" "$2"
}

# bs_bound USER: whether the server holds a binding for USER@127.0.0.1 that
# baresip made (its User-Agent and its Contact, sip:USER-0x...@127.0.0.1).
bs_bound() {
	ss_rx "location show sip:$1@$BS_DOMAIN" >"$SS_DIR/location.out" 2>&1 &&
		grep -q "^  <*sip:$1-[^@]*@127\.0\.0\.1:[0-9]" "$SS_DIR/location.out" &&
		grep -q "ua baresip" "$SS_DIR/location.out"
}

bs_unbound() {
	ss_rx "location show sip:$1@$BS_DOMAIN" 2>&1 | grep -q "no bindings"
}

# bs_stop NAME: SIGTERM (baresip hangs up and unregisters, then exits),
# waited on for 20 s; SIGKILL after that counts as a failure.
bs_stop() {
	local pid i
	pid=$(bs_pid "$1")
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 400); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "$1 did not exit on SIGTERM"
	fi
	wait "$pid" 2>/dev/null
	BS_PIDS=$(echo "$BS_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}
