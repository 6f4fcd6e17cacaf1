/* Unit tests of the Jepsen history.edn reader and writer (edn_read.c, edn_write.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "history.h"
#include "history_testing.h"

#ifndef FL_CORPUS_DIR
#error "FL_CORPUS_DIR must name tests/corpus/porcupine (tests/CMakeLists.txt defines it)"
#endif

/* Parse text that must be good, and without a warning. */
static fl_history *edn_ok(const char *text, int independent) {
    fl_history *h = edn_read_ok(text, independent);
    assert_string_equal(h->warning, "");
    return h;
}

static void expect_error(const char *text, bool allow_truncated, uint32_t line, uint32_t column,
                         const char *needle) {
    int rc;
    fl_error err;
    fl_history *h = edn_read(text, -1, allow_truncated, &rc, &err);
    assert_read_error(text, rc, &err, line, column, needle);
    assert_string_equal(err.file, "t.edn");
    fl_history_free(h);
}

static char *write_op_edn(const fl_history *h, size_t i) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(fl_edn_write_op(out, h, &h->ops[i]), 0);
    assert_int_equal(fclose(out), 0);
    return text;
}

/* ---- reading forms ---- */

static void test_every_form(void **state) {
    (void)state;
    fl_history *h = edn_ok(
        "{:type :invoke, :process 0, :f :x, :value\n"
        " {:kw :foo, :ns-kw :foo/bar, :dash :timed-out,\n"
        "  :s \"q\\\"b\\\\s\\nn\\tt\\rr\\u00e9\\ud83d\\ude00\", :raw \"é\",\n"
        "  :i -42, :z 0, :plus +7, :big 9223372036854775807N, :min -9223372036854775808,\n"
        "  :fl 1.5, :ex -2.5e3, :ex2 1E2, :m 3.25M, :mi 7M, :dot 2.,\n"
        "  :nil nil, :t true, :no false,\n"
        "  :v [1 [2]], :l (1 \"two\"), :e [], :set #{3 1 2},\n"
        "  :sym foo-bar, :sym2 my.ns/x, :minus -, :ch \\a, :nl \\newline, :sp \\space,\n"
        "  :uc \\u00e9, :paren \\(, :tab \\tab,\n"
        "  5 :int-key, \"str\" :str-key, [1 :a] :vec-key, nil :nil-key,\n"
        "  :tagged #inst \"2020-01-01\", :rec #my.Rec{:a 1}}}\n",
        -1);
    assert_int_equal(h->count, 1);
    assert_json(h->ops[0].value,
                "{\"kw\":\":foo\",\"ns-kw\":\":foo/bar\",\"dash\":\":timed-out\","
                "\"s\":\"q\\\"b\\\\s\\nn\\tt\\rr\\u00e9\\ud83d\\ude00\",\"raw\":\"\\u00e9\","
                "\"i\":-42,\"z\":0,\"plus\":7,\"big\":9223372036854775807,"
                "\"min\":-9223372036854775808,"
                "\"fl\":1.5,\"ex\":-2500.0,\"ex2\":100.0,\"m\":3.25,\"mi\":7.0,\"dot\":2.0,"
                "\"nil\":null,\"t\":true,\"no\":false,"
                "\"v\":[1,[2]],\"l\":[1,\"two\"],\"e\":[],\"set\":[3,1,2],"
                "\"sym\":\"foo-bar\",\"sym2\":\"my.ns/x\",\"minus\":\"-\",\"ch\":\"a\","
                "\"nl\":\"\\n\","
                "\"sp\":\" \",\"uc\":\"\\u00e9\",\"paren\":\"(\",\"tab\":\"\\t\","
                "\"5\":\":int-key\",\"str\":\":str-key\",\"[1,\\\":a\\\"]\":\":vec-key\","
                "\"null\":\":nil-key\",\"tagged\":\"2020-01-01\",\"rec\":{\"a\":1}}");
    /* Integers and floats stay apart. */
    json_t *v = h->ops[0].value;
    assert_true(json_is_integer(json_object_get(v, "big")));
    assert_true(json_is_real(json_object_get(v, "mi")));
    fl_history_free(h);
}

static void test_op_fields(void **state) {
    (void)state;
    fl_history *h = edn_ok(
        "{:index 7, :time 1000, :process 3, :type :ok, :f :read, :value 5, :node \"n1\",\n"
        " :error :timed-out, :extra-field [1 2]}\n"
        "{:process 4, :type :invoke, :f \"read\", :error \"boom\"}\n"
        "{:process :nemesis, :type :info, :f :partition-start, :value {:kind :halves}}\n",
        -1);
    assert_int_equal(h->count, 3);
    const fl_op *a = &h->ops[0], *b = &h->ops[1], *n = &h->ops[2];
    assert_int_equal(a->index, 7);
    assert_int_equal(a->time_ns, 1000);
    assert_int_equal(a->process, 3);
    assert_int_equal(a->type, FL_OK);
    assert_string_equal(a->f, "read");
    assert_string_equal(a->node, "n1");
    assert_string_equal(a->error, "timed-out");
    assert_int_equal(a->flags, FL_OP_HAS_TIME);
    assert_int_equal(a->line, 1);
    assert_json(a->value, "5");
    assert_json(a->extra, "{\"extra-field\":[1,2]}");
    /* Strings where keywords are usual are remembered as such. */
    assert_int_equal(b->index, 1);
    assert_string_equal(b->f, "read");
    assert_string_equal(b->error, "boom");
    assert_int_equal(b->flags, FL_OP_F_STRING | FL_OP_ERROR_STRING);
    assert_null(b->value);
    assert_int_equal(b->line, 3);
    assert_int_equal(n->process, FL_PROCESS_NEMESIS);
    assert_int_equal(n->type, FL_INFO);
    assert_string_equal(n->f, "partition-start");
    assert_json(n->value, "{\"kind\":\":halves\"}");
    fl_history_free(h);
}

static void test_comments_commas_discards(void **state) {
    (void)state;
    fl_history *h = edn_ok(
        "; a history\n"
        ",,, {:process 0 ; the first worker\n"
        "     :type :invoke, #_ :ignored #_ #_ 1 2 :f :read #_{:a [1 2]}}\n"
        "#_ {:process 9, :type :ok} ;; a discarded op\n"
        "{:process 0,:type :ok,:f :read,:value [1,2,#_3]}{:process 1 :type :invoke}\n"
        "; the end, without a newline",
        0); /* the one value, [1 2], would pass for a jepsen.independent tuple */
    assert_int_equal(h->count, 3);
    assert_int_equal(h->ops[0].line, 2);
    assert_string_equal(h->ops[0].f, "read");
    assert_null(h->ops[0].extra);
    assert_int_equal(h->ops[1].line, 5);
    assert_json(h->ops[1].value, "[1,2]");
    assert_int_equal(h->ops[2].line, 5);
    assert_int_equal(h->ops[2].process, 1);
    fl_history_free(h);
}

static void test_vector_of_ops(void **state) {
    (void)state;
    fl_history *h = edn_ok("[{:process 0, :type :invoke, :f :read, :value nil}\n"
                           " {:process 0, :type :ok, :f :read, :value 3}]\n",
                           -1);
    assert_int_equal(h->count, 2);
    assert_int_equal(h->ops[1].line, 2);
    assert_int_equal(h->ops[1].index, 1);
    assert_json(h->ops[1].value, "3");
    fl_history_free(h);
    h = edn_ok("; Knossos style\n({:process 0 :type :invoke :f :read})", -1);
    assert_int_equal(h->count, 1);
    assert_int_equal(h->ops[0].line, 2);
    fl_history_free(h);
    h = edn_ok("[]\n", -1);
    assert_int_equal(h->count, 0);
    fl_history_free(h);
    h = edn_ok("", -1);
    assert_int_equal(h->count, 0);
    fl_history_free(h);
}

/* ---- jepsen.independent ---- */

static const char independent_text[] =
    "{:process 0, :type :invoke, :f :write, :value [1 5]}\n"
    "{:process 0, :type :ok, :f :write, :value [1 5]}\n"
    "{:process 1, :type :invoke, :f :read, :value [\"k\" nil]}\n"
    "{:process :nemesis, :type :info, :f :start, :value [:a :b :c]}\n"
    "{:process 1, :type :ok, :f :read, :value [\"k\" 5]}\n"
    "{:process 2, :type :invoke, :f :read}\n";

static void test_independent_detected(void **state) {
    (void)state;
    fl_history *h = edn_ok(independent_text, -1);
    assert_int_equal(h->count, 6);
    assert_int_equal(h->key_count, 2);
    assert_json(h->keys[h->ops[0].key], "1");
    assert_json(h->ops[0].value, "5");
    assert_int_equal(h->ops[1].key, h->ops[0].key);
    assert_json(h->keys[h->ops[2].key], "\"k\"");
    assert_json(h->ops[2].value, "null");
    assert_int_equal(h->ops[3].key, FL_NO_KEY); /* the nemesis is not keyed */
    assert_json(h->ops[3].value, "[\":a\",\":b\",\":c\"]");
    assert_int_equal(h->ops[5].key, FL_NO_KEY); /* no value, nothing to split */
    assert_null(h->ops[5].value);
    /* Written out, the key is a field of its own, and reads back the same. */
    char *line = write_op_edn(h, 2);
    assert_string_equal(
        line, "{:index 2, :process 1, :type :invoke, :f :read, :key \"k\", :value nil}\n");
    free(line);
    char *text = write_history(h, FL_FORMAT_EDN);
    fl_history *again = edn_ok(text, -1);
    assert_same_ops(h, again, true);
    free(text);
    fl_history_free(again);
    fl_history_free(h);
}

/* A tuple whose key is nil (found by fuzz_edn in CI): the nil key is a key, not "no
 * key", written as :key nil / "key":null, and it survives EDN -> JSONL -> EDN. */
static void test_independent_nil_key(void **state) {
    (void)state;
    fl_history *h = edn_ok("[{:process 0, :type :invoke, :f :write, :value [1 5]} "
                           "{:process 0, :type :ok, :f :write, :value [1 5]} "
                           "{:process 1, :type :invoke, :f :read, :value [nil nil]}]",
                           -1);
    assert_int_equal(h->key_count, 2);
    assert_int_not_equal(h->ops[2].key, FL_NO_KEY);
    assert_json(h->keys[h->ops[2].key], "null");
    assert_json(h->ops[2].value, "null");
    char *line = write_op_edn(h, 2);
    assert_string_equal(
        line, "{:index 2, :process 1, :type :invoke, :f :read, :key nil, :value nil}\n");
    free(line);
    char *jsonl_text = write_history(h, FL_FORMAT_JSONL);
    assert_non_null(strstr(jsonl_text, "\"key\":null,\"value\":null}"));
    fl_history *jsonl = jsonl_ok(jsonl_text);
    assert_same_ops(h, jsonl, false);
    char *edn_text = write_history(jsonl, FL_FORMAT_EDN);
    fl_history *again = edn_ok(edn_text, -1);
    assert_same_ops(h, again, false);
    free(jsonl_text);
    free(edn_text);
    fl_history_free(jsonl);
    fl_history_free(again);
    fl_history_free(h);
    /* A JSON op without a key field has no key; "key":null is the nil key. */
    h = jsonl_ok("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
                 "{\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"key\":null}\n");
    assert_int_equal(h->ops[0].key, FL_NO_KEY);
    assert_int_not_equal(h->ops[1].key, FL_NO_KEY);
    assert_json(h->keys[h->ops[1].key], "null");
    fl_history_free(h);
}

static void test_independent_off(void **state) {
    (void)state;
    fl_history *h = edn_ok(independent_text, 0);
    assert_int_equal(h->key_count, 0);
    assert_int_equal(h->ops[0].key, FL_NO_KEY);
    assert_json(h->ops[0].value, "[1,5]");
    fl_history_free(h);
}

static void test_independent_not_detected(void **state) {
    (void)state;
    /* One plain value: a cas-register history with [old new] values, not tuples. */
    fl_history *h = edn_ok("{:process 0, :type :invoke, :f :cas, :value [1 2]}\n"
                           "{:process 0, :type :ok, :f :cas, :value [1 2]}\n"
                           "{:process 0, :type :invoke, :f :read, :value nil}\n",
                           -1);
    assert_int_equal(h->key_count, 0);
    assert_json(h->ops[0].value, "[1,2]");
    fl_history_free(h);
    /* An explicit key field: already split. */
    h = edn_ok("{:process 0, :type :invoke, :f :cas, :key 3, :value [1 2]}\n"
               "{:process 1, :type :invoke, :f :cas, :value [1 2]}\n",
               -1);
    assert_int_equal(h->key_count, 1);
    assert_json(h->ops[0].value, "[1,2]");
    assert_int_equal(h->ops[1].key, FL_NO_KEY);
    fl_history_free(h);
    /* Two-micro-op transactions: the first element is no key. */
    h = edn_ok("{:process 0, :type :invoke, :f :txn, :value [[:append 1 2] [:r 3 nil]]}\n", -1);
    assert_int_equal(h->key_count, 0);
    fl_history_free(h);
    /* Only a nemesis: nothing to go by. */
    h = edn_ok("{:process :nemesis, :type :info, :f :kill, :value [:n1 :n2]}\n", -1);
    assert_int_equal(h->key_count, 0);
    fl_history_free(h);
}

static void test_independent_forced(void **state) {
    (void)state;
    fl_history *h = edn_ok(
        "{:process 0, :type :invoke, :f :txn, :value [[:append 1 2] [:r 3 nil]]}\n"
        "{:process 1, :type :invoke, :f :w, :key :x, :value 4}\n",
        1);
    assert_json(h->keys[h->ops[0].key], "[\":append\",1,2]");
    assert_json(h->ops[0].value, "[\":r\",3,null]");
    assert_json(h->keys[h->ops[1].key], "\":x\""); /* kept as given */
    assert_json(h->ops[1].value, "4");
    fl_history_free(h);
    int rc;
    fl_error err;
    h = edn_read("{:process 0, :type :invoke, :f :w, :value [1 2]}\n"
                 "{:process 0, :type :ok, :f :w, :value [1 2]}\n"
                 "\n{:index 2, :process 1, :type :invoke, :f :w, :value 3}\n",
                 1, false, &rc, &err);
    assert_int_equal(rc, FL_READ_MALFORMED);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.message, "op 2: value 3 is not a [key value] tuple"));
    fl_history_free(h);
}

/* ---- errors ---- */

static void test_errors_name_line_and_column(void **state) {
    (void)state;
    expect_error("{:process 0, :type :invoke}\n{:type :invoke :process}\n", false, 2, 1,
                 "map has an odd number of forms: the key at line 2, column 16 has no value");
    expect_error("{:process 0, :type :invoke, :f \"ab\\qc\"}", false, 1, 35,
                 "unknown escape '\\q' in string");
    expect_error("{:process 0, :type :invoke, :value ]}", false, 1, 36,
                 "expected a value, found ']'");
    expect_error("{:process 0, :type :invoke,\n :value [1 2}", false, 2, 13,
                 "expected ']' to close the vector at line 2, column 9, found '}'");
    expect_error("{:process 0, :type :invoke}\n  42\n", false, 2, 3,
                 "expected an op map {…} or a vector of them, found a number");
    expect_error("[{:process 0, :type :invoke} :x]", false, 1, 30,
                 "expected an op map {…}, found a keyword");
    expect_error("\n\n{:process 0, :f :read}", false, 3, 1, "op is missing \"type\"");
    expect_error("[{:process 0, :type :invoke}\n  {:process 1}]", false, 2, 3,
                 "op is missing \"type\"");
    expect_error("{:process 0, :type :bogus}", false, 1, 1, "\"type\" must be one of");
    expect_error("{:process 0, :type :invoke, :value 12abc}", false, 1, 36,
                 "invalid number '12abc'");
    expect_error("{:process 0, :type :invoke, :value 1e}", false, 1, 36, "invalid number '1e'");
    expect_error("{:process 0, :type :invoke, :value 99999999999999999999}", false, 1, 36,
                 "does not fit in 64 bits");
    expect_error("{:process 0, :type :invoke, :value 1e999}", false, 1, 36, "out of range");
    expect_error("{:process 0, :type :invoke, :process 1}", false, 1, 29,
                 "duplicate key \"process\"");
    expect_error("{:process 0, :type :invoke, :value #\"re\"}", false, 1, 36,
                 "unsupported form '#\"'");
    expect_error("{:process 0, :type :invoke, :value \\bell}", false, 1, 36,
                 "unknown character literal '\\bell'");
    expect_error("{:process 0, :type :invoke, :value \"\xff\"}", false, 1, 36, "not valid UTF-8");
    expect_error("{:process 0, :type :invoke, :value : }", false, 1, 36, "expected a keyword name");
    expect_error("{:process 0, :type :invoke, :value ::x}", false, 1, 36, "cannot begin with '::'");
    expect_error("{:process 0, :type :invoke, ::value 1}", false, 1, 29, "cannot begin with '::'");
    expect_error("{:process 0, :type :invoke, :value @x}", false, 1, 36,
                 "expected a value, found '@'");
    expect_error("{:process 0, :type :invoke, :value \x01}", false, 1, 36, "found byte 0x01");
    expect_error("{:process 0, :type :invoke, :value \"\\ud800\"}", false, 1, 37,
                 "invalid \\u escape");
    expect_error("nil", false, 1, 1, "expected an op map");
    expect_error("}", false, 1, 1, "expected a value, found '}'");
    /* Lines are counted through comments and multi-line strings. */
    expect_error("; one\n{:process 0, :type :invoke, :value \"two\nthree\"}\n\n{:value ]}", false,
                 5, 9, "expected a value, found ']'");
}

static void test_nesting_limit(void **state) {
    (void)state;
    char text[2048];
    int n = snprintf(text, sizeof text, "{:process 0, :type :invoke, :value ");
    for (int i = 0; i < 255; i++) text[n++] = '[';
    for (int i = 0; i < 255; i++) text[n++] = ']';
    snprintf(text + n, sizeof text - (size_t)n, "}");
    fl_history *h = edn_ok(text, 0); /* the op map and 255 vectors: 256 deep */
    fl_history_free(h);
    n = snprintf(text, sizeof text, "{:process 0, :type :invoke, :value ");
    for (int i = 0; i < 256; i++) text[n++] = '[';
    text[n] = '\0';
    expect_error(text, true, 1, 291, "nested more than 256 deep");
    /* Discards and tags nest too; none of it may exhaust the stack. */
    char *deep = malloc(200001);
    assert_non_null(deep);
    for (int i = 0; i < 100000; i++) memcpy(deep + 2 * i, "#_", 2);
    deep[200000] = '\0';
    expect_error(deep, false, 1, 513, "nested more than 256 deep");
    free(deep);
}

/* ---- truncation ---- */

static const char complete_op[] = "{:index 0, :process 0, :type :invoke, :f :read, :value nil}\n";

static void expect_truncated(const char *text, size_t ops, const char *warning) {
    int rc;
    fl_error err;
    fl_history *h = edn_read(text, -1, false, &rc, &err);
    assert_int_equal(rc, FL_READ_MALFORMED);
    assert_non_null(strstr(err.message, "--allow-truncated"));
    fl_history_free(h);
    h = edn_read(text, -1, true, &rc, &err);
    if (rc != FL_READ_OK) print_error("%u:%u: %s\n", err.line, err.column, err.message);
    assert_int_equal(rc, FL_READ_OK);
    assert_int_equal(h->count, ops);
    if (!strstr(h->warning, warning)) fail_msg("warning: %s\nwanted: %s", h->warning, warning);
    fl_history_free(h);
}

static void test_truncated_last_op(void **state) {
    (void)state;
    char text[512];
    snprintf(text, sizeof text, "%s%s", complete_op, "{:index 1, :process 0, :ty");
    expect_truncated(text, 1, "t.edn:2: the last op is truncated");
    snprintf(text, sizeof text, "%s%s", complete_op,
             "{:index 1, :process 0, :type :ok, :value \"ab");
    expect_truncated(text, 1, "t.edn:2: the last op is truncated");
    snprintf(text, sizeof text, "%s%s", complete_op,
             "{:index 1, :process 0, :type :ok, :value [1 [2");
    expect_truncated(text, 1, "the last op is truncated");
    snprintf(text, sizeof text, "[%s %s", complete_op, "{:index 1, :process 0, :type :o");
    expect_truncated(text, 1, "the last op is truncated");
    snprintf(text, sizeof text, "[%s %s", complete_op, complete_op);
    expect_truncated(text, 2, "the vector of ops is truncated");
    snprintf(text, sizeof text, "%s#_", complete_op);
    expect_truncated(text, 1, "the last form is truncated");
}

static void test_unclosed_across_lines_is_an_error(void **state) {
    (void)state;
    /* A missing '}' swallows the following lines: that is no crashed writer. */
    char text[512];
    snprintf(text, sizeof text, "{:index 0, :process 0, :type :invoke\n%s", complete_op);
    expect_error(text, true, 1, 1,
                 "unterminated map: the input ends (line 3) before its closing '}'");
    snprintf(text, sizeof text, "%s{:process 0, :type :ok, :value \"a\nb", complete_op);
    expect_error(text, true, 2, 32, "unterminated string");
}

/* ---- writing ---- */

static void test_write_fields(void **state) {
    (void)state;
    fl_history *h = jsonl_ok(
        "{\"index\":7,\"time\":12,\"process\":3,\"type\":\"ok\",\"f\":\"read\",\"key\":\"k\","
        "\"value\":5,\"node\":\"n1\",\"error\":\"timed-out\",\"foo\":1,\"a b\":2}\n"
        "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill-start\",\"error\":\"timed out\"}\n"
        "{\"process\":1,\"type\":\"invoke\",\"f\":\"a b\"}\n"
        "{\"process\":1,\"type\":\"fail\"}\n");
    const char *want[] = {
        ("{:index 7, :time 12, :process 3, :type :ok, :f :read, :key \"k\", :value 5, "
         ":node \"n1\", :error :timed-out, :foo 1, \"a b\" 2}\n"),
        "{:index 1, :process :nemesis, :type :info, :f :kill-start, :error \"timed out\"}\n",
        "{:index 2, :process 1, :type :invoke, :f \"a b\"}\n",
        "{:index 3, :process 1, :type :fail}\n",
    };
    for (size_t i = 0; i < 4; i++) {
        char *line = write_op_edn(h, i);
        assert_string_equal(line, want[i]);
        free(line);
    }
    fl_history_free(h);
}

static void test_write_values(void **state) {
    (void)state;
    fl_history *h = jsonl_ok(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"w\",\"value\":[null,true,false,1,-2,1.0,0.1,"
        "1e300,-0.0,2.5e-7,\"s\\\"\\\\\\n\\t\\r\\u0001\\u0000x\",\":kw\",\":ns/kw\","
        "\":not a kw\",\":\","
        "\":1x\",\"é\",{\"a\":1,\"1\":2,\"\":3,\"x/y\":4,\"é\":5,\"-1\":6}]}\n");
    char *line = write_op_edn(h, 0);
    assert_string_equal(line,
                        "{:index 0, :process 0, :type :invoke, :f :w, :value [nil true false 1 -2 "
                        "1.0 0.1 1e+300 -0.0 2.5e-07 \"s\\\"\\\\\\n\\t\\r\\u0001\\u0000x\" "
                        ":kw :ns/kw \":not a kw\" \":\" \":1x\" \"é\" {:a 1, \"1\" 2, \"\" 3, "
                        ":x/y 4, \"é\" 5, "
                        "\"-1\" 6}]}\n");
    /* And it reads back as the same value. */
    fl_history *again = edn_ok(line, 0);
    assert_same_ops(h, again, false);
    free(line);
    fl_history_free(again);
    fl_history_free(h);
}

/* The EDN reader strips one ':' from f, node and error strings (keywords arrive as
 * ":name"); JSON keeps every character. A name that itself starts with ':' must survive
 * JSONL -> EDN -> back. */
static void test_write_leading_colon(void **state) {
    (void)state;
    fl_history *h = jsonl_ok("{\"process\":0,\"type\":\"invoke\",\"f\":\"::odd\",\"node\":\"::n\","
                             "\"error\":\"::e\"}\n");
    assert_string_equal(h->ops[0].f, "::odd");
    char *line = write_op_edn(h, 0);
    assert_string_equal(line, "{:index 0, :process 0, :type :invoke, :f \":::odd\", "
                              ":node \":::n\", :error \":::e\"}\n");
    fl_history *again = edn_ok(line, -1);
    assert_string_equal(again->ops[0].f, "::odd");
    assert_string_equal(again->ops[0].node, "::n");
    assert_string_equal(again->ops[0].error, "::e");
    free(line);
    fl_history_free(again);
    fl_history_free(h);
}

static void test_write_keeps_strings(void **state) {
    (void)state;
    const char *text = "{:index 0, :process 0, :type :invoke, :f \"read\", :error \"boom\"}\n"
                       "{:index 1, :process 0, :type :fail, :f :read, :error :boom}\n"
                       "{:index 2, :process 0, :type :invoke, :f \"\"}\n";
    fl_history *h = edn_ok(text, -1);
    char *out = write_history(h, FL_FORMAT_EDN);
    assert_string_equal(out, text);
    free(out);
    fl_history_free(h);
}

static void test_write_error(void **state) {
    (void)state;
    fl_history *h = edn_ok(complete_op, -1);
    FILE *ro = fopen("/dev/null", "r");
    assert_non_null(ro);
    assert_int_equal(fl_edn_write_op(ro, h, &h->ops[0]), -1);
    fclose(ro);
    fl_history_free(h);
}

/* ---- the etcd corpus ---- */

/* EDN -> JSONL -> EDN gives back each file byte for byte and the same ops. */
static void test_corpus_round_trip(void **state) {
    (void)state;
    size_t files = 0, ops = 0;
    for (int i = 0; i < 200; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/etcd/etcd_%03d.edn", FL_CORPUS_DIR, i);
        size_t len;
        char *text = slurp(path, &len);
        if (!text) continue;
        files++;
        fl_history *edn = edn_ok(text, -1);
        fl_error err;
        assert_int_equal(fl_history_pair(edn, &err), FL_READ_OK);
        ops += edn->count;
        assert_int_equal(edn->key_count, 0); /* [old new] cas values are no tuples */
        char *jsonl_text = write_history(edn, FL_FORMAT_JSONL);
        fl_history *jsonl = jsonl_ok(jsonl_text);
        assert_same_ops(edn, jsonl, true);
        char *edn_text = write_history(jsonl, FL_FORMAT_EDN);
        if (strcmp(edn_text, text) != 0) fail_msg("%s does not come back byte for byte", path);
        fl_history *again = edn_ok(edn_text, -1);
        assert_same_ops(edn, again, true);
        free(text);
        free(jsonl_text);
        free(edn_text);
        fl_history_free(edn);
        fl_history_free(jsonl);
        fl_history_free(again);
    }
    if (files < 100) fail_msg("only %zu etcd histories in %s/etcd", files, FL_CORPUS_DIR);
    assert_int_equal(ops, 17046);
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* All 17,046 etcd ops as one file; the bound is loose (sanitizer builds), the time is
 * printed for a human to compare. */
static void test_corpus_speed(void **state) {
    (void)state;
    char *all = NULL;
    size_t all_len = 0;
    FILE *out = open_memstream(&all, &all_len);
    assert_non_null(out);
    for (int i = 0; i < 200; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/etcd/etcd_%03d.edn", FL_CORPUS_DIR, i);
        size_t len;
        char *text = slurp(path, &len);
        if (!text) continue;
        fwrite(text, 1, len, out);
        free(text);
    }
    fclose(out);
    double best = 1e9;
    for (int round = 0; round < 5; round++) {
        fl_history *h = fl_history_new("all.edn");
        fl_error err;
        double start = now_ms();
        assert_int_equal(fl_edn_read(all, all_len, "all.edn", h, NULL, &err), FL_READ_OK);
        double ms = now_ms() - start;
        if (ms < best) best = ms;
        assert_int_equal(h->count, 17046);
        fl_history_free(h);
    }
    print_message("[   INFO   ] 17046 etcd ops (%zu bytes) read in %.2f ms\n", all_len, best);
    assert_true(best < 1000);
    free(all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_form),
        cmocka_unit_test(test_op_fields),
        cmocka_unit_test(test_comments_commas_discards),
        cmocka_unit_test(test_vector_of_ops),
        cmocka_unit_test(test_independent_detected),
        cmocka_unit_test(test_independent_nil_key),
        cmocka_unit_test(test_independent_off),
        cmocka_unit_test(test_independent_not_detected),
        cmocka_unit_test(test_independent_forced),
        cmocka_unit_test(test_errors_name_line_and_column),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_truncated_last_op),
        cmocka_unit_test(test_unclosed_across_lines_is_an_error),
        cmocka_unit_test(test_write_fields),
        cmocka_unit_test(test_write_values),
        cmocka_unit_test(test_write_leading_colon),
        cmocka_unit_test(test_write_keeps_strings),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_corpus_round_trip),
        cmocka_unit_test(test_corpus_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
