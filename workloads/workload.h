/* What each op of a test is (its f, key and value) and how the history is checked
 * (DESIGN.md "Layout": workloads decide what, the harness decides when). A workload
 * generates only the ops its target serves; every generator call is thread-safe (many
 * worker threads draw ops from one workload). */
#ifndef FL_WORKLOAD_H
#define FL_WORKLOAD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "check.h"
#include "checkers.h"
#include "history.h"

typedef struct fl_workload fl_workload;

typedef struct fl_workload_options {
    uint64_t seed;
    long ops_per_key;                /* ops on one key before the next key (register) */
    int concurrency;                 /* workers */
    int threads_per_key;             /* workers sharing one key at a time (register) */
    const char *const *target_ops;   /* what the target serves, NULL-terminated */
    double check_time_limit_s;       /* 0: none */
    bool all_keys;                   /* linearizable: check every key, not stop at the first
                                        invalid one (faultline test; ignored with lin) */
    const fl_lin_options *lin;       /* faultline check's linearizability options, or NULL */
    unsigned guarantees;             /* session guarantees claimed, 0: all four */
    const json_t *target_options;    /* the target's resolved options (name -> string), or
                                        NULL: the lock workload reads its lease length */
} fl_workload_options;

/* One op: as written to the history, and as sent to the target. All owned. */
typedef struct fl_gen_op {
    char f[16];
    json_t *key, *value;             /* history; NULL when absent */
    char req_f[16];
    json_t *req_key, *req_value;     /* request; NULL when absent */
    /* The worker sleeps this long before invoking it (a holder's stall: real time passes,
     * leases really expire); the sleep is not an op. */
    int64_t pause_ms;
    /* The completion's value is the reply's (ok, or a fail that carries one), not value:
     * what the target said it did (a token granted, a fence and sequence number). */
    bool value_from_reply;
    /* After it completes the process crashes: the worker goes on as a new process on a
     * fresh connection (as after an info), leaving whatever it held behind. */
    bool crash_after;
} fl_gen_op;

void fl_gen_op_clear(fl_gen_op *op);

/* A small per-thread random source (splitmix64). */
typedef struct fl_wrng {
    uint64_t s;
} fl_wrng;
uint64_t fl_wrng_next(fl_wrng *r);
uint64_t fl_wrng_below(fl_wrng *r, uint64_t n);

typedef struct fl_workload_def {
    const char *name;
    const char *summary;
    /* The ops it needs from a target (any one of each group, NULL-terminated). */
    const char *const *needs;
    fl_workload *(*create)(const fl_workload_options *o, char *err, size_t bytes);
    /* The next op for worker (0 … concurrency-1). */
    void (*next)(fl_workload *w, int worker, fl_wrng *rng, fl_gen_op *out);
    /* Optional: the outcome of worker's op ("ok", "fail" or "info", the reply's value or
     * NULL, borrowed, and its error or ""), before its next op is drawn: for workloads
     * whose next op depends on the last (a lock holder's critical section). */
    void (*completed)(fl_workload *w, int worker, const fl_gen_op *op, const char *type,
                      const json_t *value, const char *error);
    /* Optional: ops run once after the faults and the final reads, in order, by one
     * fresh process (a list of fl_gen_op-like objects {"f","key"[,"value"]}; each
     * recorded with the reply's value), e.g. an unfenced peek of every resource. New
     * reference, or NULL. */
    json_t *(*final_ops)(fl_workload *w);
    /* Final reads, after the faults: a list of [key, element] the harness reads on
     * every node, recording one read op per node whose value lists the elements whose
     * key held a value (NULL: none). New reference. */
    json_t *(*final_reads)(fl_workload *w);
    /* The checkers its histories are checked with (checkers/registry names, in order,
     * NULL-terminated), and this workload's options for them (the model, the session
     * guarantees), over o's defaults. fl_workload_check runs them. */
    const char *const *checkers;
    void (*checker_options)(const fl_workload *w, fl_checker_options *o);
    void (*free)(fl_workload *w);
} fl_workload_def;

/* Check h with def's checkers through the registry (the one way verdicts are composed:
 * fl_checker_run_into): {"valid", "checkers": {name: result}}. A checker that refuses
 * the history (an op that does not fit it) is recorded as {"valid": "unknown", "error"}
 * and the others' verdicts stand; *refused counts them and err holds the last one's
 * error. run_dir: for checkers that read the run's files. */
json_t *fl_workload_check(const fl_workload_def *def, const fl_workload *w, const fl_history *h,
                          const char *run_dir, size_t *refused, fl_error *err);

/* Keys that rotate as jepsen.independent's do: the workers are split into groups of
 * threads_per_key, each group works on its own key until that key has had ops_per_key
 * ops, then on a fresh one. Bounding both the ops and the concurrency per key keeps
 * checking fast even when kills leave many crashed (info) ops. */
#define FL_KEY_GROUPS_MAX 1024
typedef struct fl_key_rotation {
    int groups, per_key;
    long ops_per_key;
    atomic_long ops[FL_KEY_GROUPS_MAX]; /* ops a group was handed: its key is
                                           (ops / ops_per_key) * groups + group */
} fl_key_rotation;
void fl_key_rotation_init(fl_key_rotation *r, const fl_workload_options *o);
/* The key for worker's next op (new reference). */
json_t *fl_key_rotation_next(fl_key_rotation *r, int worker);

/* The linearizability options a workload checks with: the caller's when given (a model
 * named there wins over model), else model, all_keys, the time limit (which bounds the
 * whole check, every key included) and a memory cap of half the machine's memory, so
 * that an undecided search ends as unknown, not out of memory. */
fl_lin_options fl_workload_lin_options(const fl_workload_options *o, const fl_model *model);

extern const fl_workload_def *const fl_workloads[];
/* Every op any workload asks of a target, NULL-terminated: the target_ops of a workload
 * set up only to check a history offline (faultline check, faultline report). */
extern const char *const fl_workload_all_ops[];
const fl_workload_def *fl_workload_find(const char *name);
bool fl_ops_have(const char *const *ops, const char *f);

#endif
