/* The linearizability checker: a history split per key, the keys searched in turns
 * (slices of steps) over a pool of threads under a shared budget, every verdict with
 * its certificate. */
#ifndef FL_CHECK_H
#define FL_CHECK_H

#include <stdbool.h>

#include "history.h"
#include "model.h"

typedef struct fl_lin_options {
    const fl_model *model;
    double time_limit_s;          /* 0: none */
    size_t memory_limit_bytes;    /* 0: fl_lin_memory_limit_default(); SIZE_MAX: none */
    int threads;                  /* 0: one per core */
    bool certify;                 /* re-check every certificate with the verifier */
    bool full_certificates;       /* put each valid key's linearization in the result */
    bool all_keys;                /* keep checking other keys once one is invalid */
    double window_time_limit_s;   /* narrowing one failing window (0: 10 s) */
} fl_lin_options;

/* The checker's result object (DESIGN.md "Checkers"), or NULL when an op does not fit
 * the model (err names its line: malformed input). */
json_t *fl_check_linearizable(const fl_history *h, const fl_lin_options *o, fl_error *err);

/* The memory budget of a check that names none: the search tables of every key
 * together may take 2 GiB or a quarter of physical memory, whichever is less. */
size_t fl_lin_memory_limit_default(void);

/* For programs that check: keep freed memory for reuse (see check.c). Call once at
 * start-up, before any thread. */
void fl_lin_tune_malloc(void);


#endif
