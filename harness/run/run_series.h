/* A series of `faultline test` runs (--test-count K: seeds X, X+1, …), shared by
 * `faultline test` and `faultline suite`, so a suite's test runs exactly as the same
 * settings would under `faultline test`. */
#ifndef FL_TEST_SERIES_H
#define FL_TEST_SERIES_H

#include <signal.h>

#include <jansson.h>

#include "run_config.h"

/* A test's settings object (the --config form: a suite's test, a zoo row) made into c:
 * fl_test_config_init, the settings, the target's defaults for what they leave unset,
 * then the checks a run makes before it touches a node (fl_test_validate). 0; 65 when
 * the settings do not apply (the message printed, starting with where); 64 when the
 * checks refuse them, with err. c is to be freed either way. */
int fl_test_config_resolve(fl_test_config *c, json_t *settings, const char *where, char *err,
                           size_t bytes);

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
