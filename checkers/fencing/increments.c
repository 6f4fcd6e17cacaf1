/* The increments of one resource, counter-style (see fencing.h): every write is the
 * value read plus one, so the final value (the last ok peek, else the last ok read)
 * must lie between the ok writes completed before that op began and the writes that
 * did not fail invoked before it ended. */
#include "fencing_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "result.h"

/* The value the final op returned: an integer, {"value": integer}, null meaning 0 (the
 * register's initial value). 0, or -1 with err set. */
static int final_value(fencing *c, const resource *r, int64_t *out) {
    const fl_op *done = &c->h->ops[c->h->ops[r->final].pair];
    const json_t *v = done->value;
    if (json_is_object(v)) v = json_object_get(v, "value");
    if (!v || json_is_null(v)) {
        *out = 0;
        return 0;
    }
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    fl_error_set(c->err, c->h->source, done->line, 0,
                 "ok %s (index %lld) of process %lld: the value it read is not an integer",
                 r->final_is_peek ? "peek" : "read", (long long)done->index,
                 (long long)done->process);
    return -1;
}

static void unknown_json(json_t *o) {
    json_object_set_new(o, "valid", json_string("unknown"));
    json_object_set_new(o, "final", json_null());
    json_object_set_new(o, "final_op", json_null());
    json_object_set_new(o, "reason", json_string("no ok peek or read: the final value is "
                                                 "unknown, so no increment can be judged"));
}

/* The lost- or phantom-increments anomaly, when final is out of [ack, ack + maybe]. */
static void judge(fencing *c, size_t g, int64_t final, size_t ack, size_t maybe) {
    const resource *r = &c->res[g];
    bool lost = final < (int64_t)ack;
    if (!lost && final <= (int64_t)(ack + maybe)) return;
    char text[700] = "", key[96], when[48];
    if (fl_fence_shown(c)) {
        const fl_op *inv = &c->h->ops[r->final];
        fl_fence_json_text(g ? c->h->keys[g - 1] : NULL, key, sizeof key);
        fl_fence_when(c->h, inv->pair, when, sizeof when);
        int n = snprintf(text, sizeof text, "the final value of %s is %lld (p%lld's %s, op "
                         "%lld, at %s), ", key, (long long)final, (long long)inv->process,
                         r->final_is_peek ? "peek" : "read", (long long)inv->index, when);
        assert(n > 0 && (size_t)n < sizeof text);
        if (lost)
            snprintf(text + n, sizeof text - (size_t)n, "below the %zu writes acknowledged "
                     "before it began: at least %lld acknowledged increments were lost", ack,
                     (long long)((int64_t)ack - final));
        else
            snprintf(text + n, sizeof text - (size_t)n, "above the %zu acknowledged writes "
                     "plus %zu that may have taken effect: at least %lld increments were "
                     "never made by a write", ack, maybe,
                     (long long)(final - (int64_t)(ack + maybe)));
    }
    fl_fence_add_anomaly(c, g, lost ? "lost-increments" : "phantom-increments", &r->final, 1,
                         text);
}

int fl_fence_judge_increments(fencing *c, size_t g) {
    assert(g < c->n_res);
    resource *r = &c->res[g];
    assert(!r->increments);
    json_t *o = r->increments = json_object();
    size_t ack = 0, maybe = 0;
    if (r->final == FL_NO_PAIR) {
        unknown_json(o);
        return 0;
    }
    int64_t final, final_done = c->h->ops[r->final].pair;
    if (final_value(c, r, &final) != 0) return -1;
    for (size_t i = 0; i < r->count; i++) {
        const access *a = &c->acc[c->by_group[r->first + i]];
        if (a->kind != ACCESS_WRITE) continue;
        if (a->outcome == OUT_ACCEPTED && a->done < r->final) ack++;
        else if ((a->outcome == OUT_ACCEPTED || a->outcome == OUT_UNKNOWN) && a->inv < final_done)
            maybe++;
    }
    size_t before = c->res[g].anomalies;
    judge(c, g, final, ack, maybe);
    json_object_set_new(o, "valid", json_boolean(c->res[g].anomalies == before));
    json_object_set_new(o, "acknowledged", json_integer((json_int_t)ack));
    json_object_set_new(o, "unknown", json_integer((json_int_t)maybe));
    json_object_set_new(o, "final", json_integer(final));
    json_object_set_new(o, "final_op", fl_op_pair_json(c->h, r->final));
    return 0;
}
