/* The state of one `faultline test` run, shared by run.c (phases) and
 * run_workers.c (client workers, final reads); not part of the API. */
#ifndef FL_TEST_RUN_INTERNAL_H
#define FL_TEST_RUN_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

#include "agents.h"
#include "control.h"
#include "history_writer.h"
#include "nemesis.h"
#include "nemesis_link.h"
#include "nodes.h"
#include "target.h"
#include "run_config.h"
#include "workload.h"

typedef struct fl_run {
    const fl_test_config *cfg;
    uint64_t seed;
    char dir[4096];
    char name[512];                 /* the test's name in the store */
    struct timespec started;        /* CLOCK_MONOTONIC, for junit.xml's times */
    struct timespec history_origin; /* CLOCK_MONOTONIC at the history's time 0 */
    FILE *log;
    fl_nodes nodes;
    bool nodes_read;
    fl_control control;
    bool control_open;
    fl_agents agents;
    bool agents_up;
    fl_nemesis_link link;
    fl_nemesis nemesis;
    fl_fault_spec spec;
    fl_nemesis_process process;
    const fl_target *target;
    fl_target_ctx tctx;
    bool target_set_up;
    const fl_workload_def *wdef;
    fl_workload *workload;
    fl_hwriter history;
    bool history_open;
    atomic_bool main_over;          /* workers and nemesis stop */
    volatile sig_atomic_t *interrupted;
    atomic_long ok, fail, info;
    atomic_long node_ok[FL_NODES_MAX];
    atomic_long nemesis_events;
    pthread_mutex_t faults_mu;
    char faults[256];               /* what is in force, for the status line */
} fl_run;

/* Write a line to faultline.log (and stderr when loud). Thread-safe. */
void fl_run_log(fl_run *r, bool loud, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Start the workers; they run until r->main_over. */
int fl_workers_start(fl_run *r, char *err, size_t bytes);
void fl_workers_join(fl_run *r);
/* The workload's final reads on every node, each recorded as one read op. */
void fl_final_reads(fl_run *r);
/* The workload's final ops (fl_workload_def.final_ops), one after another. */
void fl_final_ops(fl_run *r);

#endif
