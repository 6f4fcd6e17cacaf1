/* A Raft node's life cycle, roles and clock: raft_new from a boot state, role changes,
 * ticks, the dispatch of incoming messages by term (Raft Figure 2, "Rules for Servers"),
 * proposals, status. */
#include "raft_internal.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool raft_bug(const raft_node *r, unsigned bug) { return (r->cfg.bugs & bug) != 0; }

static int check_config(const raft_config *c, char *err, size_t err_bytes) {
    if (c->nodes < 1 || c->nodes > RAFT_NODES_MAX)
        snprintf(err, err_bytes, "nodes must be 1..%d", RAFT_NODES_MAX);
    else if (c->id < 0 || c->id >= c->nodes)
        snprintf(err, err_bytes, "id must be 0..%d", c->nodes - 1);
    else if (c->election_ticks < 2 || c->election_ticks > 1000000)
        snprintf(err, err_bytes, "election_ticks must be 2..1000000");
    else if (c->heartbeat_ticks < 1 || c->heartbeat_ticks >= c->election_ticks)
        snprintf(err, err_bytes, "heartbeat_ticks must be 1..election_ticks-1");
    else if (c->max_append_entries < 1 || c->max_append_entries > RAFT_APPEND_ENTRIES_MAX)
        snprintf(err, err_bytes, "max_append_entries must be 1..%u", RAFT_APPEND_ENTRIES_MAX);
    else if (c->bugs & ~(unsigned)RAFT_BUGS_ALL)
        snprintf(err, err_bytes, "unknown bug flags 0x%x", c->bugs);
    else if ((c->bugs & RAFT_BUG_LEASE_READ) && c->lease_ms <= 0)
        snprintf(err, err_bytes, "lease_read needs lease_ms > 0");
    else
        return 0;
    return -1;
}

/* The boot state must be a log this node could have written. */
static int check_boot(const raft_config *c, const raft_boot *b, char *err, size_t err_bytes) {
    const raft_snapshot *s = &b->snapshot;
    if (b->hs.term >= RAFT_INDEX_MAX ||
        (b->hs.vote != RAFT_NONE && (b->hs.vote < 0 || b->hs.vote >= c->nodes)))
        snprintf(err, err_bytes, "hard state: term out of range or vote not a node");
    else if ((s->index == 0) != (s->term == 0) || s->term > b->hs.term ||
             s->index >= RAFT_INDEX_MAX)
        snprintf(err, err_bytes,
                 "snapshot: index and term must be both 0 or both >= 1, term <= current term");
    else if (s->len > RAFT_SNAPSHOT_BYTES_MAX || (s->len > 0 && !s->data))
        snprintf(err, err_bytes, "snapshot: bytes missing or more than %u",
                 RAFT_SNAPSHOT_BYTES_MAX);
    else if (b->n_entries > 0 && !b->entries)
        snprintf(err, err_bytes, "entries missing");
    else {
        uint64_t prev_term = s->term;
        for (size_t k = 0; k < b->n_entries; k++) {
            const raft_entry *e = &b->entries[k];
            if (e->index != s->index + 1 + k || e->term < prev_term || e->term > b->hs.term ||
                e->term < 1 || e->len > RAFT_ENTRY_BYTES_MAX || (e->len > 0 && !e->data) ||
                (e->type != RAFT_ENTRY_NOOP && e->type != RAFT_ENTRY_COMMAND)) {
                snprintf(err, err_bytes,
                         "log entry %zu (index %llu) does not follow the one before", k,
                         (unsigned long long)e->index);
                return -1;
            }
            prev_term = e->term;
        }
        return 0;
    }
    return -1;
}

raft_node *raft_new(const raft_config *cfg, const raft_boot *boot, char *err, size_t err_bytes) {
    if (check_config(cfg, err, err_bytes) != 0 || check_boot(cfg, boot, err, err_bytes) != 0)
        return NULL;
    raft_node *r = raft_xmalloc(sizeof *r);
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    r->quorum = cfg->nodes / 2 + 1;
    raft_rng_seed(&r->rng, cfg->seed);
    r->term = boot->hs.term;
    r->vote = boot->hs.vote;
    const raft_snapshot *s = &boot->snapshot;
    raft_log_init(&r->log, s->index, s->term);
    for (size_t k = 0; k < boot->n_entries; k++) raft_log_append(&r->log, &boot->entries[k]);
    r->snap = (raft_snapshot){s->index, s->term, NULL, s->len};
    if (s->len > 0) {
        r->snap.data = raft_xmalloc(s->len);
        memcpy(r->snap.data, s->data, s->len);
    }
    r->commit = r->applied = s->index; /* the snapshot holds only committed entries */
    r->persisted = raft_log_last_index(&r->log);
    r->role = RAFT_FOLLOWER;
    r->leader = RAFT_NONE;
    r->heard_elapsed = 0; /* lease_read: a restarted node may have heard a leader just before */
    raft_reset_election_timer(r);
    return r;
}

void raft_free(raft_node *r) {
    if (!r) return;
    raft_log_free(&r->log);
    free(r->snap.data);
    free(r->reads);
    free(r->unsynced);
    raft_out_free(&r->out);
    free(r);
}

void raft_reset_election_timer(raft_node *r) {
    r->election_elapsed = 0;
    r->election_timeout =
        r->cfg.election_ticks + (uint32_t)raft_rng_below(&r->rng, r->cfg.election_ticks);
}

/* A new term forgets the vote: the hard state must be written (and, bugs aside, synced). */
void raft_set_term(raft_node *r, uint64_t term) {
    assert(term >= r->term);
    if (term == r->term) return;
    r->term = term;
    r->vote = RAFT_NONE;
    r->out.hs_changed = true;
}

static void set_role(raft_node *r, raft_role role, int leader) {
    if (r->role != role || r->leader != leader) r->out.role_changed = true;
    r->role = role;
    r->leader = leader;
}

void raft_become_follower(raft_node *r, uint64_t term, int leader) {
    if (r->role == RAFT_LEADER) raft_reads_fail_all(r);
    if (term > r->term) r->out.role_changed = true;
    raft_set_term(r, term);
    set_role(r, RAFT_FOLLOWER, leader);
    raft_reset_election_timer(r);
}

void raft_become_candidate(raft_node *r) {
    assert(r->role != RAFT_LEADER);
    raft_set_term(r, r->term + 1);
    r->vote = r->cfg.id;
    r->out.hs_changed = true;
    r->out.role_changed = true;
    set_role(r, RAFT_CANDIDATE, RAFT_NONE);
    r->granted = 1u << r->cfg.id;
    r->refused = 0;
    raft_reset_election_timer(r);
}

/* Raft §5.4.2 / §8: a new leader appends a no-op of its own term; committing it commits
 * everything before it, and reads wait for it (§6.4). */
void raft_become_leader(raft_node *r) {
    assert(r->role == RAFT_CANDIDATE);
    set_role(r, RAFT_LEADER, r->cfg.id);
    r->elections_won++;
    uint64_t last = raft_log_last_index(&r->log);
    for (int i = 0; i < r->cfg.nodes; i++) r->prs[i] = (raft_progress){last + 1, 0, 0};
    r->read_seq = r->confirmed_seq = 0;
    r->round_wanted = false;
    r->lease_until_ms = INT64_MIN;
    r->heartbeat_elapsed = 0;
    raft_entry noop = {last + 1, r->term, RAFT_ENTRY_NOOP, 0, NULL};
    raft_log_write(r, &noop);
    r->noop_index = noop.index;
    raft_round_start(r);
    raft_broadcast_append(r);
}

void raft_tick(raft_node *r, int64_t wall_ms) {
    r->wall_ms = wall_ms;
    if (r->heard_elapsed < UINT32_MAX) r->heard_elapsed++;
    if (r->role == RAFT_LEADER) {
        if (++r->heartbeat_elapsed >= r->cfg.heartbeat_ticks) {
            r->heartbeat_elapsed = 0;
            raft_round_start(r); /* every heartbeat is a leadership round: reads ride on it */
            raft_broadcast_append(r);
        }
        return;
    }
    if (++r->election_elapsed >= r->election_timeout) raft_campaign_now(r);
}

int raft_campaign(raft_node *r) {
    if (r->role == RAFT_LEADER) return RAFT_EINVAL;
    raft_campaign_now(r);
    return RAFT_OK;
}

/* Tell a sender from an older term that it is behind (Figure 2: reply false if term <
 * currentTerm); responses from older terms are dropped. */
static void answer_stale(raft_node *r, const raft_msg *m) {
    raft_msg reply = {.from = r->cfg.id, .to = m->from, .term = r->term};
    if (m->type == RAFT_MSG_VOTE) {
        reply.type = RAFT_MSG_VOTE_RESP;
    } else if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_SNAPSHOT) {
        reply.type = RAFT_MSG_APPEND_RESP;
        reply.index = m->index;
        reply.hint = m->index > 1 ? m->index : 1;
        reply.read_seq = m->read_seq;
    } else {
        return;
    }
    raft_out_send(r, &reply);
}

int raft_receive(raft_node *r, const raft_msg *m) {
    char err[128];
    if (m->to != r->cfg.id || raft_msg_check(m, r->cfg.nodes, err, sizeof err) != 0)
        return RAFT_EINVAL;
    if (m->term < r->term) {
        answer_stale(r, m);
        return RAFT_OK;
    }
    if (m->term > r->term) {
        /* lease_read: a follower that heard its leader within the election timeout ignores
         * a campaign outright (etcd's check-quorum stickiness), so no new leader is elected
         * while the old one's lease can still hold. */
        if (m->type == RAFT_MSG_VOTE && raft_in_lease(r)) return RAFT_OK;
        bool from_leader = m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_SNAPSHOT;
        raft_become_follower(r, m->term, from_leader ? m->from : RAFT_NONE);
    }
    switch (m->type) {
    case RAFT_MSG_VOTE: raft_on_vote(r, m); break;
    case RAFT_MSG_VOTE_RESP: raft_on_vote_resp(r, m); break;
    case RAFT_MSG_APPEND: raft_on_append(r, m); break;
    case RAFT_MSG_APPEND_RESP: raft_on_append_resp(r, m); break;
    case RAFT_MSG_SNAPSHOT: raft_on_snapshot(r, m); break;
    }
    return RAFT_OK;
}

int raft_propose(raft_node *r, const void *cmd, size_t len, raft_ticket *ticket) {
    if (r->role != RAFT_LEADER) return RAFT_ENOTLEADER;
    if (len > RAFT_ENTRY_BYTES_MAX || (len > 0 && !cmd)) return RAFT_EINVAL;
    uint64_t last = raft_log_last_index(&r->log);
    if (last - r->commit >= RAFT_UNCOMMITTED_MAX || last + 1 >= RAFT_INDEX_MAX) return RAFT_EBUSY;
    raft_entry e = {last + 1, r->term, RAFT_ENTRY_COMMAND, (uint32_t)len, (uint8_t *)cmd};
    raft_log_write(r, &e);
    *ticket = (raft_ticket){e.index, e.term};
    /* Followers that were sent everything get the entry now; the others get it when
     * their earlier appends are answered. */
    for (int i = 0; i < r->cfg.nodes; i++)
        if (i != r->cfg.id && r->prs[i].next == e.index) raft_send_append(r, i);
    if (r->quorum == 1) raft_maybe_commit(r);
    return RAFT_OK;
}

void raft_status_get(const raft_node *r, raft_status *st) {
    *st = (raft_status){
        .id = r->cfg.id, .role = r->role, .term = r->term, .vote = r->vote,
        .leader = r->leader, .commit = r->commit, .applied = r->applied,
        .last_index = raft_log_last_index(&r->log), .last_term = raft_log_last_term(&r->log),
        .snapshot_index = r->log.base_index, .persisted_index = r->persisted,
        .elections_won = r->elections_won,
    };
}

const raft_entry *raft_log_at(const raft_node *r, uint64_t index) {
    return raft_log_get(&r->log, index);
}

const char *raft_role_name(raft_role role) {
    switch (role) {
    case RAFT_FOLLOWER: return "follower";
    case RAFT_CANDIDATE: return "candidate";
    case RAFT_LEADER: return "leader";
    }
    return "?";
}

static const struct { unsigned bug; const char *name; } bug_names[] = {
    {RAFT_BUG_VOLATILE_VOTE, "volatile-vote"},
    {RAFT_BUG_OLD_TERM_COMMIT, "old-term-commit"},
    {RAFT_BUG_STALE_READ, "stale-read"},
    {RAFT_BUG_LEASE_READ, "lease-read"},
};

unsigned raft_bug_from_name(const char *name) {
    for (size_t i = 0; i < sizeof bug_names / sizeof bug_names[0]; i++)
        if (!strcmp(name, bug_names[i].name)) return bug_names[i].bug;
    return 0;
}

const char *raft_bug_name(unsigned bug) {
    for (size_t i = 0; i < sizeof bug_names / sizeof bug_names[0]; i++)
        if (bug == bug_names[i].bug) return bug_names[i].name;
    return NULL;
}
