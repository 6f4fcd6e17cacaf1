/* Generated histories that are linearizable by construction: concurrent processes
 * run random ops against a sequential model, each op taking effect at a random moment
 * between its invocation and completion. Used by the property test and the benches. */
#ifndef FL_GEN_HISTORY_H
#define FL_GEN_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "rng.h"

typedef struct fl_gen_options {
    uint64_t seed;
    size_t ops;            /* invocations to generate */
    size_t keys;           /* keys, named by integers 0..keys-1 */
    size_t concurrency;    /* processes running at once */
    double info_rate;      /* share of ops whose outcome is unknown: most end info, a fifth
                              never complete; half of them took effect */
    double fail_rate;      /* share of non-read ops that end fail (and did not take effect) */
    int value_range;       /* values written are 0..value_range-1 (small: more ambiguity) */
    const char *model;     /* register, cas-register, kv, list-append, set, counter */
} fl_gen_options;

fl_history *fl_gen_history(const fl_gen_options *o);

#endif
