/* The session rules on register keys (session.h): one pass in history order. Each
 * (process, key) keeps what its session wrote and read last, and two sets of facts
 * about values, learnt from the session's own ops:
 *   overwritten  values a later read of the session must not return (ryw): replaced by
 *                its own ok cas, or (with mw / wfr claimed) written or read by it before
 *                one of its own writes;
 *   superseded   values the session read and then saw replaced by another value (mr).
 * Facts are kept in one hash map keyed by (value id, session and set), each with the
 * ops that prove it, so a violating read is explained by naming them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session_internal.h"
#include "strpool.h"

#define NULL_VALUE (-3) /* the initial value (-1 is out of memory) */
#define NO_VALUE (-2)   /* nothing read yet */

enum { FACT_OVERWRITTEN = 0, FACT_SUPERSEDED = 1 };
/* Why a value is overwritten for a session (the rule a read of it breaks). */
enum { BY_OWN_CAS, BY_OWN_WRITE_MW, BY_OWN_WRITE_WFR, BY_READ_CHANGE };

typedef struct reg_value {
    const json_t *json; /* borrowed from the history */
    int64_t writer;     /* invocation of its write or cas that did not fail, or -1 */
} reg_value;

/* One process on one register key. Value ids index registers.values. */
typedef struct reg_session {
    int64_t process, group;
    int64_t last_write_value;      /* latest ok write or cas of the session, or -1 */
    int64_t last_write_pos;        /* its invocation */
    int64_t last_read_value;       /* latest ok read: a value id, NULL_VALUE or NO_VALUE */
    int64_t last_read_pos;         /* its invocation */
    int64_t last_nonnull_read_pos; /* invocation of the latest read of a value, or -1 */
    int64_t reads_since_write;     /* newest entry in registers.pending, or -1 */
} reg_session;

typedef struct fact {
    int64_t first_pos, second_pos; /* invocations proving it (second -1 if one) */
    uint8_t why;                   /* BY_* */
} fact;

/* A value the session read since its last write: overwritten by its next write (wfr). */
typedef struct pending_read {
    int64_t value, pos, older;
} pending_read;

struct registers {
    fl_strmap *value_ids; /* group (8 bytes) + canonical JSON text -> value id */
    reg_value *values;
    size_t n_values, cap_values;
    reg_session *sessions;
    size_t n_sessions, cap_sessions;
    fl_pairmap fact_ids; /* (value id, 2 * session + FACT_*) -> fact */
    fact *facts;
    size_t n_facts, cap_facts;
    pending_read *pending;
    size_t n_pending, cap_pending;
    char *buf;
    size_t buf_cap;
};

registers *registers_new(void) {
    registers *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->value_ids = fl_strmap_new();
    if (!r->value_ids) {
        free(r);
        return NULL;
    }
    return r;
}

void registers_free(registers *r) {
    if (!r) return;
    fl_strmap_free(r->value_ids);
    fl_pairmap_free(&r->fact_ids);
    free(r->values);
    free(r->sessions);
    free(r->facts);
    free(r->pending);
    free(r->buf);
    free(r);
}

/* The id of value on the key of group (added when new); -1 on OOM. */
static int64_t value_id(registers *r, int64_t group, const json_t *value) {
    char number[32];
    char *dumped = NULL;
    const char *text = number;
    size_t len;
    if (json_is_integer(value)) {
        len = (size_t)snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT,
                               json_integer_value(value));
    } else {
        dumped = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (!dumped) return -1;
        text = dumped;
        len = strlen(dumped);
    }
    int64_t id = -1;
    if (fl_grow((void **)&r->buf, &r->buf_cap, len + 8, 1) == 0 &&
        fl_grow((void **)&r->values, &r->cap_values, r->n_values + 1, sizeof *r->values) == 0) {
        memcpy(r->buf, &group, 8);
        memcpy(r->buf + 8, text, len);
        id = fl_strmap_put(r->value_ids, r->buf, len + 8, (int64_t)r->n_values);
        if (id == (int64_t)r->n_values) {
            r->values[r->n_values].json = value;
            r->values[r->n_values++].writer = -1;
        }
    }
    free(dumped);
    return id < 0 ? -1 : id;
}

static reg_session *session_of(checker *c, registers *r, int64_t process, int64_t group) {
    if (fl_grow((void **)&r->sessions, &r->cap_sessions, r->n_sessions + 1,
                   sizeof *r->sessions) != 0)
        return NULL;
    int64_t id = fl_pairmap_put(&c->sessions, process, (uint32_t)group, (uint32_t)r->n_sessions);
    if (id < 0) return NULL;
    if (id == (int64_t)r->n_sessions) {
        reg_session *s = &r->sessions[r->n_sessions++];
        s->process = process;
        s->group = group;
        s->last_write_value = s->last_write_pos = -1;
        s->last_read_value = NO_VALUE;
        s->last_read_pos = s->last_nonnull_read_pos = s->reads_since_write = -1;
    }
    return &r->sessions[id];
}

static uint32_t fact_tag(const registers *r, const reg_session *s, int set) {
    return (uint32_t)(2 * (size_t)(s - r->sessions) + (size_t)set);
}

/* Remember a fact unless one is known for the value already; 0 or -1 on OOM. */
static int learn(registers *r, const reg_session *s, int set, int64_t value, uint8_t why,
                 int64_t first_pos, int64_t second_pos) {
    if (fl_grow((void **)&r->facts, &r->cap_facts, r->n_facts + 1, sizeof *r->facts) != 0)
        return -1;
    int64_t id = fl_pairmap_put(&r->fact_ids, value, fact_tag(r, s, set), (uint32_t)r->n_facts);
    if (id < 0) return -1;
    if (id == (int64_t)r->n_facts) r->facts[r->n_facts++] = (fact){first_pos, second_pos, why};
    return 0;
}

static const fact *known(const registers *r, const reg_session *s, int set, int64_t value) {
    int64_t id = fl_pairmap_get(&r->fact_ids, value, fact_tag(r, s, set));
    return id < 0 ? NULL : &r->facts[id];
}

/* The value a write or cas invocation writes (NULL when malformed). */
static const json_t *written_value(const fl_op *inv) {
    if (!strcmp(inv->f, "cas")) return json_array_get(inv->value, 1);
    return inv->value;
}

/* A write or cas invocation: check its shape, and that its value is new on the key. */
static int write_invoked(checker *c, registers *r, size_t pos) {
    const fl_op *inv = &c->h->ops[pos];
    bool cas = !strcmp(inv->f, "cas");
    if (cas && (!json_is_array(inv->value) || json_array_size(inv->value) != 2))
        return refuse(c, pos, "cas", "has a value that is not [old, new]");
    const json_t *value = written_value(inv);
    if (!value || json_is_null(value))
        return refuse(c, pos, inv->f, "%s: null is every key's initial value, and written "
                      "values must be unique", value ? "writes null" : "has no value");
    int outcome = inv->pair == FL_NO_PAIR ? FL_INFO : c->h->ops[inv->pair].type;
    if (outcome == FL_FAIL) return 0; /* it did not happen */
    int64_t id = value_id(r, op_group(c->h, inv), value);
    if (id < 0) return out_of_memory(c);
    reg_value *v = &r->values[id];
    if (v->writer >= 0) {
        char text[128];
        value_text(value, text, sizeof text);
        return refuse(c, pos, inv->f, "writes %s, which the %s at index %lld already wrote to "
                      "the key: the session checker needs unique written values per key",
                      text, c->h->ops[v->writer].f, op_index(c, v->writer));
    }
    v->writer = (int64_t)pos;
    return 0;
}

/* An ok write or cas: the values it overwrote, for the session's later reads. */
static int write_acknowledged(checker *c, registers *r, size_t done_pos) {
    const fl_op *done = &c->h->ops[done_pos];
    int64_t inv_pos = done->pair;
    const fl_op *inv = &c->h->ops[inv_pos];
    int64_t group = op_group(c->h, inv);
    reg_session *s = session_of(c, r, inv->process, group);
    int64_t written = value_id(r, group, written_value(inv));
    if (!s || written < 0) return out_of_memory(c);
    if (!strcmp(inv->f, "cas")) {
        const json_t *old = json_array_get(inv->value, 0);
        int64_t old_id = json_is_null(old) ? NULL_VALUE : value_id(r, group, old);
        if (old_id == -1) return out_of_memory(c);
        if (old_id >= 0 && learn(r, s, FACT_OVERWRITTEN, old_id, BY_OWN_CAS, inv_pos, -1) != 0)
            return out_of_memory(c);
    }
    if (is_claimed(c, G_MW) && s->last_write_value >= 0 &&
        learn(r, s, FACT_OVERWRITTEN, s->last_write_value, BY_OWN_WRITE_MW, s->last_write_pos,
              inv_pos) != 0)
        return out_of_memory(c);
    for (int64_t p = s->reads_since_write; p >= 0; p = r->pending[p].older) {
        const pending_read *read = &r->pending[p];
        if (learn(r, s, FACT_OVERWRITTEN, read->value, BY_OWN_WRITE_WFR, read->pos, inv_pos) != 0)
            return out_of_memory(c);
    }
    s->reads_since_write = -1;
    s->last_write_value = written;
    s->last_write_pos = inv_pos;
    return 0;
}

/* ryw: the read returned null after an own write, or a value the session overwrote. */
static void check_read_your_writes(checker *c, registers *r, const reg_session *s,
                                   int64_t value, int64_t read_pos) {
    char key[96], a[96], b[96];
    const fl_history *h = c->h;
    long long p = (long long)s->process;
    if (value == NULL_VALUE) {
        if (s->last_write_pos < 0 || !violation_count(c, G_RYW)) return;
        int64_t ops[2] = {s->last_write_pos, read_pos};
        key_text(c, s->group, key, sizeof key);
        value_text(written_value(&h->ops[ops[0]]), a, sizeof a);
        violation_show(c, G_RYW, "initial-after-own-write", s->group, s->process, ops, 2,
                       "Process %lld wrote %s to key %s (%s, index %lld, ok), then read null, "
                       "the initial value (index %lld).",
                       p, a, key, h->ops[ops[0]].f, op_index(c, ops[0]), op_index(c, read_pos));
        return;
    }
    const fact *f = value >= 0 ? known(r, s, FACT_OVERWRITTEN, value) : NULL;
    if (!f || !violation_count(c, G_RYW)) return;
    key_text(c, s->group, key, sizeof key);
    value_text(r->values[value].json, a, sizeof a);
    if (f->why == BY_OWN_CAS) {
        int64_t ops[2] = {f->first_pos, read_pos};
        value_text(written_value(&h->ops[f->first_pos]), b, sizeof b);
        violation_show(c, G_RYW, "own-cas-overwritten", s->group, s->process, ops, 2,
                       "Process %lld's cas from %s to %s on key %s (index %lld) succeeded, then "
                       "it read %s (index %lld), the value its cas replaced.",
                       p, a, b, key, op_index(c, f->first_pos), a, op_index(c, read_pos));
        return;
    }
    int64_t ops[3] = {f->first_pos, f->second_pos, read_pos};
    value_text(written_value(&h->ops[f->second_pos]), b, sizeof b);
    bool mw = f->why == BY_OWN_WRITE_MW;
    violation_show(c, G_RYW, mw ? "own-write-overwritten" : "read-value-overwritten", s->group,
                   s->process, ops, 3,
                   "Process %lld %s %s %s key %s (index %lld), then wrote %s (index %lld), then "
                   "read %s (index %lld): the read missed its write of %s (ryw) or that write "
                   "was ordered before %s (%s).",
                   p, mw ? "wrote" : "read", a, mw ? "to" : "from", key, op_index(c, ops[0]), b,
                   op_index(c, ops[1]), a, op_index(c, read_pos), b, a, mw ? "mw" : "wfr");
}

/* mr: the read returned null after a value, or a value the session saw replaced. */
static void check_monotonic_reads(checker *c, registers *r, const reg_session *s,
                                  int64_t value, int64_t read_pos) {
    char key[96], a[96], b[96];
    const fl_history *h = c->h;
    if (value == NULL_VALUE) {
        if (s->last_nonnull_read_pos < 0 || !violation_count(c, G_MR)) return;
        int64_t ops[2] = {s->last_nonnull_read_pos, read_pos};
        key_text(c, s->group, key, sizeof key);
        value_text(h->ops[h->ops[ops[0]].pair].value, a, sizeof a);
        violation_show(c, G_MR, "initial-after-read", s->group, s->process, ops, 2,
                       "Process %lld read %s from key %s (index %lld), then null, the initial "
                       "value (index %lld).",
                       (long long)s->process, a, key, op_index(c, ops[0]), op_index(c, read_pos));
        return;
    }
    const fact *f = value >= 0 ? known(r, s, FACT_SUPERSEDED, value) : NULL;
    if (!f || !violation_count(c, G_MR)) return;
    int64_t ops[3] = {f->first_pos, f->second_pos, read_pos};
    key_text(c, s->group, key, sizeof key);
    value_text(r->values[value].json, a, sizeof a);
    value_text(h->ops[h->ops[f->second_pos].pair].value, b, sizeof b);
    violation_show(c, G_MR, "read-value-reverted", s->group, s->process, ops, 3,
                   "Process %lld read %s from key %s (index %lld), then %s (index %lld), then "
                   "%s again (index %lld).",
                   (long long)s->process, a, key, op_index(c, ops[0]), b, op_index(c, ops[1]), a,
                   op_index(c, read_pos));
}

static int read_completed(checker *c, registers *r, size_t done_pos) {
    const fl_op *done = &c->h->ops[done_pos];
    int64_t inv_pos = done->pair;
    const fl_op *inv = &c->h->ops[inv_pos];
    if (!done->value)
        return refuse(c, done_pos, "ok read", "has no value: an ok read of a register carries "
                      "the value read (null for the initial value)");
    int64_t group = op_group(c->h, inv);
    reg_session *s = session_of(c, r, inv->process, group);
    int64_t value = json_is_null(done->value) ? NULL_VALUE : value_id(r, group, done->value);
    if (!s || value == -1) return out_of_memory(c);
    c->reads++;
    if (is_claimed(c, G_RYW)) check_read_your_writes(c, r, s, value, inv_pos);
    if (is_claimed(c, G_MR)) check_monotonic_reads(c, r, s, value, inv_pos);
    /* The session saw its last value replaced: that value is superseded for it. */
    /* Only a non-null value can be ordered after a: null is the initial value, which
     * initial-after-read reports. */
    if (s->last_read_value >= 0 && value >= 0 && s->last_read_value != value &&
        learn(r, s, FACT_SUPERSEDED, s->last_read_value, BY_READ_CHANGE, s->last_read_pos,
              inv_pos) != 0)
        return out_of_memory(c);
    if (value >= 0) s->last_nonnull_read_pos = inv_pos;
    s->last_read_value = value;
    s->last_read_pos = inv_pos;
    if (value >= 0 && is_claimed(c, G_WFR)) {
        if (fl_grow((void **)&r->pending, &r->cap_pending, r->n_pending + 1,
                       sizeof *r->pending) != 0)
            return out_of_memory(c);
        r->pending[r->n_pending] = (pending_read){value, inv_pos, s->reads_since_write};
        s->reads_since_write = (int64_t)r->n_pending++;
    }
    return 0;
}

int registers_op(checker *c, registers *r, size_t pos) {
    const fl_op *op = &c->h->ops[pos];
    const fl_op *inv = op->type == FL_INVOKE ? op : &c->h->ops[op->pair];
    bool write = !strcmp(inv->f, "write") || !strcmp(inv->f, "cas");
    if (write && op->type == FL_INVOKE) return write_invoked(c, r, pos);
    if (write && op->type == FL_OK) return write_acknowledged(c, r, pos);
    if (!strcmp(inv->f, "read") && op->type == FL_OK) return read_completed(c, r, pos);
    return 0;
}
