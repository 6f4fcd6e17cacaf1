/* The run-level part of a `faultline test` run's results.json (DESIGN.md
 * "results.json"): the checkers judge the history; the "stats" entry says whether the
 * run tested anything at all, so that a run in which nothing succeeded never passes. */
#ifndef FL_TEST_RESULTS_H
#define FL_TEST_RESULTS_H

#include <jansson.h>

#include "history.h"

#define FL_REASON_NOTHING_OK "no client op completed ok: the run tested nothing"

/* Add stats (the run's counters; this takes the reference) to results' "checkers" as
 * "stats" with its verdict: true when some client op of h completed ok, else "unknown"
 * with FL_REASON_NOTHING_OK (as Jepsen's stats checker: nothing succeeded). The top
 * verdict becomes the worst of the two and, unless it is false, carries that reason
 * as "reason". An empty history passes every checker; this is what keeps an empty run
 * from passing CI. */
void fl_test_results_add_stats(json_t *results, json_t *stats, const fl_history *h);

#endif
