#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The dns module in the real binary: dnsmasq on a loopback port serves
# NAPTR/SRV/A records, `dns resolve` prints the RFC 3263 destinations in
# order, the cache keeps answering once dnsmasq is gone.
set -u
. "$top_srcdir/tests/lib/server.sh"

DNSMASQ=/usr/sbin/dnsmasq
[ -x "$DNSMASQ" ] || { echo "SKIP: $DNSMASQ missing"; exit 77; }

PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
"$DNSMASQ" --keep-in-foreground -p "$PORT" --listen-address=127.0.0.1 \
	--bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null \
	--pid-file= --local=/test/ --local-ttl=60 --log-facility=/dev/null \
	--host-record=a.test,127.0.0.2 --host-record=b.test,127.0.0.3 \
	--naptr-record=example.test,10,10,S,SIP+D2T,,_sip._tcp.example.test \
	--naptr-record=example.test,20,10,S,SIP+D2U,,_sip._udp.example.test \
	--srv-host=_sip._tcp.example.test,a.test,5070,10,0 \
	--srv-host=_sip._udp.example.test,b.test,5080,10,0 &
DNS_PID=$!
trap 'kill "$DNS_PID" 2>/dev/null; wait "$DNS_PID" 2>/dev/null; ss_cleanup' EXIT

ss_make_config "<module name=\"dns\">
    <server address=\"127.0.0.1\" port=\"$PORT\"/>
    <timeouts ms=\"200\" tries=\"1\"/>
  </module>" "modulepath=\"$top_builddir/modules/dns\""
ss_start

dns_up() {
	kill -0 "$DNS_PID" 2>/dev/null || fail "dnsmasq exited (port $PORT taken?)"
	ss_rx "dns resolve sip:a.test:5090"
}
ss_wait_for "dnsmasq answers" dns_up

out=$(ss_rx "dns resolve sip:bob@example.test") || fail "resolve: $out"
[ "$(echo "$out" | sed -n 1p)" = " 1. tcp 127.0.0.2:5070" ] || fail "first: $out"
[ "$(echo "$out" | sed -n 2p)" = " 2. udp 127.0.0.3:5080" ] || fail "second: $out"

out=$(ss_rx "dns resolve sips:[::1]") || fail "numeric: $out"
[ "$out" = " 1. tls [::1]:5061" ] || fail "numeric: $out"

out=$(ss_rx "dns resolve nothere.test"); st=$?
[ "$st" -eq 1 ] || fail "NXDOMAIN gave status $st: $out"

ss_rx "dns show cache" | grep -q "_sip._tcp.example.test" || fail "cache"

kill "$DNS_PID"; wait "$DNS_PID" 2>/dev/null
out=$(ss_rx "dns resolve sip:bob@example.test") || fail "cached resolve: $out"
echo "$out" | grep -q "tcp 127.0.0.2:5070" || fail "cached: $out"

ss_rx "dns show blocklist" | grep -q "0 blocked" || fail "blocklist"
ss_rx "module unload dns" || fail "unload"
exit 0
