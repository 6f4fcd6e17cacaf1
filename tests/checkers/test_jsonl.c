/* Unit tests of the JSON Lines reader and writer, pairing, and JSONL <-> EDN round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "history.h"
#include "history_testing.h"

#ifndef FL_CORPUS_DIR
#error "FL_CORPUS_DIR must name tests/corpus/porcupine (tests/CMakeLists.txt defines it)"
#endif

static void expect_error(const char *text, uint32_t line, uint32_t column, const char *needle) {
    int rc;
    fl_error err;
    fl_history *h = jsonl_read(text, false, &rc, &err);
    assert_read_error(text, rc, &err, line, column, needle);
    fl_history_free(h);
}

/* ---- reading ---- */

static void test_fields(void **state) {
    (void)state;
    fl_history *h = jsonl_ok(
        "{\"index\":4,\"time\":1234567,\"process\":3,\"type\":\"ok\",\"f\":\"write\",\"key\":\"x\","
        "\"value\":5,\"node\":\"n2\",\"error\":\"timeout\",\"session\":{\"id\":1}}\n"
        "\n"
        "{\"type\":\"invoke\",\"process\":3,\"f\":\"read\",\"key\":7,\"value\":null}\n");
    assert_int_equal(h->count, 2);
    const fl_op *a = &h->ops[0], *b = &h->ops[1];
    assert_int_equal(a->index, 4);
    assert_int_equal(a->time_ns, 1234567);
    assert_int_equal(a->process, 3);
    assert_int_equal(a->type, FL_OK);
    assert_string_equal(a->f, "write");
    assert_json(h->keys[a->key], "\"x\"");
    assert_json(a->value, "5");
    assert_string_equal(a->node, "n2");
    assert_string_equal(a->error, "timeout");
    assert_json(a->extra, "{\"session\":{\"id\":1}}");
    assert_int_equal(a->flags, FL_OP_HAS_TIME); /* JSON has no keywords to remember */
    assert_int_equal(a->line, 1);
    assert_int_equal(b->index, 1); /* no index: the position */
    assert_int_equal(b->flags, 0);
    assert_int_equal(b->line, 3);
    assert_json(h->keys[b->key], "7");
    assert_json(b->value, "null");
    assert_null(b->node);
    assert_null(b->error);
    assert_null(b->extra);
    assert_int_equal(h->key_count, 2);
    fl_history_free(h);
}

static void test_nemesis_process(void **state) {
    (void)state;
    fl_history *h = jsonl_ok(
        "{\"index\":2,\"time\":1300000,\"process\":\"nemesis\",\"type\":\"info\","
        "\"f\":\"partition-start\","
        "\"value\":{\"kind\":\"halves\",\"groups\":[[\"n1\",\"n2\"],[\"n3\"]]}}\n");
    assert_int_equal(h->ops[0].process, FL_PROCESS_NEMESIS);
    assert_int_equal(h->ops[0].type, FL_INFO);
    assert_string_equal(h->ops[0].f, "partition-start");
    assert_json(h->ops[0].value, "{\"kind\":\"halves\",\"groups\":[[\"n1\",\"n2\"],[\"n3\"]]}");
    fl_error err;
    assert_int_equal(fl_history_pair(h, &err), FL_READ_OK);
    assert_int_equal(h->ops[0].pair, FL_NO_PAIR);
    char *edn = write_history(h, FL_FORMAT_EDN);
    assert_string_equal(edn, "{:index 2, :time 1300000, :process :nemesis, :type :info, "
                             ":f :partition-start, :value {:kind \"halves\", :groups [[\"n1\" "
                             "\"n2\"] [\"n3\"]]}}\n");
    free(edn);
    fl_history_free(h);
}

/* The extremes of 64 bits, through the reader (its fast path too) and both writers. */
static void test_extreme_integers(void **state) {
    (void)state;
    const char *line = "{\"index\":-9223372036854775808,\"time\":9223372036854775807,"
                       "\"process\":0,\"type\":\"invoke\",\"f\":\"w\",\"value\":"
                       "[-9223372036854775808,9223372036854775807,999999999999999999,"
                       "1000000000000000000,-1000000000000000000]}\n";
    fl_history *h = jsonl_ok(line);
    assert_true(h->ops[0].index == INT64_MIN);
    assert_true(h->ops[0].time_ns == INT64_MAX);
    assert_json(h->ops[0].value, "[-9223372036854775808,9223372036854775807,999999999999999999,"
                                 "1000000000000000000,-1000000000000000000]");
    char *jsonl = write_history(h, FL_FORMAT_JSONL);
    assert_string_equal(jsonl, line);
    char *edn_text = write_history(h, FL_FORMAT_EDN);
    fl_history *edn = edn_read_ok(edn_text, -1);
    assert_same_ops(h, edn, false);
    free(jsonl);
    free(edn_text);
    fl_history_free(edn);
    fl_history_free(h);
}

static void test_missing_and_bad_fields(void **state) {
    (void)state;
    expect_error("{\"process\":0,\"f\":\"read\"}\n", 1, 1, "op is missing \"type\"");
    expect_error("{\"type\":\"invoke\",\"f\":\"read\"}\n", 1, 1, "op is missing \"process\"");
    expect_error("{\"process\":0,\"type\":\"done\"}\n", 1, 1,
                 "\"type\" must be one of invoke, ok, fail, info");
    expect_error("{\"process\":0,\"type\":3}\n", 1, 1, "\"type\" must be one of");
    expect_error("{\"process\":-2,\"type\":\"ok\"}\n", 1, 1, "\"process\" must be a non-negative");
    expect_error("{\"process\":\"n1\",\"type\":\"ok\"}\n", 1, 1, "\"process\" must be");
    expect_error("{\"process\":0,\"type\":\"ok\",\"index\":\"7\"}\n", 1, 1,
                 "\"index\" must be an integer");
    expect_error("{\"process\":0,\"type\":\"ok\",\"time\":\"now\"}\n", 1, 1,
                 "\"time\" must be a number");
    expect_error("{\"process\":0,\"type\":\"ok\",\"f\":[1]}\n", 1, 1, "\"f\" must be a string");
}

static void test_bad_line_in_the_middle(void **state) {
    (void)state;
    expect_error("{\"process\":0,\"type\":\"invoke\"}\n"
                 "{\"process\":0,\"type\":\"ok\",}\n"
                 "{\"process\":1,\"type\":\"invoke\"}\n",
                 2, 26, "expected one JSON op object per line");
    expect_error("{\"process\":0,\"type\":\"invoke\"}\n[1,2]\n"
                 "{\"process\":1,\"type\":\"invoke\"}\n",
                 2, 1, "expected an op map, found an array");
    expect_error("{\"process\":0,\"type\":\"invoke\"}\n\n\n{\"process\":0}\n", 4, 1,
                 "op is missing \"type\"");
}

static void test_truncated_last_line(void **state) {
    (void)state;
    const char *text = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
                       "{\"process\":0,\"type\":\"ok\",\"f\":\"re";
    int rc;
    fl_error err;
    fl_history *h = jsonl_read(text, false, &rc, &err);
    assert_int_equal(rc, FL_READ_MALFORMED);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "last line is truncated"));
    assert_non_null(strstr(err.message, "--allow-truncated"));
    fl_history_free(h);
    h = jsonl_read(text, true, &rc, &err);
    assert_int_equal(rc, FL_READ_OK);
    assert_int_equal(h->count, 1);
    assert_non_null(strstr(h->warning, "t.jsonl:2: last line is truncated"));
    fl_history_free(h);
    /* A whole last line without its newline is no truncation. */
    h = jsonl_ok("{\"process\":0,\"type\":\"invoke\"}");
    assert_int_equal(h->count, 1);
    assert_string_equal(h->warning, "");
    fl_history_free(h);
    /* A bad line that ends in a newline was written whole: an error either way. */
    h = jsonl_read("{\"process\":0,\"type\":\"invoke\"}\n{\"process\":0,\n", true, &rc, &err);
    assert_int_equal(rc, FL_READ_MALFORMED);
    assert_int_equal(err.line, 2);
    fl_history_free(h);
}

static void test_streaming_reader(void **state) {
    (void)state;
    char text[] = "{\"process\":0,\"type\":\"invoke\"}\n\n{\"process\":0,\"type\":\"ok\"}\n{\"proc";
    FILE *in = fmemopen(text, strlen(text), "r");
    assert_non_null(in);
    fl_history *h = fl_history_new("s.jsonl");
    fl_jsonl_reader *r = fl_jsonl_reader_open(in, "s.jsonl", h, true);
    fl_error err;
    assert_int_equal(fl_jsonl_reader_next(r, &err), 1);
    assert_int_equal(fl_jsonl_reader_next(r, &err), 1);
    assert_int_equal(h->ops[1].line, 3);
    assert_int_equal(fl_jsonl_reader_next(r, &err), 0);
    assert_non_null(strstr(h->warning, "s.jsonl:4: last line is truncated"));
    fl_jsonl_reader_close(r);
    fclose(in);
    fl_history_free(h);
}

/* ---- pairing ---- */

static void test_pairing(void **state) {
    (void)state;
    fl_history *h = jsonl_ok("{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n"
                             "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n"
                             "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill-start\"}\n"
                             "{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n"
                             "{\"process\":1,\"type\":\"info\",\"f\":\"read\"}\n"
                             "{\"process\":2,\"type\":\"invoke\",\"f\":\"read\"}\n");
    fl_error err;
    assert_int_equal(fl_history_pair(h, &err), FL_READ_OK);
    const int64_t want[] = {3, 4, FL_NO_PAIR, 0, 1, FL_NO_PAIR};
    for (size_t i = 0; i < 6; i++) assert_int_equal(h->ops[i].pair, want[i]);
    fl_history_free(h);
}

static void test_pairing_errors(void **state) {
    (void)state;
    fl_history *h = jsonl_ok("{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n"
                             "{\"process\":0,\"type\":\"info\",\"f\":\"write\",\"value\":1}\n"
                             "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":2}\n"
                             "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n");
    fl_error err;
    assert_int_equal(fl_history_pair(h, &err), FL_READ_MALFORMED);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.message, "process 0 invokes op 3 while its op 2 (line 3) has not "
                                        "completed"));
    fl_history_free(h);
    h = jsonl_ok("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
                 "{\"process\":5,\"type\":\"ok\",\"f\":\"read\"}\n");
    assert_int_equal(fl_history_pair(h, &err), FL_READ_MALFORMED);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "ok completion (index 1) of process 5 has no invocation"));
    fl_history_free(h);
}

/* ---- round trips ---- */

/* Lines as the JSONL writer writes them, so the text itself must come back. */
static const char canonical[] =
    "{\"index\":0,\"time\":1000,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\","
    "\"value\":5}\n"
    "{\"index\":1,\"time\":2000,\"process\":\"nemesis\",\"type\":\"info\","
    "\"f\":\"partition-start\",\"value\":{\"kind\":\"partition\","
    "\"grudge\":{\"n1\":[\"n3\",\"n4\"]},\"applied_ns\":{\"n1\":17}}}\n"
    "{\"index\":2,\"time\":3000,\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"x\","
    "\"value\":5,\"node\":\"n2\"}\n"
    "{\"index\":3,\"process\":1,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"append\",\"x\",3],"
    "[\"r\",\"y\",null]]}\n"
    "{\"index\":4,\"process\":1,\"type\":\"fail\",\"f\":\"txn\",\"value\":[[\"append\",\"x\",3],"
    "[\"r\",\"y\",[1,2.5,-0.25,1e22,\"a\\u0000b\"]]],\"error\":\"conflict: \\\"x\\\"\\n\"}\n"
    "{\"index\":5,\"process\":2,\"type\":\"invoke\",\"f\":\"cas\",\"key\":7,\"value\":[1,2],"
    "\"session\":{\"a b\":true,\"c\":false}}\n"
    "{\"index\":6,\"process\":2,\"type\":\"info\",\"f\":\"\"}\n";

static void test_round_trip_through_edn(void **state) {
    (void)state;
    fl_history *h = jsonl_ok(canonical);
    char *edn_text = write_history(h, FL_FORMAT_EDN);
    fl_history *edn = edn_read_ok(edn_text, -1);
    assert_same_ops(h, edn, false);
    char *jsonl_text = write_history(edn, FL_FORMAT_JSONL);
    assert_string_equal(jsonl_text, canonical);
    free(edn_text);
    free(jsonl_text);
    fl_history_free(edn);
    fl_history_free(h);
}

/* Porcupine's kv histories: JSONL -> EDN -> JSONL keeps every op. */
static void test_corpus_round_trip(void **state) {
    (void)state;
    static const char *const files[] = {"c01-ok", "c01-bad", "c10-ok",
                                        "c10-bad", "c50-ok", "c50-bad"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/kv/%s.jsonl", FL_CORPUS_DIR, files[i]);
        size_t len;
        char *text = slurp(path, &len);
        if (!text) fail_msg("cannot read %s", path);
        fl_history *h = jsonl_ok(text);
        fl_error err;
        assert_int_equal(fl_history_pair(h, &err), FL_READ_OK);
        assert_true(h->count > 0);
        char *edn_text = write_history(h, FL_FORMAT_EDN);
        fl_history *edn = edn_read_ok(edn_text, -1);
        assert_same_ops(h, edn, false);
        char *a = write_history(h, FL_FORMAT_JSONL), *b = write_history(edn, FL_FORMAT_JSONL);
        assert_string_equal(a, b);
        free(a);
        free(b);
        free(text);
        free(edn_text);
        fl_history_free(edn);
        fl_history_free(h);
    }
}

/* fl_history_read_file: the format from the extension or else the first token. */
static void test_read_file_detects_format(void **state) {
    (void)state;
    static const struct {
        const char *suffix, *text;
    } cases[] = {
        {".jsonl", "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"},
        {".edn", "{:process 0, :type :invoke, :f :read}\n"},
        {"", "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"},
        {"", "; comment\n{:process 0 :type :invoke :f :read}\n"},
        {"", "\n[{:process 0 :type :invoke :f :read}]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/fl_test_jsonl_XXXXXX%s", cases[i].suffix);
        int fd = mkstemps(path, (int)strlen(cases[i].suffix));
        assert_true(fd >= 0);
        size_t len = strlen(cases[i].text);
        assert_int_equal(write(fd, cases[i].text, len), (ssize_t)len);
        close(fd);
        fl_history *h;
        fl_error err;
        int rc = fl_history_read_file(path, NULL, &h, &err);
        unlink(path);
        if (rc != FL_READ_OK) print_error("case %zu: %s\n", i, err.message);
        assert_int_equal(rc, FL_READ_OK);
        assert_int_equal(h->count, 1);
        assert_string_equal(h->ops[0].f, "read");
        fl_history_free(h);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_nemesis_process),
        cmocka_unit_test(test_extreme_integers),
        cmocka_unit_test(test_missing_and_bad_fields),
        cmocka_unit_test(test_bad_line_in_the_middle),
        cmocka_unit_test(test_truncated_last_line),
        cmocka_unit_test(test_streaming_reader),
        cmocka_unit_test(test_pairing),
        cmocka_unit_test(test_pairing_errors),
        cmocka_unit_test(test_round_trip_through_edn),
        cmocka_unit_test(test_corpus_round_trip),
        cmocka_unit_test(test_read_file_detects_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
