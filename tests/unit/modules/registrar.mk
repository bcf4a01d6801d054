# SPDX-License-Identifier: GPL-2.0-or-later
# Registrar tests: the module's sources and the parser's are linked in; the
# transaction, location and transport services are fakes in the tests.
REGISTRAR_TEST_SOURCES = $(REGISTRAR_SOURCES) $(SS_PARSER_LIB_SOURCES)

check_PROGRAMS += tests/unit/modules/registrar/check_reg_domain
tests_unit_modules_registrar_check_reg_domain_SOURCES = \
	tests/unit/modules/registrar/check_reg_domain.c $(REGISTRAR_TEST_SOURCES)
tests_unit_modules_registrar_check_reg_domain_CPPFLAGS = $(REGISTRAR_CPPFLAGS)
tests_unit_modules_registrar_check_reg_domain_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_registrar_check_reg_domain_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/registrar/check_reg_domain

check_PROGRAMS += tests/unit/modules/registrar/check_reg_handle
tests_unit_modules_registrar_check_reg_handle_SOURCES = \
	tests/unit/modules/registrar/check_reg_handle.c $(REGISTRAR_TEST_SOURCES)
tests_unit_modules_registrar_check_reg_handle_CPPFLAGS = $(REGISTRAR_CPPFLAGS)
tests_unit_modules_registrar_check_reg_handle_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_registrar_check_reg_handle_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/registrar/check_reg_handle
