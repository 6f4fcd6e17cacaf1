/* The stats / perf checker (see perf.h): a pass for the time bounds, which fix the
 * buckets, then one pass over the ops with a fault-window cursor alongside, counting
 * per f, per fault kind and per node and collecting latency samples; the result is
 * built from those (perf_result.c). */
#include "perf_internal.h"

#include <stdlib.h>
#include <string.h>

#include "empty_history.h"

static void oom(perf *p) {
    fl_error_set(p->err, p->h->source, 0, 0, "out of memory in the perf checker");
}

static bool timed(const fl_op *op) { return (op->flags & FL_OP_HAS_TIME) != 0; }

/* Checks the options; fills bucket_ns (before widening) and max_buckets. -1 with err set. */
static int take_options(perf *p, const fl_perf_options *o) {
    int64_t bucket_ns = o && o->bucket_ns ? o->bucket_ns : FL_PERF_BUCKET_NS_DEFAULT;
    size_t max_buckets = o && o->max_buckets ? o->max_buckets : FL_PERF_MAX_BUCKETS_DEFAULT;
    if (bucket_ns < FL_PERF_BUCKET_NS_MIN || bucket_ns > FL_PERF_BUCKET_NS_MAX) {
        fl_error_set(p->err, p->h->source, 0, 0,
                     "perf bucket width %lld ns is outside %lld ns .. %lld ns",
                     (long long)bucket_ns, FL_PERF_BUCKET_NS_MIN, FL_PERF_BUCKET_NS_MAX);
        return -1;
    }
    if (max_buckets < FL_PERF_MAX_BUCKETS_MIN || max_buckets > FL_PERF_MAX_BUCKETS_MAX) {
        fl_error_set(p->err, p->h->source, 0, 0, "perf max buckets %zu is outside %d .. %d",
                     max_buckets, FL_PERF_MAX_BUCKETS_MIN, FL_PERF_MAX_BUCKETS_MAX);
        return -1;
    }
    _Static_assert(FL_PERF_BUCKET_NS_MAX * FL_PERF_MAX_BUCKETS_MAX < INT64_MAX / 4,
                   "widening the buckets cannot overflow");
    p->bucket_ns = bucket_ns;
    p->max_buckets = max_buckets;
    return 0;
}

/* start_ns, end_ns and the buckets; refuses negative times. */
static int time_bounds(perf *p) {
    const fl_history *h = p->h;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (!timed(op)) continue;
        if (op->time_ns < 0) {
            fl_error_set(p->err, h->source, op->line, 0,
                         "op (index %lld) has a negative time %lld; times are ns since the "
                         "run started", (long long)op->index, (long long)op->time_ns);
            return -1;
        }
        if (!p->timed || op->time_ns < p->start_ns) p->start_ns = op->time_ns;
        if (!p->timed || op->time_ns > p->end_ns) p->end_ns = op->time_ns;
        p->timed = true;
    }
    if (!p->timed) return 0;
    /* The smallest multiple of the width whose buckets up to end_ns fit max_buckets. */
    int64_t span = p->end_ns - p->start_ns, base = p->bucket_ns;
    if (span / base >= (int64_t)p->max_buckets)
        p->bucket_ns = base * (span / (base * (int64_t)p->max_buckets) + 1);
    p->bucket_count = (size_t)(span / p->bucket_ns) + 1;
    p->throughput_ok = calloc(p->bucket_count, sizeof *p->throughput_ok);
    p->throughput_all = calloc(p->bucket_count, sizeof *p->throughput_all);
    if (!p->throughput_ok || !p->throughput_all) return oom(p), -1;
    return 0;
}

static uint32_t bucket_of(const perf *p, int64_t time_ns) {
    return (uint32_t)((time_ns - p->start_ns) / p->bucket_ns);
}

/* The id of op's f (new ones remember first_pos); -1 on OOM. */
static int64_t f_id(perf *p, const char *f, size_t first_pos) {
    size_t len = strlen(f);
    int64_t id = fl_strmap_get(p->f_ids, f, len);
    if (id >= 0) return id;
    if (p->f_count == p->f_cap) {
        size_t n = p->f_cap ? p->f_cap * 2 : 16;
        f_stat *fs = realloc(p->fs, n * sizeof *fs);
        if (!fs) return -1;
        p->fs = fs;
        p->f_cap = n;
    }
    id = (int64_t)p->f_count;
    if (fl_strmap_put(p->f_ids, f, len, id) != id) return -1;
    p->fs[p->f_count++] = (f_stat){.name = f, .first_pos = first_pos};
    return id;
}

/* Count an ok / completed op for the node that answered it; -1 on OOM. */
static int count_node(perf *p, const char *node, bool ok) {
    size_t len = strlen(node);
    int64_t id = fl_strmap_get(p->node_ids, node, len);
    if (id < 0) {
        if (p->node_count == p->node_cap) {
            size_t n = p->node_cap ? p->node_cap * 2 : 16;
            node_stat *ns = realloc(p->nodes, n * sizeof *ns);
            if (!ns) return -1;
            p->nodes = ns;
            p->node_cap = n;
        }
        id = (int64_t)p->node_count;
        if (fl_strmap_put(p->node_ids, node, len, id) != id) return -1;
        p->nodes[p->node_count++] = (node_stat){.name = node};
    }
    p->nodes[id].completed++;
    if (ok) p->nodes[id].ok++;
    return 0;
}

/* Availability of the op invoked at pos: for each kind open there, else outside. */
static int count_availability(perf *p, size_t pos, int outcome, int64_t latency_ns) {
    fl_fault_cursor_seek(&p->cursor, (int64_t)pos);
    const size_t *kinds;
    size_t open = fl_fault_cursor_open_kinds(&p->cursor, &kinds);
    bool ok_timed = outcome == FL_OK && latency_ns >= 0;
    for (size_t k = 0; k < open; k++) {
        p->during[kinds[k]].counts[outcome]++;
        if (ok_timed && fl_perf_samples_add(&p->avail_latency, (uint32_t)kinds[k], 0,
                                            latency_ns) != 0)
            return -1;
    }
    avail_stat *fixed[2] = {open ? NULL : &p->outside, &p->all};
    uint32_t groups[2] = {AVAIL_OUTSIDE(p), AVAIL_ALL(p)};
    for (int j = 0; j < 2; j++) {
        if (!fixed[j]) continue;
        fixed[j]->counts[outcome]++;
        if (ok_timed && fl_perf_samples_add(&p->avail_latency, groups[j], 0, latency_ns) != 0)
            return -1;
    }
    return 0;
}

/* One client invocation at pos. */
static int client_op(perf *p, size_t pos) {
    const fl_history *h = p->h;
    const fl_op *inv = &h->ops[pos];
    const fl_op *done = inv->pair == FL_NO_PAIR ? NULL : &h->ops[inv->pair];
    if (done && (inv->pair <= (int64_t)pos || done->type == FL_INVOKE)) {
        fl_error_set(p->err, h->source, inv->line, 0,
                     "invocation (index %lld) of process %lld is paired with no completion "
                     "after it (was the history paired with fl_history_pair?)",
                     (long long)inv->index, (long long)inv->process);
        return -1;
    }
    int outcome = done ? done->type : OUTCOME_NONE;
    int64_t id = f_id(p, inv->f, pos);
    if (id < 0) return oom(p), -1;
    if (id >= (int64_t)(UINT32_MAX / 3)) { /* a sample's group is f * 3 + outcome */
        fl_error_set(p->err, h->source, inv->line, 0, "more than %u distinct fs",
                     UINT32_MAX / 3);
        return -1;
    }
    p->fs[id].counts[outcome]++;
    p->totals.counts[outcome]++;
    int64_t latency_ns = -1;
    if (done && timed(inv) && timed(done)) {
        latency_ns = done->time_ns - inv->time_ns;
        if (latency_ns < 0) {
            fl_error_set(p->err, h->source, done->line, 0,
                         "%s completion (index %lld) of process %lld has time %lld, before "
                         "its invocation's %lld (index %lld)", fl_op_type_name(done->type),
                         (long long)done->index, (long long)done->process,
                         (long long)done->time_ns, (long long)inv->time_ns,
                         (long long)inv->index);
            return -1;
        }
        uint32_t group = (uint32_t)id * 3 + (uint32_t)(outcome - FL_OK);
        if (fl_perf_samples_add(&p->latency, group, bucket_of(p, inv->time_ns), latency_ns))
            return oom(p), -1;
    } else if (done) {
        p->untimed_count++;
    }
    if (count_availability(p, pos, outcome, latency_ns) != 0) return oom(p), -1;
    const char *node = done ? (done->node ? done->node : inv->node) : NULL;
    if (node && count_node(p, node, outcome == FL_OK) != 0) return oom(p), -1;
    return 0;
}

static int completion(perf *p, size_t pos) {
    const fl_history *h = p->h;
    const fl_op *op = &h->ops[pos];
    if (op->pair == FL_NO_PAIR || op->pair >= (int64_t)pos) {
        fl_error_set(p->err, h->source, op->line, 0,
                     "%s completion (index %lld) of process %lld has no paired invocation "
                     "before it (was the history paired with fl_history_pair?)",
                     fl_op_type_name(op->type), (long long)op->index, (long long)op->process);
        return -1;
    }
    if (timed(op)) {
        uint32_t b = bucket_of(p, op->time_ns);
        p->throughput_all[b]++;
        if (op->type == FL_OK) {
            p->throughput_ok[b]++;
            p->ok_timed_count++;
        }
    }
    return 0;
}

static int scan(perf *p) {
    const fl_history *h = p->h;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process < 0) continue; /* the nemesis: its windows are found already */
        int rc = op->type == FL_INVOKE ? client_op(p, i) : completion(p, i);
        if (rc != 0) return -1;
    }
    return 0;
}

static void perf_free(perf *p) {
    fl_strmap_free(p->f_ids);
    fl_strmap_free(p->node_ids);
    free(p->fs);
    free(p->nodes);
    free(p->during);
    free(p->throughput_ok);
    free(p->throughput_all);
    fl_perf_samples_free(&p->latency);
    fl_perf_samples_free(&p->avail_latency);
    fl_fault_cursor_free(&p->cursor);
    fl_fault_windows_free(&p->windows);
}

json_t *fl_check_perf(const fl_history *h, const fl_perf_options *o, fl_error *err) {
    fl_error local;
    perf p;
    memset(&p, 0, sizeof p);
    p.h = h;
    p.err = err ? err : &local;
    json_t *result = NULL;
    if (take_options(&p, o) != 0 || time_bounds(&p) != 0) goto done;
    if (fl_fault_windows_find(h, &p.windows, p.err) != 0) goto done;
    p.f_ids = fl_strmap_new();
    p.node_ids = fl_strmap_new();
    p.during = calloc(p.windows.kind_count ? p.windows.kind_count : 1, sizeof *p.during);
    if (!p.f_ids || !p.node_ids || !p.during ||
        fl_fault_cursor_init(&p.cursor, &p.windows) != 0) {
        oom(&p);
        goto done;
    }
    if (scan(&p) != 0) goto done;
    result = fl_empty_history_valid(h, fl_perf_result(&p));
    if (!result) oom(&p);
done:
    perf_free(&p);
    return result;
}
