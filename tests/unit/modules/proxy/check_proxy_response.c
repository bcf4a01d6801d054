/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Best-response selection (RFC 3261 16.7 step 6): a 6xx wins, then the
 * lowest class, and within 4xx the responses that let the caller retry.
 */
#include <stdlib.h>

#include "proxy_test.h"

/* Picks the best of a sequence as the response context does. */
static unsigned pick(const unsigned *codes, unsigned n)
{
	unsigned best = 0;

	for (unsigned i = 0; i < n; i++)
		if (proxy_better_response(codes[i], best))
			best = codes[i];
	return best;
}

START_TEST(test_best_response_table)
{
	static const struct {
		unsigned codes[4], n, want;
	} cases[] = {
	    {{486}, 1, 486},
	    {{486, 603}, 2, 603},      /* 6xx beats everything */
	    {{603, 486, 302}, 3, 603}, /* and stays */
	    {{604, 600}, 2, 604},      /* the first 6xx is kept */
	    {{503, 486}, 2, 486},      /* lowest class */
	    {{404, 302}, 2, 302},      /* 3xx is lower than 4xx */
	    {{500, 408}, 2, 408},
	    {{404, 407, 480}, 3, 407}, /* credentials first */
	    {{401, 404}, 2, 401},
	    {{408, 480}, 2, 480}, /* a real answer over a timeout */
	    {{503, 500}, 2, 500},
	    {{484, 404}, 2, 484},
	    {{420, 486, 415}, 3, 420},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(pick(cases[i].codes, cases[i].n) == cases[i].want,
			      "case %u: got %u want %u", i,
			      pick(cases[i].codes, cases[i].n), cases[i].want);
}
END_TEST

START_TEST(test_nothing_stored)
{
	ck_assert(proxy_better_response(408, 0));
	ck_assert(proxy_better_response(699, 0));
	ck_assert(!proxy_better_response(486, 486));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("proxy_response");
	TCase *tc = tcase_create("best");

	tcase_add_test(tc, test_best_response_table);
	tcase_add_test(tc, test_nothing_stored);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
