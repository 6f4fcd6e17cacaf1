/* The ready batch (raft.h, "THE READY CONTRACT"): collecting outputs as inputs are
 * handled, handing them to the host, and the host's durability reports back. */
#include "raft_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void raft_out_send(raft_node *r, raft_msg *m) {
    raft_out *o = &r->out;
    assert(m->from == r->cfg.id && m->to != r->cfg.id);
    if (o->n_msgs == o->cap_msgs) {
        o->cap_msgs = o->cap_msgs ? o->cap_msgs * 2 : 16;
        o->msgs = raft_xrealloc(o->msgs, o->cap_msgs * sizeof *o->msgs);
    }
    raft_msg_move(&o->msgs[o->n_msgs++], m);
}

void raft_out_fail_read(raft_node *r, uint64_t id) {
    raft_out *o = &r->out;
    if (o->n_failed == o->cap_failed) {
        o->cap_failed = o->cap_failed ? o->cap_failed * 2 : 16;
        o->failed_reads = raft_xrealloc(o->failed_reads, o->cap_failed * sizeof *o->failed_reads);
    }
    o->failed_reads[o->n_failed++] = id;
}

void raft_out_free(raft_out *o) {
    for (size_t i = 0; i < o->n_msgs; i++) raft_msg_free(&o->msgs[i]);
    for (size_t i = 0; i < o->n_entries; i++) raft_entry_free(&o->entries[i]);
    free(o->msgs);
    free(o->entries);
    free(o->failed_reads);
    free(o->snapshot.data);
    memset(o, 0, sizeof *o);
}

bool raft_has_ready(const raft_node *r) {
    const raft_out *o = &r->out;
    return o->n_msgs || o->n_entries || o->n_failed || o->hs_changed || o->role_changed ||
           o->has_snapshot || r->commit > r->applied ||
           (r->round_wanted && r->role == RAFT_LEADER) || raft_reads_ready(r);
}

/* Copies of the committed entries not yet handed out (a bounded number per batch). */
static void take_committed(raft_node *r, raft_ready *rd) {
    if (r->commit <= r->applied) return;
    uint64_t n = r->commit - r->applied;
    if (n > RAFT_COMMITTED_PER_READY) n = RAFT_COMMITTED_PER_READY;
    assert(r->applied >= r->log.base_index && r->applied + n <= raft_log_last_index(&r->log));
    rd->committed = raft_xmalloc(n * sizeof *rd->committed);
    for (uint64_t k = 0; k < n; k++)
        raft_entry_copy(&rd->committed[k], raft_log_get(&r->log, r->applied + 1 + k));
    rd->n_committed = n;
    r->applied += n;
}

/* Remember what this batch wrote, so that raft_persisted can tell how far the log is
 * durable (the leader counts itself towards a majority only that far). */
static void note_unsynced(raft_node *r, const raft_ready *rd) {
    raft_unsynced u = {rd->seq, rd->snapshot.index, rd->snapshot.term};
    if (rd->n_entries > 0) {
        u.index = rd->entries[rd->n_entries - 1].index;
        u.term = rd->entries[rd->n_entries - 1].term;
    }
    if (r->n_unsynced == r->cap_unsynced) {
        r->cap_unsynced = r->cap_unsynced ? r->cap_unsynced * 2 : 16;
        r->unsynced = raft_xrealloc(r->unsynced, r->cap_unsynced * sizeof *r->unsynced);
    }
    r->unsynced[r->n_unsynced++] = u;
}

void raft_ready_take(raft_node *r, raft_ready *rd) {
    if (r->round_wanted && r->role == RAFT_LEADER) { /* one round for every read since the last */
        raft_round_start(r);
        raft_broadcast_append(r);
    }
    raft_out *o = &r->out;
    memset(rd, 0, sizeof *rd);
    rd->seq = ++r->ready_seq;
    rd->hs_changed = o->hs_changed;
    rd->hs = (raft_hard_state){r->term, r->vote};
    rd->has_snapshot = o->has_snapshot;
    rd->snapshot = o->snapshot;
    rd->entries = o->entries;
    rd->n_entries = o->n_entries;
    rd->msgs = o->msgs;
    rd->n_msgs = o->n_msgs;
    rd->failed_reads = o->failed_reads;
    rd->n_failed_reads = o->n_failed;
    rd->role_changed = o->role_changed;
    rd->role = r->role;
    rd->leader = r->leader;
    rd->term = r->term;
    memset(o, 0, sizeof *o); /* its arrays now belong to rd */
    take_committed(r, rd);
    raft_reads_take(r, rd);
    /* volatile_vote: a term or vote change alone no longer holds its messages back. */
    bool hs_sync = rd->hs_changed && !raft_bug(r, RAFT_BUG_VOLATILE_VOTE);
    rd->must_sync = rd->n_entries > 0 || rd->has_snapshot || hs_sync;
    if (rd->n_entries > 0 || rd->has_snapshot) note_unsynced(r, rd);
}

void raft_ready_free(raft_ready *rd) {
    for (size_t i = 0; i < rd->n_msgs; i++) raft_msg_free(&rd->msgs[i]);
    for (size_t i = 0; i < rd->n_entries; i++) raft_entry_free(&rd->entries[i]);
    for (size_t i = 0; i < rd->n_committed; i++) raft_entry_free(&rd->committed[i]);
    free(rd->msgs);
    free(rd->entries);
    free(rd->committed);
    free(rd->reads);
    free(rd->failed_reads);
    free(rd->snapshot.data);
    memset(rd, 0, sizeof *rd);
}

void raft_persisted(raft_node *r, uint64_t seq) {
    size_t k = 0;
    uint64_t last = raft_log_last_index(&r->log);
    for (; k < r->n_unsynced && r->unsynced[k].seq <= seq; k++) {
        const raft_unsynced *u = &r->unsynced[k];
        /* A later batch may have cut the log below what this one wrote: then what it wrote
         * is gone (and the entry at its index, if any, is another one). At or below the
         * base, it was compacted away after being applied (a snapshot install clears the
         * list instead). */
        bool same = u->index <= r->log.base_index || raft_log_term(&r->log, u->index) == u->term;
        uint64_t upto = u->index < last ? u->index : last;
        if (same && upto > r->persisted) r->persisted = upto;
    }
    if (k > 0) { /* (memmove of a NULL array is undefined even for 0 bytes) */
        memmove(r->unsynced, r->unsynced + k, (r->n_unsynced - k) * sizeof *r->unsynced);
        r->n_unsynced -= k;
    }
    raft_maybe_commit(r);
}
