/* The set workload: add unique elements, then read the whole set from every node after
 * the faults; checked for lost (acknowledged, then missing), unexpected and recovered
 * elements. On a store without a set type each element is its own key ("s<e>", value
 * e) and the final read of a node reads every element's key there. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "set.h"
#include "workload.h"

struct fl_workload {
    fl_workload_options o;
    atomic_long next;         /* the next element */
};

static fl_workload *set_create(const fl_workload_options *o, char *err, size_t bytes) {
    if (!fl_ops_have(o->target_ops, "read") || !fl_ops_have(o->target_ops, "write")) {
        snprintf(err, bytes, "the set workload needs a target with read and write");
        return NULL;
    }
    fl_workload *w = calloc(1, sizeof *w);
    if (!w) return snprintf(err, bytes, "out of memory"), NULL;
    w->o = *o;
    return w;
}

static json_t *element_key(long e) {
    char key[32];
    snprintf(key, sizeof key, "s%ld", e);
    return json_string(key);
}

static void set_next(fl_workload *w, int worker, fl_wrng *rng, fl_gen_op *out) {
    (void)rng, (void)worker;
    memset(out, 0, sizeof *out);
    long e = atomic_fetch_add(&w->next, 1);
    snprintf(out->f, sizeof out->f, "add");
    out->value = json_integer(e);
    snprintf(out->req_f, sizeof out->req_f, "write");
    out->req_key = element_key(e);
    out->req_value = json_integer(e);
}

static json_t *set_final_reads(fl_workload *w) {
    json_t *plan = json_array();
    long count = atomic_load(&w->next);
    for (long e = 0; e < count; e++)
        json_array_append_new(plan, json_pack("[o,I]", element_key(e), (json_int_t)e));
    return plan;
}

static void set_free(fl_workload *w) { free(w); }

static const char *const set_needs[] = {"read", "write", NULL};
static const char *const set_checkers[] = {"set", NULL};

const fl_workload_def fl_workload_set = {
    .name = "set",
    .summary = "add unique elements, final reads on every node; lost/unexpected elements",
    .needs = set_needs,
    .create = set_create,
    .next = set_next,
    .final_reads = set_final_reads,
    .checkers = set_checkers,
    .checker_options = NULL,
    .free = set_free,
};
