# SPDX-License-Identifier: GPL-2.0-or-later
# Tests of the config, the module loader and the service registry. The
# loader's tests open real libtool modules, built for `make check` only.
check_PROGRAMS += tests/unit/core/check_config
tests_unit_core_check_config_SOURCES = tests/unit/core/check_config.c
tests_unit_core_check_config_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core
tests_unit_core_check_config_CFLAGS = $(TEST_CFLAGS)
tests_unit_core_check_config_LDADD = $(TEST_LIBS)
TESTS += tests/unit/core/check_config
EXTRA_DIST += tests/data/config/valid.xml tests/data/config/malformed.xml \
	tests/data/config/unknown_core_attr.xml \
	tests/data/config/unknown_toplevel.xml \
	tests/data/config/module_without_name.xml \
	tests/data/config/duplicate_module.xml \
	tests/data/config/unknown_element.xml

# -rpath makes libtool build a shared object for a module never installed.
TEST_MODULE_LDFLAGS = -module -avoid-version -shared -rpath /nowhere \
	-export-symbols-regex '_LTX_ss_module$$'
check_LTLIBRARIES += tests/unit/core/modules/svc_a.la \
	tests/unit/core/modules/svc_b.la \
	tests/unit/core/modules/cyc_x.la tests/unit/core/modules/cyc_y.la \
	tests/unit/core/modules/bad_abi.la \
	tests/unit/core/modules/declines.la \
	tests/unit/core/modules/opt_c.la
noinst_HEADERS += tests/unit/core/modules/test_modules.h

tests_unit_core_modules_svc_a_la_SOURCES = tests/unit/core/modules/svc_a.c
tests_unit_core_modules_svc_a_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_unit_core_modules_svc_b_la_SOURCES = tests/unit/core/modules/svc_b.c
tests_unit_core_modules_svc_b_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_unit_core_modules_cyc_x_la_SOURCES = tests/unit/core/modules/cycle.c
tests_unit_core_modules_cyc_x_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCYCLE_SELF=x -DCYCLE_PEER=y
tests_unit_core_modules_cyc_x_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_unit_core_modules_cyc_y_la_SOURCES = tests/unit/core/modules/cycle.c
tests_unit_core_modules_cyc_y_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCYCLE_SELF=y -DCYCLE_PEER=x
tests_unit_core_modules_cyc_y_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_unit_core_modules_bad_abi_la_SOURCES = tests/unit/core/modules/misc.c
tests_unit_core_modules_bad_abi_la_CPPFLAGS = $(AM_CPPFLAGS) -DMISC_BAD_ABI
tests_unit_core_modules_bad_abi_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_unit_core_modules_declines_la_SOURCES = tests/unit/core/modules/misc.c
tests_unit_core_modules_declines_la_CPPFLAGS = $(AM_CPPFLAGS) -DMISC_DECLINE
tests_unit_core_modules_declines_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)
tests_unit_core_modules_opt_c_la_SOURCES = tests/unit/core/modules/misc.c
tests_unit_core_modules_opt_c_la_CPPFLAGS = $(AM_CPPFLAGS) -DMISC_OPT
tests_unit_core_modules_opt_c_la_LDFLAGS = $(TEST_MODULE_LDFLAGS)

# The modules resolve core symbols against the test program itself.
check_PROGRAMS += tests/unit/core/check_module_loader
tests_unit_core_check_module_loader_SOURCES = \
	tests/unit/core/check_module_loader.c
tests_unit_core_check_module_loader_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/core \
	-DTEST_MODULE_DIR='"$(abs_top_builddir)/tests/unit/core/modules"'
tests_unit_core_check_module_loader_CFLAGS = $(TEST_CFLAGS)
tests_unit_core_check_module_loader_LDADD = $(TEST_LIBS)
tests_unit_core_check_module_loader_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,--export-dynamic
TESTS += tests/unit/core/check_module_loader
