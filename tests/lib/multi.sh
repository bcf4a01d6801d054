# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for scenario tests that run several sipserver instances and
# sipp user agents on 127.0.0.x addresses. Everything lives under one test
# directory ($SS_MULTI_TOP); each instance NAME has NAME/sipserver.xml,
# NAME/server.log and NAME/pid; each sipp run NAME has NAME.msg/.err/.out.
# Cleanup stops exactly the processes started here. Sourced after
# tests/lib/server.sh, whose fail/ss_wait_for it keeps working with.

. "$top_srcdir/tests/lib/server.sh"

SS_MULTI_SIPP_DIR="$top_srcdir/tests/scenarios/sipp"
SS_MULTI_TOP=$(mktemp -d "${TMPDIR:-/tmp}/sipserver-multi.XXXXXX")
SS_MULTI_NAMES=""
SS_MULTI_BG=""

command -v sipp >/dev/null 2>&1 || {
	echo "SKIP: sipp (Debian package sip-tester) is not installed"
	exit 77
}

# fail with every instance's log and every sipp error trace.
fail() {
	local n f
	echo "FAIL: $*" >&2
	for n in $SS_MULTI_NAMES; do
		echo "--- $n log" >&2
		sed 's/^/  /' "$SS_MULTI_TOP/$n/server.log" >&2 2>/dev/null
	done
	for f in "$SS_MULTI_TOP"/*.err; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f")" >&2
		sed 's/^/  /' "$f" >&2
	done
	exit 1
}

ss_multi_cleanup() {
	local n pid
	for pid in $SS_MULTI_BG; do
		kill "$pid" 2>/dev/null
	done
	for n in $SS_MULTI_NAMES; do
		pid=$(cat "$SS_MULTI_TOP/$n/pid" 2>/dev/null)
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${SS_MULTI_KEEP:-}" ] || rm -rf "$SS_MULTI_TOP"
}
trap ss_multi_cleanup EXIT

ss_multi_conf() {
	echo "$SS_MULTI_TOP/$1/sipserver.xml"
}

# ss_multi_rx NAME COMMAND: one console command on instance NAME.
ss_multi_rx() {
	"$SIPSERVER" -C "$(ss_multi_conf "$1")" -rx "$2"
}

# ss_multi_alive: fails when an instance started here has exited.
ss_multi_alive() {
	local n
	for n in $SS_MULTI_NAMES; do
		kill -0 "$(cat "$SS_MULTI_TOP/$n/pid")" 2>/dev/null ||
			fail "instance $n exited"
	done
}

# ss_multi_wait_for DESCRIPTION CMD...: polls CMD until it succeeds
# (bounded at ${SS_MULTI_WAIT:-400} x 50 ms), failing if an instance died.
ss_multi_wait_for() {
	local what=$1 i
	shift
	for i in $(seq 1 "${SS_MULTI_WAIT:-400}"); do
		"$@" >/dev/null 2>&1 && return 0
		ss_multi_alive
		sleep 0.05
	done
	fail "timed out waiting for: $what"
}

# ss_multi_start NAME MODULES [CORE_ATTRS]: writes instance NAME's config
# (MODULES is the <modules> body; @DIR@ becomes its directory), starts it
# in the foreground as a background job and waits for its console.
ss_multi_start() {
	local name=$1 dir="$SS_MULTI_TOP/$1"
	mkdir -p "$dir"
	cat >"$dir/sipserver.xml" <<XML
<?xml version="1.0"?>
<sipserver>
  <core workers="2" verbose="4" statedir="$dir/var" console="ctl" modulepath="${SS_MULTI_MODULEPATH:-$top_builddir/modules}" ${3:-}/>
  <modules>
$2
  </modules>
</sipserver>
XML
	sed -i "s|@DIR@|$dir|g" "$dir/sipserver.xml"
	"$SIPSERVER" -C "$dir/sipserver.xml" -f >"$dir/server.log" 2>&1 &
	echo $! >"$dir/pid"
	SS_MULTI_NAMES="$SS_MULTI_NAMES $name"
	ss_multi_wait_for "$name console" ss_multi_rx "$name" "core show uptime"
}

# ss_multi_pid NAME: the PID of instance NAME.
ss_multi_pid() {
	cat "$SS_MULTI_TOP/$1/pid"
}

# ss_multi_free_port ADDRESS SALT: a UDP and TCP port nothing is bound to,
# searched from a place that depends on our PID and SALT.
ss_multi_free_port() {
	local p i hex
	p=$((20000 + ($$ * 17 + ${2:-0} * 131) % 40000))
	for i in $(seq 1 200); do
		hex=$(printf '%04X' "$p")
		if ! grep -q ":$hex " /proc/net/udp /proc/net/tcp 2>/dev/null; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
		[ "$p" -lt 60000 ] || p=20000
	done
	fail "no free port"
}

# ss_multi_udp_bound ADDRESS PORT: true once a UDP socket is bound there.
ss_multi_udp_bound() {
	local hex
	hex=$(printf '%02X' $(echo "$1" | tr '.' ' ') | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')
	grep -qi " $hex:$(printf '%04X' "$2") " /proc/net/udp
}

# ss_multi_sipp NAME SCENARIO LOCAL_IP LOCAL_PORT REMOTE [SIPP_ARGS...]:
# one bounded sipp run (one call, ${SS_MULTI_SIPP_TIMEOUT:-30} s unless
# SIPP_ARGS say otherwise) from the test directory. SCENARIO is a path or
# a file of tests/scenarios/sipp. Returns sipp's status.
ss_multi_sipp() {
	local name=$1 xml=$2 ip=$3 port=$4 remote=$5
	shift 5
	case "$xml" in
	/*) ;;
	*) xml="$SS_MULTI_SIPP_DIR/$xml" ;;
	esac
	(
		cd "$SS_MULTI_TOP" || exit 99
		sipp -sf "$xml" -i "$ip" -p "$port" -nostdin \
			-timeout "${SS_MULTI_SIPP_TIMEOUT:-30}" -timeout_error \
			-trace_msg -message_file "$name.msg" \
			-trace_err -error_file "$name.err" \
			"$@" "$remote" >"$name.out" 2>&1
	)
}

# ss_multi_sipp_bg NAME ...: ss_multi_sipp in the background;
# ss_multi_sipp_wait NAME returns its status.
ss_multi_sipp_bg() {
	ss_multi_sipp "$@" &
	eval "SS_MULTI_PID_$1=$!"
	SS_MULTI_BG="$SS_MULTI_BG $!"
}

ss_multi_sipp_wait() {
	local pid
	eval "pid=\$SS_MULTI_PID_$1"
	wait "$pid"
}

# ss_multi_msg NAME DIRECTION REGEX: the last message sipp run NAME
# received ("received") or sent ("sent") whose first line matches REGEX,
# CRs removed.
ss_multi_msg() {
	awk -v dir="$2" -v want="$3" '
		{ sub(/\r$/, "") }
		/^-+ [0-9-]+ [0-9:.]+$/ { inmsg = 0; next }
		/message received/ { inmsg = (dir == "received"); buf = ""; first = ""; next }
		/message sent/ { inmsg = (dir == "sent"); buf = ""; first = ""; next }
		inmsg && first == "" && !NF { next }
		inmsg && first == "" { first = $0 }
		inmsg { buf = buf $0 "\n" }
		inmsg && first ~ want { last = buf }
		END { printf "%s", last }' "$SS_MULTI_TOP/$1.msg"
}

# ss_multi_template SRC DST SED_EXPR...: a copy of a sipp scenario of
# tests/scenarios/sipp with placeholders filled in; prints its path.
ss_multi_template() {
	local src="$SS_MULTI_SIPP_DIR/$1" dst="$SS_MULTI_TOP/$2"
	shift 2
	cp "$src" "$dst"
	for e in "$@"; do
		sed -i "$e" "$dst"
	done
	echo "$dst"
}

# ---- used by the RFC 3665 3.3, 3.4 and 3.6 tests ------------------------

# redir_stop NAME: stops instance NAME gracefully and checks it exits 0.
redir_stop() {
	local pid st
	pid=$(ss_multi_pid "$1")
	ss_multi_rx "$1" "core stop gracefully" >/dev/null 2>&1
	wait "$pid"
	st=$?
	SS_MULTI_NAMES=$(echo "$SS_MULTI_NAMES" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	[ "$st" -eq 0 ] || fail "instance $1 exited with $st"
}

# redir_port NAME [PROTO]: the port of instance NAME's first listener of
# PROTO (udp by default).
redir_port() {
	ss_multi_rx "$1" "sip show transports" |
		awk -v p="${2:-udp}" 'tolower($1) == p { n = split($2, a, ":"); print a[n]; exit }'
}

# redir_sipp NAME SCENARIO LOCAL_IP LOCAL_PORT REMOTE [SIPP_ARGS...]:
# ss_multi_sipp for one call, with sipp's <log> output in NAME.log.
redir_sipp() {
	local name=$1
	ss_multi_sipp "$@" -m 1 -trace_logs -log_file "$name.log"
}

# Replaces the calling subshell with that sipp run.
redir_sipp_exec() {
	local name=$1 xml=$2 ip=$3 port=$4 remote=$5
	shift 5
	cd "$SS_MULTI_TOP" || exit 99
	exec sipp -sf "$SS_MULTI_SIPP_DIR/$xml" -i "$ip" -p "$port" -nostdin \
		-timeout "${SS_MULTI_SIPP_TIMEOUT:-30}" -timeout_error \
		-trace_msg -message_file "$name.msg" \
		-trace_err -error_file "$name.err" \
		-m 1 -trace_logs -log_file "$name.log" \
		"$@" "$remote" >"$name.out" 2>&1
}

# redir_sipp_bg NAME ...: redir_sipp in the background; the background
# subshell execs sipp, so the PID the cleanup kills is sipp's own.
# redir_sipp_wait NAME returns its status.
redir_sipp_bg() {
	redir_sipp_exec "$@" &
	eval "REDIR_PID_$1=$!"
	SS_MULTI_BG="$SS_MULTI_BG $!"
}

redir_sipp_wait() {
	local pid
	eval "pid=\$REDIR_PID_$1"
	wait "$pid"
}

# redir_count NAME DIRECTION REGEX: how many messages sipp run NAME
# received or sent whose first line matches REGEX.
redir_count() {
	awk -v dir="$2" -v want="$3" '
		{ sub(/\r$/, "") }
		/^-+ [0-9-]+ [0-9:.]+$/ { inmsg = 0; next }
		/message received/ { inmsg = (dir == "received"); first = ""; next }
		/message sent/ { inmsg = (dir == "sent"); first = ""; next }
		inmsg && first == "" && NF { first = $0; if (first ~ want) n++ }
		END { print n + 0 }' "$SS_MULTI_TOP/$1.msg"
}

# redir_logged NAME KEY: the last "KEY=value" a sipp <log> of NAME wrote.
redir_logged() {
	sed -n "s/^$2=\(.*\)\$/\1/p" "$SS_MULTI_TOP/$1.log" | tail -n 1
}

# redir_hdrs MESSAGE NAME: the values of header NAME in MESSAGE, one per
# line, in order (long form only, as our servers and sipp write them).
redir_hdrs() {
	printf '%s\n' "$1" | sed -n "s/^$2: //p"
}

# redir_expect WHAT MESSAGE REGEX: fails unless a line of MESSAGE matches.
redir_expect() {
	printf '%s\n' "$2" | grep -Eq -- "$3" || fail "$1: no line matching '$3' in:
$2"
}

# redir_digest USER REALM PASSWORD METHOD URI NONCE NC: a
# Proxy-Authorization value with qop=auth in MD5 (RFC 7616 3.4.1). sipp
# 3.6.1's [authentication] answers only the first challenge of a 407 and
# only in MD5, while digest_auth offers SHA-256 first; so the shell does it.
redir_digest() {
	local ha1 ha2 nc cnonce resp
	nc=$(printf '%08x' "$7")
	cnonce=$(printf '%08x%04x' "$$" "$7")
	ha1=$(printf '%s' "$1:$2:$3" | md5sum | cut -d' ' -f1)
	ha2=$(printf '%s' "$4:$5" | md5sum | cut -d' ' -f1)
	resp=$(printf '%s' "$ha1:$6:$nc:$cnonce:auth:$ha2" | md5sum | cut -d' ' -f1)
	printf 'Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=MD5, cnonce="%s", qop=auth, nc=%s' \
		"$1" "$2" "$6" "$5" "$resp" "$cnonce" "$nc"
}
