/* The ledger checker (see ledger.h): the client's orders and cancellations, the final
 * ledger read, and what each order's entries must be. */
#include "ledger.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "empty_history.h"
#include "result.h"

/* One order as the client and the ledger tell it. Positions index fl_history.ops. */
typedef struct order {
    char *text;                  /* canonical JSON of its key (owned) */
    int64_t order_inv;           /* its `order` invocation, or FL_NO_PAIR */
    fl_op_type order_outcome;    /* FL_OK, FL_FAIL, FL_INFO (none: FL_INVOKE) */
    int64_t cancel_inv;          /* the cancel that decides: an ok one, else the last */
    bool cancel_ok, cancel_maybe; /* acknowledged; or in doubt (info / never completed) */
    json_t *charges, *refunds;   /* the ledger's entries (borrowed, in arrays we own) */
    json_int_t charged, refunded;
    char read_state[16];         /* its last ok `read-order`'s state, or "" */
} order;

typedef struct ledger {
    const fl_history *h;
    fl_error *err;
    order *orders;
    size_t n, cap;
    json_t *index;               /* text -> position in orders */
    int64_t read;                /* the final ledger read's completion, or FL_NO_PAIR */
    json_t *anomalies, *types;
    size_t n_anomalies;
    /* Whether every orders service had settled (no step pending) when the ledger was
     * read: the read's "pending" {node: count} all 0, or absent (a target that says
     * nothing of pending steps). */
    bool settled;
    json_t *owed;                /* acknowledged refunds still pending at the read */
    size_t n_owed;
} ledger;

static char *text_of(const json_t *key) {
    return json_dumps(key, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
}

/* The order keyed by text (made when new); NULL when memory ran out. */
static order *order_of(ledger *l, const char *text) {
    const json_t *at = json_object_get(l->index, text);
    if (at) return &l->orders[json_integer_value(at)];
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        order *more = realloc(l->orders, cap * sizeof *more);
        if (!more) return NULL;
        l->orders = more;
        l->cap = cap;
    }
    order *o = &l->orders[l->n];
    *o = (order){.text = strdup(text), .order_inv = FL_NO_PAIR, .order_outcome = FL_INVOKE,
                 .cancel_inv = FL_NO_PAIR, .charges = json_array(), .refunds = json_array()};
    if (!o->text || json_object_set_new(l->index, text, json_integer((json_int_t)l->n)) != 0) {
        free(o->text);
        json_decref(o->charges);
        json_decref(o->refunds);
        return NULL;
    }
    l->n++;
    return o;
}

static int fail_at(ledger *l, const fl_op *op, const char *what) {
    fl_error_set(l->err, l->h->source, op->line, 0, "%s %s (index %lld) of process %lld: %s",
                 fl_op_type_name(op->type), op->f, (long long)op->index,
                 (long long)op->process, what);
    return -1;
}

/* The client's order and cancel ops: who ordered and cancelled what, with what outcome. */
static int collect_ops(ledger *l) {
    const fl_history *h = l->h;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS || op->type != FL_INVOKE) continue;
        const fl_op *done = op->pair == FL_NO_PAIR ? NULL : &h->ops[op->pair];
        if (!strcmp(op->f, "ledger")) {
            if (done && done->type == FL_OK) l->read = op->pair;
            continue;
        }
        bool is_order = !strcmp(op->f, "order"), is_cancel = !strcmp(op->f, "cancel");
        bool is_read = !strcmp(op->f, "read-order");
        if (!is_order && !is_cancel && !is_read) continue;
        if (is_read && !(done && done->type == FL_OK)) continue;
        if (op->key == FL_NO_KEY) return fail_at(l, op, "an order or cancel needs a key");
        char *text = text_of(h->keys[op->key]);
        order *o = text ? order_of(l, text) : NULL;
        free(text);
        if (!o) return fail_at(l, op, "out of memory");
        fl_op_type outcome = done ? done->type : FL_INFO;
        if (is_read) {
            const char *state = json_string_value(json_object_get(done->value, "state"));
            snprintf(o->read_state, sizeof o->read_state, "%s", state ? state : "");
        } else if (is_order) {
            o->order_inv = (int64_t)i;
            o->order_outcome = outcome;
        } else if (!o->cancel_ok) {
            o->cancel_inv = (int64_t)i;
            o->cancel_ok = outcome == FL_OK;
            o->cancel_maybe |= outcome == FL_INFO;
        }
    }
    return 0;
}

/* The final read's entries onto their orders. 0, or -1 with err (malformed). */
static int collect_entries(ledger *l) {
    const fl_op *read = &l->h->ops[l->read];
    const json_t *entries = json_object_get(read->value, "entries");
    if (!json_is_array(entries)) return fail_at(l, read, "its value has no \"entries\" list");
    size_t i;
    const json_t *e;
    json_array_foreach(entries, i, e) {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        const json_t *amount = json_object_get(e, "amount"), *key = json_object_get(e, "order");
        if (!kind || (strcmp(kind, "charge") && strcmp(kind, "refund")) || !key ||
            !json_is_integer(amount) || json_integer_value(amount) < 0 ||
            !json_is_string(json_object_get(e, "account")))
            return fail_at(l, read, "an entry is not {\"order\", \"account\", \"kind\": "
                                    "charge|refund, \"amount\": a non-negative integer}");
        char *text = text_of(key);
        order *o = text ? order_of(l, text) : NULL;
        free(text);
        if (!o) return fail_at(l, read, "out of memory");
        bool charge = kind[0] == 'c';
        json_array_append(charge ? o->charges : o->refunds, (json_t *)e);
        *(charge ? &o->charged : &o->refunded) += json_integer_value(amount);
    }
    return 0;
}

/* Whether the ledger read's "pending" says nothing is pending (a count per orders node; a
 * node that could not say — an error string — is not settled). */
static bool settled(const json_t *pending) {
    const char *node;
    const json_t *n;
    json_object_foreach((json_t *)pending, node, n)
        if (!json_is_integer(n) || json_integer_value(n) != 0) return false;
    return true;
}

/* ---- anomalies ---- */

/* Count an anomaly of the order or account named by name (canonical JSON text); the
 * first FL_LEDGER_ANOMALIES_SHOWN are recorded with the ops invoked at invs and entries
 * (taken). */
static void add_anomaly(ledger *l, const char *type, const char *what, const char *name,
                        const int64_t *invs, size_t n_invs, json_t *entries,
                        const char *explanation) {
    fl_json_note_string(l->types, type);
    if (l->n_anomalies++ >= FL_LEDGER_ANOMALIES_SHOWN) {
        json_decref(entries);
        return;
    }
    json_t *a = json_object(), *ops = json_array(), *named = json_loads(name, JSON_DECODE_ANY, NULL);
    for (size_t i = 0; i < n_invs; i++)
        if (invs[i] != FL_NO_PAIR) json_array_append_new(ops, fl_op_pair_json(l->h, invs[i]));
    json_object_set_new(a, "type", json_string(type));
    json_object_set_new(a, what, named ? named : json_string(name));
    json_object_set_new(a, "ops", ops);
    json_object_set_new(a, "entries", entries ? entries : json_array());
    json_object_set_new(a, "explanation", json_string(explanation));
    json_array_append_new(l->anomalies, a);
}

/* "p3's cancel (op 40, ok at 12.40 s)", "p3's cancel (op 40, never completed)" or
 * "no cancel". */
static void op_words(const ledger *l, int64_t inv, const char *f, char *buf, size_t len) {
    if (inv == FL_NO_PAIR) {
        snprintf(buf, len, "no %s", f);
        return;
    }
    const fl_op *op = &l->h->ops[inv];
    const fl_op *done = op->pair == FL_NO_PAIR ? NULL : &l->h->ops[op->pair];
    if (!done)
        snprintf(buf, len, "p%lld's %s (op %lld, never completed)", (long long)op->process, f,
                 (long long)op->index);
    else
        snprintf(buf, len, "p%lld's %s (op %lld, %s at %.2f s)", (long long)op->process, f,
                 (long long)op->index, fl_op_type_name(done->type),
                 (double)done->time_ns / 1e9);
}

static void judge_order(ledger *l, order *o) {
    char text[600], a[200], b[200];
    int64_t invs[2] = {o->order_inv, o->cancel_inv};
    op_words(l, o->order_inv, "order", a, sizeof a);
    op_words(l, o->cancel_inv, "cancel", b, sizeof b);
    size_t charges = json_array_size(o->charges), refunds = json_array_size(o->refunds);
    if (charges > 1) {
        snprintf(text, sizeof text, "order %s was charged %zu times (%lld in all) for %s", o->text,
                 charges, (long long)o->charged, a);
        add_anomaly(l, "double-charge", "order", o->text, invs, 2, json_deep_copy(o->charges), text);
    }
    if (o->refunded > o->charged) {
        snprintf(text, sizeof text, "order %s was refunded %lld in %zu refund(s) against %lld "
                 "charged: %s; %s", o->text, (long long)o->refunded, refunds,
                 (long long)o->charged, b, a);
        add_anomaly(l, "over-refund", "order", o->text, invs, 2, json_deep_copy(o->refunds), text);
    }
    /* Still owed, not lost: the orders service says the refund is pending (its last read
     * of the order) and did not settle before the ledger was read. */
    if (o->cancel_ok && refunds == 0 && charges > 0 && !l->settled &&
        strcmp(o->read_state, "cancelled")) {
        if (json_array_size(l->owed) < 20) json_array_append_new(l->owed, json_string(o->text));
        l->n_owed++;
        return;
    }
    if (o->cancel_ok && refunds == 0 && charges > 0) {
        snprintf(text, sizeof text, "order %s: %s was acknowledged, but the ledger holds its "
                 "charge of %lld and no refund: the compensation was lost", o->text, b,
                 (long long)o->charged);
        add_anomaly(l, "lost-compensation", "order", o->text, invs, 2, json_deep_copy(o->charges),
                    text);
    }
    if (refunds > 0 && !o->cancel_ok && !o->cancel_maybe) {
        snprintf(text, sizeof text, "order %s was refunded %lld though %s", o->text,
                 (long long)o->refunded, o->cancel_inv == FL_NO_PAIR ? "it was never cancelled"
                                                                     : "every cancel failed");
        add_anomaly(l, "refund-without-cancel", "order", o->text, invs, 2,
                    json_deep_copy(o->refunds), text);
    }
}

/* Each account's balance against its entries. 0, or -1 with err (malformed). */
static int judge_accounts(ledger *l) {
    const fl_op *read = &l->h->ops[l->read];
    const json_t *balances = json_object_get(read->value, "balances");
    const json_t *initial = json_object_get(read->value, "initial");
    if (!balances && !initial) return 0; /* a ledger that keeps no balances: nothing to sum */
    if (!json_is_object(balances) || !json_is_object(initial))
        return fail_at(l, read, "\"balances\" and \"initial\" must both be objects");
    json_t *expected = json_deep_copy(initial);
    for (size_t i = 0; i < l->n; i++)
        for (int refund = 0; refund < 2; refund++) {
            size_t j;
            json_t *e;
            json_array_foreach(refund ? l->orders[i].refunds : l->orders[i].charges, j, e) {
                const char *acct = json_string_value(json_object_get(e, "account"));
                json_int_t amount = json_integer_value(json_object_get(e, "amount"));
                json_int_t now = json_integer_value(json_object_get(expected, acct));
                json_object_set_new(expected, acct, json_integer(refund ? now + amount : now - amount));
            }
        }
    const char *acct;
    json_t *want;
    json_object_foreach(expected, acct, want) {
        const json_t *got = json_object_get(balances, acct);
        if (json_is_integer(got) && json_integer_value(got) == json_integer_value(want)) continue;
        char text[400], held[64] = "nothing";
        json_t *acct_json = json_string(acct);
        char *name = text_of(acct_json);
        json_decref(acct_json);
        if (json_is_integer(got)) snprintf(held, sizeof held, "%lld", (long long)json_integer_value(got));
        snprintf(text, sizeof text, "account %s holds %s, but its initial balance %lld less its "
                 "charges plus its refunds is %lld", acct, held,
                 (long long)json_integer_value(json_object_get(initial, acct)),
                 (long long)json_integer_value(want));
        int64_t none = FL_NO_PAIR;
        add_anomaly(l, "money-not-conserved", "account", name ? name : "\"?\"", &none, 0, NULL, text);
        free(name);
    }
    json_decref(expected);
    return 0;
}

static json_t *result_json(ledger *l) {
    size_t charges = 0, refunds = 0, acknowledged = 0, unacknowledged = 0;
    json_t *doubtful = json_array();
    for (size_t i = 0; i < l->n; i++) {
        order *o = &l->orders[i];
        charges += json_array_size(o->charges);
        refunds += json_array_size(o->refunds);
        acknowledged += o->cancel_ok;
        if (json_array_size(o->charges) && o->order_outcome != FL_OK) {
            unacknowledged++;
            if (json_array_size(doubtful) < 20) json_array_append_new(doubtful, json_string(o->text));
        }
    }
    json_t *valid = l->n_anomalies ? json_false() : l->n_owed ? json_string("unknown") : json_true();
    json_t *r = json_pack("{s:o,s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:{s:I,s:o},s:{s:I,s:O}}", "valid",
                     valid, "anomaly_count", (json_int_t)l->n_anomalies,
                     "anomalies", json_incref(l->anomalies), "anomaly-types",
                     json_incref(l->types), "order_count", (json_int_t)l->n, "charge_count",
                     (json_int_t)charges, "refund_count", (json_int_t)refunds,
                     "cancellations_acknowledged", (json_int_t)acknowledged,
                     "charged-unacknowledged", "count", (json_int_t)unacknowledged, "orders",
                     doubtful, "refunds-owed", "count", (json_int_t)l->n_owed, "orders", l->owed);
    if (l->n_owed && !l->n_anomalies)
        json_object_set_new(r, "reason", json_string(
            "acknowledged cancellations whose refunds were still pending when the ledger was "
            "read (the orders services had not settled): neither paid nor lost yet"));
    return r;
}

json_t *fl_check_ledger(const fl_history *h, fl_error *err) {
    fl_error local;
    ledger l = {.h = h, .err = err ? err : &local, .read = FL_NO_PAIR, .index = json_object(),
                .anomalies = json_array(), .types = json_array(), .owed = json_array()};
    json_t *result = NULL;
    if (collect_ops(&l) != 0) goto done;
    if (l.read == FL_NO_PAIR) {
        result = fl_empty_history_valid(
            h, json_pack("{s:s,s:s}", "valid", "unknown", "reason",
                         "no ok final ledger read: nothing to hold the orders against"));
        goto done;
    }
    if (collect_entries(&l) != 0) goto done;
    l.settled = settled(json_object_get(h->ops[l.read].value, "pending"));
    for (size_t i = 0; i < l.n; i++) judge_order(&l, &l.orders[i]);
    if (judge_accounts(&l) != 0) goto done;
    result = fl_empty_history_valid(h, result_json(&l));
done:
    for (size_t i = 0; i < l.n; i++) {
        free(l.orders[i].text);
        json_decref(l.orders[i].charges);
        json_decref(l.orders[i].refunds);
    }
    free(l.orders);
    json_decref(l.index);
    json_decref(l.anomalies);
    json_decref(l.types);
    json_decref(l.owed);
    return result;
}
