/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Umbrella header for module authors: everything the SDK offers. */
#ifndef SIPSERVER_SIPSERVER_H
#define SIPSERVER_SIPSERVER_H

#include <sipserver/bus.h>
#include <sipserver/cli.h>
#include <sipserver/config.h>
#include <sipserver/log.h>
#include <sipserver/loop.h>
#include <sipserver/module.h>
#include <sipserver/service.h>
#include <sipserver/timer.h>

#endif
