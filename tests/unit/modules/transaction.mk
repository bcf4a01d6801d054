# SPDX-License-Identifier: GPL-2.0-or-later
# Transaction module tests: the module's and the parser's sources linked
# in, real core loops, a fake transport service.
TXN_TEST_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"transaction"' \
	-I$(top_srcdir)/modules/transaction -I$(top_srcdir)/core
TXN_TEST_SOURCES = $(TRANSACTION_SOURCES) $(SS_PARSER_LIB_SOURCES) \
	tests/unit/modules/transaction/txn_test.c \
	tests/unit/modules/transaction/txn_test.h

check_PROGRAMS += tests/unit/modules/transaction/check_txn_server
tests_unit_modules_transaction_check_txn_server_SOURCES = \
	tests/unit/modules/transaction/check_txn_server.c $(TXN_TEST_SOURCES)
tests_unit_modules_transaction_check_txn_server_CPPFLAGS = $(TXN_TEST_CPPFLAGS)
tests_unit_modules_transaction_check_txn_server_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_transaction_check_txn_server_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/transaction/check_txn_server

check_PROGRAMS += tests/unit/modules/transaction/check_txn_client
tests_unit_modules_transaction_check_txn_client_SOURCES = \
	tests/unit/modules/transaction/check_txn_client.c $(TXN_TEST_SOURCES)
tests_unit_modules_transaction_check_txn_client_CPPFLAGS = $(TXN_TEST_CPPFLAGS)
tests_unit_modules_transaction_check_txn_client_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_transaction_check_txn_client_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/transaction/check_txn_client

check_PROGRAMS += tests/unit/modules/transaction/check_transaction
tests_unit_modules_transaction_check_transaction_SOURCES = \
	tests/unit/modules/transaction/check_transaction.c $(TXN_TEST_SOURCES)
tests_unit_modules_transaction_check_transaction_CPPFLAGS = $(TXN_TEST_CPPFLAGS)
tests_unit_modules_transaction_check_transaction_CFLAGS = $(TEST_CFLAGS)
tests_unit_modules_transaction_check_transaction_LDADD = $(TEST_LIBS)
TESTS += tests/unit/modules/transaction/check_transaction
