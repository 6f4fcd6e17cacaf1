/* The stats / perf checker (checkers/perf/perf.h) and its fault windows (windows.h) on
 * hand-written histories: exact counts, throughput, nearest-rank quantiles, latency
 * series, windows and availability inside and outside them, per-node shares, bucket
 * widening, "unknown" when an f never succeeded, malformed histories refused with
 * their line, and a large history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "history_testing.h"
#include "perf.h"
#include "samples.h"
#include "windows.h"

/* A history built line by line; times are given in ms and written in ns. */
#define MS 1000000LL

/* extra is more fields, each with a leading comma, or "". */
static void inv(text_buf *t, int p, const char *f, long long ms, const char *extra) {
    text_put(t, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"%s\",\"time\":%lld%s}\n", p, f,
             ms * MS, extra);
}

static void done(text_buf *t, int p, const char *type, const char *f, long long ms,
                 const char *extra) {
    text_put(t, "{\"process\":%d,\"type\":\"%s\",\"f\":\"%s\",\"time\":%lld%s}\n", p, type,
             f, ms * MS, extra);
}

static void nemesis(text_buf *t, const char *f, long long ms, const char *value) {
    text_put(t,
             "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"%s\",\"time\":%lld%s%s}\n",
             f, ms * MS, value ? ",\"value\":" : "", value ? value : "");
}

/* The checker's result on t (which it frees), which must not be refused. */
static json_t *check(text_buf *t, const fl_perf_options *o) {
    fl_history *h = history_paired(t->s, t->len);
    free(t->s);
    fl_error err;
    memset(&err, 0, sizeof err);
    json_t *r = fl_check_perf(h, o, &err);
    if (!r) {
        char msg[1024];
        fl_error_format(&err, msg, sizeof msg);
        fail_msg("the checker refused the history: %s", msg);
    }
    fl_history_free(h);
    return r;
}

/* The error for t (which it frees), which must be refused. */
static fl_error refused(text_buf *t, const fl_perf_options *o) {
    fl_history *h = history_paired(t->s, t->len);
    free(t->s);
    fl_error err;
    memset(&err, 0, sizeof err);
    json_t *r = fl_check_perf(h, o, &err);
    if (r) {
        char *dump = json_dumps(r, JSON_COMPACT);
        fail_msg("the checker accepted the history: %s", dump);
    }
    fl_history_free(h);
    return err;
}

static const json_t *at(const json_t *o, const char *path) {
    /* "a.b.c": nested object members. */
    char name[128];
    const json_t *v = o;
    for (const char *p = path; v;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        assert_true(len < sizeof name);
        memcpy(name, p, len);
        name[len] = '\0';
        v = json_object_get(v, name);
        if (!dot) break;
        p = dot + 1;
    }
    if (!v) fail_msg("no %s in the result", path);
    return v;
}

static void assert_at(const json_t *o, const char *path, const char *want) {
    assert_json(at(o, path), want);
}

/* The run every exact test below checks (times in ms; positions on the left):
 *   0 p0 invoke read 0        1 p0 ok read 10 n1             latency 10, outside
 *   2 nemesis partition-start 1000
 *   3 p1 invoke write 1100    4 p0 invoke read 1200          (partition)
 *   5 p0 ok read 1230 n1      6 p1 fail write 1300 n2        latencies 30, 200
 *   7 nemesis kill-start 1400
 *   8 p2 invoke write 1500    9 p2 info write 2500           latency 1000 (both kinds)
 *  10 nemesis partition-stop 2600
 *  11 p0 invoke read 2700    12 p0 ok read 2720 n2           latency 20 (kill)
 *  13 nemesis heal 3000
 *  14 p1 invoke write 3100   15 p1 ok write 3150 n1          latency 50, outside
 *  16 p3 invoke read 3200 (never completes)                  outside */
static text_buf the_run(void) {
    text_buf t = {0};
    inv(&t, 0, "read", 0, "");
    done(&t, 0, "ok", "read", 10, ",\"node\":\"n1\",\"value\":1");
    nemesis(&t, "partition-start", 1000,
            "{\"kind\":\"partition\",\"groups\":[[\"n1\"],[\"n2\"]]}");
    inv(&t, 1, "write", 1100, ",\"value\":5");
    inv(&t, 0, "read", 1200, "");
    done(&t, 0, "ok", "read", 1230, ",\"node\":\"n1\",\"value\":1");
    done(&t, 1, "fail", "write", 1300, ",\"node\":\"n2\",\"value\":5");
    nemesis(&t, "kill-start", 1400, "{\"kind\":\"kill\",\"nodes\":[\"n2\"]}");
    inv(&t, 2, "write", 1500, ",\"value\":6");
    done(&t, 2, "info", "write", 2500, ",\"value\":6");
    nemesis(&t, "partition-stop", 2600, "{\"kind\":\"partition\"}");
    inv(&t, 0, "read", 2700, "");
    done(&t, 0, "ok", "read", 2720, ",\"node\":\"n2\",\"value\":6");
    nemesis(&t, "heal", 3000, "{\"kind\":\"heal\"}");
    inv(&t, 1, "write", 3100, ",\"value\":7");
    done(&t, 1, "ok", "write", 3150, ",\"node\":\"n1\",\"value\":7");
    inv(&t, 3, "read", 3200, "");
    return t;
}

static void counts_and_verdict(void **state) {
    (void)state;
    text_buf t = the_run();
    json_t *r = check(&t, NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 1);
    assert_null(json_object_get(r, "reason"));
    assert_null(json_object_get(r, "never_ok"));
    assert_at(r, "op_count", "7");
    assert_at(r, "counts",
              "{\"read\":{\"invoked\":4,\"ok\":3,\"fail\":0,\"info\":0,\"none\":1},"
              "\"write\":{\"invoked\":3,\"ok\":1,\"fail\":1,\"info\":1,\"none\":0}}");
    assert_at(r, "totals", "{\"invoked\":7,\"ok\":4,\"fail\":1,\"info\":1,\"none\":1}");
    assert_at(r, "untimed_count", "0");
    assert_at(r, "start_ns", "0");
    assert_at(r, "end_ns", "3200000000");
    assert_at(r, "ok_per_s", "1.25"); /* 4 ok in 3.2 s */
    json_decref(r);
}

static void throughput_by_completion_time(void **state) {
    (void)state;
    text_buf t = the_run();
    json_t *r = check(&t, NULL);
    /* Completions at 10 | 1230 1300 | 2500 2720 | 3150 ms. */
    assert_at(r, "throughput", "{\"start_ns\":0,\"bucket_ns\":1000000000,"
                               "\"ok\":[1,1,1,1],\"all\":[1,2,2,1]}");
    json_decref(r);
}

static void latency_quantiles_by_f_and_outcome(void **state) {
    (void)state;
    text_buf t = the_run();
    json_t *r = check(&t, NULL);
    /* Reads ok: 10, 30, 20 ms. Nearest rank of 3: p50 rank 2, p95 and p99 rank 3. */
    assert_at(r, "latency.read", "{\"ok\":{\"count\":3,\"min_ms\":10.0,\"p50_ms\":20.0,"
                                 "\"p95_ms\":30.0,\"p99_ms\":30.0,\"max_ms\":30.0,"
                                 "\"mean_ms\":20.0}}");
    assert_at(r, "latency.write.fail", "{\"count\":1,\"min_ms\":200.0,\"p50_ms\":200.0,"
                                       "\"p95_ms\":200.0,\"p99_ms\":200.0,\"max_ms\":200.0,"
                                       "\"mean_ms\":200.0}");
    assert_at(r, "latency.write.info.max_ms", "1000.0");
    assert_at(r, "latency.write.ok.p50_ms", "50.0");
    json_decref(r);
}

static void latency_series_by_invocation_bucket(void **state) {
    (void)state;
    text_buf t = the_run();
    json_t *r = check(&t, NULL);
    assert_at(r, "latency_series",
              "{\"start_ns\":0,\"bucket_ns\":1000000000,\"series\":["
              "{\"f\":\"read\",\"type\":\"ok\",\"points\":[[0,1,10.0,10.0],"
              "[1000000000,1,30.0,30.0],[2000000000,1,20.0,20.0]]},"
              "{\"f\":\"write\",\"type\":\"ok\",\"points\":[[3000000000,1,50.0,50.0]]},"
              "{\"f\":\"write\",\"type\":\"fail\",\"points\":[[1000000000,1,200.0,200.0]]},"
              "{\"f\":\"write\",\"type\":\"info\","
              "\"points\":[[1000000000,1,1000.0,1000.0]]}]}");
    json_decref(r);
}

static void fault_windows_and_availability(void **state) {
    (void)state;
    text_buf t = the_run();
    json_t *r = check(&t, NULL);
    assert_at(r, "fault_windows",
              "[{\"kind\":\"partition\",\"start_index\":2,\"start_ns\":1000000000,"
              "\"stop_index\":10,\"stop_ns\":2600000000,\"closed_by\":\"stop\","
              "\"value\":{\"kind\":\"partition\",\"groups\":[[\"n1\"],[\"n2\"]]}},"
              "{\"kind\":\"kill\",\"start_index\":7,\"start_ns\":1400000000,"
              "\"stop_index\":13,\"stop_ns\":3000000000,\"closed_by\":\"heal\","
              "\"value\":{\"kind\":\"kill\",\"nodes\":[\"n2\"]}}]");
    assert_at(r, "fault_window_count", "2");
    assert_at(r, "unmatched_stop_count", "0");
    /* Partition: invoked at 3 (fail), 4 (ok, 30 ms), 8 (info). */
    assert_at(r, "availability.during.partition",
              "{\"invoked\":3,\"ok\":1,\"fail\":1,\"info\":1,\"none\":0,"
              "\"ok_share\":0.33333333333333331,\"ok_latency\":{\"count\":1,\"min_ms\":30.0,"
              "\"p50_ms\":30.0,\"p95_ms\":30.0,\"p99_ms\":30.0,\"max_ms\":30.0,"
              "\"mean_ms\":30.0}}");
    /* Kill: 8 (info) and 11 (ok, 20 ms). */
    assert_at(r, "availability.during.kill.invoked", "2");
    assert_at(r, "availability.during.kill.ok", "1");
    assert_at(r, "availability.during.kill.info", "1");
    assert_at(r, "availability.during.kill.ok_share", "0.5");
    assert_at(r, "availability.during.kill.ok_latency.max_ms", "20.0");
    /* Outside: 0 (ok, 10 ms), 14 (ok, 50 ms), 16 (never completed). */
    assert_at(r, "availability.outside",
              "{\"invoked\":3,\"ok\":2,\"fail\":0,\"info\":0,\"none\":1,"
              "\"ok_share\":0.66666666666666663,\"ok_latency\":{\"count\":2,\"min_ms\":10.0,"
              "\"p50_ms\":10.0,\"p95_ms\":50.0,\"p99_ms\":50.0,\"max_ms\":50.0,"
              "\"mean_ms\":30.0}}");
    assert_at(r, "availability.all.invoked", "7");
    assert_at(r, "availability.all.ok_latency.count", "4");
    assert_at(r, "availability.all.ok_latency.p50_ms", "20.0"); /* 10 20 30 50 */
    json_decref(r);
}

static void node_shares(void **state) {
    (void)state;
    text_buf t = the_run();
    json_t *r = check(&t, NULL);
    /* n1 answered 1, 5, 15 (all ok); n2 answered 6 (fail) and 12 (ok); 9 names none. */
    assert_at(r, "nodes", "{\"n1\":{\"completed\":3,\"ok\":3,\"ok_share\":1.0,"
                          "\"share_of_ok\":0.75},\"n2\":{\"completed\":2,\"ok\":1,"
                          "\"ok_share\":0.5,\"share_of_ok\":0.25}}");
    json_decref(r);

    /* No node named anywhere: no "nodes". */
    t = (text_buf){0};
    inv(&t, 0, "read", 0, "");
    done(&t, 0, "ok", "read", 1, "");
    r = check(&t, NULL);
    assert_null(json_object_get(r, "nodes"));
    json_decref(r);
}

static void buckets_widen_past_the_maximum(void **state) {
    (void)state;
    /* 100 ms buckets, at most 10: 3200 ms needs 33, so 4 x 100 ms gives 9. */
    text_buf t = the_run();
    fl_perf_options o = {.bucket_ns = 100 * MS, .max_buckets = 10};
    json_t *r = check(&t, &o);
    assert_at(r, "throughput", "{\"start_ns\":0,\"bucket_ns\":400000000,"
                               "\"ok\":[1,0,0,1,0,0,1,1,0],\"all\":[1,0,0,2,0,0,2,1,0]}");
    assert_at(r, "latency_series.bucket_ns", "400000000");
    json_decref(r);

    /* Without widening: 500 ms buckets, 7 of them. */
    t = the_run();
    o = (fl_perf_options){.bucket_ns = 500 * MS};
    r = check(&t, &o);
    assert_at(r, "throughput.bucket_ns", "500000000");
    assert_at(r, "throughput.all", "[1,0,2,0,0,2,1]");
    json_decref(r);
}

static void f_that_never_succeeded_is_unknown(void **state) {
    (void)state;
    text_buf t = {0};
    inv(&t, 0, "read", 0, "");
    done(&t, 0, "ok", "read", 5, "");
    inv(&t, 1, "cas", 10, ",\"value\":[1,2]");
    done(&t, 1, "fail", "cas", 20, ",\"value\":[1,2]");
    inv(&t, 1, "cas", 30, ",\"value\":[2,3]");
    done(&t, 1, "info", "cas", 40, ",\"value\":[2,3]");
    json_t *r = check(&t, NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), -1);
    assert_string_equal(json_string_value(json_object_get(r, "reason")),
                        "f \"cas\" never completed ok (2 invoked): the workload could not "
                        "do it");
    assert_at(r, "never_ok", "[{\"invoked\":2,\"fail\":1,\"info\":1,\"none\":0,\"f\":\"cas\","
                             "\"first_op\":{\"index\":2,\"process\":1,\"f\":\"cas\","
                             "\"value\":[1,2],\"type\":\"fail\",\"complete_index\":3,"
                             "\"line\":3}}]");
    json_decref(r);

    /* Two fs: both named. */
    t = (text_buf){0};
    inv(&t, 0, "write", 0, ",\"value\":1");
    inv(&t, 1, "read", 1, "");
    done(&t, 1, "fail", "read", 2, "");
    r = check(&t, NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), -1);
    assert_string_equal(json_string_value(json_object_get(r, "reason")),
                        "2 fs never completed ok (never_ok), the first \"write\"");
    assert_int_equal(json_array_size(json_object_get(r, "never_ok")), 2);
    assert_at(r, "counts.write.none", "1");
    json_decref(r);

    /* No client op at all: valid, noted (as for every checker; `faultline test` makes
     * such a run unknown itself). */
    t = (text_buf){0};
    nemesis(&t, "kill-start", 0, NULL);
    r = check(&t, NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 1);
    assert_string_equal(json_string_value(json_object_get(r, "note")), "no client ops");
    assert_null(json_object_get(r, "reason"));
    assert_null(json_object_get(r, "never_ok"));
    assert_at(r, "op_count", "0");
    assert_at(r, "latency", "{}");
    json_decref(r);
}

static void quantiles_are_nearest_rank(void **state) {
    (void)state;
    /* 100 reads of 1..100 ms, in scrambled order. */
    text_buf t = {0};
    for (int i = 0; i < 100; i++) {
        int ms = (i * 37) % 100 + 1;
        inv(&t, i, "read", 1000 * i, "");
        done(&t, i, "ok", "read", 1000 * i + ms, "");
    }
    json_t *r = check(&t, NULL);
    assert_at(r, "latency.read.ok", "{\"count\":100,\"min_ms\":1.0,\"p50_ms\":50.0,"
                                    "\"p95_ms\":95.0,\"p99_ms\":99.0,\"max_ms\":100.0,"
                                    "\"mean_ms\":50.5}");
    json_decref(r);

    /* Ranks directly: n = 1, 2, 20, 101. */
    fl_perf_sample s[101];
    for (int i = 0; i < 101; i++) s[i] = (fl_perf_sample){0, 0, i + 1};
    assert_int_equal(fl_perf_percentile(s, 1, 50), 1);
    assert_int_equal(fl_perf_percentile(s, 1, 99), 1);
    assert_int_equal(fl_perf_percentile(s, 2, 50), 1);
    assert_int_equal(fl_perf_percentile(s, 2, 51), 2);
    assert_int_equal(fl_perf_percentile(s, 20, 95), 19);
    assert_int_equal(fl_perf_percentile(s, 20, 99), 20);
    assert_int_equal(fl_perf_percentile(s, 101, 50), 51);
    assert_int_equal(fl_perf_percentile(s, 101, 99), 100);
    assert_int_equal(fl_perf_percentile(s, 101, 100), 101);
}

static void windows_overlap_unmatched_and_open(void **state) {
    (void)state;
    /* Two partitions at once (a stop closes the oldest), a stray stop, a Jepsen-style
     * nemesis invoke (ignored), a clock window never closed. */
    text_buf t = {0};
    nemesis(&t, "partition-start", 0, "1");                               /* 0 */
    nemesis(&t, "partition-start", 1, "2");                               /* 1 */
    nemesis(&t, "partition-stop", 2, NULL);                               /* 2 */
    inv(&t, 0, "read", 3, "");                                            /* 3 */
    done(&t, 0, "ok", "read", 4, "");                                     /* 4 */
    nemesis(&t, "partition-stop", 5, NULL);                               /* 5 */
    nemesis(&t, "kill-stop", 6, NULL);                                    /* 6 */
    text_put(&t, "{\"process\":\"nemesis\",\"type\":\"invoke\",\"f\":\"clock-start\"}\n"); /* 7 */
    nemesis(&t, "clock-start", 8, "{\"kind\":\"clock\",\"delta_ms\":500}");  /* 8 */
    inv(&t, 0, "read", 9, "");                                            /* 9 */
    done(&t, 0, "fail", "read", 10, "");                                  /* 10 */
    inv(&t, 0, "read", 11, "");                                           /* 11 */
    done(&t, 0, "ok", "read", 12, "");                                    /* 12 */
    fl_history *h = history_paired(t.s, t.len);
    free(t.s);
    fl_fault_windows w;
    fl_error err;
    assert_int_equal(fl_fault_windows_find(h, &w, &err), 0);
    assert_int_equal(w.count, 3);
    assert_int_equal(w.kind_count, 2);
    assert_int_equal(w.unmatched_stop_count, 1);
    assert_int_equal(w.windows[0].stop_pos, 2);
    assert_int_equal(w.windows[1].stop_pos, 5);
    assert_int_equal(w.windows[2].stop_pos, -1);
    json_t *j = fl_fault_window_json(h, &w, 2);
    assert_json(j, "{\"kind\":\"clock\",\"start_index\":8,\"start_ns\":8000000,"
                   "\"stop_index\":null,\"stop_ns\":null,\"closed_by\":null,"
                   "\"value\":{\"kind\":\"clock\",\"delta_ms\":500}}");
    json_decref(j);
    /* The cursor: partition open at 3, clock at 9 and 11, nothing at 4's position. */
    fl_fault_cursor c;
    assert_int_equal(fl_fault_cursor_init(&c, &w), 0);
    const size_t *kinds;
    fl_fault_cursor_seek(&c, 3);
    assert_int_equal(fl_fault_cursor_open_kinds(&c, &kinds), 1);
    assert_string_equal(w.kinds[kinds[0]], "partition");
    fl_fault_cursor_seek(&c, 7);
    assert_int_equal(fl_fault_cursor_open_kinds(&c, &kinds), 0);
    fl_fault_cursor_seek(&c, 9);
    assert_int_equal(fl_fault_cursor_open_kinds(&c, &kinds), 1);
    assert_string_equal(w.kinds[kinds[0]], "clock");
    fl_fault_cursor_free(&c);
    fl_fault_windows_free(&w);

    json_t *r = fl_check_perf(h, NULL, &err);
    assert_non_null(r);
    assert_at(r, "fault_window_count", "3");
    assert_at(r, "unmatched_stop_count", "1");
    assert_at(r, "availability.during.partition.invoked", "1");
    assert_at(r, "availability.during.clock.invoked", "2");
    assert_at(r, "availability.during.clock.ok_share", "0.5");
    assert_at(r, "availability.outside.invoked", "0");
    assert_at(r, "availability.outside.ok_share", "null");
    assert_at(r, "availability.outside.ok_latency", "null");
    json_decref(r);
    fl_history_free(h);
}

static void untimed_history_counts_without_latency(void **state) {
    (void)state;
    text_buf t = {0};
    text_put(&t, "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n");
    text_put(&t, "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"pause-start\"}\n");
    text_put(&t, "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":3}\n");
    text_put(&t, "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n");
    text_put(&t, "{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"value\":3}\n");
    json_t *r = check(&t, NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 1);
    assert_at(r, "untimed_count", "2");
    assert_at(r, "start_ns", "null");
    assert_at(r, "ok_per_s", "null");
    assert_at(r, "throughput", "null");
    assert_at(r, "latency_series", "null");
    assert_at(r, "latency", "{}");
    assert_at(r, "availability.outside.invoked", "1");
    assert_at(r, "availability.during.pause.invoked", "1");
    assert_at(r, "availability.during.pause.ok_latency", "null");
    json_decref(r);
}

static void malformed_histories_are_refused(void **state) {
    (void)state;
    /* A completion timed before its invocation. */
    text_buf t = {0};
    inv(&t, 0, "read", 10, "");
    done(&t, 0, "ok", "read", 5, "");
    fl_error err = refused(&t, NULL);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "ok completion (index 1) of process 0 has time "
                                        "5000000, before its invocation's 10000000 (index 0)"));

    /* A negative time. */
    t = (text_buf){0};
    text_put(&t, "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"time\":-4}\n");
    err = refused(&t, NULL);
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.message, "negative time -4"));

    /* A nemesis start without a kind. */
    t = (text_buf){0};
    inv(&t, 0, "read", 0, "");
    nemesis(&t, "-start", 1, NULL);
    err = refused(&t, NULL);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "no fault kind"));

    /* Options out of range. */
    t = the_run();
    fl_perf_options o = {.bucket_ns = 10};
    err = refused(&t, &o);
    assert_non_null(strstr(err.message, "bucket width 10 ns is outside"));
    t = the_run();
    o = (fl_perf_options){.max_buckets = 3};
    err = refused(&t, &o);
    assert_non_null(strstr(err.message, "max buckets 3 is outside"));

    /* A history that was never paired. */
    t = (text_buf){0};
    inv(&t, 0, "read", 0, "");
    done(&t, 0, "ok", "read", 1, "");
    fl_history *h = fl_history_new("test.jsonl");
    assert_int_equal(fl_jsonl_read_buffer(t.s, t.len, "test.jsonl", h, false, &err),
                     FL_READ_OK);
    free(t.s);
    assert_null(fl_check_perf(h, NULL, &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "fl_history_pair"));
    fl_history_free(h);
}

static void large_history(void **state) {
    (void)state;
    /* 200000 ops over 10 processes, one every ms; latency i % 100 ms; every 10th fails;
     * a partition during the middle 100 s. */
    enum { OPS = 200000, PROCESSES = 10 };
    text_buf t = {0};
    for (int i = 0; i < OPS; i++) {
        long long now = i;
        if (i == OPS / 2 - 50000) nemesis(&t, "partition-start", now, "{}");
        if (i == OPS / 2 + 50000) nemesis(&t, "partition-stop", now, NULL);
        /* Process i % 10 invokes at i ms and completes before its next turn (10 ms). */
        int p = i % PROCESSES;
        if (i >= PROCESSES) done(&t, p, (i / PROCESSES) % 10 == 0 ? "fail" : "ok", "write",
                                 now, "");
        inv(&t, p, "write", now, ",\"value\":1");
    }
    json_t *r = check(&t, NULL);
    assert_int_equal(verdict_of(json_object_get(r, "valid")), 1);
    assert_at(r, "op_count", "200000");
    assert_at(r, "totals.none", "10");
    assert_at(r, "availability.during.partition.invoked", "100000");
    assert_at(r, "availability.outside.invoked", "100000");
    assert_at(r, "latency.write.ok.max_ms", "10.0");
    const json_t *series = at(r, "latency_series.series");
    assert_int_equal(json_array_size(series), 2);
    const json_t *points = json_object_get(json_array_get(series, 0), "points");
    assert_int_equal(json_array_size(points), 200);
    json_decref(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_and_verdict),
        cmocka_unit_test(throughput_by_completion_time),
        cmocka_unit_test(latency_quantiles_by_f_and_outcome),
        cmocka_unit_test(latency_series_by_invocation_bucket),
        cmocka_unit_test(fault_windows_and_availability),
        cmocka_unit_test(node_shares),
        cmocka_unit_test(buckets_widen_past_the_maximum),
        cmocka_unit_test(f_that_never_succeeded_is_unknown),
        cmocka_unit_test(quantiles_are_nearest_rank),
        cmocka_unit_test(windows_overlap_unmatched_and_open),
        cmocka_unit_test(untimed_history_counts_without_latency),
        cmocka_unit_test(malformed_histories_are_refused),
        cmocka_unit_test(large_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
