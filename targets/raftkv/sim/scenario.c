/* Scripted scenarios: fixed schedules of partitions, crashes and campaigns that random
 * runs rarely produce, each checked by the same oracle. Run in correct mode they must
 * pass (the schedule alone is no violation); run with their bug they must fail.
 *
 *   figure8      Raft's Figure 8 on three nodes (old-term-commit). n1 leads term t with
 *                everyone holding its no-op; cut off, it appends X at index b+1. n2 is
 *                elected (term t+1) by n3 and appends its no-op Y at b+1, then is cut
 *                off before Y leaves it. n1 restarts, is elected by n3 (its log is longer),
 *                appends its no-op Z at b+2 and replicates X to n3 alone (one entry per
 *                message). X is now on a majority but is from an earlier term: a correct
 *                leader waits for Z; the buggy one commits X. n1 is cut off; n2 restarts,
 *                is elected by n3 (Y's term beats X's) and overwrites X: a committed
 *                entry lost (leader completeness, then commit agreement).
 *   double-vote  volatile-vote on three nodes. n1 campaigns (term 1) with n3, n3 grants;
 *                the grant goes out before it is durable; n3 crashes, losing it; n1 wins.
 *                n3 restarts with no vote, n2 campaigns in term 1 with n3 alone and wins
 *                too: two leaders in term 1 (election safety). Correct mode never sends
 *                the grant, so n1 never wins term 1. */
#include "scenario.h"

#include <string.h>

static raft_status status_of(sim *s, int node) {
    raft_status st = {0};
    if (s->nodes[node].up) raft_status_get(s->nodes[node].raft, &st);
    return st;
}

static bool is_leader(sim *s, int node) {
    return s->nodes[node].up && status_of(s, node).role == RAFT_LEADER;
}

static void cut(sim *s, uint8_t g0, uint8_t g1, uint8_t g2) {
    uint8_t group[SIM_NODES_MAX] = {g0, g1, g2};
    sim_partition(s, group);
}

/* Steps until node leads (campaigning whenever it is not leader and has not campaigned
 * for 3 steps), at most cap steps. False on a violation or when it never wins. */
static bool elect(sim *s, int node, uint32_t cap) {
    uint64_t last_campaign = 0;
    for (uint32_t i = 0; i < cap && !s->oracle.violated; i++) {
        if (is_leader(s, node)) return true;
        if (s->now >= last_campaign + 3) {
            sim_campaign(s, node);
            last_campaign = s->now;
            if (is_leader(s, node) || s->oracle.violated) return is_leader(s, node);
        }
        sim_step(s);
    }
    return is_leader(s, node);
}

static bool run_until_commit(sim *s, int node, uint64_t index, uint32_t cap) {
    for (uint32_t i = 0; i < cap && sim_step(s); i++)
        if (status_of(s, node).commit >= index) return true;
    return false;
}

static bool all_applied(sim *s, uint64_t index, uint32_t cap) {
    for (uint32_t i = 0; i < cap && sim_step(s); i++) {
        bool all = true;
        for (int k = 0; k < s->p.nodes; k++) all = all && s->nodes[k].fsm.applied >= index;
        if (all) return true;
    }
    return false;
}

static void restart(sim *s, int node) {
    sim_crash(s, node, true);
    sim_restart(s, node);
}

static void figure8(sim *s) {
    if (!elect(s, 0, 100)) return;
    uint64_t b = status_of(s, 0).last_index; /* n1's no-op */
    if (!all_applied(s, b, 100)) return;
    cut(s, 0, 1, 1);
    sim_propose(s, 0); /* X at b+1, only in n1's log */
    sim_step(s);
    if (!elect(s, 1, 60)) return; /* Y, n2's no-op, at b+1 */
    cut(s, 0, 1, 0);              /* Y's appends are in flight: dropped */
    restart(s, 0);
    if (!elect(s, 0, 60)) return;  /* Z at b+2; X goes to n3 first, alone */
    run_until_commit(s, 0, b + 1, 30);
    cut(s, 0, 1, 1);              /* Z's append to n3, if any, is in flight: dropped */
    restart(s, 1);
    elect(s, 1, 80); /* with the bug it wins and overwrites X; correctly, n3 refuses it */
}

static bool voted(sim *s, int node, int for_node) {
    raft_status st = status_of(s, node);
    return st.term == 1 && st.vote == for_node;
}

static void double_vote(sim *s) {
    cut(s, 0, 1, 0);
    sim_campaign(s, 0); /* term 1 */
    for (int i = 0; i < 20 && !voted(s, 2, 0); i++) sim_step(s);
    sim_crash(s, 2, true); /* n3's grant is out (bug) or not yet (correct); its vote is lost */
    for (int i = 0; i < 3; i++) sim_step(s);
    sim_restart(s, 2);
    cut(s, 1, 0, 0);
    sim_campaign(s, 1); /* term 1 again: n3 remembers no vote */
    for (int i = 0; i < 20 && !is_leader(s, 1) && sim_step(s); i++) {}
}

static const struct {
    const char *name;
    int nodes;
    uint32_t fsync_delay; /* double-vote: a window in which a vote is not yet durable */
    void (*run)(sim *s);
} scenarios[] = {
    {"figure8", 3, 0, figure8},
    {"double-vote", 3, 3, double_vote},
};

bool scenario_exists(const char *name) {
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        if (!strcmp(scenarios[i].name, name)) return true;
    return false;
}

int scenario_run(sim *s, const char *name, unsigned bugs, bool verbose, FILE *out) {
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        if (strcmp(scenarios[i].name, name)) continue;
        sim_params p;
        sim_params_scripted(&p, scenarios[i].nodes, bugs);
        p.fsync_delay_min = p.fsync_delay_max = scenarios[i].fsync_delay;
        sim_init(s, &p, 1, verbose, out);
        scenarios[i].run(s);
        if (s->oracle.violated) return 1;
        return sim_check_liveness(s) ? 0 : 1;
    }
    return -1;
}
