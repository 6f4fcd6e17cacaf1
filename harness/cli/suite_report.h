/* What a `faultline suite` run leaves for people and CI: the summary table on stdout and
 * the --junit file. Both read the same record of the shard's tests:
 *   [{"name": N, "runs": [fl_test_series summaries…], "not_run": REASON (absent if run)}] */
#ifndef FL_SUITE_REPORT_H
#define FL_SUITE_REPORT_H

#include <stdio.h>

#include <jansson.h>

/* One row per run (test name, verdict, seed, ok ops, first anomaly, run directory),
 * one per test that did not run, then the totals. */
void fl_suite_print_summary(FILE *out, const json_t *tests);

/* One <testsuite> per test, one <testcase> per run and checker; harness errors are
 * <error>s, tests that did not run one skipped testcase. 0, or -1 with the message
 * printed. */
int fl_suite_write_junit(const char *path, const json_t *tests);

/* A run's verdict word: valid, INVALID, unknown, ERROR (exit 3 or more). */
const char *fl_suite_verdict(const json_t *run);

#endif
