# SPDX-License-Identifier: GPL-2.0-or-later
# One .so per module; each folder keeps its own rules.
include modules/parser/local.mk
include modules/transport/local.mk
include modules/digest_auth/local.mk
include modules/dns/local.mk
include modules/rtp_relay/local.mk
include modules/transaction/local.mk
include modules/location/local.mk
include modules/registrar/local.mk
include modules/redirect/local.mk
include modules/b2bua/local.mk
include modules/proxy/local.mk
