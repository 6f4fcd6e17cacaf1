/* client_process.c against clients that behave and clients that do not: every op ends
 * within its timeout with the right type, a broken client is never asked again, and
 * closing one ends its whole process group. The clients are small shell scripts. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client_process.h"

#define START_TIMEOUT_MS 1500

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One op against a client that runs script under sh; the reply in *out. */
static fl_client_process *start(const char *script) {
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    char err[256];
    fl_client_process *c = fl_client_process_open(argv, "n2", "10.0.0.2", 7001, "10.0.0.1,10.0.0.2",
                                                  NULL, START_TIMEOUT_MS, err, sizeof err);
    assert_non_null(c);
    return c;
}

static void invoke(fl_client_process *c, const char *f, int timeout_ms, fl_reply *out) {
    json_t *key = json_string("x"), *value = json_integer(3);
    fl_request req = {f, key, value};
    fl_client_process_invoke(c, &req, timeout_ms, out);
    json_decref(key);
    json_decref(value);
}

static void test_a_good_client(void **state) {
    (void)state;
    /* Echoes what it was told back as the value: the request's shape is checked too. */
    fl_client_process *c = start(
        "while read -r line; do "
        "case \"$line\" in *'\"f\":\"write\"'*'\"node\":\"n2\"'*) "
        "echo '{\"type\":\"ok\",\"value\":\"'\"$FL_NODE $FL_HOST $FL_PORT\"'\"}';; "
        "*) echo '{\"type\":\"fail\",\"error\":\"unexpected\"}';; esac; done");
    fl_reply r;
    for (int i = 0; i < 3; i++) {
        invoke(c, "write", 2000, &r);
        assert_int_equal(r.type, FL_REPLY_OK);
        assert_string_equal(json_string_value(r.value), "n2 10.0.0.2 7001");
        json_decref(r.value);
    }
    invoke(c, "read", 2000, &r);
    assert_int_equal(r.type, FL_REPLY_FAIL);
    assert_string_equal(r.error, "unexpected");
    fl_client_process_close(c);
}

static void test_garbage_is_info_and_breaks_it(void **state) {
    (void)state;
    fl_client_process *c = start("while read -r line; do echo 'hello, world'; done");
    fl_reply r;
    invoke(c, "write", 2000, &r);
    assert_int_equal(r.type, FL_REPLY_INFO);
    assert_non_null(strstr(r.error, "not {\"type\""));
    invoke(c, "write", 2000, &r); /* never asked again */
    assert_int_equal(r.type, FL_REPLY_INFO);
    assert_non_null(strstr(r.error, "unusable"));
    fl_client_process_close(c);
}

static void test_wrong_shapes_are_info(void **state) {
    (void)state;
    const char *replies[] = {"[1,2]", "{\"type\":\"maybe\"}", "{\"type\":\"ok\",\"error\":5}",
                             "{\"value\":1}", "", NULL};
    for (size_t i = 0; replies[i]; i++) {
        fl_reply r = {0};
        assert_int_equal(fl_client_process_parse_reply(replies[i], &r), -1);
        assert_int_equal(r.type, FL_REPLY_INFO);
    }
    fl_reply r = {0};
    assert_int_equal(fl_client_process_parse_reply("{\"type\":\"info\",\"error\":\"timeout\"}", &r), 0);
    assert_int_equal(r.type, FL_REPLY_INFO);
    assert_string_equal(r.error, "timeout");
}

static void test_a_client_that_exits(void **state) {
    (void)state;
    fl_client_process *c = start("read -r line; exit 3");
    fl_reply r;
    invoke(c, "write", 2000, &r);
    assert_int_equal(r.type, FL_REPLY_INFO);
    assert_non_null(strstr(r.error, "exited"));
    fl_client_process_close(c);
}

static void test_a_client_that_hangs(void **state) {
    (void)state;
    fl_client_process *c = start("read -r line; sleep 600");
    fl_reply r;
    double t0 = now_s();
    invoke(c, "write", 300, &r);
    double took = now_s() - t0;
    assert_int_equal(r.type, FL_REPLY_INFO);
    assert_non_null(strstr(r.error, "no reply within 300 ms"));
    assert_true(took >= 0.29 && took < 2.0);
    t0 = now_s();
    fl_client_process_close(c); /* its sleep is in its group: killed, not waited for */
    assert_true(now_s() - t0 < 2.0);
}

/* A client slow to start (an interpreter, a shim) is not an op that timed out: its first
 * op's timeout runs from when it has read the request. */
static void test_a_client_slow_to_start(void **state) {
    (void)state;
    fl_client_process *c = start("sleep 0.8; while read -r line; do sleep 0.2; "
                                 "echo '{\"type\":\"ok\"}'; done");
    fl_reply r;
    double t0 = now_s();
    invoke(c, "write", 400, &r);
    assert_int_equal(r.type, FL_REPLY_OK);
    assert_true(now_s() - t0 >= 0.8);
    /* after its start-up, the op timeout is the whole wait */
    invoke(c, "write", 400, &r);
    assert_int_equal(r.type, FL_REPLY_OK);
    fl_client_process_close(c);
}

/* One that never reads its stdin: info once the start timeout has passed, not before
 * and not much after, and never asked again. */
static void test_a_client_that_never_reads(void **state) {
    (void)state;
    fl_client_process *c = start("sleep 600");
    fl_reply r;
    double t0 = now_s();
    invoke(c, "write", 200, &r);
    double took = now_s() - t0;
    assert_int_equal(r.type, FL_REPLY_INFO);
    assert_non_null(strstr(r.error, "did not read its first request within 1500 ms"));
    assert_true(took >= 1.49 && took < 3.0);
    invoke(c, "write", 200, &r);
    assert_int_equal(r.type, FL_REPLY_INFO);
    assert_non_null(strstr(r.error, "unusable"));
    fl_client_process_close(c);
}

static void test_a_client_that_cannot_start(void **state) {
    (void)state;
    char *argv[] = {"/nonexistent/client", NULL};
    char err[256] = "";
    assert_null(fl_client_process_open(argv, "n1", "10.0.0.1", 1, NULL, NULL, START_TIMEOUT_MS, err,
                                       sizeof err));
    assert_non_null(strstr(err, "cannot start the client /nonexistent/client"));
}

int main(void) {
    signal(SIGPIPE, SIG_IGN); /* as the harness: a dead client is an error, not a signal */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_good_client),
        cmocka_unit_test(test_garbage_is_info_and_breaks_it),
        cmocka_unit_test(test_wrong_shapes_are_info),
        cmocka_unit_test(test_a_client_that_exits),
        cmocka_unit_test(test_a_client_that_hangs),
        cmocka_unit_test(test_a_client_slow_to_start),
        cmocka_unit_test(test_a_client_that_never_reads),
        cmocka_unit_test(test_a_client_that_cannot_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
