# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the event loops, the timer wheel and the message bus.
check_PROGRAMS += tests/unit/core/check_timer_wheel
tests_unit_core_check_timer_wheel_SOURCES = tests/unit/core/check_timer_wheel.c
tests_unit_core_check_timer_wheel_CFLAGS = $(TEST_CFLAGS)
tests_unit_core_check_timer_wheel_LDADD = $(TEST_LIBS)
TESTS += tests/unit/core/check_timer_wheel

check_PROGRAMS += tests/unit/core/check_loop
tests_unit_core_check_loop_SOURCES = tests/unit/core/check_loop.c
tests_unit_core_check_loop_CFLAGS = $(TEST_CFLAGS)
tests_unit_core_check_loop_LDADD = $(TEST_LIBS)
TESTS += tests/unit/core/check_loop

check_PROGRAMS += tests/unit/core/check_bus
tests_unit_core_check_bus_SOURCES = tests/unit/core/check_bus.c
tests_unit_core_check_bus_CFLAGS = $(TEST_CFLAGS)
tests_unit_core_check_bus_LDADD = $(TEST_LIBS)
TESTS += tests/unit/core/check_bus
