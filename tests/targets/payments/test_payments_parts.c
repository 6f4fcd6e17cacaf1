/* Unit tests of fl-payments' socket-free pieces (targets/payments/payments): the request
 * parser and its refusals (request.c), the ledger's decision with idempotency repeats and
 * mismatches (ledger.c), the journal's records and replay (journal.c over
 * common/applog.c), the capacity's admit / queue / shed decision and its service order
 * (capacity.c), replies released in request order (replies.c), and the request log's lines
 * (reqlog.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capacity.h"
#include "crc_record.h"
#include "journal.h"
#include "ledger.h"
#include "replies.h"
#include "reqlog.h"
#include "request.h"

/* ---- requests ---- */

static pay_parse_status parse(const char *line, pay_request *m) {
    return pay_request_parse(line, strlen(line), m);
}

static void test_parse_charge(void **state) {
    (void)state;
    pay_request m;
    assert_int_equal(parse("{\"id\":3,\"f\":\"charge\",\"key\":\"o1\",\"value\":{\"account\":\"a\","
                           "\"amount\":250,\"idem\":\"k\",\"call\":\"c9\",\"attempt\":2}}", &m),
                     PAY_PARSE_OK);
    assert_true(m.money);
    assert_int_equal(m.f, PAY_F_CHARGE);
    assert_int_equal(m.op.kind, PAY_CHARGE);
    assert_string_equal(json_string_value(m.op.order), "o1");
    assert_string_equal(m.op.account, "a");
    assert_int_equal(m.op.amount, 250);
    assert_string_equal(m.op.key, "k");
    assert_string_equal(m.call, "c9");
    assert_int_equal(m.attempt, 2);
    assert_int_equal(json_integer_value(m.id), 3);
    pay_request_release(&m);
    /* an integer order, no key (null or absent) */
    assert_int_equal(parse("{\"id\":4,\"f\":\"refund\",\"key\":17,\"value\":{\"account\":\"a\","
                           "\"amount\":1,\"idem\":null,\"call\":\"c\",\"attempt\":1}}", &m),
                     PAY_PARSE_OK);
    assert_int_equal(m.op.kind, PAY_REFUND);
    assert_int_equal(json_integer_value(m.op.order), 17);
    assert_null(m.op.key);
    pay_request_release(&m);
    assert_int_equal(parse("{\"f\":\"refund\",\"key\":17,\"value\":{\"account\":\"a\","
                           "\"amount\":1000000000,\"call\":\"c\",\"attempt\":1}}", &m),
                     PAY_PARSE_OK);
    assert_null(m.op.key);
    assert_null(m.id);
    pay_request_release(&m);
    assert_int_equal(parse("{\"id\":1,\"f\":\"ledger\"}", &m), PAY_PARSE_OK);
    assert_int_equal(m.f, PAY_F_LEDGER);
    assert_false(m.money);
    pay_request_release(&m);
}

/* Each malformed line, and a word its error must contain. */
static void test_parse_refusals(void **state) {
    (void)state;
    static const struct { const char *line, *why; pay_parse_status st; } cases[] = {
        {"garbage", "not JSON", PAY_PARSE_MALFORMED},
        {"[1]", "not a JSON object", PAY_PARSE_MALFORMED},
        {"{\"id\":1}", "f must be a string", PAY_PARSE_MALFORMED},
        {"{\"id\":1,\"f\":\"cas\"}", "f must be charge", PAY_PARSE_UNKNOWN_F},
        {"{\"id\":1,\"f\":\"charge\",\"key\":\"o\"}", "value must be an object",
         PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"key\":\"o\",\"value\":{\"account\":\"a\",\"amount\":1,"
         "\"attempt\":1}}", "value.call", PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"key\":\"o\",\"value\":{\"account\":\"a\",\"amount\":1,"
         "\"call\":\"c\",\"attempt\":0}}", "value.attempt", PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"key\":[1],\"value\":{\"account\":\"a\",\"amount\":1,"
         "\"call\":\"c\",\"attempt\":1}}", "key", PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"value\":{\"account\":\"a\",\"amount\":1,"
         "\"call\":\"c\",\"attempt\":1}}", "key", PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"key\":\"o\",\"value\":{\"account\":\"\",\"amount\":1,"
         "\"call\":\"c\",\"attempt\":1}}", "value.account", PAY_PARSE_MALFORMED},
        /* a NUL would cut a name short: jansson refuses it already */
        {"{\"f\":\"charge\",\"key\":\"o\",\"value\":{\"account\":\"a\\u0000b\",\"amount\":1,"
         "\"call\":\"c\",\"attempt\":1}}", "not JSON", PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"key\":\"o\",\"value\":{\"account\":\"a\",\"amount\":0,"
         "\"call\":\"c\",\"attempt\":1}}", "value.amount", PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"key\":\"o\",\"value\":{\"account\":\"a\",\"amount\":1000000001,"
         "\"call\":\"c\",\"attempt\":1}}", "value.amount", PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"key\":\"o\",\"value\":{\"account\":\"a\",\"amount\":1.5,"
         "\"call\":\"c\",\"attempt\":1}}", "value.amount", PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"key\":\"o\",\"value\":{\"account\":\"a\",\"amount\":1,"
         "\"idem\":7,\"call\":\"c\",\"attempt\":1}}", "value.idem", PAY_PARSE_MALFORMED},
        {"{\"f\":\"charge\",\"key\":\"o\",\"value\":{\"account\":\"a\",\"amount\":1,"
         "\"idem\":\"\",\"call\":\"c\",\"attempt\":1}}", "value.idem", PAY_PARSE_MALFORMED},
        {"{\"id\":1,\"id\":2,\"f\":\"ping\"}", "not JSON", PAY_PARSE_MALFORMED},
    };
    fl_buf b;
    fl_buf_init(&b, 1 << 16);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pay_request m;
        assert_int_equal(parse(cases[i].line, &m), cases[i].st);
        if (!strstr(m.err, cases[i].why)) fail_msg("%s: %s", cases[i].line, m.err);
        assert_int_equal(pay_reply_refusal(&b, &m), 0);
        pay_request_release(&m);
    }
    /* a malformed charge still carries what the request log needs */
    pay_request m;
    assert_int_equal(parse("{\"id\":5,\"f\":\"refund\",\"key\":\"o\",\"value\":{\"account\":\"a\","
                           "\"amount\":-1,\"call\":\"c3\",\"attempt\":4}}", &m),
                     PAY_PARSE_MALFORMED);
    assert_true(m.money);
    assert_string_equal(m.call, "c3");
    assert_int_equal(m.attempt, 4);
    fl_buf_clear(&b);
    assert_int_equal(pay_reply_refusal(&b, &m), 0);
    const char *want = "{\"id\":5,\"type\":\"fail\",\"error\":\"malformed\",\"detail\":"
                       "\"value.amount must be an integer in 1..1000000000\"}\n";
    assert_int_equal(fl_buf_len(&b), strlen(want));
    assert_memory_equal(fl_buf_bytes(&b), want, strlen(want));
    pay_request_release(&m);
    fl_buf_free(&b);
}

/* ---- the ledger ---- */

static pay_op op(pay_kind kind, const json_t *order, const char *account, int64_t amount,
                 const char *key) {
    return (pay_op){kind, order, account, amount, key};
}

static void test_ledger(void **state) {
    (void)state;
    pay_ledger l;
    pay_ledger_init(&l, 100);
    json_t *o1 = json_string("o1"), *o1_int = json_integer(1), *one = json_string("1");
    const pay_entry *e;
    pay_op charge = op(PAY_CHARGE, o1, "a", 30, "k1");
    assert_int_equal(pay_ledger_apply(&l, &charge, &e), PAY_APPLIED);
    assert_int_equal(e->seq, 1);
    assert_int_equal(e->balance, 70);
    /* the same key and request: the first entry, nothing new */
    assert_int_equal(pay_ledger_apply(&l, &charge, &e), PAY_REPEAT);
    assert_int_equal(e->seq, 1);
    assert_int_equal(l.count, 1);
    assert_int_equal(l.accounts[0].balance, 70);
    /* the key for something else: kind, order, account, amount */
    pay_op other[] = {op(PAY_REFUND, o1, "a", 30, "k1"), op(PAY_CHARGE, o1_int, "a", 30, "k1"),
                      op(PAY_CHARGE, o1, "b", 30, "k1"), op(PAY_CHARGE, o1, "a", 31, "k1")};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        assert_int_equal(pay_ledger_apply(&l, &other[i], &e), PAY_MISMATCH);
        assert_int_equal(e->seq, 1);
    }
    assert_int_equal(l.count, 1);
    /* no key: every call a new entry (a refund adds, no check against the charges) */
    pay_op refund = op(PAY_REFUND, o1, "a", 50, NULL);
    assert_int_equal(pay_ledger_apply(&l, &refund, &e), PAY_APPLIED);
    assert_int_equal(pay_ledger_apply(&l, &refund, &e), PAY_APPLIED);
    assert_int_equal(e->seq, 3);
    assert_int_equal(e->balance, 170);
    /* no overdraft check */
    pay_op big = op(PAY_CHARGE, one, "b", 1000, "k2");
    assert_int_equal(pay_ledger_apply(&l, &big, &e), PAY_APPLIED);
    assert_int_equal(e->balance, -900);
    fl_buf b;
    fl_buf_init(&b, 1 << 16);
    json_t *id = json_integer(9);
    assert_int_equal(pay_reply_outcome(&b, id, &l, PAY_REPEAT, e), 0);
    const char *want = "{\"id\":9,\"type\":\"ok\",\"value\":{\"entry\":4,\"order\":\"1\","
                       "\"account\":\"b\",\"kind\":\"charge\",\"amount\":1000,"
                       "\"balance\":-900,\"repeat\":true}}\n";
    assert_int_equal(fl_buf_len(&b), strlen(want));
    assert_memory_equal(fl_buf_bytes(&b), want, strlen(want));
    fl_buf_clear(&b);
    assert_int_equal(pay_reply_outcome(&b, id, &l, PAY_MISMATCH, e), 0);
    assert_non_null(strstr(fl_buf_bytes(&b), "\"error\":\"idem-mismatch\""));
    json_t *j = pay_ledger_json(&l);
    json_t *want_j = json_loads(
        "{\"entries\":[{\"seq\":1,\"order\":\"o1\",\"account\":\"a\",\"kind\":\"charge\","
        "\"amount\":30,\"key\":\"k1\"},{\"seq\":2,\"order\":\"o1\",\"account\":\"a\","
        "\"kind\":\"refund\",\"amount\":50,\"key\":null},{\"seq\":3,\"order\":\"o1\","
        "\"account\":\"a\",\"kind\":\"refund\",\"amount\":50,\"key\":null},{\"seq\":4,"
        "\"order\":\"1\",\"account\":\"b\",\"kind\":\"charge\",\"amount\":1000,\"key\":\"k2\"}],"
        "\"balances\":{\"a\":170,\"b\":-900},\"initial\":{\"a\":100,\"b\":100}}", 0, NULL);
    assert_true(json_equal(j, want_j));
    json_decref(j);
    json_decref(want_j);
    json_decref(id);
    fl_buf_free(&b);
    json_decref(o1);
    json_decref(o1_int);
    json_decref(one);
    pay_ledger_free(&l);
}

/* ---- the journal ---- */

static void test_records(void **state) {
    (void)state;
    pay_ledger l, back;
    pay_ledger_init(&l, 10);
    pay_ledger_init(&back, 10);
    json_t *o = json_integer(-4), *s = json_string("x\"y");
    const pay_entry *e;
    pay_op a = op(PAY_CHARGE, o, "acc", 3, "key 1"), b2 = op(PAY_REFUND, s, "acc", 2, NULL);
    fl_buf b;
    fl_buf_init(&b, 1 << 16);
    assert_int_equal(pay_ledger_apply(&l, &a, &e), PAY_APPLIED);
    assert_int_equal(pay_journal_encode(&b, &l, e), 0);
    assert_int_equal(pay_ledger_apply(&l, &b2, &e), PAY_APPLIED);
    assert_int_equal(pay_journal_encode(&b, &l, e), 0);
    char *text = fl_buf_bytes(&b), err[PAY_ERR_BYTES];
    char *nl = memchr(text, '\n', fl_buf_len(&b));
    assert_non_null(nl);
    size_t first = (size_t)(nl - text), rest = fl_buf_len(&b) - first - 1;
    /* out of order: entry 2 cannot come first */
    assert_int_equal(pay_journal_apply_line(&back, nl + 1, rest - 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "entry 2 where entry 1 was due"));
    assert_int_equal(pay_journal_apply_line(&back, text, first, err, sizeof err), 0);
    /* the key came back with its entry: the same charge again is a repeat */
    assert_int_equal(pay_ledger_apply(&back, &a, &e), PAY_REPEAT);
    assert_int_equal(pay_journal_apply_line(&back, nl + 1, rest - 1, err, sizeof err), 0);
    assert_int_equal(back.count, 2);
    assert_int_equal(back.accounts[0].balance, 9);
    json_t *x = pay_ledger_json(&l), *y = pay_ledger_json(&back);
    assert_true(json_equal(x, y));
    json_decref(x);
    json_decref(y);
    /* a second entry under a used key is not a journal: refused */
    pay_ledger again;
    pay_ledger_init(&again, 10);
    assert_int_equal(pay_journal_apply_line(&again, text, first, err, sizeof err), 0);
    fl_buf one;
    fl_buf_init(&one, 1 << 16);
    json_t *dup = json_pack("{s:i, s:i, s:s, s:s, s:i, s:s}", "seq", 2, "order", 5, "account",
                            "acc", "kind", "refund", "amount", 1, "key", "key 1");
    assert_int_equal(fl_crc_record_encode(&one, dup), 0);
    assert_int_equal(pay_journal_apply_line(&again, fl_buf_bytes(&one), fl_buf_len(&one) - 1,
                                            err, sizeof err), -1);
    assert_non_null(strstr(err, "idempotency key"));
    /* shapes: a bit flipped, no CRC, fields missing or wrong */
    text[12] ^= 1;
    assert_int_equal(pay_journal_apply_line(&again, text, first, err, sizeof err), -1);
    assert_non_null(strstr(err, "CRC mismatch"));
    assert_int_equal(pay_journal_apply_line(&again, "garbage", 7, err, sizeof err), -1);
    assert_non_null(strstr(err, "no CRC"));
    static const char *bad[] = {
        "{}", "[]",
        "{\"seq\":2,\"order\":5,\"account\":\"acc\",\"kind\":\"refund\",\"amount\":1}",
        "{\"seq\":2,\"order\":5,\"account\":\"acc\",\"kind\":\"void\",\"amount\":1,\"key\":null}",
        "{\"seq\":2,\"order\":[5],\"account\":\"acc\",\"kind\":\"refund\",\"amount\":1,\"key\":null}",
        "{\"seq\":2,\"order\":5,\"account\":\"\",\"kind\":\"refund\",\"amount\":1,\"key\":null}",
        "{\"seq\":2,\"order\":5,\"account\":\"acc\",\"kind\":\"refund\",\"amount\":0,\"key\":null}",
        "{\"seq\":0,\"order\":5,\"account\":\"acc\",\"kind\":\"refund\",\"amount\":1,\"key\":null}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = json_loads(bad[i], 0, NULL);
        assert_non_null(j);
        fl_buf_clear(&one);
        assert_int_equal(fl_crc_record_encode(&one, j), 0);
        json_decref(j);
        assert_int_equal(pay_journal_apply_line(&again, fl_buf_bytes(&one), fl_buf_len(&one) - 1,
                                                err, sizeof err), -1);
        if (!strstr(err, "not a record") && !strstr(err, "not a JSON object"))
            fail_msg("%s: %s", bad[i], err);
    }
    assert_int_equal(again.count, 1);
    json_decref(dup);
    fl_buf_free(&one);
    pay_ledger_free(&again);
    fl_buf_free(&b);
    json_decref(o);
    json_decref(s);
    pay_ledger_free(&l);
    pay_ledger_free(&back);
}

static void apply_and_append(pay_ledger *l, fl_applog *w, const char *order, int64_t amount,
                             const char *key) {
    json_t *o = json_string(order);
    pay_op p = op(PAY_CHARGE, o, "a", amount, key);
    const pay_entry *e;
    assert_int_equal(pay_ledger_apply(l, &p, &e), PAY_APPLIED);
    assert_int_equal(pay_journal_append(w, l, e), 0);
    json_decref(o);
}

static void test_replay(void **state) {
    (void)state;
    char dir[] = "/tmp/fl-payments-XXXXXX", sub[128], path[192], err[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/data", dir);
    snprintf(path, sizeof path, "%s/" PAY_JOURNAL_NAME, sub);
    pay_ledger l;
    fl_applog w;
    pay_ledger_init(&l, 1000);
    assert_int_equal(pay_journal_open(&w, sub, &l, err, sizeof err), 0);
    apply_and_append(&l, &w, "o1", 10, "k1");
    apply_and_append(&l, &w, "o2", 20, NULL);
    apply_and_append(&l, &w, "o3", 30, "k3");
    assert_int_equal(fl_applog_commit(&w, err, sizeof err), 0);
    fl_applog_close(&w);
    pay_ledger_free(&l);
    /* restart: entries, balances and keys back */
    pay_ledger_init(&l, 1000);
    assert_int_equal(pay_journal_open(&w, sub, &l, err, sizeof err), 0);
    assert_int_equal(l.count, 3);
    assert_int_equal(l.accounts[0].balance, 940);
    assert_non_null(json_object_get(l.key_index, "k3"));
    fl_applog_close(&w);
    pay_ledger_free(&l);
    /* a torn tail: the last record's end cut off; replayed without it (key too), and cut */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 3), 0);
    pay_ledger_init(&l, 1000);
    assert_int_equal(pay_journal_open(&w, sub, &l, err, sizeof err), 0);
    assert_int_equal(l.count, 2);
    assert_null(json_object_get(l.key_index, "k3"));
    assert_int_equal(l.accounts[0].balance, 970);
    fl_applog_close(&w);
    pay_ledger_free(&l);
    struct stat cut;
    assert_int_equal(stat(path, &cut), 0);
    assert_true(cut.st_size < st.st_size - 3);
    /* a damaged first record before a valid one: corruption, refused, the file named */
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, 0), 1);
    close(fd);
    pay_ledger_init(&l, 1000);
    assert_int_equal(pay_journal_open(&w, sub, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "line 1"));
    fl_applog_close(&w);
    pay_ledger_free(&l);
    /* whole records out of sequence (entry 2 missing): refused too, never cut as a tail */
    fl_buf b;
    fl_buf_init(&b, 1 << 16);
    for (int seq = 1; seq <= 3; seq += 2) {
        json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:i, s:n}", "seq", seq, "order", "o",
                              "account", "a", "kind", "charge", "amount", 1, "key");
        assert_int_equal(fl_crc_record_encode(&b, j), 0);
        json_decref(j);
    }
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, fl_buf_bytes(&b), fl_buf_len(&b)), (ssize_t)fl_buf_len(&b));
    close(fd);
    fl_buf_free(&b);
    pay_ledger_init(&l, 1000);
    assert_int_equal(pay_journal_open(&w, sub, &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 2: entry 3 where entry 2 was due"));
    assert_non_null(strstr(err, "inconsistent"));
    fl_applog_close(&w);
    pay_ledger_free(&l);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

/* ---- the capacity ---- */

static void test_admit(void **state) {
    (void)state;
    assert_int_equal(pay_capacity_decide(2, 3, 0, 0), PAY_ADMIT_SERVE);
    assert_int_equal(pay_capacity_decide(2, 3, 1, 0), PAY_ADMIT_SERVE);
    assert_int_equal(pay_capacity_decide(2, 3, 2, 0), PAY_ADMIT_QUEUE);
    assert_int_equal(pay_capacity_decide(2, 3, 2, 2), PAY_ADMIT_QUEUE);
    assert_int_equal(pay_capacity_decide(2, 3, 2, 3), PAY_ADMIT_SHED);
    assert_int_equal(pay_capacity_decide(1, 0, 1, 0), PAY_ADMIT_SHED); /* no queue */
}

static void test_service(void **state) {
    (void)state;
    pay_capacity c;
    pay_capacity_init(&c, 2, 2, 50);
    int jobs[6];
    assert_int_equal(pay_capacity_next_deadline(&c), -1);
    assert_int_equal(pay_capacity_offer(&c, &jobs[0], 1000), PAY_ADMIT_SERVE);
    assert_int_equal(pay_capacity_offer(&c, &jobs[1], 1010), PAY_ADMIT_SERVE);
    assert_int_equal(pay_capacity_offer(&c, &jobs[2], 1011), PAY_ADMIT_QUEUE);
    assert_int_equal(pay_capacity_offer(&c, &jobs[3], 1012), PAY_ADMIT_QUEUE);
    assert_int_equal(pay_capacity_offer(&c, &jobs[4], 1013), PAY_ADMIT_SHED);
    assert_int_equal(pay_capacity_in_service(&c), 2);
    assert_int_equal(pay_capacity_queued(&c), 2);
    assert_int_equal(pay_capacity_next_deadline(&c), 1050);
    assert_null(pay_capacity_finish(&c, 1049));
    /* at 1055 the first is done; the first waiting one starts then, until 1105 */
    assert_ptr_equal(pay_capacity_finish(&c, 1055), &jobs[0]);
    assert_null(pay_capacity_finish(&c, 1055));
    assert_int_equal(pay_capacity_queued(&c), 1);
    assert_int_equal(pay_capacity_next_deadline(&c), 1060);
    assert_int_equal(pay_capacity_offer(&c, &jobs[5], 1056), PAY_ADMIT_QUEUE);
    /* late: everything due by then leaves in the order it entered */
    assert_ptr_equal(pay_capacity_finish(&c, 1200), &jobs[1]);
    assert_ptr_equal(pay_capacity_finish(&c, 1200), &jobs[2]);
    assert_null(pay_capacity_finish(&c, 1200)); /* 3 and 5 started at 1200: until 1250 */
    assert_int_equal(pay_capacity_next_deadline(&c), 1250);
    assert_int_equal(pay_capacity_queued(&c), 0);
    assert_ptr_equal(pay_capacity_drop(&c), &jobs[3]);
    assert_ptr_equal(pay_capacity_drop(&c), &jobs[5]);
    assert_null(pay_capacity_drop(&c));
    pay_capacity_free(&c);
}

/* ---- replies in order, the request log ---- */

static void test_replies_in_order(void **state) {
    (void)state;
    pay_replies r;
    pay_replies_init(&r);
    fl_buf out;
    fl_buf_init(&out, 1 << 16);
    uint64_t no[40];
    for (int i = 0; i < 40; i++) assert_int_equal(pay_replies_open(&r, &no[i]), 0);
    assert_int_equal(no[39], 39);
    /* answered backwards: nothing leaves until the first is answered */
    char text[8];
    for (int i = 39; i >= 1; i--) {
        int n = snprintf(text, sizeof text, "%d\n", i);
        pay_replies_answer(&r, no[i], text, (size_t)n);
        assert_int_equal(pay_replies_release(&r, &out), 0);
        assert_int_equal(fl_buf_len(&out), 0);
    }
    pay_replies_answer(&r, no[0], "0\n", 2);
    assert_int_equal(pay_replies_release(&r, &out), 0);
    assert_int_equal(r.count, 0);
    assert_int_equal(r.bytes, 0);
    char want[256] = "";
    for (int i = 0; i < 40; i++) snprintf(want + strlen(want), sizeof want - strlen(want), "%d\n", i);
    assert_int_equal(fl_buf_len(&out), strlen(want));
    assert_memory_equal(fl_buf_bytes(&out), want, strlen(want));
    uint64_t next;
    assert_int_equal(pay_replies_open(&r, &next), 0);
    assert_int_equal(next, 40);
    pay_replies_free(&r);
    fl_buf_free(&out);
}

static void test_reqlog_line(void **state) {
    (void)state;
    pay_request m;
    assert_int_equal(parse("{\"id\":1,\"f\":\"refund\",\"key\":8,\"value\":{\"account\":\"a\","
                           "\"amount\":5,\"idem\":\"k\",\"call\":\"c1\",\"attempt\":3}}", &m),
                     PAY_PARSE_OK);
    fl_buf b;
    fl_buf_init(&b, 1 << 16);
    assert_int_equal(pay_reqlog_encode(&b, &m, 100, 250, "overloaded"), 0);
    pay_request_release(&m);
    assert_int_equal(parse("{\"id\":1,\"f\":\"charge\",\"key\":{}}", &m), PAY_PARSE_MALFORMED);
    assert_int_equal(pay_reqlog_encode(&b, &m, 1, 2, "malformed"), 0);
    pay_request_release(&m);
    assert_int_equal(parse("{\"id\":1,\"f\":\"ping\"}", &m), PAY_PARSE_OK);
    assert_int_equal(pay_reqlog_encode(&b, &m, 1, 2, "ok"), -1); /* only charges, refunds */
    pay_request_release(&m);
    const char *want =
        "{\"arrived_ns\":100,\"done_ns\":250,\"call\":\"c1\",\"attempt\":3,\"order\":8,"
        "\"kind\":\"refund\",\"outcome\":\"overloaded\"}\n"
        "{\"arrived_ns\":1,\"done_ns\":2,\"call\":null,\"attempt\":null,\"order\":null,"
        "\"kind\":\"charge\",\"outcome\":\"malformed\"}\n";
    assert_int_equal(fl_buf_len(&b), strlen(want));
    assert_memory_equal(fl_buf_bytes(&b), want, strlen(want));
    fl_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_charge),     cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_ledger),           cmocka_unit_test(test_records),
        cmocka_unit_test(test_replay),           cmocka_unit_test(test_admit),
        cmocka_unit_test(test_service),          cmocka_unit_test(test_replies_in_order),
        cmocka_unit_test(test_reqlog_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
