/* Unit tests of the Raft core's log replication and commit rule (Raft §5.3, §5.4.2,
 * Figure 8): entries reach every follower and apply in order, a follower's conflicting
 * suffix is cut and rewritten (the leader backs off by whole terms), a leader commits an
 * earlier term's entry only by committing one of its own term (unless old_term_commit),
 * and it counts itself only for entries its host has persisted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "raft.h"
#include "testnet.h"

static raft_entry buf[3][16];

/* A boot state at term `term` with a log of entries of the given terms; each entry's
 * bytes name its node and index, so that logs can be told apart. */
static raft_boot boot_log(int node, uint64_t term, const uint64_t *terms, size_t n) {
    static char text[3][16][32];
    for (size_t i = 0; i < n; i++) {
        snprintf(text[node][i], sizeof text[node][i], "%d.%zu", node, i + 1);
        buf[node][i] = (raft_entry){i + 1, terms[i], RAFT_ENTRY_COMMAND,
                                    (uint32_t)strlen(text[node][i]), (uint8_t *)text[node][i]};
    }
    return (raft_boot){{term, RAFT_NONE}, {0, 0, NULL, 0}, buf[node], n};
}

static void elect(tn *t, int i) {
    tn_campaign(t, i);
    tn_deliver(t);
    assert_int_equal(tn_leader(t), i);
}

static void test_replicate_and_apply(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    elect(&t, 0);
    raft_ticket a, b;
    assert_int_equal(tn_propose(&t, 0, "a", &a), RAFT_OK);
    assert_int_equal(tn_propose(&t, 0, "b", &b), RAFT_OK);
    assert_int_equal(b.index, a.index + 1);
    assert_int_equal(a.term, 1);
    assert_int_equal(tn_propose(&t, 1, "c", NULL), RAFT_ENOTLEADER);
    tn_deliver(&t);
    assert_int_equal(tn_status(&t, 0).commit, b.index);
    tn_tick(&t, 0, 3); /* followers learn the commit index from the next heartbeat */
    tn_deliver(&t);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t.rec[i].applied, b.index);
        assert_int_equal(t.rec[i].commands_applied, 2);
        assert_memory_equal(raft_log_at(t.r[i], b.index)->data, "b", 1);
    }
    tn_free(&t);
}

/* n1 leads term 3 with [1 1 2 2]; n2 holds [1 1 1 1 1] from an old leader. n1 wins term 4
 * (its last term is newer) and n2's entries 3..5 are cut and replaced. */
static void test_conflicting_suffix_rewritten(void **state) {
    (void)state;
    static const uint64_t lead[] = {1, 1, 2, 2}, stale[] = {1, 1, 1, 1, 1};
    raft_config c = tn_config(0);
    raft_boot boots[3] = {boot_log(0, 3, lead, 4), boot_log(1, 3, stale, 5),
                          boot_log(2, 3, lead, 2)};
    memcpy(buf[1], buf[0], 2 * sizeof buf[0][0]); /* entries 1-2 are the same everywhere */
    memcpy(buf[2], buf[0], 2 * sizeof buf[0][0]);
    tn t;
    tn_init_boots(&t, 3, &c, boots);
    elect(&t, 0);
    tn_tick(&t, 0, 3);
    tn_deliver(&t);
    raft_status st = tn_status(&t, 1);
    assert_int_equal(st.last_index, 5);
    assert_int_equal(st.last_term, 4); /* the leader's no-op at index 5 */
    for (uint64_t i = 1; i <= 4; i++) {
        const raft_entry *x = raft_log_at(t.r[0], i), *y = raft_log_at(t.r[1], i);
        assert_int_equal(x->term, y->term);
        assert_int_equal(x->len, y->len);
        assert_memory_equal(x->data, y->data, x->len);
    }
    for (int i = 0; i < 3; i++) assert_int_equal(t.rec[i].applied, 5);
    tn_free(&t);
}

/* A follower that rejects an append says where to retry from: past its log when it is
 * shorter, else the first index of its conflicting term. */
static void test_reject_hint(void **state) {
    (void)state;
    static const uint64_t terms[] = {1, 2, 2, 2};
    raft_config c = tn_config(0);
    raft_boot boots[3] = {boot_log(0, 5, NULL, 0), boot_log(1, 5, terms, 4),
                          boot_log(2, 5, NULL, 0)};
    tn t;
    tn_init_boots(&t, 3, &c, boots);
    raft_msg app = {
        .type = RAFT_MSG_APPEND, .from = 0, .to = 1, .term = 5, .index = 9, .log_term = 4};
    assert_int_equal(raft_receive(t.r[1], &app), RAFT_OK); /* beyond its log */
    tn_pump(&t, 1);
    app.index = 4;
    app.log_term = 3; /* its entry 4 is of term 2: back off to term 2's start */
    assert_int_equal(raft_receive(t.r[1], &app), RAFT_OK);
    tn_pump(&t, 1);
    assert_int_equal(t.nq, 2);
    assert_false(t.q[0].ok);
    assert_int_equal(t.q[0].index, 9);
    assert_int_equal(t.q[0].hint, 5);
    assert_false(t.q[1].ok);
    assert_int_equal(t.q[1].index, 4);
    assert_int_equal(t.q[1].hint, 2);
    assert_int_equal(tn_status(&t, 1).last_index, 4); /* a rejection changes nothing */
    tn_free(&t);
}

/* Figure 8's rule, by hand: n0 boots at term 2 with two entries of term 1 and wins term 3
 * (no-op at index 3). n1 reporting a match at 2 puts index 2 on a majority — but it is of
 * term 1, so the commit index stays; a match at 3 (term 3) commits everything. With
 * old_term_commit, index 2 commits at once. */
static void test_commit_needs_current_term(void **state) {
    (void)state;
    static const uint64_t terms[] = {1, 1};
    for (int bug = 0; bug < 2; bug++) {
        raft_config c = tn_config(bug ? RAFT_BUG_OLD_TERM_COMMIT : 0);
        raft_boot boots[3] = {boot_log(0, 2, terms, 2), boot_log(1, 2, NULL, 0),
                              boot_log(2, 2, NULL, 0)};
        tn t;
        tn_init_boots(&t, 3, &c, boots);
        tn_campaign(&t, 0);
        tn_deliver_one(&t, RAFT_MSG_VOTE, 0, 1);
        tn_deliver_one(&t, RAFT_MSG_VOTE_RESP, 1, 0);
        assert_int_equal(tn_status(&t, 0).role, RAFT_LEADER);
        assert_int_equal(tn_status(&t, 0).last_index, 3);
        tn_drop(&t);
        raft_msg ack = {
            .type = RAFT_MSG_APPEND_RESP, .from = 1, .to = 0, .term = 3, .ok = true, .index = 2};
        assert_int_equal(raft_receive(t.r[0], &ack), RAFT_OK);
        tn_pump(&t, 0);
        assert_int_equal(tn_status(&t, 0).commit, bug ? 2 : 0);
        ack.index = 3;
        assert_int_equal(raft_receive(t.r[0], &ack), RAFT_OK);
        tn_pump(&t, 0);
        assert_int_equal(tn_status(&t, 0).commit, 3);
        assert_int_equal(t.rec[0].applied, 3);
        tn_free(&t);
    }
}

/* The leader counts itself only up to what its host reported durable. */
static void test_leader_counts_persisted_only(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    elect(&t, 0);
    tn_tick(&t, 0, 3);
    tn_deliver(&t);
    t.hold_disk[0] = true;
    t.cut[0][2] = true; /* only n1 answers */
    raft_ticket tk;
    assert_int_equal(tn_propose(&t, 0, "held", &tk), RAFT_OK);
    tn_deliver(&t);
    assert_int_equal(tn_status(&t, 0).persisted_index, tk.index - 1);
    assert_int_equal(tn_status(&t, 0).commit, tk.index - 1); /* n1 alone is no majority */
    tn_persist(&t, 0);
    assert_int_equal(tn_status(&t, 0).persisted_index, tk.index);
    assert_int_equal(tn_status(&t, 0).commit, tk.index);
    tn_free(&t);
}

/* Lost appends: the optimistic next index runs ahead, the follower's rejection rewinds it. */
static void test_lost_appends_resent(void **state) {
    (void)state;
    tn t;
    tn_init(&t, 3, 0);
    elect(&t, 0);
    t.cut[0][1] = true;
    for (int k = 0; k < 5; k++) assert_int_equal(tn_propose(&t, 0, "lost", NULL), RAFT_OK);
    tn_deliver(&t);
    t.cut[0][1] = false;
    for (int k = 0; k < 4; k++) {
        tn_tick(&t, 0, 3);
        tn_deliver(&t);
    }
    assert_int_equal(tn_status(&t, 1).last_index, tn_status(&t, 0).last_index);
    assert_int_equal(t.rec[1].applied, tn_status(&t, 0).commit);
    tn_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replicate_and_apply),
        cmocka_unit_test(test_conflicting_suffix_rewritten),
        cmocka_unit_test(test_reject_hint),
        cmocka_unit_test(test_commit_needs_current_term),
        cmocka_unit_test(test_leader_counts_persisted_only),
        cmocka_unit_test(test_lost_appends_resent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
