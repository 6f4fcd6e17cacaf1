/* The dependency graph between transactions (txn_internal.h): edges gathered in any
 * order, then packed into compressed rows with one entry per (from, to) carrying every
 * relation found between them; and the order edges (process, realtime) a history's
 * timing gives. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "txn_internal.h"

void edge_add(edge_buf *b, uint32_t from, uint32_t to, uint8_t rel) {
    if (from == to || b->oom) return; /* a transaction does not depend on itself */
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        uint64_t *pairs = realloc(b->pairs, cap * sizeof *pairs);
        if (!pairs) { b->oom = true; return; }
        b->pairs = pairs;
        uint8_t *rels = realloc(b->rels, cap);
        if (!rels) { b->oom = true; return; }
        b->rels = rels;
        b->cap = cap;
    }
    b->pairs[b->n] = (uint64_t)from << 32 | to;
    b->rels[b->n++] = rel;
}

void edge_buf_free(edge_buf *b) {
    free(b->pairs);
    free(b->rels);
    *b = (edge_buf){0};
}

int txn_graph_build(txn_graph *g, uint32_t n, edge_buf *b) {
    assert(g && b);
    *g = (txn_graph){.n = n};
    if (b->oom) return -1;
    g->off = calloc((size_t)n + 1, sizeof *g->off);
    uint32_t *adj = malloc((b->n ? b->n : 1) * sizeof *adj);
    uint8_t *rels = malloc(b->n ? b->n : 1);
    uint64_t *fill = malloc(((size_t)n + 1) * sizeof *fill);
    uint64_t *seen = malloc(((size_t)n + 1) * sizeof *seen); /* to -> slot + 1 in this row */
    if (!g->off || !adj || !rels || !fill || !seen) goto fail;
    /* Counting sort by source. */
    for (size_t i = 0; i < b->n; i++) g->off[(b->pairs[i] >> 32) + 1]++;
    for (uint32_t v = 0; v < n; v++) g->off[v + 1] += g->off[v];
    memcpy(fill, g->off, ((size_t)n + 1) * sizeof *fill);
    for (size_t i = 0; i < b->n; i++) {
        uint32_t from = (uint32_t)(b->pairs[i] >> 32);
        uint64_t at = fill[from]++;
        adj[at] = (uint32_t)b->pairs[i];
        rels[at] = b->rels[i];
    }
    /* Merge duplicates row by row, compacting in place. */
    memset(seen, 0, ((size_t)n + 1) * sizeof *seen);
    uint64_t out = 0;
    for (uint32_t v = 0; v < n; v++) {
        uint64_t start = g->off[v], end = g->off[v + 1], row = out;
        g->off[v] = row;
        for (uint64_t i = start; i < end; i++) {
            uint32_t to = adj[i];
            if (seen[to] > row) { /* already in this row */
                rels[seen[to] - 1] |= rels[i];
                continue;
            }
            adj[out] = to;
            rels[out] = rels[i];
            seen[to] = ++out;
        }
    }
    g->off[n] = out;
    g->adj = adj;
    g->rels = rels;
    free(fill);
    free(seen);
    edge_buf_free(b);
    return 0;
fail:
    free(g->off);
    free(adj);
    free(rels);
    free(fill);
    free(seen);
    g->off = NULL;
    return -1;
}

void txn_graph_free(txn_graph *g) {
    free(g->off);
    free(g->adj);
    free(g->rels);
    *g = (txn_graph){0};
}

typedef struct by_process_key {
    int64_t process;
    uint32_t txn;
} by_process_key;

static int by_process(const void *x, const void *y) {
    const by_process_key *a = x, *b = y;
    if (a->process != b->process) return a->process < b->process ? -1 : 1;
    return a->txn < b->txn ? -1 : a->txn > b->txn;
}

/* Process order: each possible txn follows its process's previous ok txn. A process's
 * ops are sequential, so the order of invocation is the order of the session. */
static void process_edges(const txn_set *s, edge_buf *b) {
    by_process_key *keys = malloc((s->n ? s->n : 1) * sizeof *keys);
    if (!keys) { b->oom = true; return; }
    uint32_t m = 0;
    for (uint32_t i = 0; i < s->n; i++)
        if (txn_possible(&s->txns[i])) keys[m++] = (by_process_key){s->txns[i].process, i};
    qsort(keys, m, sizeof *keys, by_process);
    for (uint32_t i = 1; i < m; i++)
        if (keys[i - 1].process == keys[i].process && s->txns[keys[i - 1].txn].type == FL_OK)
            edge_add(b, keys[i - 1].txn, keys[i].txn, REL_PROC);
    free(keys);
}

/* Realtime order, reduced: the frontier holds the ok txns completed so far that no later
 * completed txn follows (pairwise concurrent, so about as many as the concurrency). An
 * invocation gets an edge from each; a completion retires the members that completed
 * before its own invocation, since they now reach later txns through it. Every edge of
 * the full order is a path in this one. An indeterminate txn has no completion, so it
 * receives edges and sends none. */
static void realtime_edges(const txn_set *s, edge_buf *b) {
    const fl_history *h = s->h;
    /* The txn each history position opens or completes. */
    uint32_t *at = malloc((h->count ? h->count : 1) * sizeof *at);
    uint32_t *frontier = NULL;
    size_t fn = 0, fcap = 0;
    if (!at) { b->oom = true; return; }
    for (size_t i = 0; i < h->count; i++) at[i] = UINT32_MAX;
    for (uint32_t t = 0; t < s->n; t++) {
        if (!txn_possible(&s->txns[t])) continue;
        at[s->txns[t].inv] = t;
        if (s->txns[t].type == FL_OK) at[s->txns[t].done] = t;
    }
    for (size_t i = 0; i < h->count; i++) {
        uint32_t t = at[i];
        if (t == UINT32_MAX) continue;
        const txn *x = &s->txns[t];
        if ((int64_t)i == x->inv) {
            for (size_t j = 0; j < fn; j++) edge_add(b, frontier[j], t, REL_RT);
            continue;
        }
        for (size_t j = 0; j < fn;) {
            if (s->txns[frontier[j]].done < x->inv) frontier[j] = frontier[--fn];
            else j++;
        }
        if (fl_grow((void **)&frontier, &fcap, fn + 1, sizeof *frontier)) { b->oom = true; break; }
        frontier[fn++] = t;
    }
    free(frontier);
    free(at);
}

void txn_order_edges(const txn_set *s, edge_buf *b) {
    process_edges(s, b);
    realtime_edges(s, b);
}
