# SPDX-License-Identifier: GPL-2.0-or-later
# The parser module. Its parsing sources never call the core, so the unit
# tests, the fuzzer and the benchmark compile them directly; other modules
# reach them through the `parser` service (include/sipserver/sip/parser.h).
SS_PARSER_LIB_C = \
	modules/parser/arena.c \
	modules/parser/sip_names.c \
	modules/parser/uri_parse.c \
	modules/parser/uri_aor.c \
	modules/parser/hdr_parse.c \
	modules/parser/msg_parse.c \
	modules/parser/msg_check.c \
	modules/parser/msg_edit.c \
	modules/parser/msg_print.c \
	modules/parser/sdp_parse.c \
	modules/parser/parser_api.c
SS_PARSER_LIB_SOURCES = $(SS_PARSER_LIB_C) modules/parser/parser_int.h

sssipinc_HEADERS += \
	include/sipserver/sip/str.h include/sipserver/sip/uri.h \
	include/sipserver/sip/msg.h include/sipserver/sip/sdp.h \
	include/sipserver/sip/parser.h

mod_LTLIBRARIES += modules/parser/parser.la
modules_parser_parser_la_SOURCES = $(SS_PARSER_LIB_SOURCES) \
	modules/parser/parser_mod.c
modules_parser_parser_la_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"parser"'
modules_parser_parser_la_LDFLAGS = $(MODULE_LDFLAGS)

# Parse + serialize throughput on the RFC 3665 INVITE and REGISTER.
noinst_PROGRAMS += tests/bench/parser_bench
tests_bench_parser_bench_SOURCES = tests/bench/parser_bench.c \
	$(SS_PARSER_LIB_SOURCES)
tests_bench_parser_bench_CFLAGS = $(AM_CFLAGS)
EXTRA_DIST += tests/data/sip/rfc3665/invite.sip \
	tests/data/sip/rfc3665/register.sip

.PHONY: bench-parser
bench-parser: tests/bench/parser_bench$(EXEEXT)
	./tests/bench/parser_bench$(EXEEXT) $(top_srcdir)/tests/data/sip/rfc3665
