/* How the fencing checker words its findings (see fencing.h): ops named by process,
 * index, token and times in seconds, and the anomaly records of the result. */
#include "fencing_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

void fl_fence_when(const fl_history *h, int64_t pos, char *buf, size_t len) {
    assert(pos >= 0 && (size_t)pos < h->count);
    const fl_op *op = &h->ops[pos];
    if (op->flags & FL_OP_HAS_TIME) snprintf(buf, len, "%.2f s", (double)op->time_ns / 1e9);
    else snprintf(buf, len, "event %lld", (long long)op->index);
}

void fl_fence_json_text(const json_t *v, char *buf, size_t len) {
    assert(len > 0);
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    int n = snprintf(buf, len, "%s", s ? s : "null");
    free(s);
    if (n < 0 || (size_t)n < len) return;
    /* Cut: drop a UTF-8 sequence left incomplete, so the sentence stays valid text. */
    size_t end = strlen(buf);
    while (end > 0 && ((unsigned char)buf[end - 1] & 0xC0) == 0x80) end--;
    if (end > 0 && (unsigned char)buf[end - 1] >= 0xC0) end--;
    buf[end] = '\0';
}

/* "wrote 6", "read 5" (an accepted read shows the value it got), "read". */
static void action(const fencing *c, const access *a, char *buf, size_t len) {
    const fl_history *h = c->h;
    char v[64];
    if (a->kind == ACCESS_WRITE) {
        fl_fence_json_text(json_object_get(h->ops[a->inv].value, "value"), v, sizeof v);
        snprintf(buf, len, "wrote %s", v);
    } else if (a->outcome == OUT_ACCEPTED) {
        fl_fence_json_text(json_object_get(h->ops[a->done].value, "value"), v, sizeof v);
        snprintf(buf, len, "read %s", v);
    } else {
        snprintf(buf, len, "read");
    }
}

static const char *outcome_word(const access *a) {
    static const char *const words[] = {"accepted", "rejected", "failed", "ended in doubt"};
    assert(a->outcome <= OUT_UNKNOWN);
    return words[a->outcome];
}

void fl_fence_describe(const fencing *c, const access *a, char *buf, size_t len) {
    const fl_op *inv = &c->h->ops[a->inv];
    char what[96], t0[48], t1[48] = "", extra[96] = "";
    action(c, a, what, sizeof what);
    fl_fence_when(c->h, a->inv, t0, sizeof t0);
    if (a->done != FL_NO_PAIR) fl_fence_when(c->h, a->done, t1, sizeof t1);
    if (a->has_fence && a->has_seq)
        snprintf(extra, sizeof extra, ", fence %lld, seq %lld", (long long)a->fence,
                 (long long)a->seq);
    else if (a->has_seq)
        snprintf(extra, sizeof extra, ", seq %lld", (long long)a->seq);
    if (a->done == FL_NO_PAIR)
        snprintf(buf, len, "p%lld %s with token %lld (op %lld, invoked at %s, never completed)",
                 (long long)inv->process, what, (long long)a->token, (long long)inv->index, t0);
    else
        snprintf(buf, len, "p%lld %s with token %lld (op %lld, invoked at %s, %s at %s%s)",
                 (long long)inv->process, what, (long long)a->token, (long long)inv->index, t0,
                 outcome_word(a), t1, extra);
}

void fl_fence_name(const fencing *c, const access *a, char *buf, size_t len) {
    const fl_op *inv = &c->h->ops[a->inv];
    char t0[48], t1[48] = "?";
    fl_fence_when(c->h, a->inv, t0, sizeof t0);
    if (a->done != FL_NO_PAIR) fl_fence_when(c->h, a->done, t1, sizeof t1);
    snprintf(buf, len, "p%lld's token-%lld %s (op %lld, %s to %s)", (long long)inv->process,
             (long long)a->token, a->kind == ACCESS_WRITE ? "write" : "read",
             (long long)inv->index, t0, t1);
}

bool fl_fence_shown(const fencing *c) { return c->n_anomalies < FL_FENCE_ANOMALIES_SHOWN; }

void fl_fence_add_anomaly(fencing *c, size_t g, const char *type, const int64_t *invs,
                          size_t n_invs, const char *explanation) {
    assert(g < c->n_res);
    assert(type && explanation);
    fl_json_note_string(c->types, type);
    c->res[g].anomalies++;
    bool shown = fl_fence_shown(c);
    c->n_anomalies++;
    if (!shown) return;
    json_t *o = json_object(), *ops = json_array();
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "key", g ? json_incref(c->h->keys[g - 1]) : json_null());
    for (size_t i = 0; i < n_invs; i++) json_array_append_new(ops, fl_op_pair_json(c->h, invs[i]));
    json_object_set_new(o, "ops", ops);
    json_object_set_new(o, "explanation", json_string(explanation));
    json_array_append_new(c->anomalies, o);
}
