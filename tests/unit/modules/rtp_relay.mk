# SPDX-License-Identifier: GPL-2.0-or-later
# rtp_relay module tests: the module's sources are linked in directly and
# driven through their internal functions, the descriptor and the service.
RTP_RELAY_TEST_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"rtp_relay"' \
	-I$(top_srcdir)/modules/rtp_relay -I$(top_srcdir)/core
RTP_RELAY_TEST_SOURCES = $(RTP_RELAY_SOURCES) \
	tests/unit/modules/rtp_relay/rtp_test.c \
	tests/unit/modules/rtp_relay/rtp_test.h

check_PROGRAMS += tests/unit/modules/rtp_relay/check_rtp_ports
tests_unit_modules_rtp_relay_check_rtp_ports_SOURCES = \
	tests/unit/modules/rtp_relay/check_rtp_ports.c \
	modules/rtp_relay/rtp_ports.c
tests_unit_modules_rtp_relay_check_rtp_ports_CPPFLAGS = $(RTP_RELAY_TEST_CPPFLAGS)
tests_unit_modules_rtp_relay_check_rtp_ports_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_rtp_relay_check_rtp_ports_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/rtp_relay/check_rtp_ports

check_PROGRAMS += tests/unit/modules/rtp_relay/check_rtp_stream
tests_unit_modules_rtp_relay_check_rtp_stream_SOURCES = \
	tests/unit/modules/rtp_relay/check_rtp_stream.c $(RTP_RELAY_TEST_SOURCES)
tests_unit_modules_rtp_relay_check_rtp_stream_CPPFLAGS = $(RTP_RELAY_TEST_CPPFLAGS)
tests_unit_modules_rtp_relay_check_rtp_stream_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_rtp_relay_check_rtp_stream_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/rtp_relay/check_rtp_stream

check_PROGRAMS += tests/unit/modules/rtp_relay/check_rtp_relay
tests_unit_modules_rtp_relay_check_rtp_relay_SOURCES = \
	tests/unit/modules/rtp_relay/check_rtp_relay.c $(RTP_RELAY_TEST_SOURCES)
tests_unit_modules_rtp_relay_check_rtp_relay_CPPFLAGS = $(RTP_RELAY_TEST_CPPFLAGS)
tests_unit_modules_rtp_relay_check_rtp_relay_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_rtp_relay_check_rtp_relay_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/rtp_relay/check_rtp_relay
