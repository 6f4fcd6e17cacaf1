/* The controller side of faults: choose a fault from the spec (from the run's seed),
 * turn it into agent requests on the right nodes, and describe exactly what was done as
 * a nemesis event value (DESIGN.md "Conventions", Nemesis events). Talks to agents only
 * through the callbacks the harness fills in, so it knows nothing of SSH. */
#ifndef FL_NEMESIS_H
#define FL_NEMESIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "grudge.h"
#include "rng.h"
#include "spec.h"

#define FL_NEMESIS_ERR_BYTES 512

typedef struct fl_nemesis_io {
    void *ctx;
    size_t node_count;
    const char *const *names;   /* "n1" … */
    const char *const *addrs;   /* each node's address, as its peers reach it */
    /* Send one request to node i's agent and wait for its reply (a JSON object, new
     * reference). 0, or -1 with err. */
    int (*call)(void *ctx, size_t node, json_t *request, json_t **reply, char *err,
                size_t err_bytes);
    /* Run a shell command on node i (restarting a killed process). 0, or -1 with err. */
    int (*run)(void *ctx, size_t node, const char *command, char *err, size_t err_bytes);
    /* Which nodes are primary now (bit i: node i), for the "primaries" variants; NULL
     * when the target cannot say. 0, or -1 with err. */
    int (*primaries)(void *ctx, uint64_t *nodes, char *err, size_t err_bytes);
    /* Restart process p on node i after a kill (the target's start hook); NULL: run the
     * process's start_command instead. 0, or -1 with err. */
    int (*restart)(void *ctx, size_t node, size_t process, char *err, size_t err_bytes);
} fl_nemesis_io;

typedef struct fl_nemesis_process {
    const char *name;
    const char *pidfile;        /* on every node */
    const char *start_command;  /* to restart it after a kill, or NULL */
    bool tree;                  /* kill and pause hit its descendants too (a server's
                                   forked workers: PostgreSQL's backends) */
} fl_nemesis_process;

typedef struct fl_active_fault {
    fl_fault_choice choice;
    uint64_t nodes;             /* kill/pause targets */
    int64_t package;            /* faults started as one package share this number */
} fl_active_fault;

typedef struct fl_nemesis {
    fl_nemesis_io io;
    fl_rng rng;
    fl_fault_spec spec;
    const fl_nemesis_process *processes;
    size_t process_count;
    int64_t next_id;
    /* What is in force, oldest first: at most one fault of each kind at a time. */
    fl_active_fault active[FL_FAULT_KIND_COUNT];
    size_t active_count;
    uint64_t targets;           /* kill/pause targets of the fault being started */
    /* The package being started: its step in the spec, how many of its faults are
     * started, and its number (active[].package). */
    const fl_fault_step *starting;
    size_t started;
    int64_t packages;
    int64_t stopped_package;    /* the package of the fault stopped last */
    /* Who the target said is primary, asked at most once per fault started (choosing the
     * variant and applying it want the same answer, and asking costs a round to every
     * node); primaries_asked is cleared when the next fault starts. */
    bool primaries_asked;
    int primaries_rc;
    uint64_t primaries_seen;
    char primaries_err[FL_NEMESIS_ERR_BYTES];
} fl_nemesis;

void fl_nemesis_init(fl_nemesis *n, const fl_nemesis_io *io, const fl_fault_spec *spec,
                     uint64_t seed, const fl_nemesis_process *processes, size_t count);
/* Start the next fault of the package being started, or else the first of a random step
 * of the spec none of whose kinds is in force: the event value ({"kind":…, "variant":…,
 * …, "applied_ns":{node: agent mono_ns}}, "package": its number when the step has more
 * than one fault), with "error" when it took effect on some nodes only (it is in force
 * there); NULL with err when it took effect nowhere (nothing in force). */
json_t *fl_nemesis_start(fl_nemesis *n, char *err, size_t err_bytes);
/* Whether the package being started has faults left to start. */
bool fl_nemesis_package_starting(const fl_nemesis *n);
/* How long to wait before the next fault of a package: 0.1–0.5 × interval_s, from the
 * seed, so it lands while the previous one takes effect (an election under way after a
 * cut, a strobe already flipping when the leader is cut off). */
long fl_nemesis_package_gap_ms(fl_nemesis *n, double interval_s);
/* Whether some step of the spec could start now (none of its kinds in force). */
bool fl_nemesis_can_start(const fl_nemesis *n);
/* Stop the oldest fault in force (heal, resume, restart, reset): its stop event value,
 * with "error" (also in err) when part of the stop failed; NULL only when none is in
 * force. */
json_t *fl_nemesis_stop(fl_nemesis *n, char *err, size_t err_bytes);
/* Whether the oldest fault in force belongs to the package whose fault was just stopped
 * (stop it at once: a package stops together). */
bool fl_nemesis_package_stopping(const fl_nemesis *n);
/* Packages in force (what --at-once counts). */
size_t fl_nemesis_packages_in_force(const fl_nemesis *n);
/* How long to hold a fault or a calm: interval_s × 0.5–1.5, drawn from the seed, so
 * faults do not fall in step with a target's own timers (Jepsen's stagger). */
long fl_nemesis_hold_ms(fl_nemesis *n, double interval_s);
/* Heal the network and reset the clocks on every node (stop the faults in force first). */
json_t *fl_nemesis_heal_all(fl_nemesis *n, char *err, size_t err_bytes);

#endif
