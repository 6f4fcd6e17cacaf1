/* The checking pass of the list-append part of the session checker (rules in session.h).
 *
 * Method: each ok read is walked twice, in history order. The first walk computes the
 * prefix hashes of its list and stamps every listed append with (read, position). Then
 *   mr   the session's previous read of the key must be a prefix: its length and hash
 *        against the prefix hash at that length, O(1);
 *   ryw  the session's ok appends before the read must all be stamped: counted during
 *        the walk, against the count recorded when the read was collected;
 *   mw   in the second walk, per appending session: an append listed at position p
 *        must have all the session's earlier ok appends listed before p. Listed appends
 *        of a session are seen in position order; while their session indices rise, the
 *        number of its ok appends listed so far must equal the number before the current
 *        one (list_append.ok_before);
 *   wfr  in the second walk: the appender's latest read before the append must be a
 *        prefix of the part before p: its length and hash against prefix hash there.
 * So each read costs O(its length) and no pair of reads is compared element by element;
 * elements are compared one by one only to explain the violations shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lists_internal.h"

static int64_t element(const json_t *list, size_t i) {
    return json_integer_value(json_array_get(list, i));
}

static const json_t *read_list(const checker *c, const list_read *r) {
    return c->h->ops[r->done_pos].value;
}

static int64_t read_invocation(const checker *c, const list_read *r) {
    return c->h->ops[r->done_pos].pair;
}

/* Group every session's appends, in session order, in l->by_session. */
static int index_appends_by_session(checker *c, lists *l) {
    l->by_session = malloc((l->n_appends ? l->n_appends : 1) * sizeof *l->by_session);
    if (!l->by_session) return out_of_memory(c);
    uint32_t next = 0;
    for (size_t s = 0; s < l->n_sessions; s++) {
        l->sessions[s].first_append = next;
        next += l->sessions[s].appends;
    }
    uint32_t *filled = calloc(l->n_sessions ? l->n_sessions : 1, sizeof *filled);
    if (!filled) return out_of_memory(c);
    for (size_t i = 0; i < l->n_appends; i++) {
        const list_append *a = &l->appends[i];
        l->by_session[l->sessions[a->session].first_append + filled[a->session]++] = (uint32_t)i;
    }
    free(filled);
    return 0;
}

/* mr: the session's previous read of the key must be a prefix of this one. */
static void check_monotonic_reads(checker *c, lists *l, const list_read *r) {
    if (r->previous < 0) return;
    const list_read *prev = &l->reads[r->previous];
    if (prev->length <= r->length && l->prefix[prev->length] == prev->hash) return;
    if (!violation_count(c, G_MR)) return;
    const list_session *s = &l->sessions[r->session];
    const json_t *now = read_list(c, r), *before = read_list(c, prev);
    size_t i = 0;
    while (i < prev->length && i < r->length && element(now, i) == element(before, i)) i++;
    char key[96], why[192];
    key_text(c, s->group, key, sizeof key);
    if (i < r->length && i < prev->length)
        snprintf(why, sizeof why, "at position %zu it lists %lld where the previous read "
                 "listed %lld", i, (long long)element(now, i), (long long)element(before, i));
    else
        snprintf(why, sizeof why, "it lists %u elements, the previous read %u, and lacks %lld "
                 "at position %zu", r->length, prev->length,
                 i < prev->length ? (long long)element(before, i) : 0LL, i);
    int64_t ops[2] = {read_invocation(c, prev), read_invocation(c, r)};
    violation_show(c, G_MR, "read-not-extended", s->group, s->process, ops, 2,
                   "Process %lld's read of key %s (index %lld) does not extend its previous "
                   "read of the key (index %lld): %s.",
                   (long long)s->process, key, op_index(c, ops[1]), op_index(c, ops[0]), why);
}

/* ryw: own_listed of the session's r->own_ok acknowledged appends are in the read. */
static void check_read_your_writes(checker *c, lists *l, const list_read *r, uint32_t stamp,
                                   uint32_t own_listed) {
    if (own_listed >= r->own_ok || !violation_count(c, G_RYW)) return;
    const list_session *s = &l->sessions[r->session];
    const list_append *missing = NULL;
    for (uint32_t i = 0; i < r->own_appends && !missing; i++) {
        const list_append *a = &l->appends[l->by_session[s->first_append + i]];
        if (a->outcome == FL_OK && a->seen_read != stamp) missing = a;
    }
    if (!missing) return; /* cannot happen: the counts say one is missing */
    char key[96];
    key_text(c, s->group, key, sizeof key);
    int64_t ops[2] = {missing->inv_pos, read_invocation(c, r)};
    violation_show(c, G_RYW, "own-append-missing", s->group, s->process, ops, 2,
                   "Process %lld appended %lld to key %s (index %lld, ok), but its later read "
                   "of the key (index %lld) does not list it.",
                   (long long)s->process, (long long)json_integer_value(c->h->ops[ops[0]].value),
                   key, op_index(c, ops[0]), op_index(c, ops[1]));
}

/* mw, shown: the first of a's session's earlier ok appends not listed before position. */
static void show_monotonic_writes(checker *c, lists *l, const list_read *r, uint32_t stamp,
                                  const list_append *a, size_t position) {
    const list_session *s = &l->sessions[a->session];
    const list_append *earlier = NULL;
    for (uint32_t i = 0; i < a->index && !earlier; i++) {
        const list_append *b = &l->appends[l->by_session[s->first_append + i]];
        if (b->outcome == FL_OK && (b->seen_read != stamp || b->seen_pos > position)) earlier = b;
    }
    if (!earlier) return; /* cannot happen: the counts say one is not listed before */
    const list_session *reader = &l->sessions[r->session];
    char key[96], where[96];
    key_text(c, s->group, key, sizeof key);
    bool absent = earlier->seen_read != stamp;
    long long x = (long long)json_integer_value(c->h->ops[a->inv_pos].value);
    long long w = (long long)json_integer_value(c->h->ops[earlier->inv_pos].value);
    if (absent) snprintf(where, sizeof where, "but not %lld", w);
    else snprintf(where, sizeof where, "at position %zu, before %lld at position %u", position,
                  w, earlier->seen_pos);
    int64_t ops[3] = {earlier->inv_pos, a->inv_pos, read_invocation(c, r)};
    violation_show(c, G_MW, absent ? "missing-earlier-append" : "session-order-reversed",
                   s->group, s->process, ops, 3,
                   "The read of key %s by process %lld (index %lld) lists %lld, appended by "
                   "process %lld (index %lld), %s, though process %lld appended %lld earlier "
                   "(index %lld, ok).",
                   key, (long long)reader->process, op_index(c, ops[2]), x,
                   (long long)s->process, op_index(c, ops[1]), where, (long long)s->process, w,
                   op_index(c, ops[0]));
}

/* wfr, shown: the appender's read before a is not a prefix of the read before position. */
static void show_writes_follow_reads(checker *c, lists *l, const list_read *r,
                                     const list_append *a, size_t position) {
    const list_read *w = &l->reads[a->latest_read];
    const json_t *now = read_list(c, r), *before = read_list(c, w);
    size_t i = 0;
    while (i < w->length && i < position && element(now, i) == element(before, i)) i++;
    const list_session *s = &l->sessions[a->session];
    const list_session *reader = &l->sessions[r->session];
    char key[96], why[160];
    key_text(c, s->group, key, sizeof key);
    long long x = (long long)json_integer_value(c->h->ops[a->inv_pos].value);
    if (i < w->length && i < position)
        snprintf(why, sizeof why, "lists %lld at position %zu where that earlier read listed "
                 "%lld", (long long)element(now, i), i, (long long)element(before, i));
    else
        snprintf(why, sizeof why, "lists only %zu elements before %lld, lacking %lld", position,
                 x, i < w->length ? (long long)element(before, i) : 0LL);
    int64_t ops[3] = {read_invocation(c, w), a->inv_pos, read_invocation(c, r)};
    violation_show(c, G_WFR, "read-not-prefix-before-append", s->group, s->process, ops, 3,
                   "Process %lld read key %s (index %lld, %u elements) before appending %lld "
                   "(index %lld), but the read by process %lld (index %lld) %s.",
                   (long long)s->process, key, op_index(c, ops[0]), w->length, x,
                   op_index(c, ops[1]), (long long)reader->process, op_index(c, ops[2]), why);
}

/* The second walk: mw and wfr for every listed append that did not fail. */
static void check_appenders(checker *c, lists *l, const list_read *r, uint32_t stamp) {
    bool mw = is_claimed(c, G_MW), wfr = is_claimed(c, G_WFR);
    for (size_t p = 0; p < r->length; p++) {
        if (l->ids[p] < 0) continue;
        const list_append *a = &l->appends[l->ids[p]];
        if (a->outcome == FL_FAIL) continue;
        list_session *s = &l->sessions[a->session];
        if (s->stamp != stamp) {
            s->stamp = stamp;
            s->highest_index = -1;
            s->ok_listed = 0;
        }
        if ((int64_t)a->index > (int64_t)s->highest_index) {
            if (mw && a->ok_before > s->ok_listed && s->mw_flagged != stamp) {
                s->mw_flagged = stamp;
                if (violation_count(c, G_MW)) show_monotonic_writes(c, l, r, stamp, a, p);
            }
            s->highest_index = (int32_t)a->index;
        }
        if (a->outcome == FL_OK) s->ok_listed++;
        if (!wfr || a->latest_read < 0 || s->wfr_flagged == stamp) continue;
        const list_read *w = &l->reads[a->latest_read];
        if (w->length <= p && l->prefix[w->length] == w->hash) continue;
        s->wfr_flagged = stamp;
        if (violation_count(c, G_WFR)) show_writes_follow_reads(c, l, r, a, p);
    }
}

/* The first walk over read k, then every rule. */
static int check_read(checker *c, lists *l, size_t k) {
    const list_read *r = &l->reads[k];
    const json_t *list = read_list(c, r);
    uint32_t stamp = (uint32_t)k + 1;
    size_t need = (size_t)r->length + 1;
    if (need > l->scratch_cap) {
        size_t cap = need < 1024 ? 1024 : 2 * need;
        uint64_t *prefix = realloc(l->prefix, cap * sizeof *prefix);
        if (prefix) l->prefix = prefix;
        int64_t *ids = realloc(l->ids, cap * sizeof *ids);
        if (ids) l->ids = ids;
        if (!prefix || !ids) return out_of_memory(c);
        l->scratch_cap = cap;
    }
    uint32_t group = (uint32_t)l->sessions[r->session].group, own_listed = 0;
    bool duplicate = false;
    l->prefix[0] = LIST_HASH_EMPTY;
    for (size_t p = 0; p < r->length; p++) {
        int64_t value = element(list, p);
        l->prefix[p + 1] = list_hash_step(l->prefix[p], value);
        l->ids[p] = fl_pairmap_get(&l->append_ids, value, group);
        if (l->ids[p] < 0) continue;
        list_append *a = &l->appends[l->ids[p]];
        if (a->seen_read == stamp) {
            duplicate = true;
            continue;
        }
        a->seen_read = stamp;
        a->seen_pos = (uint32_t)p;
        if (a->session == r->session && a->outcome == FL_OK && a->index < r->own_appends)
            own_listed++;
    }
    if (duplicate) c->duplicate_element_reads++;
    if (is_claimed(c, G_MR)) check_monotonic_reads(c, l, r);
    if (is_claimed(c, G_RYW)) check_read_your_writes(c, l, r, stamp, own_listed);
    if (!duplicate && (is_claimed(c, G_MW) || is_claimed(c, G_WFR)))
        check_appenders(c, l, r, stamp);
    return 0;
}

int lists_check(checker *c, lists *l) {
    if (index_appends_by_session(c, l) != 0) return -1;
    for (size_t k = 0; k < l->n_reads; k++)
        if (check_read(c, l, k) != 0) return -1;
    return 0;
}
