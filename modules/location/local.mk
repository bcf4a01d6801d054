# SPDX-License-Identifier: GPL-2.0-or-later
# The location module (bindings in memory, durable in SQLite) and its
# benchmark; the unit tests and the benchmark compile its sources directly.
LOCATION_SOURCES = \
	modules/location/location.c modules/location/loc_int.h \
	modules/location/loc_table.c modules/location/loc_uri.c \
	modules/location/loc_store.c modules/location/loc_writer.c \
	modules/location/loc_expiry.c modules/location/loc_cli.c
LOCATION_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"location"' \
	-I$(top_srcdir)/modules/location

sssipinc_HEADERS += include/sipserver/sip/location.h

mod_LTLIBRARIES += modules/location/location.la
modules_location_location_la_SOURCES = $(LOCATION_SOURCES)
modules_location_location_la_CPPFLAGS = $(LOCATION_CPPFLAGS)
modules_location_location_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
modules_location_location_la_LIBADD = $(SQLITE_LIBS)
modules_location_location_la_LDFLAGS = $(MODULE_LDFLAGS)

# `make bench-location`: memory per binding, group-commit throughput and
# reload time of 1,000,000 bindings (uses about 1 GB of disk under /tmp).
noinst_PROGRAMS += tests/bench/location_bench
tests_bench_location_bench_SOURCES = tests/bench/location_bench.c \
	modules/location/loc_table.c modules/location/loc_uri.c \
	modules/location/loc_store.c modules/location/loc_writer.c \
	modules/location/loc_int.h
tests_bench_location_bench_CPPFLAGS = $(LOCATION_CPPFLAGS)
tests_bench_location_bench_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
tests_bench_location_bench_LDADD = $(CORE_LIBS) $(SQLITE_LIBS)

.PHONY: bench-location
bench-location: tests/bench/location_bench$(EXEEXT)
	./tests/bench/location_bench$(EXEEXT)
