/* Reading a history as transactions (txn_internal.h): every client op pair with f "txn",
 * its micro-ops checked for shape and turned into flat arrays the analyses index. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txn_internal.h"

static int grow(void *p, size_t *cap, size_t need, size_t size) {
    return fl_grow((void **)p, cap, need, size);
}

typedef struct collector {
    txn_set *s;
    size_t txn_cap, mop_cap, int_cap, key_cap;
    fl_error *err;
    bool saw_append, saw_write, saw_list_read, saw_int_read;
} collector;

/* "append", ":append" (an EDN keyword) … -> MOP_*, or -1. */
static int mop_kind(const json_t *f) {
    if (!json_is_string(f)) return -1;
    const char *name = json_string_value(f);
    if (name[0] == ':') name++;
    if (!strcmp(name, "append")) return MOP_APPEND;
    if (!strcmp(name, "r")) return MOP_READ;
    if (!strcmp(name, "w")) return MOP_WRITE;
    return -1;
}

static int32_t intern_key(collector *c, json_t *key) {
    char buf[64];
    const char *bytes;
    size_t len;
    char *dumped = NULL;
    if (json_is_string(key)) {
        /* Prefix so the string "1" and the integer 1 stay different keys. */
        const char *text = json_string_value(key);
        size_t n = json_string_length(key);
        if (n + 2 > sizeof buf) {
            dumped = malloc(n + 2);
            if (!dumped) return -2;
            dumped[0] = 's';
            memcpy(dumped + 1, text, n);
            bytes = dumped;
        } else {
            buf[0] = 's';
            memcpy(buf + 1, text, n);
            bytes = buf;
        }
        len = n + 1;
    } else if (json_is_integer(key)) {
        len = (size_t)snprintf(buf, sizeof buf, "i%" JSON_INTEGER_FORMAT, json_integer_value(key));
        bytes = buf;
    } else {
        dumped = json_dumps(key, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
        if (!dumped) return -2;
        bytes = dumped;
        len = strlen(dumped);
    }
    txn_set *s = c->s;
    int64_t id = fl_strmap_put(s->key_ids, bytes, len, s->n_keys);
    free(dumped);
    if (id < 0) return -2;
    if (id == s->n_keys) {
        if (grow(&s->keys, &c->key_cap, s->n_keys + 1, sizeof *s->keys)) return -2;
        s->keys[s->n_keys++] = key;
    }
    return (int32_t)id;
}

static int bad(collector *c, const fl_op *op, const char *what, const json_t *mop) {
    char *text = mop ? json_dumps(mop, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    fl_error_set(c->err, c->s->h->source ? c->s->h->source : "", op->line, 0,
                 "op %" PRId64 ": %s%s%.80s", op->index, what, text ? ": " : "",
                 text ? text : "");
    free(text);
    return -1;
}

static int oom(collector *c) {
    fl_error_set(c->err, c->s->h->source ? c->s->h->source : "", 0, 0, "out of memory");
    return -1;
}

static int add_list_read(collector *c, txn_mop *m, const json_t *v, const fl_op *op,
                         const json_t *mop) {
    txn_set *s = c->s;
    size_t n = json_array_size(v);
    if (s->n_ints + n > UINT32_MAX) return bad(c, op, "too many read elements", NULL);
    if (grow(&s->ints, &c->int_cap, s->n_ints + n, sizeof *s->ints)) return oom(c);
    m->list_off = (uint32_t)s->n_ints;
    m->list_len = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_integer(e)) return bad(c, op, "a list read holds a non-integer", mop);
        s->ints[s->n_ints++] = json_integer_value(e);
    }
    m->nil = n == 0;
    c->saw_list_read = true;
    return 0;
}

/* One micro-op [f, k, v] of a transaction of type `type`. */
static int add_mop(collector *c, const json_t *mop, uint8_t type, bool told, const fl_op *op) {
    if (!json_is_array(mop) || json_array_size(mop) != 3)
        return bad(c, op, "a micro-op is not [f, key, value]", mop);
    int kind = mop_kind(json_array_get(mop, 0));
    if (kind < 0) return bad(c, op, "unknown micro-op (expected append, r or w)", mop);
    json_t *key = json_array_get(mop, 1);
    if (json_is_array(key) || json_is_object(key))
        return bad(c, op, "a micro-op's key must be a scalar", mop);
    const json_t *v = json_array_get(mop, 2);
    txn_set *s = c->s;
    if (grow(&s->mops, &c->mop_cap, s->n_mops + 1, sizeof *s->mops)) return oom(c);
    txn_mop *m = &s->mops[s->n_mops];
    *m = (txn_mop){.f = (uint8_t)kind};
    int32_t k = intern_key(c, key);
    if (k < 0) return oom(c);
    m->key = k;
    if (kind == MOP_APPEND || kind == MOP_WRITE) {
        if (!json_is_integer(v)) return bad(c, op, "appended and written values must be integers", mop);
        m->value = json_integer_value(v);
        if (kind == MOP_APPEND) c->saw_append = true;
        else c->saw_write = true;
    } else if (json_is_null(v)) {
        m->nil = true;
        /* A nil read tells something only when the txn committed (Elle: an indeterminate
         * op's nil is the invocation's placeholder). */
        m->known = told && type == FL_OK;
    } else if (json_is_array(v)) {
        if (add_list_read(c, m, v, op, mop)) return -1;
        m->known = told && (type == FL_OK || (type == FL_INFO && !m->nil));
    } else if (json_is_integer(v)) {
        m->value = json_integer_value(v);
        m->known = told && type != FL_FAIL;
        c->saw_int_read = true;
    } else {
        return bad(c, op, "a read's value must be null, an integer or a list of integers", mop);
    }
    if (type == FL_FAIL) m->known = false;
    s->n_mops++;
    return 0;
}

static const char *f_name(const fl_op *op) { return op->f[0] == ':' ? op->f + 1 : op->f; }

/* A completion reports the same micro-ops as its invocation, reads filled in: the same
 * count, names and keys, and the same values written. */
static int same_plan(collector *c, const fl_op *in, const json_t *asked, const json_t *told) {
    if (json_array_size(asked) != json_array_size(told))
        return bad(c, in, "its completion lists a different number of micro-ops", told);
    for (size_t i = 0; i < json_array_size(asked); i++) {
        const json_t *a = json_array_get(asked, i), *t = json_array_get(told, i);
        int ka = mop_kind(json_array_get(a, 0)), kt = mop_kind(json_array_get(t, 0));
        if (ka != kt || !json_equal(json_array_get(a, 1), json_array_get(t, 1)) ||
            (ka != MOP_READ && !json_equal(json_array_get(a, 2), json_array_get(t, 2))))
            return bad(c, in, "its completion's micro-ops differ from the invocation's (only "
                       "read values may be filled in)", t);
    }
    return 0;
}

static int add_txn(collector *c, int64_t inv) {
    txn_set *s = c->s;
    const fl_history *h = s->h;
    const fl_op *in = &h->ops[inv];
    const fl_op *done = in->pair != FL_NO_PAIR ? &h->ops[in->pair] : NULL;
    uint8_t type = done ? done->type : FL_INFO;
    /* Reads come back in the completion; an indeterminate op keeps what it asked. */
    const json_t *value = done && json_is_array(done->value) ? done->value : in->value;
    if (!json_is_array(value)) return bad(c, in, "a txn's value must be a list of micro-ops", value);
    if (value != in->value && json_is_array(in->value) && same_plan(c, in, in->value, value)) return -1;
    if (s->n == UINT32_MAX - 1) return bad(c, in, "too many transactions", NULL);
    if (grow(&s->txns, &c->txn_cap, s->n + 1, sizeof *s->txns)) return oom(c);
    txn *t = &s->txns[s->n];
    *t = (txn){.inv = inv, .done = done ? in->pair : FL_NO_PAIR, .process = in->process,
               .mop_off = (uint32_t)s->n_mops, .type = type};
    /* Only a completion tells what was read; an invocation's read values are requests. */
    bool told = done && value == done->value;
    size_t n = json_array_size(value);
    for (size_t i = 0; i < n; i++)
        if (add_mop(c, json_array_get(value, i), type, told, told ? done : in))
            return -1;
    t->mop_count = (uint32_t)(s->n_mops - t->mop_off);
    s->n++;
    return 0;
}

static int settle_workload(collector *c, fl_txn_workload asked) {
    txn_set *s = c->s;
    bool list = c->saw_append || c->saw_list_read, reg = c->saw_write || c->saw_int_read;
    const char *src = s->h->source ? s->h->source : "";
    if (asked == FL_TXN_INFER) {
        if (list && reg) {
            fl_error_set(c->err, src, 0, 0, "the history mixes list-append micro-ops (append, "
                         "list reads) with rw-register ones (w, integer reads); name the "
                         "workload with --workload");
            return -1;
        }
        s->workload = reg ? FL_TXN_RW_REGISTER : FL_TXN_LIST_APPEND;
        return 0;
    }
    s->workload = asked;
    if (asked == FL_TXN_LIST_APPEND && reg) {
        fl_error_set(c->err, src, 0, 0, "a list-append history holds w micro-ops or integer "
                     "reads (is it rw-register?)");
        return -1;
    }
    if (asked == FL_TXN_RW_REGISTER && list) {
        fl_error_set(c->err, src, 0, 0, "an rw-register history holds append micro-ops or "
                     "list reads (is it list-append?)");
        return -1;
    }
    return 0;
}

txn_set *txn_collect(const fl_history *h, fl_txn_workload workload, fl_error *err) {
    assert(h);
    txn_set *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->h = h;
    s->key_ids = fl_strmap_new();
    collector c = {.s = s, .err = err};
    if (!s->key_ids) goto fail_oom;
    /* Transactions are named by their op's index, in explanations and in certification. */
    kv_index *seen = kv_index_new();
    if (!seen) goto fail_oom;
    for (size_t i = 0; i < h->count; i++) {
        bool fresh;
        if (kv_index_put(seen, 0, h->ops[i].index, &fresh) < 0) {
            kv_index_free(seen);
            goto fail_oom;
        }
        if (!fresh) {
            kv_index_free(seen);
            fl_error_set(err, h->source ? h->source : "", h->ops[i].line, 0, "op index %" PRId64
                         " appears twice; the txn checker names transactions by their index",
                         h->ops[i].index);
            goto fail;
        }
    }
    kv_index_free(seen);
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS || op->type != FL_INVOKE) continue;
        if (strcmp(f_name(op), "txn")) {
            fl_error_set(err, h->source ? h->source : "", op->line, 0,
                         "op %" PRId64 ": f is \"%s\"; the txn checker reads only txn ops",
                         op->index, op->f);
            goto fail;
        }
        if (add_txn(&c, (int64_t)i)) goto fail;
    }
    if (settle_workload(&c, workload)) goto fail;
    return s;
fail_oom:
    oom(&c);
fail:
    txn_set_free(s);
    return NULL;
}

void txn_set_free(txn_set *s) {
    if (!s) return;
    free(s->txns);
    free(s->mops);
    free(s->ints);
    free(s->keys);
    fl_strmap_free(s->key_ids);
    free(s);
}

char *txn_key_text(const txn_set *s, int32_t key) {
    assert(key >= 0 && (uint32_t)key < s->n_keys);
    const json_t *k = s->keys[key];
    if (json_is_string(k)) return strdup(json_string_value(k)[0] == ':' ? json_string_value(k) + 1
                                                                         : json_string_value(k));
    return json_dumps(k, JSON_ENCODE_ANY | JSON_COMPACT);
}
