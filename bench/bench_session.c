/* Benchmark of the session checker: generates a list-append (or register) history in
 * memory — linearizable by construction (tests/support/gen_history.c), so every session
 * guarantee holds and the checker walks all of it — and prints the checker's wall time
 * and the peak RSS before and after checking. Figures only: no assertion on time.
 *
 *   bench_session [OPS [KEYS]]   default 1000000 ops (invocations), 20000 keys,
 *                                concurrency 10, 1% info, 1% fail */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "gen_history.h"
#include "session.h"

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

static size_t list_elements(const fl_history *h) {
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++)
        if (h->ops[i].type == FL_OK && json_is_array(h->ops[i].value))
            n += json_array_size(h->ops[i].value);
    return n;
}

int main(int argc, char **argv) {
    fl_gen_options o = {.seed = 7, .ops = 1000000, .keys = 20000, .concurrency = 10,
                        .info_rate = 0.01, .fail_rate = 0.01, .model = "list-append"};
    if (argc > 1) o.ops = strtoul(argv[1], NULL, 10);
    if (argc > 2) o.keys = strtoul(argv[2], NULL, 10);
    if (!o.ops || !o.keys) {
        fprintf(stderr, "usage: bench_session [OPS [KEYS]]\n");
        return 2;
    }
    double start = now_seconds();
    fl_history *h = fl_gen_history(&o);
    if (!h) {
        fprintf(stderr, "bench_session: could not generate the history\n");
        return 1;
    }
    double generated = now_seconds();
    double rss_history = peak_rss_mb();
    printf("history: %zu ops (%zu events), %zu keys, %s, %zu list elements read; generated "
           "in %.2f s, peak RSS %.0f MB\n",
           o.ops, h->count, o.keys, o.model, list_elements(h), generated - start, rss_history);
    fflush(stdout);

    fl_error err;
    double checking = now_seconds();
    json_t *result = fl_check_session(h, FL_SESSION_ALL, &err);
    double seconds = now_seconds() - checking;
    if (!result) {
        fprintf(stderr, "bench_session: refused: %s\n", err.message);
        return 1;
    }
    const json_t *valid = json_object_get(result, "valid");
    printf("session checker: %.3f s, valid %s, %lld sessions, %lld reads, peak RSS %.0f MB "
           "(+%.0f MB over the history)\n",
           seconds, json_is_true(valid) ? "true" : json_is_false(valid) ? "false" : "unknown",
           (long long)json_integer_value(json_object_get(result, "sessions")),
           (long long)json_integer_value(json_object_get(result, "reads")), peak_rss_mb(),
           peak_rss_mb() - rss_history);
    json_decref(result);
    fl_history_free(h);
    return json_is_true(valid) ? 0 : 1;
}
