/* Collection models: list-append (append an element, read the whole list), set (add,
 * read the whole set), counter (add, read), fifo-queue (enqueue, dequeue) and mutex
 * (acquire, release). Sequences are hash-consed arrays of element ids. */
#include <stdlib.h>
#include <string.h>

#include "model.h"

enum { OP_READ, OP_ADD, OP_ENQUEUE, OP_DEQUEUE, OP_ACQUIRE, OP_RELEASE };

/* A sequence state: element ids, then a tag byte (last, so the ids stay aligned as the
 * interner stores them). The empty sequence is state 0. */
static const uint64_t *elements(const fl_interner *in, fl_state s, size_t *count) {
    if (s == 0) {
        *count = 0;
        return NULL;
    }
    size_t len;
    const char *bytes = fl_interned(in, s, &len);
    *count = (len - 1) / sizeof(uint64_t);
    return (const uint64_t *)(const void *)bytes;
}

static uint64_t intern_elements(fl_interner *in, char tag, const uint64_t *ids, size_t n) {
    if (n == 0) return 0;
    size_t len = 1 + n * sizeof(uint64_t);
    char *buf = malloc(len);
    if (!buf) return FL_INTERN_FAILED;
    memcpy(buf, ids, n * sizeof(uint64_t));
    buf[n * sizeof(uint64_t)] = tag;
    uint64_t id = fl_intern(in, buf, len);
    free(buf);
    return id;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Intern a read's JSON array as a sequence (or, with as_set, sorted and deduplicated). */
static uint64_t intern_read(fl_interner *in, const json_t *v, char tag, bool as_set) {
    if (!v || json_is_null(v)) return 0;
    if (!json_is_array(v)) return FL_INTERN_FAILED - 1; /* caller reports the shape */
    size_t n = json_array_size(v);
    uint64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!ids) return FL_INTERN_FAILED;
    for (size_t i = 0; i < n; i++) ids[i] = fl_intern_json(in, json_array_get(v, i));
    if (as_set && n > 1) {
        qsort(ids, n, sizeof *ids, cmp_u64);
        size_t kept = 1;
        for (size_t i = 1; i < n; i++)
            if (ids[i] != ids[kept - 1]) ids[kept++] = ids[i];
        n = kept;
    }
    uint64_t id = intern_elements(in, tag, ids, n);
    free(ids);
    return id;
}

static fl_prepare_rc finish(fl_call *c, const char **why) {
    if (c->out == FL_INTERN_FAILED - 1) {
        *why = "a read must return an array (the whole collection) or nil";
        return FL_PREPARE_ERROR;
    }
    if (c->out == FL_INTERN_FAILED || c->arg[0] == FL_INTERN_FAILED) {
        *why = "out of memory";
        return FL_PREPARE_ERROR;
    }
    return FL_PREPARE_USE;
}

static const json_t *input(const fl_op *inv, const fl_op *ok) {
    return inv->value && !json_is_null(inv->value) ? inv->value : (ok ? ok->value : NULL);
}

static fl_prepare_rc prepare_sequence(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                      fl_call *c, const char **why, const char *add_f,
                                      char tag, bool as_set) {
    if (fl_f_is(inv, "read")) {
        if (!ok) return FL_PREPARE_SKIP;
        c->code = OP_READ;
        c->read_only = 1;
        c->out = intern_read(in, ok->value, tag, as_set);
        return finish(c, why);
    }
    if (!fl_f_is(inv, add_f)) {
        *why = as_set ? "set takes add and read" : "list-append takes append and read";
        return FL_PREPARE_ERROR;
    }
    const json_t *v = input(inv, ok);
    if (!v || json_is_null(v)) {
        *why = "the element to add must not be nil";
        return FL_PREPARE_ERROR;
    }
    c->code = OP_ADD;
    c->arg[0] = fl_intern_json(in, v);
    return finish(c, why);
}

static fl_prepare_rc prepare_list(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                  fl_call *c, const char **why) {
    return prepare_sequence(in, inv, ok, c, why, "append", 'l', false);
}

static fl_prepare_rc prepare_set(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                 fl_call *c, const char **why) {
    return prepare_sequence(in, inv, ok, c, why, "add", 'S', true);
}

static fl_state init_empty(fl_interner *in) {
    (void)in;
    return 0;
}

/* Append one id to a sequence state (or insert it in order, for a set). */
static int push_element(fl_interner *in, fl_state s, uint64_t id, char tag, bool as_set,
                        fl_state *next) {
    uint64_t known = fl_derived_get(in, (uint32_t)tag, s, id);
    if (known != FL_INTERN_FAILED) {
        *next = known;
        return 1;
    }
    size_t n;
    const uint64_t *old = elements(in, s, &n);
    uint64_t *ids = malloc((n + 1) * sizeof *ids);
    if (!ids) return -1;
    size_t at = n;
    if (as_set) {
        for (at = 0; at < n && old[at] < id; at++) {
        }
        if (at < n && old[at] == id) { /* already present: adding changes nothing */
            free(ids);
            *next = s;
            return 1;
        }
    }
    if (n) memcpy(ids, old, at * sizeof *ids);
    ids[at] = id;
    if (n > at) memcpy(ids + at + 1, old + at, (n - at) * sizeof *ids);
    *next = intern_elements(in, tag, ids, n + 1);
    free(ids);
    fl_derived_put(in, (uint32_t)tag, s, id, *next);
    return *next == FL_INTERN_FAILED ? -1 : 1;
}

static int step_list(fl_interner *in, fl_state s, const fl_call *c, fl_state *next) {
    if (c->code == OP_READ) {
        *next = s;
        return s == c->out;
    }
    return push_element(in, s, c->arg[0], 'l', false, next);
}

static int step_set(fl_interner *in, fl_state s, const fl_call *c, fl_state *next) {
    if (c->code == OP_READ) {
        *next = s;
        return s == c->out;
    }
    return push_element(in, s, c->arg[0], 'S', true, next);
}

static json_t *describe_sequence(const fl_interner *in, fl_state s) {
    size_t n;
    const uint64_t *ids = elements(in, s, &n);
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) json_array_append_new(list, fl_interned_json(in, ids[i]));
    return list;
}

/* counter: the state is the count itself (an int64 stored in the id). */
static fl_prepare_rc prepare_counter(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                     fl_call *c, const char **why) {
    (void)in;
    if (fl_f_is(inv, "read")) {
        if (!ok) return FL_PREPARE_SKIP;
        if (!json_is_integer(ok->value)) {
            *why = "a counter read must return an integer";
            return FL_PREPARE_ERROR;
        }
        c->code = OP_READ;
        c->read_only = 1;
        c->out = (uint64_t)json_integer_value(ok->value);
        return FL_PREPARE_USE;
    }
    const json_t *v = input(inv, ok);
    c->code = OP_ADD;
    if (fl_f_is(inv, "increment") && (!v || json_is_null(v))) {
        c->arg[0] = 1;
    } else if ((fl_f_is(inv, "add") || fl_f_is(inv, "increment")) && json_is_integer(v)) {
        c->arg[0] = (uint64_t)json_integer_value(v);
    } else {
        *why = "counter takes add N (or increment) and read";
        return FL_PREPARE_ERROR;
    }
    return FL_PREPARE_USE;
}

static int step_counter(fl_interner *in, fl_state s, const fl_call *c, fl_state *next) {
    (void)in;
    *next = c->code == OP_READ ? s : s + c->arg[0]; /* unsigned: wraps like int64 */
    return c->code != OP_READ || s == c->out;
}

static json_t *describe_counter(const fl_interner *in, fl_state s) {
    (void)in;
    return json_integer((json_int_t)s);
}

static fl_prepare_rc prepare_queue(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                   fl_call *c, const char **why) {
    if (fl_f_is(inv, "enqueue")) {
        const json_t *v = input(inv, ok);
        if (!v || json_is_null(v)) {
            *why = "cannot enqueue nil";
            return FL_PREPARE_ERROR;
        }
        c->code = OP_ENQUEUE;
        c->arg[0] = fl_intern_json(in, v);
    } else if (fl_f_is(inv, "dequeue")) {
        c->code = OP_DEQUEUE;
        c->out = ok ? fl_intern_json(in, ok->value) : 0; /* nil: the queue was empty */
    } else {
        *why = "fifo-queue takes enqueue and dequeue";
        return FL_PREPARE_ERROR;
    }
    return finish(c, why);
}

static int step_queue(fl_interner *in, fl_state s, const fl_call *c, fl_state *next) {
    if (c->code == OP_ENQUEUE) return push_element(in, s, c->arg[0], 'q', false, next);
    size_t n;
    const uint64_t *ids = elements(in, s, &n);
    if (!fl_call_known(c)) { /* an unknown dequeue may have taken the head */
        if (n == 0) return 0;
    } else if (c->out == 0 || n == 0) {
        *next = s;
        return c->out == 0 && n == 0;
    } else if (ids[0] != c->out) {
        return 0;
    }
    *next = intern_elements(in, 'q', ids + 1, n - 1);
    return *next == FL_INTERN_FAILED ? -1 : 1;
}

static fl_prepare_rc prepare_mutex(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                   fl_call *c, const char **why) {
    (void)in;
    (void)ok;
    if (fl_f_is(inv, "acquire")) {
        c->code = OP_ACQUIRE;
    } else if (fl_f_is(inv, "release")) {
        c->code = OP_RELEASE;
    } else {
        *why = "mutex takes acquire and release";
        return FL_PREPARE_ERROR;
    }
    return FL_PREPARE_USE;
}

static int step_mutex(fl_interner *in, fl_state s, const fl_call *c, fl_state *next) {
    (void)in;
    bool acquire = c->code == OP_ACQUIRE;
    *next = acquire ? 1 : 0;
    return acquire ? s == 0 : s == 1;
}

static json_t *describe_mutex(const fl_interner *in, fl_state s) {
    (void)in;
    return json_string(s ? "held" : "free");
}

/* Reads (and dequeues) observe the elements they return. */
static int observe_elements(const fl_interner *in, const fl_call *c, fl_idset *seen) {
    if (c->code == OP_DEQUEUE) return fl_idset_add(seen, c->out);
    if (c->code != OP_READ) return 0;
    size_t n;
    const uint64_t *ids = elements(in, c->out, &n);
    for (size_t i = 0; i < n; i++)
        if (fl_idset_add(seen, ids[i]) != 0) return -1;
    return 0;
}

static bool observable_element(const fl_interner *in, const fl_call *c, const fl_idset *seen) {
    (void)in;
    return (c->code != OP_ADD && c->code != OP_ENQUEUE) || fl_idset_has(seen, c->arg[0]);
}

const fl_model fl_model_list_append = {
    .name = "list-append",
    .summary = "append ELEMENT, read -> [whole list] (a list per key)",
    .prepare = prepare_list, .init = init_empty, .step = step_list,
    .describe = describe_sequence, .observe = observe_elements,
    .observable = observable_element,
};

const fl_model fl_model_set = {
    .name = "set",
    .summary = "add ELEMENT, read -> [whole set] (a set per key)",
    .prepare = prepare_set, .init = init_empty, .step = step_set,
    .describe = describe_sequence, .observe = observe_elements,
    .observable = observable_element,
};

const fl_model fl_model_counter = {
    .name = "counter",
    .summary = "add N (or increment), read -> N (a counter per key, starting at 0)",
    .prepare = prepare_counter, .init = init_empty, .step = step_counter,
    .describe = describe_counter,
};

const fl_model fl_model_fifo_queue = {
    .name = "fifo-queue",
    .summary = "enqueue ELEMENT, dequeue -> ELEMENT or nil when empty (a queue per key)",
    .prepare = prepare_queue, .init = init_empty, .step = step_queue,
    .describe = describe_sequence, .observe = observe_elements,
    .observable = observable_element,
};

const fl_model fl_model_mutex = {
    .name = "mutex",
    .summary = "acquire, release (a lock per key, starting free)",
    .prepare = prepare_mutex, .init = init_empty, .step = step_mutex,
    .describe = describe_mutex,
};
