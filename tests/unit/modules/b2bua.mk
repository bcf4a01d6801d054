# SPDX-License-Identifier: GPL-2.0-or-later
# b2bua module tests: the module's sources linked in with the parser's;
# check_b2bua also runs the real transaction layer (with the transaction
# tests' harness: core loops, fake transport) and a fake rtp_relay.
B2BUA_TEST_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"b2bua"' \
	-I$(top_srcdir)/modules/b2bua -I$(top_srcdir)/core \
	-I$(top_srcdir)/modules/transaction \
	-I$(top_srcdir)/tests/unit/modules/transaction
B2BUA_TEST_SOURCES = $(B2BUA_SOURCES) $(SS_PARSER_LIB_SOURCES) \
	tests/unit/modules/b2bua/b2b_test.c \
	tests/unit/modules/b2bua/b2b_test.h

check_PROGRAMS += tests/unit/modules/b2bua/check_b2b_sdp
tests_unit_modules_b2bua_check_b2b_sdp_SOURCES = \
	tests/unit/modules/b2bua/check_b2b_sdp.c $(B2BUA_TEST_SOURCES)
tests_unit_modules_b2bua_check_b2b_sdp_CPPFLAGS = $(B2BUA_TEST_CPPFLAGS)
tests_unit_modules_b2bua_check_b2b_sdp_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_b2bua_check_b2b_sdp_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/b2bua/check_b2b_sdp

check_PROGRAMS += tests/unit/modules/b2bua/check_b2bua
tests_unit_modules_b2bua_check_b2bua_SOURCES = \
	tests/unit/modules/b2bua/check_b2bua.c $(B2BUA_TEST_SOURCES) \
	$(TRANSACTION_SOURCES) \
	tests/unit/modules/transaction/txn_test.c \
	tests/unit/modules/transaction/txn_test.h
tests_unit_modules_b2bua_check_b2bua_CPPFLAGS = $(B2BUA_TEST_CPPFLAGS)
tests_unit_modules_b2bua_check_b2bua_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_b2bua_check_b2bua_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/b2bua/check_b2bua
