/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test module svc_a: provides service "alpha", has a console command, a bus
 * subscription and a config table (with a MULTI element), and a reload()
 * that can be told to refuse. Its <mode> element makes load() misbehave.
 */
#include "test_modules.h"
#include <sipserver/sipserver.h>

#include <errno.h>
#include <stdio.h>

static int loads, reloads;
static long item_sum;
static char greeting[64];

static int alpha_loads(void)
{
	return loads;
}

static int alpha_reloads(void)
{
	return reloads;
}

static const char *alpha_greeting(void)
{
	return greeting;
}

static long alpha_item_sum(void)
{
	return item_sum;
}

static const struct test_alpha alpha = {
    .loads = alpha_loads,
    .reloads = alpha_reloads,
    .greeting = alpha_greeting,
    .item_sum = alpha_item_sum,
};

static void apply(const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *n;

	snprintf(greeting, sizeof(greeting), "%s",
		 ss_cfg_str(ss_cfg_first(cfg, "greeting"), "text"));
	item_sum = 0;
	for (n = ss_cfg_first(cfg, "item"); n; n = ss_cfg_next(n))
		item_sum += ss_cfg_int(n, "value");
}

static ss_load_result_t svc_a_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	const ss_cfg_node_t *mode = ss_cfg_first(cfg, "mode");

	loads++;
	apply(cfg);
	if (!ss_cfg_bool(mode, "skip_provide") &&
	    ss_service_provide(self, "alpha", 2, &alpha))
		return SS_LOAD_FAIL;
	/* Fails after publishing, so the core must withdraw the service. */
	return ss_cfg_bool(mode, "fail") ? SS_LOAD_FAIL : SS_LOAD_OK;
}

static int svc_a_reload(ss_module_t *self, const ss_cfg_t *cfg)
{
	if (ss_cfg_bool(ss_cfg_first(cfg, "mode"), "reject_reload"))
		return -EINVAL;
	reloads++;
	apply(cfg);
	return 0;
}

static void svc_a_unload(ss_module_t *self)
{
	loads = 0;
	reloads = 0;
}

static ss_cli_status_t cmd_show(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	ss_cli_printf(cli, "%s\n", greeting);
	return SS_CLI_OK;
}

static ss_bus_verdict_t on_alpha(ss_topic_t topic, void *msg, void *arg)
{
	return SS_BUS_CONTINUE;
}

static const ss_cli_cmd_t commands[] = {
    {.words = "svc_a show", .summary = "test", .fn = cmd_show},
    {0},
};

static const ss_bus_sub_t subscriptions[] = {
    {.topic = "test.alpha", .priority = 10, .fn = on_alpha},
    {0},
};

static const ss_cfg_attr_t greeting_attrs[] = {
    {.name = "text", .type = SS_CFG_STR, .def = "hello"},
    {0},
};

static const ss_cfg_attr_t item_attrs[] = {
    {.name = "value",
     .type = SS_CFG_INT,
     .min = 1,
     .max = 100,
     .flags = SS_CFG_REQUIRED},
    {0},
};

static const ss_cfg_attr_t mode_attrs[] = {
    {.name = "fail", .type = SS_CFG_BOOL, .def = "no"},
    {.name = "skip_provide", .type = SS_CFG_BOOL, .def = "no"},
    {.name = "reject_reload", .type = SS_CFG_BOOL, .def = "no"},
    {0},
};

static const ss_cfg_elem_t config[] = {
    {.name = "greeting", .attrs = greeting_attrs},
    {.name = "item", .flags = SS_CFG_MULTI, .attrs = item_attrs},
    {.name = "mode", .attrs = mode_attrs},
    {0},
};

static const char *const provides[] = {"alpha", NULL};

SS_MODULE(svc_a) = {
    .abi = SS_MODULE_ABI,
    .name = "svc_a",
    .version = "1.0",
    .description = "test provider of alpha",
    .provides = provides,
    .load = svc_a_load,
    .reload = svc_a_reload,
    .unload = svc_a_unload,
    .commands = commands,
    .subscriptions = subscriptions,
    .config = config,
};
