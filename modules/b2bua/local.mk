# SPDX-License-Identifier: GPL-2.0-or-later
# The b2bua module: the SIP ALG of RFC 3665 3.5 (two dialogs per call, SDP
# through the rtp_relay service, topology hiding).
B2BUA_SOURCES = \
	modules/b2bua/b2bua.c modules/b2bua/b2b_int.h \
	modules/b2bua/b2b_call.c modules/b2bua/b2b_srv.c \
	modules/b2bua/b2b_msg.c modules/b2bua/b2b_sdp.c \
	modules/b2bua/b2b_leg_in.c modules/b2bua/b2b_leg_out.c \
	modules/b2bua/b2b_dialog.c

mod_LTLIBRARIES += modules/b2bua/b2bua.la
modules_b2bua_b2bua_la_SOURCES = $(B2BUA_SOURCES)
modules_b2bua_b2bua_la_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"b2bua"'
modules_b2bua_b2bua_la_LDFLAGS = $(MODULE_LDFLAGS)

EXTRA_DIST += configs/examples/alg.xml
