/* The storage's decisions on one resource (see fencing.h): ordered by seq when every
 * decision has a distinct one, else by real time; an accepted access below a token
 * accepted before it is stale-accepted, a rejection at or above every token accepted
 * or in doubt before it is a false rejection. Prefix maxima over sorted lists make each
 * question a binary search. */
#include "fencing_internal.h"

#include <string.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#define NONE ((size_t)-1)

/* Accesses in the order of key[], with best[i] = the highest-token access among the
 * first i + 1 (the latest of those with that token: the nearest to what is judged). */
typedef struct ranked {
    size_t *list;  /* indices into fencing.acc */
    int64_t *key;  /* the sort key of each: seq, completion or invocation position */
    size_t *best;
    size_t n;
} ranked;

typedef enum { BY_SEQ, BY_DONE, BY_INV } rank_by;

static int64_t key_of(const access *a, rank_by by) {
    return by == BY_SEQ ? a->seq : by == BY_DONE ? a->done : a->inv;
}

/* A sort entry: qsort has no context argument, so the keys travel with the index. */
typedef struct entry {
    int64_t key, inv;
    size_t index;
} entry;

static int cmp_entry(const void *x, const void *y) {
    const entry *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->inv > b->inv) - (a->inv < b->inv);
}

static void ranked_free(ranked *r) {
    free(r->list);
    free(r->key);
    free(r->best);
}

/* The accesses of resource g whose outcome is in the mask (1 << outcome), sorted by
 * `by`, with their prefix maxima. 0, or -1 when out of memory. */
static int rank(const fencing *c, size_t g, unsigned mask, rank_by by, ranked *r) {
    const resource *res = &c->res[g];
    size_t cap = res->count ? res->count : 1;
    entry *e = malloc(cap * sizeof *e);
    r->list = malloc(cap * sizeof *r->list);
    r->key = malloc(cap * sizeof *r->key);
    r->best = malloc(cap * sizeof *r->best);
    r->n = 0;
    if (!e || !r->list || !r->key || !r->best) {
        free(e);
        return -1;
    }
    for (size_t i = 0; i < res->count; i++) {
        size_t k = c->by_group[res->first + i];
        const access *a = &c->acc[k];
        if (mask & (1u << a->outcome)) e[r->n++] = (entry){key_of(a, by), a->inv, k};
    }
    if (by != BY_INV) qsort(e, r->n, sizeof *e, cmp_entry);
    for (size_t i = 0; i < r->n; i++) {
        r->list[i] = e[i].index;
        r->key[i] = e[i].key;
        size_t prev = i ? r->best[i - 1] : NONE;
        r->best[i] = prev != NONE && c->acc[prev].token > c->acc[e[i].index].token
                         ? prev : e[i].index;
    }
    free(e);
    return 0;
}

/* How many entries have a key below k. */
static size_t count_below(const ranked *r, int64_t k) {
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->key[mid] < k) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The highest-token access among the first n entries, or NONE. */
static size_t best_of(const ranked *r, size_t n) { return n ? r->best[n - 1] : NONE; }

/* Every decision of g has a seq and no two share one. */
static bool decided_by_seq(const fencing *c, size_t g, const ranked *decisions) {
    const resource *res = &c->res[g];
    if (decisions->n != res->n_outcome[OUT_ACCEPTED] + res->n_outcome[OUT_REJECTED])
        return false;
    for (size_t i = 0; i < decisions->n; i++) {
        if (!c->acc[decisions->list[i]].has_seq) return false;
        if (i && decisions->key[i] == decisions->key[i - 1]) return false;
    }
    return true;
}

/* Why `before` preceded `a`, in parentheses. */
static void order_note(const fencing *c, const access *before, const access *a, bool by_seq,
                       char *buf, size_t len) {
    if (by_seq) snprintf(buf, len, "seq %lld < %lld", (long long)before->seq, (long long)a->seq);
    else snprintf(buf, len, "it completed before op %lld was invoked",
                  (long long)c->h->ops[a->inv].index);
}

/* The last accepted write among the first n of `accepted` whose token is above
 * token: the newer holder's write a stale write undid. */
static size_t undone_write(const fencing *c, const ranked *accepted, size_t n, int64_t token) {
    for (size_t i = n; i-- > 0;) {
        const access *w = &c->acc[accepted->list[i]];
        if (w->kind == ACCESS_WRITE && w->token > token) return accepted->list[i];
    }
    return NONE;
}

/* "p3 wrote 6 with token 7 (…), after p5's token-12 write (…) was accepted (seq 41 <
 * 42): p5's increment was undone". undone: the newer holder's write b undid, or NULL. */
static void stale_sentence(const fencing *c, const access *b, const access *a,
                           const access *undone, bool by_seq, char *buf, size_t len) {
    char subject[400], witness[300], order[96], tail[360];
    fl_fence_describe(c, b, subject, sizeof subject);
    fl_fence_name(c, a, witness, sizeof witness);
    order_note(c, a, b, by_seq, order, sizeof order);
    if (undone == a) {
        snprintf(tail, sizeof tail, "p%lld's increment was undone",
                 (long long)c->h->ops[a->inv].process);
    } else if (undone) {
        char u[300];
        fl_fence_name(c, undone, u, sizeof u);
        snprintf(tail, sizeof tail, "%s was undone", u);
    } else {
        snprintf(tail, sizeof tail, "a holder whose lease had passed %s past the fence",
                 b->kind == ACCESS_WRITE ? "wrote" : "read");
    }
    snprintf(buf, len, "%s, after %s was accepted (%s): %s", subject, witness, order, tail);
}

/* Each accepted access, in decision order, against the highest token accepted
 * certainly before it: by seq, or completed before it was invoked. */
static void stale_accepted(fencing *c, size_t g, const ranked *accepted, bool by_seq) {
    for (size_t i = 0; i < accepted->n; i++) {
        const access *b = &c->acc[accepted->list[i]];
        size_t before = by_seq ? i : count_below(accepted, b->inv);
        size_t w = best_of(accepted, before);
        if (w == NONE || c->acc[w].token <= b->token) continue;
        char text[2000] = "", why[700];
        const char *code = NULL;
        int64_t invs[3] = {b->inv, c->acc[w].inv, 0};
        size_t n = 2;
        bool shown = fl_fence_shown(c);
        if (shown) {
            size_t u = b->kind == ACCESS_WRITE ? undone_write(c, accepted, before, b->token)
                                               : NONE;
            stale_sentence(c, b, &c->acc[w], u == NONE ? NULL : &c->acc[u], by_seq, text,
                           sizeof text);
            if (u != NONE && u != w) invs[n++] = c->acc[u].inv;
            /* The second sentence: why the two holders held the lock at once. */
            code = fl_fence_overlap(c, g, b, &c->acc[w], why, sizeof why);
            size_t at = strlen(text);
            snprintf(text + at, sizeof text - at, ". Why two holders: %s", why);
        }
        fl_fence_add_anomaly(c, g, "stale-accepted", invs, n, text);
        if (shown) json_object_set_new(json_array_get(c->anomalies, json_array_size(c->anomalies) - 1),
                                       "overlap", json_string(code));
    }
}

/* "p4 wrote 9 with token 15 (…), rejected though …: the highest was …". w: the
 * highest-token access accepted or in doubt before x, or NULL. */
static void rejection_sentence(const fencing *c, const access *x, const access *w,
                               bool by_seq, char *buf, size_t len) {
    char subject[400], witness[300], how[200];
    fl_fence_describe(c, x, subject, sizeof subject);
    if (!w) {
        snprintf(buf, len, "%s, though no access had been accepted or was in doubt before "
                 "it: the fence cannot have been above its token", subject);
        return;
    }
    fl_fence_name(c, w, witness, sizeof witness);
    if (w->outcome == OUT_ACCEPTED && by_seq)
        snprintf(how, sizeof how, "accepted (seq %lld < %lld)", (long long)w->seq,
                 (long long)x->seq);
    else if (w->outcome == OUT_ACCEPTED)
        snprintf(how, sizeof how, "accepted, invoked before the rejection completed");
    else
        snprintf(how, sizeof how, "in doubt (its outcome is unknown), invoked before the "
                 "rejection completed");
    snprintf(buf, len, "%s, though no access with a higher token had been accepted or was "
             "in doubt before it: the highest was %s, %s", subject, witness, how);
}

/* Each rejection against every token accepted before it (by seq; in real time:
 * invoked before it completed) and every token in doubt (unknown outcome, invoked
 * before it completed): possible holds those two kinds, or only the second by seq. */
static void false_rejections(fencing *c, size_t g, const ranked *accepted,
                             const ranked *possible, bool by_seq) {
    const resource *res = &c->res[g];
    for (size_t i = 0; i < res->count; i++) {
        const access *x = &c->acc[c->by_group[res->first + i]];
        if (x->outcome != OUT_REJECTED) continue;
        assert(x->done != FL_NO_PAIR);
        size_t a = by_seq ? best_of(accepted, count_below(accepted, x->seq)) : NONE;
        size_t p = best_of(possible, count_below(possible, x->done));
        size_t w = a == NONE || (p != NONE && c->acc[p].token > c->acc[a].token) ? p : a;
        if (w != NONE && c->acc[w].token > x->token) continue;
        char text[1200] = "";
        int64_t invs[2] = {x->inv, w == NONE ? 0 : c->acc[w].inv};
        if (fl_fence_shown(c))
            rejection_sentence(c, x, w == NONE ? NULL : &c->acc[w], by_seq, text, sizeof text);
        fl_fence_add_anomaly(c, g, "false-rejection", invs, w == NONE ? 1 : 2, text);
    }
}

int fl_fence_judge_decisions(fencing *c, size_t g) {
    assert(g < c->n_res);
    ranked dec = {0}, acc = {0}, possible = {0};
    unsigned accepted = 1u << OUT_ACCEPTED, unknown = 1u << OUT_UNKNOWN;
    int rc = -1;
    if (rank(c, g, accepted | 1u << OUT_REJECTED, BY_SEQ, &dec) != 0) goto done;
    bool by_seq = decided_by_seq(c, g, &dec);
    c->res[g].by_seq = by_seq;
    if (rank(c, g, accepted, by_seq ? BY_SEQ : BY_DONE, &acc) != 0) goto done;
    if (rank(c, g, by_seq ? unknown : accepted | unknown, BY_INV, &possible) != 0) goto done;
    stale_accepted(c, g, &acc, by_seq);
    false_rejections(c, g, &acc, &possible, by_seq);
    rc = 0;
done:
    if (rc != 0) fl_error_set(c->err, c->h->source, 0, 0, "out of memory in the fencing checker");
    ranked_free(&dec);
    ranked_free(&acc);
    ranked_free(&possible);
    return rc;
}
