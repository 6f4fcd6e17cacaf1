/* The harness's side of nemesis/ (DESIGN.md "Layout": the harness fills in the
 * callbacks nemesis needs): agent requests over the kept streams, "{workdir}" in
 * pidfiles and commands made each node's own, restarts and "who is primary" through
 * the target (or --process start commands and --primary-cmd), and the check that refuses a fault spec the nodes cannot carry out before a run starts.
 * Used by `faultline nemesis` and `faultline test`. */
#ifndef FL_NEMESIS_LINK_H
#define FL_NEMESIS_LINK_H

#include <pthread.h>
#include <stdbool.h>

#include "agents.h"
#include "control.h"
#include "nemesis.h"
#include "target.h"

typedef struct fl_nemesis_link {
    fl_control *control;
    fl_agents *agents;
    const char *primary_cmd;        /* shell command: exit 0 on the primaries, or NULL */
    const fl_target *target;        /* restarts and primaries through it, or NULL */
    fl_target_ctx *target_ctx;
    const char *names[FL_NODES_MAX], *addrs[FL_NODES_MAX];
    /* One "who is primary" at a time: the nemesis and a run's primaries watcher both
     * ask, and an adapter's primaries was written for one caller. */
    pthread_mutex_t primaries_mu;
} fl_nemesis_link;

/* Fill io (its ctx is l). */
void fl_nemesis_link_init(fl_nemesis_link *l, fl_control *c, fl_agents *a, fl_nemesis_io *io);
/* Which nodes are primary now (bit i: node i), through the target or --primary-cmd,
 * one caller at a time; 0, or -1 with err (and -1 when neither can say). */
int fl_nemesis_link_primaries(fl_nemesis_link *l, uint64_t *nodes, char *err, size_t bytes);
/* 0 when every node can carry out spec (netem needs a kernel that has it), else -1
 * with err naming the node and why. */
int fl_nemesis_link_check_spec(fl_nemesis_link *l, const fl_fault_spec *spec, char *err,
                               size_t bytes);
/* Free what _init made (the agents stay: fl_agents_stop). */
void fl_nemesis_link_free(fl_nemesis_link *l);

/* Where a schedule's events go, and when it is over. */
typedef struct fl_nemesis_sink {
    void *ctx;
    /* f is "<kind>-start", "<kind>-stop" or "heal"; value is stolen. */
    void (*event)(void *ctx, const char *f, json_t *value);
    void (*error)(void *ctx, const char *message);
    bool (*done)(void *ctx);       /* start no more faults */
    /* Cut a hold short (NULL: when done). `faultline nemesis` holds a fault it started
     * for its whole interval even past --duration; a test's main phase ends at once. */
    bool (*cut_hold)(void *ctx);
} fl_nemesis_sink;

/* Faults until sink says done: start one step of the spec (a package's faults 0.1–0.5
 * intervals apart), hold about interval_s (0.5–1.5×, from the seed); once at_once packages
 * are in force, stop the oldest (all of its faults) and stay calm about interval_s.
 * Then stop them all and heal every node (the agents feed their own watchdogs
 * meanwhile: agents.h). 0, or -1 when some start, stop or heal
 * failed (each failure went to sink->error). */
int fl_nemesis_schedule(fl_nemesis *n, fl_nemesis_link *l, double interval_s, int at_once,
                        const fl_nemesis_sink *sink);

#endif
