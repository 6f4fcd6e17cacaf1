/* The set-full checker (checkers/set/set_full.h) on hand-written histories — stable,
 * stale (with and without `linearizable`), lost (known by its add and by a read),
 * maybe lost, never read, duplicated, unexpected, failed but present, sets per key,
 * "unknown" without a final read, latencies, malformed input — and a property test:
 * simulated stores whose replicas converge are never flagged, one that acknowledges an
 * add it drops or applies an add twice always is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "history.h"
#include "history_testing.h"
#include "rng.h"
#include "set_full.h"

/* JSONL op lines, indexed by position (line number - 1); v is JSON text, ms a time in
 * milliseconds (>= 1: it is written as ms followed by six zeros). */
#define ADD(p, t, v, ms)                                                                  \
    "{\"process\":" #p ",\"type\":\"" #t "\",\"f\":\"add\",\"value\":" v ",\"time\":" #ms \
    "000000}\n"
#define RI(p, ms) "{\"process\":" #p ",\"type\":\"invoke\",\"f\":\"read\",\"time\":" #ms "000000}\n"
#define RO(p, node, v, ms)                                                                 \
    "{\"process\":" #p ",\"type\":\"ok\",\"f\":\"read\",\"node\":\"" node "\",\"value\":" v \
    ",\"time\":" #ms "000000}\n"

typedef checker_run run; /* history_testing.h */

static run check_text(const char *text, bool linearizable) {
    run r = checker_run_on(text);
    fl_set_full_options o = {.linearizable = linearizable};
    r.result = fl_check_set_full(r.h, &o, &r.err);
    return r;
}

static run check(const char *text, bool linearizable) {
    run r = check_text(text, linearizable);
    assert_checked(&r);
    return r;
}

static const json_t *field(const run *r, const char *name) {
    return result_field(r->result, name);
}

/* Every class list of the result at once: the element lists as JSON text. */
static void assert_classes(const run *r, const char *stable, const char *lost,
                           const char *maybe_lost, const char *never_read, const char *stale) {
    assert_json(field(r, "stable"), stable);
    assert_json(field(r, "lost"), lost);
    assert_json(field(r, "maybe_lost"), maybe_lost);
    assert_json(field(r, "never_read"), never_read);
    assert_json(field(r, "stale"), stale);
}

static void assert_no_flags(const run *r) {
    assert_json(field(r, "duplicated"), "[]");
    assert_json(field(r, "unexpected"), "[]");
    assert_json(field(r, "failed_but_present"), "[]");
}

/* Adds of 1 and 2 acknowledged while reads run, an info add of 3 never seen, a read
 * that began before 2's add (so may miss it), and a final read. */
static const char *const VALID =
    ADD(0, invoke, "1", 1) ADD(0, ok, "1", 10) RI(1, 20) ADD(0, invoke, "2", 30)
    RO(1, "n1", "[1]", 40) ADD(0, ok, "2", 50) RI(1, 60) RO(1, "n2", "[1,2]", 70)
    ADD(2, invoke, "3", 80) ADD(2, info, "3", 90) RI(1, 100) RO(1, "n1", "[2,1]", 110);

static void valid_history(void **state) {
    (void)state;
    run r = check(VALID, true);
    assert_int_equal(run_verdict(&r), 1);
    assert_null(json_object_get(r.result, "reason"));
    assert_json(field(&r, "linearizable"), "true");
    assert_json(field(&r, "add_count"), "3");
    assert_json(field(&r, "attempted_count"), "3");
    assert_json(field(&r, "acknowledged_count"), "2");
    assert_json(field(&r, "indeterminate_count"), "1");
    assert_json(field(&r, "failed_count"), "0");
    assert_json(field(&r, "read_count"), "3");
    assert_json(field(&r, "final_read_count"), "1");
    assert_classes(&r, "[1,2]", "[]", "[]", "[3]", "[]");
    assert_json(field(&r, "stable_count"), "2");
    assert_json(field(&r, "never_read_count"), "1");
    assert_no_flags(&r);
    /* Both were visible for good from the moment they were known. */
    assert_json(field(&r, "stable_latency_ms"),
                "{\"measured\":2,\"p50\":0.0,\"p95\":0.0,\"p99\":0.0,\"max\":0.0}");
    assert_json(field(&r, "lost_latency_ms"),
                "{\"measured\":0,\"p50\":null,\"p95\":null,\"p99\":null,\"max\":null}");
    assert_json(field(&r, "worst_stale"), "[]");
    assert_json(field(&r, "lost_ops"), "[]");
    checker_run_free(&r);
}

/* 1 and 2 are acknowledged, then a read on n2 misses both, a read on n1 misses 2, and
 * the last read sees both: two stale elements, 10 ms and 26 ms late. */
static const char *const STALE =
    ADD(0, invoke, "1", 1) ADD(0, ok, "1", 10) ADD(3, invoke, "2", 12) ADD(3, ok, "2", 14)
    RI(1, 20) RO(1, "n2", "[]", 30) RI(1, 40) RO(1, "n1", "[1]", 50)
    RI(2, 60) RO(2, "n2", "[1,2]", 70);

static void stale_is_valid_without_linearizable(void **state) {
    (void)state;
    run r = check(STALE, false);
    assert_int_equal(run_verdict(&r), 1);
    assert_json(field(&r, "linearizable"), "false");
    assert_json(field(&r, "final_read_count"), "3");
    assert_classes(&r, "[1,2]", "[]", "[]", "[]", "[1,2]");
    assert_json(field(&r, "stale_count"), "2");
    assert_json(field(&r, "stable_latency_ms"),
                "{\"measured\":2,\"p50\":26.0,\"p95\":26.0,\"p99\":26.0,\"max\":26.0}");
    assert_json(field(&r, "worst_stale"),
                "[{\"element\":2,\"stable_latency_ms\":26.0,"
                "\"known\":{\"by\":\"add\",\"index\":2,\"complete_index\":3,\"time\":14000000},"
                "\"last_missed_by\":{\"index\":6,\"complete_index\":7,\"process\":1,"
                "\"node\":\"n1\",\"time\":40000000,\"element_count\":1}},"
                "{\"element\":1,\"stable_latency_ms\":10.0,"
                "\"known\":{\"by\":\"add\",\"index\":0,\"complete_index\":1,\"time\":10000000},"
                "\"last_missed_by\":{\"index\":4,\"complete_index\":5,\"process\":1,"
                "\"node\":\"n2\",\"time\":20000000,\"element_count\":0}}]");
    const json_t *ops = field(&r, "stale_ops");
    assert_int_equal(json_array_size(ops), 2);
    assert_json(json_array_get(ops, 1),
                "{\"element\":2,"
                "\"add\":{\"index\":2,\"process\":3,\"f\":\"add\",\"value\":2,\"type\":\"ok\","
                "\"complete_index\":3,\"line\":3,\"time\":12000000,\"complete_time\":14000000},"
                "\"known\":{\"by\":\"add\",\"index\":2,\"complete_index\":3,\"time\":14000000},"
                "\"missed_by\":[{\"index\":4,\"complete_index\":5,\"process\":1,\"node\":\"n2\","
                "\"time\":20000000,\"element_count\":0},{\"index\":6,\"complete_index\":7,"
                "\"process\":1,\"node\":\"n1\",\"time\":40000000,\"element_count\":1}],"
                "\"missed_by_count\":2,"
                "\"last_seen_by\":{\"index\":8,\"complete_index\":9,\"process\":2,"
                "\"node\":\"n2\",\"time\":60000000,\"element_count\":2},"
                "\"stable_latency_ms\":26.0}");
    assert_json(json_object_get(json_array_get(ops, 0), "missed_by_count"), "1");
    checker_run_free(&r);
}

static void stale_is_invalid_with_linearizable(void **state) {
    (void)state;
    run r = check(STALE, true);
    assert_int_equal(run_verdict(&r), 0);
    assert_classes(&r, "[1,2]", "[]", "[]", "[]", "[1,2]");
    assert_json(field(&r, "lost_count"), "0");
    checker_run_free(&r);
}

static void read_concurrent_with_add_is_not_stale(void **state) {
    (void)state;
    /* The read misses 1 but began before 1's add was acknowledged: linearizable. A read
     * that began before the add was even invoked and ends after it is no miss either. */
    run r = check(RI(1, 1) ADD(0, invoke, "1", 2) ADD(0, ok, "1", 3) RO(1, "n1", "[]", 4)
                  ADD(0, invoke, "2", 5) RI(1, 6) RO(1, "n1", "[1]", 7) ADD(0, ok, "2", 8)
                  RI(1, 9) RO(1, "n1", "[1,2]", 10),
                  true);
    assert_int_equal(run_verdict(&r), 1);
    assert_classes(&r, "[1,2]", "[]", "[]", "[]", "[]");
    checker_run_free(&r);

    /* The last read to miss 1 began before 1's add was invoked: it is no miss, and the
     * read that saw 1 (invoked earlier still) leaves it stable, as in Jepsen. */
    r = check(RI(1, 1) RI(2, 2) RO(2, "n1", "[]", 3) ADD(0, invoke, "1", 4)
              RO(1, "n2", "[1]", 5) ADD(0, ok, "1", 6),
              true);
    assert_int_equal(run_verdict(&r), -1); /* no read after the add: no final read */
    assert_classes(&r, "[1]", "[]", "[]", "[]", "[]");
    assert_json(field(&r, "stable_latency_ms"),
                "{\"measured\":1,\"p50\":0.0,\"p95\":0.0,\"p99\":0.0,\"max\":0.0}");
    checker_run_free(&r);
}

static void lost_known_by_add(void **state) {
    (void)state;
    run r = check(ADD(0, invoke, "1", 1) ADD(0, ok, "1", 10) ADD(0, invoke, "2", 20)
                  ADD(0, ok, "2", 30) RI(1, 40) RO(1, "n1", "[1,2]", 50) RI(1, 60)
                  RO(1, "n2", "[1]", 70),
                  false);
    assert_int_equal(run_verdict(&r), 0);
    assert_classes(&r, "[1]", "[2]", "[]", "[]", "[]");
    assert_json(field(&r, "lost_count"), "1");
    assert_no_flags(&r);
    assert_json(field(&r, "lost_ops"),
                "[{\"element\":2,"
                "\"add\":{\"index\":2,\"process\":0,\"f\":\"add\",\"value\":2,\"type\":\"ok\","
                "\"complete_index\":3,\"line\":3,\"time\":20000000,\"complete_time\":30000000},"
                "\"known\":{\"by\":\"add\",\"index\":2,\"complete_index\":3,\"time\":30000000},"
                "\"missed_by\":[{\"index\":6,\"complete_index\":7,\"process\":1,\"node\":\"n2\","
                "\"time\":60000000,\"element_count\":1}],\"missed_by_count\":1,"
                "\"last_seen_by\":{\"index\":4,\"complete_index\":5,\"process\":1,"
                "\"node\":\"n1\",\"time\":40000000,\"element_count\":2},"
                "\"lost_latency_ms\":10.0}]");
    assert_json(field(&r, "lost_latency_ms"),
                "{\"measured\":1,\"p50\":10.0,\"p95\":10.0,\"p99\":10.0,\"max\":10.0}");
    checker_run_free(&r);
}

static void lost_known_by_read(void **state) {
    (void)state;
    /* The add of 7 timed out, a read saw 7 (so it took effect), the final read misses it. */
    run r = check(ADD(0, invoke, "7", 1) ADD(0, info, "7", 10) RI(1, 20)
                  RO(1, "n1", "[7]", 30) RI(1, 40) RO(1, "n1", "[]", 50),
                  false);
    assert_int_equal(run_verdict(&r), 0);
    assert_classes(&r, "[]", "[7]", "[]", "[]", "[]");
    assert_json(field(&r, "indeterminate_count"), "1");
    const json_t *d = json_array_get(field(&r, "lost_ops"), 0);
    assert_json(json_object_get(d, "known"),
                "{\"by\":\"read\",\"index\":2,\"complete_index\":3,\"time\":30000000}");
    assert_json(json_object_get(json_object_get(d, "add"), "type"), "\"info\"");
    assert_json(json_object_get(d, "lost_latency_ms"), "0.0");
    checker_run_free(&r);
}

static void missed_without_final_read_is_maybe_lost(void **state) {
    (void)state;
    /* The only read misses acknowledged 1 while 2's add is still running: no final read,
     * so 1 may still be on its way (maybe lost) and 2 was never read. */
    const char *text = ADD(0, invoke, "1", 1) ADD(0, ok, "1", 2) ADD(2, invoke, "2", 3)
        RI(1, 4) RO(1, "n1", "[]", 5) ADD(2, ok, "2", 6);
    run r = check(text, false);
    assert_int_equal(run_verdict(&r), -1);
    assert_string_equal(json_string_value(field(&r, "reason")),
                        "no final read: 1 ok read, none invoked after every add had ended "
                        "(the last add ended at index 5)");
    assert_classes(&r, "[]", "[]", "[1]", "[2]", "[]");
    const json_t *d = json_array_get(field(&r, "maybe_lost_ops"), 0);
    assert_json(json_object_get(d, "element"), "1");
    assert_json(json_object_get(d, "missed_by_count"), "1");
    assert_json(json_object_get(d, "last_seen_by"), "null");
    checker_run_free(&r);

    r = check(text, true);
    assert_int_equal(run_verdict(&r), 0);
    assert_null(json_object_get(r.result, "reason"));
    checker_run_free(&r);
}

static void never_read_without_final_read_is_unknown(void **state) {
    (void)state;
    run r = check(ADD(0, invoke, "1", 1) ADD(0, ok, "1", 2) RI(1, 3) RO(1, "n1", "[1]", 4)
                  ADD(0, invoke, "2", 5) ADD(0, ok, "2", 6),
                  true);
    assert_int_equal(run_verdict(&r), -1);
    assert_classes(&r, "[1]", "[]", "[]", "[2]", "[]");
    assert_json(field(&r, "final_read_count"), "0");
    checker_run_free(&r);

    /* No ok read at all. */
    r = check(ADD(0, invoke, "1", 1) ADD(0, ok, "1", 2) RI(1, 3)
              "{\"process\":1,\"type\":\"fail\",\"f\":\"read\"}\n",
              false);
    assert_int_equal(run_verdict(&r), -1);
    assert_string_equal(json_string_value(field(&r, "reason")),
                        "no final read: no read completed ok");
    assert_classes(&r, "[]", "[]", "[]", "[1]", "[]");
    checker_run_free(&r);
}

static void duplicated_in_any_read(void **state) {
    (void)state;
    run r = check(ADD(0, invoke, "1", 1) ADD(0, ok, "1", 2) RI(1, 3) RO(1, "n1", "[1,1]", 4)
                  RI(1, 5) RO(1, "n1", "[1]", 6),
                  false);
    assert_int_equal(run_verdict(&r), 0);
    assert_classes(&r, "[1]", "[]", "[]", "[]", "[]");
    assert_json(field(&r, "duplicated"), "[1]");
    assert_json(field(&r, "duplicated_ops"),
                "[{\"element\":1,\"read\":{\"index\":2,\"complete_index\":3,\"process\":1,"
                "\"node\":\"n1\",\"time\":3000000,\"element_count\":2},\"read_count\":1}]");
    checker_run_free(&r);
}

static void unexpected_and_failed_but_present(void **state) {
    (void)state;
    /* 5's only add failed, yet a read lists it (and then it is gone: lost too); 9 is read
     * before its add was invoked; "x" was never added. */
    run r = check(ADD(0, invoke, "5", 1) ADD(0, fail, "5", 2) RI(1, 3)
                  RO(1, "n1", "[5,9]", 4) ADD(0, invoke, "9", 5) ADD(0, ok, "9", 6) RI(1, 7)
                  RO(1, "n1", "[9,\"x\"]", 8),
                  false);
    assert_int_equal(run_verdict(&r), 0);
    assert_classes(&r, "[9]", "[5]", "[]", "[]", "[]");
    assert_json(field(&r, "failed_count"), "1");
    assert_json(field(&r, "unexpected"), "[9,\"x\"]");
    assert_json(field(&r, "failed_but_present"), "[5]");
    assert_json(field(&r, "unexpected_ops"),
                "[{\"element\":9,\"read\":{\"index\":2,\"complete_index\":3,\"process\":1,"
                "\"node\":\"n1\",\"time\":3000000,\"element_count\":2},"
                "\"add\":{\"index\":4,\"process\":0,\"f\":\"add\",\"value\":9,\"type\":\"ok\","
                "\"complete_index\":5,\"line\":5,\"time\":5000000,\"complete_time\":6000000}},"
                "{\"element\":\"x\",\"read\":{\"index\":6,\"complete_index\":7,\"process\":1,"
                "\"node\":\"n1\",\"time\":7000000,\"element_count\":2},\"add\":null}]");
    assert_json(field(&r, "failed_but_present_ops"),
                "[{\"element\":5,\"add\":{\"index\":0,\"process\":0,\"f\":\"add\",\"value\":5,"
                "\"type\":\"fail\",\"complete_index\":1,\"line\":1,\"time\":1000000,"
                "\"complete_time\":2000000},\"present_in\":{\"index\":2,\"complete_index\":3,"
                "\"process\":1,\"node\":\"n1\",\"time\":3000000,\"element_count\":2},"
                "\"present_count\":1}]");
    checker_run_free(&r);
}

static void sets_per_key_and_no_times(void **state) {
    (void)state;
    /* Key x keeps 1; key y loses its 1 (a read of x does not count for y); z has adds
     * and no read at all. No times: no latency is measured. */
    run r = check(KADD(0, invoke, "x", "1") KADD(0, ok, "x", "1") KADD(0, invoke, "y", "1")
                  KADD(0, ok, "y", "1") KADD(0, invoke, "z", "1") KADD(0, ok, "z", "1")
                  KRI(1, "x") KRO(1, "x", "[1]") KRI(1, "y") KRO(1, "y", "[]"),
                  false);
    assert_int_equal(run_verdict(&r), 0);
    assert_classes(&r, "[1]", "[1]", "[]", "[1]", "[]");
    assert_json(json_object_get(json_array_get(field(&r, "lost_ops"), 0), "key"), "\"y\"");
    assert_json(field(&r, "keys_without_final_read"), "[\"z\"]");
    assert_json(field(&r, "stable_latency_ms"),
                "{\"measured\":0,\"p50\":null,\"p95\":null,\"p99\":null,\"max\":null}");
    assert_null(json_object_get(json_array_get(field(&r, "lost_ops"), 0), "lost_latency_ms"));
    checker_run_free(&r);
}

static void malformed_histories_are_refused(void **state) {
    (void)state;
    run r = check_text(ADD(0, invoke, "1", 1) ADD(0, ok, "1", 2) RI(1, 3)
                       RO(1, "n1", "{\"a\":1}", 4),
                       false);
    assert_null(r.result);
    assert_int_equal(r.err.line, 4);
    assert_non_null(strstr(r.err.message, "its value is an object, not the list"));
    checker_run_free(&r);

    r = check_text("{\"process\":0,\"type\":\"invoke\",\"f\":\"add\"}\n", false);
    assert_null(r.result);
    assert_int_equal(r.err.line, 1);
    assert_non_null(strstr(r.err.message, "add (index 0) of process 0 has no value"));
    checker_run_free(&r);

    fl_history *h = jsonl_ok(ADD(0, invoke, "1", 1) ADD(0, ok, "1", 2));
    fl_error err;
    memset(&err, 0, sizeof err);
    assert_null(fl_check_set_full(h, NULL, &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.message, "before the set-full checker runs"));
    fl_history_free(h);
}

static void large_history(void **state) {
    (void)state;
    /* 20000 adds; after every 200 a read of everything acknowledged so far, except that
     * read k misses 2k (seen again later: stale, but for 200, which the last read
     * misses: lost) and reads from the 50th on miss 777 (lost). The last read comes
     * after every add: final. */
    enum { ADDS = 20000, EVERY = 200 };
    text_buf t = {0};
    int ms = 1;
    for (int i = 0; i < ADDS; i++) {
        text_put(&t, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"add\",\"value\":%d,"
                "\"time\":%d000000}\n", i % 10, i, ms++);
        text_put(&t, "{\"process\":%d,\"type\":\"ok\",\"f\":\"add\",\"value\":%d,"
                "\"time\":%d000000}\n", i % 10, i, ms++);
        if ((i + 1) % EVERY) continue;
        int k = (i + 1) / EVERY;
        text_put(&t, "{\"process\":100,\"type\":\"invoke\",\"f\":\"read\",\"time\":%d000000}\n",
            ms++);
        text_put(&t, "{\"process\":100,\"type\":\"ok\",\"f\":\"read\",\"value\":[");
        const char *sep = "";
        for (int e = 0; e <= i; e++) {
            if (e == 2 * k || (e == 777 && k >= 50)) continue;
            text_put(&t, "%s%d", sep, e);
            sep = ",";
        }
        text_put(&t, "],\"time\":%d000000}\n", ms++);
    }
    fl_history *h = history_paired(t.s, t.len);
    free(t.s);
    fl_error err;
    clock_t start = clock();
    json_t *result = fl_check_set_full(h, NULL, &err);
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    printf("set-full on %zu ops, %d reads: %.3f s\n", h->count, ADDS / EVERY, seconds);
    assert_non_null(result);
    assert_int_equal(verdict_of(json_object_get(result, "valid")), 0);
    assert_json(json_object_get(result, "lost"), "[200,777]");
    assert_json(json_object_get(result, "stable_count"), "19998");
    assert_json(json_object_get(result, "stale_count"), "99");
    assert_json(json_object_get(result, "never_read_count"), "0");
    assert_json(json_object_get(result, "final_read_count"), "1");
    /* Add i completes at 2 + 2i + 2·floor(i/200) ms and read k begins at 402k - 1 ms:
     * stale 2k waited 398k - 3 ms; 200 was last seen by read 99 (39393 ms after it was
     * known), 777 by read 49 (18135 ms). */
    assert_json(json_object_get(result, "stable_latency_ms"),
                "{\"measured\":19998,\"p50\":0.0,\"p95\":0.0,\"p99\":0.0,\"max\":39399.0}");
    assert_json(json_object_get(result, "lost_latency_ms"),
                "{\"measured\":2,\"p50\":39393.0,\"p95\":39393.0,\"p99\":39393.0,"
                "\"max\":39393.0}");
    const json_t *worst = json_object_get(result, "worst_stale");
    assert_int_equal(json_array_size(worst), 10);
    assert_json(json_object_get(json_array_get(worst, 0), "element"), "198");
    assert_json(json_object_get(json_array_get(worst, 9), "element"), "180");
    json_decref(result);
    fl_history_free(h);
}

/* ------------------------------------------------------------------------------------ */
/* Property: simulated stores                                                           */

enum { SIM_REPLICAS_MAX = 3, SIM_PROCESSES = 4, SIM_ADDS_MAX = 64, SIM_TICKS = 120 };
enum { BUG_NONE, BUG_DROP_ACK, BUG_DOUBLE_APPLY };

/* A set on replicas: an add takes effect on one replica at a random tick between its
 * invocation and completion and reaches each other replica 1..20 ticks later; a read
 * answers, at a random tick within its span, with one replica's contents. Some adds
 * time out (info; half of them never took effect) or fail (no effect). With a bug, the
 * add of bug_element is acknowledged but never applied, or applied twice (every
 * replica then lists it twice). The run ends with one read per replica once every
 * add has reached every replica. */
typedef struct sim {
    fl_rng rng;
    int replicas;
    int bug, bug_element;
    uint8_t copies[SIM_REPLICAS_MAX][SIM_ADDS_MAX]; /* how often each replica holds e */
    int arrive[SIM_REPLICAS_MAX][SIM_ADDS_MAX];    /* tick e reaches it, or -1 */
    int next_element;
    text_buf out;
} sim;

typedef struct proc {
    int busy;          /* 0 idle, 1 add, 2 read */
    int effect, done;  /* ticks */
    int element, replica, outcome; /* add's element / read's replica; FL_OK, FL_INFO, … */
    bool effective;
    char snapshot[1024];
} proc;

/* How many copies of e applying it leaves on a replica. */
static uint8_t sim_copies(const sim *s, int e) {
    return s->bug == BUG_DOUBLE_APPLY && e == s->bug_element ? 2 : 1;
}

static void sim_deliver(sim *s, int now) {
    for (int r = 0; r < s->replicas; r++)
        for (int e = 0; e < s->next_element; e++)
            if (s->arrive[r][e] == now && !s->copies[r][e]) s->copies[r][e] = sim_copies(s, e);
}

static void sim_snapshot(sim *s, int replica, char *out, size_t cap) {
    size_t len = (size_t)snprintf(out, cap, "[");
    bool first = true;
    for (int e = s->next_element - 1; e >= 0; e--)
        for (int k = 0; k < s->copies[replica][e]; k++) {
            len += (size_t)snprintf(out + len, cap - len, first ? "%d" : ",%d", e);
            first = false;
        }
    snprintf(out + len, cap - len, "]");
}

static void sim_effect(sim *s, proc *p, int now) {
    if (p->busy == 2) {
        sim_snapshot(s, p->replica, p->snapshot, sizeof p->snapshot);
        return;
    }
    if (!p->effective) return;
    s->copies[p->replica][p->element] = sim_copies(s, p->element);
    for (int r = 0; r < s->replicas; r++)
        if (r != p->replica) s->arrive[r][p->element] = now + 1 + (int)fl_rng_below(&s->rng, 20);
}

static void sim_start(sim *s, proc *p, int id, int now) {
    bool add = s->next_element < SIM_ADDS_MAX && fl_rng_below(&s->rng, 2);
    p->busy = add ? 1 : 2;
    p->effect = now + 1 + (int)fl_rng_below(&s->rng, 3);
    p->done = p->effect + (int)fl_rng_below(&s->rng, 3);
    p->replica = (int)fl_rng_below(&s->rng, (uint64_t)s->replicas);
    if (add) {
        p->element = s->next_element++;
        uint64_t roll = fl_rng_below(&s->rng, 20);
        p->outcome = roll == 0 ? FL_INFO : roll == 1 ? FL_FAIL : FL_OK;
        p->effective = p->outcome == FL_OK || (p->outcome == FL_INFO && fl_rng_below(&s->rng, 2));
        if (s->bug == BUG_DROP_ACK && p->element == s->bug_element) {
            p->outcome = FL_OK;
            p->effective = false;
        } else if (s->bug == BUG_DOUBLE_APPLY && p->element == s->bug_element) {
            p->outcome = FL_OK;
            p->effective = true;
        }
        text_put(&s->out, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"add\",\"value\":%d,"
                     "\"time\":%d000000}\n", id, p->element, now + 1);
    } else {
        text_put(&s->out, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"read\",\"time\":%d000000}\n",
            id, now + 1);
    }
}

static void sim_finish(sim *s, proc *p, int id, int now) {
    if (p->busy == 1)
        text_put(&s->out, "{\"process\":%d,\"type\":\"%s\",\"f\":\"add\",\"value\":%d,"
                     "\"time\":%d000000}\n", id, fl_op_type_name(p->outcome), p->element, now + 1);
    else
        text_put(&s->out, "{\"process\":%d,\"type\":\"ok\",\"f\":\"read\",\"node\":\"n%d\","
                     "\"value\":%s,\"time\":%d000000}\n", id, p->replica + 1, p->snapshot, now + 1);
    p->busy = 0;
}

/* One simulated run; its history as text (the caller frees out.s). */
static sim simulate(uint64_t seed, int replicas, int bug) {
    sim s;
    memset(&s, 0, sizeof s);
    memset(s.arrive, 0xff, sizeof s.arrive);
    s.rng.s = seed;
    s.replicas = replicas;
    s.bug = bug;
    s.bug_element = (int)fl_rng_below(&s.rng, 8); /* early, so the run surely adds it */
    proc ps[SIM_PROCESSES];
    memset(ps, 0, sizeof ps);
    int last_tick = SIM_TICKS + 40; /* past every delivery: the replicas have converged */
    for (int now = 0; now <= last_tick; now++) {
        sim_deliver(&s, now);
        for (int i = 0; i < SIM_PROCESSES; i++)
            if (ps[i].busy && ps[i].effect == now) sim_effect(&s, &ps[i], now);
        for (int i = 0; i < SIM_PROCESSES; i++)
            if (ps[i].busy && ps[i].done == now) sim_finish(&s, &ps[i], i, now);
        for (int i = 0; i < SIM_PROCESSES && now < SIM_TICKS; i++)
            if (!ps[i].busy && fl_rng_below(&s.rng, 2)) sim_start(&s, &ps[i], i, now);
    }
    /* Final reads, one per replica, after every add ended. */
    for (int r = 0; r < replicas; r++) {
        char snapshot[1024];
        sim_snapshot(&s, r, snapshot, sizeof snapshot);
        text_put(&s.out, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"read\",\"time\":%d000000}\n"
                    "{\"process\":%d,\"type\":\"ok\",\"f\":\"read\",\"node\":\"n%d\",\"value\":%s,"
                    "\"time\":%d000000}\n",
            r, last_tick + 1, r, r + 1, snapshot, last_tick + 2);
    }
    return s;
}

static json_t *check_sim(sim *s, bool linearizable, fl_history **h) {
    text_put(&s->out, "%s", "");
    *h = history_paired(s->out.s, s->out.len);
    fl_set_full_options o = {.linearizable = linearizable};
    fl_error err;
    json_t *result = fl_check_set_full(*h, &o, &err);
    if (!result) fail_msg("refused: %s", err.message);
    return result;
}

/* Seeds of the property tests: fewer under the sanitizers (the long sweep is the
 * normal build's; tests/CMakeLists.txt sets FL_LONG_SWEEPS). */
#define PROPERTY_SEEDS (FL_LONG_SWEEPS ? 1000 : 150)

static void honest_stores_are_never_flagged(void **state) {
    (void)state;
    size_t stale_runs = 0;
    for (uint64_t seed = 1; seed <= PROPERTY_SEEDS; seed++) {
        /* Three replicas that converge; and one copy, which is linearizable. */
        for (int replicas = 1; replicas <= 3; replicas += 2) {
            sim s = simulate(seed, replicas, BUG_NONE);
            fl_history *h;
            json_t *result = check_sim(&s, replicas == 1, &h);
            if (!json_is_true(json_object_get(result, "valid"))) {
                char *dump = json_dumps(result, JSON_COMPACT);
                fail_msg("seed %llu, %d replicas: %s\n%s", (unsigned long long)seed, replicas,
                         dump, s.out.s);
            }
            json_decref(result);
            fl_history_free(h);
            if (replicas > 1) {
                /* The same run judged as a linearizable store's: its stale reads count. */
                result = check_sim(&s, true, &h);
                if (json_integer_value(json_object_get(result, "stale_count"))) {
                    assert_true(json_is_false(json_object_get(result, "valid")));
                    stale_runs++;
                }
                json_decref(result);
                fl_history_free(h);
            }
            free(s.out.s);
        }
    }
    /* The replicated runs do read stale (else the property would prove little). */
    printf("replicated runs with stale reads: %zu of %d\n", stale_runs, PROPERTY_SEEDS);
    assert_true(stale_runs * 2 > PROPERTY_SEEDS);
}

static void buggy_stores_are_always_flagged(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= PROPERTY_SEEDS; seed++) {
        for (int bug = BUG_DROP_ACK; bug <= BUG_DOUBLE_APPLY; bug++) {
            sim s = simulate(seed, 3, bug);
            if (s.next_element <= s.bug_element) fail_msg("seed %llu added too little",
                                                          (unsigned long long)seed);
            fl_history *h;
            json_t *result = check_sim(&s, false, &h);
            const char *list = bug == BUG_DROP_ACK ? "lost" : "duplicated";
            const json_t *flagged = json_object_get(result, list);
            if (!json_is_false(json_object_get(result, "valid")) ||
                !json_is_integer(json_array_get(flagged, 0)) ||
                json_integer_value(json_array_get(flagged, 0)) != s.bug_element) {
                char *dump = json_dumps(result, JSON_COMPACT);
                fail_msg("seed %llu, bug %d on %d not found: %s", (unsigned long long)seed, bug,
                         s.bug_element, dump);
            }
            json_decref(result);
            fl_history_free(h);
            free(s.out.s);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_history),
        cmocka_unit_test(stale_is_valid_without_linearizable),
        cmocka_unit_test(stale_is_invalid_with_linearizable),
        cmocka_unit_test(read_concurrent_with_add_is_not_stale),
        cmocka_unit_test(lost_known_by_add),
        cmocka_unit_test(lost_known_by_read),
        cmocka_unit_test(missed_without_final_read_is_maybe_lost),
        cmocka_unit_test(never_read_without_final_read_is_unknown),
        cmocka_unit_test(duplicated_in_any_read),
        cmocka_unit_test(unexpected_and_failed_but_present),
        cmocka_unit_test(sets_per_key_and_no_times),
        cmocka_unit_test(malformed_histories_are_refused),
        cmocka_unit_test(large_history),
        cmocka_unit_test(honest_stores_are_never_flagged),
        cmocka_unit_test(buggy_stores_are_always_flagged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
