# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 3.3, 3.4 and 3.6: several sipserver instances on 127.0.0.x
# addresses with sipp user agents (3.4 also runs dnsmasq). They need the
# parser, transport, transaction, location, registrar, digest_auth, dns,
# proxy and redirect modules of the build tree.
REDIRECT_SCENARIOS = \
	tests/scenarios/rfc3665_3_3_multi_auth.sh \
	tests/scenarios/rfc3665_3_4_proxy_failure.sh \
	tests/scenarios/rfc3665_3_6_redirect.sh
TESTS += $(REDIRECT_SCENARIOS)
dist_noinst_SCRIPTS += $(REDIRECT_SCENARIOS)
EXTRA_DIST += \
	tests/scenarios/sipp/redir_register.xml \
	tests/scenarios/sipp/f33_alice_1.xml \
	tests/scenarios/sipp/f33_alice_2.xml \
	tests/scenarios/sipp/f33_alice_3.xml \
	tests/scenarios/sipp/f33_bob.xml \
	tests/scenarios/sipp/f34_alice_1.xml \
	tests/scenarios/sipp/f34_alice_2.xml \
	tests/scenarios/sipp/f34_bob.xml \
	tests/scenarios/sipp/f34_silent.xml \
	tests/scenarios/sipp/f36_alice_redirect.xml \
	tests/scenarios/sipp/f36_alice_proxy.xml \
	tests/scenarios/sipp/f36_bob.xml
