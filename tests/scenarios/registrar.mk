# SPDX-License-Identifier: GPL-2.0-or-later
# RFC 3665 section 2 (registration) against the real server, with sipp as
# the user agent; plus durability across kill -9, expiry, 423 and SHA-256.
REGISTRAR_SCENARIOS = \
	tests/scenarios/rfc3665_2_1_register.sh \
	tests/scenarios/rfc3665_2_2_update.sh \
	tests/scenarios/rfc3665_2_3_query.sh \
	tests/scenarios/rfc3665_2_4_cancel.sh \
	tests/scenarios/rfc3665_2_5_unsuccessful.sh \
	tests/scenarios/rfc3665_2_1_durable.sh \
	tests/scenarios/rfc3665_2_1_sha256.sh \
	tests/scenarios/rfc3665_2_expiry.sh \
	tests/scenarios/rfc3665_2_423.sh
TESTS += $(REGISTRAR_SCENARIOS)
dist_noinst_SCRIPTS += $(REGISTRAR_SCENARIOS)
EXTRA_DIST += tests/scenarios/rfc3665_2_common.sh \
	tests/scenarios/sipp/reg_challenge.xml \
	tests/scenarios/sipp/reg_auth_200.xml \
	tests/scenarios/sipp/reg_auth_401.xml \
	tests/scenarios/sipp/reg_update.xml \
	tests/scenarios/sipp/reg_query.xml \
	tests/scenarios/sipp/reg_cancel.xml \
	tests/scenarios/sipp/reg_stale_cseq.xml \
	tests/scenarios/sipp/reg_423.xml
