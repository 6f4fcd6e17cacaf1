/* The report's performance plots, computed over every client op (not only the ones the
 * page embeds) and cut down to what a browser draws quickly:
 *   latency  one series per f and outcome (ok, fail, info); each series is split into
 *            time buckets and keeps the fastest and the slowest op of each bucket, so
 *            outliers survive; at most RP_SCATTER_POINTS points over all series;
 *   quantiles per f and outcome: count, mean, p50, p90, p99, p99.9 and max (exact:
 *            nearest rank over every latency);
 *   throughput completions per second by outcome in RP_THROUGHPUT_BUCKETS buckets.
 * Latency is completion time minus invocation time; ops never completed have none and
 * are only counted. Times in the output are milliseconds since the run started. */
#ifndef FL_REPORT_PERF_H
#define FL_REPORT_PERF_H

#include <jansson.h>

#include "scan.h"

#define RP_SCATTER_POINTS 4000
#define RP_THROUGHPUT_BUCKETS 200

/* {"latency": {"series": [{"f", "type", "count", "points": [[t_ms, latency_ms, index]…]}],
 *              "points"}, "quantiles": [{"f", "type", "count", "mean_ms", "p50_ms",
 *  "p90_ms", "p99_ms", "p999_ms", "max_ms"}], "throughput": {"start_ms", "bucket_ms",
 *  "ok": [ops/s…], "fail": […], "info": […]}, "never_completed"}; NULL on OOM. */
json_t *rp_perf_json(const rp_history *h);

#endif
