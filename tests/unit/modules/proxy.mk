# SPDX-License-Identifier: GPL-2.0-or-later
# Proxy module tests: the module's and the parser's sources linked in, a
# fake transport service (proxy_test.c).
PROXY_TEST_CPPFLAGS = $(PROXY_CPPFLAGS) -I$(top_srcdir)/core \
	-I$(top_srcdir)/tests/unit/modules/proxy
PROXY_TEST_SOURCES = $(PROXY_SOURCES) $(SS_PARSER_LIB_SOURCES) \
	tests/unit/modules/proxy/proxy_test.c \
	tests/unit/modules/proxy/proxy_test.h

check_PROGRAMS += tests/unit/modules/proxy/check_proxy_route
tests_unit_modules_proxy_check_proxy_route_SOURCES = \
	tests/unit/modules/proxy/check_proxy_route.c $(PROXY_TEST_SOURCES)
tests_unit_modules_proxy_check_proxy_route_CPPFLAGS = $(PROXY_TEST_CPPFLAGS)
tests_unit_modules_proxy_check_proxy_route_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_proxy_check_proxy_route_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/proxy/check_proxy_route

check_PROGRAMS += tests/unit/modules/proxy/check_proxy_loop
tests_unit_modules_proxy_check_proxy_loop_SOURCES = \
	tests/unit/modules/proxy/check_proxy_loop.c $(PROXY_TEST_SOURCES)
tests_unit_modules_proxy_check_proxy_loop_CPPFLAGS = $(PROXY_TEST_CPPFLAGS)
tests_unit_modules_proxy_check_proxy_loop_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_proxy_check_proxy_loop_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/proxy/check_proxy_loop

check_PROGRAMS += tests/unit/modules/proxy/check_proxy_response
tests_unit_modules_proxy_check_proxy_response_SOURCES = \
	tests/unit/modules/proxy/check_proxy_response.c $(PROXY_TEST_SOURCES)
tests_unit_modules_proxy_check_proxy_response_CPPFLAGS = $(PROXY_TEST_CPPFLAGS)
tests_unit_modules_proxy_check_proxy_response_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_proxy_check_proxy_response_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/proxy/check_proxy_response

check_PROGRAMS += tests/unit/modules/proxy/check_proxy_forward
tests_unit_modules_proxy_check_proxy_forward_SOURCES = \
	tests/unit/modules/proxy/check_proxy_forward.c $(PROXY_TEST_SOURCES)
tests_unit_modules_proxy_check_proxy_forward_CPPFLAGS = $(PROXY_TEST_CPPFLAGS)
tests_unit_modules_proxy_check_proxy_forward_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_proxy_check_proxy_forward_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/proxy/check_proxy_forward
