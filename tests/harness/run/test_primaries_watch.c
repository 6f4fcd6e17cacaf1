/* The primaries watcher (harness/run/primaries_watch.h) on a scripted target: an event
 * per change of answer and none for a repeat, an error recorded once as unknown, the
 * end event, a stop between polls at once and during a slow poll after that one poll
 * only; and, through the real history writer with workers and a nemesis writing at
 * the same time, a history whose indices and times run in file order. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "history.h"
#include "history_writer.h"
#include "primaries.h"
#include "primaries_watch.h"

static const char *const NAMES[] = {"n1", "n2", "n3"};

/* A scripted target: answer i of the script at poll i (the last one from then on);
 * -1 is an error. Each poll takes sleep_ms. */
typedef struct script {
    const int64_t *answers;
    size_t count;
    atomic_size_t polls;
    long sleep_ms;
    json_t *events;          /* what was recorded */
    pthread_mutex_t mu;
    fl_hwriter *writer;      /* or NULL */
} script;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ask(void *ctx, uint64_t *nodes, char *err, size_t bytes) {
    script *s = ctx;
    size_t i = atomic_fetch_add(&s->polls, 1);
    if (s->sleep_ms) sleep_ms(s->sleep_ms);
    int64_t a = s->answers[i < s->count ? i : s->count - 1];
    if (a < 0) return snprintf(err, bytes, "n%zu: status timed out (poll %zu)", i % 3 + 1, i), -1;
    *nodes = (uint64_t)a;
    return 0;
}

static void record(void *ctx, const json_t *value) {
    script *s = ctx;
    pthread_mutex_lock(&s->mu);
    json_array_append_new(s->events, json_deep_copy(value));
    pthread_mutex_unlock(&s->mu);
    if (s->writer) fl_hwriter_nemesis(s->writer, FL_PRIMARIES_F, value);
}

static int64_t now_ns(void *ctx) {
    (void)ctx;
    return now_ms() * 1000000;
}

static void watch(script *s, fl_primaries_watch *w, long period_ms) {
    s->events = json_array();
    pthread_mutex_init(&s->mu, NULL);
    fl_primaries_watch_io io = {.ctx = s, .ask = ask, .record = record, .now_ns = now_ns,
                                .names = NAMES, .node_count = 3};
    char err[128];
    assert_int_equal(fl_primaries_watch_start(w, &io, period_ms, err, sizeof err), 0);
}

static void wait_polls(script *s, size_t n) {
    for (int i = 0; i < 5000 && atomic_load(&s->polls) < n; i++) sleep_ms(1);
    assert_true(atomic_load(&s->polls) >= n);
}

/* The recorded values without asked_ns (a time), as compact JSON. */
static char *events_text(script *s) {
    size_t i;
    json_t *e;
    json_array_foreach(s->events, i, e) json_object_del(e, "asked_ns");
    return json_dumps(s->events, JSON_COMPACT);
}

static void done(script *s) {
    json_decref(s->events);
    pthread_mutex_destroy(&s->mu);
}

static void an_event_per_change(void **state) {
    (void)state;
    /* n1, n1, n1, none, n2, n2, n2+n3 (a split brain), n2+n3 … */
    static const int64_t answers[] = {1, 1, 1, 0, 2, 2, 6};
    script s = {.answers = answers, .count = 7};
    fl_primaries_watch w;
    watch(&s, &w, 5);
    wait_polls(&s, 10);
    fl_primaries_watch_stop(&w);
    char *got = events_text(&s);
    assert_string_equal(got, "[{\"nodes\":[\"n1\"]},{\"nodes\":[]},{\"nodes\":[\"n2\"]},"
                             "{\"nodes\":[\"n2\",\"n3\"]},{\"nodes\":null,\"end\":true}]");
    assert_int_equal(w.events, 5);
    assert_true(w.polls >= 10);
    free(got);
    done(&s);
}

static void an_error_is_unknown_once(void **state) {
    (void)state;
    /* error ×3 (different messages), n1, error ×2, n1 */
    static const int64_t answers[] = {-1, -1, -1, 1, -1, -1, 1};
    script s = {.answers = answers, .count = 7};
    fl_primaries_watch w;
    watch(&s, &w, 5);
    wait_polls(&s, 9);
    fl_primaries_watch_stop(&w);
    size_t i;
    json_t *e;
    json_array_foreach(s.events, i, e) {
        json_t *error = json_object_get(e, "error");
        if (json_is_string(error)) { /* the first error's words, kept for the report */
            assert_non_null(strstr(json_string_value(error), "status timed out"));
            json_object_del(e, "error");
        }
        assert_true(i == json_array_size(s.events) - 1 || json_is_integer(json_object_get(e, "asked_ns")));
    }
    char *got = events_text(&s);
    assert_string_equal(got, "[{\"nodes\":null},{\"nodes\":[\"n1\"]},{\"nodes\":null},"
                             "{\"nodes\":[\"n1\"]},{\"nodes\":null,\"end\":true}]");
    free(got);
    done(&s);
}

static void bits_past_the_nodes_are_no_answer(void **state) {
    (void)state;
    static const int64_t answers[] = {1 << 5};
    script s = {.answers = answers, .count = 1};
    fl_primaries_watch w;
    watch(&s, &w, 5);
    wait_polls(&s, 3);
    fl_primaries_watch_stop(&w);
    assert_int_equal(json_array_size(s.events), 2);
    assert_true(json_is_null(json_object_get(json_array_get(s.events, 0), "nodes")));
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(s.events, 0), "error")), "0x20"));
    done(&s);
}

static void a_stop_between_polls_is_at_once(void **state) {
    (void)state;
    static const int64_t answers[] = {1};
    script s = {.answers = answers, .count = 1};
    fl_primaries_watch w;
    watch(&s, &w, 10000);
    wait_polls(&s, 1);
    sleep_ms(50);
    int64_t t0 = now_ms();
    fl_primaries_watch_stop(&w);
    int64_t took = now_ms() - t0;
    assert_true(took < 100);
    assert_int_equal(atomic_load(&s.polls), 1);
    assert_int_equal(json_array_size(s.events), 2);
    done(&s);
}

static void a_stop_waits_for_one_poll_only(void **state) {
    (void)state;
    static const int64_t answers[] = {1, 2};
    script s = {.answers = answers, .count = 2, .sleep_ms = 400};
    fl_primaries_watch w;
    watch(&s, &w, 10);
    wait_polls(&s, 2); /* the second poll is under way */
    int64_t t0 = now_ms();
    fl_primaries_watch_stop(&w);
    int64_t took = now_ms() - t0;
    assert_true(took <= 400 + 200); /* the poll's 400 ms, and a loaded machine's slack */
    assert_int_equal(atomic_load(&s.polls), 2); /* no poll after the stop */
    assert_true(w.longest_poll_ns >= 400 * 1000000LL);
    done(&s);
}

static void stopping_a_watch_never_started_is_safe(void **state) {
    (void)state;
    fl_primaries_watch w = {0};
    fl_primaries_watch_stop(&w);
    fl_primaries_watch_stop(&w);
    assert_int_equal(w.events, 0);
}

/* ---- with the history writer, workers and a nemesis writing at once ---- */

#define WORKERS 4
#define OPS 3000

static fl_hwriter writer;
static atomic_bool workers_done;

static void *worker(void *arg) {
    int64_t process = (int64_t)(intptr_t)arg;
    for (int i = 0; i < OPS; i++) {
        json_t *v = json_integer(process * OPS + i);
        fl_hwriter_invoke(&writer, process, "add", NULL, v);
        fl_hwriter_complete(&writer, process, "ok", "add", NULL, v, "n1", NULL);
        json_decref(v);
    }
    return NULL;
}

static void *nemesis(void *arg) {
    (void)arg;
    while (!atomic_load(&workers_done)) {
        json_t *v = json_pack("{s:s,s:[s]}", "kind", "kill", "nodes", "n1");
        fl_hwriter_nemesis(&writer, "kill-start", v);
        fl_hwriter_nemesis(&writer, "kill-stop", v);
        json_decref(v);
        sleep_ms(1);
    }
    return NULL;
}

static void writers_at_once_give_a_well_formed_history(void **state) {
    (void)state;
    char path[] = "/tmp/fl-primaries-watch-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char err[256];
    assert_int_equal(fl_hwriter_open(&writer, path, &start, err, sizeof err), 0);
    static const int64_t answers[] = {1, 2, -1, 4, 1, 2, 4, -1, 1, 2, 4};
    script s = {.answers = answers, .count = 11, .writer = &writer};
    fl_primaries_watch w;
    watch(&s, &w, 1);
    pthread_t t[WORKERS], nem;
    pthread_create(&nem, NULL, nemesis, NULL);
    for (intptr_t i = 0; i < WORKERS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < WORKERS; i++) pthread_join(t[i], NULL);
    wait_polls(&s, 11);
    atomic_store(&workers_done, true);
    pthread_join(nem, NULL);
    fl_primaries_watch_stop(&w);
    assert_int_equal(fl_hwriter_close(&writer, err, sizeof err), 0);

    fl_history *h = NULL;
    fl_error e;
    fl_read_options ro = {0};
    assert_int_equal(fl_history_read_file(path, &ro, &h, &e), FL_READ_OK);
    assert_int_equal(fl_history_pair(h, &e), 0);
    size_t primaries = 0, client = 0;
    for (size_t i = 0; i < h->count; i++) {
        assert_int_equal(h->ops[i].index, (int64_t)i);
        if (i) assert_true(h->ops[i].time_ns >= h->ops[i - 1].time_ns); /* file order is time order */
        primaries += fl_is_primaries_event(h->ops[i].process, h->ops[i].type, h->ops[i].f);
        client += h->ops[i].process != FL_PROCESS_NEMESIS;
    }
    assert_int_equal(client, WORKERS * OPS * 2);
    assert_int_equal(primaries, json_array_size(s.events));
    assert_int_equal(primaries, 12); /* 11 answers, each a change, and the end */
    json_t *t2 = fl_history_primaries(h);
    assert_int_equal(json_integer_value(json_object_get(t2, "changes")), 10);
    json_decref(t2);
    fl_history_free(h);
    unlink(path);
    done(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_event_per_change),
        cmocka_unit_test(an_error_is_unknown_once),
        cmocka_unit_test(bits_past_the_nodes_are_no_answer),
        cmocka_unit_test(a_stop_between_polls_is_at_once),
        cmocka_unit_test(a_stop_waits_for_one_poll_only),
        cmocka_unit_test(stopping_a_watch_never_started_is_safe),
        cmocka_unit_test(writers_at_once_give_a_well_formed_history),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
