/* The set-full checker (see set_full.h). One pass over the history finds the adds and
 * the ok reads; the reads are sorted by set and invocation; one pass over them from the
 * latest down gives each element its timeline (known, first and last seen, and how many
 * of its set's latest reads in a row list it, which names the last read that missed
 * it); a last pass over the reads finds which reads missed the few elements shown with
 * their ops. */
#include "set_full.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "empty_history.h"
#include "set_common.h"

#define DETAIL_MAX 10 /* elements shown with their ops per class, reads per element */
#define WORST_MAX 10  /* stale elements shown by latency */
#define NOWHERE INT64_MAX /* a position that is not there (min() ignores it) */

enum { OUT_NEVER_READ = 0, OUT_STABLE, OUT_LOST, OUT_MAYBE_LOST };

/* One element of one set. Read numbers r index checker.reads (by set, then invocation). */
typedef struct element {
    fl_set_value v;
    int64_t first_add;  /* position of its first add invocation (A), or NOWHERE */
    int64_t ok_pos;     /* position of the first add invocation with each outcome, or -1 */
    int64_t indet_pos;
    int64_t fail_pos;
    int64_t ack_end;    /* earliest completion of an ok add, or NOWHERE */
    int64_t read_known; /* earliest completion of a read listing it, or NOWHERE */
    int64_t known;      /* K = min(ack_end, read_known), or NOWHERE */
    int64_t last_seen, first_seen;     /* reads listing it, or -1 */
    int64_t last_missed;               /* the latest-invoked read missing it, or -1 */
    int64_t first_dup, first_early;    /* first read listing it twice / before A, or -1 */
    size_t run;         /* how many of its set's latest reads in a row list it */
    size_t seen_count, dup_count, early_count;
    uint64_t stamp, dup_stamp; /* the last read (pass) listing it (twice) */
    int64_t latency_ns; /* stable or lost latency, or -1 when not measured */
    uint8_t outcome;
    bool stale;
} element;

typedef struct read_op {
    int64_t inv, done; /* positions of the invocation and of the ok completion */
    int64_t group;
} read_op;

typedef struct checker {
    const fl_history *h;
    fl_error *err;
    bool linearizable;
    fl_set_ids ids;
    element *el;
    size_t n_el, cap_el;
    fl_set_group *groups; /* start..end: the set's reads in reads[] */
    size_t n_groups;
    read_op *reads;
    size_t n_reads, cap_reads, n_final_reads;
    element **order;      /* every element, in listing order */
} checker;

static void oom(checker *c) {
    fl_error_set(c->err, c->h->source, 0, 0, "out of memory in the set-full checker");
}

/* The element id of value in group, adding an element with no add when new; -1 on OOM. */
static int64_t element_id(checker *c, int64_t group, json_t *value) {
    fl_set_value v;
    bool is_new;
    int64_t id = fl_set_ids_get(&c->ids, group, value, &v, &is_new);
    if (id < 0 || !is_new) return id;
    if (fl_grow((void **)&c->el, &c->cap_el, c->n_el + 1, sizeof *c->el) != 0) return -1;
    element *e = &c->el[c->n_el++];
    memset(e, 0, sizeof *e);
    e->v = v;
    e->first_add = e->ack_end = e->read_known = e->known = NOWHERE;
    e->ok_pos = e->indet_pos = e->fail_pos = -1;
    e->last_seen = e->first_seen = e->last_missed = -1;
    e->first_dup = e->first_early = -1;
    e->latency_ns = -1;
    return id;
}

/* The add invoked at pos: its element's adds and its set's. 0, or -1 on OOM. */
static int note_add(checker *c, const fl_op *op, size_t pos) {
    const fl_history *h = c->h;
    int64_t g = fl_set_op_key(h, op) + 1;
    int64_t id = element_id(c, g, op->value);
    if (id < 0) return -1;
    element *e = &c->el[id];
    int outcome = op->pair == FL_NO_PAIR ? FL_INFO : h->ops[op->pair].type;
    int64_t *first = outcome == FL_OK     ? &e->ok_pos
                     : outcome == FL_FAIL ? &e->fail_pos
                                          : &e->indet_pos;
    if (*first < 0) *first = (int64_t)pos;
    if (e->first_add == NOWHERE) e->first_add = (int64_t)pos;
    if (outcome == FL_OK && op->pair < e->ack_end) e->ack_end = op->pair;
    fl_set_group *gr = &c->groups[g];
    gr->adds++;
    int64_t end = op->pair == FL_NO_PAIR ? (int64_t)pos : op->pair;
    if (end > gr->last_add_end) gr->last_add_end = end;
    return 0;
}

/* Adds and ok reads, in one pass. 0, or -1 with err set. */
static int scan(checker *c) {
    const fl_history *h = c->h;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if (fl_set_require_paired(h, op, "set-full", c->err) != 0 ||
            fl_set_require_same_f(h, op, c->err) != 0)
            return -1;
        /* A completion is of its invocation's kind (it may leave f out). */
        const char *f = op->type == FL_INVOKE ? op->f : h->ops[op->pair].f;
        if (op->type == FL_INVOKE && !strcmp(f, "add")) {
            if (fl_set_require_add_value(h, op, c->err) != 0) return -1;
            if (note_add(c, op, i) != 0) goto out_of_memory;
        } else if (op->type == FL_OK && !strcmp(f, "read")) {
            if (fl_set_require_read_list(h, op, c->err) != 0) return -1;
            if (fl_grow((void **)&c->reads, &c->cap_reads, c->n_reads + 1,
                            sizeof *c->reads) != 0)
                goto out_of_memory;
            int64_t g = fl_set_op_key(h, op) + 1;
            c->reads[c->n_reads++] = (read_op){.inv = op->pair, .done = (int64_t)i, .group = g};
            c->groups[g].ok_reads++;
        }
    }
    return 0;
out_of_memory:
    oom(c);
    return -1;
}

static int compare_reads(const void *pa, const void *pb) {
    const read_op *a = pa, *b = pb;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    return (a->inv > b->inv) - (a->inv < b->inv);
}

/* Sort the reads by set and invocation; each set's range and final reads. */
static void sort_reads(checker *c) {
    if (c->n_reads) qsort(c->reads, c->n_reads, sizeof *c->reads, compare_reads);
    for (size_t r = 0; r < c->n_reads; r++) {
        fl_set_group *g = &c->groups[c->reads[r].group];
        if (r == 0 || c->reads[r - 1].group != c->reads[r].group) g->start = r;
        g->end = r + 1;
        if (c->reads[r].inv > g->last_add_end) {
            g->final_reads++;
            c->n_final_reads++;
        }
    }
}

/* Read r's listing of e, r being the t-th latest read of its set. */
static void note_listed(element *e, const read_op *rd, size_t r, size_t t) {
    uint64_t stamp = r + 1;
    if (e->stamp == stamp) {
        if (e->dup_stamp != stamp) {
            e->dup_stamp = stamp;
            e->dup_count++;
            e->first_dup = (int64_t)r;
        }
        return;
    }
    e->stamp = stamp;
    if (rd->done < e->first_add) { /* ended before any add of it began */
        e->early_count++;
        e->first_early = (int64_t)r;
        return;
    }
    e->seen_count++;
    if (e->last_seen < 0) e->last_seen = (int64_t)r;
    e->first_seen = (int64_t)r;
    if (e->run == t) e->run++;
    if (rd->done < e->read_known) e->read_known = rd->done;
}

/* Every read, latest first (so first_* end up the earliest). 0, or -1 on OOM. */
static int sweep_reads(checker *c) {
    const fl_history *h = c->h;
    for (size_t k = c->n_reads; k-- > 0;) {
        const read_op *rd = &c->reads[k];
        size_t t = c->groups[rd->group].end - 1 - k;
        const json_t *list = h->ops[rd->done].value;
        for (size_t j = 0; j < json_array_size(list); j++) {
            int64_t id = element_id(c, rd->group, json_array_get(list, j));
            if (id < 0) {
                oom(c);
                return -1;
            }
            note_listed(&c->el[id], rd, k, t);
        }
    }
    return 0;
}

static bool has_time(const fl_op *op) { return op && (op->flags & FL_OP_HAS_TIME) != 0; }

static int64_t later_minus(const fl_op *later, const fl_op *earlier) {
    int64_t d = later->time_ns - earlier->time_ns;
    return d > 0 ? d : 0;
}

/* Outcome, stale flag and latency of an attempted element (set_full.h). */
static void classify(checker *c, element *e) {
    const fl_history *h = c->h;
    const fl_set_group *g = &c->groups[e->v.group];
    e->known = e->ack_end < e->read_known ? e->ack_end : e->read_known;
    /* The read just below the run of latest reads listing e missed it, if it began
     * after A; reads below it began earlier still. */
    if (e->run < g->end - g->start) {
        size_t below = g->end - 1 - e->run;
        if (c->reads[below].inv > e->first_add) e->last_missed = (int64_t)below;
    }
    bool missed_after_known =
        e->last_missed >= 0 && e->known != NOWHERE && c->reads[e->last_missed].inv > e->known;
    const fl_op *known_op = e->known != NOWHERE ? &h->ops[e->known] : NULL;
    if (e->last_seen >= 0 && e->last_missed < e->last_seen) {
        e->outcome = OUT_STABLE;
        e->stale = missed_after_known;
        const fl_op *missed = e->stale ? &h->ops[c->reads[e->last_missed].inv] : NULL;
        if (has_time(known_op) && (!missed || has_time(missed)))
            e->latency_ns = missed ? later_minus(missed, known_op) : 0;
    } else if (missed_after_known) {
        e->outcome = g->final_reads ? OUT_LOST : OUT_MAYBE_LOST;
        const fl_op *seen = NULL;
        if (e->last_seen >= 0 && c->reads[e->last_seen].inv > e->known)
            seen = &h->ops[c->reads[e->last_seen].inv];
        if (e->outcome == OUT_LOST && has_time(known_op) && (!seen || has_time(seen)))
            e->latency_ns = seen ? later_minus(seen, known_op) : 0;
    } else {
        e->outcome = OUT_NEVER_READ;
    }
}

static int compare_elements(const void *pa, const void *pb) {
    const element *a = *(element *const *)pa, *b = *(element *const *)pb;
    return fl_set_value_compare(&a->v, &b->v);
}

static int classify_all(checker *c) {
    c->order = malloc((c->n_el ? c->n_el : 1) * sizeof *c->order);
    if (!c->order) {
        oom(c);
        return -1;
    }
    for (size_t i = 0; i < c->n_el; i++) {
        c->order[i] = &c->el[i];
        if (c->el[i].first_add != NOWHERE) classify(c, &c->el[i]);
    }
    qsort(c->order, c->n_el, sizeof *c->order, compare_elements);
    return 0;
}

/* ------------------------------------------------------------------------------------ */
/* The result                                                                           */

/* A read as set_full.h shows it; null for -1. */
static json_t *read_json(const checker *c, int64_t r) {
    if (r < 0) return json_null();
    const fl_history *h = c->h;
    const fl_op *inv = &h->ops[c->reads[r].inv], *done = &h->ops[c->reads[r].done];
    const char *node = fl_set_op_node(h, done);
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(inv->index));
    json_object_set_new(o, "complete_index", json_integer(done->index));
    json_object_set_new(o, "process", json_integer(done->process));
    json_object_set_new(o, "node", node ? json_string(node) : json_null());
    if (has_time(inv)) json_object_set_new(o, "time", json_integer(inv->time_ns));
    json_object_set_new(o, "element_count",
                        json_integer((json_int_t)json_array_size(done->value)));
    return o;
}

/* An add as fl_op_pair_json shows it, with its times; null for -1. */
static json_t *add_json(const fl_history *h, int64_t pos) {
    if (pos < 0) return json_null();
    const fl_op *inv = &h->ops[pos];
    json_t *o = fl_op_pair_json(h, pos);
    if (has_time(inv)) json_object_set_new(o, "time", json_integer(inv->time_ns));
    if (inv->pair != FL_NO_PAIR && has_time(&h->ops[inv->pair]))
        json_object_set_new(o, "complete_time", json_integer(h->ops[inv->pair].time_ns));
    return o;
}

static json_t *known_json(const checker *c, const element *e) {
    const fl_op *done = &c->h->ops[e->known];
    json_t *o = json_object();
    json_object_set_new(o, "by", json_string(e->known == e->read_known ? "read" : "add"));
    json_object_set_new(o, "index", json_integer(c->h->ops[done->pair].index));
    json_object_set_new(o, "complete_index", json_integer(done->index));
    if (has_time(done)) json_object_set_new(o, "time", json_integer(done->time_ns));
    return o;
}

static json_t *ms_json(int64_t ns) { return json_real((double)ns / 1e6); }

/* {"element", "key" (only for ops with a key)}. */
static json_t *element_json(const checker *c, const element *e) {
    json_t *o = json_object();
    json_object_set_new(o, "element", json_incref(e->v.value));
    if (e->v.group) json_object_set_new(o, "key", fl_set_key_json(c->h, e->v.group));
    return o;
}

static int compare_ns(const void *pa, const void *pb) {
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

/* {"measured", "p50", "p95", "p99", "max"} in ms, as Jepsen takes them; sorts ns. */
static json_t *quantiles_json(int64_t *ns, size_t n) {
    static const struct {
        const char *name;
        size_t permille;
    } q[] = {{"p50", 500}, {"p95", 950}, {"p99", 990}, {"max", 1000}};
    qsort(ns, n, sizeof *ns, compare_ns);
    json_t *o = json_object();
    json_object_set_new(o, "measured", json_integer((json_int_t)n));
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        size_t at = q[i].permille * n / 1000; /* floor(q·n), in integers */
        json_object_set_new(o, q[i].name, n ? ms_json(ns[at < n ? at : n - 1]) : json_null());
    }
    return o;
}

/* An element shown with the reads that missed it (lost, maybe_lost, stale). */
typedef struct detail {
    element *e;
    json_t *entry;
    json_t *missed_by;
    size_t missed_count;
} detail;

static void detail_add(const checker *c, detail *d, size_t *n, element *e, json_t *ops) {
    detail *x = &d[(*n)++];
    x->e = e;
    x->entry = element_json(c, e);
    json_object_set_new(x->entry, "add", add_json(c->h, e->ok_pos >= 0 ? e->ok_pos : e->first_add));
    json_object_set_new(x->entry, "known", known_json(c, e));
    x->missed_by = json_array();
    x->missed_count = 0;
    json_array_append_new(ops, x->entry);
}

/* Which reads invoked after K miss each detail element: one more pass over the reads
 * that matter, marking what each lists. 0, or -1 on OOM. */
static int find_missed(checker *c, detail *d, size_t n) {
    const fl_history *h = c->h;
    for (size_t r = 0; r < c->n_reads && n; r++) {
        const read_op *rd = &c->reads[r];
        bool wanted = false;
        for (size_t j = 0; j < n; j++)
            if (d[j].e->v.group == rd->group && rd->inv > d[j].e->known) wanted = true;
        if (!wanted) continue;
        uint64_t stamp = c->n_reads + 1 + r; /* above every stamp of the sweep */
        const json_t *list = h->ops[rd->done].value;
        for (size_t k = 0; k < json_array_size(list); k++) {
            int64_t id = element_id(c, rd->group, json_array_get(list, k));
            if (id < 0) return -1;
            c->el[id].stamp = stamp;
        }
        for (size_t j = 0; j < n; j++) {
            const element *e = d[j].e;
            if (e->v.group != rd->group || rd->inv <= e->known || e->stamp == stamp) continue;
            if (d[j].missed_count++ < DETAIL_MAX)
                json_array_append_new(d[j].missed_by, read_json(c, (int64_t)r));
        }
    }
    for (size_t j = 0; j < n; j++) {
        json_object_set_new(d[j].entry, "missed_by", d[j].missed_by);
        json_object_set_new(d[j].entry, "missed_by_count",
                            json_integer((json_int_t)d[j].missed_count));
        json_object_set_new(d[j].entry, "last_seen_by", read_json(c, d[j].e->last_seen));
        if (d[j].e->latency_ns >= 0)
            json_object_set_new(d[j].entry,
                                d[j].e->outcome == OUT_LOST ? "lost_latency_ms"
                                                            : "stable_latency_ms",
                                ms_json(d[j].e->latency_ns));
    }
    return 0;
}

typedef struct worst {
    const element *e;
    size_t rank; /* place in listing order: ties keep it */
} worst;

static int compare_worst(const void *pa, const void *pb) {
    const worst *a = pa, *b = pb;
    if (a->e->latency_ns != b->e->latency_ns) return a->e->latency_ns > b->e->latency_ns ? -1 : 1;
    return (a->rank > b->rank) - (a->rank < b->rank);
}

static json_t *worst_stale_json(const checker *c, worst *w, size_t n) {
    qsort(w, n, sizeof *w, compare_worst);
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < WORST_MAX; i++) {
        const element *e = w[i].e;
        json_t *o = element_json(c, e);
        json_object_set_new(o, "stable_latency_ms", ms_json(e->latency_ns));
        json_object_set_new(o, "known", known_json(c, e));
        json_object_set_new(o, "last_missed_by", read_json(c, e->last_missed));
        json_array_append_new(list, o);
    }
    return list;
}

enum { L_STABLE, L_LOST, L_MAYBE_LOST, L_NEVER_READ, L_STALE, L_DUPLICATED, L_UNEXPECTED,
       L_FAILED_BUT_PRESENT, L_COUNT };
static const char *const list_names[L_COUNT] = {
    "stable", "lost", "maybe_lost", "never_read", "stale", "duplicated", "unexpected",
    "failed_but_present"};

/* Everything gathered in one walk over the elements in listing order. */
typedef struct tally {
    fl_set_list lists[L_COUNT];
    json_t *dup_ops, *unexpected_ops, *failed_ops, *lost_ops, *maybe_lost_ops, *stale_ops;
    detail details[3 * DETAIL_MAX];
    size_t n_details, n_lost_details, n_maybe_details, n_stale_details;
    size_t acknowledged, indeterminate, failed;
    int64_t *stable_ns, *lost_ns;
    size_t n_stable_ns, n_lost_ns;
    worst *worst;
    size_t n_worst;
} tally;

/* The anomalies that are not about when e was seen. */
static void tally_flags(const checker *c, tally *t, element *e) {
    if (e->dup_count && t->lists[L_DUPLICATED].count < DETAIL_MAX) {
        json_t *o = element_json(c, e);
        json_object_set_new(o, "read", read_json(c, e->first_dup));
        json_object_set_new(o, "read_count", json_integer((json_int_t)e->dup_count));
        json_array_append_new(t->dup_ops, o);
    }
    if (e->dup_count) fl_set_list_add(&t->lists[L_DUPLICATED], e->v.value);
    bool unexpected = e->first_add == NOWHERE || e->early_count;
    if (unexpected && t->lists[L_UNEXPECTED].count < DETAIL_MAX) {
        json_t *o = element_json(c, e);
        json_object_set_new(o, "read", read_json(c, e->first_early));
        json_object_set_new(o, "add", add_json(c->h, e->first_add == NOWHERE ? -1 : e->first_add));
        json_array_append_new(t->unexpected_ops, o);
    }
    if (unexpected) fl_set_list_add(&t->lists[L_UNEXPECTED], e->v.value);
    bool failed = e->ok_pos < 0 && e->indet_pos < 0 && e->fail_pos >= 0;
    if (failed && e->seen_count) {
        if (t->lists[L_FAILED_BUT_PRESENT].count < DETAIL_MAX) {
            json_t *o = element_json(c, e);
            json_object_set_new(o, "add", add_json(c->h, e->fail_pos));
            json_object_set_new(o, "present_in", read_json(c, e->first_seen));
            json_object_set_new(o, "present_count", json_integer((json_int_t)e->seen_count));
            json_array_append_new(t->failed_ops, o);
        }
        fl_set_list_add(&t->lists[L_FAILED_BUT_PRESENT], e->v.value);
    }
}

/* The outcome of an attempted element, its latency and its details. */
static void tally_outcome(const checker *c, tally *t, element *e, size_t rank) {
    if (e->ok_pos >= 0) t->acknowledged++;
    else if (e->indet_pos >= 0) t->indeterminate++;
    else t->failed++;
    switch (e->outcome) {
    case OUT_STABLE:
        fl_set_list_add(&t->lists[L_STABLE], e->v.value);
        if (e->latency_ns >= 0) t->stable_ns[t->n_stable_ns++] = e->latency_ns;
        if (!e->stale) break;
        fl_set_list_add(&t->lists[L_STALE], e->v.value);
        if (e->latency_ns >= 0) t->worst[t->n_worst++] = (worst){e, rank};
        if (t->n_stale_details++ < DETAIL_MAX)
            detail_add(c, t->details, &t->n_details, e, t->stale_ops);
        break;
    case OUT_LOST:
        fl_set_list_add(&t->lists[L_LOST], e->v.value);
        if (e->latency_ns >= 0) t->lost_ns[t->n_lost_ns++] = e->latency_ns;
        if (t->n_lost_details++ < DETAIL_MAX)
            detail_add(c, t->details, &t->n_details, e, t->lost_ops);
        break;
    case OUT_MAYBE_LOST:
        fl_set_list_add(&t->lists[L_MAYBE_LOST], e->v.value);
        if (t->n_maybe_details++ < DETAIL_MAX)
            detail_add(c, t->details, &t->n_details, e, t->maybe_lost_ops);
        break;
    default:
        fl_set_list_add(&t->lists[L_NEVER_READ], e->v.value);
        break;
    }
}

static void tally_free(tally *t) {
    free(t->stable_ns);
    free(t->lost_ns);
    free(t->worst);
}

/* The verdict and reason; anomalies per set_full.h. */
static void put_verdict(const checker *c, const tally *t, json_t *result) {
    size_t anomalies = t->lists[L_LOST].count + t->lists[L_DUPLICATED].count +
                       t->lists[L_UNEXPECTED].count + t->lists[L_FAILED_BUT_PRESENT].count;
    if (c->linearizable) anomalies += t->lists[L_STALE].count + t->lists[L_MAYBE_LOST].count;
    json_t *reason = fl_set_unknown_reason(c->h, c->groups, c->n_groups, c->n_final_reads,
                                           c->n_reads, result);
    if (anomalies && reason) {
        json_decref(reason);
        reason = NULL;
    }
    json_object_set_new(result, "valid",
                        anomalies ? json_false() : reason ? json_string("unknown") : json_true());
    if (reason) json_object_set_new(result, "reason", reason);
}

static json_t *build_result(checker *c) {
    tally t;
    memset(&t, 0, sizeof t);
    size_t n = c->n_el ? c->n_el : 1;
    t.stable_ns = malloc(n * sizeof *t.stable_ns);
    t.lost_ns = malloc(n * sizeof *t.lost_ns);
    t.worst = malloc(n * sizeof *t.worst);
    json_t *result = json_object();
    if (!t.stable_ns || !t.lost_ns || !t.worst || !result) {
        tally_free(&t);
        json_decref(result);
        return NULL;
    }
    for (size_t l = 0; l < L_COUNT; l++) fl_set_list_init(&t.lists[l]);
    t.dup_ops = json_array();
    t.unexpected_ops = json_array();
    t.failed_ops = json_array();
    t.lost_ops = json_array();
    t.maybe_lost_ops = json_array();
    t.stale_ops = json_array();
    size_t add_count = 0;
    for (size_t g = 0; g < c->n_groups; g++) add_count += c->groups[g].adds;
    for (size_t i = 0; i < c->n_el; i++) {
        element *e = c->order[i];
        tally_flags(c, &t, e);
        if (e->first_add != NOWHERE) tally_outcome(c, &t, e, i);
    }
    if (find_missed(c, t.details, t.n_details) != 0) {
        /* The entries own what was built so far; the lists are freed with the result. */
        for (size_t l = 0; l < L_COUNT; l++) json_decref(t.lists[l].shown);
        json_decref(t.dup_ops);
        json_decref(t.unexpected_ops);
        json_decref(t.failed_ops);
        json_decref(t.lost_ops);
        json_decref(t.maybe_lost_ops);
        json_decref(t.stale_ops);
        for (size_t j = 0; j < t.n_details; j++) json_decref(t.details[j].missed_by);
        tally_free(&t);
        json_decref(result);
        return NULL;
    }
    put_verdict(c, &t, result);
    json_object_set_new(result, "linearizable", json_boolean(c->linearizable));
    json_object_set_new(result, "add_count", json_integer((json_int_t)add_count));
    json_object_set_new(result, "attempted_count",
                        json_integer((json_int_t)(t.acknowledged + t.indeterminate + t.failed)));
    json_object_set_new(result, "acknowledged_count", json_integer((json_int_t)t.acknowledged));
    json_object_set_new(result, "indeterminate_count", json_integer((json_int_t)t.indeterminate));
    json_object_set_new(result, "failed_count", json_integer((json_int_t)t.failed));
    json_object_set_new(result, "read_count", json_integer((json_int_t)c->n_reads));
    json_object_set_new(result, "final_read_count", json_integer((json_int_t)c->n_final_reads));
    char count_name[64];
    for (size_t l = 0; l < L_COUNT; l++) {
        snprintf(count_name, sizeof count_name, "%s_count", list_names[l]);
        fl_set_list_put(result, list_names[l], count_name, &t.lists[l]);
    }
    json_object_set_new(result, "lost_ops", t.lost_ops);
    json_object_set_new(result, "maybe_lost_ops", t.maybe_lost_ops);
    json_object_set_new(result, "stale_ops", t.stale_ops);
    json_object_set_new(result, "duplicated_ops", t.dup_ops);
    json_object_set_new(result, "unexpected_ops", t.unexpected_ops);
    json_object_set_new(result, "failed_but_present_ops", t.failed_ops);
    json_object_set_new(result, "stable_latency_ms", quantiles_json(t.stable_ns, t.n_stable_ns));
    json_object_set_new(result, "lost_latency_ms", quantiles_json(t.lost_ns, t.n_lost_ns));
    json_object_set_new(result, "worst_stale", worst_stale_json(c, t.worst, t.n_worst));
    tally_free(&t);
    return result;
}

json_t *fl_check_set_full(const fl_history *h, const fl_set_full_options *o, fl_error *err) {
    fl_error local;
    checker c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.err = err ? err : &local;
    c.linearizable = o && o->linearizable;
    c.n_groups = h->key_count + 1;
    c.groups = calloc(c.n_groups, sizeof *c.groups);
    int ids_rc = fl_set_ids_init(&c.ids);
    json_t *result = NULL;
    if (!c.groups || ids_rc != 0) {
        oom(&c);
        goto done;
    }
    for (size_t g = 0; g < c.n_groups; g++) c.groups[g].last_add_end = -1;
    if (scan(&c) != 0) goto done;
    sort_reads(&c);
    if (sweep_reads(&c) != 0 || classify_all(&c) != 0) goto done;
    result = fl_empty_history_valid(h, build_result(&c));
    if (!result) oom(&c);
done:
    fl_set_ids_free(&c.ids);
    free(c.el);
    free(c.groups);
    free(c.reads);
    free(c.order);
    return result;
}
