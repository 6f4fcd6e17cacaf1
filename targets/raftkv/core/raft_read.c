/* Linearizable reads without writing the log: ReadIndex (Raft §6.4). The leader takes
 * read index = max(commit index, its term's no-op) — waiting for the no-op to apply is
 * waiting until it has committed an entry of its term, so it knows every committed entry —
 * then confirms it is still leader by a heartbeat round a majority answers, then reports
 * the read once the state machine has applied the read index.
 *
 * Rounds: every broadcast of appends is a round, numbered read_seq (1, 2, ... per term);
 * followers echo the number; confirmed_seq is the highest round a majority (the leader
 * included) answered. A read started after round s was sent needs round s+1.
 *
 * Seeded bugs: stale_read reports at once with read index = commit index (no round, no
 * no-op wait): a deposed leader answers from old state. lease_read skips the round while
 * the wall clock says a lease holds: lease_ms after the send time of the last confirmed
 * round; followers ignore campaigns for a full election timeout after hearing the leader
 * (raft_in_lease), so the lease is sound as long as the wall clock runs true — and broken
 * by a clock that jumps back. */
#include "raft_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int raft_read_index(raft_node *r, uint64_t read_id) {
    if (r->role != RAFT_LEADER) return RAFT_ENOTLEADER;
    if (r->n_reads - r->reads_head >= RAFT_READS_MAX) return RAFT_EBUSY;
    raft_pending_read p = {read_id, r->noop_index > r->commit ? r->noop_index : r->commit, 0};
    if (raft_bug(r, RAFT_BUG_STALE_READ)) {
        p.index = r->commit;
    } else if (!(raft_bug(r, RAFT_BUG_LEASE_READ) && r->wall_ms < r->lease_until_ms)) {
        p.seq = r->read_seq + 1;
        r->round_wanted = true; /* sent at the next raft_ready_take: reads share one round */
    }
    if (r->reads_head > 0 && r->reads_head * 2 >= r->n_reads) { /* reclaim the front */
        memmove(r->reads, r->reads + r->reads_head,
                (r->n_reads - r->reads_head) * sizeof *r->reads);
        r->n_reads -= r->reads_head;
        r->reads_head = 0;
    }
    if (r->n_reads == r->cap_reads) {
        r->cap_reads = r->cap_reads ? r->cap_reads * 2 : 16;
        r->reads = raft_xrealloc(r->reads, r->cap_reads * sizeof *r->reads);
    }
    r->reads[r->n_reads++] = p;
    return RAFT_OK;
}

void raft_round_start(raft_node *r) {
    assert(r->role == RAFT_LEADER);
    r->read_seq++;
    r->round_wall_ms[r->read_seq % RAFT_LEASE_ROUNDS] = r->wall_ms;
    r->round_wanted = false;
    raft_round_confirmed(r); /* a cluster of one confirms its own rounds */
}

static int cmp_desc(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

void raft_round_confirmed(raft_node *r) {
    uint64_t seqs[RAFT_NODES_MAX];
    for (int i = 0; i < r->cfg.nodes; i++)
        seqs[i] = i == r->cfg.id ? r->read_seq : r->prs[i].read_seq;
    qsort(seqs, (size_t)r->cfg.nodes, sizeof seqs[0], cmp_desc);
    uint64_t c = seqs[r->quorum - 1];
    if (c <= r->confirmed_seq) return;
    r->confirmed_seq = c;
    if (raft_bug(r, RAFT_BUG_LEASE_READ) && r->read_seq - c < RAFT_LEASE_ROUNDS) {
        int64_t until = r->round_wall_ms[c % RAFT_LEASE_ROUNDS] + r->cfg.lease_ms;
        if (until > r->lease_until_ms) r->lease_until_ms = until;
    }
}

static bool answerable(const raft_node *r, const raft_pending_read *p) {
    return p->seq <= r->confirmed_seq && p->index <= r->applied;
}

bool raft_reads_ready(const raft_node *r) {
    if (r->role != RAFT_LEADER) return false;
    for (size_t k = r->reads_head; k < r->n_reads; k++) {
        if (answerable(r, &r->reads[k])) return true;
        if (!raft_bug(r, RAFT_BUG_LEASE_READ)) return false; /* in order: the head decides */
    }
    return false;
}

/* Reads are answered in the order they came (a later read never overtakes an earlier
 * one): the longest answerable prefix goes out. Without lease reads, rounds and indices
 * never decrease along the queue, so that prefix is every answerable read. lease_read
 * answers every read its lease covers at once, past reads still waiting for a round, as
 * lease reads do: they never wait. */
void raft_reads_take(raft_node *r, raft_ready *rd) {
    if (r->role != RAFT_LEADER) return;
    bool skip = raft_bug(r, RAFT_BUG_LEASE_READ);
    size_t n = 0;
    for (size_t k = r->reads_head; k < r->n_reads; k++) {
        if (answerable(r, &r->reads[k])) n++;
        else if (!skip) break;
    }
    if (n == 0) return;
    rd->reads = raft_xmalloc(n * sizeof *rd->reads);
    rd->n_reads = n;
    if (!skip) { /* the prefix */
        for (size_t k = 0; k < n; k++) {
            const raft_pending_read *p = &r->reads[r->reads_head + k];
            rd->reads[k] = (raft_read){p->id, p->index};
        }
        r->reads_head += n;
        return;
    }
    size_t out = 0, kept = r->reads_head; /* every answerable read; the rest close up */
    for (size_t k = r->reads_head; k < r->n_reads; k++) {
        const raft_pending_read *p = &r->reads[k];
        if (answerable(r, p)) rd->reads[out++] = (raft_read){p->id, p->index};
        else r->reads[kept++] = *p;
    }
    r->n_reads = kept;
}

void raft_reads_fail_all(raft_node *r) {
    for (size_t k = r->reads_head; k < r->n_reads; k++) raft_out_fail_read(r, r->reads[k].id);
    r->reads_head = r->n_reads = 0;
    r->round_wanted = false;
}
