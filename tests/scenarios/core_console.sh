#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end test of the core: the real binary started from a config,
# driven with `sipserver -rx`, loading and unloading the example module at
# run time, refusing bad input, and stopping with status 0.
set -u
. "$top_srcdir/tests/lib/server.sh"

ss_make_config "" "modulepath=\"$top_builddir/contrib/example_module\""
ss_start

out=$(ss_rx "module show") || fail "module show failed"
echo "$out" | grep -qi "name" || fail "module show has no header: $out"

# Unknown command: usage line, status 2.
out=$(ss_rx "no such thing"); st=$?
[ "$st" -eq 2 ] || fail "unknown command gave status $st"
echo "$out" | grep -q "No such command" || fail "unknown command output: $out"

# A module that does not exist: one clear line, status 1, server still up.
out=$(ss_rx "module load nosuchmodule" 2>&1); st=$?
[ "$st" -eq 1 ] || fail "loading a missing module gave status $st"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "more than one error line: $out"
echo "$out" | grep -q "nosuchmodule" || fail "error does not name the module: $out"
ss_rx "core show uptime" >/dev/null || fail "server gone after bad module load"

# The example module: load, its command and timer work, unload removes all.
ss_rx "module load example" || fail "module load example"
ss_rx "module show" | grep -q "example" || fail "example not listed"
reports() { ss_rx "example show" | sed -n 's/^reports: //p'; }
ss_rx "example show" | grep -q "requests seen: 0" || fail "example show"
ss_rx "core show bus" | grep -q "example.tick" || fail "example.tick topic missing"
ss_rx "core show timers" >/dev/null || fail "core show timers"
ss_rx "core show workers" | grep -q "[0-9]" || fail "core show workers"
ss_rx "module unload example" || fail "module unload example"
out=$(ss_rx "example show"); st=$?
[ "$st" -eq 2 ] || fail "example show after unload gave status $st: $out"
ss_rx "module show" | grep -q "example" && fail "example still listed after unload"
ss_rx "module load example" || fail "module load example twice"

# config reload: a bad file keeps the old config, a good one applies.
cp "$SS_CONF" "$SS_DIR/good.xml"
sed -i 's|<modules>|<modules><bogus/>|' "$SS_CONF"
out=$(ss_rx "config reload" 2>&1); st=$?
[ "$st" -eq 1 ] || fail "bad config reload gave status $st"
echo "$out" | grep -q "bogus" || fail "reload error does not name the element: $out"
echo "$out" | grep -q "sipserver.xml:[0-9]" || fail "reload error has no file:line: $out"
cp "$SS_DIR/good.xml" "$SS_CONF"
sed -i 's|</modules>|<module name="example"><report interval="10"/></module></modules>|' "$SS_CONF"
ss_rx "config reload" || fail "good config reload"
has_reports() { [ "$(reports)" -ge 1 ] 2>/dev/null; }
ss_wait_for "example timer fires after reload" has_reports
ss_rx "config show" | grep -q 'interval="10"' || fail "config show"

# SIGTERM ends it with status 0.
kill -TERM "$SS_PID"
ss_wait_exit 0

# core stop now also exits 0.
ss_start
ss_rx "core stop now" >/dev/null 2>&1
ss_wait_exit 0
grep -q "ERROR" "$SS_LOG" && fail "errors in the log"
echo "core_console: 1 passed, 0 failed"
