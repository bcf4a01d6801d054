/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One-trick test modules built from this file, one per macro:
 * MISC_BAD_ABI -> bad_abi, whose descriptor speaks another ABI;
 * MISC_DECLINE -> declines, which publishes "delta" and then declines;
 * MISC_OPT     -> opt_c, which provides "gamma" and uses "beta" if present.
 */
#include "test_modules.h"
#include <sipserver/sipserver.h>

#include <stddef.h>

static bool saw_beta;

static bool gamma_saw(void)
{
	return saw_beta;
}

static const struct test_flag api = {.saw = gamma_saw};

static ss_load_result_t misc_load(ss_module_t *self, const ss_cfg_t *cfg)
{
#if defined(MISC_DECLINE)
	ss_service_provide(self, "delta", 1, &api);
	return SS_LOAD_DECLINE;
#else
	saw_beta = ss_service_get("beta", 1) != NULL;
	return ss_service_provide(self, "gamma", 1, &api) ? SS_LOAD_FAIL
							  : SS_LOAD_OK;
#endif
}

#if defined(MISC_BAD_ABI)
SS_MODULE(bad_abi) = {
    .abi = SS_MODULE_ABI + 1,
    .name = "bad_abi",
    .version = "9.0",
    .load = misc_load,
};
#elif defined(MISC_DECLINE)
SS_MODULE(declines) = {
    .abi = SS_MODULE_ABI,
    .name = "declines",
    .version = "1.0",
    .description = "test module that declines to load",
    .load = misc_load,
};
#else
static const char *const optional[] = {"beta", NULL};
static const char *const provides[] = {"gamma", NULL};

SS_MODULE(opt_c) = {
    .abi = SS_MODULE_ABI,
    .name = "opt_c",
    .version = "1.0",
    .description = "test module with an optional dependency",
    .optional = optional,
    .provides = provides,
    .load = misc_load,
};
#endif
