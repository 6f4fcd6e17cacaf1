/* The run's history writer: many threads recording at once give a file that parses,
 * whose indices run 0, 1, 2 … in file order, with every completion after its invoke
 * and nothing lost; odd strings are escaped; a nemesis event is written at once. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "history.h"
#include "history_writer.h"

#define THREADS 8
#define OPS 2000

static fl_hwriter w;

static void *recorder(void *arg) {
    int64_t process = (int64_t)(intptr_t)arg;
    for (int i = 0; i < OPS; i++) {
        json_t *key = json_integer(i % 7), *value = json_integer(process * OPS + i);
        fl_hwriter_invoke(&w, process, "write", key, value);
        fl_hwriter_complete(&w, process, i % 3 ? "ok" : "info", "write", key, value, "n1",
                            i % 3 ? NULL : "timeout");
        json_decref(key);
        json_decref(value);
    }
    return NULL;
}

static void concurrent_threads_give_a_well_formed_history(void **state) {
    (void)state;
    char path[] = "/tmp/fl-hwriter-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char err[256];
    assert_int_equal(fl_hwriter_open(&w, path, &start, err, sizeof err), 0);
    pthread_t t[THREADS];
    for (intptr_t i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, recorder, (void *)i);
    json_t *v = json_pack("{s:s}", "kind", "partition");
    fl_hwriter_nemesis(&w, "partition-start", v);
    json_decref(v);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    assert_int_equal(fl_hwriter_close(&w, err, sizeof err), 0);

    fl_history *h = NULL;
    fl_error e;
    fl_read_options ro = {0};
    assert_int_equal(fl_history_read_file(path, &ro, &h, &e), FL_READ_OK);
    assert_int_equal(h->count, THREADS * OPS * 2 + 1);
    for (size_t i = 0; i < h->count; i++) {
        assert_int_equal(h->ops[i].index, (int64_t)i);
        if (i) assert_true(h->ops[i].time_ns >= 0);
    }
    assert_int_equal(fl_history_pair(h, &e), 0);
    size_t nemesis = 0;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS) {
            nemesis++;
            continue;
        }
        assert_true(op->pair != FL_NO_PAIR);
        if (op->type == FL_INVOKE) assert_true(op->pair > (int64_t)i);
        else assert_true(op->pair < (int64_t)i);
    }
    assert_int_equal(nemesis, 1);
    fl_history_free(h);
    unlink(path);
}

static void strings_are_escaped(void **state) {
    (void)state;
    char path[] = "/tmp/fl-hwriter-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char err[256];
    assert_int_equal(fl_hwriter_open(&w, path, &start, err, sizeof err), 0);
    json_t *key = json_string("k\"ey\\\n"), *value = json_pack("[i,s]", 1, "\xc3\xa9");
    fl_hwriter_invoke(&w, 0, "cas", key, value);
    fl_hwriter_complete(&w, 0, "fail", "cas", key, value, "n\"1", "refused: \"x\"\t");
    json_decref(key);
    json_decref(value);
    assert_int_equal(fl_hwriter_close(&w, err, sizeof err), 0);
    FILE *f = fopen(path, "r");
    char line[512];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "key")), "k\"ey\\\n");
        if (lines == 1) assert_string_equal(json_string_value(json_object_get(j, "error")), "refused: \"x\"\t");
        json_decref(j);
        lines++;
    }
    fclose(f);
    assert_int_equal(lines, 2);
    unlink(path);
}

static void an_existing_file_is_refused(void **state) {
    (void)state;
    char path[] = "/tmp/fl-hwriter-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    struct timespec start = {0, 0};
    char err[256] = "";
    assert_int_equal(fl_hwriter_open(&w, path, &start, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_threads_give_a_well_formed_history),
        cmocka_unit_test(strings_are_escaped),
        cmocka_unit_test(an_existing_file_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
