/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test modules cyc_x and cyc_y, built from this file with CYCLE_SELF and
 * CYCLE_PEER set to x/y and y/x: each provides service "cSELF" and requires
 * "cPEER", a dependency cycle the loader must refuse.
 */
#include <sipserver/sipserver.h>

#include <stddef.h>

#define CAT_(a, b)    a##b
#define CAT(a, b)     CAT_(a, b)
#define STR_(a)	      #a
#define STR(a)	      STR_(a)
#define DECLARE(name) SS_MODULE(name)

static int api;

static ss_load_result_t cycle_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	return ss_service_provide(self, "c" STR(CYCLE_SELF), 1, &api)
		   ? SS_LOAD_FAIL
		   : SS_LOAD_OK;
}

static const char *const requires[] = {"c" STR(CYCLE_PEER), NULL};
static const char *const provides[] = {"c" STR(CYCLE_SELF), NULL};

DECLARE(CAT(cyc_, CYCLE_SELF)) = {
    .abi = SS_MODULE_ABI,
    .name = "cyc_" STR(CYCLE_SELF),
    .version = "1.0",
    .description = "test module in a dependency cycle",
    .requires = requires,
    .provides = provides,
    .load = cycle_load,
};
