# SPDX-License-Identifier: GPL-2.0-or-later
# The transaction module: RFC 3261 client and server transactions, the
# `transaction` service (include/sipserver/sip/transaction.h).
TRANSACTION_SOURCES = \
	modules/transaction/transaction.c modules/transaction/txn_int.h \
	modules/transaction/txn_obj.c modules/transaction/txn_table.c \
	modules/transaction/txn_match.c modules/transaction/txn_server.c \
	modules/transaction/txn_client.c modules/transaction/txn_trace.c \
	modules/transaction/txn_cli.c

mod_LTLIBRARIES += modules/transaction/transaction.la
modules_transaction_transaction_la_SOURCES = $(TRANSACTION_SOURCES)
modules_transaction_transaction_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSS_MODULE_NAME='"transaction"'
modules_transaction_transaction_la_LDFLAGS = $(MODULE_LDFLAGS)
