# SPDX-License-Identifier: GPL-2.0-or-later
# The dns module: RFC 3263 server location through c-ares, the `dns` service.
DNS_SOURCES = \
	modules/dns/dns.c modules/dns/dns_int.h modules/dns/dns_cli.c \
	modules/dns/dns_resolver.c modules/dns/dns_rfc3263.c \
	modules/dns/dns_rrset.c modules/dns/dns_cache.c

mod_LTLIBRARIES += modules/dns/dns.la
modules_dns_dns_la_SOURCES = $(DNS_SOURCES)
modules_dns_dns_la_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"dns"'
modules_dns_dns_la_CFLAGS = $(AM_CFLAGS) $(CARES_CFLAGS)
modules_dns_dns_la_LIBADD = $(CARES_LIBS)
modules_dns_dns_la_LDFLAGS = $(MODULE_LDFLAGS)

sssipinc_HEADERS += include/sipserver/sip/dns.h
