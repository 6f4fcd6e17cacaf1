/* Unit tests of the Raft core's log compaction and InstallSnapshot (Raft §7), and of the
 * ready contract around them: raft_compact takes only applied indices, a follower that
 * needs compacted entries gets the snapshot (to save and install, synced before its
 * answer) and then the entries after it, a follower that already holds the snapshot's
 * last entry only moves its commit index, and a restarted node boots from a snapshot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "raft.h"
#include "testnet.h"

static void settle(tn *t) {
    for (int k = 0; k < 3; k++) {
        tn_tick(t, tn_leader(t), 3);
        tn_deliver(t);
    }
}

static void test_compact_bounds(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    tn_campaign(&t, 0);
    tn_deliver(&t);
    for (int k = 0; k < 4; k++) tn_propose(&t, 0, "v", NULL);
    tn_deliver(&t);
    raft_status st = tn_status(&t, 0);
    assert_int_equal(st.applied, 5);
    assert_int_equal(raft_compact(t.r[0], st.applied + 1, "s", 1), RAFT_EINVAL); /* not applied */
    assert_int_equal(raft_compact(t.r[0], 0, "s", 1), RAFT_EINVAL);
    assert_int_equal(raft_compact(t.r[0], 3, "s", 1), RAFT_OK);
    assert_int_equal(raft_compact(t.r[0], 3, "s", 1), RAFT_EINVAL); /* not past the snapshot */
    st = tn_status(&t, 0);
    assert_int_equal(st.snapshot_index, 3);
    assert_null(raft_log_at(t.r[0], 3));
    assert_non_null(raft_log_at(t.r[0], 4));
    tn_free(&t);
}

static void test_lagging_follower_gets_snapshot(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    tn_campaign(&t, 0);
    tn_deliver(&t);
    tn_isolate(&t, 2, true);
    for (int k = 0; k < 6; k++) tn_propose(&t, 0, "w", NULL);
    tn_deliver(&t);
    uint64_t applied = tn_status(&t, 0).applied;
    assert_int_equal(applied, 7);
    assert_int_equal(raft_compact(t.r[0], applied, "STATE@7", 7), RAFT_OK);
    tn_propose(&t, 0, "after", NULL); /* index 8, still in the log */
    tn_deliver(&t);
    tn_isolate(&t, 2, false);
    t.hold_disk[2] = true;
    tn_tick(&t, 0, 3);
    while (tn_deliver_one(&t, RAFT_MSG_APPEND, 0, 2)) {} /* n2 rejects: it needs index 1.. */
    while (tn_deliver_one(&t, RAFT_MSG_APPEND_RESP, 2, 0)) {}
    assert_int_equal(tn_queued(&t, RAFT_MSG_SNAPSHOT, 0, 2), 1);
    assert_true(tn_deliver_one(&t, RAFT_MSG_SNAPSHOT, 0, 2));
    assert_int_equal(t.rec[2].snapshots, 1);
    assert_int_equal(t.rec[2].snapshot.index, 7);
    assert_int_equal(t.rec[2].snapshot.len, 7);
    assert_memory_equal(t.rec[2].snapshot.data, "STATE@7", 7);
    raft_status st = tn_status(&t, 2);
    assert_int_equal(st.snapshot_index, 7);
    assert_int_equal(st.commit, 7);
    assert_int_equal(st.applied, 7);
    assert_int_equal(st.persisted_index, 0); /* not durable yet */
    assert_int_equal(tn_queued(&t, RAFT_MSG_APPEND_RESP, 2, 0),
                     1); /* its answer, sent once synced */
    tn_persist(&t, 2);
    assert_int_equal(tn_status(&t, 2).persisted_index, 7);
    t.hold_disk[2] = false;
    settle(&t);
    st = tn_status(&t, 2);
    assert_int_equal(st.last_index, 8);
    assert_int_equal(t.rec[2].applied, 8);
    assert_memory_equal(raft_log_at(t.r[2], 8)->data, "after", 5);
    tn_free(&t);
}

/* The ready that carries a snapshot must be synced before its messages go. */
static void test_snapshot_ready_must_sync(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    raft_msg snap = {.type = RAFT_MSG_SNAPSHOT,
                     .from = 0,
                     .to = 1,
                     .term = 2,
                     .index = 4,
                     .log_term = 2,
                     .data = (uint8_t *)"abc",
                     .len = 3,
                     .read_seq = 1};
    assert_int_equal(raft_receive(t.r[1], &snap), RAFT_OK);
    raft_ready rd;
    raft_ready_take(t.r[1], &rd);
    assert_true(rd.has_snapshot);
    assert_true(rd.must_sync);
    assert_int_equal(rd.snapshot.index, 4);
    assert_int_equal(rd.n_msgs, 1);
    assert_true(rd.msgs[0].ok);
    assert_int_equal(rd.msgs[0].index, 4);
    assert_int_equal(rd.msgs[0].read_seq, 1);
    assert_int_equal(rd.n_committed, 0); /* the snapshot is the state: nothing to apply */
    raft_ready_free(&rd);
    tn_free(&t);
}

/* A follower holding the snapshot's last entry keeps its log and only commits. */
static void test_snapshot_already_held(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    tn_campaign(&t, 0);
    tn_deliver(&t);
    tn_propose(&t, 0, "x", NULL);
    tn_deliver(&t); /* n1 holds 1..2, commit 1 known to it */
    raft_msg snap = {.type = RAFT_MSG_SNAPSHOT,
                     .from = 0,
                     .to = 1,
                     .term = 1,
                     .index = 2,
                     .log_term = 1,
                     .data = (uint8_t *)"s",
                     .len = 1};
    assert_int_equal(raft_receive(t.r[1], &snap), RAFT_OK);
    tn_pump(&t, 1);
    assert_int_equal(t.rec[1].snapshots, 0);
    assert_int_equal(tn_status(&t, 1).commit, 2);
    assert_int_equal(t.rec[1].applied, 2); /* applied from its own log */
    assert_int_equal(tn_status(&t, 1).snapshot_index, 0);
    tn_free(&t);
}

static void test_boot_from_snapshot(void **state) {
    (void)state;
    raft_entry after[2] = {{11, 3, RAFT_ENTRY_COMMAND, 1, (uint8_t *)"a"},
                           {12, 4, RAFT_ENTRY_NOOP, 0, NULL}};
    raft_boot b = {{4, 2}, {10, 3, (uint8_t *)"snap", 4}, after, 2};
    raft_config c = tn_config(0);
    c.id = 0;
    c.nodes = 3;
    char err[128];
    raft_node *r = raft_new(&c, &b, err, sizeof err);
    assert_non_null(r);
    raft_status st;
    raft_status_get(r, &st);
    assert_int_equal(st.term, 4);
    assert_int_equal(st.vote, 2);
    assert_int_equal(st.snapshot_index, 10);
    assert_int_equal(st.commit, 10);
    assert_int_equal(st.applied, 10);
    assert_int_equal(st.last_index, 12);
    assert_int_equal(st.last_term, 4);
    assert_false(raft_has_ready(r)); /* nothing to do until something happens */
    raft_free(r);
    b.snapshot.term = 5; /* newer than the hard state's term: cannot be */
    assert_null(raft_new(&c, &b, err, sizeof err));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compact_bounds),
        cmocka_unit_test(test_lagging_follower_gets_snapshot),
        cmocka_unit_test(test_snapshot_ready_must_sync),
        cmocka_unit_test(test_snapshot_already_held),
        cmocka_unit_test(test_boot_from_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
