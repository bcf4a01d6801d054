# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests (Check). Each area keeps its programs in its own fragment;
# TEST_CFLAGS/TEST_LIBS are what a Check program against the core needs.
TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(XML_CFLAGS)
TEST_LIBS = $(CORE_LIBS) $(CHECK_LIBS)
if HAVE_CHECK
include tests/unit/core/loop.mk
include tests/unit/core/config.mk
include tests/unit/core/console.mk
include tests/unit/modules/parser.mk
include tests/unit/modules/transport.mk
include tests/unit/modules/digest_auth.mk
include tests/unit/modules/dns.mk
include tests/unit/modules/rtp_relay.mk
include tests/unit/modules/transaction.mk
include tests/unit/modules/location.mk
include tests/unit/modules/registrar.mk
include tests/unit/modules/redirect.mk
include tests/unit/modules/b2bua.mk
include tests/unit/modules/proxy.mk
endif
