# SPDX-License-Identifier: GPL-2.0-or-later
# The core: everything but main.c goes into a convenience library that the
# binary and the unit tests share.
noinst_LIBRARIES += core/libsscore.a
core_libsscore_a_SOURCES = \
	core/log.c core/log_core.h \
	core/loop.c core/loop_core.h \
	core/timer_wheel.c core/timer_wheel.h core/timer.c \
	core/bus.c core/bus_core.h \
	core/service.c core/service_core.h \
	core/config.c core/config_cfg.c core/config_core.h core/config_xml.h \
	core/module_loader.c core/module_loader.h \
	core/cli.c core/cli_core.h core/core_commands.c \
	core/console_server.c core/console_client.c core/console.h \
	core/server.c core/server.h
nodist_core_libsscore_a_SOURCES = core/config_default.c
core_libsscore_a_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS) $(EDIT_CFLAGS)
CORE_LIBS = core/libsscore.a $(XML_LIBS) $(EDIT_LIBS) $(LTDL_LIBS) -ldl $(PTHREAD_LIBS)

bin_PROGRAMS += core/sipserver
# The binary links the core objects themselves, not the archive, so that
# every SDK symbol is present for modules even if main() never calls it.
core_sipserver_SOURCES = core/main.c $(core_libsscore_a_SOURCES)
nodist_core_sipserver_SOURCES = $(nodist_core_libsscore_a_SOURCES)
core_sipserver_CFLAGS = $(core_libsscore_a_CFLAGS)
core_sipserver_LDADD = $(XML_LIBS) $(EDIT_LIBS) $(LTDL_LIBS) -ldl
core_sipserver_LDFLAGS = $(AM_LDFLAGS) -Wl,--export-dynamic

# The default config and its schema are compiled in, so the binary runs
# anywhere without its source tree.
core/config_default.c: $(top_srcdir)/configs/sipserver.xml $(top_srcdir)/configs/sipserver.xsd $(top_srcdir)/core/embed.sh
	$(AM_V_GEN)$(SHELL) $(top_srcdir)/core/embed.sh $(top_srcdir)/configs/sipserver.xml ss_config_default_text \
		$(top_srcdir)/configs/sipserver.xsd ss_config_schema_text > $@.tmp && mv $@.tmp $@
BUILT_SOURCES += core/config_default.c
CLEANFILES += core/config_default.c
EXTRA_DIST += core/embed.sh
