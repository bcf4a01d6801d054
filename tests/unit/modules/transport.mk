# SPDX-License-Identifier: GPL-2.0-or-later
# Transport module tests: the module's sources are linked in directly and
# driven through their internal functions, the descriptor and the service.
TRANSPORT_TEST_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"transport"' \
	-I$(top_srcdir)/modules/transport -I$(top_srcdir)/core
TRANSPORT_TEST_CFLAGS = $(TEST_CFLAGS) $(OPENSSL_CFLAGS)
TRANSPORT_TEST_SOURCES = $(TRANSPORT_SOURCES) \
	tests/unit/modules/transport/tp_test.c \
	tests/unit/modules/transport/tp_test.h

check_PROGRAMS += tests/unit/modules/transport/check_tp_frame
tests_unit_modules_transport_check_tp_frame_SOURCES = \
	tests/unit/modules/transport/check_tp_frame.c \
	modules/transport/tp_frame.c
tests_unit_modules_transport_check_tp_frame_CPPFLAGS = $(TRANSPORT_TEST_CPPFLAGS)
tests_unit_modules_transport_check_tp_frame_CFLAGS = $(TRANSPORT_TEST_CFLAGS)
tests_unit_modules_transport_check_tp_frame_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)
TESTS += tests/unit/modules/transport/check_tp_frame

check_PROGRAMS += tests/unit/modules/transport/check_tp_udp
tests_unit_modules_transport_check_tp_udp_SOURCES = \
	tests/unit/modules/transport/check_tp_udp.c $(TRANSPORT_TEST_SOURCES)
tests_unit_modules_transport_check_tp_udp_CPPFLAGS = $(TRANSPORT_TEST_CPPFLAGS)
tests_unit_modules_transport_check_tp_udp_CFLAGS = $(TRANSPORT_TEST_CFLAGS)
tests_unit_modules_transport_check_tp_udp_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)
TESTS += tests/unit/modules/transport/check_tp_udp

check_PROGRAMS += tests/unit/modules/transport/check_tp_stream
tests_unit_modules_transport_check_tp_stream_SOURCES = \
	tests/unit/modules/transport/check_tp_stream.c $(TRANSPORT_TEST_SOURCES)
tests_unit_modules_transport_check_tp_stream_CPPFLAGS = $(TRANSPORT_TEST_CPPFLAGS)
tests_unit_modules_transport_check_tp_stream_CFLAGS = $(TRANSPORT_TEST_CFLAGS)
tests_unit_modules_transport_check_tp_stream_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)
TESTS += tests/unit/modules/transport/check_tp_stream

check_PROGRAMS += tests/unit/modules/transport/check_tp_tls
tests_unit_modules_transport_check_tp_tls_SOURCES = \
	tests/unit/modules/transport/check_tp_tls.c $(TRANSPORT_TEST_SOURCES)
tests_unit_modules_transport_check_tp_tls_CPPFLAGS = $(TRANSPORT_TEST_CPPFLAGS)
tests_unit_modules_transport_check_tp_tls_CFLAGS = $(TRANSPORT_TEST_CFLAGS)
tests_unit_modules_transport_check_tp_tls_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)
TESTS += tests/unit/modules/transport/check_tp_tls

check_PROGRAMS += tests/unit/modules/transport/check_transport
tests_unit_modules_transport_check_transport_SOURCES = \
	tests/unit/modules/transport/check_transport.c $(TRANSPORT_TEST_SOURCES)
tests_unit_modules_transport_check_transport_CPPFLAGS = $(TRANSPORT_TEST_CPPFLAGS)
tests_unit_modules_transport_check_transport_CFLAGS = $(TRANSPORT_TEST_CFLAGS)
tests_unit_modules_transport_check_transport_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)
TESTS += tests/unit/modules/transport/check_transport

check_PROGRAMS += tests/unit/modules/transport/check_tp_local
tests_unit_modules_transport_check_tp_local_SOURCES = \
	tests/unit/modules/transport/check_tp_local.c \
	modules/transport/tp_local.c
tests_unit_modules_transport_check_tp_local_CPPFLAGS = $(TRANSPORT_TEST_CPPFLAGS)
tests_unit_modules_transport_check_tp_local_CFLAGS = $(TRANSPORT_TEST_CFLAGS)
tests_unit_modules_transport_check_tp_local_LDADD = $(TEST_LIBS) $(OPENSSL_LIBS)
TESTS += tests/unit/modules/transport/check_tp_local
