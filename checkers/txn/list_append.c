/* list-append analysis (txn_internal.h; DESIGN.md "Checkers", txn): every key's version
 * order is its longest read (each other read must be a prefix of it), and from the order
 * come the data edges — wr (the appender of a read's last element precedes the reader),
 * ww (an append follows the append before it) and rw (a read that saw the element before
 * an append precedes that append) — and the anomalies no cycle shows. */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "txn_internal.h"

typedef struct list_ctx {
    const txn_set *s;
    txn_found *f;
    edge_buf *b;
    txn_versions *v;
    bool *final;            /* version -> its txn's last append to that key */
    uint32_t *reader_head;  /* version -> first read micro-op whose last element it is */
    uint32_t *empty_head;   /* key -> first read micro-op that saw the empty list */
    uint32_t *read_next;    /* micro-op -> next in its list */
    uint32_t *mop_txn;      /* micro-op -> its txn */
    uint32_t *stamp;        /* version -> the last read that held it (duplicates) */
    uint32_t read_number;
} list_ctx;

#define NONE UINT32_MAX

#define read_elems txn_read_elems

static void note(list_ctx *c, const char *type, int32_t key, json_t *instance) {
    txn_found_add(c->f, type, key, instance);
}

static bool is_prefix(const int64_t *a, uint32_t na, const int64_t *b, uint32_t nb) {
    return na <= nb && (na == 0 || !memcmp(a, b, (size_t)na * sizeof *a));
}

/* Whether x is among xs[0 … n): for elements no append made, which have no position. */
static bool seen_before(const int64_t *xs, uint32_t n, int64_t x) {
    for (uint32_t i = 0; i < n; i++)
        if (xs[i] == x) return true;
    return false;
}

/* Each key's order: its longest read (from committed or indeterminate txns), elements
 * distinct; a read that is not a prefix of it is an incompatible-order, once per key. */
static int build_orders(list_ctx *c) {
    const txn_set *s = c->s;
    txn_versions *v = c->v;
    uint32_t *longest = malloc((s->n_keys ? s->n_keys : 1) * sizeof *longest);
    uint32_t *appends = calloc(s->n_keys ? s->n_keys : 1, sizeof *appends);
    uint32_t *first_append = malloc((s->n_keys ? s->n_keys : 1) * sizeof *first_append);
    v->order_off = calloc((size_t)s->n_keys + 1, sizeof *v->order_off);
    v->order_len = calloc(s->n_keys ? s->n_keys : 1, sizeof *v->order_len);
    if (!longest || !appends || !first_append || !v->order_off || !v->order_len) goto oom;
    for (uint32_t k = 0; k < s->n_keys; k++) longest[k] = NONE;
    for (size_t i = 0; i < s->n_mops; i++) {
        const txn_mop *m = &s->mops[i];
        if (m->f == MOP_APPEND && appends[m->key]++ == 0) first_append[m->key] = (uint32_t)i;
        if (m->f != MOP_READ || !m->known || m->nil || !txn_possible(&s->txns[c->mop_txn[i]]))
            continue;
        if (longest[m->key] == NONE || s->mops[longest[m->key]].list_len < m->list_len)
            longest[m->key] = (uint32_t)i;
    }
    bool *reported = calloc(s->n_keys ? s->n_keys : 1, sizeof *reported);
    if (!reported) goto oom;
    for (size_t i = 0; i < s->n_mops; i++) {
        const txn_mop *m = &s->mops[i];
        if (m->f != MOP_READ || !m->known || m->nil || !txn_possible(&s->txns[c->mop_txn[i]]))
            continue;
        const txn_mop *l = &s->mops[longest[m->key]];
        if (reported[m->key] || is_prefix(read_elems(s, m), m->list_len, read_elems(s, l), l->list_len))
            continue;
        reported[m->key] = true;
        char *k = txn_key_text(s, m->key);
        char *a = txn_list_text(read_elems(s, m), m->list_len);
        char *b = txn_list_text(read_elems(s, l), l->list_len);
        char *na = txn_name(s, c->mop_txn[i]), *nb = txn_name(s, c->mop_txn[longest[m->key]]);
        char *why = txn_fmt("%s read %s = %s and %s read %s = %s: neither is a prefix of the "
                            "other, so no single order of appends to %s explains both",
                            na, k, a, nb, k, b, k);
        note(c, "incompatible-order", m->key, json_pack("{s:s?,s:[s?,s?],s:o,s:s?}", "key", k,
             "values", a, b, "ops", txn_ops_json2(s, c->mop_txn[i], c->mop_txn[longest[m->key]]),
             "explanation", why));
        free(k), free(a), free(b), free(na), free(nb), free(why);
    }
    free(reported);
    /* Lay the orders out; a key never read but appended once has that one element. */
    size_t total = 0;
    for (uint32_t k = 0; k < s->n_keys; k++) {
        v->order_off[k] = total;
        if (longest[k] != NONE) total += s->mops[longest[k]].list_len;
        else if (appends[k] == 1) total += 1;
    }
    v->order_off[s->n_keys] = total;
    v->order = malloc((total ? total : 1) * sizeof *v->order);
    uint32_t nv = kv_index_count(v->idx);
    v->pos = malloc((nv ? nv : 1) * sizeof *v->pos);
    if (!v->order || !v->pos) goto oom;
    for (uint32_t id = 0; id < nv; id++) v->pos[id] = -1;
    for (uint32_t k = 0; k < s->n_keys; k++) {
        int64_t *out = &v->order[v->order_off[k]];
        uint32_t n = 0;
        if (longest[k] != NONE) {
            const txn_mop *l = &s->mops[longest[k]];
            const int64_t *e = read_elems(s, l);
            for (uint32_t i = 0; i < l->list_len; i++) {
                int64_t id = kv_index_find(v->idx, (int32_t)k, e[i]);
                if (id >= 0 && v->pos[id] >= 0) continue; /* a duplicate: first place holds */
                if (id < 0 && seen_before(out, n, e[i])) continue; /* nobody's element, twice */
                if (id >= 0) v->pos[id] = (int32_t)n;
                out[n++] = e[i];
            }
        } else if (appends[k] == 1) {
            int64_t only = s->mops[first_append[k]].value;
            out[n++] = only;
            v->pos[kv_index_find(v->idx, (int32_t)k, only)] = 0;
        }
        v->order_len[k] = n;
    }
    free(longest);
    free(appends);
    free(first_append);
    return 0;
oom:
    free(longest);
    free(appends);
    free(first_append);
    return -1;
}

int64_t txn_list_prev(const txn_versions *v, int32_t k, int64_t value, bool *is_init) {
    assert(v && v->workload == FL_TXN_LIST_APPEND && k >= 0);
    int64_t id = kv_index_find(v->idx, k, value);
    int32_t p = id >= 0 ? v->pos[id] : -1;
    const int64_t *order = &v->order[v->order_off[k]];
    uint32_t len = v->order_len[k];
    if (p < 0) p = (int32_t)len; /* never read: after every element read */
    *is_init = p == 0;
    return p == 0 ? 0 : order[p - 1];
}

/* Readers by what they saw last: the empty list per key, else the version of the last
 * element (reads of elements nobody appended have no version and no readers list). */
static int index_readers(list_ctx *c) {
    const txn_set *s = c->s;
    uint32_t nv = kv_index_count(c->v->idx);
    c->reader_head = malloc((nv ? nv : 1) * sizeof *c->reader_head);
    c->empty_head = malloc((s->n_keys ? s->n_keys : 1) * sizeof *c->empty_head);
    c->read_next = malloc((s->n_mops ? s->n_mops : 1) * sizeof *c->read_next);
    if (!c->reader_head || !c->empty_head || !c->read_next) return -1;
    for (uint32_t i = 0; i < nv; i++) c->reader_head[i] = NONE;
    for (uint32_t k = 0; k < s->n_keys; k++) c->empty_head[k] = NONE;
    for (size_t i = s->n_mops; i-- > 0;) {
        const txn_mop *m = &s->mops[i];
        c->read_next[i] = NONE;
        if (m->f != MOP_READ || !m->known || !txn_possible(&s->txns[c->mop_txn[i]])) continue;
        uint32_t *head;
        if (m->nil) {
            head = &c->empty_head[m->key];
        } else {
            int64_t id = kv_index_find(c->v->idx, m->key, read_elems(s, m)[m->list_len - 1]);
            if (id < 0) continue;
            head = &c->reader_head[id];
        }
        c->read_next[i] = *head;
        *head = (uint32_t)i;
    }
    return 0;
}

static void add_edges(list_ctx *c) {
    const txn_set *s = c->s;
    const txn_versions *v = c->v;
    for (size_t i = 0; i < s->n_mops; i++) {
        const txn_mop *m = &s->mops[i];
        uint32_t t = c->mop_txn[i];
        if (!txn_possible(&s->txns[t])) continue;
        if (m->f == MOP_READ) {
            if (!m->known || m->nil) continue;
            int64_t id = kv_index_find(v->idx, m->key, read_elems(s, m)[m->list_len - 1]);
            if (id >= 0 && txn_possible(&s->txns[v->writer[id]])) edge_add(c->b, v->writer[id], t, REL_WR);
            continue;
        }
        bool init;
        int64_t prev = txn_list_prev(v, m->key, m->value, &init);
        uint32_t readers = c->empty_head[m->key];
        if (!init) {
            int64_t pid = kv_index_find(v->idx, m->key, prev);
            readers = pid >= 0 ? c->reader_head[pid] : NONE;
            if (pid >= 0 && txn_possible(&s->txns[v->writer[pid]]))
                edge_add(c->b, v->writer[pid], t, REL_WW);
        }
        for (uint32_t r = readers; r != NONE; r = c->read_next[r]) edge_add(c->b, c->mop_txn[r], t, REL_RW);
    }
}

/* What one read shows by itself: duplicate elements, elements a failed txn appended
 * (G1a), elements nobody appended (garbage-read), a last element another txn went on to
 * append after (G1b). */
static void check_read(list_ctx *c, uint32_t t, const txn_mop *m) {
    const txn_set *s = c->s;
    const txn_versions *v = c->v;
    const int64_t *e = read_elems(s, m);
    char *name = txn_name(s, t), *k = txn_key_text(s, m->key);
    char *seen = txn_list_text(e, m->list_len);
    c->read_number++;
    bool dup_done = false, g1a_done = false, garbage_done = false;
    for (uint32_t i = 0; i < m->list_len; i++) {
        int64_t id = kv_index_find(v->idx, m->key, e[i]);
        if (!dup_done && id >= 0 && c->stamp[id] == c->read_number) {
            char *why = txn_fmt("%s read %s = %s, which holds %" PRId64 " twice: an element "
                                "is appended once, so it can appear once", name, k, seen, e[i]);
            note(c, "duplicate-elements", m->key, json_pack("{s:s?,s:I,s:s?,s:o,s:s?}", "key", k,
                 "element", (json_int_t)e[i], "value", seen, "ops", txn_ops_json2(s, t, NONE),
                 "explanation", why));
            free(why);
            dup_done = true;
        }
        if (id >= 0) c->stamp[id] = c->read_number;
        if (id < 0) {
            if (!garbage_done) {
                char *why = txn_fmt("%s read %s = %s, but no transaction appended %" PRId64
                                    " to %s", name, k, seen, e[i], k);
                note(c, "garbage-read", m->key, json_pack("{s:s?,s:I,s:s?,s:o,s:s?}", "key", k,
                     "element", (json_int_t)e[i], "value", seen, "ops", txn_ops_json2(s, t, NONE),
                     "explanation", why));
                free(why);
                garbage_done = true;
            }
            continue;
        }
        uint32_t w = v->writer[id];
        if (!g1a_done && s->txns[w].type == FL_FAIL && s->txns[t].type == FL_OK) {
            char *wn = txn_name(s, w);
            char *why = txn_fmt("%s read %s = %s, which holds %" PRId64 ", appended by %s, "
                                "which failed: an aborted read", name, k, seen, e[i], wn);
            note(c, "G1a", m->key, json_pack("{s:s?,s:I,s:s?,s:o,s:s?}", "key", k, "element",
                 (json_int_t)e[i], "value", seen, "ops", txn_ops_json2(s, t, w), "explanation", why));
            free(wn), free(why);
            g1a_done = true;
        }
        if (i + 1 == m->list_len && !c->final[id] && w != t && s->txns[t].type == FL_OK &&
            s->txns[w].type != FL_FAIL) {
            char *wn = txn_name(s, w);
            char *why = txn_fmt("%s read %s = %s, ending in %" PRId64 ", which %s appended "
                                "before appending more to %s in the same transaction: an "
                                "intermediate read", name, k, seen, e[i], wn, k);
            note(c, "G1b", m->key, json_pack("{s:s?,s:I,s:s?,s:o,s:s?}", "key", k, "element",
                 (json_int_t)e[i], "value", seen, "ops", txn_ops_json2(s, t, w), "explanation", why));
            free(wn), free(why);
        }
    }
    free(k), free(name), free(seen);
}

/* Within one txn: a read must show what the txn already knows of the key — the list it
 * read before plus what it appended since, or at least its own appends at the end
 * (internal); it must not show an element the txn appends only later (future-read). */
typedef struct key_state {
    int32_t key;
    bool prefix_known;  /* elems is the whole list, not just its end */
    uint32_t from, len; /* elems = scratch[from … from+len) */
} key_state;

static void check_txn_internal(list_ctx *c, uint32_t t, int64_t **scratch, size_t *scap) {
    const txn_set *s = c->s;
    const txn *x = &s->txns[t];
    const txn_mop *m = txn_mops(s, x);
    key_state st[64];
    uint32_t nst = 0;
    size_t used = 0;
    for (uint32_t i = 0; i < x->mop_count; i++) {
        key_state *ks = NULL;
        for (uint32_t j = 0; j < nst; j++)
            if (st[j].key == m[i].key) ks = &st[j];
        if (m[i].f == MOP_READ && m[i].known) {
            const int64_t *e = read_elems(s, &m[i]);
            for (uint32_t j = i + 1; j < x->mop_count; j++) {
                if (m[j].f != MOP_APPEND || m[j].key != m[i].key) continue;
                bool found = false;
                for (uint32_t q = 0; q < m[i].list_len && !found; q++) found = e[q] == m[j].value;
                if (!found) continue;
                char *k = txn_key_text(s, m[i].key), *name = txn_name(s, t);
                char *seen = txn_list_text(e, m[i].list_len);
                char *why = txn_fmt("%s read %s = %s, which holds %" PRId64 ", an element %s "
                                    "itself appends only later", name, k, seen, m[j].value, name);
                note(c, "future-read", m[i].key, json_pack("{s:s?,s:I,s:s?,s:o,s:s?}", "key", k, "element",
                     (json_int_t)m[j].value, "value", seen, "ops", txn_ops_json2(s, t, NONE),
                     "explanation", why));
                free(k), free(name), free(seen), free(why);
                break;
            }
            if (ks) {
                const int64_t *want = ks->len ? *scratch + ks->from : NULL;
                bool ok = ks->prefix_known
                              ? m[i].list_len == ks->len && (!ks->len || !memcmp(e, want, ks->len * sizeof *e))
                              : m[i].list_len >= ks->len &&
                                    (!ks->len || !memcmp(e + m[i].list_len - ks->len, want, ks->len * sizeof *e));
                if (!ok) {
                    char *k = txn_key_text(s, m[i].key), *name = txn_name(s, t);
                    char *seen = txn_list_text(e, m[i].list_len);
                    char *exp = txn_list_text(want, ks->len);
                    char *why = ks->prefix_known
                        ? txn_fmt("%s read %s = %s, but its own earlier reads and appends say "
                                  "%s = %s", name, k, seen, k, exp)
                        : txn_fmt("%s read %s = %s, but it had appended %s to %s, so the read "
                                  "must end with them", name, k, seen, exp, k);
                    note(c, "internal", m[i].key, json_pack("{s:s?,s:s?,s:s?,s:o,s:s?}", "key", k,
                         "expected", exp, "value", seen, "ops", txn_ops_json2(s, t, NONE),
                         "explanation", why));
                    free(k), free(name), free(seen), free(exp), free(why);
                }
            }
            if (!ks && nst < 64) ks = &st[nst++];
            if (!ks) continue;
            if (fl_grow((void **)scratch, scap, used + m[i].list_len + x->mop_count, sizeof **scratch))
                return;
            if (m[i].list_len) memcpy(*scratch + used, e, m[i].list_len * sizeof *e);
            *ks = (key_state){m[i].key, true, (uint32_t)used, m[i].list_len};
            used += m[i].list_len;
        } else if (m[i].f == MOP_APPEND) {
            if (!ks && nst < 64) {
                ks = &st[nst++];
                *ks = (key_state){m[i].key, false, (uint32_t)used, 0};
            }
            if (!ks) continue;
            /* Move this key's elements to the end of scratch, then add the element. */
            if (fl_grow((void **)scratch, scap, used + ks->len + 1, sizeof **scratch)) return;
            if (ks->len) memmove(*scratch + used, *scratch + ks->from, ks->len * sizeof **scratch);
            ks->from = (uint32_t)used;
            (*scratch)[used + ks->len] = m[i].value;
            ks->len++;
            used += ks->len;
        }
    }
}

/* Walking a key's order: an element a committed txn appended after one a failed txn
 * appended (indeterminate ones between) — the committed append built on aborted state. */
static void check_dirty_updates(list_ctx *c) {
    const txn_set *s = c->s;
    const txn_versions *v = c->v;
    for (uint32_t k = 0; k < s->n_keys; k++) {
        const int64_t *order = &v->order[v->order_off[k]];
        int64_t failed_at = -1;
        for (uint32_t i = 0; i < v->order_len[k]; i++) {
            int64_t id = kv_index_find(v->idx, (int32_t)k, order[i]);
            if (id < 0) continue;
            uint8_t type = s->txns[v->writer[id]].type;
            if (type == FL_FAIL) {
                if (failed_at < 0) failed_at = i;
                continue;
            }
            if (type != FL_OK || failed_at < 0) continue;
            int64_t fid = kv_index_find(v->idx, (int32_t)k, order[failed_at]);
            char *key = txn_key_text(s, (int32_t)k);
            char *fname = txn_name(s, v->writer[fid]), *oname = txn_name(s, v->writer[id]);
            char *seq = txn_list_text(order + failed_at, i - (uint32_t)failed_at + 1);
            char *why = txn_fmt("in %s's order, %" PRId64 " (appended by %s, which failed) is "
                                "followed by %" PRId64 " (appended by %s, which committed): %s; a "
                                "committed write built on an aborted one", key, order[failed_at],
                                fname, order[i], oname, seq);
            note(c, "dirty-update", (int32_t)k, json_pack("{s:s?,s:s?,s:o,s:s?}", "key", key, "values", seq,
                 "ops", txn_ops_json2(s, v->writer[fid], v->writer[id]), "explanation", why));
            free(key), free(fname), free(oname), free(seq), free(why);
            failed_at = -1;
        }
    }
}

/* Lost update: two committed txns read the same list of a key before appending to it,
 * each unaware of the other's append. Grouped by (key, length, last element). */
typedef struct read_then_append {
    int32_t key;
    uint32_t len;
    int64_t last;
    uint32_t txn;
    uint32_t mop;
} read_then_append;

static int by_read(const void *x, const void *y) {
    const read_then_append *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    if (a->last != b->last) return a->last < b->last ? -1 : 1;
    return a->txn < b->txn ? -1 : a->txn > b->txn;
}

static int check_lost_updates(list_ctx *c) {
    const txn_set *s = c->s;
    read_then_append *rs = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t t = 0; t < s->n; t++) {
        const txn *x = &s->txns[t];
        if (x->type != FL_OK) continue;
        const txn_mop *m = txn_mops(s, x);
        for (uint32_t i = 0; i < x->mop_count; i++) {
            if (m[i].f != MOP_READ || !m[i].known) continue;
            bool first = true, appends_after = false;
            for (uint32_t j = 0; j < i; j++) first &= m[j].key != m[i].key;
            for (uint32_t j = i + 1; j < x->mop_count; j++)
                appends_after |= m[j].key == m[i].key && m[j].f == MOP_APPEND;
            if (!first || !appends_after) continue;
            if (fl_grow((void **)&rs, &cap, n + 1, sizeof *rs)) { free(rs); return -1; }
            rs[n++] = (read_then_append){m[i].key, m[i].list_len,
                                         m[i].list_len ? read_elems(s, &m[i])[m[i].list_len - 1] : 0,
                                         t, x->mop_off + i};
        }
    }
    if (n) qsort(rs, n, sizeof *rs, by_read);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && rs[j].key == rs[i].key && rs[j].len == rs[i].len && rs[j].last == rs[i].last) j++;
        if (j - i >= 2) {
            const txn_mop *m = &s->mops[rs[i].mop];
            char *seen = txn_list_text(read_elems(s, m), m->list_len);
            txn_note_lost_update(c->f, s, rs[i].key, seen, &rs[i].txn, sizeof *rs, j - i, "appended to");
            free(seen);
        }
        i = j;
    }
    free(rs);
    return 0;
}

int txn_list_analyse(const txn_set *s, txn_found *f, edge_buf *b, txn_versions **out) {
    assert(s && f && b && out);
    txn_versions *v = calloc(1, sizeof *v);
    list_ctx c = {.s = s, .f = f, .b = b, .v = v};
    int rc = -1;
    int64_t *scratch = NULL;
    size_t scap = 0;
    if (!v) return -1;
    v->workload = FL_TXN_LIST_APPEND;
    v->idx = kv_index_new();
    c.mop_txn = malloc((s->n_mops ? s->n_mops : 1) * sizeof *c.mop_txn);
    if (!v->idx || !c.mop_txn) goto done;
    for (uint32_t t = 0; t < s->n; t++)
        for (uint32_t i = 0; i < s->txns[t].mop_count; i++) c.mop_txn[s->txns[t].mop_off + i] = t;
    bool duplicate = false;
    json_t *dup = NULL;
    if (txn_index_writes(s, v, MOP_APPEND, &c.final, &duplicate, &dup)) goto done;
    if (duplicate) {
        /* Every inference rests on each element naming one append (Elle: unknown). */
        json_object_set_new(f->by_type, "duplicate-appends", json_pack("[o]", dup));
        rc = 1;
        goto done;
    }
    uint32_t nv = kv_index_count(v->idx);
    c.stamp = calloc(nv ? nv : 1, sizeof *c.stamp);
    if (!c.stamp || build_orders(&c) || index_readers(&c)) goto done;
    for (size_t i = 0; i < s->n_mops; i++) {
        const txn_mop *m = &s->mops[i];
        if (m->f == MOP_READ && m->known && !m->nil && txn_possible(&s->txns[c.mop_txn[i]]))
            check_read(&c, c.mop_txn[i], m);
    }
    for (uint32_t t = 0; t < s->n; t++)
        if (txn_possible(&s->txns[t])) check_txn_internal(&c, t, &scratch, &scap);
    check_dirty_updates(&c);
    if (check_lost_updates(&c)) goto done;
    add_edges(&c);
    rc = 0;
done:
    free(scratch);
    free(c.final);
    free(c.reader_head);
    free(c.empty_head);
    free(c.read_next);
    free(c.mop_txn);
    free(c.stamp);
    if (rc < 0) {
        txn_versions_free(v);
        v = NULL;
    }
    *out = v;
    return rc;
}
