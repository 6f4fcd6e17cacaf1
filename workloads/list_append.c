/* The list-append workload: appends of unique integers and reads of whole lists, on
 * integer keys that rotate (fl_key_rotation), using the target's `append` op. A read's
 * ok value is the whole list (null: the key was never appended to, an empty list).
 * Checked for linearizability of the list per key (list-append model) and for the four
 * session guarantees, which on list-append keys are checked exactly: every read reveals
 * the order of the appends it saw. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model.h"
#include "workload.h"

struct fl_workload {
    fl_workload_options o;
    fl_key_rotation keys;
    atomic_long next_element; /* every appended integer is unique across keys */
};

static fl_workload *la_create(const fl_workload_options *o, char *err, size_t bytes) {
    if (!fl_ops_have(o->target_ops, "read") || !fl_ops_have(o->target_ops, "append")) {
        snprintf(err, bytes, "the list-append workload needs a target with read and append");
        return NULL;
    }
    fl_workload *w = calloc(1, sizeof *w);
    if (!w) return snprintf(err, bytes, "out of memory"), NULL;
    w->o = *o;
    fl_key_rotation_init(&w->keys, o);
    atomic_store(&w->next_element, 1);
    return w;
}

static void la_next(fl_workload *w, int worker, fl_wrng *rng, fl_gen_op *out) {
    memset(out, 0, sizeof *out);
    out->key = fl_key_rotation_next(&w->keys, worker);
    if (fl_wrng_below(rng, 2)) {
        snprintf(out->f, sizeof out->f, "append");
        out->value = json_integer(atomic_fetch_add(&w->next_element, 1));
    } else {
        snprintf(out->f, sizeof out->f, "read");
    }
    snprintf(out->req_f, sizeof out->req_f, "%s", out->f);
    out->req_key = json_incref(out->key);
    out->req_value = json_incref(out->value);
}

static void la_checker_options(const fl_workload *w, fl_checker_options *o) {
    o->lin = fl_workload_lin_options(&w->o, fl_model_find("list-append"));
    o->guarantees = w->o.guarantees;
}

static void la_free(fl_workload *w) { free(w); }

static const char *const la_needs[] = {"read", "append", NULL};
static const char *const la_checkers[] = {"linearizable", "session", NULL};

const fl_workload_def fl_workload_list_append = {
    .name = "list-append",
    .summary = "append unique integers, read whole lists, on rotating keys; linearizable "
               "per key and the four session guarantees",
    .needs = la_needs,
    .create = la_create,
    .next = la_next,
    .final_reads = NULL,
    .checkers = la_checkers,
    .checker_options = la_checker_options,
    .free = la_free,
};
