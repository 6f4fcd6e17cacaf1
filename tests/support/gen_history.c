/* Generated linearizable histories (see gen_history.h).
 *
 * Method: a loop of random events. An idle process may invoke an op (written to the
 * history); an invoked op may take effect (applied to the sequential model, its
 * result remembered); an op that took effect may complete (ok with the result, or
 * info), or never complete (its worker died; a new process takes over). An op chosen
 * to vanish ends info or stays open without ever taking effect; an op chosen to fail
 * completes as fail without taking effect. So the order in which
 * ops took effect is a linearization, and the history is valid by construction. */
#include "gen_history.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { IDLE, INVOKED, APPLIED } proc_phase;

typedef struct proc {
    int64_t id;
    proc_phase phase;
    size_t invoke_pos;
    int fate;          /* 0 ok, 1 info after effect, 2 info without effect, 3 fail,
                          4 never completes after effect, 5 never completes, no effect */
    bool slow;         /* this op moves on rarely: latencies spread out */
    json_t *result;    /* what the op returns when it completes ok */
} proc;

typedef struct gen {
    const fl_gen_options *o;
    fl_history *h;
    fl_rng rng;
    json_t **state;    /* per key */
    int64_t time_ns;
    int64_t next_element;
} gen;

static const char *pick_f(gen *g) {
    const char *m = g->o->model;
    uint64_t r = fl_rng_below(&g->rng, 100);
    if (!strcmp(m, "register")) return r < 50 ? "read" : "write";
    if (!strcmp(m, "cas-register")) return r < 40 ? "read" : r < 70 ? "write" : "cas";
    if (!strcmp(m, "kv")) return r < 40 ? "read" : r < 60 ? "write" : r < 70 ? "cas" : "append";
    if (!strcmp(m, "list-append")) return r < 50 ? "read" : "append";
    if (!strcmp(m, "set")) return r < 40 ? "read" : "add";
    return r < 40 ? "read" : "add"; /* counter */
}

static json_t *pick_value(gen *g, const char *f) {
    const char *m = g->o->model;
    int range = g->o->value_range > 0 ? g->o->value_range : 5;
    if (!strcmp(f, "read")) return json_null();
    if (!strcmp(m, "kv") && strcmp(f, "append")) { /* writes and cas: a few strings */
        char a[16], b[16];
        snprintf(a, sizeof a, "s%d", (int)fl_rng_below(&g->rng, (uint64_t)range));
        snprintf(b, sizeof b, "s%d", (int)fl_rng_below(&g->rng, (uint64_t)range));
        return !strcmp(f, "cas") ? json_pack("[ss]", a, b) : json_string(a);
    }
    if (!strcmp(f, "cas"))
        return json_pack("[ii]", (int)fl_rng_below(&g->rng, (uint64_t)range),
                         (int)fl_rng_below(&g->rng, (uint64_t)range));
    if (!strcmp(m, "kv")) { /* append: unique, so reads reveal the order */
        char s[32];
        snprintf(s, sizeof s, "x%lld ", (long long)g->next_element++);
        return json_string(s);
    }
    if (!strcmp(m, "list-append") || !strcmp(m, "set")) return json_integer(g->next_element++);
    if (!strcmp(m, "counter")) return json_integer((json_int_t)fl_rng_below(&g->rng, 5) + 1);
    return json_integer((json_int_t)fl_rng_below(&g->rng, (uint64_t)range));
}

static fl_op *emit(gen *g, int64_t process, int type, const char *f, int32_t key, json_t *value) {
    fl_op *op = fl_history_append(g->h);
    g->time_ns += 1 + (int64_t)fl_rng_below(&g->rng, 1000);
    op->time_ns = g->time_ns;
    op->flags |= FL_OP_HAS_TIME;
    op->process = process;
    op->type = (uint8_t)type;
    op->f = fl_strpool_intern(g->h->pool, f, strlen(f));
    op->key = key;
    op->value = value;
    return op;
}

/* Apply an op to its key's state: the result an ok completion reports, or NULL when
 * the op is refused (a cas whose old value does not match ends fail). */
static json_t *apply(gen *g, const fl_op *inv) {
    json_t **s = &g->state[inv->key];
    const char *f = inv->f, *m = g->o->model;
    if (!strcmp(f, "read")) return json_deep_copy(*s); /* the state changes later */
    if (!strcmp(f, "cas")) {
        if (!json_equal(*s, json_array_get(inv->value, 0))) return NULL;
        json_decref(*s);
        *s = json_incref(json_array_get(inv->value, 1));
    } else if (!strcmp(f, "write")) {
        json_decref(*s);
        *s = json_incref(inv->value);
    } else if (!strcmp(m, "kv")) { /* string append */
        char *joined = NULL;
        if (asprintf(&joined, "%s%s", json_is_string(*s) ? json_string_value(*s) : "",
                     json_string_value(inv->value)) < 0)
            return NULL;
        json_decref(*s);
        *s = json_string(joined);
        free(joined);
    } else if (!strcmp(m, "counter")) {
        json_int_t n = json_integer_value(*s) + json_integer_value(inv->value);
        json_decref(*s);
        *s = json_integer(n);
    } else if (!strcmp(m, "set") && json_is_array(*s)) {
        json_array_append(*s, inv->value);
    } else { /* list-append */
        json_array_append(*s, inv->value);
    }
    return json_incref(inv->value);
}

static json_t *initial_state(const char *model) {
    if (!strcmp(model, "counter")) return json_integer(0);
    if (!strcmp(model, "list-append") || !strcmp(model, "set")) return json_array();
    return json_null();
}

static void invoke(gen *g, proc *p) {
    int32_t key = (int32_t)fl_rng_below(&g->rng, g->o->keys ? g->o->keys : 1);
    const char *f = pick_f(g);
    fl_op *op = emit(g, p->id, FL_INVOKE, f, key, pick_value(g, f));
    p->invoke_pos = g->h->count - 1;
    p->phase = INVOKED;
    p->fate = 0;
    p->slow = fl_rng_below(&g->rng, 10) == 0;
    double r = fl_rng_unit(&g->rng);
    if (r < g->o->info_rate * 0.8) p->fate = fl_rng_below(&g->rng, 2) ? 1 : 2;
    else if (r < g->o->info_rate) p->fate = fl_rng_below(&g->rng, 2) ? 4 : 5;
    else if (strcmp(op->f, "read") && fl_rng_unit(&g->rng) < g->o->fail_rate) p->fate = 3;
}

static void complete(gen *g, proc *p) {
    const fl_op *inv = &g->h->ops[p->invoke_pos];
    if (p->fate >= 4) { /* the worker died: its invocation stays open, a new one starts */
        json_decref(p->result);
        p->result = NULL;
        p->phase = IDLE;
        p->id += (int64_t)g->o->concurrency;
        return;
    }
    int type = p->fate == 0 ? FL_OK : p->fate == 3 ? FL_FAIL : FL_INFO;
    bool read_ok = type == FL_OK && !strcmp(inv->f, "read");
    emit(g, p->id, type, inv->f, inv->key, json_incref(read_ok ? p->result : inv->value));
    json_decref(p->result);
    p->result = NULL;
    p->phase = IDLE;
    if (type == FL_INFO) p->id += (int64_t)g->o->concurrency; /* a crashed process */
}

/* Move one process one event forward. */
static void advance(gen *g, proc *p, size_t *remaining, size_t *active) {
    if (p->phase == IDLE) {
        invoke(g, p);
        (*remaining)--;
        (*active)++;
    } else if (p->phase == INVOKED && (p->fate == 2 || p->fate == 3 || p->fate == 5)) {
        complete(g, p); /* it never took effect */
        (*active)--;
    } else if (p->phase == INVOKED) {
        p->result = apply(g, &g->h->ops[p->invoke_pos]);
        if (!p->result && p->fate < 4) p->fate = 3; /* a cas that did not match: refused */
        p->phase = APPLIED;
    } else {
        complete(g, p);
        (*active)--;
    }
}

fl_history *fl_gen_history(const fl_gen_options *o) {
    size_t concurrency = o->concurrency ? o->concurrency : 1, keys = o->keys ? o->keys : 1;
    gen g = {.o = o, .h = fl_history_new("generated"), .rng = {o->seed}};
    proc *procs = calloc(concurrency, sizeof *procs);
    g.state = calloc(keys, sizeof *g.state);
    if (!g.h || !procs || !g.state) goto fail;
    for (size_t k = 0; k < keys; k++) {
        json_t *name = json_integer((json_int_t)k);
        fl_history_intern_key(g.h, name);
        json_decref(name);
        g.state[k] = initial_state(o->model);
    }
    for (size_t i = 0; i < concurrency; i++) procs[i].id = (int64_t)i;
    size_t remaining = o->ops, active = 0;
    while (remaining > 0 || active > 0) {
        proc *p = &procs[fl_rng_below(&g.rng, concurrency)];
        if (p->phase == IDLE && remaining == 0) continue;
        if (p->slow && p->phase != IDLE && fl_rng_below(&g.rng, 8) != 0) continue;
        advance(&g, p, &remaining, &active);
    }
    fl_error err;
    if (fl_history_pair(g.h, &err) != FL_READ_OK) goto fail;
    for (size_t k = 0; k < keys; k++) json_decref(g.state[k]);
    free(g.state);
    free(procs);
    return g.h;
fail:
    if (g.state)
        for (size_t k = 0; k < keys; k++) json_decref(g.state[k]);
    free(g.state);
    free(procs);
    fl_history_free(g.h);
    return NULL;
}
