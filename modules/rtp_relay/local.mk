# SPDX-License-Identifier: GPL-2.0-or-later
# The rtp_relay module: RTP/RTCP relay sessions, the `rtp_relay` service.
RTP_RELAY_SOURCES = \
	modules/rtp_relay/rtp_relay.c modules/rtp_relay/rtp_int.h \
	modules/rtp_relay/rtp_ports.c modules/rtp_relay/rtp_stream.c

mod_LTLIBRARIES += modules/rtp_relay/rtp_relay.la
modules_rtp_relay_rtp_relay_la_SOURCES = $(RTP_RELAY_SOURCES)
modules_rtp_relay_rtp_relay_la_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"rtp_relay"'
modules_rtp_relay_rtp_relay_la_LDFLAGS = $(MODULE_LDFLAGS)

sssipinc_HEADERS += include/sipserver/sip/rtp_relay.h

# Benchmark: packets/s per core through the relay and the latency it adds.
# Built by `make check` so that it keeps compiling; run by `make bench-rtp`.
check_PROGRAMS += tests/bench/rtp_relay_bench
tests_bench_rtp_relay_bench_SOURCES = tests/bench/rtp_relay_bench.c \
	$(RTP_RELAY_SOURCES)
tests_bench_rtp_relay_bench_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSS_MODULE_NAME='"rtp_relay"' -I$(top_srcdir)/modules/rtp_relay
tests_bench_rtp_relay_bench_CFLAGS = $(AM_CFLAGS)
tests_bench_rtp_relay_bench_LDADD = $(CORE_LIBS)

.PHONY: bench-rtp
bench-rtp: tests/bench/rtp_relay_bench$(EXEEXT)
	./tests/bench/rtp_relay_bench$(EXEEXT)
