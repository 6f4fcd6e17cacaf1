/* The set / durability checker (see set.h). Elements are identified per set by
 * (key, canonical JSON text) in one hash map; every element read by a final read gets
 * an entry too (unattempted when no add named it). All elements are sorted once, so
 * each read's lists come out sorted by walking its set's elements in that order. */
#include "set.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 100   /* elements shown per list */
#define DETAIL_MAX 10  /* lost / failed-but-present elements shown with their ops */

enum { EL_UNATTEMPTED = 0, EL_ACKNOWLEDGED, EL_INDETERMINATE, EL_FAILED };

typedef struct element {
    json_t *value;       /* borrowed from the history */
    const char *text;    /* canonical JSON text, owned by the map */
    size_t text_len;
    int64_t group;       /* the op's key + 1: 0 is the set of ops without a key */
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

typedef struct group {
    int64_t last_add_end; /* position where the last add of the set ended, or -1 */
    size_t adds, ok_reads, final_reads;
    size_t start, end;    /* the set's elements: order[start..end) */
} group;

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
    fl_strmap *map;       /* group (8 bytes) + canonical text -> element id */
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
    char *buf;            /* scratch for map keys */
    size_t buf_cap;
} checker;

static int grow(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * size);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int64_t op_key(const fl_history *h, const fl_op *op) {
    if (op->key != FL_NO_KEY || op->pair == FL_NO_PAIR) return op->key;
    return h->ops[op->pair].key;
}

/* The element id of value in group, adding an unattempted element when new; -1 on OOM. */
static int64_t element_id(checker *c, int64_t group, json_t *value) {
    char number[32];
    char *dumped = NULL;
    const char *text;
    size_t len;
    if (json_is_integer(value)) {
        len = (size_t)snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT,
                               json_integer_value(value));
        text = number;
    } else {
        dumped = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (!dumped) return -1;
        text = dumped;
        len = strlen(dumped);
    }
    if (grow((void **)&c->buf, &c->buf_cap, len + 8, 1) != 0) {
        free(dumped);
        return -1;
    }
    memcpy(c->buf, &group, 8);
    memcpy(c->buf + 8, text, len);
    free(dumped);
    if (grow((void **)&c->el, &c->cap_el, c->n_el + 1, sizeof *c->el) != 0) return -1;
    const char *stored;
    int64_t id = fl_strmap_put_copy(c->map, c->buf, len + 8, (int64_t)c->n_el, &stored);
    if (id < 0) return -1;
    if ((size_t)id == c->n_el) {
        element *e = &c->el[c->n_el++];
        memset(e, 0, sizeof *e);
        e->value = value;
        e->text = stored + 8;
        e->text_len = len;
        e->group = group;
        e->ok_pos = e->indet_pos = e->fail_pos = -1;
        e->detail = -1;
    }
    return id;
}

static int status(const element *e) {
    if (e->ok_pos >= 0) return EL_ACKNOWLEDGED;
    if (e->indet_pos >= 0) return EL_INDETERMINATE;
    if (e->fail_pos >= 0) return EL_FAILED;
    return EL_UNATTEMPTED;
}

/* null < booleans < numbers (numerically) < strings (bytes) < arrays < objects; ties
 * and other values by canonical text. Equal texts are the same element. */
static int type_rank(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_NULL: return 0;
    case JSON_FALSE:
    case JSON_TRUE: return 1;
    case JSON_INTEGER:
    case JSON_REAL: return 2;
    case JSON_STRING: return 3;
    case JSON_ARRAY: return 4;
    default: return 5;
    }
}

static int compare_bytes(const char *a, size_t alen, const char *b, size_t blen) {
    int d = memcmp(a, b, alen < blen ? alen : blen);
    if (d) return d < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

static int compare_elements(const void *pa, const void *pb) {
    const element *a = *(element *const *)pa, *b = *(element *const *)pb;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    int ra = type_rank(a->value), rb = type_rank(b->value);
    if (ra != rb) return ra < rb ? -1 : 1;
    if (ra == 1 && json_is_true(a->value) != json_is_true(b->value))
        return json_is_true(a->value) ? 1 : -1;
    if (ra == 2) {
        if (json_is_integer(a->value) && json_is_integer(b->value)) {
            json_int_t x = json_integer_value(a->value), y = json_integer_value(b->value);
            if (x != y) return x < y ? -1 : 1;
        } else {
            double x = json_number_value(a->value), y = json_number_value(b->value);
            if (x != y) return x < y ? -1 : 1;
        }
    }
    if (ra == 3) {
        int d = compare_bytes(json_string_value(a->value), json_string_length(a->value),
                              json_string_value(b->value), json_string_length(b->value));
        if (d) return d;
    }
    return compare_bytes(a->text, a->text_len, b->text, b->text_len);
}

/* ------------------------------------------------------------------------------------ */
/* Result pieces                                                                        */

static json_t *key_json(const fl_history *h, int64_t group) {
    return group == 0 ? json_null() : json_incref(h->keys[group - 1]);
}

static const char *op_node(const fl_history *h, const fl_op *op) {
    if (op->node) return op->node;
    return op->pair == FL_NO_PAIR ? NULL : h->ops[op->pair].node;
}

/* An add as fl_op_pair_json shows ops, with times and node. */
static json_t *add_json(const fl_history *h, int64_t invoke_pos) {
    const fl_op *inv = &h->ops[invoke_pos];
    const fl_op *done = inv->pair == FL_NO_PAIR ? NULL : &h->ops[inv->pair];
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(inv->index));
    json_object_set_new(o, "process", json_integer(inv->process));
    json_object_set_new(o, "f", json_string(inv->f));
    json_object_set_new(o, "value", inv->value ? json_incref(inv->value) : json_null());
    json_object_set_new(o, "type", json_string(done ? fl_op_type_name(done->type) : "info"));
    json_object_set_new(o, "complete_index", done ? json_integer(done->index) : json_null());
    if (inv->line) json_object_set_new(o, "line", json_integer(inv->line));
    if (inv->flags & FL_OP_HAS_TIME) json_object_set_new(o, "time", json_integer(inv->time_ns));
    if (done && (done->flags & FL_OP_HAS_TIME))
        json_object_set_new(o, "complete_time", json_integer(done->time_ns));
    const char *node = op_node(h, inv);
    if (node) json_object_set_new(o, "node", json_string(node));
    return o;
}

/* {"index": the read's invocation index, "node": …}. */
static json_t *read_ref_json(const fl_history *h, const final_read *r) {
    const fl_op *done = &h->ops[r->pos];
    const char *node = op_node(h, done);
    json_t *o = json_object();
    json_object_set_new(o, "index", json_integer(h->ops[done->pair].index));
    json_object_set_new(o, "node", node ? json_string(node) : json_null());
    return o;
}

typedef struct list {
    json_t *shown;
    size_t count;
} list;

static void list_init(list *l) {
    l->shown = json_array();
    l->count = 0;
}

static void list_add(list *l, element *e) {
    if (l->count++ < LIST_MAX) json_array_append(l->shown, e->value);
}

static void list_put(json_t *o, const char *name, const char *count_name, list *l) {
    json_object_set_new(o, name, l->shown);
    json_object_set_new(o, count_name, json_integer((json_int_t)l->count));
    l->shown = NULL;
}

/* ------------------------------------------------------------------------------------ */
/* The checker                                                                          */

static void oom(checker *c) {
    fl_error_set(c->err, c->h->source, 0, 0, "out of memory in the set checker");
}

static const char *json_kind(const json_t *v) {
    if (!v) return "absent";
    switch (json_typeof(v)) {
    case JSON_NULL: return "null";
    case JSON_OBJECT: return "an object";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "an array";
    }
}

/* Adds and ok reads, in one pass. 0, or -1 with err set. */
static int scan(checker *c) {
    const fl_history *h = c->h;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if (op->type != FL_INVOKE && op->pair == FL_NO_PAIR) {
            fl_error_set(c->err, h->source, op->line, 0,
                         "%s completion (index %lld) of process %lld has no paired "
                         "invocation: the history must be paired (fl_history_pair) before "
                         "the set checker runs",
                         fl_op_type_name(op->type), (long long)op->index,
                         (long long)op->process);
            return -1;
        }
        bool add = !strcmp(op->f, "add"), read = !strcmp(op->f, "read");
        if (add && op->type == FL_INVOKE) {
            if (!op->value || json_is_null(op->value)) {
                fl_error_set(c->err, h->source, op->line, 0,
                             "add (index %lld) of process %lld has %s: an add's value is "
                             "the element to add",
                             (long long)op->index, (long long)op->process,
                             op->value ? "null as its value" : "no value");
                return -1;
            }
            int64_t g = op_key(h, op) + 1;
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
            if (!json_is_array(op->value)) {
                fl_error_set(c->err, h->source, op->line, 0,
                             "ok read (index %lld) of process %lld: its value is %s, not "
                             "the list of elements read",
                             (long long)op->index, (long long)op->process,
                             json_kind(op->value));
                return -1;
            }
            if (grow((void **)&c->ok_reads, &c->cap_ok_reads, c->n_ok_reads + 1,
                     sizeof *c->ok_reads) != 0)
                goto out_of_memory;
            c->ok_reads[c->n_ok_reads++] = (int64_t)i;
            c->groups[op_key(h, op) + 1].ok_reads++;
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
        int64_t g = op_key(h, done) + 1;
        if (done->pair <= c->groups[g].last_add_end) continue;
        c->groups[g].final_reads++;
        final_read *r = &c->reads[c->n_reads++];
        r->pos = c->ok_reads[k];
        r->group = g;
        r->first = c->n_ids;
        r->count = json_array_size(done->value);
        if (grow((void **)&c->ids, &c->cap_ids, c->n_ids + r->count, sizeof *c->ids) != 0)
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
        group *g = &c->groups[c->order[i]->group];
        if (i == 0 || c->order[i - 1]->group != c->order[i]->group) g->start = i;
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
    list lost, unexpected, failed, duplicated;
    list_init(&lost);
    list_init(&unexpected);
    list_init(&failed);
    list_init(&duplicated);
    size_t recovered = 0;
    const group *g = &c->groups[r->group];
    for (size_t i = g->start; i < g->end; i++) {
        element *e = c->order[i];
        bool present = e->stamp == stamp;
        if (present) e->present_in++;
        if (e->dup_stamp == stamp) {
            e->dup_in++;
            list_add(&duplicated, e);
        }
        switch (status(e)) {
        case EL_ACKNOWLEDGED:
            if (!present) {
                e->missing_in++;
                list_add(&lost, e);
            }
            break;
        case EL_INDETERMINATE:
            if (present) recovered++;
            break;
        case EL_FAILED:
            if (present) list_add(&failed, e);
            break;
        default:
            if (present) list_add(&unexpected, e);
            break;
        }
    }
    *anomalies += lost.count + unexpected.count + failed.count + duplicated.count;
    json_t *o = json_object();
    const char *node = op_node(h, done);
    json_object_set_new(o, "index", json_integer(inv->index));
    json_object_set_new(o, "complete_index", json_integer(done->index));
    json_object_set_new(o, "process", json_integer(done->process));
    json_object_set_new(o, "node", node ? json_string(node) : json_null());
    if (done->line) json_object_set_new(o, "line", json_integer(done->line));
    if (r->group) json_object_set_new(o, "key", key_json(h, r->group));
    json_object_set_new(o, "element_count", json_integer((json_int_t)r->count));
    list_put(o, "lost", "lost_count", &lost);
    list_put(o, "unexpected", "unexpected_count", &unexpected);
    list_put(o, "failed_but_present", "failed_but_present_count", &failed);
    list_put(o, "duplicated", "duplicated_count", &duplicated);
    json_object_set_new(o, "recovered_count", json_integer((json_int_t)recovered));
    return o;
}

static json_t *detail_entry(const checker *c, element *e, int64_t add_pos, const char *reads,
                            json_t **reads_list) {
    json_t *o = json_object();
    json_object_set_new(o, "element", json_incref(e->value));
    if (e->group) json_object_set_new(o, "key", key_json(c->h, e->group));
    json_object_set_new(o, "add", add_json(c->h, add_pos));
    *reads_list = json_array();
    json_object_set(o, reads, *reads_list);
    return o;
}

/* Why there is no verdict, or NULL when every set with adds has a final read; puts
 * keys_without_final_read in result. */
static json_t *unknown_reason(const checker *c, json_t *result) {
    const fl_history *h = c->h;
    if (c->n_reads == 0) {
        if (c->n_ok_reads == 0) return json_string("no final read: no read completed ok");
        /* Name the latest-ending add of a set that has ok reads. */
        int64_t last = -1;
        for (size_t g = 0; g < c->n_groups; g++)
            if (c->groups[g].ok_reads && c->groups[g].last_add_end > last)
                last = c->groups[g].last_add_end;
        char text[256];
        snprintf(text, sizeof text,
                 "no final read: %zu ok read%s, none invoked after every add had ended "
                 "(the last add ended at index %lld)",
                 c->n_ok_reads, c->n_ok_reads == 1 ? "" : "s",
                 last >= 0 ? (long long)h->ops[last].index : -1LL);
        return json_string(text);
    }
    size_t with_adds = 0, without = 0;
    json_t *keys = json_array();
    for (size_t g = 0; g < c->n_groups; g++) {
        if (!c->groups[g].adds) continue;
        with_adds++;
        if (c->groups[g].final_reads) continue;
        if (without++ < LIST_MAX) json_array_append_new(keys, key_json(h, (int64_t)g));
    }
    if (!without) {
        json_decref(keys);
        return NULL;
    }
    json_object_set_new(result, "keys_without_final_read", keys);
    char text[256];
    snprintf(text, sizeof text,
             "no final read of %zu of the %zu sets with adds (keys_without_final_read)",
             without, with_adds);
    return json_string(text);
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
    list lost, unexpected, failed, duplicated, recovered;
    list_init(&lost);
    list_init(&unexpected);
    list_init(&failed);
    list_init(&duplicated);
    list_init(&recovered);
    json_t *lost_ops = json_array(), *failed_ops = json_array();
    detail details[2 * DETAIL_MAX];
    size_t n_details = 0, n_lost_details = 0, n_failed_details = 0;
    for (size_t g = 0; g < c->n_groups; g++) add_count += c->groups[g].adds;
    for (size_t i = 0; i < c->n_el; i++) {
        element *e = c->order[i];
        int s = status(e);
        counts[s]++;
        if (e->dup_in) list_add(&duplicated, e);
        if (s == EL_ACKNOWLEDGED && e->missing_in) {
            list_add(&lost, e);
            if (!e->present_in) never_read++;
            if (n_lost_details < DETAIL_MAX) {
                detail *d = &details[n_details++];
                d->e = e;
                d->entry = detail_entry(c, e, e->ok_pos, "missing_from", &d->reads);
                json_array_append_new(lost_ops, d->entry);
                n_lost_details++;
            }
        } else if (s == EL_FAILED && e->present_in) {
            list_add(&failed, e);
            if (n_failed_details < DETAIL_MAX) {
                detail *d = &details[n_details++];
                d->e = e;
                d->entry = detail_entry(c, e, e->fail_pos, "present_in", &d->reads);
                json_array_append_new(failed_ops, d->entry);
                n_failed_details++;
            }
        } else if (s == EL_INDETERMINATE && e->present_in) {
            list_add(&recovered, e);
        } else if (s == EL_UNATTEMPTED) {
            list_add(&unexpected, e);
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
                if (e->group != r->group) continue;
                bool present = e->stamp == stamp;
                if (present == (status(e) == EL_FAILED))
                    json_array_append_new(details[j].reads, read_ref_json(h, r));
            }
        }
        for (size_t j = 0; j < n_details; j++) json_decref(details[j].reads);
    }

    json_t *reason = unknown_reason(c, result);
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
    list_put(result, "lost", "lost_count", &lost);
    json_object_set_new(result, "never_read_count", json_integer((json_int_t)never_read));
    json_object_set_new(result, "lost_ops", lost_ops);
    list_put(result, "unexpected", "unexpected_count", &unexpected);
    list_put(result, "failed_but_present", "failed_but_present_count", &failed);
    json_object_set_new(result, "failed_but_present_ops", failed_ops);
    list_put(result, "duplicated", "duplicated_count", &duplicated);
    list_put(result, "recovered", "recovered_count", &recovered);
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
    c.map = fl_strmap_new();
    json_t *result = NULL;
    if (!c.groups || !c.map) {
        oom(&c);
        goto done;
    }
    for (size_t g = 0; g < c.n_groups; g++) c.groups[g].last_add_end = -1;
    if (scan(&c) != 0 || resolve_final_reads(&c) != 0 || sort_elements(&c) != 0) goto done;
    result = build_result(&c);
    if (!result) oom(&c);
done:
    fl_strmap_free(c.map);
    free(c.el);
    free(c.groups);
    free(c.ok_reads);
    free(c.reads);
    free(c.ids);
    free(c.order);
    free(c.buf);
    return result;
}
