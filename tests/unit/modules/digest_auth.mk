# SPDX-License-Identifier: GPL-2.0-or-later
# digest_auth tests: the module's sources are linked in directly and driven
# through their internal functions; the pipeline test also links the
# parser's sources and replaces the transport with a recorder.
DIGEST_AUTH_TEST_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"digest_auth"' \
	-I$(top_srcdir)/modules/digest_auth
DIGEST_AUTH_TEST_CFLAGS = $(TEST_CFLAGS) $(OPENSSL_CFLAGS) $(SQLITE_CFLAGS)
DIGEST_AUTH_TEST_LIBS = $(TEST_LIBS) $(OPENSSL_LIBS) $(SQLITE_LIBS)
DIGEST_AUTH_TEST_CORE = modules/digest_auth/auth_int.h \
	modules/digest_auth/auth_digest.c modules/digest_auth/auth_nonce.c \
	modules/digest_auth/auth_users.c modules/digest_auth/auth_verify.c
DIGEST_AUTH_TEST_PARSER = $(SS_PARSER_LIB_C)

check_PROGRAMS += tests/unit/modules/digest_auth/check_auth_digest
tests_unit_modules_digest_auth_check_auth_digest_SOURCES = \
	tests/unit/modules/digest_auth/check_auth_digest.c \
	modules/digest_auth/auth_int.h modules/digest_auth/auth_digest.c
tests_unit_modules_digest_auth_check_auth_digest_CPPFLAGS = $(DIGEST_AUTH_TEST_CPPFLAGS)
tests_unit_modules_digest_auth_check_auth_digest_CFLAGS = $(DIGEST_AUTH_TEST_CFLAGS)
tests_unit_modules_digest_auth_check_auth_digest_LDADD = $(DIGEST_AUTH_TEST_LIBS)
TESTS += tests/unit/modules/digest_auth/check_auth_digest

check_PROGRAMS += tests/unit/modules/digest_auth/check_auth_nonce
tests_unit_modules_digest_auth_check_auth_nonce_SOURCES = \
	tests/unit/modules/digest_auth/check_auth_nonce.c \
	modules/digest_auth/auth_int.h modules/digest_auth/auth_digest.c \
	modules/digest_auth/auth_nonce.c
tests_unit_modules_digest_auth_check_auth_nonce_CPPFLAGS = $(DIGEST_AUTH_TEST_CPPFLAGS)
tests_unit_modules_digest_auth_check_auth_nonce_CFLAGS = $(DIGEST_AUTH_TEST_CFLAGS)
tests_unit_modules_digest_auth_check_auth_nonce_LDADD = $(DIGEST_AUTH_TEST_LIBS)
TESTS += tests/unit/modules/digest_auth/check_auth_nonce

check_PROGRAMS += tests/unit/modules/digest_auth/check_auth_users
tests_unit_modules_digest_auth_check_auth_users_SOURCES = \
	tests/unit/modules/digest_auth/check_auth_users.c \
	modules/digest_auth/auth_int.h modules/digest_auth/auth_digest.c \
	modules/digest_auth/auth_users.c
tests_unit_modules_digest_auth_check_auth_users_CPPFLAGS = $(DIGEST_AUTH_TEST_CPPFLAGS)
tests_unit_modules_digest_auth_check_auth_users_CFLAGS = $(DIGEST_AUTH_TEST_CFLAGS)
tests_unit_modules_digest_auth_check_auth_users_LDADD = $(DIGEST_AUTH_TEST_LIBS)
TESTS += tests/unit/modules/digest_auth/check_auth_users

check_PROGRAMS += tests/unit/modules/digest_auth/check_auth_verify
tests_unit_modules_digest_auth_check_auth_verify_SOURCES = \
	tests/unit/modules/digest_auth/check_auth_verify.c \
	$(DIGEST_AUTH_TEST_CORE)
tests_unit_modules_digest_auth_check_auth_verify_CPPFLAGS = $(DIGEST_AUTH_TEST_CPPFLAGS)
tests_unit_modules_digest_auth_check_auth_verify_CFLAGS = $(DIGEST_AUTH_TEST_CFLAGS)
tests_unit_modules_digest_auth_check_auth_verify_LDADD = $(DIGEST_AUTH_TEST_LIBS)
TESTS += tests/unit/modules/digest_auth/check_auth_verify

check_PROGRAMS += tests/unit/modules/digest_auth/check_auth_pipeline
tests_unit_modules_digest_auth_check_auth_pipeline_SOURCES = \
	tests/unit/modules/digest_auth/check_auth_pipeline.c \
	$(DIGEST_AUTH_TEST_CORE) modules/digest_auth/auth_pipeline.c \
	$(DIGEST_AUTH_TEST_PARSER)
tests_unit_modules_digest_auth_check_auth_pipeline_CPPFLAGS = $(DIGEST_AUTH_TEST_CPPFLAGS) \
	-I$(top_srcdir)/modules/parser
tests_unit_modules_digest_auth_check_auth_pipeline_CFLAGS = $(DIGEST_AUTH_TEST_CFLAGS)
tests_unit_modules_digest_auth_check_auth_pipeline_LDADD = $(DIGEST_AUTH_TEST_LIBS)
TESTS += tests/unit/modules/digest_auth/check_auth_pipeline

check_PROGRAMS += tests/unit/modules/digest_auth/check_auth
tests_unit_modules_digest_auth_check_auth_SOURCES = \
	tests/unit/modules/digest_auth/check_auth.c \
	$(DIGEST_AUTH_SOURCES) $(DIGEST_AUTH_TEST_PARSER)
tests_unit_modules_digest_auth_check_auth_CPPFLAGS = $(DIGEST_AUTH_TEST_CPPFLAGS) \
	-I$(top_srcdir)/modules/parser -I$(top_srcdir)/core
tests_unit_modules_digest_auth_check_auth_CFLAGS = $(DIGEST_AUTH_TEST_CFLAGS)
tests_unit_modules_digest_auth_check_auth_LDADD = $(DIGEST_AUTH_TEST_LIBS)
TESTS += tests/unit/modules/digest_auth/check_auth
