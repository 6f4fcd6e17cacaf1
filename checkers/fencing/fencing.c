/* The fencing checker (see fencing.h): collect the accesses, judge each resource's
 * decisions and increments, and put the verdict and its reasons together. */
#include "fencing.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "empty_history.h"
#include "fencing_internal.h"
#include "result.h"

/* A resource's verdict: false on an anomaly, "unknown" with no accepted access, else
 * its increments' verdict. */
static json_t *resource_verdict(const resource *r) {
    if (r->anomalies) return json_false();
    if (!r->n_outcome[OUT_ACCEPTED]) return json_string("unknown");
    return fl_verdict_worst(json_true(), json_object_get(r->increments, "valid"));
}

static json_t *resource_json(const fencing *c, size_t g, json_t *verdict) {
    const resource *r = &c->res[g];
    json_t *o = json_object();
    json_object_set_new(o, "key", g ? json_incref(c->h->keys[g - 1]) : json_null());
    json_object_set(o, "valid", verdict);
    json_object_set_new(o, "order", json_string(r->by_seq ? "seq" : "real-time"));
    json_object_set_new(o, "accepted", json_integer((json_int_t)r->n_outcome[OUT_ACCEPTED]));
    json_object_set_new(o, "rejected", json_integer((json_int_t)r->n_outcome[OUT_REJECTED]));
    json_object_set_new(o, "failed", json_integer((json_int_t)r->n_outcome[OUT_FAILED]));
    json_object_set_new(o, "unknown", json_integer((json_int_t)r->n_outcome[OUT_UNKNOWN]));
    json_object_set_new(o, "acquires", json_integer((json_int_t)r->acquires));
    json_object_set_new(o, "distinct_tokens", json_integer((json_int_t)r->distinct_tokens));
    json_object_set_new(o, "stalled", json_integer((json_int_t)r->stalled));
    json_object_set_new(o, "anomaly_count", json_integer((json_int_t)r->anomalies));
    json_object_set(o, "increments", r->increments);
    return o;
}

/* The verdict folded over the resources with an access, and their records. */
static json_t *put_resources(const fencing *c, json_t *result, size_t *n_unknown) {
    json_t *valid = json_true(), *keys = json_array();
    size_t n_keys = 0, accepted = 0, rejected = 0, acquires = 0;
    *n_unknown = 0;
    for (size_t g = 0; g < c->n_res; g++) {
        const resource *r = &c->res[g];
        if (!r->used) continue;
        json_t *v = resource_verdict(r);
        if (r->count) { /* a lock acquired but never used guards nothing to judge */
            json_t *worse = fl_verdict_worst(valid, v);
            json_decref(valid);
            valid = worse;
            *n_unknown += json_is_string(v);
        }
        accepted += r->n_outcome[OUT_ACCEPTED];
        rejected += r->n_outcome[OUT_REJECTED];
        acquires += r->acquires;
        if (n_keys++ < FL_FENCE_KEYS_SHOWN) json_array_append_new(keys, resource_json(c, g, v));
        json_decref(v);
    }
    json_object_set_new(result, "accepted_count", json_integer((json_int_t)accepted));
    json_object_set_new(result, "rejected_count", json_integer((json_int_t)rejected));
    json_object_set_new(result, "acquire_count", json_integer((json_int_t)acquires));
    json_object_set_new(result, "key_count", json_integer((json_int_t)n_keys));
    json_object_set_new(result, "keys", keys);
    if (!accepted && !c->n_anomalies) {
        json_decref(valid);
        valid = json_string("unknown");
    }
    return valid;
}

static json_t *result_json(const fencing *c) {
    json_t *result = json_object();
    size_t n_unknown;
    json_t *valid = put_resources(c, result, &n_unknown);
    json_object_set_new(result, "valid", valid);
    if (json_is_string(valid)) {
        char reason[200];
        if (!json_integer_value(json_object_get(result, "accepted_count")))
            snprintf(reason, sizeof reason, "no read or write was accepted: nothing to judge");
        else
            snprintf(reason, sizeof reason, "%zu resource(s) could not be judged (no accepted "
                     "access, or no ok peek or read to give the final value): see keys",
                     n_unknown);
        json_object_set_new(result, "reason", json_string(reason));
    }
    json_object_set_new(result, "anomaly_count", json_integer((json_int_t)c->n_anomalies));
    json_object_set(result, "anomalies", c->anomalies);
    json_object_set(result, "anomaly-types", c->types);
    json_object_set_new(result, "stalled-holders", fl_fence_stalled_json(c));
    json_object_set_new(result, "lease-overlaps", fl_fence_lease_overlaps_json(c));
    return result;
}

json_t *fl_check_fencing(const fl_history *h, fl_error *err) {
    fl_error local;
    fencing c = {.h = h, .err = err ? err : &local, .n_res = h->key_count + 1,
                 .anomalies = json_array(), .types = json_array()};
    c.res = calloc(c.n_res, sizeof *c.res);
    json_t *result = NULL;
    if (!c.res || !c.anomalies || !c.types) {
        fl_error_set(c.err, h->source, 0, 0, "out of memory in the fencing checker");
        goto done;
    }
    if (fl_fence_collect(&c) != 0) goto done;
    for (size_t g = 0; g < c.n_res; g++) {
        if (!c.res[g].used) continue;
        if (fl_fence_judge_decisions(&c, g) != 0) goto done;
        if (fl_fence_judge_increments(&c, g) != 0) goto done;
    }
    result = fl_empty_history_valid(h, result_json(&c));
done:
    for (size_t g = 0; c.res && g < c.n_res; g++) json_decref(c.res[g].increments);
    json_decref(c.anomalies);
    json_decref(c.types);
    free(c.res);
    free(c.acc);
    free(c.by_group);
    free(c.grants);
    free(c.by_token);
    return result;
}
