/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The example custom module of the SDK: counts the SIP requests the server
 * sees (a bus subscription), reports on a timer, and answers the console
 * command `example show`. Everything it registers is released by the core.
 */
#include <sipserver/sipserver.h>

#include <stdatomic.h>
#include <stdlib.h>

/* Counters are bumped from any worker loop and read from the console, so
 * they are relaxed atomics; nothing else in this module is shared. */
static atomic_ulong requests_seen;
static atomic_ulong ticks;
static ss_timer_t report_timer;
static unsigned long interval_ms;
static ss_topic_t tick_topic;

static ss_bus_verdict_t on_request(ss_topic_t topic, void *msg, void *arg)
{
	atomic_fetch_add_explicit(&requests_seen, 1, memory_order_relaxed);
	return SS_BUS_CONTINUE; /* observe only: let the pipeline go on */
}

static ss_bus_verdict_t on_tick(ss_topic_t topic, void *msg, void *arg)
{
	atomic_fetch_add_explicit(&ticks, 1, memory_order_relaxed);
	return SS_BUS_CONTINUE;
}

static void on_report(ss_timer_t *t)
{
	SS_LOG_INFO("example: %lu requests seen so far",
		    atomic_load_explicit(&requests_seen, memory_order_relaxed));
	ss_bus_publish(tick_topic, NULL);
	ss_timer_start(t, interval_ms);
}

static ss_cli_status_t cmd_show(ss_cli_t *cli, int argc,
				const char *const *argv)
{
	if (argc != 0)
		return SS_CLI_USAGE;
	ss_cli_printf(
	    cli, "requests seen: %lu\nreports: %lu\ninterval: %lu ms\n",
	    atomic_load(&requests_seen), atomic_load(&ticks), interval_ms);
	return SS_CLI_OK;
}

static ss_load_result_t example_load(ss_module_t *self, const ss_cfg_t *cfg)
{
	interval_ms =
	    (unsigned long)ss_cfg_int(ss_cfg_first(cfg, "report"), "interval");
	tick_topic = ss_bus_topic("example.tick");
	if (tick_topic < 0)
		return SS_LOAD_FAIL;
	/* Runs on the control loop: the timer lives there. */
	ss_timer_init(&report_timer, self, on_report, NULL);
	ss_timer_start(&report_timer, interval_ms);
	SS_LOG_NOTICE("example: reporting every %lu ms", interval_ms);
	return SS_LOAD_OK;
}

static void example_unload(ss_module_t *self)
{
	/* The core has already stopped report_timer and removed the
	 * subscriptions and the command; nothing else to free. */
	SS_LOG_NOTICE("example: unloaded after %lu requests",
		      atomic_load(&requests_seen));
}

static const ss_cli_cmd_t example_commands[] = {
    {.words = "example show",
     .args = "",
     .summary = "Show what the example module counted",
     .fn = cmd_show},
    {0},
};

static const ss_bus_sub_t example_subscriptions[] = {
    {.topic = "sip.request.in", .priority = 10, .fn = on_request},
    {.topic = "example.tick", .priority = 100, .fn = on_tick},
    {0},
};

static const ss_cfg_attr_t report_attrs[] = {
    {.name = "interval",
     .type = SS_CFG_INT,
     .def = "60000",
     .min = 10,
     .max = 86400000,
     .help = "milliseconds between two reports"},
    {0},
};

static const ss_cfg_elem_t example_config[] = {
    {.name = "report", .attrs = report_attrs, .help = "periodic report"},
    {0},
};

SS_MODULE(example) = {
    .abi = SS_MODULE_ABI,
    .name = "example",
    .version = "1.0",
    .description = "Example module: counts requests, reports on a timer",
    .load = example_load,
    .unload = example_unload,
    .commands = example_commands,
    .subscriptions = example_subscriptions,
    .config = example_config,
};
