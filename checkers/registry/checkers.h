/* Every checker by name, for `faultline check --checker`, the workloads and the report:
 * each reads a history (log-pattern reads the run directory's node logs instead) and
 * returns {"valid": true|false|"unknown", …details} (DESIGN.md "Checkers"). */
#ifndef FL_CHECKERS_H
#define FL_CHECKERS_H

#include <stdbool.h>

#include <jansson.h>

#include "check.h"
#include "result.h"
#include "history.h"
#include "log_pattern.h"
#include "perf.h"
#include "set_full.h"
#include "txn.h"

typedef struct fl_checker_options {
    fl_lin_options lin;           /* linearizable; model NULL: inferred from the ops */
    unsigned guarantees;          /* session: FL_SESSION_* bits, 0 = all four */
    fl_set_full_options set_full; /* set-full: linearizable claimed → stale is an anomaly */
    fl_perf_options perf;
    fl_log_pattern_options logs;
    fl_txn_options txn;           /* txn: workload kind, consistency model, inference */
    const char *run_dir;          /* log-pattern, retry-storm: the run directory (nodes/) */
} fl_checker_options;

typedef struct fl_checker_def {
    const char *name;
    const char *summary;
    bool reads_logs; /* log-pattern: needs run_dir, not a history */
    /* The result (new reference), or NULL with err (malformed input for this checker). */
    json_t *(*run)(const fl_history *h, const fl_checker_options *o, fl_error *err);
} fl_checker_def;

extern const fl_checker_def *const fl_checker_defs[]; /* NULL-terminated */
const fl_checker_def *fl_checker_find(const char *name);

/* Run def and add its result to results {"valid", "checkers": {…}} under its name,
 * folding its verdict into "valid". 0, or -1 with err (nothing added). */
int fl_checker_run_into(const fl_checker_def *def, const fl_history *h,
                        const fl_checker_options *o, json_t *results, fl_error *err);

/* As fl_checker_run_into, but a checker that refuses the input (an op that does not fit
 * it) is recorded under its name as {"valid": "unknown", "error": …} and folded in as
 * unknown, so the other checkers' verdicts stand. 0, or -1 with err when it refused. */
int fl_checker_run_or_record(const fl_checker_def *def, const fl_history *h,
                             const fl_checker_options *o, json_t *results, fl_error *err);

#endif
