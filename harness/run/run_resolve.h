/* What a `faultline test` run's settings resolve to: the target's options with its
 * defaults, the workload's options, and test.json's "config" (every resolved setting).
 * Shared by the run (run.c) and by the tests that read a run's reproduce command
 * back through the flag parser and must get the same test.json. */
#ifndef FL_TEST_RESOLVE_H
#define FL_TEST_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "target.h"
#include "run_config.h"
#include "workload.h"

/* Every option of t: its default ("" when it has none: the target then decides from
 * other settings), overridden by c's --target-opt values. A new object, or NULL with
 * err when c names an option t does not have. */
json_t *fl_test_target_options(const fl_test_config *c, const fl_target *t, char *err,
                               size_t bytes);

/* test.json's "config": c's settings with this run's seed (a --test-count series
 * runs seed, seed + 1, …) and the resolved target options. A new object. */
json_t *fl_test_resolved_config(const fl_test_config *c, uint64_t seed,
                                const json_t *target_options);

/* The workload's options for a run of c against t with this seed. */
fl_workload_options fl_test_workload_options(const fl_test_config *c, uint64_t seed,
                                             const fl_target *t, const json_t *target_options);

#endif
