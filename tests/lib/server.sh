# SPDX-License-Identifier: GPL-2.0-or-later
# Shell helpers for tests that run the real sipserver binary: a private
# state directory per test, start/stop by PID, and waiting on conditions
# (the console answers) instead of fixed sleeps.

: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
SIPSERVER="$top_builddir/core/sipserver"

fail() {
	echo "FAIL: $*" >&2
	[ -n "${SS_LOG:-}" ] && [ -f "$SS_LOG" ] && sed 's/^/  server: /' "$SS_LOG" >&2
	exit 1
}

# Makes $SS_DIR and sets SS_CONF to a config holding $1 (the <modules> body)
# and optional extra <core> attributes in $2; @SS_DIR@ in either becomes the
# test's directory.
ss_make_config() {
	SS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sipserver-test.XXXXXX")
	SS_CONF="$SS_DIR/sipserver.xml"
	SS_LOG="$SS_DIR/server.log"
	cat >"$SS_CONF" <<XML
<?xml version="1.0"?>
<sipserver>
  <core workers="2" verbose="4" statedir="$SS_DIR/var" console="ctl" $2/>
  <modules>
$1
  </modules>
</sipserver>
XML
	sed -i "s|@SS_DIR@|$SS_DIR|g" "$SS_CONF"
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

ss_cleanup() {
	if [ -n "${SS_PID:-}" ] && kill -0 "$SS_PID" 2>/dev/null; then
		kill -KILL "$SS_PID" 2>/dev/null
		wait "$SS_PID" 2>/dev/null
	fi
	[ -n "${SS_DIR:-}" ] && rm -rf "$SS_DIR"
}
trap ss_cleanup EXIT
