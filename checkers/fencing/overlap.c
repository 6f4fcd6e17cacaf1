/* Why two holders held one lock at once (see fencing_internal.h), from the acquires that
 * granted their tokens. A lease starts no earlier than its acquire (or the renewal that
 * last extended it) was invoked, so while less than its ttl_ms of real time has passed
 * since then it surely still runs: a newer
 * grant completed inside that window overlapped it for certain, and the replies say
 * why — a leader of a later term that had led for less than a lease (it did not wait out
 * the old leases), or else the service judging the lease over early by its clocks.
 * Past that window the lease had run out while its holder was stalled (by as long as its
 * write's "paused_ms" says, when it says): the overlap every lock service allows, which
 * only the storage's fence can stop. Every field used is optional. */
#include "fencing_internal.h"

#include <stdio.h>

/* The first of resource g's grants of token in by_token (or where it would be). */
static size_t first_of(const fencing *c, size_t g, int64_t token) {
    size_t lo = 0, hi = c->n_grants;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const grant *m = &c->by_token[mid];
        if (m->group < g || (m->group == g && m->token < token)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static bool is_of(const fencing *c, size_t i, size_t g, int64_t token) {
    return i < c->n_grants && c->by_token[i].group == g && c->by_token[i].token == token;
}

/* The completion of the ok acquire or renew of token for resource g that was invoked
 * last before position before (the lease as it stood then), or NULL. */
static const fl_op *grant_of(const fencing *c, size_t g, int64_t token, int64_t before) {
    const fl_op *best = NULL;
    for (size_t i = first_of(c, g, token); is_of(c, i, g, token); i++) {
        const fl_op *done = &c->h->ops[c->by_token[i].done];
        if (c->by_token[i].kind == GRANT_RELEASE || done->pair >= before) continue;
        if (!best || done->pair > best->pair) best = done;
    }
    return best;
}

/* The completion of the acquire that granted token for resource g, or NULL. */
static const fl_op *first_grant(const fencing *c, size_t g, int64_t token) {
    for (size_t i = first_of(c, g, token); is_of(c, i, g, token); i++)
        if (c->by_token[i].kind == GRANT_ACQUIRE) return &c->h->ops[c->by_token[i].done];
    return NULL;
}

/* An integer field of a completion's value, or -1 when absent. */
static long long field(const fl_op *op, const char *name) {
    const json_t *v = op && json_is_object(op->value) ? json_object_get(op->value, name) : NULL;
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static const char *node_of(const fl_op *op) {
    const json_t *v = op && json_is_object(op->value) ? json_object_get(op->value, "node") : NULL;
    return json_is_string(v) ? json_string_value(v) : "its leader";
}

static double seconds(const fl_op *op) {
    return op->flags & FL_OP_HAS_TIME ? (double)op->time_ns / 1e9 : -1;
}

/* When new_done (the acquire of token t_new) completed while the lease of t_old surely
 * still ran — less than its ttl_ms of real time after it was last asked for — why, into
 * buf: "early-grant" or "clock-skew". NULL when that is not certain. */
static const char *certain_overlap(const fencing *c, size_t g, int64_t t_old,
                                   const fl_op *new_done, int64_t t_new, char *buf, size_t len) {
    const fl_history *h = c->h;
    const fl_op *old_done = new_done ? grant_of(c, g, t_old, new_done - h->ops) : NULL;
    const fl_op *old_inv = old_done ? &h->ops[old_done->pair] : NULL;
    long long ttl = field(old_done, "ttl_ms");
    if (!old_inv || ttl <= 0 || seconds(old_inv) < 0 || seconds(new_done) < 0 ||
        seconds(new_done) >= seconds(old_inv) + (double)ttl / 1000)
        return NULL;
    double inside = seconds(new_done) - seconds(old_inv);
    long long old_proc = (long long)old_inv->process;
    long long term_old = field(old_done, "term"), term_new = field(new_done, "term");
    long long led = field(new_done, "leader_for_ms");
    if (term_new > term_old && term_old >= 0 && led >= 0 && led < ttl) {
        snprintf(buf, len, "token %lld was granted by %s in term %lld only %lld ms after it "
                 "became leader, %.2f s after p%lld's token-%lld lease (term %lld, %lld ms) "
                 "was asked for: the new leader did not wait out the old leases",
                 (long long)t_new, node_of(new_done), term_new, led, inside, old_proc,
                 (long long)t_old, term_old, ttl);
        return "early-grant";
    }
    long long expires = field(old_done, "expires_ms"), granted = field(new_done, "granted_ms");
    char clocks[200] = "";
    if (expires >= 0 && granted >= 0)
        snprintf(clocks, sizeof clocks, " (%s's clock put its end at %lld; %s's clock read %lld, "
                 "%.2f s past it)", node_of(old_done), expires, node_of(new_done), granted,
                 (double)(granted - expires) / 1000);
    snprintf(buf, len, "token %lld was granted %.2f s after p%lld's token-%lld lease of "
             "%lld ms was asked for%s: the lock service judged the lease over early by its "
             "clocks", (long long)t_new, inside, old_proc, (long long)t_old, ttl, clocks);
    return "clock-skew";
}

const char *fl_fence_overlap(const fencing *c, size_t g, const access *stale,
                             const access *newer, char *buf, size_t len) {
    const fl_history *h = c->h;
    const fl_op *new_done = first_grant(c, g, newer->token);
    const char *why = certain_overlap(c, g, stale->token, new_done, newer->token, buf, len);
    if (why) return why;
    const fl_op *old_done = first_grant(c, g, stale->token);
    long long ttl = field(old_done, "ttl_ms");
    long long paused = field(&h->ops[stale->inv], "paused_ms");
    long long old_proc = (long long)h->ops[stale->inv].process;
    if (paused >= 0) {
        snprintf(buf, len, "p%lld stalled %lld ms%s before this access, and its lease passed "
                 "to token %lld meanwhile: only the storage's fence could stop it", old_proc,
                 paused, ttl > 0 && paused > ttl ? " (past its lease)" : "",
                 (long long)newer->token);
        return "paused-past-lease";
    }
    if (old_done && new_done) {
        snprintf(buf, len, "p%lld's token-%lld lease had run out when token %lld was granted: "
                 "only the storage's fence could stop its late access", old_proc,
                 (long long)stale->token, (long long)newer->token);
        return "expired-lease";
    }
    snprintf(buf, len, "the history does not show the grants of tokens %lld and %lld",
             (long long)stale->token, (long long)newer->token);
    return "unknown";
}

/* Whether the lease of token (resource g) may have been given back before position before. */
static bool released_before(const fencing *c, size_t g, int64_t token, int64_t before) {
    for (size_t i = first_of(c, g, token); is_of(c, i, g, token); i++)
        if (c->by_token[i].kind == GRANT_RELEASE && c->by_token[i].done < before) return true;
    return false;
}

/* The highest token below token that an acquire of resource g's lock granted, or -1. */
static int64_t token_before(const fencing *c, size_t g, int64_t token) {
    for (size_t i = first_of(c, g, token); i-- > 0 && c->by_token[i].group == g;)
        if (c->by_token[i].kind == GRANT_ACQUIRE) return c->by_token[i].token;
    return -1;
}

json_t *fl_fence_lease_overlaps_json(const fencing *c) {
    json_t *o = json_object(), *reasons = json_object(), *shown = json_array();
    size_t count = 0;
    for (size_t i = 0; i < c->n_grants; i++) {
        const grant *n = &c->grants[i];
        if (n->kind != GRANT_ACQUIRE) continue;
        /* The lock's lease just before this one: the highest lower token granted. */
        int64_t prev = token_before(c, n->group, n->token);
        const fl_op *new_done = &c->h->ops[n->done];
        if (prev < 0 || released_before(c, n->group, prev, n->done)) continue;
        char why[700];
        const char *code = certain_overlap(c, n->group, prev, new_done, n->token, why,
                                           sizeof why);
        if (!code) continue;
        count++;
        json_object_set_new(reasons, code,
                            json_integer(json_integer_value(json_object_get(reasons, code)) + 1));
        if (json_array_size(shown) < FL_FENCE_STALLED_SHOWN) {
            json_t *e = json_pack("{s:O?,s:[I,I],s:s,s:s}", "key",
                                  n->group ? c->h->keys[n->group - 1] : NULL, "tokens",
                                  (json_int_t)prev, (json_int_t)n->token, "overlap", code,
                                  "explanation", why);
            json_array_append_new(shown, e);
        }
    }
    json_object_set_new(o, "count", json_integer((json_int_t)count));
    json_object_set_new(o, "reasons", reasons);
    json_object_set_new(o, "grants", shown);
    return o;
}
