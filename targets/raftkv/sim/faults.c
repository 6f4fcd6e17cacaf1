/* Random faults and clients for one step of a random run. Every choice comes from the
 * run's rng, so a seed replays exactly.
 *
 * Faults: partitions (two random halves, one node cut off, or three groups), healed
 * after 1..fault_ticks_max steps; crashes that lose every unsynced write or a random
 * prefix of them, with a restart 1..fault_ticks_max steps later (a node cut off or
 * crashed is the leader half the time: leader changes with entries in flight are where
 * Raft's hard cases live); wall-clock jumps of up
 * to ±4 s (only lease-read and the lock app's leaders look at the wall clock); compactions at a node's applied
 * index, which send lagging followers snapshots. Clients: proposals (the lock app's
 * clients instead, locks.h) and reads, three times in four at the leader with the highest
 * term, else at a random node. */
#include "sim.h"

#include <stdlib.h>
#include <string.h>

static int random_node(sim *s) { return (int)raft_rng_below(&s->rng, (uint64_t)s->p.nodes); }

/* The leader half the time (Jepsen's kill:primaries), else anyone. */
static int fault_target(sim *s) {
    int leader = sim_leader(s);
    return leader >= 0 && raft_rng_below(&s->rng, 2) ? leader : random_node(s);
}

static void random_partition(sim *s) {
    uint8_t group[SIM_NODES_MAX] = {0};
    uint64_t kind = raft_rng_below(&s->rng, 3);
    if (kind == 0) { /* one node alone: often the leader */
        group[fault_target(s)] = 1;
    } else {
        uint64_t groups = kind == 2 && s->p.nodes >= 5 ? 3 : 2;
        for (int i = 0; i < s->p.nodes; i++) group[i] = (uint8_t)raft_rng_below(&s->rng, groups);
    }
    sim_partition(s, group);
    s->partition_heal_at = s->now + 1 + raft_rng_below(&s->rng, s->p.fault_ticks_max);
}

static void random_compaction(sim *s) {
    sim_node *n = &s->nodes[random_node(s)];
    raft_status st;
    if (!n->up) return;
    raft_status_get(n->raft, &st);
    if (n->fsm.applied < st.snapshot_index + 4) return; /* not worth it yet */
    size_t len = 0;
    uint8_t *blob = fsm_snapshot(&n->fsm, &len);
    if (raft_compact(n->raft, n->fsm.applied, blob, len) != RAFT_OK) {
        free(blob);
        return;
    }
    disk_write_compact(&n->disk, n->fsm.applied, n->fsm.applied_term, blob, len);
    free(blob);
    s->stats.compactions++;
    SIM_TRACE(s, "compact", n->id, n->fsm.applied, 0, 0, 0, "n%d compacts its log up to index %llu",
              n->id + 1, (unsigned long long)n->fsm.applied);
}

void sim_faults_step(sim *s) {
    const sim_params *p = &s->p;
    if (!s->partition_heal_at && raft_rng_chance(&s->rng, p->partition_ppm)) random_partition(s);
    if (raft_rng_chance(&s->rng, p->crash_ppm)) {
        int i = fault_target(s);
        if (s->nodes[i].up) {
            sim_crash(s, i, raft_rng_below(&s->rng, 2) == 0);
            s->nodes[i].restart_at = s->now + 1 + raft_rng_below(&s->rng, p->fault_ticks_max);
        }
    }
    if (raft_rng_chance(&s->rng, p->clock_ppm)) {
        sim_node *n = &s->nodes[random_node(s)];
        n->clock_offset_ms = (int64_t)raft_rng_below(&s->rng, 8001) - 4000;
        n->clock_reset_at = s->now + 1 + raft_rng_below(&s->rng, p->fault_ticks_max);
        s->stats.clock_jumps++;
        SIM_TRACE(s, "clock", n->id, (uint64_t)n->clock_offset_ms, 0, 0, 0,
                  "n%d's wall clock is off by %lld ms", n->id + 1, (long long)n->clock_offset_ms);
    }
    if (raft_rng_chance(&s->rng, p->compact_ppm)) random_compaction(s);
}

int sim_client_target(sim *s) {
    int leader = sim_leader(s);
    if (leader >= 0 && raft_rng_below(&s->rng, 4) != 0) return leader;
    return random_node(s);
}

void sim_clients_step(sim *s) {
    if (s->p.app == SIM_APP_LOCKD)
        locks_clients_step(s);
    else if (raft_rng_chance(&s->rng, s->p.propose_ppm))
        sim_propose(s, sim_client_target(s));
    if (raft_rng_chance(&s->rng, s->p.read_ppm)) sim_read(s, sim_client_target(s));
}
