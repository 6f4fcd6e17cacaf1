/* The counter checker (see counter.h). One pass over the history keeps, per counter,
 * running sums of the positive and negative deltas of acknowledged adds (by completion)
 * and of adds that did not fail (by invocation); a read's bounds combine the first
 * kind as it stood when the read began with the second as it stands when it ended. */
#include "counter.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "empty_history.h"

#define ERRORS_SHOWN 100
#define ACKS_SHOWN 10
#define KEYS_SHOWN 100

/* A counter's running sums; positive and negative deltas apart, as the bounds need. */
typedef struct counter {
    int64_t cert_pos, cert_neg; /* ok adds completed so far */
    int64_t poss_pos, poss_neg; /* adds invoked so far that did not fail */
    size_t cert_count;          /* ok adds completed so far */
    size_t poss_count;          /* adds invoked so far that did not fail */
    int64_t first_acks[ACKS_SHOWN]; /* invocations of its first ok adds, by completion */
    size_t adds, reads, errors;
    bool used;                  /* some add or read names it */
} counter;

/* The certain sums when an ok read began. */
typedef struct read_start {
    int64_t pos;
    int64_t cert_pos, cert_neg;
    size_t cert_count;
} read_start;

typedef struct checker {
    const fl_history *h;
    fl_error *err;
    counter *counters;  /* by group: the ops' key + 1, 0 for ops without a key */
    size_t n_counters;
    read_start *starts; /* in history order, so sorted by pos */
    size_t n_starts, cap_starts;
    json_t *errors;
    size_t n_errors, n_reads, n_adds;
    bool any_key;
} checker;

static int64_t op_group(const fl_history *h, const fl_op *op) {
    int64_t key = op->key;
    if (key == FL_NO_KEY && op->pair != FL_NO_PAIR) key = h->ops[op->pair].key;
    return key + 1;
}

/* The delta of the add invoked at pos: its value, or its ok completion's when it has
 * none. 0, or -1 with err set. */
static int add_delta(checker *c, int64_t pos, int64_t *delta) {
    const fl_history *h = c->h;
    const fl_op *inv = &h->ops[pos];
    const json_t *v = inv->value;
    if ((!v || json_is_null(v)) && inv->pair != FL_NO_PAIR && h->ops[inv->pair].type == FL_OK)
        v = h->ops[inv->pair].value;
    if (json_is_integer(v)) {
        *delta = json_integer_value(v);
        return 0;
    }
    fl_error_set(c->err, h->source, inv->line, 0,
                 "add (index %lld) of process %lld: its value is %s, not the integer to add",
                 (long long)inv->index, (long long)inv->process,
                 !v ? "absent" : json_is_null(v) ? "null" : "not an integer");
    return -1;
}

/* *sum += delta into the positive or the negative sum. 0, or -1 with err set. */
static int add_signed(checker *c, const fl_op *op, int64_t *pos_sum, int64_t *neg_sum,
                      int64_t delta) {
    int64_t *sum = delta >= 0 ? pos_sum : neg_sum;
    if (!__builtin_add_overflow(*sum, delta, sum)) return 0;
    fl_error_set(c->err, c->h->source, op->line, 0,
                 "add (index %lld): the counter's sums overflow 64 bits",
                 (long long)op->index);
    return -1;
}

static int on_add(checker *c, const fl_op *op, size_t pos) {
    const fl_history *h = c->h;
    counter *k = &c->counters[op_group(h, op)];
    k->used = true;
    int64_t delta;
    if (op->type == FL_INVOKE) {
        if (add_delta(c, (int64_t)pos, &delta) != 0) return -1;
        c->n_adds++;
        k->adds++;
        if (op->pair != FL_NO_PAIR && h->ops[op->pair].type == FL_FAIL) return 0;
        k->poss_count++;
        return add_signed(c, op, &k->poss_pos, &k->poss_neg, delta);
    }
    if (op->type != FL_OK) return 0;
    if (add_delta(c, op->pair, &delta) != 0) return -1;
    if (k->cert_count < ACKS_SHOWN) k->first_acks[k->cert_count] = op->pair;
    k->cert_count++;
    return add_signed(c, op, &k->cert_pos, &k->cert_neg, delta);
}

static const read_start *find_start(const checker *c, int64_t pos) {
    size_t lo = 0, hi = c->n_starts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->starts[mid].pos < pos) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->n_starts && c->starts[lo].pos == pos ? &c->starts[lo] : NULL;
}

static json_t *error_json(const checker *c, const fl_op *done, int64_t group,
                          const read_start *s, int64_t value, int64_t lower, int64_t upper) {
    const fl_history *h = c->h;
    const counter *k = &c->counters[group];
    json_t *o = json_object();
    bool low = value < lower;
    json_object_set_new(o, "kind", json_string(low ? "too-low" : "too-high"));
    if (group) json_object_set_new(o, "key", json_incref(h->keys[group - 1]));
    json_object_set_new(o, "read", fl_op_pair_json(h, done->pair));
    json_object_set_new(o, "value", json_integer(value));
    json_object_set_new(o, "lower", json_integer(lower));
    json_object_set_new(o, "upper", json_integer(upper));
    json_object_set_new(o, "certain_count", json_integer((json_int_t)s->cert_count));
    json_object_set_new(o, "possible_count",
                        json_integer((json_int_t)(k->poss_count - s->cert_count)));
    if (low) {
        json_t *acks = json_array();
        for (size_t i = 0; i < s->cert_count && i < ACKS_SHOWN; i++)
            json_array_append_new(acks, fl_op_pair_json(h, k->first_acks[i]));
        json_object_set_new(o, "acknowledged_before", acks);
        json_object_set_new(o, "acknowledged_before_count",
                            json_integer((json_int_t)s->cert_count));
    }
    return o;
}

static int on_read(checker *c, const fl_op *op, size_t pos) {
    const fl_history *h = c->h;
    counter *k = &c->counters[op_group(h, op)];
    k->used = true;
    if (op->type == FL_INVOKE) {
        if (op->pair == FL_NO_PAIR || h->ops[op->pair].type != FL_OK) return 0;
        if (c->n_starts == c->cap_starts) {
            size_t cap = c->cap_starts ? 2 * c->cap_starts : 256;
            read_start *more = realloc(c->starts, cap * sizeof *more);
            if (!more) {
                fl_error_set(c->err, h->source, 0, 0, "out of memory in the counter checker");
                return -1;
            }
            c->starts = more;
            c->cap_starts = cap;
        }
        c->starts[c->n_starts++] = (read_start){(int64_t)pos, k->cert_pos, k->cert_neg,
                                                k->cert_count};
        return 0;
    }
    if (op->type != FL_OK) return 0;
    if (!json_is_integer(op->value)) {
        fl_error_set(c->err, h->source, op->line, 0,
                     "ok read (index %lld) of process %lld: its value is not an integer",
                     (long long)op->index, (long long)op->process);
        return -1;
    }
    /* Its invocation came first (pairing goes forwards) and was recorded. */
    const read_start *s = find_start(c, op->pair);
    assert(s);
    int64_t lower, upper, value = json_integer_value(op->value);
    /* Every possible add's negative delta counted, and no positive one; and back. The
     * certain adds are a subset of the possible ones, counted in both sums. */
    if (__builtin_add_overflow(s->cert_pos, k->poss_neg, &lower) ||
        __builtin_add_overflow(k->poss_pos, s->cert_neg, &upper)) {
        fl_error_set(c->err, h->source, op->line, 0,
                     "ok read (index %lld): the counter's bounds overflow 64 bits",
                     (long long)op->index);
        return -1;
    }
    c->n_reads++;
    k->reads++;
    if (value >= lower && value <= upper) return 0;
    k->errors++;
    if (c->n_errors++ < ERRORS_SHOWN)
        json_array_append_new(c->errors, error_json(c, op, op_group(h, op), s, value, lower,
                                                    upper));
    return 0;
}

/* One pass in history order. 0, or -1 with err set. */
static int scan(checker *c) {
    const fl_history *h = c->h;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if (op->type != FL_INVOKE && op->pair == FL_NO_PAIR) {
            fl_error_set(c->err, h->source, op->line, 0,
                         "%s completion (index %lld) of process %lld has no paired "
                         "invocation: the history must be paired (fl_history_pair) before "
                         "the counter checker runs",
                         fl_op_type_name(op->type), (long long)op->index,
                         (long long)op->process);
            return -1;
        }
        /* A completion is of its invocation's kind; it may leave f out, not change it. */
        const char *f = op->type == FL_INVOKE ? op->f : h->ops[op->pair].f;
        if (op->type != FL_INVOKE && op->f[0] && strcmp(op->f, f) != 0) {
            fl_error_set(c->err, h->source, op->line, 0,
                         "%s completion (index %lld) of process %lld has f \"%s\" but its "
                         "invocation (index %lld) has f \"%s\"",
                         fl_op_type_name(op->type), (long long)op->index,
                         (long long)op->process, op->f, (long long)h->ops[op->pair].index, f);
            return -1;
        }
        bool add = !strcmp(f, "add"), read = !strcmp(f, "read");
        if (!add && !read) continue;
        if (op->key != FL_NO_KEY) c->any_key = true;
        if ((add ? on_add(c, op, i) : on_read(c, op, i)) != 0) return -1;
    }
    return 0;
}

static json_t *verdict_json(size_t errors, size_t reads) {
    return errors ? json_false() : reads ? json_true() : json_string("unknown");
}

static void put_keys(const checker *c, json_t *result) {
    const fl_history *h = c->h;
    json_t *keys = json_array(), *invalid = json_array();
    size_t n_keys = 0, n_invalid = 0;
    for (size_t g = 0; g < c->n_counters; g++) {
        const counter *k = &c->counters[g];
        if (!k->used) continue;
        json_t *key = g ? json_incref(h->keys[g - 1]) : json_null();
        if (k->errors && n_invalid++ < KEYS_SHOWN) json_array_append(invalid, key);
        if (n_keys++ < KEYS_SHOWN) {
            json_t *o = json_object();
            json_object_set(o, "key", key);
            json_object_set_new(o, "valid", verdict_json(k->errors, k->reads));
            json_object_set_new(o, "read_count", json_integer((json_int_t)k->reads));
            json_object_set_new(o, "add_count", json_integer((json_int_t)k->adds));
            json_object_set_new(o, "error_count", json_integer((json_int_t)k->errors));
            json_array_append_new(keys, o);
        }
        json_decref(key);
    }
    json_object_set_new(result, "key_count", json_integer((json_int_t)n_keys));
    json_object_set_new(result, "keys", keys);
    json_object_set_new(result, "invalid_keys", invalid);
}

json_t *fl_check_counter(const fl_history *h, fl_error *err) {
    fl_error local;
    checker c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.err = err ? err : &local;
    c.n_counters = h->key_count + 1;
    c.counters = calloc(c.n_counters, sizeof *c.counters);
    c.errors = json_array();
    json_t *result = NULL;
    if (!c.counters || !c.errors) {
        fl_error_set(c.err, h->source, 0, 0, "out of memory in the counter checker");
        goto done;
    }
    if (scan(&c) != 0) goto done;
    result = json_object();
    json_object_set_new(result, "valid", verdict_json(c.n_errors, c.n_reads));
    if (!c.n_errors && !c.n_reads)
        json_object_set_new(result, "reason", json_string("no read completed ok"));
    json_object_set_new(result, "read_count", json_integer((json_int_t)c.n_reads));
    json_object_set_new(result, "add_count", json_integer((json_int_t)c.n_adds));
    json_object_set_new(result, "error_count", json_integer((json_int_t)c.n_errors));
    json_object_set(result, "errors", c.errors);
    if (c.any_key) put_keys(&c, result);
    fl_empty_history_valid(h, result);
done:
    json_decref(c.errors);
    free(c.counters);
    free(c.starts);
    return result;
}
