# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario tests: the real binary, driven from shell with sipp and the
# console. Each test makes its own state directory and picks its own ports.
TESTS += tests/scenarios/core_console.sh
dist_noinst_SCRIPTS += tests/scenarios/core_console.sh
EXTRA_DIST += tests/lib/server.sh
TESTS += tests/scenarios/core_modules.sh
dist_noinst_SCRIPTS += tests/scenarios/core_modules.sh
TESTS += tests/scenarios/dns_rfc3263.sh
dist_noinst_SCRIPTS += tests/scenarios/dns_rfc3263.sh
TESTS += tests/scenarios/txn_options.sh tests/scenarios/txn_invite_retrans.sh
dist_noinst_SCRIPTS += tests/scenarios/txn_options.sh tests/scenarios/txn_invite_retrans.sh
EXTRA_DIST += tests/scenarios/txn_common.sh tests/scenarios/sipp/txn_options.xml tests/scenarios/sipp/txn_invite_retrans.xml
TESTS += tests/scenarios/txn_options_load.sh
dist_noinst_SCRIPTS += tests/scenarios/txn_options_load.sh
include tests/scenarios/registrar.mk
include tests/scenarios/proxy.mk
include tests/scenarios/redirect.mk
include tests/scenarios/b2bua.mk
include tests/scenarios/baresip.mk
