/* Latency scatter, quantiles and throughput for the report (see perf.h). */
#include "perf.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"

#define OUTCOMES 3 /* ok, fail, info: FL_OK .. FL_INFO */
static const char *const outcome_names[OUTCOMES] = {"ok", "fail", "info"};
_Static_assert(FL_OK + 1 == FL_FAIL && FL_FAIL + 1 == FL_INFO, "outcomes are consecutive");

static bool has_latency(const rp_op *op) { return op->outcome != RP_OPEN; }

/* Series id of a completed op: f and outcome together. */
static size_t series_of(const rp_op *op) { return (size_t)op->f * OUTCOMES + (op->outcome - FL_OK); }

static double ms(int64_t ns) { return (double)ns / 1e6; }

/* One series' scatter: per bucket the ops with the least and the most latency. */
typedef struct scatter {
    size_t buckets;
    int64_t *low, *high; /* op ids per bucket, or RP_NONE */
} scatter;

typedef struct perf {
    const rp_history *h;
    size_t series;
    size_t *count;      /* ops per series */
    int64_t t0;         /* the start of the time range plotted, ns */
    double span_ns;     /* its length (a double: see latency_ns) */
    scatter *scatters;
} perf;

/* Differences of times are taken in double: the history's times are any int64 (an
 * integer "time" is not range-checked), and two of them can be 2^64 apart. */
static double latency_ns(const rp_op *op) { return (double)op->complete_ns - (double)op->invoke_ns; }

static size_t bucket_of(const perf *p, int64_t t, size_t buckets) {
    if (t <= p->t0) return 0;
    double b = ((double)t - (double)p->t0) / p->span_ns * (double)buckets;
    return b < (double)buckets ? (size_t)b : buckets - 1;
}

static int scatter_fill(perf *p, size_t total) {
    size_t floor_each = p->series * 2 <= RP_SCATTER_POINTS ? 2 : 0;
    size_t spare = RP_SCATTER_POINTS - floor_each * p->series;
    for (size_t s = 0; s < p->series; s++) {
        if (!p->count[s]) continue;
        size_t points = floor_each + (size_t)((double)spare * (double)p->count[s] / (double)total);
        scatter *sc = &p->scatters[s];
        sc->buckets = points / 2;
        if (!sc->buckets) continue;
        sc->low = malloc(sc->buckets * sizeof *sc->low);
        sc->high = malloc(sc->buckets * sizeof *sc->high);
        if (!sc->low || !sc->high) return -1;
        for (size_t b = 0; b < sc->buckets; b++) sc->low[b] = sc->high[b] = RP_NONE;
    }
    for (size_t i = 0; i < p->h->op_count; i++) {
        const rp_op *op = &p->h->ops[i];
        if (!has_latency(op)) continue;
        scatter *sc = &p->scatters[series_of(op)];
        if (!sc->buckets) continue;
        size_t b = bucket_of(p, op->invoke_ns, sc->buckets);
        double l = latency_ns(op);
        if (sc->low[b] == RP_NONE || l < latency_ns(&p->h->ops[sc->low[b]])) sc->low[b] = (int64_t)i;
        if (sc->high[b] == RP_NONE || l > latency_ns(&p->h->ops[sc->high[b]])) sc->high[b] = (int64_t)i;
    }
    return 0;
}

static json_t *point(const rp_op *op) {
    return json_pack("[f,f,I]", ms(op->invoke_ns), latency_ns(op) / 1e6, (json_int_t)op->index);
}

static json_t *scatter_json(const perf *p) {
    json_t *series = json_array();
    size_t shown = 0;
    for (size_t s = 0; s < p->series; s++) {
        if (!p->count[s]) continue;
        const scatter *sc = &p->scatters[s];
        json_t *points = json_array();
        for (size_t b = 0; b < sc->buckets; b++) {
            int64_t lo = sc->low[b], hi = sc->high[b];
            if (lo == RP_NONE) continue;
            json_array_append_new(points, point(&p->h->ops[lo]));
            if (hi != lo) json_array_append_new(points, point(&p->h->ops[hi]));
        }
        shown += json_array_size(points);
        json_array_append_new(series, json_pack("{s:s,s:s,s:I,s:o}", "f", p->h->fs[s / OUTCOMES],
                                                "type", outcome_names[s % OUTCOMES], "count",
                                                (json_int_t)p->count[s], "points", points));
    }
    assert(shown <= RP_SCATTER_POINTS);
    return json_pack("{s:o,s:I}", "series", series, "points", (json_int_t)shown);
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest latency with at least q of all at or below it. */
static double quantile_ms(const double *sorted_ns, size_t n, double q) {
    size_t rank = (size_t)(q * (double)n + 0.999999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted_ns[rank - 1] / 1e6;
}

static json_t *quantiles_json(const perf *p, size_t total) {
    double *all = malloc((total ? total : 1) * sizeof *all);
    size_t *start = calloc(p->series + 1, sizeof *start);
    if (!all || !start) {
        free(all);
        free(start);
        return NULL;
    }
    for (size_t s = 0; s < p->series; s++) start[s + 1] = start[s] + p->count[s];
    for (size_t i = 0; i < p->h->op_count; i++) { /* grouped by series, as a counting sort */
        const rp_op *op = &p->h->ops[i];
        if (has_latency(op)) all[start[series_of(op)]++] = latency_ns(op);
    }
    json_t *rows = json_array();
    for (size_t s = 0, from = 0; s < p->series; from += p->count[s], s++) {
        size_t n = p->count[s];
        if (!n) continue;
        double *l = all + from;
        qsort(l, n, sizeof *l, compare_double);
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += l[i];
        json_array_append_new(rows, json_pack(
            "{s:s,s:s,s:I,s:f,s:f,s:f,s:f,s:f,s:f}", "f", p->h->fs[s / OUTCOMES], "type",
            outcome_names[s % OUTCOMES], "count", (json_int_t)n, "mean_ms", sum / (double)n / 1e6,
            "p50_ms", quantile_ms(l, n, 0.5), "p90_ms", quantile_ms(l, n, 0.9), "p99_ms",
            quantile_ms(l, n, 0.99), "p999_ms", quantile_ms(l, n, 0.999), "max_ms", l[n - 1] / 1e6));
    }
    free(all);
    free(start);
    return rows;
}

static json_t *throughput_json(const perf *p) {
    size_t counts[OUTCOMES][RP_THROUGHPUT_BUCKETS] = {{0}};
    for (size_t i = 0; i < p->h->op_count; i++) {
        const rp_op *op = &p->h->ops[i];
        if (has_latency(op))
            counts[op->outcome - FL_OK][bucket_of(p, op->complete_ns, RP_THROUGHPUT_BUCKETS)]++;
    }
    double bucket_s = p->span_ns / 1e9 / RP_THROUGHPUT_BUCKETS;
    json_t *t = json_pack("{s:f,s:f}", "start_ms", ms(p->t0), "bucket_ms", bucket_s * 1e3);
    for (size_t o = 0; o < OUTCOMES; o++) {
        json_t *rates = json_array();
        for (size_t b = 0; b < RP_THROUGHPUT_BUCKETS; b++)
            json_array_append_new(rates, json_real((double)counts[o][b] / bucket_s));
        json_object_set_new(t, outcome_names[o], rates);
    }
    return t;
}

static void perf_free(perf *p) {
    for (size_t s = 0; p->scatters && s < p->series; s++) {
        free(p->scatters[s].low);
        free(p->scatters[s].high);
    }
    free(p->scatters);
    free(p->count);
}

json_t *rp_perf_json(const rp_history *h) {
    perf p = {.h = h, .series = h->f_count * OUTCOMES, .t0 = 0};
    size_t total = 0, open = 0;
    for (size_t i = 0; i < h->op_count; i++)
        if (h->ops[i].invoke_ns < p.t0) p.t0 = h->ops[i].invoke_ns;
    p.span_ns = (double)h->end_ns - (double)p.t0;
    if (p.span_ns < 1e6) p.span_ns = 1e6; /* at least 1 ms */
    p.count = calloc(p.series ? p.series : 1, sizeof *p.count);
    p.scatters = calloc(p.series ? p.series : 1, sizeof *p.scatters);
    json_t *out = NULL;
    if (!p.count || !p.scatters) goto done;
    for (size_t i = 0; i < h->op_count; i++) {
        if (has_latency(&h->ops[i])) p.count[series_of(&h->ops[i])]++, total++;
        else open++;
    }
    if (scatter_fill(&p, total ? total : 1) != 0) goto done;
    json_t *quantiles = quantiles_json(&p, total);
    if (!quantiles) goto done;
    out = json_pack("{s:o,s:o,s:o,s:I}", "latency", scatter_json(&p), "quantiles", quantiles,
                    "throughput", throughput_json(&p), "never_completed", (json_int_t)open);
done:
    perf_free(&p);
    return out;
}
