/* rw-register analysis (txn_internal.h; DESIGN.md "Checkers", txn): each key's versions
 * form a graph, not a list — the initial nil precedes every version; a txn that read v1
 * and then wrote v2 orders v1 before v2 (writes follow reads); on request each process
 * (sequential keys) or real time (linearizable keys) orders the versions its txns saw. A
 * source that would make a key's versions cyclic is reported (cyclic-versions) and left
 * out for that key. From the graph come the data edges, and beside it the anomalies no
 * cycle shows. Values are unique per key (a second write of one value is refused). */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "txn_internal.h"

#define NONE UINT32_MAX

/* What a txn shows the world about one key: the first thing it read (before writing
 * it) and the last thing it wrote. */
typedef struct external {
    uint32_t txn;
    int32_t key;
    bool has_read, read_nil, has_write;
    int64_t read, write;
    uint32_t read_mop;
} external;

typedef struct rw_ctx {
    const txn_set *s;
    const fl_txn_options *o;
    txn_found *f;
    edge_buf *b;
    txn_versions *v;
    bool *final;           /* version -> last write of its key in its txn */
    external *ext;         /* every (txn, key) a possible txn touches, by txn */
    size_t n_ext;
    uint32_t *reader_head; /* version -> first external read of it (index into ext) */
    uint32_t *nil_head;    /* key -> first external nil read */
    uint32_t *read_next;
} rw_ctx;

static void note(rw_ctx *c, const char *type, int32_t key, json_t *instance) {
    txn_found_add(c->f, type, key, instance);
}

static char *value_text(bool nil, int64_t v) { return nil ? strdup("nil") : txn_fmt("%" PRId64, v); }

/* Each possible txn's external read and write per key; and, on the way, reads that
 * disagree with the txn's own earlier read or write (internal). */
static int collect_externals(rw_ctx *c) {
    const txn_set *s = c->s;
    size_t cap = 0;
    for (uint32_t t = 0; t < s->n; t++) {
        const txn *x = &s->txns[t];
        if (!txn_possible(x)) continue;
        const txn_mop *m = txn_mops(s, x);
        size_t first = c->n_ext;
        for (uint32_t i = 0; i < x->mop_count; i++) {
            external *e = NULL;
            for (size_t j = first; j < c->n_ext; j++)
                if (c->ext[j].key == m[i].key) e = &c->ext[j];
            if (!e) {
                if (fl_grow((void **)&c->ext, &cap, c->n_ext + 1, sizeof *c->ext)) return -1;
                e = &c->ext[c->n_ext++];
                *e = (external){.txn = t, .key = m[i].key, .read_mop = NONE};
            }
            if (m[i].f == MOP_WRITE) {
                e->has_write = true;
                e->write = m[i].value;
                continue;
            }
            if (!m[i].known) continue;
            /* What this txn already knows of the key: its last write, else its first read. */
            bool knows = e->has_write || e->has_read;
            bool k_nil = e->has_write ? false : e->read_nil;
            int64_t k_val = e->has_write ? e->write : e->read;
            if (knows && (k_nil != m[i].nil || (!k_nil && k_val != m[i].value))) {
                char *k = txn_key_text(s, m[i].key), *name = txn_name(s, t);
                char *want = value_text(k_nil, k_val), *got = value_text(m[i].nil, m[i].value);
                char *why = txn_fmt("%s read %s = %s, but it had %s %s = %s earlier in the same "
                                    "transaction", name, k, got, e->has_write ? "written" : "read",
                                    k, want);
                note(c, "internal", m[i].key, json_pack("{s:s?,s:s?,s:s?,s:o,s:s?}", "key", k, "expected",
                     want, "value", got, "ops", txn_ops_json2(s, t, NONE), "explanation", why));
                free(k), free(name), free(want), free(got), free(why);
            }
            if (!knows) {
                e->has_read = true;
                e->read_nil = m[i].nil;
                e->read = m[i].value;
                e->read_mop = x->mop_off + i;
            }
        }
    }
    return 0;
}

/* The version node of a value: its version id, the key's initial node for nil, NONE
 * for a value nobody wrote. */
static uint32_t node_of(const rw_ctx *c, int32_t key, bool nil, int64_t value) {
    uint32_t nv = kv_index_count(c->v->idx);
    if (nil) return nv + (uint32_t)key;
    int64_t id = kv_index_find(c->v->idx, key, value);
    return id < 0 ? NONE : (uint32_t)id;
}

typedef struct vcand {
    uint32_t from, to;  /* version nodes */
    int32_t key;
    uint8_t source;
} vcand;

typedef struct vgraph {
    vcand *e;
    size_t n, cap;
    bool oom;
} vgraph;

static void vadd(vgraph *g, int32_t key, uint32_t from, uint32_t to, uint8_t source) {
    if (from == NONE || to == NONE || from == to || g->oom) return;
    if (fl_grow((void **)&g->e, &g->cap, g->n + 1, sizeof *g->e)) { g->oom = true; return; }
    g->e[g->n++] = (vcand){from, to, key, source};
}

/* The value a txn leaves a key at (its write; else, committed, its read), and the one it
 * finds it at (its read; else its write). */
static bool last_value(const rw_ctx *c, const external *e, uint32_t *node) {
    if (e->has_write) *node = node_of(c, e->key, false, e->write);
    else if (e->has_read && c->s->txns[e->txn].type == FL_OK) *node = node_of(c, e->key, e->read_nil, e->read);
    else return false;
    return true;
}

static bool first_value(const rw_ctx *c, const external *e, uint32_t *node) {
    if (e->has_read) *node = node_of(c, e->key, e->read_nil, e->read);
    else if (e->has_write) *node = node_of(c, e->key, false, e->write);
    else return false;
    return true;
}

static void initial_source(rw_ctx *c, vgraph *g) {
    uint32_t nv = kv_index_count(c->v->idx);
    bool *done = calloc(nv ? nv : 1, sizeof *done);
    if (!done) { g->oom = true; return; }
    for (size_t i = 0; i < c->n_ext; i++) {
        const external *e = &c->ext[i];
        uint32_t ids[2] = {NONE, NONE};
        if (e->has_write) ids[0] = node_of(c, e->key, false, e->write);
        if (e->has_read && !e->read_nil && c->s->txns[e->txn].type == FL_OK)
            ids[1] = node_of(c, e->key, false, e->read);
        for (int j = 0; j < 2; j++)
            if (ids[j] != NONE && !done[ids[j]]) {
                done[ids[j]] = true;
                vadd(g, e->key, nv + (uint32_t)e->key, ids[j], SRC_INITIAL);
            }
    }
    free(done);
}

static void wfr_source(rw_ctx *c, vgraph *g) {
    for (size_t i = 0; i < c->n_ext; i++) {
        const external *e = &c->ext[i];
        if (c->s->txns[e->txn].type != FL_OK || !e->has_read || !e->has_write) continue;
        vadd(g, e->key, node_of(c, e->key, e->read_nil, e->read), node_of(c, e->key, false, e->write),
             SRC_WFR);
    }
}

/* Sequential keys: a process's txns see each key's versions in order. */
static void process_source(rw_ctx *c, vgraph *g) {
    kv_index *last = kv_index_new(); /* (key, process) -> slot in prev */
    uint32_t *prev = NULL;
    size_t cap = 0;
    if (!last) { g->oom = true; return; }
    for (size_t i = 0; i < c->n_ext; i++) {
        const external *e = &c->ext[i];
        bool fresh;
        int64_t slot = kv_index_put(last, e->key, c->s->txns[e->txn].process, &fresh);
        if (slot < 0 || fl_grow((void **)&prev, &cap, (size_t)slot + 1, sizeof *prev)) { g->oom = true; break; }
        if (!fresh) {
            uint32_t from, to;
            if (last_value(c, &c->ext[prev[slot]], &from) && first_value(c, e, &to))
                vadd(g, e->key, from, to, SRC_PROCESS);
        }
        prev[slot] = (uint32_t)i;
    }
    free(prev);
    kv_index_free(last);
}

/* Linearizable keys: real time orders the versions of each key, reduced as the
 * realtime graph is (graph.c): per key, a frontier of completed committed txns. */
static void realtime_source(rw_ctx *c, vgraph *g) {
    const txn_set *s = c->s;
    const fl_history *h = s->h;
    uint32_t *first_ext = malloc((s->n ? s->n : 1) * sizeof *first_ext);
    uint32_t *at = malloc((h->count ? h->count : 1) * sizeof *at);
    uint32_t **front = calloc(s->n_keys ? s->n_keys : 1, sizeof *front);
    size_t *fn = calloc(s->n_keys ? s->n_keys : 1, sizeof *fn);
    size_t *fcap = calloc(s->n_keys ? s->n_keys : 1, sizeof *fcap);
    if (!first_ext || !at || !front || !fn || !fcap) { g->oom = true; goto done; }
    for (uint32_t t = 0; t < s->n; t++) first_ext[t] = NONE;
    for (size_t i = c->n_ext; i-- > 0;) first_ext[c->ext[i].txn] = (uint32_t)i;
    for (size_t i = 0; i < h->count; i++) at[i] = NONE;
    for (uint32_t t = 0; t < s->n; t++) {
        if (!txn_possible(&s->txns[t])) continue;
        at[s->txns[t].inv] = t;
        if (s->txns[t].type == FL_OK) at[s->txns[t].done] = t;
    }
    for (size_t i = 0; i < h->count && !g->oom; i++) {
        uint32_t t = at[i];
        if (t == NONE || first_ext[t] == NONE) continue;
        const txn *x = &s->txns[t];
        for (size_t j = first_ext[t]; j < c->n_ext && c->ext[j].txn == t; j++) {
            const external *e = &c->ext[j];
            int32_t k = e->key;
            if ((int64_t)i == x->inv) {
                uint32_t to;
                if (!first_value(c, e, &to)) continue;
                for (size_t q = 0; q < fn[k]; q++) {
                    uint32_t from;
                    if (last_value(c, &c->ext[front[k][q]], &from)) vadd(g, k, from, to, SRC_REALTIME);
                }
                continue;
            }
            for (size_t q = 0; q < fn[k];) {
                if (s->txns[c->ext[front[k][q]].txn].done < x->inv) front[k][q] = front[k][--fn[k]];
                else q++;
            }
            if (fl_grow((void **)&front[k], &fcap[k], fn[k] + 1, sizeof **front)) { g->oom = true; break; }
            front[k][fn[k]++] = (uint32_t)j;
        }
    }
done:
    if (front)
        for (uint32_t k = 0; k < s->n_keys; k++) free(front[k]);
    free(front);
    free(fn);
    free(fcap);
    free(first_ext);
    free(at);
}

static const char *source_name(uint8_t src) {
    switch (src) {
    case SRC_INITIAL: return "initial-state";
    case SRC_WFR: return "writes-follow-reads";
    case SRC_PROCESS: return "sequential-keys";
    default: return "linearizable-keys";
    }
}

static char *node_text(const rw_ctx *c, uint32_t node) {
    uint32_t nv = kv_index_count(c->v->idx);
    return node >= nv ? strdup("nil") : txn_fmt("%" PRId64, kv_index_value(c->v->idx, node));
}

/* Add cand's edges (all of one source) to acc; a key whose versions that makes cyclic is
 * reported and keeps none of them. */
static int accept_source(rw_ctx *c, vgraph *acc, vgraph *cand, uint8_t src) {
    const txn_set *s = c->s;
    size_t before = acc->n;
    for (size_t i = 0; i < cand->n; i++) vadd(acc, cand->e[i].key, cand->e[i].from, cand->e[i].to, src);
    free(cand->e);
    if (acc->oom || cand->oom) return -1;
    if (acc->n == before || src == SRC_INITIAL) return 0; /* nil first: never a cycle */
    uint32_t nodes = kv_index_count(c->v->idx) + s->n_keys;
    uint64_t *off = calloc((size_t)nodes + 1, sizeof *off);
    uint32_t *adj = malloc((acc->n ? acc->n : 1) * sizeof *adj);
    uint8_t *lab = malloc(acc->n ? acc->n : 1);
    uint32_t *comp = malloc((nodes ? nodes : 1) * sizeof *comp);
    uint32_t *size = NULL;
    bool *cyclic = calloc(s->n_keys ? s->n_keys : 1, sizeof *cyclic);
    int rc = -1;
    if (!off || !adj || !lab || !comp || !cyclic) goto done;
    for (size_t i = 0; i < acc->n; i++) off[acc->e[i].from + 1]++;
    for (uint32_t x = 0; x < nodes; x++) off[x + 1] += off[x];
    for (size_t i = 0; i < acc->n; i++) adj[off[acc->e[i].from]++] = acc->e[i].to;
    for (uint32_t x = nodes; x > 0; x--) off[x] = off[x - 1];
    off[0] = 0;
    memset(lab, 1, acc->n ? acc->n : 1);
    int64_t ncomp = txn_scc(nodes, off, adj, lab, 1, comp);
    if (ncomp < 0) goto done;
    size = calloc((size_t)ncomp + 1, sizeof *size);
    if (!size) goto done;
    for (uint32_t x = 0; x < nodes; x++) size[comp[x]]++;
    for (size_t i = before; i < acc->n; i++) {
        const vcand *e = &acc->e[i];
        if (size[comp[e->from]] < 2 || comp[e->from] != comp[e->to] || cyclic[e->key]) continue;
        cyclic[e->key] = true;
        json_t *values = json_array();
        uint32_t target = comp[e->from];
        for (uint32_t x = 0; x < nodes; x++) {
            if (comp[x] != target) continue;
            char *t = node_text(c, x);
            json_array_append_new(values, json_string(t));
            free(t);
        }
        char *k = txn_key_text(s, e->key), *vals = json_dumps(values, JSON_COMPACT);
        char *why = txn_fmt("the versions %s of %s would each have to come before another once "
                            "%s is added to the order (%s): no order of writes explains what "
                            "was read", vals ? vals : "?", k, source_name(src), "left out for "
                            "this key");
        note(c, "cyclic-versions", e->key, json_pack("{s:s?,s:o,s:[s],s:s?}", "key", k, "scc", values,
             "sources", source_name(src), "explanation", why));
        free(k), free(vals), free(why);
    }
    size_t out = before;
    for (size_t i = before; i < acc->n; i++)
        if (!cyclic[acc->e[i].key]) acc->e[out++] = acc->e[i];
    acc->n = out;
    rc = 0;
done:
    free(off), free(adj), free(lab), free(comp), free(size), free(cyclic);
    return rc;
}

static int by_key_edge(const void *x, const void *y) {
    const vcand *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    if (a->from != b->from) return a->from < b->from ? -1 : 1;
    return a->to < b->to ? -1 : a->to > b->to;
}

/* Keep the accepted version graph, merged and grouped by key, for explanations. */
static int keep_versions(rw_ctx *c, vgraph *acc) {
    txn_versions *v = c->v;
    uint32_t nv = kv_index_count(v->idx);
    if (acc->n) qsort(acc->e, acc->n, sizeof *acc->e, by_key_edge);
    v->vedges = malloc((acc->n ? acc->n : 1) * sizeof *v->vedges);
    v->vedge_off = calloc((size_t)c->s->n_keys + 1, sizeof *v->vedge_off);
    if (!v->vedges || !v->vedge_off) return -1;
    size_t n = 0;
    for (size_t i = 0; i < acc->n; i++) {
        const vcand *e = &acc->e[i];
        if (n && i && !by_key_edge(&acc->e[i - 1], e)) {
            v->vedges[n - 1].sources |= e->source;
            continue;
        }
        v->vedges[n++] = (version_edge){e->from >= nv ? INIT_VERSION : (int64_t)e->from, e->to, e->source};
        v->vedge_off[e->key + 1]++;
    }
    v->n_vedges = n;
    for (uint32_t k = 0; k < c->s->n_keys; k++) v->vedge_off[k + 1] += v->vedge_off[k];
    return 0;
}

static int index_readers(rw_ctx *c) {
    uint32_t nv = kv_index_count(c->v->idx);
    c->reader_head = malloc((nv ? nv : 1) * sizeof *c->reader_head);
    c->nil_head = malloc((c->s->n_keys ? c->s->n_keys : 1) * sizeof *c->nil_head);
    c->read_next = malloc((c->n_ext ? c->n_ext : 1) * sizeof *c->read_next);
    if (!c->reader_head || !c->nil_head || !c->read_next) return -1;
    for (uint32_t i = 0; i < nv; i++) c->reader_head[i] = NONE;
    for (uint32_t k = 0; k < c->s->n_keys; k++) c->nil_head[k] = NONE;
    for (size_t i = c->n_ext; i-- > 0;) {
        const external *e = &c->ext[i];
        c->read_next[i] = NONE;
        if (!e->has_read) continue;
        uint32_t node = node_of(c, e->key, e->read_nil, e->read);
        if (node == NONE) continue;
        uint32_t *head = node >= nv ? &c->nil_head[e->key] : &c->reader_head[node];
        c->read_next[i] = *head;
        *head = (uint32_t)i;
    }
    return 0;
}

static void add_edges(rw_ctx *c) {
    const txn_set *s = c->s;
    const txn_versions *v = c->v;
    for (size_t i = 0; i < c->n_ext; i++) { /* wr */
        const external *e = &c->ext[i];
        if (!e->has_read || e->read_nil) continue;
        int64_t id = kv_index_find(v->idx, e->key, e->read);
        if (id >= 0 && txn_possible(&s->txns[v->writer[id]])) edge_add(c->b, v->writer[id], e->txn, REL_WR);
    }
    for (uint32_t k = 0; k < s->n_keys; k++)
        for (size_t i = v->vedge_off[k]; i < v->vedge_off[k + 1]; i++) {
            const version_edge *ve = &v->vedges[i];
            uint32_t to = v->writer[ve->to];
            if (!txn_possible(&s->txns[to])) continue;
            uint32_t readers = c->nil_head[k];
            if (ve->from != INIT_VERSION) {
                uint32_t from = v->writer[ve->from];
                if (txn_possible(&s->txns[from])) edge_add(c->b, from, to, REL_WW);
                readers = c->reader_head[ve->from];
            }
            for (uint32_t r = readers; r != NONE; r = c->read_next[r]) edge_add(c->b, c->ext[r].txn, to, REL_RW);
        }
}

/* Reads that show something by themselves: of a failed write (G1a), of a write its txn
 * overwrote (G1b), of a value nobody wrote (garbage-read; Elle lets it pass, elle#8). */
static void check_reads(rw_ctx *c) {
    const txn_set *s = c->s;
    const txn_versions *v = c->v;
    for (size_t i = 0; i < c->n_ext; i++) {
        const external *e = &c->ext[i];
        if (!e->has_read || e->read_nil || s->txns[e->txn].type != FL_OK) continue;
        int64_t id = kv_index_find(v->idx, e->key, e->read);
        char *k = txn_key_text(s, e->key), *name = txn_name(s, e->txn);
        if (id < 0) {
            char *why = txn_fmt("%s read %s = %" PRId64 ", a value no transaction wrote to %s",
                                name, k, e->read, k);
            note(c, "garbage-read", e->key, json_pack("{s:s?,s:I,s:o,s:s?}", "key", k, "value",
                 (json_int_t)e->read, "ops", txn_ops_json2(s, e->txn, NONE), "explanation", why));
            free(why);
        } else if (v->writer[id] != e->txn) {
            uint32_t w = v->writer[id];
            char *wn = txn_name(s, w);
            if (s->txns[w].type == FL_FAIL) {
                char *why = txn_fmt("%s read %s = %" PRId64 ", written by %s, which failed: an "
                                    "aborted read", name, k, e->read, wn);
                note(c, "G1a", e->key, json_pack("{s:s?,s:I,s:o,s:s?}", "key", k, "value",
                     (json_int_t)e->read, "ops", txn_ops_json2(s, e->txn, w), "explanation", why));
                free(why);
            } else if (!c->final[id]) {
                char *why = txn_fmt("%s read %s = %" PRId64 ", which %s wrote and then overwrote "
                                    "in the same transaction: an intermediate read", name, k,
                                    e->read, wn);
                note(c, "G1b", e->key, json_pack("{s:s?,s:I,s:o,s:s?}", "key", k, "value",
                     (json_int_t)e->read, "ops", txn_ops_json2(s, e->txn, w), "explanation", why));
                free(why);
            }
            free(wn);
        }
        free(k), free(name);
    }
}

typedef struct read_write {
    int32_t key;
    bool nil;
    int64_t value;
    uint32_t txn;
} read_write;

static int by_read(const void *x, const void *y) {
    const read_write *a = x, *b = y;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    if (a->nil != b->nil) return a->nil ? -1 : 1;
    if (a->value != b->value) return a->value < b->value ? -1 : 1;
    return a->txn < b->txn ? -1 : a->txn > b->txn;
}

/* Lost update: committed txns that read the same version of a key and then wrote it. */
static int check_lost_updates(rw_ctx *c) {
    const txn_set *s = c->s;
    read_write *rs = malloc((c->n_ext ? c->n_ext : 1) * sizeof *rs);
    if (!rs) return -1;
    size_t n = 0;
    for (size_t i = 0; i < c->n_ext; i++) {
        const external *e = &c->ext[i];
        if (s->txns[e->txn].type == FL_OK && e->has_read && e->has_write)
            rs[n++] = (read_write){e->key, e->read_nil, e->read_nil ? 0 : e->read, e->txn};
    }
    if (n) qsort(rs, n, sizeof *rs, by_read);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && rs[j].key == rs[i].key && rs[j].nil == rs[i].nil && rs[j].value == rs[i].value) j++;
        if (j - i >= 2) {
            char *val = value_text(rs[i].nil, rs[i].value);
            txn_note_lost_update(c->f, s, rs[i].key, val, &rs[i].txn, sizeof *rs, j - i, "wrote");
            free(val);
        }
        i = j;
    }
    free(rs);
    return 0;
}

int txn_rw_analyse(const txn_set *s, const fl_txn_options *o, txn_found *f, edge_buf *b,
                   txn_versions **out) {
    assert(s && o && f && b && out);
    txn_versions *v = calloc(1, sizeof *v);
    rw_ctx c = {.s = s, .o = o, .f = f, .b = b, .v = v};
    vgraph acc = {0};
    int rc = -1;
    if (!v) return -1;
    v->workload = FL_TXN_RW_REGISTER;
    v->idx = kv_index_new();
    if (!v->idx) goto done;
    bool duplicate = false;
    json_t *dup = NULL;
    if (txn_index_writes(s, v, MOP_WRITE, &c.final, &duplicate, &dup)) goto done;
    if (duplicate) {
        json_object_set_new(f->by_type, "duplicate-writes", json_pack("[o]", dup));
        rc = 1;
        goto done;
    }
    if (collect_externals(&c)) goto done;
    vgraph cand = {0};
    initial_source(&c, &cand);
    if (accept_source(&c, &acc, &cand, SRC_INITIAL)) goto done;
    if (!o->no_wfr_keys) {
        cand = (vgraph){0};
        wfr_source(&c, &cand);
        if (accept_source(&c, &acc, &cand, SRC_WFR)) goto done;
    }
    if (o->sequential_keys) {
        cand = (vgraph){0};
        process_source(&c, &cand);
        if (accept_source(&c, &acc, &cand, SRC_PROCESS)) goto done;
    }
    if (o->linearizable_keys) {
        cand = (vgraph){0};
        realtime_source(&c, &cand);
        if (accept_source(&c, &acc, &cand, SRC_REALTIME)) goto done;
    }
    if (keep_versions(&c, &acc) || index_readers(&c)) goto done;
    check_reads(&c);
    if (check_lost_updates(&c)) goto done;
    add_edges(&c);
    rc = 0;
done:
    free(acc.e);
    free(c.final);
    free(c.ext);
    free(c.reader_head);
    free(c.nil_head);
    free(c.read_next);
    if (rc < 0) {
        txn_versions_free(v);
        v = NULL;
    }
    *out = v;
    return rc;
}
