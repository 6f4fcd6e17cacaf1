/* The log-pattern checker (checkers/logpattern/log_pattern.h) on a run directory made
 * in /tmp: exact matches (pattern, node, file, line, text) for the default patterns,
 * invalid UTF-8 and long lines shown safely, what the walk skips, user patterns added
 * or replacing the defaults, malformed patterns refused with pcre2's message, the file
 * size limit, and "unknown" without logs. The directory is removed afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "history_testing.h"
#include "log_pattern.h"

static char run_dir[64];

/* Write RUN_DIR/rel (its directories made first) with n bytes of text. */
static void write_file(const char *rel, const char *text, size_t n) {
    temp_dir_write(run_dir, rel, text, n);
}

static void write_text(const char *rel, const char *text) {
    write_file(rel, text, strlen(text));
}

static int make_run_dir(void **state) {
    (void)state;
    return temp_dir_make(run_dir, sizeof run_dir, "fl_log_pattern");
}

static int remove_run_dir(void **state) {
    (void)state;
    return temp_dir_remove(run_dir);
}

/* The logs of a crashed run; every test starts from a fresh directory. */
static void write_crashed_run(void) {
    write_text("nodes/n1/daemon.log", "starting raft node n1\n"
                                      "panic: assignment to entry in nil map\n"
                                      "all good\n");
    write_text("nodes/n1/sub/extra.log",
               "ok\nx.c:10:5: runtime error: signed integer overflow\n");
    write_text("nodes/n2/server.log",
               "listening on :7000\n"
               "\xff\xfe bad bytes, then thread 'main' panicked at src/main.rs\n"
               "no panics here, nothing panicky\n"
               "Segmentation fault\r\n");
    write_text("nodes/n2/deep/deeper/x.log", "panic\n");
    write_text("nodes/stray.log", "panic\n");
    char target[512], link[512];
    snprintf(target, sizeof target, "%s/nodes/n1/daemon.log", run_dir);
    snprintf(link, sizeof link, "%s/nodes/n2/link.log", run_dir);
    assert_int_equal(symlink(target, link), 0);
}

static json_t *check(const fl_log_pattern_options *o) {
    char err[512] = "";
    json_t *r = fl_check_log_patterns(run_dir, o, err, sizeof err);
    if (!r) fail_msg("the checker failed: %s", err);
    return r;
}

static json_int_t integer(const json_t *r, const char *name) {
    const json_t *v = json_object_get(r, name);
    if (!json_is_integer(v)) fail_msg("no integer %s in the result", name);
    return json_integer_value(v);
}

static void default_patterns_find_exact_lines(void **state) {
    (void)state;
    write_crashed_run();
    json_t *r = check(NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 0);
    assert_null(json_object_get(r, "reason"));
    assert_json(json_object_get(r, "patterns"),
                "[\"panic\",\"assertion\",\"asan\",\"ubsan\",\"tsan\",\"segfault\"]");
    assert_json(json_object_get(r, "matches"),
                "[{\"pattern\":\"panic\",\"node\":\"n1\",\"file\":\"nodes/n1/daemon.log\","
                "\"line\":2,\"text\":\"panic: assignment to entry in nil map\"},"
                "{\"pattern\":\"ubsan\",\"node\":\"n1\",\"file\":\"nodes/n1/sub/extra.log\","
                "\"line\":2,\"text\":\"x.c:10:5: runtime error: signed integer overflow\"},"
                "{\"pattern\":\"panic\",\"node\":\"n2\",\"file\":\"nodes/n2/server.log\","
                "\"line\":2,\"text\":\"\xEF\xBF\xBD\xEF\xBF\xBD bad bytes, then thread 'main' "
                "panicked at src/main.rs\"},"
                "{\"pattern\":\"segfault\",\"node\":\"n2\",\"file\":\"nodes/n2/server.log\","
                "\"line\":4,\"text\":\"Segmentation fault\"}]");
    assert_int_equal(integer(r, "match_count"), 4);
    assert_json(json_object_get(r, "by_pattern"), "{\"panic\":2,\"assertion\":0,\"asan\":0,"
                                                  "\"ubsan\":1,\"tsan\":0,\"segfault\":1}");
    assert_int_equal(integer(r, "files_scanned"), 3);
    assert_int_equal(integer(r, "bytes_scanned"), 22 + 38 + 9 + 3 + 49 + 19 + 57 + 32 + 20);
    assert_json(json_object_get(r, "skipped"),
                "[{\"file\":\"nodes/n2/deep/deeper\",\"reason\":\"a directory deeper than "
                "nodes/<node>/<dir>/\"},{\"file\":\"nodes/n2/link.log\",\"reason\":"
                "\"a symbolic link (not followed)\"},{\"file\":\"nodes/stray.log\","
                "\"reason\":\"not in a node directory (nodes/<node>/)\"}]");
    assert_int_equal(integer(r, "skipped_count"), 3);
    assert_int_equal(integer(r, "unreadable_count"), 0);
    assert_int_equal(integer(r, "match_error_count"), 0);
    assert_json(json_object_get(r, "truncated_files"), "[]");
    json_decref(r);
}

static void clean_logs_are_valid(void **state) {
    (void)state;
    write_text("nodes/n1/daemon.log", "starting\nno panics, nothing panicky\nstopping\n");
    write_text("nodes/n2/daemon.log", "starting\n");
    json_t *r = check(NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 1);
    assert_int_equal(integer(r, "files_scanned"), 2);
    assert_int_equal(integer(r, "match_count"), 0);
    assert_json(json_object_get(r, "matches"), "[]");
    json_decref(r);
}

static void long_lines_are_cut_and_split(void **state) {
    (void)state;
    /* Line 1: 400 bytes, a match at its start, "é" straddling byte 300. Line 2: 70000
     * bytes (more than the 64 KiB buffer) with a match at its end. Line 3: a match. */
    enum { LONG = 70000 };
    size_t cap = 400 + LONG + 64;
    char *text = malloc(cap);
    assert_non_null(text);
    memset(text, 'x', 399);
    memcpy(text, "SIGSEGV ", 8);
    memcpy(text + 299, "\xC3\xA9", 2);
    text[399] = '\n';
    memset(text + 400, 'y', LONG);
    memcpy(text + 400 + LONG - 6, " panic", 6);
    size_t n = 400 + LONG;
    n += (size_t)sprintf(text + n, "\nAssertion `x' failed\n");
    write_file("nodes/n1/big.log", text, n);
    json_t *r = check(NULL);
    const json_t *m = json_object_get(r, "matches");
    assert_int_equal(json_array_size(m), 3);
    const json_t *first = json_array_get(m, 0);
    assert_string_equal(json_string_value(json_object_get(first, "pattern")), "segfault");
    assert_int_equal(json_string_length(json_object_get(first, "text")), 299);
    assert_true(json_is_true(json_object_get(first, "text_truncated")));
    assert_int_equal(integer(json_array_get(m, 1), "line"), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "pattern")),
                        "panic");
    assert_json(json_array_get(m, 2), "{\"pattern\":\"assertion\",\"node\":\"n1\","
                                      "\"file\":\"nodes/n1/big.log\",\"line\":3,"
                                      "\"text\":\"Assertion `x' failed\"}");
    assert_int_equal(integer(r, "bytes_scanned"), (json_int_t)n);
    json_decref(r);
    free(text);
}

static void user_patterns_add_and_replace(void **state) {
    (void)state;
    write_text("nodes/n1/daemon.log", "term 5 regressed to 4\npanic: boom\nPANIC now\n");
    /* Added to the defaults, and one replacing the default panic. */
    const char *specs[] = {"term_regress=term \\d+ regressed", "panic=PANIC"};
    fl_log_pattern_options o = {.patterns = specs, .pattern_count = 2};
    json_t *r = check(&o);
    assert_json(json_object_get(r, "patterns"), "[\"panic\",\"assertion\",\"asan\",\"ubsan\","
                                                "\"tsan\",\"segfault\",\"term_regress\"]");
    assert_json(json_object_get(r, "by_pattern"),
                "{\"panic\":1,\"assertion\":0,\"asan\":0,\"ubsan\":0,\"tsan\":0,"
                "\"segfault\":0,\"term_regress\":1}");
    assert_int_equal(integer(json_array_get(json_object_get(r, "matches"), 0), "line"), 1);
    assert_int_equal(integer(json_array_get(json_object_get(r, "matches"), 1), "line"), 3);
    json_decref(r);

    /* Only the user's. */
    o = (fl_log_pattern_options){
        .patterns = specs, .pattern_count = 1, .replace_defaults = true};
    r = check(&o);
    assert_json(json_object_get(r, "patterns"), "[\"term_regress\"]");
    assert_int_equal(integer(r, "match_count"), 1);
    json_decref(r);
}

static void assert_refused(const char *spec, bool replace, const char *needle) {
    const char *specs[] = {spec};
    fl_log_pattern_options o = {.patterns = specs, .pattern_count = spec ? 1 : 0,
                                .replace_defaults = replace};
    char err[512] = "";
    assert_null(fl_check_log_patterns(run_dir, &o, err, sizeof err));
    if (!strstr(err, needle)) fail_msg("error \"%s\" lacks \"%s\"", err, needle);
    err[0] = '\0';
    assert_int_equal(fl_log_patterns_validate(&o, err, sizeof err), -1);
    if (!strstr(err, needle)) fail_msg("validate: error \"%s\" lacks \"%s\"", err, needle);
}

static void bad_patterns_are_refused(void **state) {
    (void)state;
    write_text("nodes/n1/daemon.log", "panic\n");
    assert_refused("bad=(unclosed", false,
                   "pattern bad: bad regex /(unclosed/ at offset 9: "
                   "missing closing parenthesis");
    assert_refused("no equals sign", false, "want NAME=REGEX");
    assert_refused("=x", false, "want NAME=REGEX");
    assert_refused("sp ace=x", false, "want NAME=REGEX");
    assert_refused("empty=", false, "pattern empty: empty regex");
    assert_refused(NULL, true, "no log patterns");
    const char *twice[] = {"a=x", "a=y"};
    fl_log_pattern_options o = {.patterns = twice, .pattern_count = 2};
    char err[512];
    assert_null(fl_check_log_patterns(run_dir, &o, err, sizeof err));
    assert_string_equal(err, "pattern a given twice");
    const char *good[] = {"a=x", "panic=y"};
    o.patterns = good;
    assert_int_equal(fl_log_patterns_validate(&o, err, sizeof err), 0);
}

static void without_logs_is_unknown(void **state) {
    (void)state;
    json_t *r = check(NULL); /* an empty run directory */
    assert_int_equal(verdict_of(json_object_get(r, "valid")), -1);
    char want[256];
    snprintf(want, sizeof want, "no node logs: %s/nodes: No such file or directory", run_dir);
    assert_string_equal(json_string_value(json_object_get(r, "reason")), want);
    assert_int_equal(integer(r, "files_scanned"), 0);
    json_decref(r);

    char nodes[256];
    snprintf(nodes, sizeof nodes, "%s/nodes", run_dir);
    assert_int_equal(mkdir(nodes, 0755), 0);
    write_text("nodes/n1/sub/.keep", "");
    r = check(NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 1); /* an empty log is a log */
    json_decref(r);
    char keep[300];
    snprintf(keep, sizeof keep, "%s/nodes/n1/sub/.keep", run_dir);
    assert_int_equal(unlink(keep), 0);
    r = check(NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), -1);
    snprintf(want, sizeof want, "no log files under %s/nodes", run_dir);
    assert_string_equal(json_string_value(json_object_get(r, "reason")), want);
    json_decref(r);

    char err[512];
    assert_null(fl_check_log_patterns("/nonexistent/run", NULL, err, sizeof err));
    assert_string_equal(err, "run directory /nonexistent/run: No such file or directory");
}

static void large_files_are_cut_at_the_limit(void **state) {
    (void)state;
    /* 100 bytes, a panic at bytes 90..94: with a limit of 64 it is never seen. */
    char text[101];
    memset(text, '.', 100);
    text[100] = '\0';
    text[49] = '\n';
    memcpy(text + 90, "panic", 5);
    write_text("nodes/n1/daemon.log", text);
    fl_log_pattern_options o = {.max_file_bytes = 64};
    json_t *r = check(&o);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 1);
    assert_int_equal(integer(r, "bytes_scanned"), 64);
    assert_int_equal(integer(r, "max_file_bytes"), 64);
    assert_json(json_object_get(r, "truncated_files"),
                "[{\"file\":\"nodes/n1/daemon.log\",\"size_bytes\":100,\"scanned_bytes\":64}]");
    json_decref(r);
    o.max_file_bytes = 0;
    r = check(&o);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 0);
    assert_int_equal(integer(json_array_get(json_object_get(r, "matches"), 0), "line"), 2);
    json_decref(r);
}

static void unfinished_matches_are_unknown(void **state) {
    (void)state;
    /* Nested quantifiers on a line that almost matches: pcre2 gives up at its match
     * limit, and the line counts as unchecked. */
    write_text("nodes/n1/daemon.log", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n");
    const char *specs[] = {"slow=^(a|a?)+$"};
    fl_log_pattern_options o = {
        .patterns = specs, .pattern_count = 1, .replace_defaults = true};
    json_t *r = check(&o);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), -1);
    assert_int_equal(integer(r, "match_error_count"), 1);
    const json_t *e = json_object_get(r, "match_error");
    assert_string_equal(json_string_value(json_object_get(e, "pattern")), "slow");
    assert_int_equal(integer(e, "line"), 1);
    assert_non_null(strstr(json_string_value(json_object_get(r, "reason")),
                           "could not finish matching 1 line"));
    json_decref(r);
}

/* The check on a log nobody may read must be unknown, naming the file. */
static bool unreadable_is_unknown(void) {
    char err[512];
    json_t *r = fl_check_log_patterns(run_dir, NULL, err, sizeof err);
    json_t *want = json_loads("[{\"file\":\"nodes/n1/daemon.log\",\"error\":"
                              "\"Permission denied\"}]", 0, NULL);
    bool ok = r && json_is_string(json_object_get(r, "valid")) &&
              json_equal(json_object_get(r, "unreadable"), want) &&
              strstr(json_string_value(json_object_get(r, "reason")),
                     "1 log file or directory");
    if (!ok) {
        char *dump = r ? json_dumps(r, JSON_COMPACT) : NULL;
        print_error("got %s\n", dump ? dump : err);
        free(dump);
    }
    json_decref(want);
    json_decref(r);
    return ok;
}

static void unreadable_files_are_unknown(void **state) {
    (void)state;
    write_text("nodes/n1/daemon.log", "fine\n");
    char path[300];
    snprintf(path, sizeof path, "%s/nodes/n1/daemon.log", run_dir);
    assert_int_equal(chmod(path, 0), 0);
    if (geteuid() != 0) {
        assert_true(unreadable_is_unknown());
        return;
    }
    /* Root reads any file: check as nobody, in a child (cmocka's asserts stay here). */
    assert_int_equal(chmod(run_dir, 0755), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
        _exit(unreadable_is_unknown() ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

#define WITH_DIR(test) cmocka_unit_test_setup_teardown(test, make_run_dir, remove_run_dir)

int main(void) {
    const struct CMUnitTest tests[] = {
        WITH_DIR(default_patterns_find_exact_lines),
        WITH_DIR(clean_logs_are_valid),
        WITH_DIR(long_lines_are_cut_and_split),
        WITH_DIR(user_patterns_add_and_replace),
        WITH_DIR(bad_patterns_are_refused),
        WITH_DIR(without_logs_is_unknown),
        WITH_DIR(large_files_are_cut_at_the_limit),
        WITH_DIR(unfinished_matches_are_unknown),
        WITH_DIR(unreadable_files_are_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
