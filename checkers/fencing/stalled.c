/* Holders that stalled past their lease (see fencing.h): accesses whose token is below
 * one an acquire of the same lock had already returned. Not anomalies: they show the
 * fence was exercised, and by their outcomes how it held. */
#include "fencing_internal.h"

#include <assert.h>

#include "result.h"

static json_t *stalled_access(const fencing *c, const access *a) {
    const fl_history *h = c->h;
    json_t *o = json_object();
    json_object_set_new(o, "op", fl_op_pair_json(h, a->inv));
    json_object_set_new(o, "key", a->group ? json_incref(h->keys[a->group - 1]) : json_null());
    json_object_set_new(o, "token", json_integer(a->token));
    json_object_set_new(o, "newer_token", json_integer(a->newer_token));
    json_object_set_new(o, "acquire_index", json_integer(h->ops[a->newer_acq].index));
    const json_t *paused = json_object_get(h->ops[a->inv].value, "paused_ms");
    if (paused) json_object_set(o, "paused_ms", (json_t *)paused);
    return o;
}

json_t *fl_fence_stalled_json(const fencing *c) {
    assert(c);
    size_t count = 0, accepted = 0, rejected = 0;
    json_t *list = json_array();
    for (size_t i = 0; i < c->n_acc; i++) {
        const access *a = &c->acc[i];
        if (a->newer_acq == FL_NO_PAIR) continue;
        count++;
        accepted += a->outcome == OUT_ACCEPTED;
        rejected += a->outcome == OUT_REJECTED;
        if (json_array_size(list) < FL_FENCE_STALLED_SHOWN)
            json_array_append_new(list, stalled_access(c, a));
    }
    assert(accepted + rejected <= count);
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer((json_int_t)count));
    json_object_set_new(o, "accepted", json_integer((json_int_t)accepted));
    json_object_set_new(o, "rejected", json_integer((json_int_t)rejected));
    json_object_set_new(o, "other", json_integer((json_int_t)(count - accepted - rejected)));
    json_object_set_new(o, "accesses", list);
    return o;
}
