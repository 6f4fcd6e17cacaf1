/* JUnit of `faultline test` and `faultline suite` runs, from fl_test_series summaries. */
#ifndef FL_SERIES_JUNIT_H
#define FL_SERIES_JUNIT_H

#include <jansson.h>

#include "junit.h"

/* The JUnit view of one run's summary: its results.json (loaded from its "dir"; NULL
 * when the run has none), its "seconds", and its "error" when it was a harness error.
 * Returns the loaded results, which the caller json_decref()s once written. */
json_t *fl_series_junit_run(const json_t *summary, fl_junit_run *run);

#endif
