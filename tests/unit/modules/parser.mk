# SPDX-License-Identifier: GPL-2.0-or-later
# Parser tests. They compile the parser sources directly and need no core:
# check_parser_mod stubs the few core calls the module glue makes, so it
# must not link the core library.
check_PROGRAMS += tests/unit/modules/parser/check_parser
tests_unit_modules_parser_check_parser_SOURCES = \
	tests/unit/modules/parser/check_parser.c \
	tests/unit/modules/parser/parser_test.h $(SS_PARSER_LIB_SOURCES)
tests_unit_modules_parser_check_parser_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_parser_check_parser_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/modules/parser/check_parser

check_PROGRAMS += tests/unit/modules/parser/check_rfc4475
tests_unit_modules_parser_check_rfc4475_SOURCES = \
	tests/unit/modules/parser/check_rfc4475.c \
	tests/unit/modules/parser/parser_test.h $(SS_PARSER_LIB_SOURCES)
tests_unit_modules_parser_check_rfc4475_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_parser_check_rfc4475_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/modules/parser/check_rfc4475

check_PROGRAMS += tests/unit/modules/parser/check_parser_mod
tests_unit_modules_parser_check_parser_mod_SOURCES = \
	tests/unit/modules/parser/check_parser_mod.c \
	tests/unit/modules/parser/parser_test.h $(SS_PARSER_LIB_SOURCES) \
	modules/parser/parser_mod.c
tests_unit_modules_parser_check_parser_mod_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSS_MODULE_NAME='"parser"'
tests_unit_modules_parser_check_parser_mod_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_parser_check_parser_mod_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/modules/parser/check_parser_mod

EXTRA_DIST += tests/data/sip/rfc4475

check_PROGRAMS += tests/unit/modules/parser/check_uri_aor
tests_unit_modules_parser_check_uri_aor_SOURCES = \
	tests/unit/modules/parser/check_uri_aor.c $(SS_PARSER_LIB_SOURCES)
tests_unit_modules_parser_check_uri_aor_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_parser_check_uri_aor_LDADD = $(CHECK_LIBS)
TESTS += tests/unit/modules/parser/check_uri_aor
