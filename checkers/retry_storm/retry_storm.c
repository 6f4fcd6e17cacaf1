/* The retry-storm checker's measures over a history and an array of arrivals (see
 * retry_storm.h): times sorted once, then every count is two binary searches, so a
 * window, a bucket or a sliding second costs O(log n) whatever the run's length. */
#include "retry_storm.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "empty_history.h"
#include "windows.h"

#define SECOND 1000000000LL
#define TENTH 100000000LL
#define WAVE_BUCKETS ((FL_RS_AFTER_STOP_NS - FL_RS_BACKLOG_NS) / TENTH)

static const char *const outcome_names[FL_RS_OUTCOMES] = {"ok", "repeat", "overloaded",
                                                          "idem-mismatch", "malformed"};

int fl_rs_outcome_parse(const char *s) {
    for (int i = 0; i < FL_RS_OUTCOMES; i++)
        if (!strcmp(s, outcome_names[i])) return i;
    return -1;
}

/* An arrival on the history's clock, with its call (for the distinct calls of a window). */
typedef struct timed_call {
    int64_t t;
    int64_t call;
    int32_t attempt;
} timed_call;

/* A call and the highest attempt number logged for it. */
typedef struct call_attempts {
    int64_t call;
    int32_t attempts;
} call_attempts;

typedef struct storm {
    const fl_history *h;
    timed_call *arrivals;  /* by time */
    int64_t *arrival_t;    /* the same times, alone, for the searches */
    size_t n;
    int64_t *good;         /* completions of ok order and cancel ops, by time */
    size_t good_n;
    int64_t client_end;    /* the last client op's time: the end of what clients saw */
    int64_t end;           /* the last time anything (op, arrival, completion) happened */
    fl_fault_windows fw;
    double base_goodput, base_arrivals;
    size_t steady;
    int64_t *calls;        /* scratch: one window's calls */
    call_attempts *per_call; /* by call */
    size_t per_call_n;
} storm;

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_call(const void *a, const void *b) {
    return cmp_i64(&((const call_attempts *)a)->call, &((const call_attempts *)b)->call);
}

static int cmp_timed(const void *a, const void *b) {
    return cmp_i64(&((const timed_call *)a)->t, &((const timed_call *)b)->t);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The first position of sorted t[0..n) holding a value ≥ v. */
static size_t lower_bound(const int64_t *t, size_t n, int64_t v) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* How many of sorted t[0..n) lie in [lo, hi). */
static size_t count_in(const int64_t *t, size_t n, int64_t lo, int64_t hi) {
    if (hi <= lo) return 0;
    return lower_bound(t, n, hi) - lower_bound(t, n, lo);
}

/* The median of v[0..n) (sorted in place), n > 0: the mean of the middle two when even. */
static double median(double *v, size_t n) {
    assert(n > 0);
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double seconds(int64_t ns) { return (double)ns / 1e9; }

static bool is_goodput(const fl_op *op) {
    return op->process != FL_PROCESS_NEMESIS && op->type == FL_OK &&
           (!strcmp(op->f, "order") || !strcmp(op->f, "cancel"));
}

/* Sorted times of the arrivals and the goodput; the client ops' end and the run's end. */
static int collect(storm *s, const fl_rs_arrival *a, size_t n, int64_t origin_ns) {
    const fl_history *h = s->h;
    s->arrivals = malloc((n ? n : 1) * sizeof *s->arrivals);
    s->arrival_t = malloc((n ? n : 1) * sizeof *s->arrival_t);
    s->calls = malloc((n ? n : 1) * sizeof *s->calls);
    s->good = malloc((h->count ? h->count : 1) * sizeof *s->good);
    s->per_call = malloc((n ? n : 1) * sizeof *s->per_call);
    if (!s->arrivals || !s->arrival_t || !s->calls || !s->good || !s->per_call) return -1;
    for (size_t i = 0; i < n; i++) s->per_call[i] = (call_attempts){a[i].call, a[i].attempt};
    qsort(s->per_call, n, sizeof *s->per_call, cmp_call);
    for (size_t i = 0; i < n; i++) { /* one entry per call, its highest attempt */
        call_attempts *last = s->per_call_n ? &s->per_call[s->per_call_n - 1] : NULL;
        if (last && last->call == s->per_call[i].call) {
            if (s->per_call[i].attempts > last->attempts) last->attempts = s->per_call[i].attempts;
        } else {
            s->per_call[s->per_call_n++] = s->per_call[i];
        }
    }
    for (size_t i = 0; i < n; i++) {
        s->arrivals[i] = (timed_call){a[i].arrived_ns - origin_ns, a[i].call, a[i].attempt};
        int64_t done = a[i].done_ns - origin_ns;
        if (done > s->end) s->end = done;
    }
    qsort(s->arrivals, n, sizeof *s->arrivals, cmp_timed);
    for (size_t i = 0; i < n; i++) s->arrival_t[i] = s->arrivals[i].t;
    s->n = n;
    if (n && s->arrival_t[n - 1] > s->end) s->end = s->arrival_t[n - 1];
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->time_ns > s->end) s->end = op->time_ns;
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if (op->time_ns > s->client_end) s->client_end = op->time_ns;
        if (is_goodput(op)) s->good[s->good_n++] = op->time_ns;
    }
    qsort(s->good, s->good_n, sizeof *s->good, cmp_i64);
    return 0;
}

static int64_t window_start(const storm *s, size_t i) {
    return s->h->ops[s->fw.windows[i].start_pos].time_ns;
}

/* A window never stopped lasts to the end of the history. */
static int64_t window_stop(const storm *s, size_t i) {
    int64_t pos = s->fw.windows[i].stop_pos;
    return pos < 0 ? s->end : s->h->ops[pos].time_ns;
}

/* Baseline goodput and arrivals over the steady 1 s buckets: after the warm-up, ending
 * by the last client op, meeting no W. -1 when memory ran out. */
static int baseline(storm *s) {
    int64_t buckets = s->client_end / SECOND; /* [k, k+1) s ends by client_end for k < this */
    if (buckets <= FL_RS_WARMUP_NS / SECOND) return 0;
    bool *faulty = calloc((size_t)buckets, sizeof *faulty);
    double *good = malloc((size_t)buckets * sizeof *good);
    double *tenths = malloc((size_t)buckets * 10 * sizeof *tenths);
    int rc = faulty && good && tenths ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < s->fw.count; i++) {
        /* The buckets [k, k+1) s meeting [start, stop + 10 s]. */
        int64_t start = window_start(s, i), last = window_stop(s, i) + FL_RS_AFTER_STOP_NS;
        int64_t from = start < 0 ? 0 : start / SECOND;
        for (int64_t k = from; k < buckets && k * SECOND <= last; k++) faulty[k] = true;
    }
    size_t tenth_n = 0;
    for (int64_t k = FL_RS_WARMUP_NS / SECOND; rc == 0 && k < buckets; k++) {
        if (faulty[k]) continue;
        good[s->steady++] = (double)count_in(s->good, s->good_n, k * SECOND, (k + 1) * SECOND);
        for (int64_t j = 0; j < 10; j++) {
            int64_t lo = k * SECOND + j * TENTH;
            tenths[tenth_n++] = (double)count_in(s->arrival_t, s->n, lo, lo + TENTH);
        }
    }
    if (rc == 0 && s->steady) {
        s->base_goodput = median(good, s->steady);
        s->base_arrivals = median(tenths, tenth_n);
    }
    free(faulty);
    free(good);
    free(tenths);
    return rc;
}

/* ------------------------------------------------------------------------------------ */
/* One window                                                                           */

typedef struct window_measures {
    size_t arrivals, calls;
    int64_t attempts;      /* the hit calls' highest attempt numbers, summed */
    size_t peak;           /* the largest 100 ms bucket after the backlog */
    int64_t peak_at;       /* its start, or -1 when there was no arrival */
    int64_t recovery;      /* seconds; -1 not recovered; -2 unknown */
    const char *recovery_note;
} window_measures;

/* The distinct calls arriving in positions [from, to), and their highest attempt numbers
 * summed into *attempts. */
static size_t distinct_calls(storm *s, size_t from, size_t to, int64_t *attempts) {
    size_t m = 0;
    for (size_t i = from; i < to; i++) s->calls[m++] = s->arrivals[i].call;
    qsort(s->calls, m, sizeof *s->calls, cmp_i64);
    size_t distinct = 0;
    *attempts = 0;
    for (size_t i = 0; i < m; i++) {
        if (i > 0 && s->calls[i] == s->calls[i - 1]) continue;
        distinct++;
        call_attempts key = {s->calls[i], 0};
        const call_attempts *c = bsearch(&key, s->per_call, s->per_call_n, sizeof key, cmp_call);
        assert(c);
        *attempts += c->attempts;
    }
    return distinct;
}

/* The start of the first window that starts after t, or INT64_MAX. */
static int64_t next_start(const storm *s, int64_t t) {
    int64_t next = INT64_MAX;
    for (size_t j = 0; j < s->fw.count; j++) {
        int64_t at = window_start(s, j);
        if (at > t && at < next) next = at;
    }
    return next;
}

static void measure(storm *s, size_t i, window_measures *m) {
    int64_t start = window_start(s, i), stop = window_stop(s, i);
    size_t from = lower_bound(s->arrival_t, s->n, start);
    size_t to = lower_bound(s->arrival_t, s->n, stop + FL_RS_AFTER_STOP_NS + 1);
    *m = (window_measures){.arrivals = to - from, .peak_at = -1, .recovery = -2};
    size_t hit_to = lower_bound(s->arrival_t, s->n, stop + FL_RS_HIT_AFTER_STOP_NS + 1);
    m->calls = distinct_calls(s, from, hit_to, &m->attempts);
    /* Waves: 100 ms buckets (stop + 0.5 s + j/10 s, stop + 0.5 s + (j+1)/10 s], up to the
     * next fault's start. */
    int64_t base = stop + FL_RS_BACKLOG_NS;
    size_t counts[WAVE_BUCKETS] = {0};
    size_t wave_to = lower_bound(s->arrival_t, s->n, next_start(s, stop));
    if (wave_to > to) wave_to = to;
    for (size_t k = lower_bound(s->arrival_t, s->n, base + 1); k < wave_to; k++) {
        if (s->arrivals[k].attempt < 2) continue; /* a wave of retries: first attempts are load */
        size_t j = (size_t)((s->arrival_t[k] - base - 1) / TENTH);
        assert(j < WAVE_BUCKETS);
        counts[j]++;
    }
    for (size_t j = 0; j < WAVE_BUCKETS; j++) {
        if (counts[j] <= m->peak) continue;
        m->peak = counts[j];
        m->peak_at = base + (int64_t)j * TENTH;
    }
    if (s->fw.windows[i].stop_pos < 0) {
        m->recovery_note = "the fault was never stopped";
        return;
    }
    /* Recovery: the first second aligned to the stop with goodput back. */
    double want = FL_RS_RECOVERED_SHARE * s->base_goodput;
    for (int64_t k = 0; stop + (k + 1) * SECOND <= s->client_end; k++) {
        if ((double)count_in(s->good, s->good_n, stop + k * SECOND, stop + (k + 1) * SECOND) >= want) {
            m->recovery = k;
            return;
        }
    }
    if (stop > s->client_end - FL_RS_AFTER_STOP_NS)
        m->recovery_note = "the client ops ended less than 10 s after the stop: recovery not known";
    else
        m->recovery = -1;
}

/* ------------------------------------------------------------------------------------ */
/* The result                                                                           */

static json_t *flag(const storm *s, size_t i, const char *measure, json_t *value,
                    double threshold, const char *detail) {
    const char *kind = s->fw.kinds[s->fw.windows[i].kind];
    double start = seconds(window_start(s, i)), stop = seconds(window_stop(s, i));
    char *v = json_dumps(value, JSON_ENCODE_ANY | JSON_REAL_PRECISION(4));
    char text[512];
    snprintf(text, sizeof text, "%s window %zu (%.2f s to %.2f s): %s %s above %g: %s", kind,
             i + 1, start, stop, measure, v ? v : "?", threshold, detail);
    free(v);
    return json_pack("{s:I,s:s,s:f,s:f,s:s,s:o,s:f,s:s}", "window", (json_int_t)i + 1, "kind",
                     kind, "start_s", start, "stop_s", stop, "measure", measure, "value", value,
                     "threshold", threshold, "explanation", text);
}

/* Window i as JSON with its flags; *flags counts them. */
static json_t *window_json(storm *s, size_t i, bool judged, size_t *flags, json_t *summary) {
    window_measures m;
    measure(s, i, &m);
    json_t *list = json_array();
    char detail[256];
    double amplification = m.calls ? (double)m.attempts / (double)m.calls : 0;
    double wave = (double)m.peak / (s->base_arrivals > 1 ? s->base_arrivals : 1);
    if (judged && amplification > FL_RS_AMPLIFICATION_MAX) {
        snprintf(detail, sizeof detail, "%lld attempts by the %zu calls it hit",
                 (long long)m.attempts, m.calls);
        json_array_append_new(list, flag(s, i, "amplification", json_real(amplification),
                                         FL_RS_AMPLIFICATION_MAX, detail));
    }
    if (judged && wave > FL_RS_WAVE_RATIO_MAX) {
        snprintf(detail, sizeof detail, "%zu retries arrived in the 100 ms from %.2f s, against "
                 "a steady %.1f arrivals", m.peak, seconds(m.peak_at), s->base_arrivals);
        json_array_append_new(list, flag(s, i, "wave_ratio", json_real(wave),
                                         FL_RS_WAVE_RATIO_MAX, detail));
    }
    json_t *recovery = json_null();
    if (m.recovery >= 0) recovery = json_integer(m.recovery);
    if (m.recovery == -1) recovery = json_string("not-recovered");
    if (!judged) json_decref(recovery), recovery = json_null();
    if (judged && (m.recovery > FL_RS_RECOVERY_MAX_S || m.recovery == -1)) {
        snprintf(detail, sizeof detail, "%s %.0f %% of the steady goodput of %.1f ok ops/s",
                 m.recovery == -1 ? "never back to" : "that long to get back to",
                 FL_RS_RECOVERED_SHARE * 100, s->base_goodput);
        json_array_append_new(list, flag(s, i, "recovery_s", json_incref(recovery),
                                         FL_RS_RECOVERY_MAX_S, detail));
    }
    *flags += json_array_size(list);
    /* The summary keeps the worst of each measure. */
    json_t *max = json_object_get(summary, "max_amplification");
    if (m.calls && (json_is_null(max) || amplification > json_real_value(max)))
        json_object_set_new(summary, "max_amplification", json_real(amplification));
    max = json_object_get(summary, "max_wave_ratio");
    if (judged && (json_is_null(max) || wave > json_real_value(max)))
        json_object_set_new(summary, "max_wave_ratio", json_real(wave));
    max = json_object_get(summary, "max_recovery_s");
    if (judged && !json_is_string(max) &&
        (json_is_string(recovery) || (json_is_integer(recovery) &&
                                      (json_is_null(max) || m.recovery > json_integer_value(max)))))
        json_object_set(summary, "max_recovery_s", recovery);
    const char *note = judged ? m.recovery_note : "no steady state to compare with";
    return json_pack("{s:s,s:f,s:f,s:b,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:s*}", "kind",
                     s->fw.kinds[s->fw.windows[i].kind], "start_s", seconds(window_start(s, i)),
                     "stop_s", seconds(window_stop(s, i)), "stopped",
                     s->fw.windows[i].stop_pos >= 0, "arrivals", (json_int_t)m.arrivals,
                     "calls", (json_int_t)m.calls, "amplification",
                     m.calls ? json_real(amplification) : json_null(), "wave_ratio",
                     judged ? json_real(wave) : json_null(), "peak_bucket_s",
                     judged && m.peak_at >= 0 ? json_real(seconds(m.peak_at)) : json_null(),
                     "recovery_s", recovery, "flags", list, "note", note);
}

/* Per-bucket counts of the sorted times t[0..n) in buckets of width from 0; negative
 * times (before the run started) are left out. */
static json_t *series_of(const int64_t *t, size_t n, int64_t width, size_t buckets) {
    json_t *a = json_array();
    for (size_t b = 0; b < buckets; b++)
        json_array_append_new(a, json_integer((json_int_t)count_in(t, n, (int64_t)b * width,
                                                                   (int64_t)(b + 1) * width)));
    return a;
}

/* Arrivals, served (ok + repeat), shed and goodput per bucket of bucket_s seconds (1,
 * widened so there are at most FL_RS_SERIES_MAX), on the history's clock. */
static json_t *series_json(const storm *s, const fl_rs_arrival *a, size_t n, int64_t origin_ns) {
    int64_t seconds_n = s->end / SECOND + 1;
    int64_t width_s = (seconds_n + FL_RS_SERIES_MAX - 1) / FL_RS_SERIES_MAX;
    size_t buckets = (size_t)((seconds_n + width_s - 1) / width_s);
    int64_t *served = malloc((n ? n : 1) * sizeof *served);
    int64_t *shed = malloc((n ? n : 1) * sizeof *shed);
    json_t *r = NULL;
    if (served && shed) {
        size_t served_n = 0, shed_n = 0;
        for (size_t i = 0; i < n; i++) {
            int64_t done = a[i].done_ns - origin_ns;
            if (a[i].outcome == FL_RS_OK || a[i].outcome == FL_RS_REPEAT) served[served_n++] = done;
            if (a[i].outcome == FL_RS_OVERLOADED) shed[shed_n++] = done;
        }
        qsort(served, served_n, sizeof *served, cmp_i64);
        qsort(shed, shed_n, sizeof *shed, cmp_i64);
        int64_t width = width_s * SECOND;
        r = json_pack("{s:I,s:o,s:o,s:o,s:o}", "bucket_s", (json_int_t)width_s, "arrivals",
                      series_of(s->arrival_t, s->n, width, buckets), "served",
                      series_of(served, served_n, width, buckets), "goodput",
                      series_of(s->good, s->good_n, width, buckets), "shed",
                      series_of(shed, shed_n, width, buckets));
    }
    free(served);
    free(shed);
    return r;
}

static json_t *thresholds_json(void) {
    return json_pack("{s:f,s:f,s:i,s:f,s:f,s:f,s:f,s:i}", "amplification",
                     FL_RS_AMPLIFICATION_MAX, "wave_ratio", FL_RS_WAVE_RATIO_MAX, "recovery_s",
                     FL_RS_RECOVERY_MAX_S, "recovered_share", FL_RS_RECOVERED_SHARE,
                     "after_stop_s", seconds(FL_RS_AFTER_STOP_NS), "backlog_s",
                     seconds(FL_RS_BACKLOG_NS), "warmup_s", seconds(FL_RS_WARMUP_NS),
                     "min_steady_buckets", FL_RS_MIN_STEADY);
}

static json_t *result_json(storm *s, const fl_rs_arrival *a, size_t n, int64_t origin_ns) {
    /* Nothing to measure recovery against without steady seconds, or when the clients
     * saw nothing succeed in them (a median of 0: the service was down most of the run). */
    bool judged = s->steady >= FL_RS_MIN_STEADY && s->base_goodput > 0;
    json_t *summary = json_pack("{s:n,s:n,s:n}", "max_amplification", "max_wave_ratio",
                                "max_recovery_s");
    json_t *windows = json_array();
    size_t flags = 0;
    for (size_t i = 0; i < s->fw.count; i++)
        json_array_append_new(windows, window_json(s, i, judged, &flags, summary));
    json_t *valid = flags ? json_false() : json_true();
    const char *note = NULL, *reason = NULL;
    if (!s->fw.count) {
        note = "no fault windows: nothing to measure a storm in";
    } else if (!judged) {
        valid = json_string("unknown");
        reason = s->steady < FL_RS_MIN_STEADY
                     ? "no steady state to compare with: fewer than 5 steady 1 s buckets"
                     : "no steady state to compare with: no goodput in the steady buckets";
    }
    return json_pack("{s:o,s:s*,s:s*,s:I,s:I,s:o,s:{s:f,s:f,s:I},s:o,s:o*,s:o}", "valid", valid,
                     "reason", reason, "note", note, "arrival_count", (json_int_t)n,
                     "flag_count", (json_int_t)flags, "windows", windows, "baseline",
                     "goodput_per_s", s->base_goodput, "arrivals_per_100ms", s->base_arrivals,
                     "steady_buckets", (json_int_t)s->steady, "summary", summary, "series",
                     series_json(s, a, n, origin_ns), "thresholds", thresholds_json());
}

static bool has_times(const fl_history *h) {
    for (size_t i = 0; i < h->count; i++)
        if (h->ops[i].flags & FL_OP_HAS_TIME) return true;
    return false;
}

json_t *fl_check_retry_storm(const fl_history *h, const fl_rs_arrival *a, size_t n,
                             int64_t origin_ns) {
    if (!fl_history_has_client_ops(h))
        return fl_empty_history_valid(h, json_pack("{s:s}", "valid", "unknown"));
    if (!has_times(h))
        return json_pack("{s:s,s:s}", "valid", "unknown", "error",
                         "the history has no times: arrivals cannot be placed in it");
    storm s = {.h = h};
    fl_error err;
    json_t *r = NULL;
    if (fl_fault_windows_find(h, &s.fw, &err) != 0) {
        char msg[FL_ERR_BYTES + 256];
        fl_error_format(&err, msg, sizeof msg);
        r = json_pack("{s:s,s:s}", "valid", "unknown", "error", msg);
    } else if (collect(&s, a, n, origin_ns) == 0 && baseline(&s) == 0) {
        r = result_json(&s, a, n, origin_ns);
    }
    fl_fault_windows_free(&s.fw);
    free(s.arrivals);
    free(s.arrival_t);
    free(s.good);
    free(s.calls);
    free(s.per_call);
    return r;
}
