# SPDX-License-Identifier: GPL-2.0-or-later
# The proxy module (RFC 3261 section 16 stateful proxy). Its unit tests
# compile these sources directly with the parser's.
PROXY_SOURCES = \
	modules/proxy/proxy.c modules/proxy/proxy_int.h \
	modules/proxy/proxy_request.c modules/proxy/proxy_forward.c \
	modules/proxy/proxy_response.c modules/proxy/proxy_route.c \
	modules/proxy/proxy_loop.c
PROXY_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"proxy"' \
	-I$(top_srcdir)/modules/proxy

mod_LTLIBRARIES += modules/proxy/proxy.la
modules_proxy_proxy_la_SOURCES = $(PROXY_SOURCES)
modules_proxy_proxy_la_CPPFLAGS = $(PROXY_CPPFLAGS)
modules_proxy_proxy_la_LDFLAGS = $(MODULE_LDFLAGS)

EXTRA_DIST += configs/examples/proxy.xml
