/* Primaries events (checkers/history/primaries.h) in a history: the timeline they make,
 * and that no checker takes them for ops or anomalies — every checker gives the same
 * result with and without them, over the reference corpora (porcupine's etcd and kv,
 * Elle's transactions), generated histories of every model and a set history with a
 * lost element. The events go in as a run's watcher writes them: between the client
 * ops, indices renumbered over the whole file as the history writer numbers them, so
 * the history without them is the same file with those lines taken out. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <cmocka.h>

#include "checkers.h"
#include "gen_history.h"
#include "history_testing.h"
#include "primaries.h"

/* ---- the timeline ---- */

static json_t *timeline_of(const char *events_json, int64_t end_ns) {
    json_error_t je;
    json_t *list = json_loads(events_json, 0, &je);
    assert_non_null(list);
    fl_primaries_event ev[16];
    size_t n = json_array_size(list);
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(list, i);
        ev[i] = (fl_primaries_event){json_integer_value(json_array_get(e, 0)), json_array_get(e, 1)};
    }
    json_t *t = fl_primaries_timeline(ev, n, end_ns);
    json_decref(list);
    return t;
}

static void timeline_segments(void **state) {
    (void)state;
    json_t *t = timeline_of("[[1000000000, {\"nodes\": [\"n1\"]}],"
                            " [2000000000, {\"nodes\": [\"n1\"]}],"
                            " [2500000000, {\"nodes\": []}],"
                            " [3000000000, {\"nodes\": null, \"error\": \"n3: timeout\"}],"
                            " [3500000000, {\"nodes\": null, \"error\": \"other\"}],"
                            " [4000000000, {\"nodes\": [\"n2\", \"n3\"]}],"
                            " [5000000000, {\"nodes\": null, \"end\": true}]]", 9000000000);
    assert_json(t, "{\"changes\": 3, \"split_brains\": 1, \"timeline\": ["
                   "{\"from_s\": 1.0, \"to_s\": 2.5, \"nodes\": [\"n1\"]},"
                   "{\"from_s\": 2.5, \"to_s\": 3.0, \"nodes\": []},"
                   "{\"from_s\": 3.0, \"to_s\": 4.0, \"nodes\": null, \"error\": \"n3: timeout\"},"
                   "{\"from_s\": 4.0, \"to_s\": 5.0, \"nodes\": [\"n2\", \"n3\"]}]}");
    json_decref(t);
    /* Without an end event the last segment runs to the end of the history. */
    t = timeline_of("[[1000000000, {\"nodes\": [\"n1\"]}]]", 7000000000);
    assert_json(t, "{\"changes\": 0, \"split_brains\": 0, \"timeline\": ["
                   "{\"from_s\": 1.0, \"to_s\": 7.0, \"nodes\": [\"n1\"]}]}");
    json_decref(t);
    /* Times that go back (a history from elsewhere) never make a segment end before it
     * begins. */
    t = timeline_of("[[3000000000, {\"nodes\": [\"n1\"]}], [1000000000, {\"nodes\": [\"n2\"]}]]", 2000000000);
    assert_json(t, "{\"changes\": 1, \"split_brains\": 0, \"timeline\": ["
                   "{\"from_s\": 3.0, \"to_s\": 3.0, \"nodes\": [\"n1\"]},"
                   "{\"from_s\": 3.0, \"to_s\": 3.0, \"nodes\": [\"n2\"]}]}");
    json_decref(t);
    assert_null(timeline_of("[]", 1));
    assert_null(timeline_of("[[1, {\"nodes\": null, \"end\": true}]]", 1));
}

static void timeline_from_a_history(void **state) {
    (void)state;
    const char *text =
        "{\"index\":0,\"time\":100,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"primaries\",\"value\":{\"nodes\":[\"n1\"],\"asked_ns\":50}}\n"
        "{\"index\":1,\"time\":200,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"x\",\"value\":1}\n"
        "{\"index\":2,\"time\":300,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"kill-start\",\"value\":{\"kind\":\"kill\",\"nodes\":[\"n1\"]}}\n"
        "{\"index\":3,\"time\":400,\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"x\",\"value\":1,\"node\":\"n1\"}\n"
        "{\"index\":4,\"time\":500,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"primaries\",\"value\":{\"nodes\":[\"n2\"],\"asked_ns\":450}}\n"
        "{\"index\":5,\"time\":900,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"heal\",\"value\":{}}\n";
    fl_history *h = history_paired(text, strlen(text));
    json_t *t = fl_history_primaries(h);
    assert_json(t, "{\"changes\": 1, \"split_brains\": 0, \"timeline\": ["
                   "{\"from_s\": 1e-7, \"to_s\": 5e-7, \"nodes\": [\"n1\"]},"
                   "{\"from_s\": 5e-7, \"to_s\": 9e-7, \"nodes\": [\"n2\"]}]}");
    json_decref(t);
    fl_history_free(h);
}

/* ---- the checkers ignore them ---- */

#define MAX_FILE_BYTES (256 * 1024)

static const char *const CHECKERS[] = {"linearizable", "session", "set", "set-full", "counter",
                                       "txn", "perf", "fencing", "ledger", NULL};

/* The answers the inserted events give, in turn: a leader, none, a failure to say, a
 * split brain, another leader. */
static const char *const ANSWERS[] = {
    "{\"nodes\":[\"n1\"],\"asked_ns\":0}", "{\"nodes\":[],\"asked_ns\":0}",
    "{\"nodes\":null,\"error\":\"n2: status: timed out\",\"asked_ns\":0}",
    "{\"nodes\":[\"n1\",\"n2\"],\"asked_ns\":0}", "{\"nodes\":[\"n3\"],\"asked_ns\":0}"};

static void put_line(text_buf *t, json_t *op) {
    char *s = json_dumps(op, JSON_COMPACT);
    text_put(t, "%s\n", s);
    free(s);
}

static void put_event(text_buf *with, int64_t index, const json_t *time, const char *value) {
    json_t *e = json_pack("{s:I,s:s,s:s,s:s}", "index", (json_int_t)index, "process", "nemesis",
                          "type", "info", "f", "primaries");
    if (time) json_object_set(e, "time", (json_t *)time);
    json_object_set_new(e, "value", json_loads(value, 0, NULL));
    put_line(with, e);
    json_decref(e);
}

/* The history as JSON Lines twice: with primaries events between its ops (one every
 * `every`, the first before everything, the end event after) and without them. */
static void with_and_without(const fl_history *h, size_t every, text_buf *with, text_buf *without) {
    char *text = write_history(h, FL_FORMAT_JSONL);
    int64_t index = 0;
    size_t answer = 0;
    json_t *last_time = NULL;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        json_t *op = json_loads(line, 0, NULL);
        assert_non_null(op);
        json_t *time = json_object_get(op, "time");
        if ((index % (int64_t)every) == 0)
            put_event(with, index++, time, ANSWERS[answer++ % (sizeof ANSWERS / sizeof *ANSWERS)]);
        json_object_set_new(op, "index", json_integer(index++));
        put_line(with, op);
        put_line(without, op);
        json_decref(last_time);
        last_time = json_incref(time);
        json_decref(op);
    }
    put_event(with, index, last_time, "{\"nodes\":null,\"end\":true}");
    json_decref(last_time);
    free(text);
}

/* What may differ: where an op sits in the file (its line), and how long a check took. */
static void strip_positions(json_t *v) {
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) strip_positions(x);
        return;
    }
    if (!json_is_object(v)) return;
    static const char *const drop[] = {"line", "complete_line", "seconds", "elapsed_s",
                                       "check_seconds", NULL};
    for (size_t i = 0; drop[i]; i++) json_object_del(v, drop[i]);
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) strip_positions(x);
}

/* Each checker's result on text, or its refusal as {"refused": message}. */
static json_t *check_all(const char *text, size_t len) {
    fl_history *h = history_paired(text, len);
    json_t *out = json_object();
    for (size_t i = 0; CHECKERS[i]; i++) {
        fl_checker_options o = {0};
        o.lin.threads = 1;
        fl_error err;
        json_t *r = fl_checker_find(CHECKERS[i])->run(h, &o, &err);
        if (!r) r = json_pack("{s:s}", "refused", err.message);
        strip_positions(r);
        json_object_set_new(out, CHECKERS[i], r);
    }
    json_t *timeline = fl_history_primaries(h);
    json_object_set_new(out, "primaries", timeline ? timeline : json_null());
    fl_history_free(h);
    return out;
}

static size_t histories_compared;

static void assert_same_verdicts(const fl_history *h, const char *what) {
    text_buf with = {0}, without = {0};
    with_and_without(h, 5, &with, &without);
    json_t *a = check_all(with.s, with.len), *b = check_all(without.s, without.len);
    json_t *timeline = json_incref(json_object_get(a, "primaries"));
    json_object_del(a, "primaries");
    json_object_del(b, "primaries");
    if (!json_equal(a, b)) {
        for (size_t i = 0; CHECKERS[i]; i++) {
            json_t *x = json_object_get(a, CHECKERS[i]), *y = json_object_get(b, CHECKERS[i]);
            if (json_equal(x, y)) continue;
            char *sx = json_dumps(x, JSON_COMPACT), *sy = json_dumps(y, JSON_COMPACT);
            print_error("%s: %s differs\n  with the events:    %.600s\n  without the events: %.600s\n",
                        what, CHECKERS[i], sx, sy);
            free(sx);
            free(sy);
        }
        fail();
    }
    /* The events were there to be ignored: they make a timeline of every answer. */
    assert_true(json_is_object(timeline));
    assert_true(json_array_size(json_object_get(timeline, "timeline")) >= 1);
    json_decref(timeline);
    json_decref(a);
    json_decref(b);
    free(with.s);
    free(without.s);
    histories_compared++;
}

static void corpus_dir(const char *dir, size_t limit) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    size_t n = 0;
    while ((e = readdir(d)) && n < limit) {
        size_t len = strlen(e->d_name);
        bool edn = len > 4 && !strcmp(e->d_name + len - 4, ".edn");
        if (!edn && !(len > 6 && !strcmp(e->d_name + len - 6, ".jsonl"))) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || st.st_size > MAX_FILE_BYTES) continue; /* the suite's time */
        fl_history *h = NULL;
        fl_error err;
        if (fl_history_read_file(path, NULL, &h, &err) != FL_READ_OK) continue; /* not ours to judge */
        assert_same_verdicts(h, path);
        fl_history_free(h);
        n++;
    }
    closedir(d);
    assert_true(n > 0);
}

static void corpora_give_the_same_verdicts(void **state) {
    (void)state;
    corpus_dir(FL_CORPUS_DIR "/etcd", 25);
    corpus_dir(FL_CORPUS_DIR "/kv", 10);
    corpus_dir(FL_ELLE_CORPUS_DIR, 100);
}

static void generated_histories_give_the_same_verdicts(void **state) {
    (void)state;
    static const char *const models[] = {"register", "cas-register", "kv", "list-append", "set",
                                         "counter"};
    for (size_t m = 0; m < sizeof models / sizeof *models; m++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            fl_gen_options o = {.seed = seed, .ops = 300, .keys = 3, .concurrency = 4,
                                .info_rate = 0.1, .fail_rate = 0.1, .value_range = 5,
                                .model = models[m]};
            fl_history *h = fl_gen_history(&o);
            assert_non_null(h);
            char what[64];
            snprintf(what, sizeof what, "generated %s seed %llu", models[m], (unsigned long long)seed);
            assert_same_verdicts(h, what);
            fl_history_free(h);
        }
}

/* A set whose acknowledged add of 3 is missing from the final read, with a failover
 * between the add and the read: still exactly one lost element. */
static void a_lost_element_stays_lost(void **state) {
    (void)state;
    text_buf t = {0};
    int64_t time = 0;
    for (int e = 1; e <= 5; e++) {
        text_put(&t, "{\"time\":%lld,\"process\":%d,\"type\":\"invoke\",\"f\":\"add\",\"value\":%d}\n",
                 (long long)(time += 1000), e % 2, e);
        text_put(&t, "{\"time\":%lld,\"process\":%d,\"type\":\"ok\",\"f\":\"add\",\"value\":%d,\"node\":\"n1\"}\n",
                 (long long)(time += 1000), e % 2, e);
    }
    text_put(&t, "{\"time\":%lld,\"process\":2,\"type\":\"invoke\",\"f\":\"read\"}\n", (long long)(time += 1000));
    text_put(&t, "{\"time\":%lld,\"process\":2,\"type\":\"ok\",\"f\":\"read\",\"value\":[1,2,4,5],\"node\":\"n2\"}\n",
             (long long)(time += 1000));
    fl_history *h = history_paired(t.s, t.len);
    assert_same_verdicts(h, "lost element");
    text_buf with = {0}, without = {0};
    with_and_without(h, 3, &with, &without);
    fl_history_free(h);
    free(t.s);
    json_t *r = check_all(with.s, with.len);
    json_t *set = json_object_get(r, "set");
    assert_true(json_is_false(json_object_get(set, "valid")));
    assert_int_equal(json_integer_value(json_object_get(set, "lost_count")), 1);
    assert_int_equal(json_integer_value(json_object_get(set, "add_count")), 5);
    json_decref(r);
    free(with.s);
    free(without.s);
}

static void report_count(void **state) {
    (void)state;
    print_message("compared %zu histories with and without primaries events\n", histories_compared);
    assert_true(histories_compared > 80);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timeline_segments),
        cmocka_unit_test(timeline_from_a_history),
        cmocka_unit_test(corpora_give_the_same_verdicts),
        cmocka_unit_test(generated_histories_give_the_same_verdicts),
        cmocka_unit_test(a_lost_element_stays_lost),
        cmocka_unit_test(report_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
