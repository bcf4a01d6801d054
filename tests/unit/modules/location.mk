# SPDX-License-Identifier: GPL-2.0-or-later
# Location module tests: the module's sources are linked in directly; the
# table and store tests drive internal functions, check_location the
# descriptor and the service on real core loops.
LOCATION_TEST_CPPFLAGS = $(LOCATION_CPPFLAGS) -I$(top_srcdir)/core
LOCATION_TEST_CFLAGS = $(TEST_CFLAGS) $(SQLITE_CFLAGS)

check_PROGRAMS += tests/unit/modules/location/check_loc_table
tests_unit_modules_location_check_loc_table_SOURCES = \
	tests/unit/modules/location/check_loc_table.c \
	modules/location/loc_table.c modules/location/loc_uri.c
tests_unit_modules_location_check_loc_table_CPPFLAGS = $(LOCATION_TEST_CPPFLAGS)
tests_unit_modules_location_check_loc_table_CFLAGS = $(LOCATION_TEST_CFLAGS)
tests_unit_modules_location_check_loc_table_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/location/check_loc_table

check_PROGRAMS += tests/unit/modules/location/check_loc_store
tests_unit_modules_location_check_loc_store_SOURCES = \
	tests/unit/modules/location/check_loc_store.c \
	modules/location/loc_table.c modules/location/loc_uri.c \
	modules/location/loc_store.c modules/location/loc_writer.c
tests_unit_modules_location_check_loc_store_CPPFLAGS = $(LOCATION_TEST_CPPFLAGS)
tests_unit_modules_location_check_loc_store_CFLAGS = $(LOCATION_TEST_CFLAGS)
tests_unit_modules_location_check_loc_store_LDADD = $(TEST_LIBS) $(SQLITE_LIBS)
TESTS += tests/unit/modules/location/check_loc_store

check_PROGRAMS += tests/unit/modules/location/check_location
tests_unit_modules_location_check_location_SOURCES = \
	tests/unit/modules/location/check_location.c $(LOCATION_SOURCES)
tests_unit_modules_location_check_location_CPPFLAGS = $(LOCATION_TEST_CPPFLAGS)
tests_unit_modules_location_check_location_CFLAGS = $(LOCATION_TEST_CFLAGS)
tests_unit_modules_location_check_location_LDADD = $(TEST_LIBS) $(SQLITE_LIBS)
TESTS += tests/unit/modules/location/check_location
