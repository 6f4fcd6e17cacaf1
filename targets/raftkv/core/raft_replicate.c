/* Log replication (Raft §5.3) and the commit rule (§5.4.2): the leader's appends with
 * nextIndex/matchIndex and conflict back-off, the follower's consistency check and
 * truncation, and commitment by counting replicas of entries of the leader's own term. */
#include "raft_internal.h"

#include <assert.h>
#include <stdlib.h>

/* ---- the log and the batch's writes move together ---- */

static void out_drop_from(raft_node *r, uint64_t from) {
    raft_out *o = &r->out;
    while (o->n_entries > 0 && o->entries[o->n_entries - 1].index >= from)
        raft_entry_free(&o->entries[--o->n_entries]);
}

void raft_log_cut(raft_node *r, uint64_t from) {
    raft_log_truncate(&r->log, from);
    out_drop_from(r, from);
    if (r->persisted >= from) r->persisted = from - 1;
    /* Only a seeded bug gets a committed entry overwritten: keep commit <= last index
     * and let the checker see the damage, rather than abort. */
    if (r->commit >= from) r->commit = from - 1;
}

void raft_log_write(raft_node *r, const raft_entry *e) {
    raft_out *o = &r->out;
    assert(e->index == raft_log_last_index(&r->log) + 1);
    raft_log_append(&r->log, e);
    if (o->n_entries > 0 && o->entries[o->n_entries - 1].index + 1 != e->index) out_drop_from(r, 0);
    if (o->n_entries == o->cap_entries) {
        o->cap_entries = o->cap_entries ? o->cap_entries * 2 : 16;
        o->entries = raft_xrealloc(o->entries, o->cap_entries * sizeof *o->entries);
    }
    raft_entry_copy(&o->entries[o->n_entries++], e);
}

/* ---- leader ---- */

void raft_send_append(raft_node *r, int peer) {
    raft_progress *pr = &r->prs[peer];
    assert(r->role == RAFT_LEADER && peer != r->cfg.id);
    if (pr->next <= r->log.base_index) { /* what it needs next was compacted away */
        raft_send_snapshot(r, peer);
        return;
    }
    uint64_t prev = pr->next - 1, last = raft_log_last_index(&r->log);
    assert(prev <= last);
    uint64_t n = last - prev;
    if (n > r->cfg.max_append_entries) n = r->cfg.max_append_entries;
    raft_msg m = {.type = RAFT_MSG_APPEND, .from = r->cfg.id, .to = peer, .term = r->term,
                  .index = prev, .log_term = raft_log_term(&r->log, prev),
                  .commit = r->commit, .read_seq = r->read_seq, .n_entries = (uint32_t)n};
    if (n > 0) {
        m.entries = raft_xmalloc(n * sizeof *m.entries);
        for (uint64_t k = 0; k < n; k++)
            raft_entry_copy(&m.entries[k], raft_log_get(&r->log, prev + 1 + k));
    }
    pr->next = prev + n + 1; /* optimistic: a loss shows up as a rejection, which rewinds */
    raft_out_send(r, &m);
}

void raft_broadcast_append(raft_node *r) {
    for (int i = 0; i < r->cfg.nodes; i++)
        if (i != r->cfg.id) raft_send_append(r, i);
}

static int cmp_desc(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Figure 2: commitIndex = N when a majority has matchIndex >= N and log[N].term ==
 * currentTerm. The leader counts itself only up to what its host made durable. With
 * old_term_commit the term test is skipped: Figure 8's bug, an entry of an earlier term
 * committed by counting replicas, which a later leader may legally overwrite. */
void raft_maybe_commit(raft_node *r) {
    if (r->role != RAFT_LEADER) return;
    uint64_t match[RAFT_NODES_MAX];
    for (int i = 0; i < r->cfg.nodes; i++)
        match[i] = i == r->cfg.id ? r->persisted : r->prs[i].match;
    qsort(match, (size_t)r->cfg.nodes, sizeof match[0], cmp_desc);
    uint64_t n = match[r->quorum - 1];
    if (n <= r->commit) return;
    if (!raft_bug(r, RAFT_BUG_OLD_TERM_COMMIT) && raft_log_term(&r->log, n) != r->term) return;
    assert(n <= raft_log_last_index(&r->log));
    r->commit = n;
}

void raft_on_append_resp(raft_node *r, const raft_msg *m) {
    if (r->role != RAFT_LEADER) return;
    raft_progress *pr = &r->prs[m->from];
    if (m->read_seq > pr->read_seq && m->read_seq <= r->read_seq) {
        pr->read_seq = m->read_seq; /* any answer in this term confirms the round it echoes */
        raft_round_confirmed(r);
    }
    uint64_t last = raft_log_last_index(&r->log);
    if (m->ok) {
        if (m->index > last) return; /* a match past our log: not an answer to us */
        if (m->index > pr->match) {
            pr->match = m->index;
            raft_maybe_commit(r);
        }
        if (pr->next <= m->index) pr->next = m->index + 1;
        if (pr->next <= last) raft_send_append(r, m->from); /* more than one message's worth */
        return;
    }
    if (m->index < pr->match) return; /* stale: it has matched further since */
    uint64_t next = m->hint < m->index ? m->hint : m->index;
    if (next <= pr->match) next = pr->match + 1;
    if (next > last + 1) next = last + 1;
    if (next < pr->next) {
        pr->next = next;
        raft_send_append(r, m->from);
    }
}

/* ---- follower ---- */

/* Where the leader should retry after a mismatch at prev: just past our log when it is
 * shorter, else the start of our conflicting term (§5.3's optimisation: one rejection per
 * term rather than per entry). */
static uint64_t reject_hint(const raft_node *r, uint64_t prev) {
    uint64_t last = raft_log_last_index(&r->log);
    uint64_t hint = prev > last ? last + 1 : raft_log_term_start(&r->log, prev);
    if (hint > prev) hint = prev;
    return hint >= 1 ? hint : 1;
}

static void follow(raft_node *r, const raft_msg *m) {
    if (r->role != RAFT_FOLLOWER || r->leader != m->from) raft_become_follower(r, m->term, m->from);
    r->election_elapsed = 0;
    r->heard_elapsed = 0;
}

/* Append what is new: skip entries we hold with the same term, truncate at the first
 * conflict (it and everything after it), append the rest (Figure 2, receiver steps 3-4). */
static void append_new(raft_node *r, const raft_msg *m) {
    for (uint32_t k = 0; k < m->n_entries; k++) {
        const raft_entry *e = &m->entries[k];
        uint64_t last = raft_log_last_index(&r->log);
        if (e->index <= last) {
            if (raft_log_term(&r->log, e->index) == e->term) continue;
            raft_log_cut(r, e->index);
        }
        raft_log_write(r, e);
    }
}

void raft_on_append(raft_node *r, const raft_msg *m) {
    assert(m->term == r->term);
    if (r->role == RAFT_LEADER) return; /* a second leader of our own term: only a bug makes one */
    follow(r, m);
    raft_msg reply = {.type = RAFT_MSG_APPEND_RESP, .from = r->cfg.id, .to = m->from,
                      .term = r->term, .read_seq = m->read_seq, .ok = true};
    if (m->index < r->commit) { /* all we committed matches the leader's (§5.4.3) */
        reply.index = r->commit;
        raft_out_send(r, &reply);
        return;
    }
    if (m->index > raft_log_last_index(&r->log) ||
        raft_log_term(&r->log, m->index) != m->log_term) {
        reply.ok = false;
        reply.index = m->index;
        reply.hint = reject_hint(r, m->index);
        raft_out_send(r, &reply);
        return;
    }
    append_new(r, m);
    uint64_t last_new = m->index + m->n_entries;
    uint64_t commit = m->commit < last_new ? m->commit : last_new;
    if (commit > r->commit) r->commit = commit;
    reply.index = last_new;
    raft_out_send(r, &reply);
}
