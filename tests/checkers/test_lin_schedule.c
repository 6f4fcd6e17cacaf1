/* How the linearizability checker shares its threads between keys and bounds its
 * memory (checkers/linearizable/check.c, search.c, intern.c): a key that explodes never
 * holds up a key that is invalid at once, whatever the thread count; a search run in
 * slices decides exactly as one run straight through; the memory budget makes a search
 * "unknown", never a wrong answer, and a finished search gives back what it interned.
 * No test here is timed: where the old behaviour was only slow, the test asserts on
 * model steps, which are deterministic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "check.h"
#include "history_testing.h"
#include "intern.h"
#include "partition.h"
#include "search.h"

/* Steps a key that explodes may have taken before a quick key stopped it: a few of its
 * first slices (16384 steps, doubling). Without turns it runs to its budget: tens of
 * millions of steps. */
#define STOPPED_EARLY_STEPS 1000000

/* JSONL text for key k: n appends by processes base..base+n-1, all concurrent, then a
 * read that sees them in the reverse of their invocation order — the order a
 * depth-first search tries last, so it tries about e·n! orders first (n = 11: ~10^8). */
static void exploding_key(text_buf *t, const char *k, int base, int n) {
    for (int i = 0; i < n; i++)
        text_put(t, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"append\",\"key\":\"%s\","
                    "\"value\":\"<%d>\"}\n", base + i, k, i);
    for (int i = 0; i < n; i++)
        text_put(t, "{\"process\":%d,\"type\":\"ok\",\"f\":\"append\",\"key\":\"%s\","
                    "\"value\":\"<%d>\"}\n", base + i, k, i);
    text_put(t, "{\"process\":%d,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"%s\"}\n",
             base + n, k);
    text_put(t, "{\"process\":%d,\"type\":\"ok\",\"f\":\"read\",\"key\":\"%s\",\"value\":\"",
             base + n, k);
    for (int i = n - 1; i >= 0; i--) text_put(t, "<%d>", i);
    text_put(t, "\"}\n");
}

/* Key k with fewer ops than an exploding key (so that a largest-first order reaches it
 * last): a write of "a", then a read of "b" — invalid at once. */
static void invalid_key(text_buf *t, const char *k, int p) {
    text_put(t,
             "{\"process\":%d,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"%s\",\"value\":\"a\"}\n"
             "{\"process\":%d,\"type\":\"ok\",\"f\":\"write\",\"key\":\"%s\",\"value\":\"a\"}\n"
             "{\"process\":%d,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"%s\"}\n"
             "{\"process\":%d,\"type\":\"ok\",\"f\":\"read\",\"key\":\"%s\",\"value\":\"b\"}\n",
             p, k, p, k, p, k, p, k);
}

/* Key k: a write of "a" and a read of it — valid. */
static void valid_key(text_buf *t, const char *k, int p) {
    text_put(t,
             "{\"process\":%d,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"%s\",\"value\":\"a\"}\n"
             "{\"process\":%d,\"type\":\"ok\",\"f\":\"write\",\"key\":\"%s\",\"value\":\"a\"}\n"
             "{\"process\":%d,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"%s\"}\n"
             "{\"process\":%d,\"type\":\"ok\",\"f\":\"read\",\"key\":\"%s\",\"value\":\"a\"}\n",
             p, k, p, k, p, k, p, k);
}

static checker_run check_kv(const char *text, fl_lin_options o) {
    checker_run r = checker_run_on(text);
    o.model = fl_model_find("kv");
    r.result = fl_check_linearizable(r.h, &o, &r.err);
    assert_checked(&r);
    return r;
}

static const json_t *key_of(const checker_run *r, const char *k) {
    const json_t *key = json_object_get(result_field(r->result, "keys"), k);
    if (!key) fail_msg("no key %s in the result", k);
    return key;
}

static void assert_stopped_early(const checker_run *r, const char *k) {
    const json_t *key = key_of(r, k);
    assert_int_equal(verdict_of(json_object_get(key, "valid")), -1);
    assert_non_null(strstr(json_string_value(json_object_get(key, "reason")), "not checked"));
    json_int_t steps = result_count(key, "steps");
    if (steps >= STOPPED_EARLY_STEPS)
        fail_msg("key %s took %lld steps before the invalid key stopped it", k,
                 (long long)steps);
}

/* Exploding keys (the larger, so a largest-first order takes them first) and one
 * invalid key on the given threads: the invalid key is found after a slice or two of
 * each, and stops them. Before turns, each thread searched an exploding key to its
 * memory budget first (on kv c50-bad with one thread: 109 s and 14 GiB). */
static void quick_invalid_key_not_stuck(int threads, int exploding) {
    text_buf t = {0};
    char name[16];
    for (int i = 0; i < exploding; i++) {
        snprintf(name, sizeof name, "e%d", i);
        exploding_key(&t, name, 20 * i, 11);
    }
    invalid_key(&t, "q", 20 * exploding);
    fl_lin_options o = {.threads = threads, .memory_limit_bytes = (size_t)1 << 30};
    checker_run r = check_kv(t.s, o);
    assert_int_equal(run_verdict(&r), 0);
    assert_int_equal(verdict_of(json_object_get(key_of(&r, "q"), "valid")), 0);
    for (int i = 0; i < exploding; i++) {
        snprintf(name, sizeof name, "e%d", i);
        assert_stopped_early(&r, name);
    }
    checker_run_free(&r);
    free(t.s);
}

static void quick_invalid_key_not_stuck_one_thread(void **state) {
    (void)state;
    quick_invalid_key_not_stuck(1, 1);
}

/* Each of the two threads is busy with an exploding key when the queue reaches the
 * invalid one, which still gets its turn. */
static void quick_invalid_key_not_stuck_two_threads(void **state) {
    (void)state;
    quick_invalid_key_not_stuck(2, 2);
}

/* --all-keys on one thread: every key but the exploding one is decided, and that one
 * is "unknown" by the memory budget — never a guess. */
static void all_keys_memory_budget_gives_unknown(void **state) {
    (void)state;
    text_buf t = {0};
    exploding_key(&t, "e", 0, 11);
    invalid_key(&t, "q", 20);
    valid_key(&t, "v", 21);
    fl_lin_options o = {.threads = 1, .all_keys = true, .certify = true,
                        .memory_limit_bytes = (size_t)32 << 20};
    checker_run r = check_kv(t.s, o);
    assert_int_equal(run_verdict(&r), 0);
    assert_int_equal(verdict_of(json_object_get(key_of(&r, "q"), "valid")), 0);
    assert_int_equal(verdict_of(json_object_get(key_of(&r, "v"), "valid")), 1);
    const json_t *e = key_of(&r, "e");
    assert_int_equal(verdict_of(json_object_get(e, "valid")), -1);
    assert_non_null(strstr(json_string_value(json_object_get(e, "reason")), "memory"));
    checker_run_free(&r);
    free(t.s);
}

/* ------------------------------------------------------------------------------------ */
/* The search in slices                                                                 */

/* Every key of h prepared for a search (free with fl_partitions_free). */
static fl_partition *prepared_keys(const fl_history *h, const fl_model *m, size_t *count) {
    fl_partition *parts;
    assert_int_equal(fl_partition_split(h, &parts, count), 0);
    for (size_t k = 0; k < *count; k++) {
        const char *why;
        int64_t bad;
        assert_int_equal(fl_partition_prepare(h, m, &parts[k], &why, &bad), 0);
    }
    return parts;
}

/* Every key of a corpus file searched straight through and in slices of `slice` steps:
 * the same verdict, steps, blocked call, memo and linearization. */
static void same_in_slices(const char *file, const char *model_name, uint64_t slice) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", FL_CORPUS_DIR, file);
    fl_history *h;
    fl_error err;
    if (fl_history_read_file(path, NULL, &h, &err) != FL_READ_OK) fail_msg("%s", err.message);
    const fl_model *m = fl_model_find(model_name);
    size_t count;
    fl_partition *parts = prepared_keys(h, m, &count);
    for (size_t k = 0; k < count; k++) {
        fl_partition *p = &parts[k];
        fl_search_result whole, sliced;
        assert_int_equal(fl_search(m, &p->in, p->calls, p->call_count, NULL, -1, &whole), 0);
        fl_search_task *task = fl_search_begin(m, &p->in, p->calls, p->call_count, NULL, -1,
                                               &sliced);
        assert_non_null(task);
        size_t turns = 1;
        while (!fl_search_resume(task, slice)) turns++;
        fl_search_end(task, "suspended");
        assert_int_equal(sliced.verdict, whole.verdict);
        assert_int_equal(sliced.steps, whole.steps);
        assert_int_equal(sliced.blocked_call, whole.blocked_call);
        assert_int_equal(sliced.cache_entries, whole.cache_entries);
        assert_int_equal(sliced.order_len, whole.order_len);
        if (whole.order_len)
            assert_memory_equal(sliced.order, whole.order, whole.order_len * sizeof *whole.order);
        assert_true(turns >= whole.steps / slice);
        fl_search_result_free(&whole);
        fl_search_result_free(&sliced);
    }
    fl_partitions_free(parts, count);
    fl_history_free(h);
}

static void slices_decide_as_one_run(void **state) {
    (void)state;
    static const char *etcd[] = {"etcd/etcd_000.edn", "etcd/etcd_002.edn", "etcd/etcd_005.edn",
                                 "etcd/etcd_013.edn", "etcd/etcd_057.edn"};
    for (size_t i = 0; i < sizeof etcd / sizeof *etcd; i++) {
        same_in_slices(etcd[i], "cas-register", 1);
        same_in_slices(etcd[i], "cas-register", 1000);
    }
    same_in_slices("kv/c10-ok.jsonl", "kv", 7);
    same_in_slices("kv/c10-bad.jsonl", "kv", 7);
}

/* An exploding key alone, prepared for a search. */
typedef struct alone {
    text_buf t;
    checker_run r;
    const fl_model *m;
    fl_partition *parts;
    size_t count;
} alone;

static alone exploding_alone(int n) {
    alone a = {.m = fl_model_find("kv")};
    exploding_key(&a.t, "e", 0, n);
    a.r = checker_run_on(a.t.s);
    a.parts = prepared_keys(a.r.h, a.m, &a.count);
    assert_int_equal(a.count, 1);
    return a;
}

static void alone_free(alone *a) {
    fl_partitions_free(a->parts, a->count);
    checker_run_free(&a->r);
    free(a->t.s);
}

/* A suspended search ended early is unknown with the reason given. */
static void suspended_search_ends_unknown(void **state) {
    (void)state;
    alone a = exploding_alone(9);
    fl_search_result out;
    fl_search_task *task = fl_search_begin(a.m, &a.parts[0].in, a.parts[0].calls,
                                           a.parts[0].call_count, NULL, -1, &out);
    assert_false(fl_search_resume(task, 5000));
    assert_int_equal(out.steps, 5000);
    assert_false(fl_search_resume(task, 5000));
    assert_int_equal(out.steps, 10000);
    fl_search_end(task, "not my turn");
    assert_int_equal(out.verdict, FL_VERDICT_UNKNOWN);
    assert_string_equal(out.unknown_reason, "not my turn");
    assert_null(out.order);
    alone_free(&a);
}

/* ------------------------------------------------------------------------------------ */
/* Memory                                                                               */

/* The search's tables do not grow past the budget: it stops, unknown, holding about
 * what the budget allows (the interner is counted every 1024 steps, so a little over). */
static void tables_stay_within_budget(void **state) {
    (void)state;
    alone a = exploding_alone(11);
    atomic_size_t used = 0;
    size_t limit = (size_t)8 << 20;
    fl_budget budget = {.memory_limit_bytes = limit, .memory_used = &used};
    fl_search_result out;
    assert_int_equal(fl_search(a.m, &a.parts[0].in, a.parts[0].calls, a.parts[0].call_count,
                               &budget, -1, &out), 0);
    assert_int_equal(out.verdict, FL_VERDICT_UNKNOWN);
    assert_non_null(strstr(out.unknown_reason, "memory"));
    assert_true(out.peak_bytes <= limit + limit / 2);
    assert_int_equal(atomic_load(&used), 0); /* all given back */
    alone_free(&a);
}

static void interner_truncate_keeps_older_ids(void **state) {
    (void)state;
    fl_interner in;
    assert_int_equal(fl_interner_init(&in), 0);
    uint64_t a = fl_intern(&in, "alpha", 5), b = fl_intern(&in, "beta", 4);
    size_t mark = in.count;
    for (int i = 0; i < 10000; i++) {
        char s[32];
        int n = snprintf(s, sizeof s, "state %d", i);
        assert_true(fl_intern(&in, s, (size_t)n) > mark);
    }
    fl_derived_put(&in, 's', a, b, mark + 1);
    assert_int_equal(fl_interner_truncate(&in, mark), 0);
    assert_int_equal(in.count, mark);
    size_t len;
    assert_memory_equal(fl_interned(&in, a, &len), "alpha", 5);
    assert_int_equal(len, 5);
    assert_int_equal(fl_intern(&in, "beta", 4), b);
    assert_int_equal(fl_intern(&in, "state 7", 7), mark + 1); /* forgotten: a new id */
    assert_int_equal(fl_derived_get(&in, 's', a, b), FL_INTERN_FAILED);
    fl_interner_free(&in);
}

static void default_memory_budget(void **state) {
    (void)state;
    size_t d = fl_lin_memory_limit_default();
    assert_true(d > 0);
    assert_true(d <= (size_t)2 << 30);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quick_invalid_key_not_stuck_one_thread),
        cmocka_unit_test(quick_invalid_key_not_stuck_two_threads),
        cmocka_unit_test(all_keys_memory_budget_gives_unknown),
        cmocka_unit_test(slices_decide_as_one_run),
        cmocka_unit_test(suspended_search_ends_unknown),
        cmocka_unit_test(tables_stay_within_budget),
        cmocka_unit_test(interner_truncate_keeps_older_ids),
        cmocka_unit_test(default_memory_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
