/* The simulation loop (sim.h "Method"), the events scripts and faults use, and the final
 * liveness check. */
#include "sim.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void sim_params_random(sim_params *p, uint64_t seed, int nodes, unsigned bugs, uint32_t steps) {
    static const uint32_t batch_sizes[] = {
        1, 1, 2, 64}; /* one entry per message most often: Figure 8 needs it */
    raft_rng r;
    raft_rng_seed(&r, seed ^ 0x7061726d73ULL); /* its own stream: params never shift the run's */
    memset(p, 0, sizeof *p);
    p->nodes = nodes > 0 ? nodes : raft_rng_below(&r, 2) ? 5 : 3;
    p->steps = steps;
    p->election_ticks = 8 + (uint32_t)raft_rng_below(&r, 5);
    p->heartbeat_ticks = 1 + (uint32_t)raft_rng_below(&r, p->election_ticks / 3);
    p->max_append_entries = batch_sizes[raft_rng_below(&r, 4)];
    p->bugs = bugs;
    p->faults = p->clients = true;
    p->delay_max = 1 + (uint32_t)raft_rng_below(&r, 3);
    p->long_delay_ppm = raft_rng_below(&r, 2) ? 20000 : 0;
    p->loss_ppm = (uint32_t)raft_rng_below(&r, 4) * 30000;
    p->dup_ppm = (uint32_t)raft_rng_below(&r, 3) * 20000;
    p->fsync_delay_max = (uint32_t)raft_rng_below(&r, 4);
    p->partition_ppm = 10000 + (uint32_t)raft_rng_below(&r, 20000);
    p->crash_ppm = 5000 + (uint32_t)raft_rng_below(&r, 15000);
    p->clock_ppm = 5000;
    p->compact_ppm = 20000;
    p->fault_ticks_max = 5 * p->election_ticks;
    p->propose_ppm = 300000;
    p->read_ppm = 200000;
    p->ttl_ms = 2 * (int64_t)p->election_ticks * SIM_TICK_MS; /* the lock app's leases */
}

void sim_params_scripted(sim_params *p, int nodes, unsigned bugs) {
    memset(p, 0, sizeof *p);
    p->nodes = nodes;
    p->election_ticks = 20;
    p->heartbeat_ticks = 8; /* rare enough that a script's few steps see no stray heartbeat */
    p->max_append_entries = 1;
    p->bugs = bugs;
    p->delay_max = 1;
    p->fault_ticks_max = 1;
}

void sim_log(const sim *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(s->out, "[step %llu] ", (unsigned long long)s->now);
    vfprintf(s->out, fmt, ap);
    fputc('\n', s->out);
    va_end(ap);
}

const char *sim_node_name(int id, char *buf) {
    if (id == RAFT_NONE) return "none";
    snprintf(buf, 16, "n%d", id + 1);
    return buf;
}

void sim_init(sim *s, const sim_params *p, uint64_t seed, bool verbose, FILE *out) {
    assert(p->nodes >= 1 && p->nodes <= SIM_NODES_MAX);
    memset(s, 0, sizeof *s);
    s->p = *p;
    s->seed = seed;
    s->verbose = verbose;
    s->out = out;
    raft_rng_seed(&s->rng, seed);
    net_init(&s->net);
    oracle_init(&s->oracle);
    trace_init(&s->trace);
    locks_init(&s->locks);
    raft_rng skew;
    raft_rng_seed(&skew, seed ^ 0x736b6577ULL); /* its own stream, as the params' */
    for (int i = 0; i < p->nodes; i++) {
        s->nodes[i].id = i;
        disk_init(&s->nodes[i].disk);
        if (p->skew_ms > 0)
            s->nodes[i].skew_ms =
                (int64_t)raft_rng_below(&skew, 2 * (uint64_t)p->skew_ms + 1) - p->skew_ms;
    }
    for (int i = 0; i < p->nodes; i++) sim_node_start(s, &s->nodes[i]);
}

void sim_free(sim *s) {
    s->verbose = false; /* the teardown is no event */
    for (int i = 0; i < s->p.nodes; i++) {
        sim_node *n = &s->nodes[i];
        if (n->up) sim_node_stop(s, n, 0);
        disk_free(&n->disk);
        sim_mirror_free(&n->mirror);
        free(n->batches);
        free(n->writes);
        free(n->reads);
    }
    net_free(&s->net);
    oracle_free(&s->oracle);
    locks_free(&s->locks);
    free(s->due);
}

int64_t sim_wall_ms(const sim *s, int node) {
    return SIM_WALL_EPOCH_MS + (int64_t)s->now * SIM_TICK_MS + s->nodes[node].clock_offset_ms +
           s->nodes[node].skew_ms;
}

int sim_leader(const sim *s) {
    int best = -1;
    uint64_t best_term = 0;
    for (int i = 0; i < s->p.nodes; i++) {
        const sim_node *n = &s->nodes[i];
        if (!n->up) continue;
        raft_status st;
        raft_status_get(n->raft, &st);
        if (st.role == RAFT_LEADER && st.term >= best_term) {
            best = i;
            best_term = st.term;
        }
    }
    return best;
}

/* ---- events ---- */

void sim_partition(sim *s, const uint8_t group[SIM_NODES_MAX]) {
    memcpy(s->net.group, group, SIM_NODES_MAX);
    s->stats.partitions++;
    uint64_t g = 0;
    char text[3 * SIM_NODES_MAX + 1] = "";
    for (int i = 0; i < s->p.nodes; i++) {
        g = g * 4 + group[i];
        snprintf(text + 2 * i, sizeof text - 2 * (size_t)i, " %c", '0' + group[i] % 10);
    }
    SIM_TRACE(s, "partition", g, 0, 0, 0, 0, "partition: groups of n1..n%d:%s", s->p.nodes, text);
}

void sim_heal(sim *s) {
    memset(s->net.group, 0, sizeof s->net.group);
    s->partition_heal_at = 0;
    SIM_TRACE(s, "heal", 0, 0, 0, 0, 0, "partition healed");
}

void sim_crash(sim *s, int node, bool lose_all_unsynced) {
    sim_node *n = &s->nodes[node];
    if (!n->up) return;
    size_t pending = n->disk.n_pending;
    size_t keep = lose_all_unsynced ? 0 : (size_t)raft_rng_below(&s->rng, pending + 1);
    s->stats.crashes++;
    sim_node_stop(s, n, keep);
    n->restart_at = 0;
}

void sim_restart(sim *s, int node) {
    sim_node *n = &s->nodes[node];
    if (n->up) return;
    n->restart_at = 0;
    sim_node_start(s, n);
    sim_node_pump(s, n);
}

void sim_campaign(sim *s, int node) {
    sim_node *n = &s->nodes[node];
    if (!n->up || raft_campaign(n->raft) != RAFT_OK) return;
    SIM_TRACE(s, "campaign", node, 0, 0, 0, 0, "n%d is told to campaign", node + 1);
    sim_node_pump(s, n);
}

int sim_propose(sim *s, int node) {
    if (!s->nodes[node].up) return RAFT_ENOTLEADER;
    uint64_t op = ++s->next_op;
    if (s->p.app == SIM_APP_LOCKD) {
        size_t len = 0;
        uint8_t *cmd = locks_probe_command(op, &len);
        int rc = sim_propose_bytes(s, node, op, cmd, len);
        free(cmd);
        return rc;
    }
    uint8_t cmd[FSM_CMD_BYTES];
    fsm_command(cmd, op, (unsigned)raft_rng_below(&s->rng, FSM_KEYS), (int64_t)op);
    return sim_propose_bytes(s, node, op, cmd, sizeof cmd);
}

int sim_propose_bytes(sim *s, int node, uint64_t op, const uint8_t *cmd, size_t len) {
    sim_node *n = &s->nodes[node];
    if (!n->up) return RAFT_ENOTLEADER;
    raft_ticket t;
    int rc = raft_propose(n->raft, cmd, len, &t);
    SIM_TRACE(s, "propose", node, op, rc, rc == RAFT_OK ? t.index : 0, rc == RAFT_OK ? t.term : 0,
              "n%d: propose op %llu -> %s (index %llu)", node + 1, (unsigned long long)op,
              rc == RAFT_OK ? "ok" : "refused", rc == RAFT_OK ? (unsigned long long)t.index : 0ULL);
    if (rc != RAFT_OK) return rc;
    s->stats.proposals++;
    if (n->n_writes == n->cap_writes) {
        n->cap_writes = n->cap_writes ? n->cap_writes * 2 : 16;
        n->writes = raft_xrealloc(n->writes, n->cap_writes * sizeof *n->writes);
    }
    n->writes[n->n_writes++] = (sim_write){op, t.index, t.term};
    sim_node_pump(s, n);
    return rc;
}

int sim_read(sim *s, int node) {
    sim_node *n = &s->nodes[node];
    if (!n->up) return RAFT_ENOTLEADER;
    uint64_t id = ++s->next_read;
    int rc = raft_read_index(n->raft, id);
    SIM_TRACE(s, "read-start", node, id, rc, s->oracle.lin_floor, 0,
              "n%d: read %llu -> %s (floor %llu)", node + 1, (unsigned long long)id,
              rc == RAFT_OK ? "started" : "refused", (unsigned long long)s->oracle.lin_floor);
    if (rc != RAFT_OK) return rc;
    s->stats.reads_invoked++;
    if (n->n_reads == n->cap_reads) {
        n->cap_reads = n->cap_reads ? n->cap_reads * 2 : 16;
        n->reads = raft_xrealloc(n->reads, n->cap_reads * sizeof *n->reads);
    }
    n->reads[n->n_reads++] = (sim_pending_read){id, s->oracle.lin_floor, s->now};
    sim_node_pump(s, n);
    return rc;
}

/* ---- the step ---- */

static void deliver(sim *s) {
    if (s->cap_due < s->net.n) {
        s->cap_due = s->net.cap;
        s->due = raft_xrealloc(s->due, s->cap_due * sizeof *s->due);
    }
    size_t k = net_take_due(&s->net, s->now, s->due);
    for (size_t i = 0; i < k; i++) {
        raft_msg *m = &s->due[i].m;
        sim_node *to = &s->nodes[m->to];
        if (!to->up || !net_connected(&s->net, m->from, m->to)) {
            s->stats.msgs_dropped++;
            SIM_TRACE(s, "drop", m->from, m->to, m->type, m->term, m->index,
                      "n%d -> n%d %s dropped (%s)", m->from + 1, m->to + 1,
                      raft_msg_type_name(m->type), to->up ? "partition" : "down");
        } else {
            s->stats.msgs_delivered++;
            SIM_TRACE(s, "deliver", m->from, m->to, m->type, m->term, m->index,
                      "n%d -> n%d %s term %llu index %llu log_term %llu commit %llu n=%u ok=%d "
                      "hint %llu seq %llu",
                      m->from + 1, m->to + 1, raft_msg_type_name(m->type),
                      (unsigned long long)m->term, (unsigned long long)m->index,
                      (unsigned long long)m->log_term, (unsigned long long)m->commit, m->n_entries,
                      m->ok, (unsigned long long)m->hint, (unsigned long long)m->read_seq);
            if (raft_receive(to->raft, m) != RAFT_OK) { /* the sim only sends what cores made */
                char err[128] = "";
                raft_msg_check(m, s->p.nodes, err, sizeof err);
                fprintf(stderr, "raft-sim: seed %llu: n%d refused a message from n%d: %s\n",
                        (unsigned long long)s->seed, m->to + 1, m->from + 1, err);
                abort();
            }
            sim_node_pump(s, to);
        }
        raft_msg_free(m);
    }
}

static void timers(sim *s) {
    for (int i = 0; i < s->p.nodes; i++) {
        sim_node *n = &s->nodes[i];
        if (!n->up && n->restart_at && s->now >= n->restart_at) sim_restart(s, i);
        if (n->clock_reset_at && s->now >= n->clock_reset_at) {
            n->clock_offset_ms = 0;
            n->clock_reset_at = 0;
        }
    }
    if (s->partition_heal_at && s->now >= s->partition_heal_at) sim_heal(s);
}

bool sim_step(sim *s) {
    s->now++;
    s->stats.steps++;
    timers(s);
    if (s->p.faults) sim_faults_step(s);
    if (s->p.clients) sim_clients_step(s);
    deliver(s);
    for (int i = 0; i < s->p.nodes; i++) {
        sim_node *n = &s->nodes[i];
        if (!n->up) continue;
        raft_tick(n->raft, sim_wall_ms(s, i));
        sim_node_pump(s, n);
        sim_node_check(s, n);
    }
    return !s->oracle.violated;
}

/* ---- the end: liveness after healing ---- */

static bool all_applied(const sim *s, uint64_t index) {
    for (int i = 0; i < s->p.nodes; i++)
        if (!s->nodes[i].up || s->nodes[i].fsm.applied < index) return false;
    return true;
}

bool sim_check_liveness(sim *s) {
    s->p.faults = s->p.clients = false;
    s->p.loss_ppm = s->p.dup_ppm = s->p.long_delay_ppm = 0;
    sim_heal(s);
    for (int i = 0; i < s->p.nodes; i++) {
        sim_restart(s, i);
        s->nodes[i].clock_offset_ms = 0;
    }
    uint64_t limit = 60 * (uint64_t)s->p.election_ticks, start = s->now;
    int proposer = -1;
    uint64_t proposer_term = 0;
    s->final_index = 0;
    s->final_op = s->next_op + 1; /* every write from here on is a final write */
    while (s->now - start < limit) {
        if (!sim_step(s)) return false;
        if (s->final_index && all_applied(s, s->final_index)) {
            SIM_TRACE(
                s, "live", s->final_index, s->now - start, 0, 0, 0,
                "liveness: the final write (index %llu) is applied everywhere after %llu steps",
                (unsigned long long)s->final_index, (unsigned long long)(s->now - start));
            return true;
        }
        /* (Re)propose whenever leadership moved since the last try: a deposed leader's
         * proposal may never commit. */
        int leader = sim_leader(s);
        if (!s->final_index && leader >= 0) {
            raft_status st;
            raft_status_get(s->nodes[leader].raft, &st);
            if (leader != proposer || st.term != proposer_term) {
                proposer = leader;
                proposer_term = st.term;
                sim_propose(s, leader);
            }
        }
    }
    return oracle_fail(&s->oracle, s->now, "liveness", "%llu steps after healing: %s",
                       (unsigned long long)limit,
                       s->final_index      ? "the final write is not applied on every node"
                       : sim_leader(s) < 0 ? "no leader"
                                           : "the final write never committed");
}

int sim_run(sim *s) {
    for (uint32_t i = 0; i < s->p.steps; i++)
        if (!sim_step(s)) return 1;
    return sim_check_liveness(s) ? 0 : 1;
}
