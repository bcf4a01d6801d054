/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The services the loader's test modules publish, so that the test program
 * can observe what a module did (loads, reloads, the settings it got).
 */
#ifndef SS_TEST_MODULES_H
#define SS_TEST_MODULES_H

#include <stdbool.h>

/* "alpha", provided by svc_a at version 2. */
struct test_alpha {
	int (*loads)(void);
	int (*reloads)(void);
	const char *(*greeting)(void);
	long (*item_sum)(void);
};

/* "beta", provided by svc_b; "gamma", provided by opt_c. */
struct test_flag {
	bool (*saw)(void); /* svc_b: found alpha; opt_c: found beta */
};

#endif
