/* Latency samples of the perf checker (see samples.h). Quantiles come from sorted
 * arrays rather than a histogram: exact, and a sort of 16-byte records is cheap next to
 * reading the history. */
#include "samples.h"

#include <assert.h>
#include <stdlib.h>

int fl_perf_samples_add(fl_perf_samples *ss, uint32_t group, uint32_t bucket,
                        int64_t latency_ns) {
    assert(latency_ns >= 0);
    if (ss->count == ss->capacity) {
        size_t n = ss->capacity ? ss->capacity * 2 : 1024;
        fl_perf_sample *s = realloc(ss->s, n * sizeof *s);
        if (!s) return -1;
        ss->s = s;
        ss->capacity = n;
    }
    ss->s[ss->count++] = (fl_perf_sample){group, bucket, latency_ns};
    return 0;
}

void fl_perf_samples_free(fl_perf_samples *ss) {
    free(ss->s);
    ss->s = NULL;
    ss->count = ss->capacity = 0;
}

#define COMPARE(x, y) \
    if ((x) != (y)) return (x) < (y) ? -1 : 1

static int by_latency(const void *pa, const void *pb) {
    const fl_perf_sample *a = pa, *b = pb;
    COMPARE(a->group, b->group);
    COMPARE(a->latency_ns, b->latency_ns);
    return 0;
}

static int by_bucket(const void *pa, const void *pb) {
    const fl_perf_sample *a = pa, *b = pb;
    COMPARE(a->group, b->group);
    COMPARE(a->bucket, b->bucket);
    COMPARE(a->latency_ns, b->latency_ns);
    return 0;
}

void fl_perf_samples_sort_by_latency(fl_perf_samples *ss) {
    if (ss->count) qsort(ss->s, ss->count, sizeof *ss->s, by_latency);
}

void fl_perf_samples_sort_by_bucket(fl_perf_samples *ss) {
    if (ss->count) qsort(ss->s, ss->count, sizeof *ss->s, by_bucket);
}

size_t fl_perf_group_end(const fl_perf_samples *ss, size_t first) {
    assert(first < ss->count);
    size_t end = first + 1;
    while (end < ss->count && ss->s[end].group == ss->s[first].group) end++;
    return end;
}

int64_t fl_perf_percentile(const fl_perf_sample *sorted, size_t n, unsigned q) {
    assert(n > 0);
    assert(q >= 1 && q <= 100);
    size_t rank = (q * n + 99) / 100; /* ceil(q/100 * n), in 1..n */
    return sorted[rank - 1].latency_ns;
}

static json_t *ms(int64_t ns) { return json_real((double)ns / 1e6); }

json_t *fl_perf_quantiles_json(const fl_perf_sample *sorted, size_t n) {
    assert(n > 0);
    double sum_ns = 0;
    for (size_t i = 0; i < n; i++) sum_ns += (double)sorted[i].latency_ns;
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer((json_int_t)n));
    json_object_set_new(o, "min_ms", ms(sorted[0].latency_ns));
    json_object_set_new(o, "p50_ms", ms(fl_perf_percentile(sorted, n, 50)));
    json_object_set_new(o, "p95_ms", ms(fl_perf_percentile(sorted, n, 95)));
    json_object_set_new(o, "p99_ms", ms(fl_perf_percentile(sorted, n, 99)));
    json_object_set_new(o, "max_ms", ms(sorted[n - 1].latency_ns));
    json_object_set_new(o, "mean_ms", json_real(sum_ns / (double)n / 1e6));
    return o;
}

json_t *fl_perf_series_json(const fl_perf_sample *sorted, size_t n, int64_t start_ns,
                            int64_t bucket_ns) {
    json_t *points = json_array();
    for (size_t first = 0, end; first < n; first = end) {
        for (end = first + 1; end < n && sorted[end].bucket == sorted[first].bucket;) end++;
        size_t count = end - first;
        json_t *p = json_array();
        int64_t t_ns = start_ns + (int64_t)sorted[first].bucket * bucket_ns;
        json_array_append_new(p, json_integer(t_ns));
        json_array_append_new(p, json_integer((json_int_t)count));
        json_array_append_new(p, ms(fl_perf_percentile(sorted + first, count, 50)));
        json_array_append_new(p, ms(sorted[end - 1].latency_ns));
        json_array_append_new(points, p);
    }
    return points;
}
