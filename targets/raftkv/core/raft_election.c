/* Leader election (Raft §5.2, §5.4.1): campaigns, RequestVote and its answers. */
#include "raft_internal.h"

#include <assert.h>

static int count(uint32_t bits) { return __builtin_popcount(bits); }

bool raft_in_lease(const raft_node *r) {
    return raft_bug(r, RAFT_BUG_LEASE_READ) && r->role == RAFT_FOLLOWER &&
           r->heard_elapsed < r->cfg.election_ticks;
}

void raft_campaign_now(raft_node *r) {
    raft_become_candidate(r);
    if (count(r->granted) >= r->quorum) { /* a cluster of one */
        raft_become_leader(r);
        return;
    }
    for (int i = 0; i < r->cfg.nodes; i++) {
        if (i == r->cfg.id) continue;
        raft_msg m = {.type = RAFT_MSG_VOTE, .from = r->cfg.id, .to = i, .term = r->term,
                      .index = raft_log_last_index(&r->log),
                      .log_term = raft_log_last_term(&r->log)};
        raft_out_send(r, &m);
    }
}

/* §5.4.1: the candidate's log is at least as up-to-date as ours. */
static bool log_up_to_date(const raft_node *r, const raft_msg *m) {
    uint64_t last_term = raft_log_last_term(&r->log);
    if (m->log_term != last_term) return m->log_term > last_term;
    return m->index >= raft_log_last_index(&r->log);
}

/* Called with m->term == r->term (a higher term has already made us a follower of it).
 * The vote goes out in the same batch as the hard state that records it, so (bugs
 * aside) it is sent only once the vote is durable: a restarted node never votes twice. */
void raft_on_vote(raft_node *r, const raft_msg *m) {
    assert(m->term == r->term);
    bool free_to_vote = r->vote == RAFT_NONE || r->vote == m->from;
    bool grant = r->role == RAFT_FOLLOWER && free_to_vote && log_up_to_date(r, m);
    if (grant) {
        if (r->vote != m->from) r->out.hs_changed = true;
        r->vote = m->from;
        raft_reset_election_timer(r); /* Figure 2: granting a vote resets the timer */
    }
    raft_msg reply = {.type = RAFT_MSG_VOTE_RESP, .from = r->cfg.id, .to = m->from,
                      .term = r->term, .ok = grant};
    raft_out_send(r, &reply);
}

void raft_on_vote_resp(raft_node *r, const raft_msg *m) {
    assert(m->term == r->term);
    if (r->role != RAFT_CANDIDATE) return;
    if (m->ok)
        r->granted |= 1u << m->from;
    else
        r->refused |= 1u << m->from;
    if (count(r->granted) >= r->quorum) raft_become_leader(r);
}
