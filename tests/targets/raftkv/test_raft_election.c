/* Unit tests of the Raft core's elections and terms (Raft §5.2, §5.4.1; Figure 2): a
 * campaign wins with a majority of votes, timeouts are drawn from [T, 2T), a node votes at
 * most once per term and only for an up-to-date log, a higher term makes anyone a
 * follower, a stale term is refused, votes are synced before they are sent (and not with
 * volatile_vote), and raft_new refuses configurations and boot states that cannot be. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "raft.h"
#include "testnet.h"

static raft_msg vote_req(int from, int to, uint64_t term, uint64_t last_index, uint64_t last_term) {
    return (raft_msg){.type = RAFT_MSG_VOTE, .from = from, .to = to, .term = term,
                      .index = last_index, .log_term = last_term};
}

/* The ok flag of the last vote_resp node from sent to node to, or -1 if none is queued. */
static int last_vote_answer(const tn *t, int from, int to) {
    int ok = -1;
    for (size_t k = 0; k < t->nq; k++)
        if (t->q[k].type == RAFT_MSG_VOTE_RESP && t->q[k].from == from && t->q[k].to == to)
            ok = t->q[k].ok;
    return ok;
}

static void test_campaign_wins(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    tn_campaign(&t, 0);
    assert_int_equal(tn_queued(&t, RAFT_MSG_VOTE, 0, -1), 2);
    tn_deliver(&t);
    assert_int_equal(tn_leader(&t), 0);
    for (int i = 0; i < 3; i++) {
        raft_status st = tn_status(&t, i);
        assert_int_equal(st.term, 1);
        assert_int_equal(st.leader, 0);
        assert_int_equal(t.rec[i].hs.vote, 0); /* everyone voted for n0, and wrote it */
        assert_true(t.rec[i].last_hs_synced);
    }
    /* The leader's no-op commits once a majority holds it; followers learn at the next
     * heartbeat. */
    assert_int_equal(tn_status(&t, 0).commit, 1);
    tn_tick(&t, 0, 3);
    tn_deliver(&t);
    for (int i = 0; i < 3; i++) assert_int_equal(t.rec[i].applied, 1);
    tn_free(&t);
}

static void test_timeouts_in_range(void **state) {
    (void)state;
    bool seen[20] = {false};
    for (uint64_t seed = 1; seed <= 40; seed++) {
        raft_config c = tn_config(0);
        c.seed = seed;
        tn t;
        tn_init_cfg(&t, 3, &c);
        int ticks = 0;
        while (tn_status(&t, 0).role == RAFT_FOLLOWER && ticks < 100) tn_tick(&t, 0, 1), ticks++;
        assert_in_range(ticks, 10, 19); /* [T, 2T) with T = 10 */
        seen[ticks] = true;
        /* and again, from the candidate's own reset timer */
        int again = 0;
        while (tn_status(&t, 0).term == 1 && again < 100) tn_tick(&t, 0, 1), again++;
        assert_in_range(again, 10, 19);
        tn_free(&t);
    }
    int distinct = 0;
    for (int i = 0; i < 20; i++) distinct += seen[i];
    assert_true(distinct >= 4); /* randomised, not one fixed value */
}

static void test_one_vote_per_term(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    raft_msg a = vote_req(0, 2, 1, 0, 0), b = vote_req(1, 2, 1, 0, 0);
    assert_int_equal(raft_receive(t.r[2], &a), RAFT_OK);
    tn_pump(&t, 2);
    assert_int_equal(last_vote_answer(&t, 2, 0), 1);
    assert_int_equal(raft_receive(t.r[2], &b), RAFT_OK);
    tn_pump(&t, 2);
    assert_int_equal(last_vote_answer(&t, 2, 1), 0); /* already voted for n0 in term 1 */
    assert_int_equal(raft_receive(t.r[2], &a), RAFT_OK); /* asking again gets the same answer */
    tn_pump(&t, 2);
    assert_int_equal(tn_queued(&t, RAFT_MSG_VOTE_RESP, 2, 0), 2);
    b.term = 2; /* a new term frees the vote */
    assert_int_equal(raft_receive(t.r[2], &b), RAFT_OK);
    tn_pump(&t, 2);
    assert_int_equal(last_vote_answer(&t, 2, 1), 1);
    assert_int_equal(t.rec[2].hs.term, 2);
    assert_int_equal(t.rec[2].hs.vote, 1);
    tn_free(&t);
}

static raft_entry entries_buf[8];

/* A boot state whose log holds entries of the given terms (1..n). */
static raft_boot boot_with(uint64_t term, int vote, const uint64_t *terms, size_t n) {
    for (size_t i = 0; i < n; i++)
        entries_buf[i] = (raft_entry){i + 1, terms[i], RAFT_ENTRY_NOOP, 0, NULL};
    return (raft_boot){{term, vote}, {0, 0, NULL, 0}, entries_buf, n};
}

static void test_vote_needs_up_to_date_log(void **state) {
    (void)state;
    static const uint64_t terms[] = {1, 1, 2};
    raft_config c = tn_config(0);
    raft_boot boots[3] = {boot_with(2, RAFT_NONE, NULL, 0), boot_with(2, RAFT_NONE, NULL, 0),
                          boot_with(2, RAFT_NONE, terms, 3)};
    tn t;
    tn_init_boots(&t, 3, &c, boots);
    raft_msg shorter = vote_req(0, 2, 3, 2, 2);      /* same last term, shorter */
    raft_msg older = vote_req(0, 2, 4, 5, 1);        /* longer, but an older last term */
    raft_msg newer = vote_req(1, 2, 5, 1, 3);        /* shorter, but a newer last term */
    raft_msg equal = vote_req(0, 2, 6, 3, 2);
    raft_msg *reqs[] = {&shorter, &older, &newer, &equal};
    int want[] = {0, 0, 1, 1};
    for (int k = 0; k < 4; k++) {
        tn_drop(&t);
        assert_int_equal(raft_receive(t.r[2], reqs[k]), RAFT_OK);
        tn_pump(&t, 2);
        assert_int_equal(last_vote_answer(&t, 2, reqs[k]->from), want[k]);
        assert_int_equal(tn_status(&t, 2).term, reqs[k]->term); /* the term is taken either way */
    }
    tn_free(&t);
}

static void test_restart_remembers_vote(void **state) {
    (void)state;
    raft_config c = tn_config(0);
    raft_boot boots[3] = {boot_with(0, RAFT_NONE, NULL, 0), boot_with(0, RAFT_NONE, NULL, 0),
                          boot_with(4, 1, NULL, 0)};
    tn t;
    tn_init_boots(&t, 3, &c, boots);
    raft_msg a = vote_req(0, 2, 4, 0, 0);
    assert_int_equal(raft_receive(t.r[2], &a), RAFT_OK);
    tn_pump(&t, 2);
    assert_int_equal(last_vote_answer(&t, 2, 0), 0); /* it voted for n1 in term 4 before */
    tn_free(&t);
}

static void test_higher_term_steps_down(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    tn_campaign(&t, 0);
    tn_deliver(&t);
    assert_int_equal(tn_leader(&t), 0);
    assert_int_equal(raft_read_index(t.r[0], 42), RAFT_OK);
    tn_pump(&t, 0);
    tn_drop(&t);
    raft_msg resp = {
        .type = RAFT_MSG_APPEND_RESP, .from = 1, .to = 0, .term = 7, .index = 1, .hint = 1};
    assert_int_equal(raft_receive(t.r[0], &resp), RAFT_OK);
    tn_pump(&t, 0);
    raft_status st = tn_status(&t, 0);
    assert_int_equal(st.role, RAFT_FOLLOWER);
    assert_int_equal(st.term, 7);
    assert_int_equal(st.vote, RAFT_NONE);
    assert_int_equal(t.rec[0].n_failed, 1); /* the pending read failed: leadership is gone */
    assert_int_equal(t.rec[0].failed[0], 42);
    raft_ticket tk;
    assert_int_equal(raft_propose(t.r[0], "x", 1, &tk), RAFT_ENOTLEADER);
    tn_free(&t);
}

static void test_stale_term_refused(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    raft_msg bump = vote_req(1, 2, 3, 0, 0);
    assert_int_equal(raft_receive(t.r[2], &bump), RAFT_OK);
    tn_pump(&t, 2);
    tn_drop(&t);
    raft_entry e = {1, 2, RAFT_ENTRY_COMMAND, 1, (uint8_t *)"x"};
    raft_msg app = {.type = RAFT_MSG_APPEND, .from = 0, .to = 2, .term = 2, .commit = 1,
                    .entries = &e, .n_entries = 1};
    assert_int_equal(raft_receive(t.r[2], &app), RAFT_OK);
    tn_pump(&t, 2);
    assert_int_equal(tn_status(&t, 2).last_index, 0); /* nothing appended */
    assert_int_equal(tn_status(&t, 2).leader, RAFT_NONE);
    assert_int_equal(t.nq, 1);
    assert_int_equal(t.q[0].type, RAFT_MSG_APPEND_RESP);
    assert_false(t.q[0].ok);
    assert_int_equal(t.q[0].term, 3); /* so the stale leader learns the term */
    tn_free(&t);
}

/* Contract: a vote goes out in the batch that writes it, and that batch must be synced
 * first; volatile_vote lets it out unsynced. */
static void test_vote_synced_before_sent(void **state) {
    (void)state;
    for (int bug = 0; bug < 2; bug++) {
        tn t;
        tn_init(&t, 3, bug ? RAFT_BUG_VOLATILE_VOTE : 0);
        raft_msg a = vote_req(0, 2, 1, 0, 0);
        assert_int_equal(raft_receive(t.r[2], &a), RAFT_OK);
        assert_true(raft_has_ready(t.r[2]));
        raft_ready rd;
        raft_ready_take(t.r[2], &rd);
        assert_true(rd.hs_changed);
        assert_int_equal(rd.hs.term, 1);
        assert_int_equal(rd.hs.vote, 0);
        assert_int_equal(rd.n_msgs, 1);
        assert_true(rd.msgs[0].ok);
        assert_int_equal(rd.must_sync, !bug);
        raft_ready_free(&rd);
        tn_free(&t);
    }
}

static void test_single_node_cluster(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 1, 0);
    tn_tick(&t, 0, 20);
    assert_int_equal(tn_status(&t, 0).role, RAFT_LEADER);
    raft_ticket tk;
    assert_int_equal(tn_propose(&t, 0, "solo", &tk), RAFT_OK);
    assert_int_equal(t.rec[0].applied, tk.index); /* committed once its own disk says so */
    assert_int_equal(raft_read_index(t.r[0], 9), RAFT_OK);
    tn_pump(&t, 0);
    assert_int_equal(t.rec[0].n_reads, 1);
    tn_free(&t);
}

static void test_new_refuses_bad_input(void **state) {
    (void)state;
    char err[128];
    raft_config good = tn_config(0);
    good.nodes = 3;
    raft_boot empty = {{0, RAFT_NONE}, {0, 0, NULL, 0}, NULL, 0};
    raft_node *r = raft_new(&good, &empty, err, sizeof err);
    assert_non_null(r);
    raft_free(r);
    raft_config bad[6];
    for (int i = 0; i < 6; i++) bad[i] = good;
    bad[0].nodes = 0;
    bad[1].id = 3;
    bad[2].election_ticks = 1;
    bad[3].heartbeat_ticks = 10; /* not below the election timeout */
    bad[4].max_append_entries = 0;
    bad[5].bugs = RAFT_BUG_LEASE_READ, bad[5].lease_ms = 0;
    for (int i = 0; i < 6; i++) {
        err[0] = '\0';
        assert_null(raft_new(&bad[i], &empty, err, sizeof err));
        assert_true(err[0] != '\0');
    }
    static const uint64_t gap[] = {1, 1};
    raft_boot b = boot_with(1, RAFT_NONE, gap, 2);
    entries_buf[1].index = 3; /* a hole in the log */
    assert_null(raft_new(&good, &b, err, sizeof err));
    static const uint64_t down[] = {2, 1};
    b = boot_with(2, RAFT_NONE, down, 2); /* terms going down */
    assert_null(raft_new(&good, &b, err, sizeof err));
    b = boot_with(1, RAFT_NONE, (const uint64_t[]){3}, 1); /* an entry newer than the term */
    assert_null(raft_new(&good, &b, err, sizeof err));
    b = boot_with(1, 5, NULL, 0); /* a vote for no node */
    assert_null(raft_new(&good, &b, err, sizeof err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_campaign_wins),
        cmocka_unit_test(test_timeouts_in_range),
        cmocka_unit_test(test_one_vote_per_term),
        cmocka_unit_test(test_vote_needs_up_to_date_log),
        cmocka_unit_test(test_restart_remembers_vote),
        cmocka_unit_test(test_higher_term_steps_down),
        cmocka_unit_test(test_stale_term_refused),
        cmocka_unit_test(test_vote_synced_before_sent),
        cmocka_unit_test(test_single_node_cluster),
        cmocka_unit_test(test_new_refuses_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
