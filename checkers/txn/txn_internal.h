/* The transactional checker's own types, shared by its files and by no one else: the
 * transactions read from a history, the dependency graph between them, and what the
 * anomaly searches find (txn.h says what the checker does). */
#ifndef FL_TXN_INTERNAL_H
#define FL_TXN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "history.h"
#include "strpool.h"
#include "txn.h"

/* Micro-op kinds. */
enum { MOP_APPEND = 0, MOP_READ, MOP_WRITE };

typedef struct txn_mop {
    int32_t key;        /* index into txn_set.keys */
    uint8_t f;          /* MOP_* */
    bool known;         /* a read whose value came back (false: the invocation's nil) */
    bool nil;           /* a read of nil: the empty list, the never-written register */
    int64_t value;      /* append/write: the value; rw read: the value read */
    uint32_t list_off;  /* list read: its elements, txn_set.ints[list_off …] */
    uint32_t list_len;
} txn_mop;

/* One transaction: an invocation and its completion. Its index is its graph vertex;
 * failed transactions are vertices without edges. */
typedef struct txn {
    int64_t inv;        /* position of the invocation in fl_history.ops */
    int64_t done;       /* position of the completion, or FL_NO_PAIR */
    int64_t process;
    uint32_t mop_off;   /* micro-ops txn_set.mops[mop_off …] */
    uint32_t mop_count;
    uint8_t type;       /* FL_OK, FL_INFO (also: never completed), FL_FAIL */
} txn;

typedef struct txn_set {
    const fl_history *h;
    fl_txn_workload workload;
    txn *txns;
    uint32_t n;
    txn_mop *mops;
    size_t n_mops;
    int64_t *ints;      /* list-read elements */
    size_t n_ints;
    json_t **keys;      /* borrowed from the history's op values */
    uint32_t n_keys;
    fl_strmap *key_ids; /* canonical JSON text -> key index */
} txn_set;

static inline bool txn_possible(const txn *t) { return t->type != FL_FAIL; }
/* A list read's elements (NULL in a history without any: no arithmetic on NULL). */
static inline const int64_t *txn_read_elems(const txn_set *s, const txn_mop *m) {
    return s->ints ? s->ints + m->list_off : NULL;
}
static inline const txn_mop *txn_mops(const txn_set *s, const txn *t) {
    return s->mops ? s->mops + t->mop_off : NULL; /* NULL: no micro-op in the history */
}

/* collect.c: read the history's txn ops (NULL with err on malformed input). */
txn_set *txn_collect(const fl_history *h, fl_txn_workload workload, fl_error *err);
void txn_set_free(txn_set *s);
/* The key's text as written in the history, for explanations (static buffer per call
 * site is not needed: a new string the caller frees). */
char *txn_key_text(const txn_set *s, int32_t key);

/* kv_index.c: (key, value) -> dense id, one per version of a key. */
typedef struct kv_index kv_index;
kv_index *kv_index_new(void);
void kv_index_free(kv_index *m);
uint32_t kv_index_count(const kv_index *m);
int32_t kv_index_key(const kv_index *m, uint32_t id);
int64_t kv_index_value(const kv_index *m, uint32_t id);
int64_t kv_index_find(const kv_index *m, int32_t k, int64_t v); /* id, or -1 */
int64_t kv_index_put(kv_index *m, int32_t k, int64_t v, bool *fresh); /* id, -1 on OOM */

/* Dependency relations: an edge may carry several. */
enum { REL_WW = 1, REL_WR = 2, REL_RW = 4, REL_PROC = 8, REL_RT = 16 };
#define REL_DATA (REL_WW | REL_WR | REL_RW)

/* Edges as they are found (graph.c turns them into the compact graph). */
typedef struct edge_buf {
    uint64_t *pairs;    /* from << 32 | to */
    uint8_t *rels;
    size_t n, cap;
    bool oom;
} edge_buf;

void edge_add(edge_buf *b, uint32_t from, uint32_t to, uint8_t rel);
void edge_buf_free(edge_buf *b);

/* The dependency graph in compressed rows: out-edges of v are adj[off[v] … off[v+1]). */
typedef struct txn_graph {
    uint32_t n;
    uint64_t *off;
    uint32_t *adj;
    uint8_t *rels;
} txn_graph;

int txn_graph_build(txn_graph *g, uint32_t n, edge_buf *b); /* 0, -1 out of memory */
void txn_graph_free(txn_graph *g);
/* process: consecutive ok txns of a process; realtime: a completed ok txn precedes every
 * txn invoked after its completion, kept as a transitive reduction (DESIGN.md). */
void txn_order_edges(const txn_set *s, edge_buf *b);

/* Anomaly reports gathered by the analyses: each type maps to a list of instances. */
typedef struct txn_found {
    json_t *by_type;    /* type -> [instance…] (only the first max_shown kept) */
    json_t *counts;     /* type -> number found */
    unsigned max_shown;
    const txn_set *s;
} txn_found;

/* Record an instance (stolen) of type; key >= 0 sets its "key" to the key's own JSON value
 * (1, "x", ":x" — exact, where explanations show it as text). */
void txn_found_add(txn_found *f, const char *type, int32_t key, json_t *instance);
/* A lost update: count committed txns read key = seen, then wrote it (`wrote`: "appended
 * to", "wrote"); txns points at the first one's id, the others `stride` bytes apart (a
 * field of the caller's records). */
void txn_note_lost_update(txn_found *f, const txn_set *s, int32_t key, const char *seen,
                          const uint32_t *txns, size_t stride, size_t count, const char *wrote);
/* The ops of txns a and b (b omitted when NO_TXN or a itself) as a JSON array. */
json_t *txn_ops_json2(const txn_set *s, uint32_t a, uint32_t b);

/* What the analyses learn about versions, kept for explaining edges. */
#define NO_TXN UINT32_MAX
#define INIT_VERSION (-1)   /* the initial version: the empty list, the nil register */

/* rw-register version-order sources, as bits. */
enum { SRC_INITIAL = 1, SRC_WFR = 2, SRC_PROCESS = 4, SRC_REALTIME = 8 };

typedef struct version_edge {
    int64_t from;       /* version id, or INIT_VERSION */
    uint32_t to;        /* version id */
    uint8_t sources;    /* SRC_* bits */
} version_edge;

typedef struct txn_versions {
    fl_txn_workload workload;
    kv_index *idx;          /* the versions: every appended or written (key, value) */
    uint32_t *writer;       /* version -> the txn that wrote it */
    uint32_t *writer_mop;   /* version -> the micro-op (index into txn_set.mops) */
    /* list-append: each key's order is its longest read, elements distinct */
    int64_t *order;         /* the elements of every key's order, key after key */
    size_t *order_off;      /* key -> first element in order */
    uint32_t *order_len;    /* key -> length */
    int32_t *pos;           /* version -> position in its key's order, -1 unobserved */
    /* rw-register: each key's version graph */
    version_edge *vedges;
    size_t n_vedges;
    size_t *vedge_off;      /* key -> its edges vedges[vedge_off[k] … vedge_off[k+1]) */
} txn_versions;

/* list_append.c / rw_register.c: version orders, the non-cycle anomalies and the data
 * edges (ww, wr, rw). 0, or -1 out of memory. */
int txn_list_analyse(const txn_set *s, txn_found *f, edge_buf *b, txn_versions **out);
int txn_rw_analyse(const txn_set *s, const fl_txn_options *o, txn_found *f, edge_buf *b,
                   txn_versions **out);
void txn_versions_free(txn_versions *v);
/* versions.c: index every micro-op of kind (MOP_APPEND, MOP_WRITE) as a version of its key
 * with its writer; (*final)[id] says it is its txn's last of that key. A second write of
 * one value to one key sets *duplicate (the first such pair in *dup_info): every
 * inference rests on a value naming one write. 0, or -1 out of memory. */
int txn_index_writes(const txn_set *s, txn_versions *v, uint8_t kind, bool **final,
                     bool *duplicate, json_t **dup_info);
/* list-append: the element before v in k's order (INIT_VERSION's value: *is_init). An
 * element never read comes after every one read. */
int64_t txn_list_prev(const txn_versions *v, int32_t k, int64_t value, bool *is_init);
/* Why a -rel-> b holds, in words, with the key it is about (NULL if it does not). */
char *txn_explain_edge(const txn_set *s, const txn_versions *v, uint32_t a, uint32_t b,
                       uint8_t rel, int32_t *key);

/* Cycle classes and tiers: the class of a cycle comes from its relations, the tier from
 * the order edges it needs (none, process, realtime). */
enum { CYC_G0 = 0, CYC_G1C, CYC_GSINGLE, CYC_GNONADJ, CYC_G2, CYC_CLASSES };
enum { TIER_DATA = 0, TIER_PROCESS, TIER_REALTIME, TIERS };
const char *txn_cycle_type(int cls, int tier);

/* One cycle: vertices v[0] -> v[1] -> … -> v[len-1] -> v[0], rel[i] on the step out of
 * v[i] (exactly one relation each). */
typedef struct txn_cycle {
    uint32_t *v;
    uint8_t *rel;
    uint32_t len;
} txn_cycle;

/* Classify a cycle by its relations: class and tier; -1 if not a cycle of any class. */
int txn_cycle_classify(const txn_cycle *c, int *tier);

/* cycles.c: find every class of cycle in each strongly connected component and record
 * one shortest witness per component and type. sets *undecided when the work budget ran
 * out before some class was decided. 0, or -1 out of memory. */
int txn_find_cycles(const txn_set *s, const txn_graph *g, const txn_versions *v,
                    uint64_t budget, txn_found *f, bool *undecided, json_t *stats);

/* scc.c: iterative Tarjan over vertices 0 … n-1 of the rows off/adj, following only the
 * edges e with lab[e] & mask. comp[v] gets each vertex's component number, in reverse
 * topological order (a component is numbered before every component that reaches it);
 * returns the number of components, or -1 out of memory. */
int64_t txn_scc(uint32_t n, const uint64_t *off, const uint32_t *adj, const uint8_t *lab,
                uint8_t mask, uint32_t *comp);

/* models.c */
bool txn_model_prohibits(const char *model, const char *anomaly);
/* The weakest named models the anomalies rule out, as a JSON array. */
json_t *txn_models_ruled_out(const json_t *anomaly_types);

/* explain.c: a cycle as JSON {type, steps: [{txn, rel, key, why}…], explanation}. */
json_t *txn_cycle_json(const txn_set *s, const txn_versions *v, const txn_cycle *c,
                       const char *type);
/* A transaction as the report shows it: "T<index>" plus the op pair. */
json_t *txn_op_json(const txn_set *s, uint32_t t);
char *txn_name(const txn_set *s, uint32_t t); /* "T12 (process 3)" */

/* "[1 2 3]"; a long list shows its first and last elements around "…". */
char *txn_list_text(const int64_t *xs, uint32_t n);
/* printf into a new string (NULL only when memory ran out). */
char *txn_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* certify.c: re-check every reported anomaly against the history with code that shares
 * nothing with the analyses. Adds "certified": true|false and, when false, "errors". */
void txn_certify(const fl_history *h, fl_txn_workload w, const fl_txn_options *o,
                 json_t *result);

#endif
