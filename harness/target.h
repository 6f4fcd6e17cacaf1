/* A system under test as the controller sees it (DESIGN.md "Targets"): how to deploy,
 * start, stop and kill it on a node, a client for its ops, and optionally who is
 * primary. Each target's adapter.c fills one of these; targets/registry.c lists them. */
#ifndef FL_TARGET_H
#define FL_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "control.h"
#include "nodes.h"

#define FL_TARGET_ERR_BYTES 512

typedef struct fl_target_option {
    const char *name;
    const char *default_value;  /* NULL: depends on other settings (the help says how) */
    const char *help;
} fl_target_option;

typedef struct fl_target_bug {
    const char *name;
    const char *help;
    /* A fault this bug needs that a local cluster cannot apply, e.g. "packets reordered" (this
     * kernel has no netem); NULL: none. The zoo says so in the bug's row. */
    const char *needs;
    /* That fault as a --nemesis spec ("netem:reorder"): on nodes that are machines of their
     * own (every node's clock "system": VMs, a user's machines) the zoo's row for the bug
     * runs with it instead of the target's default faults. NULL: none. */
    const char *needs_nemesis;
    /* How long a run of that row lasts there at least (s), for a bug whose fault opens
     * its window rarely: the row's rate is stated at this length. 0: the zoo's length. */
    double needs_seconds;
} fl_target_bug;

/* A behaviour of a real system the field has documented (not a seeded bug: nobody here
 * planted it), shown by a setting of the system itself. The zoo gives it a row of its
 * own, run at the target's defaults plus `options`, expected to be found like a bug. */
typedef struct fl_target_finding {
    const char *name;        /* "stale-serializable-reads": the zoo row's mode */
    /* The --target-opt settings that show it, "K=V[,K=V…]"; NULL: the target's defaults
     * themselves (the system has no safe setting): the zoo then runs no correct row. */
    const char *options;
    const char *expect;      /* what a run finds: "a stale read (not linearizable)" */
    const char *documented;  /* where: "Jepsen, etcd 0.4.1 (2014); etcd's API guarantees" */
} fl_target_finding;

/* How a test of this target runs when the user names none of these settings: ONE
 * workload and fault mix for the correct mode and every seeded bug alike, chosen for
 * the target's architecture (never per bug: a user's system has bugs nobody named).
 * An explicit setting wins, `--nemesis none` included. DESIGN.md "Target defaults". */
typedef struct fl_target_defaults {
    const char *workload;
    const char *nemesis;        /* a --nemesis spec */
    double nemesis_interval_s;
    double nemesis_delay_s;     /* calm before the first fault (0: none) */
    int at_once;
    int concurrency;
    double op_timeout_s;
    const char *why;            /* one or two sentences: the architecture and the mix */
} fl_target_defaults;

/* What an adapter gets from the run: the nodes and their remotes (remote.h), the run
 * directory, the seeded bug and the resolved options. */
typedef struct fl_target_ctx {
    const struct fl_target *target; /* the target itself (a target file's adapter finds
                                     * its file by it) */
    const fl_nodes *nodes;
    fl_control *control;
    const char *run_dir;
    const char *bug;            /* NULL: correct mode */
    json_t *options;            /* every option of the target, name -> string */
    FILE *log;                  /* the run's faultline.log */
    void *state;                /* the adapter's own */
} fl_target_ctx;

/* One client request: the op as the target sees it. */
typedef struct fl_request {
    const char *f;
    json_t *key;                /* borrowed; NULL when the op has none */
    json_t *value;              /* borrowed; NULL when the op has none */
} fl_request;

typedef enum { FL_REPLY_OK, FL_REPLY_FAIL, FL_REPLY_INFO } fl_reply_type;

typedef struct fl_reply {
    fl_reply_type type;         /* fail: certainly no effect; info: unknown */
    json_t *value;              /* new reference or NULL */
    char error[200];
    char leader[64];            /* a follower's hint: the node it takes for leader, or "" */
    int node;                   /* the node that answered (after redirects), -1: the one
                                   the client was opened on */
} fl_reply;

typedef struct fl_client fl_client;

typedef struct fl_target {
    const char *name;
    const char *summary;
    const char *const *ops;             /* the ops it serves, NULL-terminated */
    const fl_target_bug *bugs;          /* {NULL}-terminated */
    const fl_target_option *options;    /* {NULL}-terminated */
    const char *pidfile;                /* "{workdir}/…/x.pid": what kill and pause hit */
    bool signal_tree;                   /* kill and pause hit the pidfile's process and
                                           every descendant (PostgreSQL's backends) */
    const fl_target_defaults *defaults; /* NULL: faultline test's own (no faults) */
    const fl_target_finding *findings;  /* {NULL}-terminated, or NULL: none */
    /* Why the clock shim cannot reach this target's processes ("etcd is a Go program: it
     * reads the clock through the vDSO"), or NULL. When set, clock faults are refused on
     * nodes in faketime clock mode (exit 64) instead of being claimed and not applied. */
    const char *clock_shim_blind;
    /* The workloads it fits (NULL-terminated), or NULL: any. A target file names them. */
    const char *const *workloads;
    /* Optional: a deterministic simulator of the target's protocol, a companion binary
     * found like the daemons (harness/libexec.h), or NULL. `faultline zoo` runs it per
     * row as `SIM [ARGS] --seeds A-B --all [--bug NAME]`: exit 0 and a line ending in "no
     * violation", or exit 1 and a line holding "N with a violation" (N of the seeds
     * broke a guarantee); exit 64 means it does not know the bug. */
    const char *simulator;
    /* Its arguments before those (NULL-terminated, or NULL): raft-sim models lockd with
     * `--app lockd`. */
    const char *const *simulator_args;
    /* Upload binaries to every node and wipe old data. 0, or -1 with err. */
    int (*setup)(fl_target_ctx *t, char *err, size_t bytes);
    /* Start on one node and wait until it answers. 0, or -1 with err. */
    int (*start)(fl_target_ctx *t, size_t node, char *err, size_t bytes);
    /* Stop on one node (gracefully, then by KILL). 0, or -1 with err. */
    int (*stop)(fl_target_ctx *t, size_t node, char *err, size_t bytes);
    /* Copy the node's logs into dir. 0, or -1 with err. */
    int (*fetch_logs)(fl_target_ctx *t, size_t node, const char *dir, char *err, size_t bytes);
    void (*teardown)(fl_target_ctx *t);
    /* A client connected to node; NULL with err. */
    fl_client *(*client_open)(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                              size_t bytes);
    /* One op; the reply says what happened (a broken connection is info). */
    void (*client_invoke)(fl_client *c, const fl_request *req, int timeout_ms, fl_reply *out);
    void (*client_close)(fl_client *c);
    /* Optional: wait until the cluster serves (say, a leader is elected), after it was
     * started and after the faults are healed. 0, or -1 with err. */
    int (*ready)(fl_target_ctx *t, char *err, size_t bytes);
    /* Optional: which nodes are primary now (bit i: node i). Asked by the nemesis for
     * its "primaries" faults and about once a second during a run by the primaries
     * watcher (the history's primaries events), one call at a time; keep it bounded
     * (a few seconds at most), since the run's end waits for a call in flight. */
    int (*primaries)(fl_target_ctx *t, uint64_t *nodes, char *err, size_t bytes);
} fl_target;

/* Every target faultline knows, NULL-terminated (targets/registry.c). */
extern const fl_target *const fl_targets[];
const fl_target *fl_target_find(const char *name);
bool fl_target_has_op(const fl_target *t, const char *f);
bool fl_target_has_bug(const fl_target *t, const char *bug);
/* An option's value for this run (never NULL for a declared option). */
const char *fl_target_option_get(const fl_target_ctx *t, const char *name);

#endif
