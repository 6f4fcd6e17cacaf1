/* What the perf checker's passes (perf.c) hand to its result builder (perf_result.c). */
#ifndef FL_PERF_INTERNAL_H
#define FL_PERF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "perf.h"
#include "samples.h"
#include "windows.h"

/* Outcomes index counts[]: FL_OK, FL_FAIL, FL_INFO, and slot 0 (FL_INVOKE, which no
 * completion has) for ops never completed. */
#define OUTCOME_NONE FL_INVOKE
#define OUTCOMES 4

typedef struct f_stat {
    const char *name;      /* interned in the history's pool */
    size_t first_pos;      /* position of its first invocation */
    uint64_t counts[OUTCOMES];
} f_stat;

typedef struct node_stat {
    const char *name;      /* interned in the history's pool */
    uint64_t completed, ok;
} node_stat;

typedef struct avail_stat {
    uint64_t counts[OUTCOMES]; /* client ops invoked in the window(s), by outcome */
} avail_stat;

/* Sample groups of avail_latency: a fault kind's index, or one of these two. */
#define AVAIL_OUTSIDE(p) ((uint32_t)(p)->windows.kind_count)
#define AVAIL_ALL(p) ((uint32_t)(p)->windows.kind_count + 1)

typedef struct perf {
    const fl_history *h;
    fl_error *err;
    size_t max_buckets;
    bool timed;                  /* some op has a time; then: */
    int64_t start_ns, end_ns;    /* smallest and largest time */
    int64_t bucket_ns;           /* after widening */
    size_t bucket_count;
    uint64_t *throughput_ok, *throughput_all; /* per bucket of completion time */
    uint64_t ok_timed_count;     /* ok completions with a time */
    fl_strmap *f_ids;            /* f -> index in fs */
    f_stat *fs;
    size_t f_count, f_cap;
    avail_stat totals;           /* counts over every f */
    uint64_t untimed_count;      /* completed client ops without a latency */
    fl_strmap *node_ids;         /* node -> index in nodes */
    node_stat *nodes;
    size_t node_count, node_cap;
    fl_fault_windows windows;
    fl_fault_cursor cursor;
    avail_stat *during;          /* per fault kind */
    avail_stat outside, all;
    fl_perf_samples latency;       /* group: f * 3 + outcome - FL_OK */
    fl_perf_samples avail_latency; /* ok ops; group: kind, AVAIL_OUTSIDE or AVAIL_ALL */
} perf;

/* The result object of perf.h; sorts the samples. NULL when out of memory. */
json_t *fl_perf_result(perf *p);

#endif
