# SPDX-License-Identifier: GPL-2.0-or-later
# libFuzzer targets, built on demand with clang and run for a bounded time:
#   make fuzz-parser FUZZ_SECONDS=30
# Not part of "make" or "make check". New inputs land in
# tests/fuzz/parser-corpus; the SIP fixtures seed it.
FUZZ_CC = clang
FUZZ_SECONDS = 30
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined
EXTRA_DIST += tests/fuzz/parser_fuzz.c
CLEANFILES += tests/fuzz/parser_fuzz

.PHONY: fuzz-parser
fuzz-parser:
	$(MKDIR_P) tests/fuzz/parser-corpus
	srcs=; for f in $(SS_PARSER_LIB_C); do srcs="$$srcs $(top_srcdir)/$$f"; \
	done; $(FUZZ_CC) $(FUZZ_FLAGS) -I$(top_srcdir)/include $$srcs \
		$(top_srcdir)/tests/fuzz/parser_fuzz.c -o tests/fuzz/parser_fuzz
	tests/fuzz/parser_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=16384 \
		-timeout=10 tests/fuzz/parser-corpus \
		$(top_srcdir)/tests/data/sip/rfc4475 \
		$(top_srcdir)/tests/data/sip/rfc3665
