# SPDX-License-Identifier: GPL-2.0-or-later
# baresip (Debian package baresip) as a real SIP client against the real
# server: digest-authenticated registration, and a call through the b2bua
# and the RTP relay whose audio is checked at both ends (sox).
BARESIP_SCENARIOS = \
	tests/scenarios/baresip_register.sh \
	tests/scenarios/baresip_media_b2bua.sh
TESTS += $(BARESIP_SCENARIOS)
dist_noinst_SCRIPTS += $(BARESIP_SCENARIOS)
EXTRA_DIST += tests/scenarios/baresip/lib.sh \
	tests/scenarios/baresip/config.in
