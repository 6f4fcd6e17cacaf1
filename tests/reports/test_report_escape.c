/* The HTML report's escaping and sanitising (reports/html): UTF-8 validation and
 * replacement, JSON that cannot end its <script> element (checked on whole documents and
 * on input split at every byte), shell quoting of the reproduce command, the report's
 * own history reader (invalid bytes replaced, malformed lines named by number), which
 * ops anomalies name, and the bound on embedded ops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "command.h"
#include "escape.h"
#include "sample.h"
#include "scan.h"

#define FFFD "\xEF\xBF\xBD"

static void test_utf8_valid(void **state) {
    (void)state;
    assert_true(fl_utf8_valid("", 0));
    assert_true(fl_utf8_valid("plain ascii", 11));
    assert_true(fl_utf8_valid("\xC3\xA9", 2));             /* é */
    assert_true(fl_utf8_valid("\xE2\x80\xA8", 3));         /* U+2028 */
    assert_true(fl_utf8_valid("\xF0\x9F\x98\x80", 4));     /* U+1F600 */
    assert_true(fl_utf8_valid("\xF4\x8F\xBF\xBF", 4));     /* U+10FFFF, the last */
    assert_false(fl_utf8_valid("\xFF", 1));
    assert_false(fl_utf8_valid("\xFE", 1));
    assert_false(fl_utf8_valid("\x80", 1));                /* a lone continuation */
    assert_false(fl_utf8_valid("\xC0\x80", 2));            /* overlong NUL */
    assert_false(fl_utf8_valid("\xC1\xBF", 2));            /* overlong */
    assert_false(fl_utf8_valid("\xE0\x80\x80", 3));        /* overlong */
    assert_false(fl_utf8_valid("\xED\xA0\x80", 3));        /* a surrogate */
    assert_false(fl_utf8_valid("\xF4\x90\x80\x80", 4));    /* past U+10FFFF */
    assert_false(fl_utf8_valid("\xF5\x80\x80\x80", 4));
    assert_false(fl_utf8_valid("\xE2\x82", 2));            /* truncated */
    assert_false(fl_utf8_valid("a\xC3", 2));
}

static void expect_sanitized(const char *in, size_t len, const char *expected) {
    char out[256];
    assert_true(3 * len <= sizeof out);
    size_t n = fl_utf8_sanitize(in, len, out);
    assert_int_equal(n, strlen(expected));
    assert_memory_equal(out, expected, n);
    assert_true(fl_utf8_valid(out, n));
}

static void test_utf8_sanitize(void **state) {
    (void)state;
    expect_sanitized("abc", 3, "abc");
    expect_sanitized("\xC3\xA9t\xC3\xA9", 5, "\xC3\xA9t\xC3\xA9");
    expect_sanitized("\xFF\xFE", 2, FFFD FFFD);              /* one per byte */
    expect_sanitized("a\xE2\x82z", 4, "a" FFFD FFFD "z");    /* a truncated sequence */
    expect_sanitized("\xED\xA0\x80", 3, FFFD FFFD FFFD);     /* surrogates are refused */
    expect_sanitized("\xC0\xAF", 2, FFFD FFFD);              /* overlong '/' */
    expect_sanitized("x\xF0\x9F\x98\x80y", 6, "x\xF0\x9F\x98\x80y");
    json_t *s = fl_json_string_lossy("bad \xFF byte", 10);
    assert_non_null(s);
    assert_string_equal(json_string_value(s), "bad " FFFD " byte");
    json_decref(s);
}

/* Escape text through a FILE, feeding it in pieces of `chunk` bytes (0: at once). */
static char *escape_text(const char *text, size_t chunk) {
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    assert_non_null(out);
    fl_script_escaper e;
    fl_script_escaper_init(&e, out);
    size_t len = strlen(text);
    for (size_t i = 0; i < len;) {
        size_t n = chunk && len - i > chunk ? chunk : len - i;
        fl_script_escaper_put(&e, text + i, n);
        i += n;
    }
    assert_int_equal(fl_script_escaper_finish(&e), 0);
    fclose(out);
    return buffer;
}

static void test_escaper_replaces_every_dangerous_character(void **state) {
    (void)state;
    const char *json = "{\"v\":\"</script><script>alert(1)</script>&amp;\xE2\x80\xA8|\xE2\x80\xA9|\xE2\x82\xAC\"}";
    const char *expected = "{\"v\":\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"
                           "\\u0026amp;\\u2028|\\u2029|\xE2\x82\xAC\"}";
    for (size_t chunk = 0; chunk <= strlen(json); chunk++) {
        char *out = escape_text(json, chunk);
        assert_string_equal(out, expected);
        free(out);
    }
    /* E2 80 then something else, E2 at the very end: passed through unchanged */
    char *out = escape_text("\"\xE2\x80\xA7\"", 1);
    assert_string_equal(out, "\"\xE2\x80\xA7\"");
    free(out);
    out = escape_text("\xE2\xE2\x80\xA8\xE2", 1);
    assert_string_equal(out, "\xE2\\u2028\xE2");
    free(out);
}

static void test_escaped_json_parses_to_the_same_value(void **state) {
    (void)state;
    json_t *v = json_pack("{s:s,s:s,s:[s,s],s:s}", "a", "</script>", "b\"'", "x'\"<>&",
                          "list", "<!--", "-->", "ls", "\xE2\x80\xA8\xE2\x80\xA9");
    assert_non_null(v);
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    assert_int_equal(fl_json_write_script_safe(out, v), 0);
    fclose(out);
    assert_null(strchr(buffer, '<'));
    assert_null(strchr(buffer, '>'));
    assert_null(strchr(buffer, '&'));
    assert_null(strstr(buffer, "\xE2\x80\xA8"));
    json_error_t jerr;
    json_t *back = json_loads(buffer, 0, &jerr);
    assert_non_null(back);
    assert_true(json_equal(v, back));
    json_decref(back);
    json_decref(v);
    free(buffer);
}

static void test_script_element(void **state) {
    (void)state;
    json_t *v = json_pack("[s]", "</SCRIPT ><script>window.__pwned=1</script>");
    char *buffer = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buffer, &size);
    assert_int_equal(fl_json_write_script_element(out, "fl-test", v), 0);
    fclose(out);
    const char *open = "<script type=\"application/json\" id=\"fl-test\">";
    assert_memory_equal(buffer, open, strlen(open));
    const char *body = buffer + strlen(open);
    const char *close = strstr(body, "</script>");
    assert_non_null(close);
    assert_string_equal(close, "</script>\n"); /* the only end tag is ours */
    assert_null(memchr(body, '<', (size_t)(close - body)));
    json_decref(v);
    free(buffer);
}

static void test_shell_quote(void **state) {
    (void)state;
    char out[256] = "";
    rp_shell_quote("faultline", out, sizeof out);
    rp_shell_quote("--nemesis", out, sizeof out);
    rp_shell_quote("partition:halves,kill", out, sizeof out);
    rp_shell_quote("it's $(rm -rf /) `x`", out, sizeof out);
    rp_shell_quote("", out, sizeof out);
    assert_string_equal(out, "faultline --nemesis partition:halves,kill 'it'\\''s $(rm -rf /) `x`' ''");
}

static void test_reproduce_command(void **state) {
    (void)state;
    json_t *test = json_loads(
        "{\"config\":{\"target\":\"quorumkv\",\"bug\":\"stale-read\",\"target-opt\":{\"replicas\":\"3\"},"
        "\"workload\":\"register\",\"nemesis\":\"partition,kill\",\"time-limit\":60.0,\"rate\":0.5,"
        "\"concurrency\":10,\"seed\":\"42\",\"store\":\"store\",\"test-count\":3}}", 0, NULL);
    assert_non_null(test);
    char *command = rp_reproduce_command(test);
    assert_string_equal(command, "faultline test --target quorumkv --bug stale-read --target-opt "
                                 "replicas=3 --workload register --nemesis partition,kill "
                                 "--concurrency 10 --rate 0.5 --time-limit 60 --seed 42");
    free(command);
    /* argv wins; a seed is added when argv has none */
    json_object_set_new(test, "argv", json_pack("[s,s,s,s]", "faultline", "test", "--target", "a b"));
    command = rp_reproduce_command(test);
    assert_string_equal(command, "faultline test --target 'a b' --seed 42");
    free(command);
    json_decref(test);
    json_t *empty = json_object();
    assert_null(rp_reproduce_command(empty));
    json_decref(empty);
}

/* Write text to a temporary file; returns its path (free it; unlink it). */
static char *temp_history(const char *text, size_t len) {
    char *path = strdup("/tmp/test_report_escape_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_history_with_invalid_utf8(void **state) {
    (void)state;
    const char text[] =
        "{\"index\":0,\"time\":10,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":\"\xFF\xFE<b>\"}\n"
        "{\"index\":1,\"time\":20,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill-start\",\"value\":{\"nodes\":[\"n1\"]}}\n"
        "\n"
        "{\"index\":2,\"time\":30,\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":\"\xFF\xFE<b>\"}\n"
        "{\"index\":3,\"time\":40,\"process\":1,\"type\":\"invoke\",\"f\":\"read\"}\n";
    char *path = temp_history(text, sizeof text - 1);
    rp_history h;
    char err[512] = "";
    assert_int_equal(rp_history_read(path, &h, err, sizeof err), 0);
    assert_int_equal(h.op_count, 2);
    assert_int_equal(h.event_count, 1);
    assert_int_equal(h.window_count, 1);
    assert_int_equal(h.windows[0].stop_event, RP_NONE); /* never stopped: to the end */
    assert_int_equal(h.ops[0].outcome, 1 /* FL_OK */);
    assert_int_equal(h.ops[0].complete_line, 4);
    assert_int_equal(h.ops[1].outcome, RP_OPEN);
    json_t *first = rp_history_line(&h, h.ops[0].invoke_off);
    assert_string_equal(json_string_value(json_object_get(first, "value")), FFFD FFFD "<b>");
    json_decref(first);
    rp_history_free(&h);
    unlink(path);
    free(path);
}

static void expect_malformed(const char *text, const char *fragment) {
    char *path = temp_history(text, strlen(text));
    rp_history h;
    char err[512] = "";
    int rc = rp_history_read(path, &h, err, sizeof err);
    rp_history_free(&h);
    unlink(path); /* before any assertion, which would leave the file behind */
    free(path);
    assert_int_equal(rc, -1);
    if (!strstr(err, fragment)) fail_msg("error \"%s\" lacks \"%s\"", err, fragment);
}

static void test_malformed_history_names_the_line(void **state) {
    (void)state;
    const char *ok = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n";
    char text[512];
    snprintf(text, sizeof text, "%s%s{\"process\":0,\"type\":\"ok\" oops}\n", ok,
             "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n");
    expect_malformed(text, ":3:29: expected one JSON op object");
    snprintf(text, sizeof text, "%s{\"process\":-4,\"type\":\"ok\"}\n", ok);
    expect_malformed(text, ":2: \"process\"");
    snprintf(text, sizeof text, "%s%s", ok, ok);
    expect_malformed(text, ":2: process 0 invokes");
    expect_malformed("{\"process\":2,\"type\":\"ok\"}\n", ":1: ok completion of process 2");
    expect_malformed("[1,2]\n", ":1: expected one JSON op object");
    /* a truncated last line (no newline) is skipped with a warning */
    snprintf(text, sizeof text, "%s{\"process\":0,\"ty", ok);
    char *path = temp_history(text, strlen(text));
    rp_history h;
    char err[512] = "";
    assert_int_equal(rp_history_read(path, &h, err, sizeof err), 0);
    assert_non_null(strstr(h.warning, ":2: the last line is truncated"));
    rp_history_free(&h);
    unlink(path);
    free(path);
}

static void collect(int64_t index, void *data) {
    json_array_append_new(data, json_integer(index));
}

static void test_anomaly_indices(void **state) {
    (void)state;
    json_t *results = json_loads(
        "{\"valid\":false,\"checkers\":{"
        " \"linearizable\":{\"valid\":false,\"ops\":100,\"keys\":{"
        "   \"a\":{\"valid\":false,\"failing_op\":{\"index\":9,\"process\":1},"
        "          \"window\":{\"cut_index\":10,\"ops\":[0,5,9]},\"linearized_prefix\":[0,5]},"
        "   \"b\":{\"valid\":true,\"linearization\":[1,2,3],\"ops\":[77]}}},"
        " \"set\":{\"valid\":false,\"lost_ops\":[{\"element\":3,\"add\":{\"index\":40,\"f\":\"add\"},"
        "          \"missing_from\":[{\"index\":50,\"node\":\"n1\"}]}],\"ops\":12},"
        " \"stats\":{\"valid\":true,\"worst\":{\"index\":99,\"process\":3}}}}", 0, NULL);
    assert_non_null(results);
    json_t *found = json_array();
    assert_int_equal(rp_anomaly_indices(results, collect, found), 0);
    /* sort to compare as a set */
    int64_t got[16];
    size_t n = json_array_size(found);
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) got[i] = json_integer_value(json_array_get(found, i));
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && got[j - 1] > got[j]; j--) {
            int64_t t = got[j];
            got[j] = got[j - 1];
            got[j - 1] = t;
        }
    int64_t expected[] = {0, 0, 5, 5, 9, 9, 40, 50};
    assert_int_equal(n, sizeof expected / sizeof *expected);
    assert_memory_equal(got, expected, sizeof expected);
    json_decref(found);
    json_decref(results);
}

static void test_selection_is_bounded_and_keeps_named_ops(void **state) {
    (void)state;
    size_t ops = 1000, len = 0;
    char *text = malloc(ops * 200 + 400);
    for (size_t i = 0; i < ops; i++) {
        len += (size_t)sprintf(text + len, "{\"index\":%zu,\"time\":%zu,\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n"
                                           "{\"index\":%zu,\"time\":%zu,\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n",
                               2 * i, 10 * i, 2 * i + 1, 10 * i + 5);
        if (i == 500)
            len += (size_t)sprintf(text + len, "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"pause-start\"}\n");
    }
    char *path = temp_history(text, len);
    rp_history h;
    char err[512] = "";
    assert_int_equal(rp_history_read(path, &h, err, sizeof err), 0);
    assert_int_equal(h.op_count, ops);
    json_t *results = json_loads("{\"checkers\":{\"c\":{\"valid\":false,\"v\":[{\"index\":1998,"
                                 "\"process\":0},{\"index\":4,\"f\":\"read\"},{\"index\":7,\"process\":0}]}}}",
                                 0, NULL);
    rp_selection sel;
    assert_int_equal(rp_select(&h, results, 100, &sel), 0);
    assert_int_equal(sel.named, 2);          /* 1998 and 4; 7 is a completion's index */
    assert_int_equal(sel.named_missing, 1);
    assert_true(sel.around_faults > 0 && sel.around_faults <= 25);
    assert_int_equal(sel.selected, 100);
    assert_int_equal(sel.left_out, ops - 100);
    assert_true(h.ops[999].selected && h.ops[2].selected);
    assert_true(h.ops[500].selected);       /* the fault window's start */
    size_t selected = 0;
    for (size_t i = 0; i < ops; i++) selected += h.ops[i].selected;
    assert_int_equal(selected, 100);
    json_decref(results);
    rp_history_free(&h);
    unlink(path);
    free(path);
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_sanitize),
        cmocka_unit_test(test_escaper_replaces_every_dangerous_character),
        cmocka_unit_test(test_escaped_json_parses_to_the_same_value),
        cmocka_unit_test(test_script_element),
        cmocka_unit_test(test_shell_quote),
        cmocka_unit_test(test_reproduce_command),
        cmocka_unit_test(test_history_with_invalid_utf8),
        cmocka_unit_test(test_malformed_history_names_the_line),
        cmocka_unit_test(test_anomaly_indices),
        cmocka_unit_test(test_selection_is_bounded_and_keeps_named_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
