# SPDX-License-Identifier: GPL-2.0-or-later
# redirect module tests: the module's sources and the parser's are linked
# in directly; location and transaction are fakes in the test.
check_PROGRAMS += tests/unit/modules/redirect/check_redirect
tests_unit_modules_redirect_check_redirect_SOURCES = \
	tests/unit/modules/redirect/check_redirect.c \
	$(REDIRECT_SOURCES) $(SS_PARSER_LIB_C)
tests_unit_modules_redirect_check_redirect_CPPFLAGS = $(REDIRECT_CPPFLAGS) \
	-I$(top_srcdir)/modules/parser
tests_unit_modules_redirect_check_redirect_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_redirect_check_redirect_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/redirect/check_redirect
