/* The store's side of `faultline serve` without a server: request paths to files
 * (store_paths.h) against a temporary store holding symlinks that stay inside (latest)
 * and that lead out, plain and percent-encoded traversal, hidden and special files;
 * and the store scan under store/index.html (store_index.h), the content types and the
 * --bind parsing and loopback test (serve.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "serve.h"
#include "store_index.h"
#include "store_paths.h"

#define RUN "20240102T030405"

static char tmp_dir[] = "/tmp/test_store_paths.XXXXXX";
static char root[4096]; /* tmp/store, resolved */

static void write_file(const char *rel, const char *text) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void make_dir(const char *rel) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void make_link(const char *target, const char *rel) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", tmp_dir, rel);
    assert_int_equal(symlink(target, path), 0);
}

/*  tmp/outside/secret.txt                     what must never be served
 *  tmp/store/t1/RUN/{results,test}.json, history.jsonl, nodes/n1/raftkv.log
 *  tmp/store/t1/20240101T000000/              no results: crashed or running
 *  tmp/store/t1/latest -> RUN                 inside: followed
 *  tmp/store/t1/escape -> ../../outside       relative link out
 *  tmp/store/abs -> tmp/outside/secret.txt    absolute link out
 *  tmp/store/t 2/20240101T000000-2/results.json  anomaly, a name that needs encoding
 *  tmp/store/.hidden, tmp/store/fifo, tmp/store/t1/notarun/ */
static int make_store(void **state) {
    (void)state;
    if (!mkdtemp(tmp_dir)) return -1;
    make_dir("outside");
    write_file("outside/secret.txt", "SECRET\n");
    make_dir("store");
    make_dir("store/t1");
    make_dir("store/t1/" RUN);
    write_file("store/t1/" RUN "/results.json",
               "{\"valid\":true,\"checkers\":{\"linearizable\":{\"valid\":true},\"stats\":{\"valid\":true}}}");
    write_file("store/t1/" RUN "/test.json",
               "{\"config\":{\"target\":\"raftkv\",\"workload\":\"register\",\"seed\":\"42\","
               "\"time-limit\":30,\"nemesis\":\"partition\"},\"nodes\":[]}");
    write_file("store/t1/" RUN "/history.jsonl", "{}\n");
    make_dir("store/t1/" RUN "/nodes");
    make_dir("store/t1/" RUN "/nodes/n1");
    write_file("store/t1/" RUN "/nodes/n1/raftkv.log", "log\n");
    make_dir("store/t1/20240101T000000");
    make_dir("store/t1/notarun");
    make_link(RUN, "store/t1/latest");
    make_link("../../outside", "store/t1/escape");
    char abs_target[8192];
    snprintf(abs_target, sizeof abs_target, "%s/outside/secret.txt", tmp_dir);
    make_link(abs_target, "store/abs");
    make_dir("store/t 2");
    make_dir("store/t 2/20240101T000000-2");
    write_file("store/t 2/20240101T000000-2/results.json",
               "{\"valid\":false,\"checkers\":{\"set\":{\"valid\":false,\"lost_count\":1}}}");
    write_file("store/.hidden", "hidden\n");
    char path[8192];
    snprintf(path, sizeof path, "%s/store/fifo", tmp_dir);
    if (mkfifo(path, 0644) != 0) return -1;
    snprintf(path, sizeof path, "%s/store", tmp_dir);
    return realpath(path, root) ? 0 : -1;
}

static int remove_store(void **state) {
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static fl_path_kind resolve(const char *request, char *real) {
    char why[256];
    fl_path_kind k = fl_store_path_resolve(root, request, real, 4096, why, sizeof why);
    if (k != FL_PATH_FILE && k != FL_PATH_DIR) assert_true(why[0] != '\0'); /* always says why */
    return k;
}

static void assert_resolves(const char *request, fl_path_kind want, const char *want_rel) {
    char real[4096] = "", expected[8192];
    fl_path_kind got = resolve(request, real);
    if (got != want) fail_msg("%s: kind %d, expected %d", request, (int)got, (int)want);
    if (!want_rel) return;
    snprintf(expected, sizeof expected, "%s%s", root, want_rel);
    assert_string_equal(real, expected);
}

static void files_inside_are_served(void **state) {
    (void)state;
    assert_resolves("/t1/" RUN "/results.json", FL_PATH_FILE, "/t1/" RUN "/results.json");
    assert_resolves("/t1/" RUN "/nodes/n1/raftkv.log", FL_PATH_FILE, "/t1/" RUN "/nodes/n1/raftkv.log");
    assert_resolves("/t1/" RUN "/nodes/", FL_PATH_DIR, "/t1/" RUN "/nodes");
    assert_resolves("/", FL_PATH_DIR, "");
    /* latest stays inside the store: followed, to the run it names */
    assert_resolves("/t1/latest/results.json", FL_PATH_FILE, "/t1/" RUN "/results.json");
    assert_resolves("/t1/latest", FL_PATH_DIR, "/t1/" RUN);
    /* escapes of ordinary characters decode once */
    assert_resolves("/%74%31/" RUN "/results%2Ejson", FL_PATH_FILE, "/t1/" RUN "/results.json");
    assert_resolves("/t%202/20240101T000000-2/results.json", FL_PATH_FILE,
                    "/t 2/20240101T000000-2/results.json");
}

static void traversal_is_refused(void **state) {
    (void)state;
    static const char *const refused[] = {
        "/../outside/secret.txt", "/t1/../../outside/secret.txt", "/t1/" RUN "/..",
        "/%2e%2e/outside/secret.txt", "/%2E%2E/outside/secret.txt", "/.%2e/outside/secret.txt",
        "/%2e%2e%2foutside%2fsecret.txt", "/t1/..%2f..%2foutside/secret.txt",
        "//etc/passwd", "/%2fetc/passwd", "/t1//" RUN, "/./t1", "/t1/./" RUN,
        "/.hidden", "/t1/.latest.123",
        "/t1/escape/secret.txt", "/t1/escape", "/t1/escape/", "/abs", /* symlinks out */
        "/fifo", /* not a file to serve */
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char real[4096] = "";
        fl_path_kind k = resolve(refused[i], real);
        if (k != FL_PATH_FORBIDDEN) fail_msg("%s: kind %d, expected forbidden", refused[i], (int)k);
        assert_string_equal(real, ""); /* nothing handed out */
    }
}

static void malformed_and_missing(void **state) {
    (void)state;
    static const char *const bad[] = {"etc/passwd", "", "/%", "/%2", "/%zz", "/a%00b", "/%00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char real[4096] = "";
        if (resolve(bad[i], real) != FL_PATH_BAD) fail_msg("%s: expected bad request", bad[i]);
    }
    assert_resolves("/missing", FL_PATH_NOT_FOUND, NULL);
    assert_resolves("/t1/" RUN "/results.json/", FL_PATH_NOT_FOUND, NULL);
    assert_resolves("/t1/" RUN "/results.json/x", FL_PATH_NOT_FOUND, NULL);
    char long_path[8192];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    char real[4096];
    assert_int_equal(resolve(long_path, real), FL_PATH_BAD);
}

static void percent_decoding(void **state) {
    (void)state;
    char out[16];
    assert_int_equal(fl_percent_decode("a%41%6a", 7, out, sizeof out), 3);
    assert_string_equal(out, "aAj");
    assert_int_equal(fl_percent_decode("%00x", 4, out, sizeof out), 2); /* NUL kept, counted */
    assert_int_equal(out[0], 0);
    assert_int_equal(fl_percent_decode("%4", 2, out, sizeof out), -1);
    assert_int_equal(fl_percent_decode("%g1", 3, out, sizeof out), -1);
    assert_int_equal(fl_percent_decode("abcd", 4, out, 4), -1); /* no room for the NUL */
}

static const json_t *run_named(const json_t *runs, const char *test, const char *run) {
    for (size_t i = 0; i < json_array_size(runs); i++) {
        const json_t *r = json_array_get(runs, i);
        if (!strcmp(json_string_value(json_object_get(r, "test")), test) &&
            !strcmp(json_string_value(json_object_get(r, "run")), run))
            return r;
    }
    return NULL;
}

static void scan_lists_runs_not_links(void **state) {
    (void)state;
    size_t not_listed = 99;
    char err[512];
    json_t *runs = fl_store_scan(root, &not_listed, err, sizeof err);
    assert_non_null(runs);
    assert_int_equal(not_listed, 0);
    assert_int_equal(json_array_size(runs), 3); /* not latest, escape, notarun, hidden */
    /* newest first */
    assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 0), "run")), RUN);
    const json_t *valid = run_named(runs, "t1", RUN);
    assert_string_equal(json_string_value(json_object_get(valid, "verdict")), "valid");
    assert_string_equal(json_string_value(json_object_get(valid, "started")), "2024-01-02 03:04:05");
    assert_string_equal(json_string_value(json_object_get(valid, "target")), "raftkv");
    assert_string_equal(json_string_value(json_object_get(valid, "seed")), "42");
    assert_true(json_number_value(json_object_get(valid, "time_limit_s")) == 30);
    const json_t *links = json_object_get(valid, "links");
    assert_string_equal(json_string_value(json_object_get(links, "results")), "t1/" RUN "/results.json");
    assert_string_equal(json_string_value(json_object_get(links, "nodes")), "t1/" RUN "/nodes/");
    assert_null(json_object_get(links, "report")); /* only files that exist */
    const json_t *anomaly = run_named(runs, "t 2", "20240101T000000-2");
    assert_string_equal(json_string_value(json_object_get(anomaly, "verdict")), "anomaly");
    assert_string_equal(json_string_value(json_object_get(json_object_get(anomaly, "checkers"), "set")), "anomaly");
    assert_string_equal(json_string_value(json_object_get(json_object_get(anomaly, "links"), "results")),
                        "t%202/20240101T000000-2/results.json");
    const json_t *none = run_named(runs, "t1", "20240101T000000");
    assert_string_equal(json_string_value(json_object_get(none, "verdict")), "none");
    assert_true(json_is_null(json_object_get(none, "target")));
    json_decref(runs);
    assert_null(fl_store_scan("/nonexistent-store", &not_listed, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent-store"));
}

static void index_page_is_written_atomically(void **state) {
    (void)state;
    char err[512], path[8192];
    assert_int_equal(fl_store_index_write(root, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/index.html", root);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char page[65536];
    size_t n = fread(page, 1, sizeof page - 1, f);
    page[n] = '\0';
    fclose(f);
    assert_non_null(strstr(page, "<script type=\"application/json\" id=\"runs-data\">"));
    assert_null(strstr(page, "innerHTML"));
    assert_non_null(strstr(page, "\"verdict\":\"anomaly\""));
    /* the data has exactly one "</script>" after it: its own end */
    const char *data = strstr(page, "runs-data");
    assert_non_null(strstr(data, "</script>"));
    assert_null(strstr(data, "\"run\":\"latest\""));
}

static void content_types(void **state) {
    (void)state;
    assert_string_equal(fl_serve_content_type("/a/report.html"), "text/html; charset=utf-8");
    assert_string_equal(fl_serve_content_type("/a/results.json"), "application/json");
    assert_string_equal(fl_serve_content_type("/a/history.jsonl"), "text/plain; charset=utf-8");
    assert_string_equal(fl_serve_content_type("/a/junit.xml"), "application/xml");
    assert_string_equal(fl_serve_content_type("/a/faultline.LOG"), "text/plain; charset=utf-8");
    assert_string_equal(fl_serve_content_type("/a/plot.png"), "image/png");
    assert_string_equal(fl_serve_content_type("/a.d/raftkv.pid"), "application/octet-stream");
    assert_string_equal(fl_serve_content_type("/a.json/noext"), "application/octet-stream");
}

static bool loopback(const char *bind) {
    struct sockaddr_storage a;
    socklen_t len;
    char err[256];
    if (fl_serve_parse_bind(bind, &a, &len, err, sizeof err) != 0) fail_msg("%s: %s", bind, err);
    return fl_serve_is_loopback((const struct sockaddr *)&a);
}

static void bind_addresses(void **state) {
    (void)state;
    assert_true(loopback("127.0.0.1:8080"));
    assert_true(loopback("127.3.2.1:0"));
    assert_true(loopback("8080")); /* a port alone: 127.0.0.1 */
    assert_true(loopback("[::1]:8080"));
    assert_true(loopback("[::ffff:127.0.0.1]:80"));
    assert_false(loopback("0.0.0.0:8080"));
    assert_false(loopback("10.1.2.3:8080"));
    assert_false(loopback("[::]:8080"));
    static const char *const bad[] = {"127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:x", ":8080",
                                      "::1:8080", "[::1:8080", "[::1]8080"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sockaddr_storage a;
        socklen_t len;
        char err[256] = "";
        if (fl_serve_parse_bind(bad[i], &a, &len, err, sizeof err) != -1) fail_msg("%s parsed", bad[i]);
        assert_non_null(strstr(err, "--bind"));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(files_inside_are_served),
        cmocka_unit_test(traversal_is_refused),
        cmocka_unit_test(malformed_and_missing),
        cmocka_unit_test(percent_decoding),
        cmocka_unit_test(scan_lists_runs_not_links),
        cmocka_unit_test(index_page_is_written_atomically),
        cmocka_unit_test(content_types),
        cmocka_unit_test(bind_addresses),
    };
    return cmocka_run_group_tests(tests, make_store, remove_store);
}
