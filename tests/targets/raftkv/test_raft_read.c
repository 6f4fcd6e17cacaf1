/* Unit tests of the Raft core's reads (Raft §6.4 ReadIndex) and their seeded bugs: a read
 * waits for a heartbeat round a majority answers and for its read index to apply, a
 * follower refuses, a deposed leader fails its pending reads; stale_read answers at once;
 * lease_read answers at once only while a wall-clock lease from a confirmed round holds,
 * and its followers ignore campaigns while they hear the leader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "raft.h"
#include "testnet.h"

static void settled_leader(tn *t, int n, unsigned bugs) {
    tn_init(t, n, bugs);
    if (bugs &
        RAFT_BUG_LEASE_READ) { /* a lease follower ignores campaigns for T ticks after it starts */
        for (int i = 0; i < n; i++) tn_tick(t, i, 10);
        tn_drop(t);
    }
    tn_campaign(t, 0);
    tn_deliver(t);
    tn_tick(t, 0, 3);
    tn_deliver(t);
    assert_int_equal(tn_leader(t), 0);
    assert_int_equal(t->rec[0].applied, 1);
}

static void test_read_waits_for_round(void **state) {
    (void)state;
    tn t;
    settled_leader(&t, 3, 0);
    assert_int_equal(raft_read_index(t.r[0], 5), RAFT_OK);
    tn_pump(&t, 0);
    assert_int_equal(t.rec[0].n_reads, 0);
    assert_int_equal(tn_queued(&t, RAFT_MSG_APPEND, 0, -1), 2); /* the round */
    uint64_t seq = t.q[0].read_seq;
    assert_true(tn_deliver_one(&t, RAFT_MSG_APPEND, 0, 1));
    assert_int_equal(t.rec[0].n_reads, 0);
    assert_int_equal(tn_queued(&t, RAFT_MSG_APPEND_RESP, 1, 0), 1);
    assert_int_equal(t.q[t.nq - 1].read_seq, seq); /* the answer echoes the round */
    assert_true(tn_deliver_one(&t, RAFT_MSG_APPEND_RESP, 1, 0)); /* n0 + n1: a majority */
    assert_int_equal(t.rec[0].n_reads, 1);
    assert_int_equal(t.rec[0].reads[0], 5);
    assert_int_equal(t.rec[0].read_index[0], 1);
    /* Reads started together share one round. */
    assert_int_equal(raft_read_index(t.r[0], 6), RAFT_OK);
    assert_int_equal(raft_read_index(t.r[0], 7), RAFT_OK);
    tn_pump(&t, 0);
    assert_int_equal(tn_queued(&t, RAFT_MSG_APPEND, 0, 2), 2); /* the first round's, and one more */
    tn_deliver(&t);
    assert_int_equal(t.rec[0].n_reads, 3);
    tn_free(&t);
}

/* A new leader's read index is at least its no-op: a read waits until the leader has
 * committed an entry of its term (it then knows every committed entry). */
static void test_read_waits_for_noop(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    tn_campaign(&t, 0);
    tn_deliver_one(&t, RAFT_MSG_VOTE, 0, 1);
    tn_deliver_one(&t, RAFT_MSG_VOTE_RESP, 1, 0);
    assert_int_equal(tn_status(&t, 0).role, RAFT_LEADER);
    assert_int_equal(tn_status(&t, 0).commit, 0);
    tn_drop(&t); /* the no-op's appends are lost */
    assert_int_equal(raft_read_index(t.r[0], 1), RAFT_OK);
    tn_pump(&t, 0);
    /* the round's answers (rejections: the followers lack the no-op) confirm leadership,
     * but the no-op is not applied yet */
    for (int k = 0; k < 2; k++) {
        tn_deliver_one(&t, RAFT_MSG_APPEND, 0, -1);
        tn_deliver_one(&t, RAFT_MSG_APPEND_RESP, -1, 0);
    }
    tn_drop(&t);
    assert_int_equal(t.rec[0].n_reads, 0);
    tn_tick(&t, 0, 3);
    tn_deliver(&t);
    assert_int_equal(t.rec[0].n_reads, 1);
    assert_int_equal(t.rec[0].read_index[0], 1);
    tn_free(&t);
}

static void test_read_refused_by_follower(void **state) {
    (void)state;
    tn t;
    settled_leader(&t, 3, 0);
    assert_int_equal(raft_read_index(t.r[1], 1), RAFT_ENOTLEADER);
    assert_int_equal(tn_status(&t, 1).leader, 0); /* the redirect hint */
    tn_free(&t);
}

/* A leader cut off from everyone never confirms its round: the read waits, and fails
 * when the leader learns of a newer term. */
static void test_isolated_leader_cannot_read(void **state) {
    (void)state;
    for (int bug = 0; bug < 2; bug++) {
        tn t;
        settled_leader(&t, 3, bug ? RAFT_BUG_STALE_READ : 0);
        tn_isolate(&t, 0, true);
        assert_int_equal(raft_read_index(t.r[0], 3), RAFT_OK);
        tn_pump(&t, 0);
        tn_tick(&t, 0, 12);
        tn_deliver(&t);
        /* correct: still waiting; stale_read: answered from its own state at once */
        assert_int_equal(t.rec[0].n_reads, bug ? 1 : 0);
        raft_msg newer = {
            .type = RAFT_MSG_VOTE, .from = 1, .to = 0, .term = 9, .index = 1, .log_term = 1};
        assert_int_equal(raft_receive(t.r[0], &newer), RAFT_OK);
        tn_pump(&t, 0);
        assert_int_equal(t.rec[0].n_failed, bug ? 0 : 1);
        tn_free(&t);
    }
}

static void test_lease_read(void **state) {
    (void)state;
    tn t;
    for (int jump = 0; jump < 2; jump++) {
        settled_leader(&t, 3, RAFT_BUG_LEASE_READ);
        /* the heartbeat round above was confirmed: for 50 ms, reads need no round */
        tn_isolate(&t, 0, true);
        assert_int_equal(raft_read_index(t.r[0], 1), RAFT_OK);
        tn_pump(&t, 0);
        assert_int_equal(t.rec[0].n_reads, 1);
        tn_tick(&t, 0, 6); /* 60 ms later on its wall clock the lease is over... */
        if (jump) {        /* ...unless the clock jumps back 10 s: the seeded bug's flaw */
            t.wall_ms -= 10000;
            tn_tick(&t, 0, 1);
        }
        assert_int_equal(raft_read_index(t.r[0], 2), RAFT_OK);
        tn_pump(&t, 0);
        assert_int_equal(t.rec[0].n_reads, jump ? 2 : 1);
        tn_free(&t);
    }

    /* Followers that heard the leader within an election timeout ignore campaigns. */
    settled_leader(&t, 3, RAFT_BUG_LEASE_READ);
    tn_drop(&t);
    raft_msg vote = {
        .type = RAFT_MSG_VOTE, .from = 2, .to = 1, .term = 5, .index = 1, .log_term = 1};
    assert_int_equal(raft_receive(t.r[1], &vote), RAFT_OK);
    tn_pump(&t, 1);
    assert_int_equal(t.nq, 0);
    assert_int_equal(tn_status(&t, 1).term, 1);
    tn_tick(&t, 1, 10);
    tn_drop(&t);
    assert_int_equal(raft_receive(t.r[1], &vote), RAFT_OK);
    tn_pump(&t, 1);
    assert_int_equal(tn_status(&t, 1).term, 5);
    tn_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_waits_for_round),
        cmocka_unit_test(test_read_waits_for_noop),
        cmocka_unit_test(test_read_refused_by_follower),
        cmocka_unit_test(test_isolated_leader_cannot_read),
        cmocka_unit_test(test_lease_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
