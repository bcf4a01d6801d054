# SPDX-License-Identifier: GPL-2.0-or-later
# The digest_auth module: RFC 7616 digest authentication, the `auth` service.
DIGEST_AUTH_SOURCES = \
	modules/digest_auth/auth.c modules/digest_auth/auth_int.h \
	modules/digest_auth/auth_cli.c modules/digest_auth/auth_pipeline.c \
	modules/digest_auth/auth_verify.c modules/digest_auth/auth_digest.c \
	modules/digest_auth/auth_nonce.c modules/digest_auth/auth_users.c

mod_LTLIBRARIES += modules/digest_auth/digest_auth.la
modules_digest_auth_digest_auth_la_SOURCES = $(DIGEST_AUTH_SOURCES)
modules_digest_auth_digest_auth_la_CPPFLAGS = $(AM_CPPFLAGS) -DSS_MODULE_NAME='"digest_auth"'
modules_digest_auth_digest_auth_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(SQLITE_CFLAGS)
modules_digest_auth_digest_auth_la_LIBADD = $(OPENSSL_LIBS) $(SQLITE_LIBS)
modules_digest_auth_digest_auth_la_LDFLAGS = $(MODULE_LDFLAGS)

sssipinc_HEADERS += include/sipserver/sip/auth.h
