/* fl_first_anomaly_s: the time of the earliest op an anomaly names — a linearizable
 * key's failing op (its completion), a session violation's last op — read back from a
 * run directory's results.json and history.jsonl; -1 when nothing is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "first_anomaly.h"

static char dir[] = "/tmp/test_first_anomaly.XXXXXX";

static void write_file(const char *name, const char *text) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    if (!mkdtemp(dir)) return -1;
    /* index i happens at (i + 1) seconds */
    char history[4096] = "";
    for (int i = 0; i < 12; i++) {
        char line[160];
        snprintf(line, sizeof line, "{\"index\":%d,\"time\":%d000000000,\"process\":0,\"type\":\"%s\","
                 "\"f\":\"read\",\"key\":\"x\"}\n", i, i + 1, i % 2 ? "ok" : "invoke");
        snprintf(history + strlen(history), sizeof history - strlen(history), "%s", line);
    }
    write_file("history.jsonl", history);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void linearizable_failing_ops(void **state) {
    (void)state;
    write_file("results.json", "{\"valid\":false,\"checkers\":{\"linearizable\":{\"valid\":false,\"keys\":{"
               "\"a\":{\"valid\":false,\"failing_op\":{\"index\":8,\"complete_index\":9}},"
               "\"b\":{\"valid\":true},"
               "\"c\":{\"valid\":false,\"failing_op\":{\"index\":4,\"complete_index\":7}}}}}}");
    assert_true(fl_first_anomaly_s(dir) == 8.0); /* op 7's completion, at 8 s */
}

static void session_violations(void **state) {
    (void)state;
    write_file("results.json", "{\"valid\":false,\"checkers\":{\"session\":{\"valid\":false,\"guarantees\":{"
               "\"mr\":{\"valid\":false,\"violations\":[{\"ops\":[{\"index\":0,\"complete_index\":1},"
               "{\"index\":10,\"complete_index\":11}]}]},"
               "\"ryw\":{\"valid\":false,\"violations\":[{\"ops\":[{\"index\":2,\"complete_index\":3},"
               "{\"index\":4,\"complete_index\":5}]}]}}}}}");
    assert_true(fl_first_anomaly_s(dir) == 6.0); /* ryw's read, completed at index 5 */
}

static void nothing_named(void **state) {
    (void)state;
    write_file("results.json", "{\"valid\":false,\"checkers\":{\"set\":{\"valid\":false,\"lost\":[1]}}}");
    assert_true(fl_first_anomaly_s(dir) < 0);
    assert_true(fl_first_anomaly_s("/nonexistent-run") < 0);
    assert_true(fl_first_anomaly_s("") < 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linearizable_failing_ops),
        cmocka_unit_test(session_violations),
        cmocka_unit_test(nothing_named),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
