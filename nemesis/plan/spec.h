/* The fault spec of `--nemesis` (DESIGN.md "Conventions", Choosing faults): a comma
 * list of steps, each a package of one or more faults joined by '+' that start together
 * (in the order written) and stop together, as Jepsen's combined packages do (e.g.
 * clock:strobe:primaries+partition:primaries: the leader cut off while its clock flips).
 * A fault is kind[:variant]; a kind without a variant picks one at random (from the
 * seed) each time it runs. Clock bump and strobe, and netem, may name their nodes too,
 * clock:VARIANT:TARGETS or netem:VARIANT:TARGETS with TARGETS one of fl_fault_targets
 * (default: a random subset).
 * A package holds at most one fault of each kind. */
#ifndef FL_SPEC_H
#define FL_SPEC_H

#include <stddef.h>

#define FL_SPEC_FAULTS_MAX 16

typedef enum { FL_FAULT_PARTITION, FL_FAULT_KILL, FL_FAULT_PAUSE, FL_FAULT_CLOCK,
               FL_FAULT_NETEM, FL_FAULT_KIND_COUNT } fl_fault_kind;

typedef struct fl_fault_choice {
    fl_fault_kind kind;
    int variant;   /* index into fl_fault_variants(kind), or -1: random each time */
    int targets;   /* clock, netem: index into fl_fault_targets(), or -1: a random subset */
} fl_fault_choice;

typedef struct fl_fault_step {
    size_t first, count;    /* its faults: faults[first … first + count) */
} fl_fault_step;

typedef struct fl_fault_spec {
    fl_fault_choice faults[FL_SPEC_FAULTS_MAX];   /* every fault of every step, in order */
    size_t count;
    fl_fault_step steps[FL_SPEC_FAULTS_MAX];
    size_t step_count;
} fl_fault_spec;

const char *fl_fault_kind_name(fl_fault_kind k);
/* The variants of a kind, NULL-terminated (partition: halves, one, …). */
const char *const *fl_fault_variants(fl_fault_kind k);
/* The node choices of kill, pause and targeted clock and netem faults: one, minority,
 * majority, all, primaries (NULL-terminated). */
const char *const *fl_fault_targets(void);
/* 0, or -1 with err naming the bad entry and listing what is allowed. */
int fl_fault_spec_parse(const char *text, fl_fault_spec *out, char *err, size_t err_bytes);

#endif
