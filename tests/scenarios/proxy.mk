# SPDX-License-Identifier: GPL-2.0-or-later
# Proxy scenarios: RFC 3665 flows through one or two sipserver proxies with
# sipp user agents, and the 483/482 checks of RFC 3261 16.3.
PROXY_SCENARIOS = \
	tests/scenarios/rfc3665_3_1_session.sh \
	tests/scenarios/rfc3665_3_2_two_proxies.sh \
	tests/scenarios/rfc3665_3_7_reinvite.sh \
	tests/scenarios/rfc3665_3_8_no_answer.sh \
	tests/scenarios/rfc3665_3_9_busy.sh \
	tests/scenarios/rfc3665_3_10_no_response.sh \
	tests/scenarios/rfc3665_3_11_unavailable.sh \
	tests/scenarios/proxy_maxfwd_loop.sh
TESTS += $(PROXY_SCENARIOS)
dist_noinst_SCRIPTS += $(PROXY_SCENARIOS)
EXTRA_DIST += \
	tests/scenarios/sipp/proxy_register.xml \
	tests/scenarios/sipp/proxy_uac_fail.xml \
	tests/scenarios/sipp/proxy_3_1_alice.xml \
	tests/scenarios/sipp/proxy_3_1_bob.xml \
	tests/scenarios/sipp/proxy_3_2_alice.xml \
	tests/scenarios/sipp/proxy_3_2_bob.xml \
	tests/scenarios/sipp/proxy_3_7_alice.xml \
	tests/scenarios/sipp/proxy_3_7_bob.xml \
	tests/scenarios/sipp/proxy_3_8_alice.xml \
	tests/scenarios/sipp/proxy_3_8_bob.xml \
	tests/scenarios/sipp/proxy_3_9_bob.xml \
	tests/scenarios/sipp/proxy_3_10_bob.xml
