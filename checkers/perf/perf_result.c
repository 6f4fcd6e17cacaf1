/* The perf checker's result object (perf.h) from what its passes counted (perf.c):
 * counts, throughput, latency quantiles and series, fault windows, availability, nodes,
 * and the verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "perf_internal.h"

#define NEVER_OK_SHOWN_MAX 100
#define WINDOWS_SHOWN_MAX 2000

static const char *const outcome_names[OUTCOMES] = {"none", "ok", "fail", "info"};

static json_t *share(uint64_t part, uint64_t whole) {
    return whole ? json_real((double)part / (double)whole) : json_null();
}

static uint64_t invoked(const uint64_t counts[OUTCOMES]) {
    uint64_t n = 0;
    for (int o = 0; o < OUTCOMES; o++) n += counts[o];
    return n;
}

/* {"invoked", "ok", "fail", "info", "none"} */
static json_t *counts_json(const uint64_t counts[OUTCOMES]) {
    json_t *o = json_object();
    json_object_set_new(o, "invoked", json_integer((json_int_t)invoked(counts)));
    for (int k = FL_OK; k <= FL_INFO; k++)
        json_object_set_new(o, outcome_names[k], json_integer((json_int_t)counts[k]));
    json_object_set_new(o, "none", json_integer((json_int_t)counts[OUTCOME_NONE]));
    return o;
}

static json_t *u64_array(const uint64_t *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(a, json_integer((json_int_t)v[i]));
    return a;
}

static json_t *throughput_json(const perf *p) {
    if (!p->timed) return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "start_ns", json_integer(p->start_ns));
    json_object_set_new(o, "bucket_ns", json_integer(p->bucket_ns));
    json_object_set_new(o, "ok", u64_array(p->throughput_ok, p->bucket_count));
    json_object_set_new(o, "all", u64_array(p->throughput_all, p->bucket_count));
    return o;
}

/* {f: {outcome: quantiles}}; sorts the samples by latency. */
static json_t *latency_json(perf *p) {
    fl_perf_samples *ss = &p->latency;
    fl_perf_samples_sort_by_latency(ss);
    json_t *o = json_object();
    for (size_t first = 0, end; first < ss->count; first = end) {
        end = fl_perf_group_end(ss, first);
        uint32_t group = ss->s[first].group;
        const char *f = p->fs[group / 3].name;
        json_t *by_outcome = json_object_get(o, f);
        if (!by_outcome) json_object_set_new(o, f, by_outcome = json_object());
        json_object_set_new(by_outcome, outcome_names[FL_OK + group % 3],
                            fl_perf_quantiles_json(ss->s + first, end - first));
    }
    return o;
}

/* Sorts the samples by bucket. */
static json_t *latency_series_json(perf *p) {
    if (!p->timed) return json_null();
    fl_perf_samples *ss = &p->latency;
    fl_perf_samples_sort_by_bucket(ss);
    json_t *series = json_array();
    for (size_t first = 0, end; first < ss->count; first = end) {
        end = fl_perf_group_end(ss, first);
        uint32_t group = ss->s[first].group;
        json_t *one = json_object();
        json_object_set_new(one, "f", json_string(p->fs[group / 3].name));
        json_object_set_new(one, "type", json_string(outcome_names[FL_OK + group % 3]));
        json_object_set_new(one, "points", fl_perf_series_json(ss->s + first, end - first,
                                                               p->start_ns, p->bucket_ns));
        json_array_append_new(series, one);
    }
    json_t *o = json_object();
    json_object_set_new(o, "start_ns", json_integer(p->start_ns));
    json_object_set_new(o, "bucket_ns", json_integer(p->bucket_ns));
    json_object_set_new(o, "series", series);
    return o;
}

static json_t *windows_json(const perf *p) {
    json_t *a = json_array();
    for (size_t i = 0; i < p->windows.count && i < WINDOWS_SHOWN_MAX; i++)
        json_array_append_new(a, fl_fault_window_json(p->h, &p->windows, i));
    return a;
}

/* A (perf.h) for one availability group; ok_latency from its samples, if any. */
static json_t *availability_one(const avail_stat *a, const fl_perf_samples *ss,
                                size_t *next, uint32_t group) {
    json_t *o = counts_json(a->counts);
    json_object_set_new(o, "ok_share", share(a->counts[FL_OK], invoked(a->counts)));
    if (*next < ss->count && ss->s[*next].group == group) {
        size_t end = fl_perf_group_end(ss, *next);
        json_object_set_new(o, "ok_latency",
                            fl_perf_quantiles_json(ss->s + *next, end - *next));
        *next = end;
    } else {
        json_object_set_new(o, "ok_latency", json_null());
    }
    return o;
}

/* Sorts the availability samples; groups come out in the order kinds, outside, all. */
static json_t *availability_json(perf *p) {
    fl_perf_samples *ss = &p->avail_latency;
    fl_perf_samples_sort_by_latency(ss);
    size_t next = 0;
    json_t *during = json_object();
    for (size_t k = 0; k < p->windows.kind_count; k++)
        json_object_set_new(during, p->windows.kinds[k],
                            availability_one(&p->during[k], ss, &next, (uint32_t)k));
    json_t *o = json_object();
    json_object_set_new(o, "during", during);
    json_object_set_new(o, "outside",
                        availability_one(&p->outside, ss, &next, AVAIL_OUTSIDE(p)));
    json_object_set_new(o, "all", availability_one(&p->all, ss, &next, AVAIL_ALL(p)));
    return o;
}

static json_t *nodes_json(const perf *p) {
    uint64_t ok_total = 0;
    for (size_t i = 0; i < p->node_count; i++) ok_total += p->nodes[i].ok;
    json_t *o = json_object();
    for (size_t i = 0; i < p->node_count; i++) {
        const node_stat *n = &p->nodes[i];
        json_t *one = json_object();
        json_object_set_new(one, "completed", json_integer((json_int_t)n->completed));
        json_object_set_new(one, "ok", json_integer((json_int_t)n->ok));
        json_object_set_new(one, "ok_share", share(n->ok, n->completed));
        json_object_set_new(one, "share_of_ok", share(n->ok, ok_total));
        json_object_set_new(o, n->name, one);
    }
    return o;
}

/* Sets valid, and reason and never_ok when unknown. */
static void verdict(const perf *p, json_t *result) {
    json_t *never_ok = json_array();
    size_t count = 0;
    const f_stat *first = NULL;
    for (size_t i = 0; i < p->f_count; i++) {
        const f_stat *f = &p->fs[i];
        if (f->counts[FL_OK]) continue;
        if (!count++) first = f;
        if (count > NEVER_OK_SHOWN_MAX) continue;
        json_t *one = counts_json(f->counts);
        json_object_del(one, "ok");
        json_object_set_new(one, "f", json_string(f->name));
        json_object_set_new(one, "first_op", fl_op_pair_json(p->h, (int64_t)f->first_pos));
        json_array_append_new(never_ok, one);
    }
    if (!count) { /* every f succeeded, or there was none: fl_check_perf notes that */
        json_decref(never_ok);
        json_object_set_new(result, "valid", json_true());
        return;
    }
    char reason[512];
    if (count == 1)
        snprintf(reason, sizeof reason,
                 "f \"%.200s\" never completed ok (%llu invoked): the workload could not do it",
                 first->name, (unsigned long long)invoked(first->counts));
    else
        snprintf(reason, sizeof reason,
                 "%zu fs never completed ok (never_ok), the first \"%.200s\"", count,
                 first->name);
    json_object_set_new(result, "valid", json_string("unknown"));
    json_object_set_new(result, "reason", json_string(reason));
    json_object_set_new(result, "never_ok", never_ok);
}

static json_t *counts_by_f_json(const perf *p) {
    json_t *o = json_object();
    for (size_t i = 0; i < p->f_count; i++)
        json_object_set_new(o, p->fs[i].name, counts_json(p->fs[i].counts));
    return o;
}

json_t *fl_perf_result(perf *p) {
    json_t *r = json_object();
    if (!r) return NULL;
    verdict(p, r);
    json_object_set_new(r, "op_count", json_integer((json_int_t)invoked(p->totals.counts)));
    json_object_set_new(r, "counts", counts_by_f_json(p));
    json_object_set_new(r, "totals", counts_json(p->totals.counts));
    json_object_set_new(r, "untimed_count", json_integer((json_int_t)p->untimed_count));
    json_object_set_new(r, "start_ns", p->timed ? json_integer(p->start_ns) : json_null());
    json_object_set_new(r, "end_ns", p->timed ? json_integer(p->end_ns) : json_null());
    json_object_set_new(r, "ok_per_s", p->timed && p->end_ns > p->start_ns
        ? json_real((double)p->ok_timed_count * 1e9 / (double)(p->end_ns - p->start_ns))
        : json_null());
    json_object_set_new(r, "throughput", throughput_json(p));
    json_object_set_new(r, "latency", latency_json(p));
    json_object_set_new(r, "latency_series", latency_series_json(p));
    json_object_set_new(r, "fault_windows", windows_json(p));
    json_object_set_new(r, "fault_window_count", json_integer((json_int_t)p->windows.count));
    json_object_set_new(r, "unmatched_stop_count",
                        json_integer((json_int_t)p->windows.unmatched_stop_count));
    json_object_set_new(r, "availability", availability_json(p));
    if (p->node_count) json_object_set_new(r, "nodes", nodes_json(p));
    return r;
}
