/* `faultline zoo` (DESIGN.md "Zoo"): every target's correct mode and every seeded bug,
 * each run at the target's defaults, tallied into a detection matrix. The pieces:
 * the rows and their settings (zoo_plan.c), each row's runs and simulator tallied
 * into zoo.json's row (zoo_tally.c), the matrix as text (zoo_matrix.c); cmd_zoo.c runs
 * them and writes zoo.json, zoo.html (reports/store/zoo.h) and the JUnit file. */
#ifndef FL_ZOO_RUN_H
#define FL_ZOO_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "target.h"
#include "run_config.h"

#define FL_ZOO_PLAN_ROWS_MAX 256

typedef struct fl_zoo_options {
    const char *target;     /* NULL: every target */
    const char *target_file; /* --target-file: the rows are this file's target's only */
    const fl_target *file_target; /* loaded from it (the process's current target file) */
    const char *bug;        /* NULL: every mode; "correct": the correct modes only */
    const char *store, *nodes_file, *junit;
    int runs;               /* per bug, default 5 */
    int correct_runs;       /* per correct mode, default 2 × runs */
    int sim_seeds;          /* simulator seeds per row, default 2000; 0: no simulator */
    double time_limit_s;    /* default 60 */
    uint64_t seed;          /* default 1: nights compare */
    bool list;
} fl_zoo_options;

/* One row of the matrix: a target's correct mode or one of its bugs. */
typedef struct fl_zoo_row {
    char name[160];             /* zoo-<target>-<mode>: its store folder, its JUnit suite */
    const fl_target *target;
    const fl_target_bug *bug;   /* NULL: the correct mode or a known finding */
    const fl_target_finding *finding; /* a known finding (expected like a bug), or NULL */
    json_t *settings;           /* only what the zoo sets (target, bug, time-limit, seed,
                                   test-count, store, nodes-file); the rest is the target's */
    fl_test_config config;      /* settings + the target's defaults, resolved */
    char refused[2048];         /* "" or why the settings do not resolve (not run) */
} fl_zoo_row;

/* Whether the row expects anomalies: a seeded bug or a known finding. */
bool fl_zoo_row_expects(const fl_zoo_row *r);
/* The row's mode: the bug's or the finding's name, or "correct". */
const char *fl_zoo_row_mode(const fl_zoo_row *r);

/* The rows o selects, in registry order, each target's correct mode first (none when a
 * known finding holds at the target's defaults), then its bugs, then its findings. 0, or 64
 * with the message printed (an unknown target or bug, naming the known ones). *rows is
 * to be freed by fl_zoo_plan_free either way. */
int fl_zoo_plan(const fl_zoo_options *o, fl_zoo_row **rows, size_t *count);
void fl_zoo_plan_free(fl_zoo_row *rows, size_t count);

/* --list: one line per row: name, tab, the zoo's settings (JSON), tab, what the
 * target's defaults filled (JSON), then "needs: …", the simulator, or why the row
 * cannot run. */
void fl_zoo_list(FILE *out, const fl_zoo_row *rows, size_t count, int sim_seeds);

/* zoo.json's row for row, from fl_test_series' summaries of its runs (runs may be
 * empty: not_run says why): name, target, mode, correct, needs, settings, planned,
 * finding {expect, documented} (known findings), runs [{seed, verdict, exit, dir (relative to the store), first_anomaly_s, checkers
 * (those whose valid is false in the run's results.json), seconds, error}], detected
 * (INVALID runs), unknown, errors, false_alarms (correct modes), median first anomaly
 * over the detected runs, caught_by {checker: runs}. */
json_t *fl_zoo_tally(const fl_zoo_row *row, const json_t *runs, const char *not_run);

/* When row's target has a simulator and seeds > 0: runs it on seeds first …
 * first + seeds - 1 for row's mode and sets row_json's "simulator" to {"binary",
 * "seeds", "violations"} or {"binary", "seeds", "error"}; else "simulator" is null. */
void fl_zoo_simulate(const fl_zoo_row *row, int seeds, uint64_t first, json_t *row_json);

/* The detection matrix of zoo (zoo.json's object) as a table. */
void fl_zoo_print_matrix(FILE *out, const json_t *zoo);

#endif
