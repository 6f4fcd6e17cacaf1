/* Wing–Gong linearizability search with Lowe's memoisation, over the calls of one
 * key, iterative with an explicit bounded stack, under a time and memory budget. */
#ifndef FL_SEARCH_H
#define FL_SEARCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

typedef enum { FL_VERDICT_VALID = 0, FL_VERDICT_INVALID, FL_VERDICT_UNKNOWN } fl_verdict;

/* Limits shared by every search of one check. */
typedef struct fl_budget {
    int64_t deadline_ns;          /* CLOCK_MONOTONIC; 0: none */
    size_t memory_limit_bytes;    /* 0: none */
    atomic_size_t *memory_used;   /* summed over concurrent searches; may be NULL */
    atomic_bool *cancel;          /* set to stop every search; may be NULL */
    uint64_t max_steps;           /* per search; 0: none */
} fl_budget;

#define FL_WATCH_STATES 8

typedef struct fl_search_result {
    fl_verdict verdict;
    const char *unknown_reason;   /* static text when UNKNOWN */
    uint32_t *order;              /* VALID: the calls in linearization order */
    size_t order_len;
    /* With a watched call: the configurations found stuck at its completion. */
    fl_state watch_states[FL_WATCH_STATES];
    size_t watch_state_count;
    uint32_t *watch_prefix;       /* the first such configuration's linearization */
    size_t watch_prefix_len;
    int64_t blocked_call;         /* INVALID: the call whose completion no configuration
                                     got past, the furthest in history order; -1 if none */
    uint64_t steps;               /* model steps tried */
    size_t cache_entries;
    size_t peak_bytes;
} fl_search_result;

int64_t fl_now_ns(void);

/* calls must be sorted by invoke_pos. watch: a call index whose completion to watch,
 * or -1. Returns 0, or -1 when there are too many calls to search. */
int fl_search(const fl_model *m, fl_interner *in, const fl_call *calls, size_t n,
              const fl_budget *budget, int64_t watch, fl_search_result *out);

/* The same search in slices, so that one scheduler can take turns between keys
 * (check.c): begin, resume until it says decided, end. A suspended search keeps its
 * tables (and they stay counted in budget->memory_used); resuming goes on exactly
 * where it stopped, so slices cost no step twice. in, calls, budget and out must
 * outlive the task; out is filled as the search goes and is final after end. */
typedef struct fl_search_task fl_search_task;

/* Nothing run yet. NULL when the task itself cannot be had (out of memory, or too
 * many calls); out is then cleared. */
fl_search_task *fl_search_begin(const fl_model *m, fl_interner *in, const fl_call *calls,
                                size_t n, const fl_budget *budget, int64_t watch,
                                fl_search_result *out);
/* Run at most steps more model steps (0: no slice limit; the budget still applies).
 * True when decided (valid, invalid, or unknown by the budget or out of memory). */
bool fl_search_resume(fl_search_task *t, uint64_t steps);
/* Free the task's tables and set out's verdict; an undecided search becomes UNKNOWN
 * with undecided_reason (static text). */
void fl_search_end(fl_search_task *t, const char *undecided_reason);
void fl_search_result_free(fl_search_result *r);

#endif
