/* Unit tests of fl-fencestore's socket-free pieces (targets/lockd/store): the fencing
 * decision in each mode (table.c), the request parser and the decision replies
 * (request.c), and the journal's records and replay (journal.c over common/applog.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc_record.h"
#include "journal.h"
#include "request.h"
#include "table.h"

/* ---- the decision ---- */

#define READ INT_MIN /* a step's value: the access is a read */

/* One access on a resource and what must follow: accepted or not, the fence and seq after
 * it, and the value then held (INT_MIN: never written). */
typedef struct step {
    const char *ckey;
    int64_t token;
    int value;
    bool accepted;
    int64_t fence;
    uint64_t seq;
    int value_after;
} step;

static void run_steps(fs_mode mode, const step *steps, size_t n) {
    fs_table t;
    fs_table_init(&t);
    for (size_t i = 0; i < n; i++) {
        const step *x = &steps[i];
        json_t *v = x->value == READ ? NULL : json_integer(x->value);
        fs_access a = {v ? FS_WRITE : FS_READ, x->ckey, x->token, v};
        fs_decision d;
        assert_int_equal(fs_decide(&t, mode, &a, &d), 0);
        if (d.accepted != x->accepted || d.r->fence != x->fence || d.r->seq != x->seq)
            fail_msg("%s step %zu: accepted %d, fence %lld, seq %llu", fs_mode_name(mode), i,
                     d.accepted, (long long)d.r->fence, (unsigned long long)d.r->seq);
        if (x->value_after == READ) assert_null(d.r->value);
        else assert_int_equal(json_integer_value(d.r->value), x->value_after);
        json_decref(v);
    }
    fs_table_free(&t);
}

#define N(steps) (sizeof steps / sizeof steps[0])

static void test_correct(void **state) {
    (void)state;
    static const step steps[] = {
        {"\"r\"", 5, READ, true, 5, 1, READ},  /* a read raises the fence too; never written */
        {"\"r\"", 5, 1, true, 5, 2, 1},        /* the same token: accepted */
        {"\"r\"", 4, 2, false, 5, 3, 1},       /* stale: rejected before it touches the value */
        {"\"r\"", 0, READ, false, 5, 4, 1},    /* a stale read too; each takes a seq */
        {"\"r\"", 7, READ, true, 7, 5, 1},
        {"\"r\"", 6, 3, false, 7, 6, 1},       /* fenced by a read */
        {"1", 0, 3, true, 0, 1, 3},             /* another resource: its own fence and seq */
        {"\"1\"", 9, READ, true, 9, 1, READ},  /* 1 and "1" differ */
        {"\"r\"", 8, 4, true, 8, 7, 4},
    };
    run_steps(FS_CORRECT, steps, N(steps));
}

static void test_write_before_fence(void **state) {
    (void)state;
    static const step steps[] = {
        {"\"r\"", 5, 1, true, 5, 1, 1},
        {"\"r\"", 3, 2, true, 5, 2, 2},        /* stale, applied; the fence stays the max */
        {"\"r\"", 1, READ, true, 5, 3, 2},
        {"\"r\"", 9, READ, true, 9, 4, 2},
    };
    run_steps(FS_WRITE_BEFORE_FENCE, steps, N(steps));
}

static void test_no_fence(void **state) {
    (void)state;
    static const step steps[] = {
        {"\"r\"", 5, 1, true, FS_FENCE_NONE, 1, 1},
        {"\"r\"", 3, 2, true, FS_FENCE_NONE, 2, 2},
        {"\"r\"", 0, READ, true, FS_FENCE_NONE, 3, 2},
    };
    run_steps(FS_NO_FENCE, steps, N(steps));
    fs_table t; /* and its reply says fence null */
    fs_table_init(&t);
    json_t *one = json_integer(1);
    fs_access a = {FS_WRITE, "\"r\"", 4, one};
    fs_decision d;
    assert_int_equal(fs_decide(&t, FS_NO_FENCE, &a, &d), 0);
    json_t *v = fs_decision_json(&d), *want = json_pack("{s:i, s:i, s:n, s:i}", "token", 4,
                                                         "value", 1, "fence", "seq", 1);
    assert_true(json_equal(v, want));
    json_decref(v);
    json_decref(want);
    json_decref(one);
    fs_table_free(&t);
}

static void test_modes(void **state) {
    (void)state;
    fs_mode m;
    assert_int_equal(fs_mode_parse("write-before-fence", &m), 0);
    assert_int_equal(m, FS_WRITE_BEFORE_FENCE);
    assert_int_equal(fs_mode_parse("no-fence", &m), 0);
    assert_string_equal(fs_mode_name(m), "no-fence");
    assert_int_equal(fs_mode_parse("correct", &m), -1); /* not a bug */
    assert_int_equal(fs_mode_parse("early-grant", &m), -1); /* fl-lockd's */
}

/* ---- requests and replies ---- */

/* A line and how it parses. */
typedef struct parse_case {
    const char *line;
    fs_parse_status st;
    const char *err_has; /* a part of the error ("" for OK) */
} parse_case;

static const parse_case parse_cases[] = {
    {"{\"id\":1,\"f\":\"write\",\"key\":\"r\",\"value\":{\"token\":3,\"value\":7}}", FS_PARSE_OK, ""},
    {"{\"id\":1,\"f\":\"read\",\"key\":2,\"value\":{\"token\":0}}", FS_PARSE_OK, ""},
    {"{\"f\":\"peek\",\"key\":\"r\"}", FS_PARSE_OK, ""},
    {"{\"f\":\"ping\"}", FS_PARSE_OK, ""},
    {"{\"f\":\"status\"}", FS_PARSE_OK, ""},
    {"", FS_PARSE_MALFORMED, "not JSON"},
    {"[1]", FS_PARSE_MALFORMED, "object"},
    {"{\"id\":1,\"f\":\"cas\",\"key\":\"r\"}", FS_PARSE_UNKNOWN_F, "f must"},
    {"{\"id\":1,\"f\":3}", FS_PARSE_MALFORMED, "f must be a string"},
    {"{\"f\":\"read\",\"value\":{\"token\":1}}", FS_PARSE_MALFORMED, "key"},
    {"{\"f\":\"read\",\"key\":1.5,\"value\":{\"token\":1}}", FS_PARSE_MALFORMED, "key"},
    {"{\"f\":\"read\",\"key\":\"r\"}", FS_PARSE_MALFORMED, "token"},
    {"{\"f\":\"read\",\"key\":\"r\",\"value\":{\"token\":-1}}", FS_PARSE_MALFORMED, "non-negative"},
    {"{\"f\":\"read\",\"key\":\"r\",\"value\":{\"token\":1.0}}", FS_PARSE_MALFORMED, "integer"},
    {"{\"f\":\"write\",\"key\":\"r\",\"value\":{\"token\":1}}", FS_PARSE_MALFORMED, "needs a value"},
    {"{\"f\":\"ping\",\"f\":\"read\"}", FS_PARSE_MALFORMED, "not JSON"}, /* a duplicate */
};

static void test_parse(void **state) {
    (void)state;
    fs_request m;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const char *line = parse_cases[i].line;
        if (fs_request_parse(line, strlen(line), &m) != parse_cases[i].st)
            fail_msg("case %zu: status %d: %s", i, m.status, m.err);
        assert_non_null(strstr(m.err, parse_cases[i].err_has));
        fs_request_release(&m);
    }
    const char *w = "{\"id\":\"x\",\"f\":\"write\",\"key\":\"r\",\"value\":{\"token\":3,\"value\":[7]}}";
    assert_int_equal(fs_request_parse(w, strlen(w), &m), FS_PARSE_OK);
    assert_int_equal(m.f, FS_F_WRITE);
    assert_string_equal(m.ckey, "\"r\"");
    assert_int_equal(m.token, 3);
    assert_string_equal(json_string_value(m.id), "x");
    assert_true(json_is_array(m.value));
    fs_request_release(&m);
    const char *cas = "{\"id\":9,\"f\":\"cas\"}"; /* a refusal still answers the id */
    assert_int_equal(fs_request_parse(cas, strlen(cas), &m), FS_PARSE_UNKNOWN_F);
    fl_buf b;
    fl_buf_init(&b, 1 << 12);
    assert_int_equal(fs_reply_refusal(&b, &m), 0);
    const char *want = "{\"id\":9,\"type\":\"fail\",\"error\":\"unknown-f\",\"detail\":"
                       "\"f must be read, write, peek, ping or status\"}\n";
    assert_int_equal(fl_buf_len(&b), strlen(want));
    assert_memory_equal(fl_buf_bytes(&b), want, strlen(want));
    fl_buf_free(&b);
    fs_request_release(&m);
}

static void test_reply_lines(void **state) {
    (void)state;
    fs_table t;
    fs_table_init(&t);
    json_t *seven = json_integer(7), *id = json_integer(4);
    fl_buf b;
    fl_buf_init(&b, 1 << 16);
    fs_access a = {FS_WRITE, "\"r\"", 5, seven};
    fs_decision d;
    assert_int_equal(fs_decide(&t, FS_CORRECT, &a, &d), 0);
    assert_int_equal(fs_reply_decision(&b, id, &d), 0);
    a.token = 2;
    assert_int_equal(fs_decide(&t, FS_CORRECT, &a, &d), 0);
    assert_int_equal(fs_reply_decision(&b, NULL, &d), 0);
    const char *want = "{\"id\":4,\"type\":\"ok\",\"value\":{\"token\":5,\"value\":7,\"fence\":5,\"seq\":1}}\n"
                       "{\"id\":null,\"type\":\"fail\",\"error\":\"stale-token\","
                       "\"value\":{\"token\":2,\"fence\":5,\"seq\":2}}\n";
    assert_int_equal(fl_buf_len(&b), strlen(want));
    assert_memory_equal(fl_buf_bytes(&b), want, strlen(want));
    fl_buf_free(&b);
    json_decref(seven);
    json_decref(id);
    fs_table_free(&t);
}

/* ---- the journal ---- */

static void test_records(void **state) {
    (void)state;
    assert_int_equal(fl_crc32c("123456789", 9), 0xE3069283u); /* the CRC-32C check value */
    fs_table t, back;
    fs_table_init(&t);
    fs_table_init(&back);
    json_t *v = json_pack("{s:[i,n]}", "x", 1);
    assert_int_equal(fs_table_restore(&t, "\"a\"", 4, 9, v), 0);
    assert_int_equal(fs_table_restore(&t, "7", FS_FENCE_NONE, 1, NULL), 0);
    fl_buf b;
    fl_buf_init(&b, 1 << 16);
    for (size_t i = 0; i < t.count; i++) assert_int_equal(fs_journal_encode(&b, &t.res[i]), 0);
    char *text = fl_buf_bytes(&b), err[FS_ERR_BYTES];
    char *nl = memchr(text, '\n', fl_buf_len(&b));
    assert_non_null(nl);
    assert_int_equal(fs_journal_apply_line(&back, text, (size_t)(nl - text), err, sizeof err), 0);
    size_t rest = fl_buf_len(&b) - (size_t)(nl + 1 - text);
    assert_int_equal(fs_journal_apply_line(&back, nl + 1, rest - 1, err, sizeof err), 0);
    const fs_resource *a = fs_table_get(&back, "\"a\""), *seven = fs_table_get(&back, "7");
    assert_int_equal(a->fence, 4);
    assert_int_equal(a->seq, 9);
    assert_true(json_equal(a->value, v));
    assert_int_equal(seven->fence, FS_FENCE_NONE);
    assert_null(seven->value);
    text[12] ^= 1; /* one bit of the JSON: the CRC no longer matches */
    assert_int_equal(fs_journal_apply_line(&back, text, (size_t)(nl - text), err, sizeof err), -1);
    assert_non_null(strstr(err, "CRC mismatch"));
    assert_int_equal(fs_journal_apply_line(&back, "garbage", 7, err, sizeof err), -1);
    assert_non_null(strstr(err, "no CRC"));
    const char *no_seq = "e2a5b3b3 {}";
    assert_int_equal(fs_journal_apply_line(&back, no_seq, strlen(no_seq), err, sizeof err), -1);
    fl_buf_free(&b);
    json_decref(v);
    fs_table_free(&t);
    fs_table_free(&back);
}

static int64_t value_of(const fs_table *t, const char *ckey) {
    const fs_resource *r = fs_table_get(t, ckey);
    assert_non_null(r);
    assert_non_null(r->value);
    return (int64_t)json_integer_value(r->value);
}

static void decide_write(fs_table *t, fl_applog *w, const char *ckey, int64_t token, int value) {
    json_t *v = json_integer(value);
    fs_access a = {FS_WRITE, ckey, token, v};
    fs_decision d;
    assert_int_equal(fs_decide(t, FS_CORRECT, &a, &d), 0);
    assert_int_equal(fs_journal_append(w, d.r), 0);
    json_decref(v);
}

static void test_replay(void **state) {
    (void)state;
    char dir[] = "/tmp/fl-fencestore-XXXXXX", sub[128], path[192], err[1024];
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/data", dir);
    snprintf(path, sizeof path, "%s/" FS_JOURNAL_NAME, sub);
    fs_table t;
    fl_applog w;
    fs_table_init(&t);
    assert_int_equal(fs_journal_open(&w, sub, &t, err, sizeof err), 0);
    decide_write(&t, &w, "\"r\"", 3, 10);
    decide_write(&t, &w, "\"r\"", 1, 11); /* rejected: only its seq changes */
    decide_write(&t, &w, "\"q\"", 8, 20);
    assert_int_equal(fl_applog_commit(&w, err, sizeof err), 0);
    fl_applog_close(&w);
    fs_table_free(&t);
    /* restart: every field back */
    fs_table_init(&t);
    assert_int_equal(fs_journal_open(&w, sub, &t, err, sizeof err), 0);
    assert_int_equal(fs_table_get(&t, "\"r\"")->fence, 3);
    assert_int_equal(fs_table_get(&t, "\"r\"")->seq, 2);
    assert_int_equal(value_of(&t, "\"r\""), 10);
    assert_int_equal(value_of(&t, "\"q\""), 20);
    fl_applog_close(&w);
    fs_table_free(&t);
    /* a torn tail: the last record's end cut off; replayed without it, and cut */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 3), 0);
    fs_table_init(&t);
    assert_int_equal(fs_journal_open(&w, sub, &t, err, sizeof err), 0);
    assert_null(fs_table_get(&t, "\"q\""));
    assert_int_equal(fs_table_get(&t, "\"r\"")->seq, 2);
    fl_applog_close(&w);
    fs_table_free(&t);
    struct stat cut;
    assert_int_equal(stat(path, &cut), 0);
    assert_true(cut.st_size < st.st_size - 3);
    /* a damaged first record before a valid one: corruption, refused, the file named */
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "zz", 2, 0), 2);
    close(fd);
    fs_table_init(&t);
    assert_int_equal(fs_journal_open(&w, sub, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "line 1: no CRC"));
    assert_non_null(strstr(err, "corruption"));
    fl_applog_close(&w);
    fs_table_free(&t);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest decisions[] = {
        cmocka_unit_test(test_correct), cmocka_unit_test(test_write_before_fence),
        cmocka_unit_test(test_no_fence), cmocka_unit_test(test_modes)};
    const struct CMUnitTest lines[] = {cmocka_unit_test(test_parse),
                                       cmocka_unit_test(test_reply_lines)};
    const struct CMUnitTest journal[] = {cmocka_unit_test(test_records),
                                         cmocka_unit_test(test_replay)};
    int failed = cmocka_run_group_tests_name("decisions", decisions, NULL, NULL);
    failed += cmocka_run_group_tests_name("lines", lines, NULL, NULL);
    return failed + cmocka_run_group_tests_name("journal", journal, NULL, NULL);
}
