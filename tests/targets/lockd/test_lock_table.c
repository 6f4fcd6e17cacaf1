/* Unit tests of lockd's lock table (targets/lockd/core/lock_table.h): grants on free and
 * expired locks (token = the entry's index), `held` while another holder's lease runs, a
 * retried acquire, renew and release with their failures, commands and snapshots as bytes
 * (malformed ones change nothing), and a new leader's wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lock_table.h"

#define TTL_MS 1000

static lk_cmd cmd(lk_cmd_kind kind, const char *lock, const char *holder, uint64_t token,
                  int64_t now_ms) {
    lk_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    snprintf(c.lock, sizeof c.lock, "%s", lock);
    snprintf(c.holder, sizeof c.holder, "%s", holder);
    c.token = token;
    c.ttl_ms = kind == LK_RELEASE ? 0 : TTL_MS;
    c.now_ms = kind == LK_RELEASE ? 0 : now_ms;
    return c;
}

/* Apply c at index; the result's error (NULL: took effect) and, when the value is a
 * lease, its token and expiry. */
typedef struct outcome {
    const char *error;
    uint64_t token;
    int64_t expires_ms;
} outcome;

static outcome apply(lk_table *t, uint64_t index, lk_cmd c) {
    lk_result r;
    lk_table_apply(t, index, &c, &r);
    outcome o = {r.error, 0, 0};
    if (r.value) {
        o.token = (uint64_t)json_integer_value(json_object_get(r.value, "token"));
        o.expires_ms = json_integer_value(json_object_get(r.value, "expires_ms"));
    }
    json_decref(r.value);
    return o;
}

/* o took effect, leaving the lease with token until expires_ms. */
static void assert_lease(outcome o, uint64_t token, int64_t expires_ms) {
    assert_null(o.error);
    assert_int_equal(o.token, token);
    assert_int_equal(o.expires_ms, expires_ms);
}

static uint64_t token_in_table(const lk_table *t, const char *lock) {
    const json_t *l = lk_table_get(t, lock);
    return l ? (uint64_t)json_integer_value(json_object_get(l, "token")) : 0;
}

static int64_t expiry_in_table(const lk_table *t, const char *lock) {
    const json_t *l = lk_table_get(t, lock);
    return l ? json_integer_value(json_object_get(l, "expires_ms")) : 0;
}

/* Fixtures: an empty table, or one where "a" holds L with token 3 until 6000 (acquired at
 * index 3, at 5000). */
static int empty_table(void **state) {
    lk_table *t = malloc(sizeof *t);
    if (!t) return -1;
    lk_table_init(t);
    *state = t;
    return 0;
}

static int a_holds_l(void **state) {
    if (empty_table(state)) return -1;
    return apply(*state, 3, cmd(LK_ACQUIRE, "L", "a", 0, 5000)).error ? -1 : 0;
}

static int free_table(void **state) {
    lk_table_free(*state);
    free(*state);
    return 0;
}

/* ---- acquire ---- */

static void test_grant_free_lock(void **state) {
    lk_table *t = *state;
    outcome o = apply(t, 7, cmd(LK_ACQUIRE, "L", "a", 0, 5000));
    assert_lease(o, 7, 5000 + TTL_MS);
    assert_int_equal(token_in_table(t, "L"), 7);
    assert_string_equal(json_string_value(json_object_get(lk_table_get(t, "L"), "holder")), "a");
    assert_int_equal(lk_table_count(t), 1);
    assert_null(lk_table_get(t, "M"));
}

static void test_held_until_expiry(void **state) {
    lk_table *t = *state;
    /* Another holder while the lease runs, up to its last millisecond: held. */
    int64_t tries[] = {5000, 5500, 5000 + TTL_MS - 1};
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        outcome o = apply(t, 4 + i, cmd(LK_ACQUIRE, "L", "b", 0, tries[i]));
        assert_string_equal(o.error, "held");
        assert_int_equal(o.token, 3); /* the value is the current lease */
    }
    assert_int_equal(token_in_table(t, "L"), 3);
    assert_int_equal(expiry_in_table(t, "L"), 5000 + TTL_MS);
}

static void test_grant_after_expiry(void **state) {
    lk_table *t = *state;
    outcome o = apply(t, 9, cmd(LK_ACQUIRE, "L", "b", 0, 5000 + TTL_MS)); /* at expiry */
    assert_null(o.error);
    assert_int_equal(o.token, 9);
    assert_true(o.token > 3);
    assert_int_equal(o.expires_ms, 5000 + 2 * TTL_MS);
    /* The old holder is now the other one. */
    assert_string_equal(apply(t, 10, cmd(LK_ACQUIRE, "L", "a", 0, 5000 + TTL_MS)).error, "held");
}

static void test_retried_acquire_keeps_token(void **state) {
    lk_table *t = *state;
    outcome o = apply(t, 8, cmd(LK_ACQUIRE, "L", "a", 0, 5600));
    assert_lease(o, 3, 5600 + TTL_MS);
    /* Once expired, the same holder gets a new token: the lease was not continuous. */
    o = apply(t, 12, cmd(LK_ACQUIRE, "L", "a", 0, 5600 + TTL_MS));
    assert_null(o.error);
    assert_int_equal(o.token, 12);
}

/* ---- renew and release ---- */

static void test_renew(void **state) {
    lk_table *t = *state;
    outcome o = apply(t, 4, cmd(LK_RENEW, "L", "a", 3, 5900));
    assert_lease(o, 3, 5900 + TTL_MS);
    /* Wrong token, wrong holder, unknown lock: not-holder, nothing changes. */
    assert_string_equal(apply(t, 5, cmd(LK_RENEW, "L", "a", 4, 6000)).error, "not-holder");
    assert_string_equal(apply(t, 6, cmd(LK_RENEW, "L", "b", 3, 6000)).error, "not-holder");
    assert_string_equal(apply(t, 7, cmd(LK_RENEW, "M", "a", 3, 6000)).error, "not-holder");
    assert_int_equal(expiry_in_table(t, "L"), 5900 + TTL_MS);
    /* At and after expiry: expired, nothing changes. */
    assert_string_equal(apply(t, 8, cmd(LK_RENEW, "L", "a", 3, 5900 + TTL_MS)).error, "expired");
    assert_string_equal(apply(t, 9, cmd(LK_RENEW, "L", "a", 3, 9999)).error, "expired");
    assert_int_equal(expiry_in_table(t, "L"), 5900 + TTL_MS);
    assert_int_equal(token_in_table(t, "L"), 3);
}

static void test_release(void **state) {
    lk_table *t = *state;
    assert_string_equal(apply(t, 4, cmd(LK_RELEASE, "L", "a", 2, 0)).error, "not-holder");
    assert_string_equal(apply(t, 5, cmd(LK_RELEASE, "L", "b", 3, 0)).error, "not-holder");
    assert_int_equal(token_in_table(t, "L"), 3);
    outcome o = apply(t, 6, cmd(LK_RELEASE, "L", "a", 3, 0));
    assert_null(o.error);
    assert_int_equal(o.token, 3);
    assert_null(lk_table_get(t, "L"));
    assert_int_equal(lk_table_count(t), 0);
    assert_string_equal(apply(t, 7, cmd(LK_RELEASE, "L", "a", 3, 0)).error, "not-holder");
    /* Freed: another holder gets it at once, with a greater token. */
    o = apply(t, 8, cmd(LK_ACQUIRE, "L", "b", 0, 5001));
    assert_null(o.error);
    assert_int_equal(o.token, 8);
}

/* ---- commands as bytes ---- */

static void test_command_round_trip(void **state) {
    (void)state;
    lk_cmd cs[] = {cmd(LK_ACQUIRE, "lock/1", "worker 3", 0, -42),
                   cmd(LK_RENEW, "L", "a", 17, 1700000000123LL),
                   cmd(LK_RELEASE, "L", "a", 99, 0)};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        size_t len = 0;
        char *bytes = lk_cmd_encode(&cs[i], &len);
        assert_non_null(bytes);
        assert_int_equal(len, strlen(bytes));
        lk_cmd back;
        char err[LK_ERR_BYTES];
        assert_int_equal(lk_cmd_decode(bytes, len, &back, err, sizeof err), 0);
        assert_int_equal(back.kind, cs[i].kind);
        assert_string_equal(back.lock, cs[i].lock);
        assert_string_equal(back.holder, cs[i].holder);
        assert_int_equal(back.token, cs[i].token);
        assert_int_equal(back.ttl_ms, cs[i].ttl_ms);
        assert_int_equal(back.now_ms, cs[i].now_ms);
        free(bytes);
    }
}

static void test_malformed_command(void **state) {
    lk_table *t = *state;
    char *before = lk_table_snapshot(t, &(size_t){0});
    /* The bytes, and what the decoder's error names. */
    static const char *const bad[][2] = {
        {"", "not a lock command"},
        {"not json", "not a lock command"},
        {"[1,2]", "not a lock command"},
        {"{\"c\":\"steal\",\"lock\":\"L\",\"holder\":\"b\"}", "not a lock command"},
        {"{\"c\":\"acquire\",\"lock\":\"L\",\"holder\":\"b\",\"ttl_ms\":1000}", "\"now_ms\""},
        {"{\"c\":\"acquire\",\"lock\":\"L\",\"holder\":\"b\",\"ttl_ms\":0,\"now_ms\":9}", "\"ttl_ms\""},
        {"{\"c\":\"acquire\",\"lock\":\"\",\"holder\":\"b\",\"ttl_ms\":1,\"now_ms\":9}", "\"lock\""},
        {"{\"c\":\"acquire\",\"lock\":\"L\",\"holder\":7,\"ttl_ms\":1,\"now_ms\":9}", "\"holder\""},
        {"{\"c\":\"release\",\"lock\":\"L\",\"holder\":\"a\"}", "\"token\""},
        {"{\"c\":\"release\",\"lock\":\"L\",\"holder\":\"a\",\"token\":0}", "\"token\""},
        {"{\"c\":\"renew\",\"lock\":\"L\",\"holder\":\"a\",\"token\":\"3\",\"ttl_ms\":1,\"now_ms\":1}",
         "\"token\""},
        {"{\"c\":\"release\",\"c\":\"release\",\"lock\":\"L\",\"holder\":\"a\",\"token\":3}",
         "not a lock command"}, /* duplicate keys */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *b = bad[i][0], *why = bad[i][1];
        lk_cmd c;
        char err[LK_ERR_BYTES] = "";
        assert_int_equal(lk_cmd_decode(b, strlen(b), &c, err, sizeof err), -1);
        if (!strstr(err, why)) fail_msg("%s: error '%s' does not name %s", b, err, why);
        lk_result r;
        lk_table_apply_bytes(t, 10 + i, b, strlen(b), &r);
        assert_string_equal(r.error, "bad-command");
        assert_null(r.value);
        char *after = lk_table_snapshot(t, &(size_t){0});
        assert_string_equal(after, before);
        free(after);
    }
    /* Good bytes through the same door take effect. */
    size_t len;
    lk_cmd rel = cmd(LK_RELEASE, "L", "a", 3, 0);
    char *bytes = lk_cmd_encode(&rel, &len);
    lk_result r;
    lk_table_apply_bytes(t, 30, bytes, len, &r);
    assert_null(r.error);
    json_decref(r.value);
    assert_int_equal(lk_table_count(t), 0);
    free(bytes);
    free(before);
}

/* ---- snapshots ---- */

static void test_snapshot_restore(void **state) {
    lk_table *t = *state, u;
    lk_table_init(&u);
    apply(t, 4, cmd(LK_ACQUIRE, "M", "b", 0, 5100));
    apply(t, 5, cmd(LK_RENEW, "M", "b", 4, 5200));
    apply(&u, 1, cmd(LK_ACQUIRE, "X", "z", 0, 1)); /* restore replaces what u held */
    size_t len;
    char *snap = lk_table_snapshot(t, &len);
    assert_non_null(snap);
    char err[LK_ERR_BYTES];
    assert_int_equal(lk_table_restore(&u, snap, len, err, sizeof err), 0);
    assert_int_equal(lk_table_count(&u), 2);
    assert_null(lk_table_get(&u, "X"));
    assert_true(json_equal((json_t *)lk_table_get(t, "L"), (json_t *)lk_table_get(&u, "L")));
    assert_true(json_equal((json_t *)lk_table_get(t, "M"), (json_t *)lk_table_get(&u, "M")));
    size_t len2;
    char *snap2 = lk_table_snapshot(&u, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(snap2, snap, len);
    /* The restored table decides as the original would. */
    assert_string_equal(apply(&u, 6, cmd(LK_ACQUIRE, "M", "c", 0, 5200 + TTL_MS - 1)).error, "held");
    assert_null(apply(&u, 7, cmd(LK_ACQUIRE, "L", "c", 0, 5000 + TTL_MS)).error);
    free(snap);
    free(snap2);
    lk_table_free(&u);
}

static void test_bad_snapshot_refused(void **state) {
    lk_table *t = *state;
    size_t len;
    char *before = lk_table_snapshot(t, &len);
    const char *bad[] = {
        "",
        "{",
        "[]",
        "42",
        "{\"L\":1}",
        "{\"L\":{\"holder\":\"a\",\"token\":3}}",
        "{\"L\":{\"holder\":\"a\",\"token\":0,\"expires_ms\":6000}}",
        "{\"L\":{\"holder\":\"\",\"token\":3,\"expires_ms\":6000}}",
        "{\"L\":{\"holder\":\"a\",\"token\":3,\"expires_ms\":\"6000\"}}",
        "{\"L\":{\"holder\":\"a\",\"token\":3,\"expires_ms\":6000,\"x\":1}}",
        "{\"L\":{\"holder\":\"a\",\"token\":3,\"expires_ms\":6000},"
        "\"L\":{\"holder\":\"b\",\"token\":4,\"expires_ms\":6000}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[LK_ERR_BYTES] = "";
        assert_int_equal(lk_table_restore(t, bad[i], strlen(bad[i]), err, sizeof err), -1);
        assert_non_null(strstr(err, "lock table snapshot"));
        size_t len2;
        char *after = lk_table_snapshot(t, &len2);
        assert_string_equal(after, before);
        free(after);
    }
    free(before);
}

/* ---- a new leader's wait ---- */

static void test_leader_wait(void **state) {
    (void)state;
    const int64_t since = 100000, ttl = 1000;
    const int64_t wait = ttl + ttl / 10 + 100; /* 1200 ms */
    assert_int_equal(lk_leader_wait_left(since, since, ttl, false), wait);
    assert_int_equal(lk_leader_wait_left(since, since + 1, ttl, false), wait - 1);
    assert_int_equal(lk_leader_wait_left(since, since + wait - 1, ttl, false), 1);
    assert_int_equal(lk_leader_wait_left(since, since + wait, ttl, false), 0);
    assert_int_equal(lk_leader_wait_left(since, since + wait + 5000, ttl, false), 0);
    assert_int_equal(lk_leader_wait_left(0, 0, 250, false), 250 + 25 + 100);
    /* The seeded bug: no wait at all. */
    assert_int_equal(lk_leader_wait_left(since, since, ttl, true), 0);
    assert_int_equal(lk_leader_wait_left(since, since + 1, ttl, true), 0);
    assert_int_equal(lk_leader_wait_left(since, since + wait + 5000, ttl, true), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_grant_free_lock, empty_table, free_table),
        cmocka_unit_test_setup_teardown(test_held_until_expiry, a_holds_l, free_table),
        cmocka_unit_test_setup_teardown(test_grant_after_expiry, a_holds_l, free_table),
        cmocka_unit_test_setup_teardown(test_retried_acquire_keeps_token, a_holds_l, free_table),
        cmocka_unit_test_setup_teardown(test_renew, a_holds_l, free_table),
        cmocka_unit_test_setup_teardown(test_release, a_holds_l, free_table),
        cmocka_unit_test(test_command_round_trip),
        cmocka_unit_test_setup_teardown(test_malformed_command, a_holds_l, free_table),
        cmocka_unit_test_setup_teardown(test_snapshot_restore, a_holds_l, free_table),
        cmocka_unit_test_setup_teardown(test_bad_snapshot_refused, a_holds_l, free_table),
        cmocka_unit_test(test_leader_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
