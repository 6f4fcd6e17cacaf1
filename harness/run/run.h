/* One run of `faultline test` (DESIGN.md "CLI", "Run store"): setup → main phase
 * (client workers + nemesis schedule) → heal → recovery wait → final reads → teardown
 * → checks, everything written under one run directory. */
#ifndef FL_TEST_RUN_H
#define FL_TEST_RUN_H

#include <signal.h>
#include <stdint.h>

#include <jansson.h>

#include "run_config.h"

typedef struct fl_test_outcome {
    int exit_code;              /* 0 valid, 1 anomaly, 2 unknown, 3 harness error */
    char run_dir[4096];         /* "" when none was made */
    json_t *summary;            /* {"valid":…, "ok":…, "fail":…, "info":…, …} or NULL */
    char error[1024];           /* what went wrong when exit_code is 3 or more, else "" */
} fl_test_outcome;

/* Run one test with this seed. interrupted is polled: once set, the main phase ends
 * early and the run heals, stops and checks what was recorded. */
void fl_test_run(const fl_test_config *c, uint64_t seed, volatile sig_atomic_t *interrupted,
                 fl_test_outcome *out);

/* What a run checks before it touches a node (the target, its bug and options, the
 * workload, the fault spec): 0, or 64 with err. `faultline suite` checks every test of
 * its file this way before it runs the first. */
int fl_test_validate(const fl_test_config *c, char *err, size_t bytes);

#endif
