/* fl-orders' socket-free pieces (targets/payments/orders): the request parser (every
 * field checked before a saga step runs) and the durable order table — states made
 * durable and read back after a restart, a torn tail cut, a corrupt record refused,
 * claims that keep the resumer off an order a client's step is working on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "order_table.h"
#include "request.h"

static void parse(const char *line, or_request *r) { or_request_parse(line, strlen(line), r); }

static void requests(void **state) {
    (void)state;
    or_request r;
    parse("{\"id\":7,\"f\":\"order\",\"key\":1000001,\"value\":{\"account\":\"a3\",\"amount\":42}}", &r);
    assert_int_equal(r.f, OR_F_ORDER);
    assert_string_equal(r.ckey, "1000001");
    assert_string_equal(r.account, "a3");
    assert_int_equal(r.amount, 42);
    assert_int_equal(json_integer_value(r.id), 7);
    or_request_free(&r);

    parse("{\"f\":\"cancel\",\"key\":\"o-1\"}", &r);
    assert_int_equal(r.f, OR_F_CANCEL);
    assert_string_equal(r.ckey, "\"o-1\""); /* a string key keeps its quotes: "1" ≠ 1 */
    assert_null(r.id);
    or_request_free(&r);

    parse("{\"f\":\"settle\",\"value\":{\"wait_ms\":500}}", &r);
    assert_int_equal(r.f, OR_F_SETTLE);
    assert_int_equal(r.wait_ms, 500);
    or_request_free(&r);

    parse("{\"f\":\"refund\"}", &r);
    assert_int_equal(r.f, OR_F_UNKNOWN);
    or_request_free(&r);

    static const char *const bad[] = {
        "", "[1]", "{\"f\":3}", "{\"f\":\"order\",\"key\":1}",
        "{\"f\":\"order\",\"key\":1,\"value\":{\"account\":\"\",\"amount\":1}}",
        "{\"f\":\"order\",\"key\":1,\"value\":{\"account\":\"a\",\"amount\":0}}",
        "{\"f\":\"order\",\"key\":1,\"value\":{\"account\":\"a\",\"amount\":1000000001}}",
        "{\"f\":\"order\",\"key\":1,\"value\":{\"account\":\"a\",\"amount\":1.5}}",
        "{\"f\":\"order\",\"key\":[1],\"value\":{\"account\":\"a\",\"amount\":1}}",
        "{\"f\":\"cancel\"}", "{\"f\":\"settle\",\"value\":{\"wait_ms\":-1}}",
        "{\"f\":\"settle\",\"value\":{\"wait_ms\":60001}}", "{\"f\":\"ping\",\"f\":\"ping\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        parse(bad[i], &r);
        assert_int_equal(r.f, OR_F_MALFORMED);
        assert_true(r.detail[0] != '\0');
        or_request_free(&r);
    }
}

static char dir[256];

static int make_dir(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/fl-orders-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void open_table(or_table *t) {
    char err[512];
    assert_int_equal(ot_open(t, dir, err, sizeof err), 0);
}

static void table_states_survive_a_restart(void **state) {
    (void)state;
    or_table t;
    open_table(&t);
    or_order o;
    assert_int_equal(ot_create(&t, "1", "a1", 10, &o), OT_CREATED);
    assert_true(o.busy && o.state == OR_CHARGING);
    assert_int_equal(ot_create(&t, "1", "a1", 10, &o), OT_EXISTS);
    /* A claimed order is nobody else's: not the resumer's, not another cancel's. */
    or_order batch[4];
    assert_int_equal(ot_claim_pending(&t, batch, 4), 0);
    ot_set_state(&t, "1", OR_CHARGED, true);
    assert_true(ot_claim(&t, "1", OR_CHARGED, &o));
    assert_false(ot_claim(&t, "1", OR_CHARGED, &o));
    ot_set_state(&t, "1", OR_REFUNDING, false);
    ot_release(&t, "1");
    assert_int_equal(ot_create(&t, "2", "a2", 20, &o), OT_CREATED);
    ot_release(&t, "2"); /* left charging: in doubt */
    assert_int_equal(ot_pending_count(&t), 2);
    ot_close(&t);

    open_table(&t); /* a restart: the states come back, none busy */
    assert_true(ot_get(&t, "1", &o) && o.state == OR_REFUNDING && !o.busy);
    assert_string_equal(o.account, "a1");
    assert_int_equal(o.amount, 10);
    assert_int_equal(ot_claim_pending(&t, batch, 4), 2);
    assert_int_equal(ot_claim_pending(&t, batch, 4), 0);
    ot_set_state(&t, batch[0].ckey, OR_CANCELLED, true);
    ot_set_state(&t, batch[1].ckey, OR_CHARGED, true);
    assert_int_equal(ot_pending_count(&t), 0);
    assert_false(ot_get(&t, "3", &o));
    ot_close(&t);
}

static void append_text(const char *text) {
    char path[300];
    snprintf(path, sizeof path, "%s/orders.log", dir);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void torn_tail_cut_corruption_refused(void **state) {
    (void)state;
    or_table t;
    open_table(&t);
    or_order o;
    assert_int_equal(ot_create(&t, "9", "a9", 99, &o), OT_CREATED);
    ot_set_state(&t, "9", OR_CHARGED, true);
    ot_close(&t);
    append_text("0000abcd {\"o\":\"9\",\"s\":\"canc"); /* a write cut by a crash */
    open_table(&t);
    assert_true(ot_get(&t, "9", &o) && o.state == OR_CHARGED);
    ot_close(&t);

    append_text("00000000 {\"o\":\"9\",\"s\":\"cancelled\",\"a\":\"a9\",\"m\":99}\n");
    open_table(&t); /* a bad CRC as the last line: a torn tail too */
    ot_close(&t);
    append_text("00000000 {\"o\":\"9\",\"s\":\"cancelled\",\"a\":\"a9\",\"m\":99}\n");
    or_table u;
    open_table(&u);
    assert_int_equal(ot_create(&u, "10", "a1", 1, &o), OT_CREATED);
    ot_close(&u);
    /* Now a bad record sits before a valid one: corruption, the start refused. */
    char path[300], err[512];
    snprintf(path, sizeof path, "%s/orders.log", dir);
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    fputc('X', f); /* the first record's CRC */
    fclose(f);
    assert_int_equal(ot_open(&u, dir, err, sizeof err), -1);
    assert_non_null(strstr(err, "orders.log"));
    ot_close(&u);
}

static void journal_lines(void **state) {
    (void)state;
    or_table t = {0};
    char err[256];
    pthread_mutex_init(&t.mu, NULL);
    t.journal.fd = -1;
    static const char *const bad[] = {
        "{\"o\":\"1\"}", "zzzzzzzz {}", "a3f0c2b1 {\"o\":\"1\",\"s\":\"charged\",\"a\":\"x\",\"m\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ot_apply_line(&t, bad[i], strlen(bad[i]), err, sizeof err), -1);
    assert_int_equal(t.count, 0);
    ot_close(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(requests),
        cmocka_unit_test_setup_teardown(table_states_survive_a_restart, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(torn_tail_cut_corruption_refused, make_dir, remove_dir),
        cmocka_unit_test(journal_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
