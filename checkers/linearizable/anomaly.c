/* The known shapes of a register anomaly, found from the history around the failing
 * op (see anomaly.h for each shape and why it is certain). */
#include "anomaly.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VALUE_TEXT_BYTES 96
#define SENTENCE_BYTES 768

enum { K_READ, K_WRITE, K_CAS };

/* snprintf for sentences: a too-long one is cut, which is all a reader loses. */
__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t len, const char *fmt,
                                                      ...) {
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

/* One op of the key, as the shapes see it. */
typedef struct reg_op {
    int64_t inv, done;   /* positions of invocation and completion (done -1: none) */
    int kind;
    int outcome;         /* FL_OK, FL_FAIL or FL_INFO (never completed counts as info) */
    const json_t *seen;  /* read: the value returned; cas: the old value expected */
    const json_t *wrote; /* write: the value; cas: the new value */
} reg_op;

void fl_format_ms(int64_t ns, char *buf, size_t len) {
    double ms = (double)ns / 1e6, a = ms < 0 ? -ms : ms;
    if (ns == 0) say(buf, len, "0 s");
    else if (a >= 1000) say(buf, len, "%.*f s", a >= 100000 ? 1 : 3, ms / 1000);
    else if (a >= 1) say(buf, len, "%.*f ms", a >= 100 ? 1 : 2, ms);
    else say(buf, len, "%.1f \xC2\xB5s", ms * 1000);
}

static bool same(const json_t *a, const json_t *b) {
    if (!a || !b) return (!a || json_is_null(a)) && (!b || json_is_null(b));
    return json_equal(a, b);
}

/* Read the key's ops; false when one is not a register op (a kv append). */
static bool collect(const fl_history *h, const int64_t *invokes, size_t n, reg_op *out) {
    for (size_t i = 0; i < n; i++) {
        const fl_op *inv = &h->ops[invokes[i]];
        const fl_op *done = inv->pair == FL_NO_PAIR ? NULL : &h->ops[inv->pair];
        const json_t *v = inv->value && !json_is_null(inv->value) ? inv->value
                          : done && done->value                   ? done->value
                                                                  : inv->value;
        reg_op *o = &out[i];
        memset(o, 0, sizeof *o);
        o->inv = invokes[i];
        o->done = done ? inv->pair : -1;
        o->outcome = done && done->type != FL_INFO ? done->type : FL_INFO;
        if (fl_f_is(inv, "read") || fl_f_is(inv, "get")) {
            o->kind = K_READ;
            o->seen = done && done->type == FL_OK ? done->value : NULL;
            if (!o->seen) o->outcome = FL_FAIL; /* an unknown read sees nothing */
        } else if (fl_f_is(inv, "write") || fl_f_is(inv, "put")) {
            o->kind = K_WRITE;
            o->wrote = v;
        } else if (fl_f_is(inv, "cas") && json_is_array(v) && json_array_size(v) == 2) {
            o->kind = K_CAS;
            o->seen = json_array_get(v, 0);
            o->wrote = json_array_get(v, 1);
        } else {
            return false;
        }
    }
    return true;
}

static bool writes(const reg_op *o, const json_t *v) {
    return o->kind != K_READ && o->outcome != FL_FAIL && same(o->wrote, v);
}

/* Did every write of v complete (ok) before position pos? nil, the initial value,
 * needs no write; another value with no write at all is never-written's case. */
static bool written_before(const reg_op *ops, size_t n, const json_t *v, int64_t pos) {
    for (size_t i = 0; i < n; i++)
        if (writes(&ops[i], v) && (ops[i].outcome != FL_OK || ops[i].done > pos)) return false;
    return true;
}

static int64_t first_write(const reg_op *ops, size_t n, const json_t *v) {
    for (size_t i = 0; i < n; i++)
        if (writes(&ops[i], v)) return ops[i].inv;
    return -1;
}

static bool seen_by_any(const reg_op *ops, size_t n, const json_t *v) {
    for (size_t i = 0; i < n; i++)
        if (ops[i].outcome != FL_FAIL && ops[i].seen && same(ops[i].seen, v)) return true;
    return false;
}

static void value_text(const json_t *v, char *buf, size_t len) {
    char *t = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    say(buf, len, "%s", t ? t : "null");
    free(t);
}

/* "9.00 ms" (the time of the event at pos, as the report shows it), else "event 7". */
static void event_time(const fl_history *h, int64_t pos, char *buf, size_t len) {
    const fl_op *e = &h->ops[pos];
    if (e->flags & FL_OP_HAS_TIME) fl_format_ms(e->time_ns, buf, len);
    else say(buf, len, "event %lld", (long long)e->index);
}

/* " at 9.00 ms on n3": the time of the event at pos, the op's node when it has one. */
static void when_where(const fl_history *h, const reg_op *o, int64_t pos, char *buf,
                       size_t len) {
    char t[48];
    event_time(h, pos, t, sizeof t);
    const char *node = o->done >= 0 && h->ops[o->done].node ? h->ops[o->done].node
                                                            : h->ops[o->inv].node;
    say(buf, len, " at %s%s%s", t, node ? " on " : "", node ? node : "");
}

/* The failing op doing what it did ("p1 read 1", "p1's cas from 1 to 3 succeeded"),
 * or a write that was done ("p0's write of 2", "p0's cas from 1 to 2"). */
static void op_phrase(const fl_history *h, const reg_op *o, bool failing, char *buf,
                      size_t len) {
    char a[VALUE_TEXT_BYTES], b[VALUE_TEXT_BYTES];
    long long p = (long long)h->ops[o->inv].process;
    value_text(o->seen, a, sizeof a);
    value_text(o->wrote, b, sizeof b);
    if (o->kind == K_READ) say(buf, len, "p%lld read %s", p, a);
    else if (o->kind == K_WRITE) say(buf, len, "p%lld's write of %s", p, b);
    else say(buf, len, "p%lld's cas from %s to %s%s", p, a, b, failing ? " succeeded" : "");
}

static json_t *shape(const char *name, const char *sentence, const fl_history *h,
                     const reg_op *x, const reg_op *other) {
    json_t *ops = json_array();
    json_array_append_new(ops, json_integer(h->ops[x->inv].index));
    if (other) json_array_append_new(ops, json_integer(h->ops[other->inv].index));
    return json_pack("{s:s, s:s, s:o}", "shape", name, "sentence", sentence, "ops", ops);
}

/* The latest ok write of another value, completed before x began, that x's value is
 * older than; NULL when there is none. */
static const reg_op *stale_against(const reg_op *ops, size_t n, const reg_op *x) {
    const reg_op *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const reg_op *w = &ops[i];
        if (w == x || w->kind == K_READ || w->outcome != FL_OK || w->done > x->inv) continue;
        if (same(w->wrote, x->seen) || !written_before(ops, n, x->seen, w->inv)) continue;
        if (!best || w->done > best->done) best = w;
    }
    return best;
}

/* w is never seen, and every read begun after it completed sees an older value. */
static bool lost(const reg_op *ops, size_t n, const reg_op *w) {
    if (seen_by_any(ops, n, w->wrote)) return false;
    for (size_t i = 0; i < n; i++) {
        const reg_op *r = &ops[i];
        if (r->kind != K_READ || r->outcome != FL_OK || r->inv < w->done) continue;
        if (!written_before(ops, n, r->seen, w->inv)) return false;
    }
    return true;
}

/* An op completed before x began that saw a value newer than x's (the same process's
 * latest first, else the latest to complete); NULL when there is none. */
static const reg_op *newer_seen_before(const reg_op *ops, size_t n, const reg_op *x,
                                       const fl_history *h) {
    const reg_op *best = NULL;
    int64_t px = h->ops[x->inv].process;
    for (size_t i = 0; i < n; i++) {
        const reg_op *r = &ops[i];
        if (r == x || r->outcome != FL_OK || !r->seen || r->done > x->inv) continue;
        int64_t u_first = first_write(ops, n, r->seen);
        if (same(r->seen, x->seen) || u_first < 0 || !written_before(ops, n, x->seen, u_first))
            continue;
        bool mine = h->ops[r->inv].process == px;
        bool best_mine = best && h->ops[best->inv].process == px;
        if (!best || (mine && !best_mine) || (mine == best_mine && r->done > best->done))
            best = r;
    }
    return best;
}

static json_t *detect(const fl_history *h, const reg_op *ops, size_t n, const reg_op *x) {
    char s[SENTENCE_BYTES], a[SENTENCE_BYTES / 3], w[SENTENCE_BYTES / 3], v[VALUE_TEXT_BYTES];
    char at[96], at2[96];
    op_phrase(h, x, true, a, sizeof a);
    when_where(h, x, x->inv, at, sizeof at);
    value_text(x->seen, v, sizeof v);
    if (x->seen && !json_is_null(x->seen) && first_write(ops, n, x->seen) < 0) {
        say(s, sizeof s, "value never written: %s%s, but no op wrote %s", a, at, v);
        return shape("never-written", s, h, x, NULL);
    }
    const reg_op *stale = stale_against(ops, n, x);
    if (stale) {
        op_phrase(h, stale, false, w, sizeof w);
        when_where(h, stale, stale->done, at2, sizeof at2);
        if (lost(ops, n, stale)) {
            say(s, sizeof s, "lost write: %s completed%s, but no op ever saw it: %s%s",
                     w, at2, a, at);
            return shape("lost-write", s, h, x, stale);
        }
        char t[48]; /* the time of the completion, not the node that acknowledged it */
        event_time(h, stale->done, t, sizeof t);
        say(s, sizeof s, "stale read: %s%s, but %s had completed at %s", a, at, w, t);
        return shape("stale-read", s, h, x, stale);
    }
    const reg_op *r = newer_seen_before(ops, n, x, h);
    if (r) {
        char u[VALUE_TEXT_BYTES], t[48];
        value_text(r->seen, u, sizeof u);
        event_time(h, r->done, t, sizeof t);
        bool mine = h->ops[r->inv].process == h->ops[x->inv].process;
        say(w, sizeof w, "%s", mine ? "it" : "");
        if (!mine) say(w, sizeof w, "p%lld", (long long)h->ops[r->inv].process);
        say(s, sizeof s, "read going back in time: %s%s, after %s had seen %s "
                 "(completed at %s), and %s was written after %s", a, at, w, u, t, u, v);
        return shape("back-in-time", s, h, x, r);
    }
    return NULL;
}

json_t *fl_register_anomaly(const fl_history *h, const int64_t *invokes, size_t n,
                            int64_t failing_pos) {
    assert(h);
    assert(failing_pos >= 0 && (size_t)failing_pos < h->count);
    reg_op *ops = malloc((n ? n : 1) * sizeof *ops);
    json_t *found = NULL;
    if (!ops || !collect(h, invokes, n, ops)) goto done;
    for (size_t i = 0; i < n; i++) {
        const reg_op *x = &ops[i];
        if (x->inv != failing_pos) continue;
        if (x->outcome == FL_OK && x->seen) found = detect(h, ops, n, x);
        break;
    }
done:
    free(ops);
    return found;
}
