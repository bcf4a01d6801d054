# SPDX-License-Identifier: GPL-2.0-or-later
# The redirect module (RFC 3261 8.3, RFC 3665 3.6). Its unit tests compile
# these sources directly with the parser's and fake location and
# transaction services.
REDIRECT_SOURCES = \
	modules/redirect/redirect.c modules/redirect/redir_int.h \
	modules/redirect/redir_handle.c modules/redirect/redir_domain.c
REDIRECT_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"redirect"' \
	-I$(top_srcdir)/modules/redirect

mod_LTLIBRARIES += modules/redirect/redirect.la
modules_redirect_redirect_la_SOURCES = $(REDIRECT_SOURCES)
modules_redirect_redirect_la_CPPFLAGS = $(REDIRECT_CPPFLAGS)
modules_redirect_redirect_la_LDFLAGS = $(MODULE_LDFLAGS)

EXTRA_DIST += configs/examples/redirect.xml
