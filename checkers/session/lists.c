/* The collecting pass of the list-append part of the session checker: in history order,
 * every append (its session, its place in the session, the session's read before it)
 * and every ok read (its length and hash, and what its session had done before it).
 * Nothing is compared here; lists_check.c does that once every append is known. */
#include <stdlib.h>
#include <string.h>

#include "lists_internal.h"

uint64_t list_hash_step(uint64_t prefix, int64_t element) {
    uint64_t x = (uint64_t)element; /* splitmix64's finaliser, then a polynomial step */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return prefix * 0x100000001b3ULL + x;
}

lists *lists_new(void) { return calloc(1, sizeof(lists)); }

void lists_free(lists *l) {
    if (!l) return;
    fl_pairmap_free(&l->append_ids);
    free(l->appends);
    free(l->reads);
    free(l->sessions);
    free(l->by_session);
    free(l->prefix);
    free(l->ids);
    free(l);
}

static list_session *session_of(checker *c, lists *l, int64_t process, int64_t group) {
    if (fl_grow((void **)&l->sessions, &l->cap_sessions, l->n_sessions + 1,
                   sizeof *l->sessions) != 0)
        return NULL;
    int64_t id = fl_pairmap_put(&c->sessions, process, (uint32_t)group, (uint32_t)l->n_sessions);
    if (id < 0) return NULL;
    if (id == (int64_t)l->n_sessions) {
        list_session *s = &l->sessions[l->n_sessions++];
        memset(s, 0, sizeof *s);
        s->process = process;
        s->group = (uint32_t)group;
        s->latest_read = -1;
    }
    return &l->sessions[id];
}

static const char *json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_NULL: return "null";
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    default: return "a boolean";
    }
}

static int append_invoked(checker *c, lists *l, size_t pos) {
    const fl_op *inv = &c->h->ops[pos];
    if (!json_is_integer(inv->value))
        return refuse(c, pos, "append", "has %s as its value: list-append values are integers",
                      inv->value ? json_kind(inv->value) : "nothing");
    int outcome = inv->pair == FL_NO_PAIR ? FL_INFO : c->h->ops[inv->pair].type;
    int64_t group = op_group(c->h, inv);
    list_session *s = session_of(c, l, inv->process, group);
    if (!s || fl_grow((void **)&l->appends, &l->cap_appends, l->n_appends + 1,
                         sizeof *l->appends) != 0)
        return out_of_memory(c);
    uint32_t id = (uint32_t)l->n_appends;
    int64_t value = json_integer_value(inv->value);
    int64_t known = fl_pairmap_put(&l->append_ids, value, (uint32_t)group, id);
    if (known < 0) return out_of_memory(c);
    if (known != id) {
        const list_append *first = &l->appends[known];
        if (first->outcome != FL_FAIL && outcome != FL_FAIL)
            return refuse(c, pos, "append", "appends %lld, which the append at index %lld "
                          "already appended to the key: list-append values are unique per key",
                          (long long)value, op_index(c, first->inv_pos));
        /* A failed append did not happen: the value belongs to the one that may have. */
        if (first->outcome == FL_FAIL && outcome != FL_FAIL)
            fl_pairmap_set(&l->append_ids, value, (uint32_t)group, id);
    }
    list_append *a = &l->appends[l->n_appends++];
    memset(a, 0, sizeof *a);
    a->inv_pos = (int64_t)pos;
    a->latest_read = s->latest_read;
    a->session = (uint32_t)(s - l->sessions);
    a->index = s->appends++;
    a->ok_before = s->ok_appends;
    a->outcome = (uint8_t)(outcome == FL_OK ? FL_OK : outcome == FL_FAIL ? FL_FAIL : FL_INFO);
    if (outcome == FL_OK) s->ok_appends++;
    return 0;
}

static int read_completed(checker *c, lists *l, size_t done_pos) {
    const fl_op *done = &c->h->ops[done_pos];
    const fl_op *inv = &c->h->ops[done->pair];
    const json_t *list = done->value;
    if (!list || (!json_is_array(list) && !json_is_null(list)))
        return refuse(c, done_pos, "ok read", "of a list-append key has %s as its value, not "
                      "the list read", list ? json_kind(list) : "nothing");
    size_t length = json_is_array(list) ? json_array_size(list) : 0;
    if (length > UINT32_MAX) return refuse(c, done_pos, "ok read", "lists too many elements");
    uint64_t hash = LIST_HASH_EMPTY;
    for (size_t i = 0; i < length; i++) {
        const json_t *e = json_array_get(list, i);
        if (!json_is_integer(e))
            return refuse(c, done_pos, "ok read", "lists %s at position %zu: list-append "
                          "elements are integers", json_kind(e), i);
        hash = list_hash_step(hash, json_integer_value(e));
    }
    list_session *s = session_of(c, l, inv->process, op_group(c->h, inv));
    if (!s || fl_grow((void **)&l->reads, &l->cap_reads, l->n_reads + 1, sizeof *l->reads) != 0)
        return out_of_memory(c);
    list_read *r = &l->reads[l->n_reads];
    r->done_pos = (int64_t)done_pos;
    r->hash = hash;
    r->length = (uint32_t)length;
    r->session = (uint32_t)(s - l->sessions);
    r->previous = s->latest_read;
    r->own_appends = s->appends;
    r->own_ok = s->ok_appends;
    s->latest_read = (int32_t)l->n_reads++;
    c->reads++;
    return 0;
}

int lists_op(checker *c, lists *l, size_t pos) {
    const fl_op *op = &c->h->ops[pos];
    const fl_op *inv = op->type == FL_INVOKE ? op : &c->h->ops[op->pair];
    if (!strcmp(inv->f, "append") && op->type == FL_INVOKE) return append_invoked(c, l, pos);
    if (!strcmp(inv->f, "read") && op->type == FL_OK) return read_completed(c, l, pos);
    return 0;
}
