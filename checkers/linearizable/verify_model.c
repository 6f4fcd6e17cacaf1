/* The verifier's reference models (see verify_model.h). */
#include "verify_model.h"

#include <stdlib.h>
#include <string.h>

static bool f_is(const fl_op *op, const char *a, const char *b) {
    return strcmp(op->f, a) == 0 || (b && strcmp(op->f, b) == 0);
}

bool ref_read_only(const char *model, const fl_op *inv) {
    return strcmp(model, "fifo-queue") != 0 && strcmp(model, "mutex") != 0 &&
           f_is(inv, "read", "get");
}

static const json_t *arg_of(const ref_op *o) {
    if (o->inv->value && !json_is_null(o->inv->value)) return o->inv->value;
    return o->ok && o->ok->value ? o->ok->value : o->inv->value;
}

static bool same(const json_t *a, const json_t *b) {
    bool a_nil = !a || json_is_null(a), b_nil = !b || json_is_null(b);
    return (a_nil && b_nil) || (!a_nil && !b_nil && json_equal(a, b));
}

static bool in_list(const json_t *list, const json_t *v) {
    for (size_t i = 0; i < json_array_size(list); i++)
        if (json_equal(json_array_get(list, i), v)) return true;
    return false;
}

static bool same_set(const json_t *a, const json_t *b) {
    json_t *empty = json_array();
    if (!json_is_array(a)) a = empty;
    if (!json_is_array(b)) b = empty;
    bool equal = true;
    for (size_t i = 0; equal && i < json_array_size(a); i++) equal = in_list(b, json_array_get(a, i));
    for (size_t i = 0; equal && i < json_array_size(b); i++) equal = in_list(a, json_array_get(b, i));
    json_decref(empty);
    return equal;
}

static json_t *with_appended(const json_t *list, const json_t *v) {
    json_t *copy = json_is_array(list) ? json_copy((json_t *)list) : json_array();
    json_array_append(copy, (json_t *)v);
    return copy;
}

static int compare_json_text(const json_t *a, const json_t *b) {
    char *x = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char *y = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    int c = strcmp(x ? x : "", y ? y : "");
    free(x);
    free(y);
    return c;
}

/* A set state is kept sorted (by JSON text), so equal sets are equal states. */
static json_t *with_inserted(const json_t *set, const json_t *v) {
    json_t *copy = json_array();
    bool placed = false;
    for (size_t i = 0; i < json_array_size(set); i++) {
        json_t *e = json_array_get(set, i);
        if (!placed && compare_json_text(v, e) < 0) {
            json_array_append(copy, (json_t *)v);
            placed = true;
        }
        json_array_append(copy, e);
    }
    if (!placed) json_array_append(copy, (json_t *)v);
    return copy;
}

/* The register family: register, cas-register, kv. */
static int step_register(const json_t *s, const ref_op *o, json_t **next) {
    const json_t *v = arg_of(o);
    if (f_is(o->inv, "read", "get")) {
        *next = json_incref((json_t *)s);
        return o->ok ? same(s, o->ok->value) : 1;
    }
    if (f_is(o->inv, "write", "put")) {
        *next = json_incref((json_t *)v);
        return 1;
    }
    if (f_is(o->inv, "cas", NULL)) {
        *next = json_incref(json_array_get(v, 1));
        return same(s, json_array_get(v, 0));
    }
    if (json_is_null(s) || json_is_string(s)) { /* append */
        size_t a = json_is_string(s) ? json_string_length(s) : 0, b = json_string_length(v);
        char *joined = malloc(a + b + 1);
        if (a) memcpy(joined, json_string_value(s), a);
        memcpy(joined + a, json_string_value(v), b);
        *next = json_stringn_nocheck(joined, a + b);
        free(joined);
        return 1;
    }
    return 0;
}

static int step_collection(const char *model, const json_t *s, const ref_op *o, json_t **next) {
    const json_t *v = arg_of(o);
    bool set = strcmp(model, "set") == 0;
    if (f_is(o->inv, "read", NULL)) {
        *next = json_incref((json_t *)s);
        if (!o->ok) return 1;
        if (set) return same_set(s, o->ok->value);
        return json_array_size(s) == 0 ? json_array_size(o->ok->value) == 0
                                       : same(s, o->ok->value);
    }
    *next = !set ? with_appended(s, v) : in_list(s, v) ? json_incref((json_t *)s)
                                                       : with_inserted(s, v);
    return 1;
}

static int step_counter(const json_t *s, const ref_op *o, json_t **next) {
    json_int_t n = json_integer_value(s);
    if (f_is(o->inv, "read", NULL)) {
        *next = json_incref((json_t *)s);
        return !o->ok || (json_is_integer(o->ok->value) && json_integer_value(o->ok->value) == n);
    }
    const json_t *v = arg_of(o);
    json_int_t delta = json_is_integer(v) ? json_integer_value(v) : 1;
    *next = json_integer((json_int_t)((uint64_t)n + (uint64_t)delta));
    return 1;
}

static int step_queue(const json_t *s, const ref_op *o, json_t **next) {
    if (f_is(o->inv, "enqueue", NULL)) {
        *next = with_appended(s, arg_of(o));
        return 1;
    }
    size_t n = json_array_size(s);
    if (o->ok && (!o->ok->value || json_is_null(o->ok->value))) {
        *next = json_incref((json_t *)s);
        return n == 0;
    }
    if (n == 0 || (o->ok && !json_equal(json_array_get(s, 0), o->ok->value))) return 0;
    *next = json_array();
    for (size_t i = 1; i < n; i++) json_array_append(*next, json_array_get(s, i));
    return 1;
}

/* One step of the reference model: 1 legal (sets *next), 0 not legal. */
int ref_step(const char *model, const json_t *s, const ref_op *o, json_t **next) {
    *next = NULL;
    if (!strcmp(model, "register") || !strcmp(model, "cas-register") || !strcmp(model, "kv"))
        return step_register(s, o, next);
    if (!strcmp(model, "list-append") || !strcmp(model, "set"))
        return step_collection(model, s, o, next);
    if (!strcmp(model, "counter")) return step_counter(s, o, next);
    if (!strcmp(model, "fifo-queue")) return step_queue(s, o, next);
    bool held = json_is_true(s), acquire = f_is(o->inv, "acquire", NULL);
    *next = json_boolean(acquire);
    return acquire ? !held : held;
}

json_t *ref_init(const char *model) {
    if (!strcmp(model, "list-append") || !strcmp(model, "set") || !strcmp(model, "fifo-queue"))
        return json_array();
    if (!strcmp(model, "counter")) return json_integer(0);
    if (!strcmp(model, "mutex")) return json_false();
    return json_null();
}

/* Does any op of ops observe v? */
static bool observed(const char *model, const json_t *v, const ref_op *ops, size_t count) {
    bool registers = !strcmp(model, "register") || !strcmp(model, "cas-register");
    for (size_t i = 0; i < count; i++) {
        const ref_op *o = &ops[i];
        if (registers && f_is(o->inv, "cas", NULL) && same(json_array_get(arg_of(o), 0), v))
            return true;
        if (!o->ok) continue;
        if (registers && f_is(o->inv, "read", "get") && same(o->ok->value, v)) return true;
        if (!registers && f_is(o->inv, "read", NULL) && in_list(o->ok->value, v)) return true;
        if (f_is(o->inv, "dequeue", NULL) && same(o->ok->value, v)) return true;
    }
    return false;
}

bool ref_unobservable(const char *model, const ref_op *o, const ref_op *ops, size_t count) {
    const json_t *v = arg_of(o);
    if (!strcmp(model, "register") || !strcmp(model, "cas-register")) {
        if (f_is(o->inv, "cas", NULL)) v = json_array_get(v, 1);
        else if (!f_is(o->inv, "write", "put")) return false;
    } else if (!strcmp(model, "list-append")) {
        if (!f_is(o->inv, "append", NULL)) return false;
    } else if (!strcmp(model, "set")) {
        if (!f_is(o->inv, "add", NULL)) return false;
    } else if (!strcmp(model, "fifo-queue")) {
        if (!f_is(o->inv, "enqueue", NULL)) return false;
    } else {
        return false;
    }
    return !observed(model, v, ops, count);
}

static int32_t key_of(const fl_history *h, size_t pos) {
    const fl_op *op = &h->ops[pos];
    if (op->key == FL_NO_KEY && op->pair != FL_NO_PAIR) return h->ops[op->pair].key;
    return op->key;
}

/* The key's client ops invoked before `before`, failed ones left out. */
ref_op *key_ops(const fl_history *h, int32_t key, int64_t before, size_t *count) {
    ref_op *ops = malloc((h->count ? h->count : 1) * sizeof *ops);
    *count = 0;
    for (size_t i = 0; ops && i < h->count && (int64_t)i < before; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS || op->type != FL_INVOKE || key_of(h, i) != key)
            continue;
        const fl_op *done = op->pair == FL_NO_PAIR ? NULL : &h->ops[op->pair];
        if (done && done->type == FL_FAIL) continue;
        bool ok = done && done->type == FL_OK;
        ops[(*count)++] = (ref_op){op, ok ? done : NULL, (int64_t)i, ok ? op->pair : INT64_MAX};
    }
    return ops;
}

ref_op *find_op(ref_op *ops, size_t count, int64_t pos) {
    for (size_t lo = 0, hi = count; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (ops[mid].inv_pos == pos) return &ops[mid];
        if (ops[mid].inv_pos < pos) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

