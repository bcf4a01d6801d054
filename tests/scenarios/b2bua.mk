# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario tests of the b2bua module (SIP ALG, RFC 3665 3.5).
TESTS += tests/scenarios/rfc3665_3_5_alg.sh
dist_noinst_SCRIPTS += tests/scenarios/rfc3665_3_5_alg.sh
EXTRA_DIST += tests/lib/multi.sh \
	tests/scenarios/sipp/alg_alice.xml tests/scenarios/sipp/alg_bob.xml
TESTS += tests/scenarios/b2bua_load.sh
dist_noinst_SCRIPTS += tests/scenarios/b2bua_load.sh
EXTRA_DIST += tests/scenarios/sipp/alg_load_alice.xml \
	tests/scenarios/sipp/alg_load_bob.xml
