#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end test of the loader with real modules: dependency order at
# start, `module show` with versions and dependents, refusal to unload a
# module another needs (naming it), and the SDK's promise that a module
# built out of tree with one cc line loads into the running server.
set -u
. "$top_srcdir/tests/lib/server.sh"

ss_make_config '
    <module name="digest_auth"/>
    <module name="parser"/>
    <module name="transport"><listen transport="udp" address="127.0.0.1" port="0"/></module>' \
	"modulepath=\"$top_builddir/modules:@SS_DIR@/ext\""
# The out-of-tree module goes into its own folder, searched after modules/.
ext="$SS_DIR/ext"
mkdir -p "$ext"
${CC:-cc} -shared -fPIC -O2 -Wall -Werror -o "$ext/example.so" \
	"$top_srcdir/contrib/example_module/example.c" -I"$top_srcdir/include" ||
	fail "the example module does not build with one cc line"
ss_start

show=$(ss_rx "module show") || fail "module show"
for m in transport parser digest_auth; do
	echo "$show" | grep -q "^$m " || fail "$m not loaded: $show"
done
echo "$show" | grep "^parser " | grep -q "digest_auth" ||
	fail "module show does not name parser's dependent: $show"

out=$(ss_rx "module unload parser" 2>&1); st=$?
[ "$st" -eq 1 ] || fail "unloading a needed module gave status $st"
echo "$out" | grep -q "digest_auth" || fail "refusal does not name the dependent: $out"
ss_rx "module show" | grep -q "^parser " || fail "parser unloaded despite refusal"

ss_rx "module unload digest_auth" || fail "unload digest_auth"
ss_rx "module unload parser" || fail "unload parser once nothing needs it"
ss_rx "module load parser" || fail "load parser again"
ss_rx "module load digest_auth" || fail "load digest_auth again"

ss_rx "module load example" || fail "load the out-of-tree example module"
ss_rx "example show" | grep -q "requests seen" || fail "example show"
ss_rx "module unload example" || fail "unload the example module"

ss_rx "core stop gracefully" >/dev/null 2>&1
ss_wait_exit 0
echo "core_modules: 1 passed, 0 failed"
