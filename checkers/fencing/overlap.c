/* Why two holders held one lock at once (see fencing_internal.h), from the acquires that
 * granted their tokens. A lease starts no earlier than its acquire was invoked, so while
 * less than its ttl_ms of real time has passed since then it surely still runs: a newer
 * grant completed inside that window overlapped it for certain, and the replies say
 * why — a leader of a later term that had led for less than a lease (it did not wait out
 * the old leases), or else the service judging the lease over early by its clocks.
 * Past that window the lease had run out while its holder was stalled (by as long as its
 * write's "paused_ms" says, when it says): the overlap every lock service allows, which
 * only the storage's fence can stop. Every field used is optional. */
#include "fencing_internal.h"

#include <stdio.h>

/* The completion of the ok acquire that returned token for resource g, or NULL. */
static const fl_op *grant_of(const fencing *c, size_t g, int64_t token) {
    for (size_t i = 0; i < c->n_grants; i++)
        if (c->grants[i].group == g && c->grants[i].token == token)
            return &c->h->ops[c->grants[i].done];
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

const char *fl_fence_overlap(const fencing *c, size_t g, const access *stale,
                             const access *newer, char *buf, size_t len) {
    const fl_history *h = c->h;
    const fl_op *old_done = grant_of(c, g, stale->token), *new_done = grant_of(c, g, newer->token);
    const fl_op *old_inv = old_done ? &h->ops[old_done->pair] : NULL;
    long long ttl = field(old_done, "ttl_ms");
    long long paused = field(&h->ops[stale->inv], "paused_ms");
    long long old_proc = (long long)h->ops[stale->inv].process;
    if (old_inv && new_done && ttl > 0 && seconds(old_inv) >= 0 && seconds(new_done) >= 0 &&
        seconds(new_done) < seconds(old_inv) + (double)ttl / 1000) {
        double inside = seconds(new_done) - seconds(old_inv);
        long long t_old = field(old_done, "term"), t_new = field(new_done, "term");
        long long led = field(new_done, "leader_for_ms");
        if (t_new > t_old && t_old >= 0 && led >= 0 && led < ttl) {
            snprintf(buf, len, "token %lld was granted by %s in term %lld only %lld ms after it "
                     "became leader, %.2f s after p%lld's token-%lld lease (term %lld, %lld ms) "
                     "was asked for: the new leader did not wait out the old leases",
                     (long long)newer->token, node_of(new_done), t_new, led, inside, old_proc,
                     (long long)stale->token, t_old, ttl);
            return "early-grant";
        }
        snprintf(buf, len, "token %lld was granted %.2f s after p%lld's token-%lld lease of "
                 "%lld ms was asked for (it ran until %lld by %s's clock; %s granted at %lld): "
                 "the lock service judged the lease over early by its clocks",
                 (long long)newer->token, inside, old_proc, (long long)stale->token, ttl,
                 field(old_done, "expires_ms"), node_of(old_done), node_of(new_done),
                 field(new_done, "granted_ms"));
        return "clock-skew";
    }
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
