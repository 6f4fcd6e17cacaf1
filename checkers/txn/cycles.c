/* Cycle search (txn_internal.h; DESIGN.md "Checkers", txn). Every cycle lies inside one
 * strongly connected component of the whole dependency graph, so each component is
 * searched alone. Within it, each tier (data edges only; plus process order; plus real
 * time) labels every edge with one relation, the first that holds in the order ww, wr,
 * rw, process, realtime (Elle's naming), and each class of cycle is decided exactly:
 *   G0             a cycle of ww (and tier) edges: a component of that subgraph;
 *   G1c            a wr edge inside a component of the ww/wr subgraph;
 *   G-single       an rw edge u -> v with v reaching u over ww/wr edges (components,
 *                  then reachability over their DAG, 64 edges at a time);
 *   G-nonadjacent  an rw edge inside a component of the graph of (vertex, arrived by rw?)
 *                  states, where rw may not follow rw;
 *   G2-item        an rw edge inside a component of the whole tier graph.
 * A class found implies the weaker ones (G0 implies G1c; G-single implies G-nonadjacent
 * and G2-item; a data-tier cycle implies its -process and -realtime forms), which are not
 * searched again. The witness is a shortest cycle through the edge that proves the class,
 * by breadth-first search; other candidate edges are tried while the work budget lasts,
 * keeping the shortest ("shortest": true when every candidate was tried). Deciding a class
 * uses the budget too: when it runs out first, the class is undecided and the verdict
 * cannot be true. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "txn_internal.h"

#define NONE UINT32_MAX
#define REFINE_STEPS 4000000 /* edge visits spent looking for a shorter witness, per type */

typedef struct local {
    uint32_t n;
    uint32_t *glob;      /* local -> global vertex */
    uint64_t *off;
    uint32_t *adj;
    uint8_t *rels;       /* every relation the global edge has */
    uint8_t *lab;        /* this tier's label per edge */
    uint32_t *comp;      /* components of the current subgraph */
    uint32_t *dist, *parent, *stamp; /* BFS */
    uint8_t *via;
    uint32_t *queue;
    uint32_t bfs_round;
} local;

typedef struct search {
    const txn_set *s;
    const txn_versions *v;
    txn_found *f;
    uint64_t budget;     /* edge visits left */
    bool undecided;
    bool found[CYC_CLASSES][TIERS]; /* in the current component */
    json_t *stats;
} search;

static uint8_t label(uint8_t rels, int tier) {
    if (rels & REL_WW) return REL_WW;
    if (rels & REL_WR) return REL_WR;
    if (rels & REL_RW) return REL_RW;
    if (tier >= TIER_PROCESS && (rels & REL_PROC)) return REL_PROC;
    if (tier >= TIER_REALTIME && (rels & REL_RT)) return REL_RT;
    return 0;
}

static uint8_t extras(int tier) {
    return tier == TIER_DATA ? 0 : tier == TIER_PROCESS ? REL_PROC : REL_PROC | REL_RT;
}

static void spend(search *q, uint64_t steps) { q->budget = q->budget > steps ? q->budget - steps : 0; }

/* Breadth-first search from src over edges labelled in mask, for the shortest path that
 * reaches dst by an edge (src == dst: the shortest cycle through it). Fills path[0 …
 * len) with vertices from src, rel[i] the label out of path[i]; returns len (the
 * number of edges), 0 when dst is unreachable. The caller's buffers hold n entries. */
static uint32_t bfs(local *l, search *q, uint32_t src, uint32_t dst, uint8_t mask,
                    uint32_t *path, uint8_t *rel) {
    assert(src < l->n && dst < l->n);
    if (++l->bfs_round == 0) { /* wrapped: clear the stamps */
        memset(l->stamp, 0, l->n * sizeof *l->stamp);
        l->bfs_round = 1;
    }
    uint32_t head = 0, tail = 0, found_from = NONE;
    uint8_t found_via = 0;
    uint64_t steps = 0;
    l->stamp[src] = l->bfs_round;
    l->parent[src] = NONE;
    l->queue[tail++] = src;
    while (head < tail && found_from == NONE) {
        uint32_t x = l->queue[head++];
        for (uint64_t e = l->off[x]; e < l->off[x + 1]; e++) {
            steps++;
            if (!(l->lab[e] & mask)) continue;
            uint32_t y = l->adj[e];
            if (y == dst) {
                found_from = x;
                found_via = l->lab[e];
                break;
            }
            if (l->stamp[y] == l->bfs_round) continue;
            l->stamp[y] = l->bfs_round;
            l->parent[y] = x;
            l->via[y] = l->lab[e];
            l->queue[tail++] = y;
        }
    }
    spend(q, steps);
    if (found_from == NONE) return 0;
    uint32_t len = 0;
    for (uint32_t x = found_from; x != NONE; x = l->parent[x]) len++;
    uint32_t i = len;
    rel[len - 1] = found_via;
    for (uint32_t x = found_from; x != NONE; x = l->parent[x]) {
        path[--i] = x;
        if (l->parent[x] != NONE) rel[i - 1] = l->via[x];
    }
    assert(path[0] == src);
    return len;
}

/* Record a witness: classify it, mark its class found in this tier, report it. */
static void record(search *q, const local *l, const uint32_t *cyc, const uint8_t *rel,
                   uint32_t len, bool shortest) {
    assert(len >= 2); /* no self-edges, so no shorter cycle */
    txn_cycle c = {malloc(len * sizeof *c.v), malloc(len), len};
    if (!c.v || !c.rel) {
        free(c.v), free(c.rel);
        return;
    }
    for (uint32_t i = 0; i < len; i++) {
        c.v[i] = l->glob[cyc[i]];
        c.rel[i] = rel[i];
    }
    int tier;
    int cls = txn_cycle_classify(&c, &tier);
    if (cls >= 0) {
        q->found[cls][tier] = true;
        json_t *j = txn_cycle_json(q->s, q->v, &c, txn_cycle_type(cls, tier));
        if (j) json_object_set_new(j, "shortest", json_boolean(shortest));
        txn_found_add(q->f, txn_cycle_type(cls, tier), -1, j);
    }
    free(c.v), free(c.rel);
}

/* Candidate edges u -> v, each closing a cycle with a path v -> u over mask. */
typedef struct cand {
    uint32_t u, v;
    uint8_t lab;
} cand;

/* The shortest cycle among the candidates' (the first always; more while the refine
 * budget lasts), recorded. */
static void witness(search *q, local *l, const cand *cs, size_t n, uint8_t mask,
                    uint32_t *path, uint8_t *rel, uint32_t *best, uint8_t *best_rel) {
    uint32_t best_len = 0;
    uint64_t start = q->budget;
    size_t tried = 0;
    for (; tried < n; tried++) {
        if (tried && (start - q->budget > REFINE_STEPS || !q->budget)) break;
        const cand *c = &cs[tried];
        uint32_t len = bfs(l, q, c->v, c->u, mask, path + 1, rel + 1);
        if (!len) continue;
        path[0] = c->u;
        rel[0] = c->lab;
        if (!best_len || len + 1 < best_len) {
            best_len = len + 1;
            memcpy(best, path, best_len * sizeof *best);
            memcpy(best_rel, rel, best_len);
        }
        if (best_len == 2) { tried = n; break; } /* nothing is shorter */
    }
    if (best_len) record(q, l, best, best_rel, best_len, tried == n);
}

/* Shortest cycle through some vertex of a nontrivial component of the mask subgraph. */
static void witness_any(search *q, local *l, const uint32_t *size, uint8_t mask,
                        uint32_t *path, uint8_t *rel, uint32_t *best, uint8_t *best_rel) {
    uint32_t best_len = 0;
    uint64_t start = q->budget;
    bool all = true;
    for (uint32_t x = 0; x < l->n; x++) {
        if (size[l->comp[x]] < 2) continue;
        if (best_len && (start - q->budget > REFINE_STEPS || !q->budget)) { all = false; break; }
        uint32_t len = bfs(l, q, x, x, mask, path, rel);
        if (len && (!best_len || len < best_len)) {
            best_len = len;
            memcpy(best, path, len * sizeof *best);
            memcpy(best_rel, rel, len);
            if (len == 2) break;
        }
    }
    if (best_len) record(q, l, best, best_rel, best_len, all);
}

/* Component sizes of l->comp (ncomp of them), a new array. */
static uint32_t *comp_sizes(const local *l, int64_t ncomp) {
    uint32_t *size = calloc((size_t)ncomp + 1, sizeof *size);
    if (size)
        for (uint32_t x = 0; x < l->n; x++) size[l->comp[x]]++;
    return size;
}

/* Does v reach u over mask, for some candidate whose ends lie in different components?
 * Reachability is pushed through the components' DAG, 64 candidates at a time, in
 * topological order (Tarjan numbers a component after all it reaches, so from high to
 * low). Returns the index of a candidate that closes a cycle, n when none does, or
 * -1 when the budget ran out first. */
static int64_t reach_any(search *q, local *l, int64_t ncomp, const cand *cs, size_t n, uint8_t mask) {
    uint32_t *order = malloc((l->n ? l->n : 1) * sizeof *order);  /* vertices by component */
    uint64_t *start = calloc((size_t)ncomp + 2, sizeof *start);
    uint64_t *bits = malloc(((size_t)ncomp + 1) * sizeof *bits);
    int64_t answer = -1;
    if (!order || !start || !bits) goto done;
    for (uint32_t x = 0; x < l->n; x++) start[l->comp[x] + 1]++;
    for (int64_t c = 0; c < ncomp; c++) start[c + 1] += start[c];
    {
        uint64_t *fill = malloc(((size_t)ncomp + 1) * sizeof *fill);
        if (!fill) goto done;
        memcpy(fill, start, ((size_t)ncomp + 1) * sizeof *fill);
        for (uint32_t x = 0; x < l->n; x++) order[fill[l->comp[x]]++] = x;
        free(fill);
    }
    for (size_t first = 0; first < n; first += 64) {
        size_t batch = n - first < 64 ? n - first : 64;
        if (!q->budget) goto done;
        memset(bits, 0, ((size_t)ncomp + 1) * sizeof *bits);
        for (size_t i = 0; i < batch; i++) bits[l->comp[cs[first + i].v]] |= 1ull << i;
        uint64_t steps = 0;
        for (int64_t c = ncomp - 1; c >= 0; c--) {
            if (!bits[c]) continue;
            for (uint64_t i = start[c]; i < start[c + 1]; i++) {
                uint32_t x = order[i];
                for (uint64_t e = l->off[x]; e < l->off[x + 1]; e++) {
                    steps++;
                    if (l->lab[e] & mask) bits[l->comp[l->adj[e]]] |= bits[c];
                }
            }
        }
        spend(q, steps);
        for (size_t i = 0; i < batch; i++)
            if (bits[l->comp[cs[first + i].u]] & (1ull << i)) {
                answer = (int64_t)(first + i);
                goto done;
            }
    }
    answer = (int64_t)n;
done:
    free(order), free(start), free(bits);
    return answer;
}

static bool nonadjacent(const uint8_t *rel, uint32_t len) {
    uint32_t rw = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (rel[i] != REL_RW) continue;
        rw++;
        if (rel[(i + 1) % len] == REL_RW) return false;
    }
    return rw >= 2;
}

/* Cut a closed walk with nonadjacent rw edges down to a simple cycle that still has
 * them: at a repeated vertex the walk is two closed walks, and when the graph has no
 * G-single and no ww/wr cycle one of them always keeps the property (DESIGN.md). Returns
 * the new length, 0 when neither piece does. */
static uint32_t make_simple(uint32_t *cyc, uint8_t *rel, uint32_t len, uint32_t *tmp, uint8_t *trel) {
    for (;;) {
        uint32_t i = 0, j = 0;
        bool repeat = false;
        for (i = 0; i < len && !repeat; i++)
            for (j = i + 1; j < len; j++)
                if (cyc[i] == cyc[j]) { repeat = true; break; }
        if (!repeat) return nonadjacent(rel, len) ? len : 0;
        i--;
        /* A = [i, j), B = [j, len) + [0, i) */
        uint32_t alen = j - i, blen = len - alen;
        if (nonadjacent(rel + i, alen)) {
            memmove(cyc, cyc + i, alen * sizeof *cyc);
            memmove(rel, rel + i, alen);
            len = alen;
            continue;
        }
        uint32_t k = 0;
        for (uint32_t x = j; x < len; x++, k++) tmp[k] = cyc[x], trel[k] = rel[x];
        for (uint32_t x = 0; x < i; x++, k++) tmp[k] = cyc[x], trel[k] = rel[x];
        if (!nonadjacent(trel, blen)) return 0;
        memcpy(cyc, tmp, blen * sizeof *cyc);
        memcpy(rel, trel, blen);
        len = blen;
    }
}

typedef struct buffers {
    uint32_t *path, *best, *tmp;
    uint8_t *rel, *best_rel, *trel;
} buffers;

static void buffers_free(buffers *b) {
    free(b->path), free(b->best), free(b->tmp), free(b->rel), free(b->best_rel), free(b->trel);
}

static int buffers_init(buffers *b, uint32_t n) {
    size_t m = (size_t)n + 2;
    *b = (buffers){malloc(m * 4), malloc(m * 4), malloc(m * 4), malloc(m), malloc(m), malloc(m)};
    if (b->path && b->best && b->tmp && b->rel && b->best_rel && b->trel) return 0;
    buffers_free(b);
    return -1;
}

static int local_alloc(local *l, uint32_t n, uint64_t edges) {
    l->n = n;
    l->off = calloc((size_t)n + 1, sizeof *l->off);
    l->adj = malloc((edges ? edges : 1) * sizeof *l->adj);
    l->rels = malloc(edges ? edges : 1);
    l->lab = malloc(edges ? edges : 1);
    l->comp = malloc((n ? n : 1) * sizeof *l->comp);
    l->dist = NULL;
    l->parent = malloc((n ? n : 1) * sizeof *l->parent);
    l->stamp = calloc(n ? n : 1, sizeof *l->stamp);
    l->via = malloc(n ? n : 1);
    l->queue = malloc((n ? n : 1) * sizeof *l->queue);
    l->bfs_round = 0;
    return l->off && l->adj && l->rels && l->lab && l->comp && l->parent && l->stamp && l->via &&
                   l->queue ? 0 : -1;
}

static void local_free(local *l) {
    free(l->glob), free(l->off), free(l->adj), free(l->rels), free(l->lab), free(l->comp);
    free(l->dist), free(l->parent), free(l->stamp), free(l->via), free(l->queue);
    *l = (local){0};
}

/* G-nonadjacent: states (vertex, arrived by rw); rw may leave only a state not arrived
 * by rw, and every other edge leads to the not-by-rw state. */
static int nonadjacent_search(search *q, local *l, int tier, uint8_t dmask, buffers *b) {
    local st = {0};
    uint64_t edges = 0;
    for (uint64_t e = 0; e < l->off[l->n]; e++)
        edges += (l->lab[e] & dmask) ? 2 : l->lab[e] == REL_RW;
    if (local_alloc(&st, 2 * l->n, edges)) { local_free(&st); return -1; }
    st.glob = malloc(2 * (size_t)l->n * sizeof *st.glob);
    if (!st.glob) { local_free(&st); return -1; }
    for (uint32_t x = 0; x < l->n; x++) st.glob[2 * x] = st.glob[2 * x + 1] = l->glob[x];
    uint64_t k = 0;
    for (uint32_t sx = 0; sx < 2 * l->n; sx++) {
        uint32_t x = sx / 2;
        st.off[sx] = k;
        for (uint64_t e = l->off[x]; e < l->off[x + 1]; e++) {
            uint8_t lb = l->lab[e];
            if (lb & dmask) st.adj[k] = 2 * l->adj[e], st.lab[k++] = lb;
            else if (lb == REL_RW && sx % 2 == 0) st.adj[k] = 2 * l->adj[e] + 1, st.lab[k++] = lb;
        }
    }
    st.off[2 * l->n] = k;
    spend(q, k);
    int64_t ncomp = txn_scc(st.n, st.off, st.adj, st.lab, 0xff, st.comp);
    if (ncomp < 0) { local_free(&st); return -1; }
    uint32_t best_len = 0;
    uint64_t start = q->budget;
    bool all = true;
    for (uint32_t sx = 0; sx < st.n && all; sx += 2)
        for (uint64_t e = st.off[sx]; e < st.off[sx + 1]; e++) {
            if (st.lab[e] != REL_RW || st.comp[sx] != st.comp[st.adj[e]]) continue;
            if (best_len && (start - q->budget > REFINE_STEPS || !q->budget)) { all = false; break; }
            uint32_t len = bfs(&st, q, st.adj[e], sx, 0xff, b->path + 1, b->rel + 1);
            if (!len) continue;
            b->path[0] = sx;
            b->rel[0] = REL_RW;
            len++;
            for (uint32_t i = 0; i < len; i++) b->path[i] /= 2; /* states -> vertices */
            len = make_simple(b->path, b->rel, len, b->tmp, b->trel);
            if (len && (!best_len || len < best_len)) {
                best_len = len;
                memcpy(b->best, b->path, len * sizeof *b->best);
                memcpy(b->best_rel, b->rel, len);
            }
        }
    if (best_len) record(q, l, b->best, b->best_rel, best_len, all);
    (void)tier;
    local_free(&st);
    return 0;
}

static bool found_up_to(const search *q, int cls, int tier) {
    for (int t = 0; t <= tier; t++)
        if (q->found[cls][t]) return true;
    return false;
}

/* Edges labelled want whose ends share a component (of l->comp). */
static size_t collect(const local *l, uint8_t want, bool same_comp, cand **out, size_t *cap) {
    size_t n = 0;
    for (uint32_t x = 0; x < l->n; x++)
        for (uint64_t e = l->off[x]; e < l->off[x + 1]; e++) {
            if (l->lab[e] != want || (l->comp[x] == l->comp[l->adj[e]]) != same_comp) continue;
            if (fl_grow((void **)out, cap, n + 1, sizeof **out)) return SIZE_MAX;
            (*out)[n++] = (cand){x, l->adj[e], want};
        }
    return n;
}

static int search_tier(search *q, local *l, int tier, buffers *b) {
    uint8_t x = extras(tier), dw = REL_WW | x, d = REL_WW | REL_WR | x, all = d | REL_RW;
    for (uint64_t e = 0; e < l->off[l->n]; e++) l->lab[e] = label(l->rels[e], tier);
    cand *cs = NULL;
    size_t cap = 0, n;
    int rc = -1;
    if (!found_up_to(q, CYC_G0, tier)) {
        int64_t nc = txn_scc(l->n, l->off, l->adj, l->lab, dw, l->comp);
        uint32_t *size = nc < 0 ? NULL : comp_sizes(l, nc);
        if (!size) goto done;
        witness_any(q, l, size, dw, b->path, b->rel, b->best, b->best_rel);
        free(size);
    }
    int64_t nc = txn_scc(l->n, l->off, l->adj, l->lab, d, l->comp);
    if (nc < 0) goto done;
    if (!found_up_to(q, CYC_G0, tier) && !found_up_to(q, CYC_G1C, tier)) {
        if ((n = collect(l, REL_WR, true, &cs, &cap)) == SIZE_MAX) goto done;
        witness(q, l, cs, n, d, b->path, b->rel, b->best, b->best_rel);
    }
    if (!found_up_to(q, CYC_GSINGLE, tier)) {
        if ((n = collect(l, REL_RW, true, &cs, &cap)) == SIZE_MAX) goto done;
        if (n) {
            witness(q, l, cs, n, d, b->path, b->rel, b->best, b->best_rel);
        } else if ((n = collect(l, REL_RW, false, &cs, &cap)) == SIZE_MAX) {
            goto done;
        } else if (n) {
            int64_t r = reach_any(q, l, nc, cs, n, d);
            if (r < 0) q->undecided = true;
            else if ((size_t)r < n) witness(q, l, cs + r, n - (size_t)r, d, b->path, b->rel, b->best, b->best_rel);
        }
    }
    if (!found_up_to(q, CYC_GSINGLE, tier) && !found_up_to(q, CYC_GNONADJ, tier) &&
        nonadjacent_search(q, l, tier, d, b))
        goto done;
    if (!found_up_to(q, CYC_GSINGLE, tier) && !found_up_to(q, CYC_GNONADJ, tier) &&
        !found_up_to(q, CYC_G2, tier)) {
        nc = txn_scc(l->n, l->off, l->adj, l->lab, all, l->comp);
        if (nc < 0 || (n = collect(l, REL_RW, true, &cs, &cap)) == SIZE_MAX) goto done;
        witness(q, l, cs, n, all, b->path, b->rel, b->best, b->best_rel);
    }
    rc = 0;
done:
    free(cs);
    return rc;
}

/* One strongly connected component of the whole graph, members[0 … n). */
static int search_component(search *q, const txn_graph *g, const uint32_t *members, uint32_t n,
                            uint32_t *loc) {
    assert(n >= 2); /* a component with a cycle */
    local l = {0};
    buffers b = {0};
    int rc = -1;
    uint64_t edges = 0;
    for (uint32_t i = 0; i < n; i++) loc[members[i]] = i;
    for (uint32_t i = 0; i < n; i++)
        for (uint64_t e = g->off[members[i]]; e < g->off[members[i] + 1]; e++)
            edges += loc[g->adj[e]] != NONE;
    if (local_alloc(&l, n, edges) || buffers_init(&b, 2 * n)) goto done;
    l.glob = malloc(n * sizeof *l.glob);
    if (!l.glob) goto done;
    uint64_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        l.glob[i] = members[i];
        l.off[i] = k;
        for (uint64_t e = g->off[members[i]]; e < g->off[members[i] + 1]; e++) {
            uint32_t to = loc[g->adj[e]];
            if (to == NONE) continue;
            l.adj[k] = to;
            l.rels[k++] = g->rels[e];
        }
    }
    l.off[n] = k;
    memset(q->found, 0, sizeof q->found);
    for (int tier = 0; tier < TIERS; tier++)
        if (search_tier(q, &l, tier, &b)) goto done;
    rc = 0;
done:
    for (uint32_t i = 0; i < n; i++) loc[members[i]] = NONE;
    local_free(&l);
    buffers_free(&b);
    return rc;
}

int txn_find_cycles(const txn_set *s, const txn_graph *g, const txn_versions *v,
                    uint64_t budget, txn_found *f, bool *undecided, json_t *stats) {
    search q = {.s = s, .v = v, .f = f, .budget = budget, .stats = stats};
    uint32_t n = g->n;
    uint32_t *comp = malloc((n ? n : 1) * sizeof *comp);
    uint32_t *loc = malloc((n ? n : 1) * sizeof *loc);
    uint32_t *size = NULL, *members = NULL;
    uint64_t *start = NULL;
    int rc = -1;
    if (!comp || !loc) goto done;
    int64_t nc = txn_scc(n, g->off, g->adj, g->rels, 0xff, comp);
    if (nc < 0) goto done;
    size = calloc((size_t)nc + 1, sizeof *size);
    start = calloc((size_t)nc + 2, sizeof *start);
    members = malloc((n ? n : 1) * sizeof *members);
    if (!size || !start || !members) goto done;
    for (uint32_t x = 0; x < n; x++) size[comp[x]]++, loc[x] = NONE;
    for (int64_t c = 0; c < nc; c++) start[c + 1] = start[c] + size[c];
    for (uint32_t x = 0; x < n; x++) members[start[comp[x]]++] = x;
    for (int64_t c = nc; c > 0; c--) start[c] = start[c - 1];
    start[0] = 0;
    uint32_t nontrivial = 0, largest = 0;
    for (int64_t c = 0; c < nc; c++) {
        if (size[c] < 2) continue;
        nontrivial++;
        if (size[c] > largest) largest = size[c];
        if (search_component(&q, g, members + start[c], size[c], loc)) goto done;
    }
    json_object_set_new(stats, "cyclic-components", json_integer(nontrivial));
    json_object_set_new(stats, "largest-component", json_integer(largest));
    json_object_set_new(stats, "search-steps", json_integer((json_int_t)(budget - q.budget)));
    *undecided = q.undecided;
    rc = 0;
done:
    free(comp), free(loc), free(size), free(members), free(start);
    return rc;
}
