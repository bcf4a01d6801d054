/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The public timer API: ss_timer_t on the calling thread's loop, filed on
 * that loop's timing wheel against the loop's cached clock.
 */
#include "loop_core.h"
#include "timer_wheel.h"

#include <assert.h>
#include <sipserver/log.h>
#include <stddef.h>

void ss_timer_init(ss_timer_t *t, const struct ss_module *owner, ss_timer_cb cb,
		   void *arg)
{
	t->next = NULL;
	t->pprev = NULL;
	t->expires = 0;
	t->loop = NULL;
	t->owner = owner;
	t->cb = cb;
	t->arg = arg;
}

void ss_timer_start(ss_timer_t *t, uint64_t delay_ms)
{
	ss_loop_t *loop = ss_loop_current();
	uint64_t now;

	if (!loop) {
		SS_LOG_ERR("timer started on a thread without an event loop");
		return;
	}
	if (ss_timer_pending(t)) {
		assert(t->loop == loop);
		ss_wheel_del(ss_loop_wheel(t->loop), t);
	}
	now = ss_loop_now_ms(loop);
	t->loop = loop;
	ss_wheel_add(ss_loop_wheel(loop), t,
		     delay_ms > UINT64_MAX - now ? UINT64_MAX : now + delay_ms);
}

void ss_timer_stop(ss_timer_t *t)
{
	if (!ss_timer_pending(t))
		return;
	assert(t->loop == ss_loop_current());
	ss_wheel_del(ss_loop_wheel(t->loop), t);
}
