/* Log compaction and InstallSnapshot (Raft §7). The host snapshots its state machine and
 * calls raft_compact; a follower whose next entry was compacted away gets the whole
 * snapshot in one message, and either already holds its last entry (then it only moves
 * its commit index, as etcd does) or drops its log and installs it. */
#include "raft_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *dup_bytes(const uint8_t *p, size_t len) {
    if (len == 0) return NULL;
    uint8_t *q = raft_xmalloc(len);
    memcpy(q, p, len);
    return q;
}

int raft_compact(raft_node *r, uint64_t index, const void *data, size_t len) {
    if (index <= r->log.base_index || index > r->applied || index > raft_log_last_index(&r->log))
        return RAFT_EINVAL;
    if (len > RAFT_SNAPSHOT_BYTES_MAX || (len > 0 && !data)) return RAFT_EINVAL;
    uint64_t term = raft_log_term(&r->log, index);
    raft_log_compact(&r->log, index);
    free(r->snap.data);
    r->snap = (raft_snapshot){index, term, dup_bytes(data, len), len};
    return RAFT_OK;
}

void raft_send_snapshot(raft_node *r, int peer) {
    assert(r->snap.index == r->log.base_index && r->snap.index > 0);
    raft_msg m = {.type = RAFT_MSG_SNAPSHOT, .from = r->cfg.id, .to = peer, .term = r->term,
                  .index = r->snap.index, .log_term = r->snap.term, .read_seq = r->read_seq,
                  .data = dup_bytes(r->snap.data, r->snap.len), .len = r->snap.len};
    r->prs[peer].next = r->snap.index + 1;
    raft_out_send(r, &m);
}

void raft_on_snapshot(raft_node *r, const raft_msg *m) {
    assert(m->term == r->term);
    if (r->role == RAFT_LEADER) return;
    if (r->role != RAFT_FOLLOWER || r->leader != m->from) raft_become_follower(r, m->term, m->from);
    r->election_elapsed = 0;
    r->heard_elapsed = 0;
    raft_msg reply = {.type = RAFT_MSG_APPEND_RESP, .from = r->cfg.id, .to = m->from,
                      .term = r->term, .read_seq = m->read_seq, .ok = true, .index = m->index};
    if (m->index <= r->commit) {
        reply.index = r->commit; /* nothing new in it */
    } else if (m->index <= raft_log_last_index(&r->log) &&
               raft_log_term(&r->log, m->index) == m->log_term) {
        r->commit = m->index; /* we hold its last entry, hence (Log Matching) all it covers */
    } else {
        raft_log_reset(&r->log, m->index, m->log_term);
        while (r->out.n_entries > 0) raft_entry_free(&r->out.entries[--r->out.n_entries]);
        free(r->snap.data);
        r->snap = (raft_snapshot){m->index, m->log_term, dup_bytes(m->data, m->len), m->len};
        free(r->out.snapshot.data);
        r->out.snapshot =
            (raft_snapshot){m->index, m->log_term, dup_bytes(m->data, m->len), m->len};
        r->out.has_snapshot = true;
        r->commit = r->applied = m->index;
        r->persisted = 0; /* until the host reports the snapshot durable */
        r->n_unsynced = 0; /* what earlier batches wrote is no longer our log */
    }
    raft_out_send(r, &reply);
}
