#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# baresip registers to the real server with a password: the first REGISTER
# gets a 401 digest challenge, the second carries credentials and gets 200;
# `location show` then holds baresip's Contact. A user agent with a wrong
# password is refused and never bound. On SIGTERM baresip unregisters
# (Expires 0, authenticated again) and the binding goes away.
set -u
. "$top_srcdir/tests/scenarios/baresip/lib.sh"

bs_server "$(bs_registrar_modules)"
ss_rx "auth user add alice@$BS_DOMAIN secret-a" >/dev/null || fail "add alice"
ss_rx "auth user add bob@$BS_DOMAIN secret-b" >/dev/null || fail "add bob"

# A counter of `auth show stats` ("challenges 2, accepted 1, failed 0...").
auth_stat() {
	ss_rx "auth show stats" | sed -n "1s/.*\\<$1 \\([0-9][0-9]*\\).*/\\1/p"
}

bs_ua alice alice secret-a
bs_start alice
bs_wait_log alice "registered successfully" "alice registered"
bs_log_has alice "alice@$BS_DOMAIN: .*200 OK" || fail "alice: no 200 OK in the log"
bs_wait "alice's binding in location show" alice bs_bound alice
challenges=$(auth_stat challenges)
ok=$(auth_stat accepted)
[ "${challenges:-0}" -ge 1 ] || fail "no 401 challenge counted: $(ss_rx "auth show stats")"
[ "${ok:-0}" -ge 1 ] || fail "no accepted credentials counted: $(ss_rx "auth show stats")"

# Same user name space, wrong password: 401 again after the credentials,
# which baresip reports as a failed registration.
bs_ua bob bob not-the-password
bs_start bob
bs_wait_log bob "reg: sip:bob@$BS_DOMAIN: 401 Unauthorized" "bob refused"
failed=$(auth_stat failed)
[ "${failed:-0}" -ge 1 ] || fail "no failed credentials counted: $(ss_rx "auth show stats")"
bs_unbound bob || fail "bob bound with a wrong password: $(ss_rx "location show")"
bs_log_has bob "registered successfully" && fail "bob's baresip reports a registration"
bs_stop bob
bs_unbound bob || fail "bob bound with a wrong password: $(ss_rx "location show")"
bs_bound alice || fail "alice's binding lost: $(ss_rx "location show")"

# Graceful exit unregisters: the binding is gone once baresip has exited.
bs_stop alice
bs_unbound alice || fail "alice still bound after unregistering: $(ss_rx "location show sip:alice@$BS_DOMAIN")"
exit 0
