# SPDX-License-Identifier: GPL-2.0-or-later
# The console: command tree (check_cli) and socket server/client
# (check_console). Both include core-private headers.
check_PROGRAMS += tests/unit/core/check_cli
tests_unit_core_check_cli_SOURCES = tests/unit/core/check_cli.c
tests_unit_core_check_cli_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core
tests_unit_core_check_cli_CFLAGS = $(TEST_CFLAGS)
tests_unit_core_check_cli_LDADD = $(TEST_LIBS)
TESTS += tests/unit/core/check_cli

check_PROGRAMS += tests/unit/core/check_console
tests_unit_core_check_console_SOURCES = tests/unit/core/check_console.c
tests_unit_core_check_console_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core
tests_unit_core_check_console_CFLAGS = $(TEST_CFLAGS)
tests_unit_core_check_console_LDADD = $(TEST_LIBS)
TESTS += tests/unit/core/check_console
