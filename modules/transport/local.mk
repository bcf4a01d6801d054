# SPDX-License-Identifier: GPL-2.0-or-later
# The transport module: SIP over UDP, TCP and TLS (OpenSSL).
TRANSPORT_SOURCES = \
	modules/transport/transport.c modules/transport/transport_int.h \
	modules/transport/tp_listener.c modules/transport/tp_udp.c \
	modules/transport/tp_conn.c modules/transport/tp_stream.c \
	modules/transport/tp_frame.c modules/transport/tp_tls.c \
	modules/transport/tp_conn_table.c modules/transport/tp_local.c

mod_LTLIBRARIES += modules/transport/transport.la
modules_transport_transport_la_SOURCES = $(TRANSPORT_SOURCES)
modules_transport_transport_la_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"transport"'
modules_transport_transport_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
modules_transport_transport_la_LIBADD = $(OPENSSL_LIBS)
modules_transport_transport_la_LDFLAGS = $(MODULE_LDFLAGS)
