# SPDX-License-Identifier: GPL-2.0-or-later
# dns module tests: the module's sources are linked in directly. check_dns
# runs dnsmasq (Debian dnsmasq-base) on a loopback port per test.
DNS_TEST_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"dns"' \
	-I$(top_srcdir)/modules/dns -I$(top_srcdir)/core
DNS_TEST_CFLAGS = $(TEST_CFLAGS) $(CARES_CFLAGS)
DNS_TEST_LIBS = $(TEST_LIBS) $(CARES_LIBS)

check_PROGRAMS += tests/unit/modules/dns/check_dns_cache
tests_unit_modules_dns_check_dns_cache_SOURCES = \
	tests/unit/modules/dns/check_dns_cache.c $(DNS_SOURCES)
tests_unit_modules_dns_check_dns_cache_CPPFLAGS = $(DNS_TEST_CPPFLAGS)
tests_unit_modules_dns_check_dns_cache_CFLAGS = $(DNS_TEST_CFLAGS)
tests_unit_modules_dns_check_dns_cache_LDADD = $(DNS_TEST_LIBS)
TESTS += tests/unit/modules/dns/check_dns_cache

check_PROGRAMS += tests/unit/modules/dns/check_dns_rrset
tests_unit_modules_dns_check_dns_rrset_SOURCES = \
	tests/unit/modules/dns/check_dns_rrset.c $(DNS_SOURCES)
tests_unit_modules_dns_check_dns_rrset_CPPFLAGS = $(DNS_TEST_CPPFLAGS)
tests_unit_modules_dns_check_dns_rrset_CFLAGS = $(DNS_TEST_CFLAGS)
tests_unit_modules_dns_check_dns_rrset_LDADD = $(DNS_TEST_LIBS)
TESTS += tests/unit/modules/dns/check_dns_rrset

check_PROGRAMS += tests/unit/modules/dns/check_dns_rfc3263
tests_unit_modules_dns_check_dns_rfc3263_SOURCES = \
	tests/unit/modules/dns/check_dns_rfc3263.c $(DNS_SOURCES)
tests_unit_modules_dns_check_dns_rfc3263_CPPFLAGS = $(DNS_TEST_CPPFLAGS)
tests_unit_modules_dns_check_dns_rfc3263_CFLAGS = $(DNS_TEST_CFLAGS)
tests_unit_modules_dns_check_dns_rfc3263_LDADD = $(DNS_TEST_LIBS)
TESTS += tests/unit/modules/dns/check_dns_rfc3263

check_PROGRAMS += tests/unit/modules/dns/check_dns
tests_unit_modules_dns_check_dns_SOURCES = \
	tests/unit/modules/dns/check_dns.c tests/unit/modules/dns/dns_test.c \
	tests/unit/modules/dns/dns_test.h $(DNS_SOURCES)
tests_unit_modules_dns_check_dns_CPPFLAGS = $(DNS_TEST_CPPFLAGS)
tests_unit_modules_dns_check_dns_CFLAGS = $(DNS_TEST_CFLAGS)
tests_unit_modules_dns_check_dns_LDADD = $(DNS_TEST_LIBS)
TESTS += tests/unit/modules/dns/check_dns
