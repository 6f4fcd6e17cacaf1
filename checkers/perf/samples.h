/* Latency samples of the perf checker (perf.h): a flat array of (group, bucket,
 * latency) records, sorted once per view, and the exact statistics of a sorted run of
 * one group — nearest-rank quantiles and per-bucket points for plots. */
#ifndef FL_PERF_SAMPLES_H
#define FL_PERF_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct fl_perf_sample {
    uint32_t group;     /* what the caller groups by (f and outcome, fault kind, ...) */
    uint32_t bucket;    /* time bucket of the op's invocation */
    int64_t latency_ns; /* >= 0 */
} fl_perf_sample;

typedef struct fl_perf_samples {
    fl_perf_sample *s;  /* owned */
    size_t count, capacity;
} fl_perf_samples;

/* 0, or -1 when out of memory. */
int fl_perf_samples_add(fl_perf_samples *ss, uint32_t group, uint32_t bucket,
                        int64_t latency_ns);
void fl_perf_samples_free(fl_perf_samples *ss);

/* Sort by (group, latency), or by (group, bucket, latency). */
void fl_perf_samples_sort_by_latency(fl_perf_samples *ss);
void fl_perf_samples_sort_by_bucket(fl_perf_samples *ss);

/* One past the last sample of the group that samples[first] belongs to (sorted). */
size_t fl_perf_group_end(const fl_perf_samples *ss, size_t first);

/* The nearest-rank q-th percentile (q in 1..100) of n >= 1 latencies sorted ascending. */
int64_t fl_perf_percentile(const fl_perf_sample *sorted, size_t n, unsigned q);

/* {"count", "min_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"} of a run of
 * n >= 1 samples sorted by latency (new reference). */
json_t *fl_perf_quantiles_json(const fl_perf_sample *sorted, size_t n);

/* [[t_ns, count, p50_ms, max_ms], ...] for each bucket of a run of n samples sorted by
 * (bucket, latency); bucket b starts at start_ns + b * bucket_ns (new reference). */
json_t *fl_perf_series_json(const fl_perf_sample *sorted, size_t n, int64_t start_ns,
                            int64_t bucket_ns);

#endif
