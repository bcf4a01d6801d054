# SPDX-License-Identifier: GPL-2.0-or-later
# The example module is built in the tree for the end-to-end test; its
# README shows the one-line out-of-tree build against the installed SDK.
noinst_LTLIBRARIES += contrib/example_module/example.la
contrib_example_module_example_la_SOURCES = contrib/example_module/example.c
contrib_example_module_example_la_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"example"'
contrib_example_module_example_la_LDFLAGS = $(MODULE_LDFLAGS) -rpath /nowhere
EXTRA_DIST += contrib/example_module/README.md contrib/sipserver.service contrib/sipserver.bash-completion
