/* The set / durability checker (see set.h). Elements are identified per set by
 * (key, canonical JSON text) through set_common.c; every element read by a final read
 * gets an entry too (unattempted when no add named it). All elements are sorted once, so
 * each read's lists come out sorted by walking its set's elements in that order. */
#include "set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "empty_history.h"
#include "result.h"
#include "set_common.h"

#define DETAIL_MAX 10  /* lost / failed-but-present elements shown with their ops */

enum { EL_UNATTEMPTED = 0, EL_ACKNOWLEDGED, EL_INDETERMINATE, EL_FAILED };

typedef struct element {
    fl_set_value v;      /* the value, its canonical text and its set */
    int64_t ok_pos;      /* position of the first add invocation with each outcome, or -1 */
    int64_t indet_pos;
    int64_t fail_pos;
    uint64_t stamp;      /* the last read (pass) that listed it */
    uint64_t dup_stamp;  /* the last read that listed it twice */
    uint32_t present_in; /* final reads listing it */
    uint32_t missing_in; /* final reads of its set not listing it */
    uint32_t dup_in;     /* final reads listing it more than once */
    int32_t detail;      /* slot in the details shown with ops, or -1 */
} element;

/* A set; start..end are its elements in order[]. */
typedef fl_set_group group;

typedef struct final_read {
    int64_t pos;          /* the ok completion */
    int64_t group;
    size_t first, count;  /* its element ids: ids[first..first+count) */
} final_read;

typedef struct detail {
    element *e;
    json_t *entry;        /* the object in lost_ops / failed_but_present_ops */
    json_t *reads;        /* its missing_from / present_in list */
} detail;

typedef struct checker {
    const fl_history *h;
    fl_error *err;
    fl_set_ids ids_of;    /* (group, canonical text) -> element id */
    element *el;
    size_t n_el, cap_el;
    group *groups;
    size_t n_groups;
    int64_t *ok_reads;    /* positions of ok read completions */
    size_t n_ok_reads, cap_ok_reads;
    final_read *reads;
    size_t n_reads;
    size_t *ids;          /* element ids of every final read, in read order */
    size_t n_ids, cap_ids;
    element **order;      /* all elements, sorted */
} checker;

/* The element id of value in group, adding an unattempted element when new; -1 on OOM. */
static int64_t element_id(checker *c, int64_t group, json_t *value) {
    fl_set_value v;
    bool is_new;
    int64_t id = fl_set_ids_get(&c->ids_of, group, value, &v, &is_new);
    if (id < 0 || !is_new) return id;
    if (fl_grow((void **)&c->el, &c->cap_el, c->n_el + 1, sizeof *c->el) != 0) return -1;
    element *e = &c->el[c->n_el++];
    memset(e, 0, sizeof *e);
    e->v = v;
    e->ok_pos = e->indet_pos = e->fail_pos = -1;
    e->detail = -1;
    return id;
}

static int status(const element *e) {
    if (e->ok_pos >= 0) return EL_ACKNOWLEDGED;
    if (e->indet_pos >= 0) return EL_INDETERMINATE;
    if (e->fail_pos >= 0) return EL_FAILED;
    return EL_UNATTEMPTED;
}

static int compare_elements(const void *pa, const void *pb) {
    const element *a = *(element *const *)pa, *b = *(element *const *)pb;
    return fl_set_value_compare(&a->v, &b->v);
}

/* ------------------------------------------------------------------------------------ */
/* Result pieces                                                                        */

/* An add as fl_op_pair_json shows ops, with times and node. */
static json_t *add_json(const fl_history *h, int64_t invoke_pos) {
    const fl_op *inv = &h->ops[invoke_pos];
    const fl_op *done = inv->pair == FL_NO_PAIR ? NULL : &h->ops[inv->pair];
    json_t *o = fl_op_pair_json(h, invoke_pos);
    if (inv->flags & FL_OP_HAS_TIME) json_object_set_new(o, "time", json_integer(inv->time_ns));
    if (done && (done->flags & FL_OP_HAS_TIME))
        json_object_set_new(o, "complete_time", json_integer(done->time_ns));
    const char *node = fl_set_op_node(h, inv);
    if (node) json_object_set_new(o, "node", json_string(node));
    return o;
}

/* {"index": the read's invocation index, "node": …}. */
static json_t *read_ref_json(const fl_history *h, const final_read *r) {
    const fl_op *done = &h->ops[r->pos];
    const char *node = fl_set_op_node(h, done);
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(h->ops[done->pair].index));
    json_object_set_new(o, "node", node ? json_string(node) : json_null());
    return o;
}

/* ------------------------------------------------------------------------------------ */
/* The checker                                                                          */

static void oom(checker *c) {
    fl_error_set(c->err, c->h->source, 0, 0, "out of memory in the set checker");
}

/* Adds and ok reads, in one pass. 0, or -1 with err set. */
static int scan(checker *c) {
    const fl_history *h = c->h;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if (fl_set_require_paired(h, op, "set", c->err) != 0) return -1;
        bool add = !strcmp(op->f, "add"), read = !strcmp(op->f, "read");
        if (add && op->type == FL_INVOKE) {
            if (fl_set_require_add_value(h, op, c->err) != 0) return -1;
            int64_t g = fl_set_op_key(h, op) + 1;
            int64_t id = element_id(c, g, op->value);
            if (id < 0) goto out_of_memory;
            element *e = &c->el[id];
            int outcome = op->pair == FL_NO_PAIR ? FL_INFO : h->ops[op->pair].type;
            int64_t *first = outcome == FL_OK     ? &e->ok_pos
                             : outcome == FL_FAIL ? &e->fail_pos
                                                  : &e->indet_pos;
            if (*first < 0) *first = (int64_t)i;
            group *gr = &c->groups[g];
            gr->adds++;
            int64_t end = op->pair == FL_NO_PAIR ? (int64_t)i : op->pair;
            if (end > gr->last_add_end) gr->last_add_end = end;
        } else if (read && op->type == FL_OK) {
            if (fl_set_require_read_list(h, op, c->err) != 0) return -1;
            if (fl_grow((void **)&c->ok_reads, &c->cap_ok_reads, c->n_ok_reads + 1,
                            sizeof *c->ok_reads) != 0)
                goto out_of_memory;
            c->ok_reads[c->n_ok_reads++] = (int64_t)i;
            c->groups[fl_set_op_key(h, op) + 1].ok_reads++;
        }
    }
    return 0;
out_of_memory:
    oom(c);
    return -1;
}

/* The final reads (set.h) and the ids of the elements each lists. */
static int resolve_final_reads(checker *c) {
    const fl_history *h = c->h;
    c->reads = malloc((c->n_ok_reads ? c->n_ok_reads : 1) * sizeof *c->reads);
    if (!c->reads) goto out_of_memory;
    for (size_t k = 0; k < c->n_ok_reads; k++) {
        const fl_op *done = &h->ops[c->ok_reads[k]];
        int64_t g = fl_set_op_key(h, done) + 1;
        if (done->pair <= c->groups[g].last_add_end) continue;
        c->groups[g].final_reads++;
        final_read *r = &c->reads[c->n_reads++];
        r->pos = c->ok_reads[k];
        r->group = g;
        r->first = c->n_ids;
        r->count = json_array_size(done->value);
        if (fl_grow((void **)&c->ids, &c->cap_ids, c->n_ids + r->count, sizeof *c->ids) != 0)
            goto out_of_memory;
        for (size_t j = 0; j < r->count; j++) {
            int64_t id = element_id(c, g, json_array_get(done->value, j));
            if (id < 0) goto out_of_memory;
            c->ids[c->n_ids++] = (size_t)id;
        }
    }
    return 0;
out_of_memory:
    oom(c);
    return -1;
}

static int sort_elements(checker *c) {
    c->order = malloc((c->n_el ? c->n_el : 1) * sizeof *c->order);
    if (!c->order) {
        oom(c);
        return -1;
    }
    for (size_t i = 0; i < c->n_el; i++) c->order[i] = &c->el[i];
    qsort(c->order, c->n_el, sizeof *c->order, compare_elements);
    for (size_t i = 0; i < c->n_el; i++) {
        group *g = &c->groups[c->order[i]->v.group];
        if (i == 0 || c->order[i - 1]->v.group != c->order[i]->v.group) g->start = i;
        g->end = i + 1;
    }
    return 0;
}

/* Mark the elements read r lists with stamp (and those it lists twice). */
static void stamp_read(checker *c, const final_read *r, uint64_t stamp) {
    for (size_t j = 0; j < r->count; j++) {
        element *e = &c->el[c->ids[r->first + j]];
        if (e->stamp != stamp) e->stamp = stamp;
        else e->dup_stamp = stamp;
    }
}

/* One final read's entry; adds its anomalies to *anomalies. */
static json_t *check_read(checker *c, size_t k, size_t *anomalies) {
    const fl_history *h = c->h;
    const final_read *r = &c->reads[k];
    const fl_op *done = &h->ops[r->pos];
    const fl_op *inv = &h->ops[done->pair];
    uint64_t stamp = k + 1;
    stamp_read(c, r, stamp);
    fl_set_list lost, unexpected, failed, duplicated;
    fl_set_list_init(&lost);
    fl_set_list_init(&unexpected);
    fl_set_list_init(&failed);
    fl_set_list_init(&duplicated);
    size_t recovered = 0;
    const group *g = &c->groups[r->group];
    for (size_t i = g->start; i < g->end; i++) {
        element *e = c->order[i];
        bool present = e->stamp == stamp;
        if (present) e->present_in++;
        if (e->dup_stamp == stamp) {
            e->dup_in++;
            fl_set_list_add(&duplicated, e->v.value);
        }
        switch (status(e)) {
        case EL_ACKNOWLEDGED:
            if (!present) {
                e->missing_in++;
                fl_set_list_add(&lost, e->v.value);
            }
            break;
        case EL_INDETERMINATE:
            if (present) recovered++;
            break;
        case EL_FAILED:
            if (present) fl_set_list_add(&failed, e->v.value);
            break;
        default:
            if (present) fl_set_list_add(&unexpected, e->v.value);
            break;
        }
    }
    *anomalies += lost.count + unexpected.count + failed.count + duplicated.count;
    json_t *o = json_object();
    const char *node = fl_set_op_node(h, done);
    json_object_set_new(o, "index", json_integer(inv->index));
    json_object_set_new(o, "complete_index", json_integer(done->index));
    json_object_set_new(o, "process", json_integer(done->process));
    json_object_set_new(o, "node", node ? json_string(node) : json_null());
    if (done->line) json_object_set_new(o, "line", json_integer(done->line));
    if (r->group) json_object_set_new(o, "key", fl_set_key_json(h, r->group));
    json_object_set_new(o, "element_count", json_integer((json_int_t)r->count));
    fl_set_list_put(o, "lost", "lost_count", &lost);
    fl_set_list_put(o, "unexpected", "unexpected_count", &unexpected);
    fl_set_list_put(o, "failed_but_present", "failed_but_present_count", &failed);
    fl_set_list_put(o, "duplicated", "duplicated_count", &duplicated);
    json_object_set_new(o, "recovered_count", json_integer((json_int_t)recovered));
    return o;
}

static json_t *detail_entry(const checker *c, element *e, int64_t add_pos, const char *reads,
                            json_t **reads_list) {
    json_t *o = json_object();
    json_object_set_new(o, "element", json_incref(e->v.value));
    if (e->v.group) json_object_set_new(o, "key", fl_set_key_json(c->h, e->v.group));
    json_object_set_new(o, "add", add_json(c->h, add_pos));
    *reads_list = json_array();
    json_object_set(o, reads, *reads_list);
    return o;
}

static json_t *build_result(checker *c) {
    const fl_history *h = c->h;
    json_t *result = json_object();
    if (!result) return NULL;
    size_t anomalies = 0;
    json_t *final_reads = json_array();
    for (size_t k = 0; k < c->n_reads; k++)
        json_array_append_new(final_reads, check_read(c, k, &anomalies));

    /* Unions over the final reads, and the elements shown with their ops. */
    size_t counts[4] = {0}, add_count = 0, never_read = 0;
    fl_set_list lost, unexpected, failed, duplicated, recovered;
    fl_set_list_init(&lost);
    fl_set_list_init(&unexpected);
    fl_set_list_init(&failed);
    fl_set_list_init(&duplicated);
    fl_set_list_init(&recovered);
    json_t *lost_ops = json_array(), *failed_ops = json_array();
    detail details[2 * DETAIL_MAX];
    size_t n_details = 0, n_lost_details = 0, n_failed_details = 0;
    for (size_t g = 0; g < c->n_groups; g++) add_count += c->groups[g].adds;
    for (size_t i = 0; i < c->n_el; i++) {
        element *e = c->order[i];
        int s = status(e);
        counts[s]++;
        if (e->dup_in) fl_set_list_add(&duplicated, e->v.value);
        if (s == EL_ACKNOWLEDGED && e->missing_in) {
            fl_set_list_add(&lost, e->v.value);
            if (!e->present_in) never_read++;
            if (n_lost_details < DETAIL_MAX) {
                detail *d = &details[n_details++];
                d->e = e;
                d->entry = detail_entry(c, e, e->ok_pos, "missing_from", &d->reads);
                json_array_append_new(lost_ops, d->entry);
                n_lost_details++;
            }
        } else if (s == EL_FAILED && e->present_in) {
            fl_set_list_add(&failed, e->v.value);
            if (n_failed_details < DETAIL_MAX) {
                detail *d = &details[n_details++];
                d->e = e;
                d->entry = detail_entry(c, e, e->fail_pos, "present_in", &d->reads);
                json_array_append_new(failed_ops, d->entry);
                n_failed_details++;
            }
        } else if (s == EL_INDETERMINATE && e->present_in) {
            fl_set_list_add(&recovered, e->v.value);
        } else if (s == EL_UNATTEMPTED) {
            fl_set_list_add(&unexpected, e->v.value);
        }
    }
    /* Which final reads miss (or list) each element shown: mark them again. */
    if (n_details) {
        for (size_t k = 0; k < c->n_reads; k++) {
            const final_read *r = &c->reads[k];
            uint64_t stamp = c->n_reads + 1 + k;
            stamp_read(c, r, stamp);
            for (size_t j = 0; j < n_details; j++) {
                const element *e = details[j].e;
                if (e->v.group != r->group) continue;
                bool present = e->stamp == stamp;
                if (present == (status(e) == EL_FAILED))
                    json_array_append_new(details[j].reads, read_ref_json(h, r));
            }
        }
        for (size_t j = 0; j < n_details; j++) json_decref(details[j].reads);
    }

    json_t *reason =
        fl_set_unknown_reason(h, c->groups, c->n_groups, c->n_reads, c->n_ok_reads, result);
    if (anomalies && reason) {
        json_decref(reason);
        reason = NULL;
    }
    json_object_set_new(result, "valid",
                        anomalies ? json_false() : reason ? json_string("unknown") : json_true());
    if (reason) json_object_set_new(result, "reason", reason);
    json_object_set_new(result, "add_count", json_integer((json_int_t)add_count));
    json_object_set_new(result, "attempted_count",
                        json_integer((json_int_t)(c->n_el - counts[EL_UNATTEMPTED])));
    json_object_set_new(result, "acknowledged_count",
                        json_integer((json_int_t)counts[EL_ACKNOWLEDGED]));
    json_object_set_new(result, "indeterminate_count",
                        json_integer((json_int_t)counts[EL_INDETERMINATE]));
    json_object_set_new(result, "failed_count", json_integer((json_int_t)counts[EL_FAILED]));
    json_object_set_new(result, "final_read_count", json_integer((json_int_t)c->n_reads));
    json_object_set_new(result, "ignored_read_count",
                        json_integer((json_int_t)(c->n_ok_reads - c->n_reads)));
    json_object_set_new(result, "final_reads", final_reads);
    fl_set_list_put(result, "lost", "lost_count", &lost);
    json_object_set_new(result, "never_read_count", json_integer((json_int_t)never_read));
    json_object_set_new(result, "lost_ops", lost_ops);
    fl_set_list_put(result, "unexpected", "unexpected_count", &unexpected);
    fl_set_list_put(result, "failed_but_present", "failed_but_present_count", &failed);
    json_object_set_new(result, "failed_but_present_ops", failed_ops);
    fl_set_list_put(result, "duplicated", "duplicated_count", &duplicated);
    fl_set_list_put(result, "recovered", "recovered_count", &recovered);
    return result;
}

json_t *fl_check_set(const fl_history *h, fl_error *err) {
    fl_error local;
    checker c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.err = err ? err : &local;
    c.n_groups = h->key_count + 1;
    c.groups = calloc(c.n_groups, sizeof *c.groups);
    int ids_rc = fl_set_ids_init(&c.ids_of);
    json_t *result = NULL;
    if (!c.groups || ids_rc != 0) {
        oom(&c);
        goto done;
    }
    for (size_t g = 0; g < c.n_groups; g++) c.groups[g].last_add_end = -1;
    if (scan(&c) != 0 || resolve_final_reads(&c) != 0 || sort_elements(&c) != 0) goto done;
    result = fl_empty_history_valid(h, build_result(&c));
    if (!result) oom(&c);
done:
    fl_set_ids_free(&c.ids_of);
    free(c.el);
    free(c.groups);
    free(c.ok_reads);
    free(c.reads);
    free(c.ids);
    free(c.order);
    return result;
}
