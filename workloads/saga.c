/* The saga workload (DESIGN.md "Targets", payments): clients place orders on accounts and
 * cancel some of those that were placed, so the orders service charges and, on cancel,
 * runs the compensating refund through its retry layer:
 *   order   key O (a fresh integer per order), value {"account":A,"amount":M}
 *   cancel  key O, of an order this worker saw placed (ok), at most once each
 * After the faults, one fresh process reads every order it ever invoked (`read-order`,
 * the order's state) and then the payments ledger (`ledger`), which the target reads only
 * once its orders services have settled their pending steps. Checked by `ledger` (money
 * charged once, refunded once per acknowledged cancellation, conserved) and
 * `retry-storm` (what the retry layer did to payments around each fault). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

#define ACCOUNTS 10
#define AMOUNT_MAX 100
#define CANCEL_PERMILLE 300  /* of ops, when the worker has a placed order to cancel */
#define ORDER_STRIDE 1000000 /* worker w's orders are (w + 1) × stride + n */

/* One worker's orders. Only its own worker thread touches it until the final ops. */
typedef struct customer {
    long placed;                   /* orders invoked */
    json_int_t *cancellable;       /* placed (ok), not yet asked to cancel */
    size_t cancellable_count, cancellable_cap;
} customer;

struct fl_workload {
    int workers;
    customer *customers;
};

static fl_workload *saga_create(const fl_workload_options *o, char *err, size_t bytes) {
    static const char *const need[] = {"order", "cancel", "read-order", "ledger"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!fl_ops_have(o->target_ops, need[i])) {
            snprintf(err, bytes, "the saga workload needs a target with order, cancel, "
                     "read-order and ledger (an orders service over a payments ledger)");
            return NULL;
        }
    fl_workload *w = calloc(1, sizeof *w);
    int workers = o->concurrency > 0 ? o->concurrency : 1;
    if (w) w->customers = calloc((size_t)workers, sizeof *w->customers);
    if (!w || !w->customers) {
        free(w);
        return snprintf(err, bytes, "out of memory"), NULL;
    }
    w->workers = workers;
    return w;
}

static json_int_t order_key(int worker, long n) {
    return (json_int_t)(worker + 1) * ORDER_STRIDE + n;
}

static void set_op(fl_gen_op *out, const char *f, json_int_t order, json_t *value) {
    memset(out, 0, sizeof *out);
    snprintf(out->f, sizeof out->f, "%s", f);
    snprintf(out->req_f, sizeof out->req_f, "%s", f);
    out->key = json_integer(order);
    out->req_key = json_incref(out->key);
    out->value = value;
    out->req_value = json_incref(value);
}

static void saga_next(fl_workload *w, int worker, fl_wrng *rng, fl_gen_op *out) {
    customer *c = &w->customers[worker];
    if (c->cancellable_count > 0 && fl_wrng_below(rng, 1000) < CANCEL_PERMILLE) {
        size_t i = (size_t)fl_wrng_below(rng, c->cancellable_count);
        json_int_t order = c->cancellable[i];
        c->cancellable[i] = c->cancellable[--c->cancellable_count]; /* cancelled at most once */
        set_op(out, "cancel", order, NULL);
        out->value_from_reply = true; /* {"state": "cancelled" | "refund-pending"} */
        return;
    }
    char account[16];
    snprintf(account, sizeof account, "a%d", (int)fl_wrng_below(rng, ACCOUNTS));
    set_op(out, "order", order_key(worker, c->placed++),
           json_pack("{s:s, s:I}", "account", account, "amount",
                     (json_int_t)(1 + fl_wrng_below(rng, AMOUNT_MAX))));
}

static void saga_completed(fl_workload *w, int worker, const fl_gen_op *op, const char *type,
                           const json_t *value, const char *error) {
    (void)value, (void)error;
    customer *c = &w->customers[worker];
    if (strcmp(op->f, "order") || strcmp(type, "ok")) return;
    if (c->cancellable_count == c->cancellable_cap) {
        size_t cap = c->cancellable_cap ? c->cancellable_cap * 2 : 64;
        json_int_t *grown = realloc(c->cancellable, cap * sizeof *grown);
        if (!grown) return; /* this order is simply never cancelled */
        c->cancellable = grown, c->cancellable_cap = cap;
    }
    c->cancellable[c->cancellable_count++] = json_integer_value(op->key);
}

static json_t *saga_final_ops(fl_workload *w) {
    json_t *ops = json_array();
    for (int worker = 0; worker < w->workers; worker++)
        for (long n = 0; n < w->customers[worker].placed; n++)
            json_array_append_new(ops, json_pack("{s:s, s:I}", "f", "read-order", "key",
                                                 order_key(worker, n)));
    json_array_append_new(ops, json_pack("{s:s}", "f", "ledger"));
    return ops;
}

static void saga_free(fl_workload *w) {
    if (!w) return;
    for (int i = 0; i < w->workers; i++) free(w->customers[i].cancellable);
    free(w->customers);
    free(w);
}

static const char *const saga_needs[] = {"order", "cancel", "ledger", NULL};
static const char *const saga_checkers[] = {"ledger", "retry-storm", NULL};

const fl_workload_def fl_workload_saga = {
    .name = "saga",
    .summary = "orders placed and some cancelled (a charge, then a compensating refund); "
               "every order's state and the payments ledger read after the faults",
    .needs = saga_needs,
    .create = saga_create,
    .next = saga_next,
    .completed = saga_completed,
    .final_ops = saga_final_ops,
    .final_reads = NULL,
    .checkers = saga_checkers,
    .checker_options = NULL,
    .free = saga_free,
};
