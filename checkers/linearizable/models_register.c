/* Register models: register (read, write), cas-register (+ cas [old new]), kv
 * (+ append, string append as in Redis APPEND) and fenced-register (the lock workload's
 * guarded register: reads, writes and peeks whose values carry a token), each checked
 * per key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly.h"
#include "model.h"

enum { OP_READ, OP_WRITE, OP_CAS, OP_APPEND };
enum { ALLOW_CAS = 1, ALLOW_APPEND = 2 };

/* kv keeps strings as raw bytes tagged 's' so append can concatenate them; other
 * values (and every value of the plain registers) are canonical JSON tagged 'j'. */
static uint64_t kv_value(fl_interner *in, const json_t *v) {
    if (!json_is_string(v)) return fl_intern_json(in, v);
    size_t len = json_string_length(v);
    char *tagged = malloc(len + 1);
    if (!tagged) return FL_INTERN_FAILED;
    tagged[0] = 's';
    memcpy(tagged + 1, json_string_value(v), len);
    uint64_t id = fl_intern(in, tagged, len + 1);
    free(tagged);
    return id;
}

static uint64_t encode(fl_interner *in, const json_t *v, int allow) {
    return (allow & ALLOW_APPEND) ? kv_value(in, v) : fl_intern_json(in, v);
}

static fl_prepare_rc prepare_with(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                  fl_call *c, const char **why, int allow) {
    /* The invocation says what is written; an ok completion may say it when the
     * invocation left it out (nil), as the verifier also reads it. */
    const json_t *value = inv->value && !json_is_null(inv->value) ? inv->value
                          : ok && ok->value                      ? ok->value
                                                                 : inv->value;
    if (fl_f_is(inv, "read") || fl_f_is(inv, "get")) {
        if (!ok) return FL_PREPARE_SKIP; /* an unknown read changes nothing */
        if (!ok->value) {
            *why = "an ok read must carry the value it read";
            return FL_PREPARE_ERROR;
        }
        c->code = OP_READ;
        c->read_only = 1;
        c->out = encode(in, ok->value, allow);
    } else if (fl_f_is(inv, "write") || fl_f_is(inv, "put")) {
        c->code = OP_WRITE;
        c->arg[0] = encode(in, value, allow);
    } else if ((allow & ALLOW_CAS) && fl_f_is(inv, "cas")) {
        if (!json_is_array(value) || json_array_size(value) != 2) {
            *why = "cas takes [old new]";
            return FL_PREPARE_ERROR;
        }
        c->code = OP_CAS;
        c->arg[0] = encode(in, json_array_get(value, 0), allow);
        c->arg[1] = encode(in, json_array_get(value, 1), allow);
    } else if ((allow & ALLOW_APPEND) && fl_f_is(inv, "append")) {
        if (!json_is_string(value)) {
            *why = "kv append takes a string (use the list-append model for lists)";
            return FL_PREPARE_ERROR;
        }
        c->code = OP_APPEND;
        c->arg[0] = kv_value(in, value);
    } else {
        *why = (allow & ALLOW_APPEND) ? "kv takes read, write, cas and append"
               : (allow & ALLOW_CAS)  ? "cas-register takes read, write and cas"
                                      : "register takes read and write";
        return FL_PREPARE_ERROR;
    }
    if (c->out == FL_INTERN_FAILED || c->arg[0] == FL_INTERN_FAILED ||
        c->arg[1] == FL_INTERN_FAILED) {
        *why = "out of memory";
        return FL_PREPARE_ERROR;
    }
    return FL_PREPARE_USE;
}

static fl_prepare_rc prepare_register(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                      fl_call *c, const char **why) {
    return prepare_with(in, inv, ok, c, why, 0);
}

static fl_prepare_rc prepare_cas_register(fl_interner *in, const fl_op *inv,
                                          const fl_op *ok, fl_call *c, const char **why) {
    return prepare_with(in, inv, ok, c, why, ALLOW_CAS);
}

static fl_prepare_rc prepare_kv(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                fl_call *c, const char **why) {
    return prepare_with(in, inv, ok, c, why, ALLOW_CAS | ALLOW_APPEND);
}

/* The lock workload's resource (DESIGN.md "Targets", lockd): read and write carry
 * {"token", "value", …} and the register is the "value" field (a read's or peek's ok
 * completion says what it found); a write's token decides nothing here (a rejected
 * write failed: no effect); acquire, renew and release do not touch the register. */
static fl_prepare_rc prepare_fenced(fl_interner *in, const fl_op *inv, const fl_op *ok,
                                    fl_call *c, const char **why) {
    if (fl_f_is(inv, "acquire") || fl_f_is(inv, "renew") || fl_f_is(inv, "release"))
        return FL_PREPARE_SKIP;
    bool reads = fl_f_is(inv, "read") || fl_f_is(inv, "peek");
    if (!reads && !fl_f_is(inv, "write")) {
        *why = "fenced-register takes read, peek and write (and ignores lock ops)";
        return FL_PREPARE_ERROR;
    }
    if (reads && !ok) return FL_PREPARE_SKIP; /* an unknown read changes nothing */
    const json_t *carrier = reads ? ok->value : inv->value;
    const json_t *value = json_object_get(carrier, "value");
    if (!json_is_object(carrier) || !value) {
        *why = reads ? "an ok read or peek must carry {\"value\": …}"
                     : "a write must carry {\"token\", \"value\"}";
        return FL_PREPARE_ERROR;
    }
    c->code = reads ? OP_READ : OP_WRITE;
    c->read_only = reads;
    uint64_t id = fl_intern_json(in, value);
    if (reads) c->out = id;
    else c->arg[0] = id;
    if (id == FL_INTERN_FAILED) {
        *why = "out of memory";
        return FL_PREPARE_ERROR;
    }
    return FL_PREPARE_USE;
}

static fl_state init_nil(fl_interner *in) {
    (void)in;
    return 0;
}

/* Concatenate the string state s and the string id arg (both 's'-tagged). */
static int append_string(fl_interner *in, fl_state s, uint64_t arg, fl_state *next) {
    if (s == 0) {
        *next = arg;
        return 1;
    }
    uint64_t known = fl_derived_get(in, 's', s, arg);
    if (known != FL_INTERN_FAILED) {
        *next = known;
        return known != 0; /* 0 remembers "not a string": not legal */
    }
    size_t a_len, b_len;
    const char *a = fl_interned(in, s, &a_len);
    const char *b = fl_interned(in, arg, &b_len);
    if (a[0] != 's') { /* appending to a non-string value: not legal */
        fl_derived_put(in, 's', s, arg, 0);
        return 0;
    }
    char *joined = malloc(a_len + b_len - 1);
    if (!joined) return -1;
    memcpy(joined, a, a_len);
    memcpy(joined + a_len, b + 1, b_len - 1);
    *next = fl_intern(in, joined, a_len + b_len - 1);
    free(joined);
    fl_derived_put(in, 's', s, arg, *next);
    return *next == FL_INTERN_FAILED ? -1 : 1;
}

static int step_register(fl_interner *in, fl_state s, const fl_call *c, fl_state *next) {
    switch (c->code) {
    case OP_READ:
        *next = s;
        return s == c->out;
    case OP_WRITE:
        *next = c->arg[0];
        return 1;
    case OP_CAS: /* an ok cas took effect; an unknown one may have, if old matched */
        *next = c->arg[1];
        return s == c->arg[0];
    case OP_APPEND:
        return append_string(in, s, c->arg[0], next);
    }
    return 0;
}

static json_t *describe_register(const fl_interner *in, fl_state s) {
    if (s == 0) return json_null();
    size_t len;
    const char *bytes = fl_interned(in, s, &len);
    if (bytes[0] == 's') return json_stringn(bytes + 1, len - 1);
    return fl_interned_json(in, s);
}

static void text_of(const fl_interner *in, uint64_t id, char *buf, size_t len) {
    json_t *j = describe_register(in, id);
    char *t = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    snprintf(buf, len, "%s", t ? t : "?");
    free(t);
}

/* Why step_register said no, in the register's words. */
static void explain_register(const fl_interner *in, fl_state s, const fl_call *c, char *buf,
                             size_t len) {
    char held[160], want[160];
    text_of(in, s, held, sizeof held);
    if (c->code == OP_READ || c->code == OP_CAS) {
        text_of(in, c->code == OP_READ ? c->out : c->arg[0], want, sizeof want);
        snprintf(buf, len, "%s expects %s, the register holds %s",
                 c->code == OP_READ ? "read" : "cas", want, held);
    } else {
        snprintf(buf, len, "%s needs a string, the register holds %s",
                 c->code == OP_APPEND ? "append" : "write", held);
    }
}

/* Reads observe the value they return; a cas observes its expected old value. */
static int observe_register(const fl_interner *in, const fl_call *c, fl_idset *seen) {
    (void)in;
    if (c->code == OP_READ) return fl_idset_add(seen, c->out);
    if (c->code == OP_CAS) return fl_idset_add(seen, c->arg[0]);
    return 0;
}

static bool observable_register(const fl_interner *in, const fl_call *c, const fl_idset *seen) {
    (void)in;
    if (c->code == OP_WRITE) return fl_idset_has(seen, c->arg[0]);
    if (c->code == OP_CAS) return fl_idset_has(seen, c->arg[1]);
    return true;
}

const fl_model fl_model_register = {
    .name = "register",
    .summary = "read, write (a register per key; reads of a key never written see nil)",
    .prepare = prepare_register, .init = init_nil, .step = step_register,
    .describe = describe_register, .observe = observe_register,
    .observable = observable_register, .explain = explain_register,
    .anomaly = fl_register_anomaly,
};

const fl_model fl_model_cas_register = {
    .name = "cas-register",
    .summary = "read, write, cas [old new] (a compare-and-set register per key)",
    .prepare = prepare_cas_register, .init = init_nil, .step = step_register,
    .describe = describe_register, .observe = observe_register,
    .observable = observable_register, .explain = explain_register,
    .anomaly = fl_register_anomaly,
};

const fl_model fl_model_kv = {
    .name = "kv",
    .summary = "read, write, cas [old new], append STRING (per key, as Redis APPEND)",
    .prepare = prepare_kv, .init = init_nil, .step = step_register,
    .describe = describe_register, .explain = explain_register,
    .anomaly = fl_register_anomaly, /* none on a key with appends */
};

const fl_model fl_model_fenced_register = {
    .name = "fenced-register",
    .summary = "read {token} / peek -> {value}, write {token, value} (the lock workload's "
               "guarded register; acquire, renew and release are skipped)",
    .prepare = prepare_fenced, .init = init_nil, .step = step_register,
    .describe = describe_register, .observe = observe_register,
    .observable = observable_register, .explain = explain_register,
};
