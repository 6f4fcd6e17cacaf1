/* Certifying the txn checker's findings (txn_internal.h): every reported anomaly is
 * re-checked against the history's own JSON with rules written plainly and separately —
 * no code or data shared with the analyses — as checkers/linearizable/verify.c does for
 * linearizability. A cycle must close, each step must hold by its relation (a process
 * order, a real-time order, or the micro-ops that make a ww, wr or rw dependency), and its
 * relations must make the type claimed; a non-cycle anomaly's witness ops must show it. */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "txn_internal.h"

typedef struct cert {
    const fl_history *h;
    fl_txn_workload w;
    const fl_txn_options *o;
    json_t *errors;
    json_t *unchecked;
    json_t *by_index;   /* invocation index (text) -> position in h->ops */
    json_t *longest;    /* key text -> its longest read (list-append) */
    json_t *owned;      /* values made here, kept while the views use them */
} cert;

/* Micro-op fields, keywords (":r") and plain names alike. */
static const char *mop_f(const json_t *m) {
    const char *f = json_string_value(json_array_get(m, 0));
    return f ? (f[0] == ':' ? f + 1 : f) : "";
}

/* Keys are compared as the checker reports them: by JSON value (1, "x" and ":x" differ). */
static bool key_is(const json_t *k, const json_t *want) { return k && want && json_equal(k, want); }

typedef struct op_view {
    int64_t inv, done;  /* positions; done -1 when it never completed */
    int type;           /* FL_OK, FL_INFO, FL_FAIL */
    int64_t process;
    const json_t *mops;
} op_view;

/* What a txn's micro-ops say: its completion's, or its invocation's with every read
 * value unknown (null) — an invocation does not know what it will read. */
static const json_t *told_value(cert *c, const fl_op *in, const fl_op *done) {
    if (done && json_is_array(done->value)) return done->value;
    if (!json_is_array(in->value)) return in->value;
    json_t *copy = json_deep_copy(in->value);
    size_t i;
    json_t *m;
    json_array_foreach(copy, i, m)
        if (!strcmp(mop_f(m), "r")) json_array_set_new(m, 2, json_null());
    json_array_append_new(c->owned, copy);
    return copy;
}

static bool view_of(cert *c, const json_t *op, op_view *v) {
    char key[32];
    snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(op, "index")));
    const json_t *at = json_object_get(c->by_index, key);
    if (!at) return false;
    const fl_op *in = &c->h->ops[json_integer_value(at)];
    const fl_op *done = in->pair != FL_NO_PAIR ? &c->h->ops[in->pair] : NULL;
    *v = (op_view){json_integer_value(at), done ? in->pair : -1, done ? done->type : FL_INFO,
                   in->process, told_value(c, in, done)};
    return json_is_array(v->mops);
}

static void fail(cert *c, const char *type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(cert *c, const char *type, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(c->errors, json_pack("{s:s,s:s}", "type", type, "problem", msg));
}

static bool appends(const op_view *t, const json_t *k, int64_t x) {
    size_t i;
    const json_t *m;
    json_array_foreach(t->mops, i, m)
        if ((!strcmp(mop_f(m), "append") || !strcmp(mop_f(m), "w")) && key_is(json_array_get(m, 1), k) &&
            json_integer_value(json_array_get(m, 2)) == x && json_is_integer(json_array_get(m, 2)))
            return true;
    return false;
}

/* k's order: the longest read of k anywhere in the history (committed or indeterminate),
 * each element once; NULL when nothing read k. */
static const json_t *longest_read(cert *c, const json_t *k) {
    char *text = json_dumps(k, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) return NULL;
    const json_t *cached = json_object_get(c->longest, text);
    if (cached) {
        free(text);
        return json_is_array(cached) ? cached : NULL;
    }
    const json_t *best = NULL;
    for (size_t p = 0; p < c->h->count; p++) {
        const fl_op *op = &c->h->ops[p];
        if (op->process == FL_PROCESS_NEMESIS || (op->type != FL_OK && op->type != FL_INFO) ||
            !json_is_array(op->value))
            continue;
        size_t i;
        const json_t *m;
        json_array_foreach(op->value, i, m) {
            const json_t *v = json_array_get(m, 2);
            if (!strcmp(mop_f(m), "r") && key_is(json_array_get(m, 1), k) && json_is_array(v) &&
                (!best || json_array_size(v) > json_array_size(best)))
                best = v;
        }
    }
    if (!best) {
        json_object_set_new(c->longest, text, json_null());
        free(text);
        return NULL;
    }
    /* The order: the longest read with any repeated element kept at its first place. */
    json_t *order = json_array(), *seen = json_object();
    size_t i;
    const json_t *e;
    json_array_foreach(best, i, e) {
        char text[32];
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(e));
        if (json_object_get(seen, text)) continue;
        json_object_set_new(seen, text, json_true());
        json_array_append(order, (json_t *)e);
    }
    json_decref(seen);
    json_object_set_new(c->longest, text, order);
    free(text);
    return order;
}

static bool read_contains(const json_t *list, int64_t x) {
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e) if (json_integer_value(e) == x) return true;
    return false;
}

/* list-append: is x (present) the element right before y in k's order? present false: y
 * comes first. An element no read shows comes after all that reads show. */
static bool list_follows(cert *c, const json_t *k, bool present, int64_t x, int64_t y) {
    const json_t *l = longest_read(c, k);
    size_t n = l ? json_array_size(l) : 0;
    for (size_t i = 0; i < n; i++)
        if (json_integer_value(json_array_get(l, i)) == y)
            return present ? i > 0 && json_integer_value(json_array_get(l, i - 1)) == x : i == 0;
    /* y never read: after the last element read */
    return present ? n > 0 && json_integer_value(json_array_get(l, n - 1)) == x : n == 0;
}

/* The last element of each read of k in t: calls back with (empty, last). */
static bool reads_last(const op_view *t, const json_t *k, bool empty, int64_t x) {
    size_t i;
    const json_t *m;
    json_array_foreach(t->mops, i, m) {
        if (strcmp(mop_f(m), "r") || !key_is(json_array_get(m, 1), k)) continue;
        const json_t *v = json_array_get(m, 2);
        size_t n = json_is_array(v) ? json_array_size(v) : 0;
        if (json_is_null(v) || (json_is_array(v) && n == 0)) {
            if (empty) return true;
        } else if (!empty && json_is_array(v) && json_integer_value(json_array_get(v, n - 1)) == x) {
            return true;
        } else if (!empty && json_is_integer(v) && json_integer_value(v) == x) {
            return true;
        }
    }
    return false;
}

/* rw-register: the value a txn finds k at (its first read before writing; else its
 * write) and leaves it at (its last write; else, committed, its read). */
static bool ends_of(const op_view *t, const json_t *k, bool first, bool *nil, int64_t *x) {
    bool wrote = false, read = false;
    bool r_nil = false;
    int64_t r_val = 0, w_val = 0;
    size_t i;
    const json_t *m;
    json_array_foreach(t->mops, i, m) {
        if (!key_is(json_array_get(m, 1), k)) continue;
        const json_t *v = json_array_get(m, 2);
        if (!strcmp(mop_f(m), "w")) {
            if (first) return *nil = false, *x = json_integer_value(v), true;
            wrote = true, w_val = json_integer_value(v);
            continue;
        }
        if (t->type != FL_OK && json_is_null(v)) continue; /* an unknown read */
        if (first) return *nil = json_is_null(v), *x = json_integer_value(v), true;
        if (!wrote && !read) read = true, r_nil = json_is_null(v), r_val = json_integer_value(v);
    }
    if (first) return false;
    if (wrote) return *nil = false, *x = w_val, true;
    if (read && t->type == FL_OK) return *nil = r_nil, *x = r_val, true;
    return false;
}

/* rw-register: does the history order version (nil | x) right before y on k, by a
 * source the checker was allowed to use? */
static bool version_before(cert *c, const json_t *k, bool nil, int64_t x, int64_t y) {
    if (nil) return true; /* the initial state precedes every version */
    size_t na = 0, nb = 0;
    int64_t a[64], b[64]; /* txns leaving k at x / finding it at y (positions) */
    for (size_t p = 0; p < c->h->count; p++) {
        const fl_op *op = &c->h->ops[p];
        if (op->process == FL_PROCESS_NEMESIS || op->type != FL_INVOKE) continue;
        op_view t;
        const fl_op *done = op->pair != FL_NO_PAIR ? &c->h->ops[op->pair] : NULL;
        t = (op_view){(int64_t)p, done ? op->pair : -1, done ? done->type : FL_INFO, op->process,
                      told_value(c, op, done)};
        if (t.type == FL_FAIL || !json_is_array(t.mops)) continue;
        bool n1, n2;
        int64_t x1, y1;
        /* writes-follow-reads: one committed txn read x, then wrote y */
        if (!c->o->no_wfr_keys && t.type == FL_OK && ends_of(&t, k, true, &n1, &x1) && !n1 &&
            x1 == x && ends_of(&t, k, false, &n2, &y1) && !n2 && y1 == y && appends(&t, k, y))
            return true;
        if (ends_of(&t, k, false, &n1, &x1) && !n1 && x1 == x && na < 64) a[na++] = (int64_t)p;
        if (ends_of(&t, k, true, &n2, &y1) && !n2 && y1 == y && nb < 64) b[nb++] = (int64_t)p;
    }
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            const fl_op *t1 = &c->h->ops[a[i]], *t2 = &c->h->ops[b[j]];
            if (a[i] == b[j]) continue;
            if (c->o->sequential_keys && t1->process == t2->process && a[i] < b[j]) return true;
            if (c->o->linearizable_keys && t1->pair != FL_NO_PAIR && c->h->ops[t1->pair].type == FL_OK &&
                t1->pair < b[j])
                return true;
        }
    return false;
}

static int64_t int_at(const json_t *m) { return json_integer_value(json_array_get(m, 2)); }

/* Does a -rel-> b hold on key k? */
static bool step_holds(cert *c, const op_view *a, const op_view *b, const char *rel, const json_t *k) {
    if (!strcmp(rel, "process"))
        return a->process == b->process && a->type == FL_OK && a->inv < b->inv;
    if (!strcmp(rel, "realtime")) return a->type == FL_OK && a->done >= 0 && a->done < b->inv;
    if (!k) return false;
    size_t i, j;
    const json_t *m, *n;
    bool list = c->w == FL_TXN_LIST_APPEND;
    const char *write = list ? "append" : "w";
    if (!strcmp(rel, "wr")) {
        json_array_foreach(a->mops, i, m)
            if (!strcmp(mop_f(m), write) && key_is(json_array_get(m, 1), k) && reads_last(b, k, false, int_at(m)))
                return true;
        return false;
    }
    if (!strcmp(rel, "ww")) {
        json_array_foreach(a->mops, i, m) {
            if (strcmp(mop_f(m), write) || !key_is(json_array_get(m, 1), k)) continue;
            json_array_foreach(b->mops, j, n) {
                if (strcmp(mop_f(n), write) || !key_is(json_array_get(n, 1), k)) continue;
                if (list ? list_follows(c, k, true, int_at(m), int_at(n))
                         : version_before(c, k, false, int_at(m), int_at(n)))
                    return true;
            }
        }
        return false;
    }
    if (strcmp(rel, "rw")) return false;
    json_array_foreach(b->mops, j, n) {
        if (strcmp(mop_f(n), write) || !key_is(json_array_get(n, 1), k)) continue;
        json_array_foreach(a->mops, i, m) {
            if (strcmp(mop_f(m), "r") || !key_is(json_array_get(m, 1), k)) continue;
            const json_t *v = json_array_get(m, 2);
            if (json_is_null(v) && a->type != FL_OK) continue; /* an unknown read */
            bool empty = json_is_null(v) || (json_is_array(v) && !json_array_size(v));
            int64_t last = empty ? 0 : json_is_array(v) ? json_integer_value(json_array_get(v, json_array_size(v) - 1))
                                                        : json_integer_value(v);
            if (list ? list_follows(c, k, !empty, last, int_at(n))
                     : version_before(c, k, empty, last, int_at(n)))
                return true;
        }
    }
    return false;
}

/* The type a cycle's relations make, counted afresh. */
static const char *cycle_type(const json_t *steps, char *buf, size_t cap) {
    size_t n = json_array_size(steps), rw = 0, wr = 0, data = 0;
    bool proc = false, rt = false, adjacent = false;
    for (size_t i = 0; i < n; i++) {
        const char *r = json_string_value(json_object_get(json_array_get(steps, i), "rel"));
        const char *next = json_string_value(json_object_get(json_array_get(steps, (i + 1) % n), "rel"));
        if (!r || !next) return NULL;
        rw += !strcmp(r, "rw"), wr += !strcmp(r, "wr");
        data += !strcmp(r, "rw") || !strcmp(r, "wr") || !strcmp(r, "ww");
        proc |= !strcmp(r, "process"), rt |= !strcmp(r, "realtime");
        adjacent |= !strcmp(r, "rw") && !strcmp(next, "rw");
    }
    if (!data) return NULL;
    const char *base = rw == 0 ? (wr ? "G1c" : "G0") : rw == 1 ? "G-single-item"
                       : adjacent ? "G2-item" : "G-nonadjacent-item";
    snprintf(buf, cap, "%s%s", base, rt ? "-realtime" : proc ? "-process" : "");
    return buf;
}

static void certify_cycle(cert *c, const char *type, const json_t *inst) {
    const json_t *steps = json_object_get(inst, "steps");
    size_t n = json_array_size(steps);
    char buf[64];
    const char *claimed = cycle_type(steps, buf, sizeof buf);
    if (n < 2 || !claimed || strcmp(claimed, type)) {
        fail(c, type, "its relations make %s, not %s", claimed ? claimed : "no cycle", type);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(steps, i), *t = json_array_get(steps, (i + 1) % n);
        op_view a, b;
        const char *rel = json_string_value(json_object_get(s, "rel"));
        const json_t *k = json_object_get(s, "key");
        if (json_is_null(k)) k = NULL; /* process and realtime steps name no key */
        if (!view_of(c, json_object_get(s, "op"), &a) || !view_of(c, json_object_get(t, "op"), &b)) {
            fail(c, type, "step %zu names an op that is not in the history", i);
            return;
        }
        if (a.type == FL_FAIL || b.type == FL_FAIL) {
            fail(c, type, "step %zu involves a failed transaction", i);
            return;
        }
        if (!step_holds(c, &a, &b, rel ? rel : "", k)) {
            char *kt = k ? json_dumps(k, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
            fail(c, type, "step %zu: %s does not hold%s%s", i, rel ? rel : "?", kt ? " on key " : "",
                 kt ? kt : "");
            free(kt);
            return;
        }
    }
}

/* Does t read k with a value holding x (list: an element; rw: the value)? last: only as
 * the list's last element. */
static bool reads_value(const op_view *t, const json_t *k, int64_t x, bool last) {
    size_t i;
    const json_t *m;
    json_array_foreach(t->mops, i, m) {
        if (strcmp(mop_f(m), "r") || !key_is(json_array_get(m, 1), k)) continue;
        const json_t *v = json_array_get(m, 2);
        if (json_is_integer(v) && json_integer_value(v) == x) return true;
        if (json_is_array(v) && json_array_size(v) &&
            (last ? json_integer_value(json_array_get(v, json_array_size(v) - 1)) == x : read_contains(v, x)))
            return true;
    }
    return false;
}

/* t wrote (k, x) and wrote k again later in the same txn. */
static bool overwrote(const op_view *t, const json_t *k, int64_t x) {
    bool after = false;
    size_t i;
    const json_t *m;
    json_array_foreach(t->mops, i, m) {
        bool w = !strcmp(mop_f(m), "append") || !strcmp(mop_f(m), "w");
        if (!w || !key_is(json_array_get(m, 1), k)) continue;
        if (after) return true;
        after = int_at(m) == x;
    }
    return false;
}

static bool written_anywhere(cert *c, const json_t *k, int64_t x) {
    for (size_t p = 0; p < c->h->count; p++) {
        const fl_op *op = &c->h->ops[p];
        if (op->process == FL_PROCESS_NEMESIS || op->type != FL_INVOKE) continue;
        op_view t = {.mops = op->value};
        if (json_is_array(op->value) && appends(&t, k, x)) return true;
    }
    return false;
}

/* A read of k in t that disagrees with t's own earlier reads and writes of k. */
static bool internally_inconsistent(const op_view *t, const json_t *k) {
    json_t *known = NULL;   /* list: what the list must end with (or be, if whole) */
    bool whole = false;
    bool has_value = false, nil = false;
    int64_t value = 0;      /* rw */
    bool bad = false;
    size_t i;
    const json_t *m;
    json_array_foreach(t->mops, i, m) {
        if (!key_is(json_array_get(m, 1), k) || bad) continue;
        const char *f = mop_f(m);
        const json_t *v = json_array_get(m, 2);
        if (!strcmp(f, "w")) { has_value = true, nil = false, value = int_at(m); continue; }
        if (!strcmp(f, "append")) {
            if (!known) known = json_array(), whole = false;
            json_array_append_new(known, json_integer(int_at(m)));
            continue;
        }
        if (t->type != FL_OK && json_is_null(v)) continue;
        if (json_is_integer(v) || (json_is_null(v) && !known && has_value)) {
            if (has_value && (nil != json_is_null(v) || (!nil && value != json_integer_value(v)))) bad = true;
            if (!has_value) has_value = true, nil = json_is_null(v), value = json_integer_value(v);
            continue;
        }
        /* a list read (null: empty) */
        size_t n = json_is_array(v) ? json_array_size(v) : 0, kn = known ? json_array_size(known) : 0;
        if (known) {
            if (whole ? n != kn : n < kn) bad = true;
            for (size_t q = 0; q < kn && !bad; q++)
                if (json_integer_value(json_array_get(v, n - kn + q)) != json_integer_value(json_array_get(known, q)))
                    bad = true;
        }
        if (!known && has_value) bad |= !nil; /* rw: read nil after reading a value */
        json_decref(known);
        known = json_array();
        for (size_t q = 0; q < n; q++) json_array_append(known, json_array_get(v, q));
        whole = true;
        if (json_is_null(v)) has_value = true, nil = true;
    }
    json_decref(known);
    return bad;
}

static bool prefix_either(const json_t *a, const json_t *b) {
    if (json_array_size(a) > json_array_size(b)) { const json_t *t = a; a = b; b = t; }
    for (size_t i = 0; i < json_array_size(a); i++)
        if (json_integer_value(json_array_get(a, i)) != json_integer_value(json_array_get(b, i))) return false;
    return true;
}

static bool incompatible_reads(const op_view *a, const op_view *b, const json_t *k) {
    size_t i, j;
    const json_t *m, *n;
    json_array_foreach(a->mops, i, m) {
        if (strcmp(mop_f(m), "r") || !key_is(json_array_get(m, 1), k) || !json_is_array(json_array_get(m, 2))) continue;
        json_array_foreach(b->mops, j, n)
            if (!strcmp(mop_f(n), "r") && key_is(json_array_get(n, 1), k) && json_is_array(json_array_get(n, 2)) &&
                !prefix_either(json_array_get(m, 2), json_array_get(n, 2)))
                return true;
    }
    return false;
}

static bool has_duplicate(const op_view *t, const json_t *k, int64_t x) {
    size_t i;
    const json_t *m;
    json_array_foreach(t->mops, i, m) {
        const json_t *v = json_array_get(m, 2);
        if (strcmp(mop_f(m), "r") || !key_is(json_array_get(m, 1), k) || !json_is_array(v)) continue;
        size_t count = 0, q;
        const json_t *e;
        json_array_foreach(v, q, e) count += json_integer_value(e) == x;
        if (count >= 2) return true;
    }
    return false;
}

/* t reads x (an element it holds) before appending x itself. */
static bool future_read(const op_view *t, const json_t *k, int64_t x) {
    bool seen = false;
    size_t i;
    const json_t *m;
    json_array_foreach(t->mops, i, m) {
        if (!key_is(json_array_get(m, 1), k)) continue;
        if (!strcmp(mop_f(m), "r") && json_is_array(json_array_get(m, 2)) && read_contains(json_array_get(m, 2), x))
            seen = true;
        if (!strcmp(mop_f(m), "append") && int_at(m) == x) return seen;
    }
    return false;
}

/* t's first micro-op on k is a read (its value into *v), and t writes k after it. */
static bool read_then_write(const op_view *t, const json_t *k, const json_t **v) {
    bool read = false;
    size_t i;
    const json_t *m;
    json_array_foreach(t->mops, i, m) {
        if (!key_is(json_array_get(m, 1), k)) continue;
        bool w = !strcmp(mop_f(m), "append") || !strcmp(mop_f(m), "w");
        if (!read && w) return false;
        if (!read) { read = true, *v = json_array_get(m, 2); continue; }
        if (w) return true;
    }
    return false;
}

static void certify_other(cert *c, const char *type, const json_t *inst) {
    const json_t *k = json_object_get(inst, "key");
    const json_t *ops = json_object_get(inst, "ops");
    op_view a = {0}, b = {0};
    bool have_a = view_of(c, json_array_get(ops, 0), &a);
    bool have_b = json_array_size(ops) > 1 && view_of(c, json_array_get(ops, 1), &b);
    const json_t *ej = json_object_get(inst, "element");
    if (!ej) ej = json_object_get(inst, "value");
    int64_t x = json_integer_value(ej);
    bool ok;
    static const char *const checkable[] = {"G1a", "G1b", "garbage-read", "internal", "future-read",
                                            "duplicate-elements", "incompatible-order",
                                            "dirty-update", "lost-update", NULL};
    bool known = false;
    for (size_t i = 0; checkable[i]; i++) known |= !strcmp(checkable[i], type);
    if (!known) { /* cyclic-versions: a version graph, not a witness to replay */
        fl_json_note_string(c->unchecked, type);
        return;
    }
    if (!k || !have_a) {
        fail(c, type, "its witness names no key or an op not in the history");
        return;
    }
    if (!strcmp(type, "G1a")) ok = have_b && a.type == FL_OK && b.type == FL_FAIL && reads_value(&a, k, x, false) && appends(&b, k, x);
    else if (!strcmp(type, "G1b")) ok = have_b && a.type == FL_OK && b.type != FL_FAIL && reads_value(&a, k, x, true) && overwrote(&b, k, x);
    else if (!strcmp(type, "garbage-read")) ok = reads_value(&a, k, x, false) && !written_anywhere(c, k, x);
    else if (!strcmp(type, "internal")) ok = internally_inconsistent(&a, k);
    else if (!strcmp(type, "future-read")) ok = future_read(&a, k, x);
    else if (!strcmp(type, "duplicate-elements")) ok = has_duplicate(&a, k, x);
    else if (!strcmp(type, "incompatible-order")) ok = incompatible_reads(&a, have_b ? &b : &a, k); /* one op: its own two reads */
    else if (!strcmp(type, "dirty-update")) {
        ok = false;
        const json_t *l = longest_read(c, k);
        size_t i, j;
        const json_t *m, *n;
        if (have_b && a.type == FL_FAIL && b.type == FL_OK && l)
            json_array_foreach(a.mops, i, m) json_array_foreach(b.mops, j, n) {
                if (strcmp(mop_f(m), "append") || strcmp(mop_f(n), "append") ||
                    !key_is(json_array_get(m, 1), k) || !key_is(json_array_get(n, 1), k)) continue;
                size_t pm = SIZE_MAX, pn = SIZE_MAX, q;
                const json_t *e;
                json_array_foreach(l, q, e) {
                    if (json_integer_value(e) == int_at(m) && pm == SIZE_MAX) pm = q;
                    if (json_integer_value(e) == int_at(n) && pn == SIZE_MAX) pn = q;
                }
                ok |= pm < pn && pn != SIZE_MAX;
            }
    } else if (!strcmp(type, "lost-update")) {
        ok = json_array_size(ops) >= 2;
        const json_t *first = NULL;
        size_t i;
        const json_t *op;
        json_array_foreach(ops, i, op) {
            op_view t;
            const json_t *v = NULL;
            if (!view_of(c, op, &t) || t.type != FL_OK || !read_then_write(&t, k, &v)) { ok = false; break; }
            if (!first) first = v;
            else if (!json_equal(first, v) && !(json_is_null(first) && json_is_array(v) && !json_array_size(v)) &&
                     !(json_is_null(v) && json_is_array(first) && !json_array_size(first))) { ok = false; break; }
        }
    } else {
        fl_json_note_string(c->unchecked, type);
        return;
    }
    if (!ok) {
        char *kt = json_dumps(k, JSON_ENCODE_ANY | JSON_COMPACT);
        fail(c, type, "its witness ops do not show it on key %s", kt ? kt : "?");
        free(kt);
    }
}

void txn_certify(const fl_history *h, fl_txn_workload w, const fl_txn_options *o, json_t *result) {
    assert(h && o && json_is_object(result));
    cert c = {.h = h, .w = w, .o = o, .errors = json_array(), .unchecked = json_array(),
              .by_index = json_object(), .longest = json_object(), .owned = json_array()};
    for (size_t p = 0; p < h->count; p++) {
        if (h->ops[p].type != FL_INVOKE || h->ops[p].process == FL_PROCESS_NEMESIS) continue;
        char key[32];
        snprintf(key, sizeof key, "%" PRId64, h->ops[p].index);
        json_object_set_new(c.by_index, key, json_integer((json_int_t)p));
    }
    const char *type;
    json_t *list;
    size_t checked = 0;
    json_object_foreach(json_object_get(result, "anomalies"), type, list) {
        size_t i;
        json_t *inst;
        json_array_foreach(list, i, inst) {
            checked++;
            if (json_object_get(inst, "steps")) certify_cycle(&c, type, inst);
            else certify_other(&c, type, inst);
        }
    }
    json_object_set_new(result, "certified", json_boolean(json_array_size(c.errors) == 0));
    json_object_set_new(result, "certified-anomalies", json_integer((json_int_t)checked));
    if (json_array_size(c.errors)) json_object_set(result, "certify-errors", c.errors);
    if (json_array_size(c.unchecked)) json_object_set(result, "not-certifiable", c.unchecked);
    json_decref(c.errors), json_decref(c.unchecked), json_decref(c.by_index), json_decref(c.longest);
    json_decref(c.owned);
}
