/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test module svc_b: requires service "alpha" and provides "beta"; has no
 * reload(), so a changed section means unload + load.
 */
#include "test_modules.h"
#include <sipserver/sipserver.h>

#include <stddef.h>

static bool saw_alpha;

static bool beta_saw(void)
{
	return saw_alpha;
}

static const struct test_flag beta = {.saw = beta_saw};

static ss_load_result_t svc_b_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	const struct test_alpha *alpha = ss_service_get("alpha", 2);

	saw_alpha = alpha && alpha->loads() > 0;
	if (!saw_alpha || ss_service_provide(self, "beta", 1, &beta))
		return SS_LOAD_FAIL;
	return SS_LOAD_OK;
}

static ss_cli_status_t cmd_show(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	return SS_CLI_OK;
}

static ss_bus_verdict_t on_alpha(ss_topic_t topic, void *msg, void *arg)
{
	return SS_BUS_CONTINUE;
}

static const ss_cli_cmd_t commands[] = {
    {.words = "svc_b show", .summary = "test", .fn = cmd_show},
    {0},
};

static const ss_bus_sub_t subscriptions[] = {
    {.topic = "test.alpha", .priority = 20, .fn = on_alpha},
    {0},
};

static const ss_cfg_attr_t level_attrs[] = {
    {.name = "value", .type = SS_CFG_INT, .def = "1"},
    {0},
};

static const ss_cfg_elem_t config[] = {
    {.name = "level", .attrs = level_attrs},
    {0},
};

static const char *const requires[] = {"alpha", NULL};
static const char *const provides[] = {"beta", NULL};

SS_MODULE(svc_b) = {
    .abi = SS_MODULE_ABI,
    .name = "svc_b",
    .version = "1.0",
    .description = "test user of alpha",
    .requires = requires,
    .provides = provides,
    .load = svc_b_load,
    .commands = commands,
    .subscriptions = subscriptions,
    .config = config,
};
