# SPDX-License-Identifier: GPL-2.0-or-later
# The registrar module (RFC 3261 section 10, RFC 3327 Path). Its unit tests
# compile these sources directly with fake location and transaction services.
REGISTRAR_SOURCES = \
	modules/registrar/registrar.c modules/registrar/reg_int.h \
	modules/registrar/reg_handle.c modules/registrar/reg_domain.c \
	modules/registrar/reg_reply.c
REGISTRAR_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"registrar"' \
	-I$(top_srcdir)/modules/registrar

mod_LTLIBRARIES += modules/registrar/registrar.la
modules_registrar_registrar_la_SOURCES = $(REGISTRAR_SOURCES)
modules_registrar_registrar_la_CPPFLAGS = $(REGISTRAR_CPPFLAGS)
modules_registrar_registrar_la_LDFLAGS = $(MODULE_LDFLAGS)

EXTRA_DIST += configs/examples/registrar.xml
