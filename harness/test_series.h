/* A series of `faultline test` runs (--test-count K: seeds X, X+1, …), shared by
 * `faultline test` and `faultline suite`, so a suite's test runs exactly as the same
 * settings would under `faultline test`. */
#ifndef FL_TEST_SERIES_H
#define FL_TEST_SERIES_H

#include <signal.h>

#include <jansson.h>

#include "test_config.h"

/* Runs c's test_count runs, printing one line each (verdict, seed, ok/fail/info, run
 * directory), and appends one summary per run to runs:
 *   {"valid", "ok", "fail", "info", "dir", "seed", "exit", "seconds",
 *    "error" (harness errors), "first_anomaly_s" (when known)}
 * A run that stopped before making a run directory still gets one (dir ""), unless it
 * was refused as a usage error (64), which ends the series. stop is polled: once set
 * no further run starts, and the current one ends its main phase and checks.
 * Returns the runs' exit codes combined as 3 > 1 > 2 > 0 (64/65 beat them all). */
int fl_test_series(const fl_test_config *c, volatile sig_atomic_t *stop, json_t *runs);

#endif
