/* Property test of the linearizability checker against a brute force.
 *
 * Histories come from fl_gen_history (linearizable by construction: concurrent
 * processes, each op taking effect between its invocation and completion, spread
 * latencies, info ops of which half took effect, fail ops that did not) and some are
 * mutated (a read's value changed, completions reordered, outcomes changed, written
 * values changed). For every history of at most BF_MAX_OPS invocations the checker's
 * verdict must equal a brute-force search over all orders of the ops, written here on
 * its own with its own step functions; every verdict must be decided (never
 * "unknown") and certified. Larger generated histories (1% info, too big for the
 * brute force) must be valid and certified; a mutant of each must get a decided
 * verdict. A few hand-written histories with known verdicts keep the brute force
 * honest on its own.
 *
 * FL_PROPERTY_SCALE (default 1) scales the number of histories. The counts of valid
 * and invalid histories per model (and per mutation kind) are printed to stderr at the
 * end; "secs" includes the large histories. A disagreement is minimised and printed
 * as JSON Lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "check.h"
#include "gen_history.h"
#include "history.h"
#include "history_testing.h"
#include "model.h"

/* ------------------------------------------------------------------------------------ */
/* Scale, models, statistics                                                            */

#define BF_MAX_OPS 12  /* histories (per key) up to this many invocations are brute-forced */

static double scale(void) {
    const char *s = getenv("FL_PROPERTY_SCALE");
    double v = s && *s ? atof(s) : 1.0;
    return v > 0 ? v : 1.0;
}

static size_t scaled(size_t n) {
    double v = (double)n * scale();
    return v < 1 ? 1 : (size_t)(v + 0.5);
}

enum { M_REGISTER, M_CAS_REGISTER, M_KV, M_LIST_APPEND, M_SET, M_COUNTER, M_COUNT };
static const char *const model_names[M_COUNT] = {"register", "cas-register", "kv",
                                                 "list-append", "set", "counter"};

typedef struct stats {
    size_t generated;        /* unmutated small histories, brute-forced */
    size_t mutated;          /* mutated small histories, brute-forced */
    size_t valid, invalid;   /* verdicts over generated + mutated small histories */
    size_t large;            /* larger generated histories (checker only) */
    size_t large_ops;
    size_t large_invalid;    /* larger mutated histories the checker found invalid */
    size_t with_info;        /* small histories with at least one info or open op */
    size_t disagreements;
    unsigned long long bf_steps, bf_steps_max;
    double seconds;
} stats;

static stats g_stats[M_COUNT];

/* Per mutation kind: small histories it was applied to, and how many were invalid. */
static size_t g_mut_applied[8], g_mut_invalid[8];
static const char *const mut_names[] = {"read value", "swap completions", "swap events",
                                        "outcome", "argument"};

/* ------------------------------------------------------------------------------------ */
/* The brute force: its own values, step functions and search                          */

enum { BV_NIL, BV_INT, BV_STR, BV_OTHER, BV_SEQ };
#define BF_STR 256
#define BF_ITEMS 48

/* A value or a model state: nil, an integer, a string (kv), any other JSON value (by
 * its canonical text), or a sequence of integers (list, or a sorted set). */
typedef struct bf_val {
    int kind;
    long long n;
    size_t len; /* bytes of s, or items */
    char s[BF_STR];
    long long items[BF_ITEMS];
} bf_val;

enum { BF_READ, BF_WRITE, BF_CAS, BF_APPEND, BF_ADD };

typedef struct bf_op {
    int code;
    bool required;  /* completed ok: must be in the order */
    size_t inv;     /* positions in the history */
    size_t ret;     /* SIZE_MAX: never returned (info, or still open) */
    bf_val a;       /* read: the value read; write/append/add: the argument; cas: old */
    bf_val b;       /* cas: new */
} bf_op;

typedef bool (*bf_step_fn)(const bf_val *s, const bf_op *op, bf_val *next);

static bool bf_equal(const bf_val *x, const bf_val *y) {
    if (x->kind != y->kind) return false;
    switch (x->kind) {
    case BV_NIL: return true;
    case BV_INT: return x->n == y->n;
    case BV_STR:
    case BV_OTHER: return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
    default:
        return x->len == y->len && memcmp(x->items, y->items, x->len * sizeof *x->items) == 0;
    }
}

static bool step_register(const bf_val *s, const bf_op *op, bf_val *next) {
    if (op->code == BF_READ) {
        *next = *s;
        return bf_equal(s, &op->a);
    }
    if (op->code == BF_WRITE) {
        *next = op->a;
        return true;
    }
    return false;
}

static bool step_cas_register(const bf_val *s, const bf_op *op, bf_val *next) {
    if (op->code != BF_CAS) return step_register(s, op, next);
    if (!bf_equal(s, &op->a)) return false;
    *next = op->b;
    return true;
}

static bool bf_overflow;

static bool step_kv(const bf_val *s, const bf_op *op, bf_val *next) {
    if (op->code != BF_APPEND) return step_cas_register(s, op, next);
    if (s->kind == BV_NIL) { /* nil + "a" = "a" */
        *next = op->a;
        return true;
    }
    if (s->kind != BV_STR) return false;
    if (s->len + op->a.len >= BF_STR) {
        bf_overflow = true;
        return false;
    }
    *next = *s;
    memcpy(next->s + s->len, op->a.s, op->a.len);
    next->len = s->len + op->a.len;
    return true;
}

static bool step_list(const bf_val *s, const bf_op *op, bf_val *next) {
    *next = *s;
    if (op->code == BF_READ) return bf_equal(s, &op->a);
    if (s->len >= BF_ITEMS) {
        bf_overflow = true;
        return false;
    }
    next->items[next->len++] = op->a.n;
    return true;
}

static bool step_set(const bf_val *s, const bf_op *op, bf_val *next) {
    *next = *s;
    if (op->code == BF_READ) return bf_equal(s, &op->a);
    size_t at = 0;
    while (at < s->len && s->items[at] < op->a.n) at++;
    if (at < s->len && s->items[at] == op->a.n) return true; /* already there */
    if (s->len >= BF_ITEMS) {
        bf_overflow = true;
        return false;
    }
    memmove(next->items + at + 1, s->items + at, (s->len - at) * sizeof *s->items);
    next->items[at] = op->a.n;
    next->len = s->len + 1;
    return true;
}

static bool step_counter(const bf_val *s, const bf_op *op, bf_val *next) {
    *next = *s;
    if (op->code == BF_READ) return s->n == op->a.n;
    next->n = s->n + op->a.n;
    return true;
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* A JSON value as a brute-force value for model m (false: a shape it cannot take). */
static bool bf_from_json(int m, const json_t *v, bf_val *out) {
    memset(out, 0, sizeof *out);
    if (m == M_COUNTER) {
        if (!json_is_integer(v)) return false;
        out->kind = BV_INT;
        out->n = (long long)json_integer_value(v);
        return true;
    }
    if (m == M_LIST_APPEND || m == M_SET) {
        out->kind = BV_SEQ;
        if (!v || json_is_null(v)) return true; /* nil reads as the empty collection */
        if (json_is_integer(v)) { /* an element to add */
            out->n = (long long)json_integer_value(v);
            return true;
        }
        if (!json_is_array(v) || json_array_size(v) > BF_ITEMS) return false;
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            if (!json_is_integer(e)) return false;
            out->items[out->len++] = (long long)json_integer_value(e);
        }
        if (m == M_SET && out->len > 1) {
            qsort(out->items, out->len, sizeof *out->items, cmp_ll);
            size_t kept = 1;
            for (size_t i = 1; i < out->len; i++)
                if (out->items[i] != out->items[kept - 1]) out->items[kept++] = out->items[i];
            out->len = kept;
        }
        return true;
    }
    if (!v || json_is_null(v)) {
        out->kind = BV_NIL;
    } else if (json_is_integer(v)) {
        out->kind = BV_INT;
        out->n = (long long)json_integer_value(v);
    } else if (json_is_string(v) && m == M_KV) {
        if (json_string_length(v) >= BF_STR) return false;
        out->kind = BV_STR;
        out->len = json_string_length(v);
        memcpy(out->s, json_string_value(v), out->len);
    } else {
        char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (!text || strlen(text) >= BF_STR) {
            free(text);
            return false;
        }
        out->kind = BV_OTHER;
        out->len = strlen(text);
        memcpy(out->s, text, out->len);
        free(text);
    }
    return true;
}

typedef struct bf_problem {
    bf_op ops[BF_MAX_OPS];
    uint32_t pred[BF_MAX_OPS]; /* ops that completed before this one was invoked */
    size_t count;
    size_t required;
    bf_step_fn step;
    unsigned long long steps;
} bf_problem;

/* Every order of the ops not yet done that respects real time, depth first. An op
 * never returned that is never placed is left out; the search succeeds once every
 * required op is placed. */
static bool bf_dfs(bf_problem *p, const bf_val *s, uint32_t done, size_t left) {
    if (left == 0) return true;
    for (size_t i = 0; i < p->count; i++) {
        uint32_t bit = 1u << i;
        if ((done & bit) || (p->pred[i] & ~done)) continue;
        bf_val next;
        p->steps++;
        if (!p->step(s, &p->ops[i], &next)) continue;
        if (bf_dfs(p, &next, done | bit, left - (p->ops[i].required ? 1 : 0))) return true;
    }
    return false;
}

/* 1 valid, 0 invalid, -1 too many ops to brute-force; fails the test on an op it
 * cannot read. */
static int brute_force(const fl_history *h, int m, int32_t key, unsigned long long *steps) {
    static bf_problem p;
    memset(&p, 0, sizeof p);
    static const bf_step_fn steps_of[M_COUNT] = {step_register, step_cas_register, step_kv,
                                                 step_list,     step_set,          step_counter};
    p.step = steps_of[m];
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *inv = &h->ops[i];
        if (inv->type != FL_INVOKE || inv->process == FL_PROCESS_NEMESIS) continue;
        const fl_op *done = inv->pair == FL_NO_PAIR ? NULL : &h->ops[inv->pair];
        int32_t k = inv->key != FL_NO_KEY ? inv->key : done ? done->key : FL_NO_KEY;
        if (k != key) continue;
        if (done && done->type == FL_FAIL) continue; /* certainly did not happen */
        bool ok = done && done->type == FL_OK;
        bool read = !strcmp(inv->f, "read");
        if (read && !ok) continue; /* an unknown read constrains nothing */
        if (p.count == BF_MAX_OPS) return -1;
        bf_op *op = &p.ops[p.count];
        op->required = ok;
        op->inv = i;
        op->ret = ok ? (size_t)inv->pair : SIZE_MAX;
        const json_t *arg = inv->value ? inv->value : done ? done->value : NULL;
        bool shaped;
        if (read) {
            op->code = BF_READ;
            shaped = (m != M_LIST_APPEND && m != M_SET) || !done->value ||
                     json_is_array(done->value) || json_is_null(done->value);
            shaped = shaped && bf_from_json(m, done->value, &op->a);
        } else if (!strcmp(inv->f, "write")) {
            op->code = BF_WRITE;
            shaped = m <= M_KV && bf_from_json(m, arg, &op->a);
        } else if (!strcmp(inv->f, "cas")) {
            op->code = BF_CAS;
            shaped = (m == M_CAS_REGISTER || m == M_KV) && json_is_array(arg) &&
                     json_array_size(arg) == 2 &&
                     bf_from_json(m, json_array_get(arg, 0), &op->a) &&
                     bf_from_json(m, json_array_get(arg, 1), &op->b);
        } else if (!strcmp(inv->f, "append") && m == M_KV) {
            op->code = BF_APPEND;
            shaped = json_is_string(arg) && bf_from_json(m, arg, &op->a);
        } else if ((!strcmp(inv->f, "append") && m == M_LIST_APPEND) ||
                   (!strcmp(inv->f, "add") && (m == M_SET || m == M_COUNTER))) {
            op->code = BF_ADD;
            shaped = json_is_integer(arg) && bf_from_json(m, arg, &op->a);
        } else {
            shaped = false;
        }
        if (!shaped) fail_msg("brute force: op %zu (f %s) does not fit %s", i, inv->f,
                              model_names[m]);
        p.count++;
        if (ok) p.required++;
    }
    for (size_t i = 0; i < p.count; i++)
        for (size_t j = 0; j < p.count; j++)
            if (j != i && p.ops[j].ret < p.ops[i].inv) p.pred[i] |= 1u << j;
    bf_val init;
    memset(&init, 0, sizeof init);
    init.kind = m == M_COUNTER ? BV_INT : (m == M_LIST_APPEND || m == M_SET) ? BV_SEQ : BV_NIL;
    bf_overflow = false;
    bool valid = bf_dfs(&p, &init, 0, p.required);
    if (bf_overflow) fail_msg("brute force: a value outgrew its buffer");
    if (steps) *steps = p.steps;
    return valid ? 1 : 0;
}

/* ------------------------------------------------------------------------------------ */
/* The checker                                                                          */

/* The checker's verdict (1, 0, -1 unknown); with certify, every decided key must be
 * certified. */
static int checker_verdict_opt(const fl_history *h, int m, double time_limit_s, bool certify) {
    fl_lin_options o = {.model = fl_model_find(model_names[m]), .certify = certify,
                        .all_keys = true, .threads = 1, .time_limit_s = time_limit_s};
    assert_non_null(o.model);
    fl_error err;
    memset(&err, 0, sizeof err);
    json_t *r = fl_check_linearizable(h, &o, &err);
    if (!r) {
        char msg[1024];
        fl_error_format(&err, msg, sizeof msg);
        fl_history_write(stderr, h, FL_FORMAT_JSONL);
        fail_msg("the checker refused a %s history: %s", model_names[m], msg);
    }
    int verdict = verdict_of(json_object_get(r, "valid"));
    const char *name;
    json_t *k;
    json_object_foreach(json_object_get(r, "keys"), name, k) {
        if (!certify) break;
        if (verdict_of(json_object_get(k, "valid")) < 0) continue;
        if (!json_is_true(json_object_get(k, "certified"))) {
            const json_t *why = json_object_get(k, "certificate_problem");
            fl_history_write(stderr, h, FL_FORMAT_JSONL);
            fail_msg("%s key %s: a decided verdict is not certified: %s", model_names[m],
                     name, why ? json_string_value(why) : "(no certified field)");
        }
    }
    if (certify && verdict >= 0 && !json_is_true(json_object_get(r, "certified")))
        fail_msg("%s: the result is not certified", model_names[m]);
    json_decref(r);
    return verdict;
}

static int checker_verdict(const fl_history *h, int m, double time_limit_s) {
    return checker_verdict_opt(h, m, time_limit_s, true);
}

/* ------------------------------------------------------------------------------------ */
/* History surgery                                                                      */

static size_t invocation_count(const fl_history *h) {
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++) n += h->ops[i].type == FL_INVOKE;
    return n;
}

static bool has_unknown_outcome(const fl_history *h) {
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->type == FL_INFO) return true;
        if (op->type == FL_INVOKE && op->pair == FL_NO_PAIR) return true;
    }
    return false;
}

static bool repair(fl_history *h) {
    fl_error err;
    return fl_history_pair(h, &err) == FL_READ_OK;
}

/* A copy of h without the invocation at skip and its completion (SIZE_MAX: skip none);
 * NULL when the copy does not pair. */
static fl_history *copy_without(const fl_history *h, size_t skip) {
    fl_history *c = fl_history_new("minimised");
    assert_non_null(c);
    for (size_t k = 0; k < h->key_count; k++) fl_history_intern_key(c, h->keys[k]);
    int64_t skip_pair = skip == SIZE_MAX ? -2 : h->ops[skip].pair;
    for (size_t i = 0; i < h->count; i++) {
        if (i == skip || (int64_t)i == skip_pair) continue;
        const fl_op *s = &h->ops[i];
        fl_op *d = fl_history_append(c);
        assert_non_null(d);
        d->time_ns = s->time_ns;
        d->flags = s->flags;
        d->process = s->process;
        d->type = s->type;
        d->key = s->key;
        d->f = fl_strpool_intern(c->pool, s->f, strlen(s->f));
        d->value = s->value ? json_deep_copy(s->value) : NULL;
    }
    if (!repair(c)) {
        fl_history_free(c);
        return NULL;
    }
    return c;
}

/* Swap the events at i and j, leaving each position its index and time. */
static void swap_events(fl_history *h, size_t i, size_t j) {
    fl_op t = h->ops[i];
    h->ops[i] = h->ops[j];
    h->ops[j] = t;
    int64_t index = h->ops[i].index, time = h->ops[i].time_ns;
    h->ops[i].index = h->ops[j].index;
    h->ops[i].time_ns = h->ops[j].time_ns;
    h->ops[j].index = index;
    h->ops[j].time_ns = time;
}

static void set_value(fl_op *op, json_t *v) { /* takes v */
    json_decref(op->value);
    op->value = v;
}

typedef struct mut_ctx {
    fl_history *h;
    int m;
    int range;
    fl_rng *rng;
} mut_ctx;

static size_t below(mut_ctx *c, size_t n) { return (size_t)fl_rng_below(c->rng, n); }

/* Positions of ops matching a filter. */
typedef bool (*op_filter)(const fl_history *h, size_t i);

static size_t collect(const fl_history *h, op_filter f, size_t *out) {
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++)
        if (f(h, i)) out[n++] = i;
    return n;
}

static bool is_ok_read(const fl_history *h, size_t i) {
    return h->ops[i].type == FL_OK && !strcmp(h->ops[i].f, "read");
}
static bool is_completion(const fl_history *h, size_t i) {
    return h->ops[i].type != FL_INVOKE && h->ops[i].pair != FL_NO_PAIR;
}
static bool is_update_invoke(const fl_history *h, size_t i) {
    return h->ops[i].type == FL_INVOKE && strcmp(h->ops[i].f, "read");
}

/* The strings written or appended in a kv history, and the elements of a collection. */
static size_t written_values(const fl_history *h, json_t **out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < h->count && n < cap; i++)
        if (is_update_invoke(h, i) && h->ops[i].value &&
            (json_is_string(h->ops[i].value) || json_is_integer(h->ops[i].value)))
            out[n++] = h->ops[i].value;
    return n;
}

/* kv strings are "x0 x1 ": tokens end with a space. */
static size_t kv_tokens(const char *s, const char **starts, size_t *lens, size_t cap) {
    size_t n = 0;
    const char *p = s;
    while (*p && n < cap) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
        starts[n] = p;
        lens[n++] = len;
        p += len;
    }
    return n;
}

/* A different value for a read to return: often one that no order can produce. */
static json_t *other_read_value(mut_ctx *c, const json_t *old) {
    json_t *pool[64];
    size_t written = written_values(c->h, pool, 64);
    switch (c->m) {
    case M_REGISTER:
    case M_CAS_REGISTER: {
        size_t r = below(c, 4);
        if (r == 0) return json_null();
        if (r == 1) return json_integer(c->range); /* never written */
        if (r == 2 && json_is_integer(old))
            return json_integer(json_integer_value(old) + (below(c, 2) ? 1 : -1));
        return json_integer((json_int_t)below(c, (size_t)c->range));
    }
    case M_KV: {
        char buf[BF_STR];
        buf[0] = 0;
        const char *starts[64];
        size_t lens[64], n = 0;
        if (json_is_string(old))
            n = kv_tokens(json_string_value(old), starts, lens, 64);
        size_t r = below(c, 6);
        if (r == 0) return json_null();
        if (r == 4) return json_integer((json_int_t)below(c, (size_t)c->range));
        if (r == 1 || written == 0) { /* some written tokens, in some order */
            size_t k = 1 + below(c, 3);
            for (size_t i = 0; i < k && written; i++) {
                const json_t *t = pool[below(c, written)];
                if (json_is_string(t) && strlen(buf) + json_string_length(t) < 64)
                    strcat(buf, json_string_value(t));
            }
            return buf[0] ? json_string(buf) : json_null();
        }
        size_t drop = SIZE_MAX, swap = SIZE_MAX;
        if (r == 2 && n > 0) drop = below(c, n);      /* one token lost */
        if (r == 5 && n > 1) swap = below(c, n - 1);  /* two tokens in the other order */
        for (size_t i = 0; i < n; i++) {
            size_t t = swap == SIZE_MAX ? i : i == swap ? i + 1 : i == swap + 1 ? i - 1 : i;
            if (t == drop) continue;
            strncat(buf, starts[t], lens[t]);
        }
        if (r == 3 || (r == 2 && n == 0) || (r == 5 && n < 2)) { /* one token more */
            const json_t *t = pool[below(c, written)];
            if (json_is_string(t) && strlen(buf) + json_string_length(t) < BF_STR - 64)
                strcat(buf, json_string_value(t));
        }
        return buf[0] ? json_string(buf) : json_null();
    }
    case M_LIST_APPEND:
    case M_SET: {
        json_t *list = json_is_array(old) ? json_deep_copy(old) : json_array();
        size_t n = json_array_size(list), r = below(c, 6);
        if (r == 0 && n > 0) {
            json_array_remove(list, below(c, n));
        } else if (r == 1 && n > 1) {
            size_t i = below(c, n - 1);
            json_t *a = json_incref(json_array_get(list, i));
            json_array_remove(list, i);
            json_array_insert_new(list, i + 1, a);
        } else if (r == 2) {
            json_decref(list);
            return json_null();
        } else if (r == 3 && n > 0 && c->m == M_SET) { /* a duplicate: the same set */
            json_array_append(list, json_array_get(list, below(c, n)));
        } else if (r == 4) {
            json_array_append_new(list, json_integer(999)); /* never added */
        } else {
            json_t *e = written ? pool[below(c, written)] : NULL;
            if (e) json_array_insert(list, below(c, n + 1), e);
            else json_array_append_new(list, json_integer(998));
        }
        return list;
    }
    default: { /* counter */
        json_int_t v = json_is_integer(old) ? json_integer_value(old) : 0;
        json_int_t d = (json_int_t)below(c, 5) + 1;
        return json_integer(below(c, 2) ? v + d : v - d);
    }
    }
}

/* A different argument for an update. */
static json_t *other_argument(mut_ctx *c, const fl_op *inv) {
    json_t *pool[64];
    size_t written = written_values(c->h, pool, 64);
    if (!strcmp(inv->f, "cas") && json_is_array(inv->value)) {
        json_t *v = json_deep_copy(inv->value);
        json_array_set_new(v, below(c, 2), json_integer((json_int_t)below(c, (size_t)c->range)));
        return v;
    }
    switch (c->m) {
    case M_REGISTER:
    case M_CAS_REGISTER: return json_integer((json_int_t)below(c, (size_t)c->range + 1));
    case M_KV: {
        size_t r = below(c, 4);
        if (r == 0 && !strcmp(inv->f, "write"))
            return json_integer((json_int_t)below(c, (size_t)c->range));
        if (r == 1 && written) {
            const json_t *t = pool[below(c, written)];
            if (json_is_string(t)) return json_string(json_string_value(t));
        }
        char s[32];
        snprintf(s, sizeof s, "z%zu ", below(c, 1000));
        return json_string(s);
    }
    case M_LIST_APPEND:
    case M_SET:
        if (written && below(c, 2)) {
            const json_t *t = pool[below(c, written)];
            if (json_is_integer(t)) return json_integer(json_integer_value(t));
        }
        return json_integer(500 + (json_int_t)below(c, 100));
    default: return json_integer((json_int_t)below(c, 6) + 1);
    }
}

/* Give process p's events from position from on a new process id (a crashed client). */
static void renumber_process(fl_history *h, size_t from, int64_t p) {
    int64_t fresh = 0;
    for (size_t i = 0; i < h->count; i++)
        if (h->ops[i].process >= fresh) fresh = h->ops[i].process + 1;
    for (size_t i = from; i < h->count; i++)
        if (h->ops[i].process == p) h->ops[i].process = fresh;
}

enum { MUT_READ_VALUE, MUT_SWAP_COMPLETIONS, MUT_SWAP_EVENTS, MUT_OUTCOME, MUT_ARGUMENT,
       MUT_KINDS };

/* One mutation of the given kind; false when none applied. */
static bool mutate_once(mut_ctx *c, int kind) {
    fl_history *h = c->h;
    size_t *pos = malloc((h->count + 1) * sizeof *pos);
    assert_non_null(pos);
    bool changed = false;
    switch (kind) {
    case MUT_READ_VALUE: {
        size_t n = collect(h, is_ok_read, pos);
        if (n == 0) break;
        fl_op *op = &h->ops[pos[below(c, n)]];
        json_t *v = other_read_value(c, op->value);
        changed = !json_equal(v, op->value);
        set_value(op, v);
        break;
    }
    case MUT_SWAP_COMPLETIONS:
    case MUT_SWAP_EVENTS: {
        size_t n = kind == MUT_SWAP_COMPLETIONS ? collect(h, is_completion, pos) : h->count;
        if (kind == MUT_SWAP_EVENTS)
            for (size_t i = 0; i < n; i++) pos[i] = i;
        for (int tries = 0; tries < 8 && n > 1 && !changed; tries++) {
            size_t a = below(c, n - 1);
            size_t span = kind == MUT_SWAP_EVENTS ? 3 : n - 1 - a;
            size_t b = a + 1 + below(c, span < n - 1 - a ? span : n - 1 - a);
            size_t i = pos[a], j = pos[b];
            if (h->ops[i].process == h->ops[j].process) continue;
            swap_events(h, i, j);
            if (repair(h)) {
                changed = true;
            } else {
                swap_events(h, i, j);
                assert_true(repair(h));
            }
        }
        break;
    }
    case MUT_OUTCOME: {
        size_t n = collect(h, is_completion, pos);
        if (n == 0) break;
        size_t at = pos[below(c, n)];
        fl_op *op = &h->ops[at];
        const fl_op *inv = &h->ops[op->pair];
        bool read = !strcmp(op->f, "read");
        size_t r = below(c, 3);
        if (op->type == FL_OK && r == 0) { /* now open: the completion is lost */
            int64_t p = op->process;
            json_decref(op->value);
            json_decref(op->extra);
            memmove(op, op + 1, (h->count - at - 1) * sizeof *op);
            h->count--;
            renumber_process(h, at, p);
            assert_true(repair(h));
        } else if (op->type == FL_OK && (r == 1 || read)) {
            op->type = FL_INFO;
            if (read) set_value(op, json_null());
        } else if (op->type == FL_OK) {
            op->type = FL_FAIL;
        } else if (read) { /* an info read that returned: some value */
            json_t *from = c->m == M_COUNTER ? json_integer(0) : json_null();
            op->type = FL_OK;
            set_value(op, other_read_value(c, from));
            json_decref(from);
        } else { /* info or fail: now it certainly took effect */
            op->type = FL_OK;
            set_value(op, inv->value ? json_deep_copy(inv->value) : NULL);
        }
        changed = true;
        break;
    }
    default: { /* MUT_ARGUMENT */
        size_t n = collect(h, is_update_invoke, pos);
        if (n == 0) break;
        fl_op *inv = &h->ops[pos[below(c, n)]];
        json_t *v = other_argument(c, inv);
        changed = !json_equal(v, inv->value);
        if (inv->pair != FL_NO_PAIR) set_value(&h->ops[inv->pair], json_deep_copy(v));
        set_value(inv, v);
        break;
    }
    }
    free(pos);
    return changed;
}

/* One or two mutations; returns the kinds applied, as bits. */
static unsigned mutate(mut_ctx *c) {
    size_t wanted = 1 + (below(c, 3) == 0);
    size_t done = 0;
    unsigned kinds = 0;
    for (int tries = 0; tries < 20 && done < wanted; tries++) {
        /* Read values most often: they make most of the invalid histories. */
        static const int weights[MUT_KINDS] = {4, 2, 2, 2, 2};
        size_t r = below(c, 12), kind = 0;
        while (r >= (size_t)weights[kind]) r -= (size_t)weights[kind++];
        if (mutate_once(c, (int)kind)) {
            done++;
            kinds |= 1u << kind;
        }
    }
    for (size_t i = 0; i < c->h->count; i++) c->h->ops[i].index = (int64_t)i;
    return kinds;
}

/* ------------------------------------------------------------------------------------ */
/* Comparing, minimising                                                                */

/* Does the checker disagree with the brute force (or fail to decide)? */
static bool disagrees(const fl_history *h, int m) {
    int bf = brute_force(h, m, 0, NULL);
    if (bf < 0) return false;
    return checker_verdict(h, m, 0) != bf;
}

/* Drop whole ops while the disagreement stays, then print the history. */
static void report_disagreement(const fl_history *h, int m, int checker, int bf,
                                uint64_t seed) {
    fl_history *cur = copy_without(h, SIZE_MAX);
    assert_non_null(cur);
    bool shrunk = true;
    while (shrunk) {
        shrunk = false;
        for (size_t i = cur->count; i-- > 0;) {
            if (cur->ops[i].type != FL_INVOKE) continue;
            fl_history *smaller = copy_without(cur, i);
            if (smaller && disagrees(smaller, m)) {
                fl_history_free(cur);
                cur = smaller;
                shrunk = true;
                break;
            }
            fl_history_free(smaller);
        }
    }
    fprintf(stderr,
            "DISAGREEMENT (%s, seed %llu): checker %s, brute force %s; minimised (%zu "
            "events), model %s:\n",
            model_names[m], (unsigned long long)seed,
            checker < 0 ? "unknown" : checker ? "valid" : "invalid", bf ? "valid" : "invalid",
            cur->count, model_names[m]);
    fl_history_write(stderr, cur, FL_FORMAT_JSONL);
    fprintf(stderr, "now: checker %d, brute force %d\n", checker_verdict(cur, m, 0),
            brute_force(cur, m, 0, NULL));
    fl_history_free(cur);
}

/* Check one small history both ways and count it; returns the checker's verdict. */
static int compare(const fl_history *h, int m, uint64_t seed, bool expect_valid) {
    stats *s = &g_stats[m];
    unsigned long long steps = 0;
    int bf = brute_force(h, m, 0, &steps);
    assert_true(bf >= 0);
    s->bf_steps += steps;
    if (steps > s->bf_steps_max) s->bf_steps_max = steps;
    int checker = checker_verdict(h, m, 0);
    if (has_unknown_outcome(h)) s->with_info++;
    if (checker == 1) s->valid++;
    else if (checker == 0) s->invalid++;
    if (checker != bf || (expect_valid && bf != 1)) {
        s->disagreements++;
        if (s->disagreements <= 3) report_disagreement(h, m, checker, bf, seed);
        if (expect_valid && bf != 1) {
            fprintf(stderr, "generated history (seed %llu) that the brute force finds "
                    "invalid:\n", (unsigned long long)seed);
            fl_history_write(stderr, h, FL_FORMAT_JSONL);
        }
    }
    return checker;
}

/* ------------------------------------------------------------------------------------ */
/* Tests                                                                                */

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Small generated histories (valid both ways) and mutations of them (the checker must
 * agree with the brute force). */
static void small_histories(int m) {
    double start = now_s();
    size_t rounds = scaled(2000);
    fl_rng pick = {0xfa17u + (uint64_t)m * 7919u};
    for (size_t i = 0; i < rounds; i++) {
        uint64_t seed = 1000003u * (uint64_t)(m + 1) + i;
        fl_gen_options o = {
            .seed = seed,
            .ops = 4 + (size_t)fl_rng_below(&pick, 9),          /* 4..12 */
            .keys = 1,
            .concurrency = 2 + (size_t)fl_rng_below(&pick, 4),  /* 2..5 */
            .info_rate = 0.05 + 0.25 * fl_rng_unit(&pick),
            .fail_rate = 0.1,
            .value_range = 2 + (int)fl_rng_below(&pick, 3),     /* 2..4 */
            .model = model_names[m],
        };
        fl_history *h = fl_gen_history(&o);
        assert_non_null(h);
        assert_true(invocation_count(h) == o.ops);
        compare(h, m, seed, true);
        g_stats[m].generated++;
        /* Two mutants of each. */
        for (int k = 0; k < 2; k++) {
            fl_history *mut = copy_without(h, SIZE_MAX);
            assert_non_null(mut);
            fl_rng r = {seed * 31u + (uint64_t)k};
            mut_ctx c = {.h = mut, .m = m, .range = o.value_range, .rng = &r};
            unsigned kinds = mutate(&c);
            int verdict = compare(mut, m, seed, false);
            for (int kind = 0; kind < MUT_KINDS; kind++) {
                if (!(kinds & (1u << kind))) continue;
                g_mut_applied[kind]++;
                g_mut_invalid[kind] += verdict == 0;
            }
            g_stats[m].mutated++;
            fl_history_free(mut);
        }
        fl_history_free(h);
    }
    g_stats[m].seconds += now_s() - start;
    if (g_stats[m].disagreements)
        fail_msg("%s: %zu histories where the checker and the brute force disagree (the "
                 "first ones are printed above, minimised)", model_names[m],
                 g_stats[m].disagreements);
}

static void test_register(void **state) { (void)state; small_histories(M_REGISTER); }
static void test_cas_register(void **state) { (void)state; small_histories(M_CAS_REGISTER); }
static void test_kv(void **state) { (void)state; small_histories(M_KV); }
static void test_list_append(void **state) { (void)state; small_histories(M_LIST_APPEND); }
static void test_set(void **state) { (void)state; small_histories(M_SET); }
static void test_counter(void **state) { (void)state; small_histories(M_COUNTER); }

/* Larger generated histories with exactly 1% info: too big to brute-force, and valid. */
static void test_large_generated(void **state) {
    (void)state;
    fl_rng pick = {0x1a26e};
    size_t rounds = scaled(12);
    for (int m = 0; m < M_COUNT; m++) {
        double start = now_s();
        for (size_t i = 0; i < rounds; i++) {
            uint64_t seed = 77000000u + 1000u * (uint64_t)m + i;
            fl_gen_options o = {
                .seed = seed,
                .ops = 50 + (size_t)fl_rng_below(&pick, 451),       /* 50..500 */
                .keys = 1 + (size_t)fl_rng_below(&pick, 3),
                .concurrency = 2 + (size_t)fl_rng_below(&pick, 7),  /* 2..8 */
                .info_rate = 0.01,
                .fail_rate = 0.1,
                .value_range = 2 + (int)fl_rng_below(&pick, 4),
                .model = model_names[m],
            };
            fl_history *h = fl_gen_history(&o);
            assert_non_null(h);
            int v = checker_verdict(h, m, 60);
            if (v != 1) {
                fprintf(stderr, "generated %s history (seed %llu, %zu ops): checker says %s\n",
                        model_names[m], (unsigned long long)seed, o.ops,
                        v ? "unknown" : "invalid");
                g_stats[m].disagreements++;
            }
            g_stats[m].large++;
            g_stats[m].large_ops += o.ops;
            /* A mutant: the verdict must be decided. Not certified: the verifier's
             * exhaustive window search is exponential in the ops of a window, and large
             * windows of concurrent set adds exceed its memory bound. */
            fl_history *mut = copy_without(h, SIZE_MAX);
            assert_non_null(mut);
            fl_rng r = {seed};
            mut_ctx c = {.h = mut, .m = m, .range = o.value_range, .rng = &r};
            mutate(&c);
            v = checker_verdict_opt(mut, m, 60, false);
            if (v < 0) {
                fprintf(stderr, "mutated %s history (seed %llu, %zu ops): checker says "
                        "unknown\n", model_names[m], (unsigned long long)seed, o.ops);
                g_stats[m].disagreements++;
            }
            g_stats[m].large_invalid += v == 0;
            fl_history_free(mut);
            fl_history_free(h);
        }
        g_stats[m].seconds += now_s() - start;
        if (g_stats[m].disagreements)
            fail_msg("%s: %zu large histories with a wrong or undecided verdict",
                     model_names[m], g_stats[m].disagreements);
    }
}

/* Hand-written histories with known verdicts, so that the brute force is not merely
 * agreeing with the checker: both must give the expected verdict. */
#define J(p, t, f, v) \
    "{\"process\":" #p ",\"type\":\"" #t "\",\"f\":\"" #f "\",\"key\":0,\"value\":" v "}\n"

typedef struct known {
    int m;
    int valid;
    const char *text;
} known;

static const known known_cases[] = {
    /* register */
    {M_REGISTER, 1, J(0, invoke, write, "1") J(0, ok, write, "1") J(1, invoke, read, "null")
                        J(1, ok, read, "1")},
    {M_REGISTER, 0, J(0, invoke, write, "1") J(0, ok, write, "1") J(1, invoke, read, "null")
                        J(1, ok, read, "null")},
    {M_REGISTER, 1, J(0, invoke, write, "1") J(1, invoke, read, "null") J(1, ok, read, "null")
                        J(0, ok, write, "1")},
    {M_REGISTER, 1, J(0, invoke, write, "1") J(0, info, write, "1") J(1, invoke, read, "null")
                        J(1, ok, read, "1")},
    {M_REGISTER, 0, J(1, invoke, read, "null") J(1, ok, read, "1") J(0, invoke, write, "1")
                        J(0, info, write, "1")},
    {M_REGISTER, 0, J(0, invoke, write, "1") J(0, fail, write, "1") J(1, invoke, read, "null")
                        J(1, ok, read, "1")},
    {M_REGISTER, 1, J(0, invoke, write, "1") J(1, invoke, read, "null") J(1, ok, read, "1")},
    {M_REGISTER, 1, J(0, invoke, write, "1") J(0, ok, write, "1") J(1, invoke, read, "null")
                        J(1, info, read, "null")},
    /* two reads that need the write in between, and one that needs it undone */
    {M_REGISTER, 0, J(0, invoke, write, "1") J(1, invoke, read, "null") J(1, ok, read, "1")
                        J(1, invoke, read, "null") J(1, ok, read, "null") J(0, ok, write, "1")},
    /* cas-register */
    {M_CAS_REGISTER, 1, J(0, invoke, write, "1") J(0, ok, write, "1") J(0, invoke, cas, "[1,2]")
                            J(0, ok, cas, "[1,2]") J(1, invoke, read, "null") J(1, ok, read, "2")},
    {M_CAS_REGISTER, 0, J(0, invoke, write, "1") J(0, ok, write, "1") J(0, invoke, cas, "[2,3]")
                            J(0, ok, cas, "[2,3]")},
    {M_CAS_REGISTER, 0, J(0, invoke, cas, "[0,5]") J(0, info, cas, "[0,5]")
                            J(1, invoke, read, "null") J(1, ok, read, "5")},
    {M_CAS_REGISTER, 1, J(0, invoke, write, "0") J(0, ok, write, "0") J(0, invoke, cas, "[0,5]")
                            J(0, info, cas, "[0,5]") J(1, invoke, read, "null")
                                J(1, ok, read, "5")},
    /* kv: string append */
    {M_KV, 1, J(0, invoke, append, "\"a\"") J(0, ok, append, "\"a\"") J(0, invoke, append, "\"b\"")
                  J(0, ok, append, "\"b\"") J(1, invoke, read, "null") J(1, ok, read, "\"ab\"")},
    {M_KV, 0, J(0, invoke, append, "\"a\"") J(0, ok, append, "\"a\"") J(0, invoke, append, "\"b\"")
                  J(0, ok, append, "\"b\"") J(1, invoke, read, "null") J(1, ok, read, "\"ba\"")},
    {M_KV, 1, J(0, invoke, append, "\"a\"") J(1, invoke, append, "\"b\"") J(0, ok, append, "\"a\"")
                  J(1, ok, append, "\"b\"") J(2, invoke, read, "null") J(2, ok, read, "\"ba\"")},
    {M_KV, 0, J(0, invoke, write, "3") J(0, ok, write, "3") J(0, invoke, append, "\"a\"")
                  J(0, ok, append, "\"a\"")},
    {M_KV, 0, J(0, invoke, write, "\"1\"") J(0, ok, write, "\"1\"") J(1, invoke, read, "null")
                  J(1, ok, read, "1")},
    /* list-append */
    {M_LIST_APPEND, 1, J(0, invoke, append, "1") J(0, ok, append, "1") J(0, invoke, append, "2")
                           J(0, ok, append, "2") J(1, invoke, read, "null")
                               J(1, ok, read, "[1,2]")},
    {M_LIST_APPEND, 0, J(0, invoke, append, "1") J(0, ok, append, "1") J(0, invoke, append, "2")
                           J(0, ok, append, "2") J(1, invoke, read, "null")
                               J(1, ok, read, "[2,1]")},
    {M_LIST_APPEND, 0, J(0, invoke, append, "1") J(0, ok, append, "1") J(1, invoke, read, "null")
                           J(1, ok, read, "[]")},
    {M_LIST_APPEND, 1, J(1, invoke, read, "null") J(1, ok, read, "null")
                           J(0, invoke, append, "1") J(0, ok, append, "1")},
    /* set */
    {M_SET, 1, J(0, invoke, add, "1") J(0, ok, add, "1") J(0, invoke, add, "2") J(0, ok, add, "2")
                   J(1, invoke, read, "null") J(1, ok, read, "[2,1]")},
    {M_SET, 0, J(0, invoke, add, "1") J(0, ok, add, "1") J(0, invoke, add, "2") J(0, ok, add, "2")
                   J(1, invoke, read, "null") J(1, ok, read, "[1]")},
    {M_SET, 1, J(0, invoke, add, "1") J(0, ok, add, "1") J(1, invoke, read, "null")
                   J(1, ok, read, "[1,1]")},
    /* counter */
    {M_COUNTER, 1, J(0, invoke, add, "2") J(0, ok, add, "2") J(0, invoke, add, "3")
                       J(0, ok, add, "3") J(1, invoke, read, "null") J(1, ok, read, "5")},
    {M_COUNTER, 0, J(0, invoke, add, "2") J(0, ok, add, "2") J(0, invoke, add, "3")
                       J(0, ok, add, "3") J(1, invoke, read, "null") J(1, ok, read, "4")},
    {M_COUNTER, 1, J(0, invoke, add, "2") J(0, ok, add, "2") J(0, invoke, add, "3")
                       J(1, invoke, read, "null") J(1, ok, read, "2") J(0, ok, add, "3")},
    {M_COUNTER, 0, J(0, invoke, add, "2") J(0, info, add, "2") J(1, invoke, read, "null")
                       J(1, ok, read, "2") J(1, invoke, read, "null") J(1, ok, read, "0")},
};

static void test_known_verdicts(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof known_cases / sizeof *known_cases; i++) {
        const known *k = &known_cases[i];
        fl_history *h = fl_history_new("known.jsonl");
        assert_non_null(h);
        fl_error err;
        memset(&err, 0, sizeof err);
        assert_int_equal(fl_jsonl_read_buffer(k->text, strlen(k->text), "known.jsonl", h,
                                              false, &err), FL_READ_OK);
        assert_true(repair(h));
        int bf = brute_force(h, k->m, 0, NULL), checker = checker_verdict(h, k->m, 0);
        if (bf != k->valid || checker != k->valid)
            fail_msg("known case %zu (%s): expected %d, brute force %d, checker %d", i,
                     model_names[k->m], k->valid, bf, checker);
        fl_history_free(h);
    }
}

/* The table; and both verdicts must be common, or the comparison proves little. */
static void test_summary(void **state) {
    (void)state;
    stats total;
    memset(&total, 0, sizeof total);
    fprintf(stderr, "property test (small: <= %d ops, checker vs brute force; large: "
            "generated + one mutant each, checker only, mutants uncertified)\n", BF_MAX_OPS);
    fprintf(stderr, "%-12s %9s %8s %7s %8s %9s %6s %8s %10s %8s %7s\n", "model",
            "generated", "mutated", "valid", "invalid", "with-info", "large", "large-inv",
            "bf-steps", "bf-max", "secs");
    for (int m = 0; m < M_COUNT; m++) {
        const stats *s = &g_stats[m];
        fprintf(stderr, "%-12s %9zu %8zu %7zu %8zu %9zu %6zu %8zu %10llu %8llu %7.2f\n",
                model_names[m], s->generated, s->mutated, s->valid, s->invalid,
                s->with_info, s->large, s->large_invalid, s->bf_steps, s->bf_steps_max,
                s->seconds);
        total.generated += s->generated;
        total.mutated += s->mutated;
        total.valid += s->valid;
        total.invalid += s->invalid;
        total.disagreements += s->disagreements;
        total.large += s->large;
        /* Each model sees both verdicts. */
        assert_true(s->invalid >= s->mutated / 10);
        assert_true(s->valid >= s->generated);
    }
    for (int kind = 0; kind < MUT_KINDS; kind++)
        fprintf(stderr, "mutation %-17s applied to %6zu small histories, %6zu invalid\n",
                mut_names[kind], g_mut_applied[kind], g_mut_invalid[kind]);
    fprintf(stderr, "total: %zu small histories brute-forced (%zu valid, %zu invalid), %zu "
            "large, %zu disagreements\n", total.generated + total.mutated, total.valid,
            total.invalid, total.large, total.disagreements);
    assert_int_equal(total.disagreements, 0);
    assert_true(total.invalid >= scaled(300));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_verdicts),
        cmocka_unit_test(test_register),    cmocka_unit_test(test_cas_register),
        cmocka_unit_test(test_kv),          cmocka_unit_test(test_list_append),
        cmocka_unit_test(test_set),         cmocka_unit_test(test_counter),
        cmocka_unit_test(test_large_generated), cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
