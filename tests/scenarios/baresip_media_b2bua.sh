#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Two baresip clients register to the real server with passwords and call
# each other through the b2bua and the RTP relay; the audio each one hears
# is what the other played.
#
# One server plays every role: registrar (digest auth), b2bua with the
# relay, proxy. Alice's INVITE carries her outbound-proxy Route, which the
# b2bua takes; its new call goes to the Request-URI, sip:bob@127.0.0.1:PORT
# (the server again, so the port is in the URI), where no Route names the
# b2bua and the proxy finds Bob's binding. Both SDPs are rewritten to the
# relay, so each client must receive its RTP from a relay port. Only
# REGISTER is challenged: the b2bua's own INVITE comes back to this server
# with alice's From and no credentials.
#
# Audio: alice plays a 1 kHz sine and bob a 440 Hz one (aufile, 8 kHz
# 16-bit, PCMU or PCMA on the wire); each records what it decodes (sndfile)
# and the test measures, with sox, 2 s after the first 0.5 s: the level is
# close to what was played (RMS 0.2-0.5 for a sine of peak 0.5, RMS 0.354);
# at least 90 % of the RMS lies within 100 Hz of the played frequency; under
# 10 % within 100 Hz of the listener's own one (no reflection of its own
# stream). A narrower band would make sox's filter itself cut the tone.
# G.711 quantisation noise and a few lost or late packets stay far within
# these bounds; silence, the wrong stream or a broken relay do not.
set -u
. "$top_srcdir/tests/scenarios/baresip/lib.sh"

command -v sox >/dev/null 2>&1 || { echo "SKIP: sox is not installed"; exit 77; }

# The relay's range: 100 ports of its own in 20000-29999; the clients' RTP
# ports stay out of it, in 30000-31999.
RTP_MIN=$(( 20000 + ($$ % 100) * 100 ))
RTP_MAX=$(( RTP_MIN + 99 ))
UA_RTP=30000-31999

bs_server "$(bs_registrar_modules)
    <module name=\"rtp_relay\">
      <address ip=\"127.0.0.1\"/>
      <ports min=\"$RTP_MIN\" max=\"$RTP_MAX\"/>
    </module>
    <module name=\"b2bua\"><accept route=\"yes\" ruri=\"no\"/></module>
    <module name=\"proxy\"/>"
ss_rx "auth user add alice@$BS_DOMAIN alice-pw" >/dev/null || fail "add alice"
ss_rx "auth user add bob@$BS_DOMAIN bob-pw" >/dev/null || fail "add bob"

sox -n -r 8000 -c 1 -b 16 -e signed-integer "$SS_DIR/alice.wav" synth 30 sine 1000 vol 0.5 ||
	fail "sox cannot make alice.wav"
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$SS_DIR/bob.wav" synth 30 sine 440 vol 0.5 ||
	fail "sox cannot make bob.wav"

bs_ua alice alice alice-pw "" "$SS_DIR/alice.wav" "$UA_RTP"
bs_ua bob bob bob-pw ";answermode=auto" "$SS_DIR/bob.wav" "$UA_RTP"
bs_start bob
bs_start alice
bs_wait_log bob "registered successfully" "bob registered"
bs_wait_log alice "registered successfully" "alice registered"
bs_wait "bob's binding" bob bs_bound bob
bs_wait "alice's binding" alice bs_bound alice

bs_cmd alice "/dial sip:bob@$BS_DOMAIN:$SS_PORT"
bs_wait_log alice "Call established" "alice's call established"
bs_wait_log bob "Call established" "bob's call established"
# The b2bua's call, confirmed, and its relay ports: the caller's side
# then the callee's ("21000/21002", the last column).
# The ACK may still be on its way when the clients report the call.
call_confirmed() {
	ss_rx "b2bua show calls" >"$SS_DIR/calls.out" 2>&1 &&
		grep -q "^1 call " "$SS_DIR/calls.out" &&
		grep -q " confirmed " "$SS_DIR/calls.out"
}
bs_wait "one confirmed call in b2bua show calls" alice call_confirmed
ports=$(awk '$3 == "confirmed" { print $NF; exit }' "$SS_DIR/calls.out")
case "$ports" in
[0-9]*/[0-9]*) ;;
*) fail "no relay ports in b2bua show calls: $(cat "$SS_DIR/calls.out")" ;;
esac
A_SIDE=${ports%/*}
B_SIDE=${ports#*/}
[ "$A_SIDE" -ge "$RTP_MIN" ] && [ "$A_SIDE" -le "$RTP_MAX" ] &&
	[ "$B_SIDE" -ge "$RTP_MIN" ] && [ "$B_SIDE" -le "$RTP_MAX" ] ||
	fail "relay ports '$ports' outside $RTP_MIN-$RTP_MAX"

# received_from NAME PORT: NAME's RTP comes from the relay's PORT (baresip
# logs where the first packet came from).
received_from() {
	bs_plain <"$SS_DIR/$1/log" | grep -q \
		"incoming rtp for 'audio' established, receiving from 127\.0\.0\.1:$2\$"
}
bs_wait "alice receiving RTP from relay port $A_SIDE" alice received_from alice "$A_SIDE"
bs_wait "bob receiving RTP from relay port $B_SIDE" bob received_from bob "$B_SIDE"

# The decoded audio NAME recorded so far (sndfile's dump-DATE-dec.wav).
recording() {
	ls "$SS_DIR/$1"/dump-*-dec.wav 2>/dev/null | tail -n 1
}

# 3.5 s of 8 kHz 16-bit mono after the 44-byte WAV header.
recorded_enough() {
	local f
	f=$(recording "$1")
	[ -n "$f" ] && [ "$(stat -c %s "$f")" -ge 56044 ]
}
bs_wait "bob's recording to reach 3.5 s" bob recorded_enough bob
bs_wait "alice's recording to reach 3.5 s" alice recorded_enough alice

streams=$(ss_rx "rtp show streams") || fail "rtp show streams"

bs_cmd alice "/hangup"
bs_wait_log alice "terminated" "alice's call to end"
bs_wait_log bob "terminated" "bob's call to end"
no_calls() {
	ss_rx "b2bua show calls" | grep -q "^0 calls "
}
bs_wait "the b2bua to forget the call" bob no_calls
no_sessions() {
	ss_rx "rtp show stats" | grep -q "^sessions: 0 active"
}
bs_wait "the relay to free the ports" bob no_sessions
# The b2bua's own call went through the proxy: INVITE and BYE forwarded.
fwd=$(ss_rx "proxy show stats" | awk '$1 == "forwarded" { print $2 }')
[ "${fwd:-0}" -ge 2 ] || fail "proxy forwarded ${fwd:-no} requests: $(ss_rx "proxy show stats")"

# rms FILE [SOX_EFFECT...]: RMS amplitude of 2 s after the first 0.5 s.
rms() {
	local f=$1
	shift
	sox "$f" -n trim 0.5 2 "$@" stat 2>&1 |
		awk '$1 == "RMS" && $2 == "amplitude:" { print $3; exit }'
}

# hears NAME FREQ OTHER_FREQ: NAME's recording is the FREQ sine the other
# side played and not its own OTHER_FREQ one.
hears() {
	local f total band other
	f=$(recording "$1")
	total=$(rms "$f")
	band=$(rms "$f" sinc "$(($2 - 100))-$(($2 + 100))")
	other=$(rms "$f" sinc "$(($3 - 100))-$(($3 + 100))")
	echo "$1 heard: RMS $total, within 100 Hz of $2 Hz $band, of $3 Hz $other"
	[ -n "$total" ] && [ -n "$band" ] && [ -n "$other" ] ||
		fail "sox cannot measure $f"
	awk -v t="$total" -v b="$band" -v o="$other" 'BEGIN {
		exit !(t >= 0.2 && t <= 0.5 && b >= 0.9 * t && o <= 0.1 * t) }' ||
		fail "$1 did not hear the $2 Hz tone: RMS $total, band $band, other $other; relay: $streams"
}
hears bob 1000 440
hears alice 440 1000

bs_stop alice
bs_stop bob
exit 0
