/* Words for what the txn checker finds (txn_internal.h): transactions named by their
 * invocation's index, each dependency edge justified by the micro-ops that make it, and
 * each cycle told step by step with the anomaly it amounts to. */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "txn_internal.h"

char *txn_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0) out = NULL;
    va_end(ap);
    return out;
}

char *txn_list_text(const int64_t *xs, uint32_t n) {
    enum { HEAD = 6, TAIL = 6 };
    size_t cap = 32 + (size_t)(n < HEAD + TAIL ? n : HEAD + TAIL) * 24;
    char *out = malloc(cap);
    if (!out) return NULL;
    size_t len = 0;
    out[len++] = '[';
    for (uint32_t i = 0; i < n; i++) {
        if (n > HEAD + TAIL && i == HEAD) {
            len += (size_t)snprintf(out + len, cap - len, "%s…", i ? " " : "");
            i = n - TAIL;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%" PRId64, i ? " " : "", xs[i]);
    }
    snprintf(out + len, cap - len, "]");
    return out;
}

json_t *txn_ops_json2(const txn_set *s, uint32_t a, uint32_t b) {
    json_t *ops = json_array();
    json_array_append_new(ops, txn_op_json(s, a));
    if (b != a && b != NO_TXN) json_array_append_new(ops, txn_op_json(s, b));
    return ops;
}

char *txn_name(const txn_set *s, uint32_t t) {
    return txn_fmt("T%" PRId64, s->h->ops[s->txns[t].inv].index);
}

json_t *txn_op_json(const txn_set *s, uint32_t t) {
    json_t *j = fl_op_pair_json(s->h, s->txns[t].inv);
    char *name = txn_name(s, t);
    if (j && name) json_object_set_new(j, "txn", json_string(name));
    free(name);
    return j;
}

void txn_found_add(txn_found *f, const char *type, int32_t key, json_t *instance) {
    if (!instance) return;
    if (key >= 0) json_object_set(instance, "key", f->s->keys[key]);
    json_t *count = json_object_get(f->counts, type);
    json_int_t n = count ? json_integer_value(count) : 0;
    json_object_set_new(f->counts, type, json_integer(n + 1));
    json_t *list = json_object_get(f->by_type, type);
    if (!list) {
        list = json_array();
        json_object_set_new(f->by_type, type, list);
    }
    if (json_array_size(list) < f->max_shown) {
        json_object_set_new(instance, "type", json_string(type));
        json_array_append_new(list, instance);
    } else {
        json_decref(instance);
    }
}

void txn_note_lost_update(txn_found *f, const txn_set *s, int32_t key, const char *seen,
                          const uint32_t *txns, size_t stride, size_t count, const char *wrote) {
    assert(count >= 2 && stride >= sizeof *txns);
#define NTH(i) (*(const uint32_t *)((const char *)txns + (i) * stride))
    char *k = txn_key_text(s, key), *a = txn_name(s, NTH(0)), *b = txn_name(s, NTH(1));
    json_t *ops = json_array();
    for (size_t i = 0; i < count && i < 8; i++) json_array_append_new(ops, txn_op_json(s, NTH(i)));
#undef NTH
    char *why = txn_fmt("%zu committed transactions (%s, %s%s) read %s = %s and then %s %s: "
                        "each wrote without seeing the other's write, so one update was lost",
                        count, a, b, count > 2 ? ", …" : "", k, seen, wrote, k);
    txn_found_add(f, "lost-update", key, json_pack("{s:s?,s:s?,s:o,s:s?}", "key", k, "value", seen,
                  "ops", ops, "explanation", why));
    free(k), free(a), free(b), free(why);
}

const char *txn_cycle_type(int cls, int tier) {
    static const char *const names[CYC_CLASSES][TIERS] = {
        {"G0", "G0-process", "G0-realtime"},
        {"G1c", "G1c-process", "G1c-realtime"},
        {"G-single-item", "G-single-item-process", "G-single-item-realtime"},
        {"G-nonadjacent-item", "G-nonadjacent-item-process", "G-nonadjacent-item-realtime"},
        {"G2-item", "G2-item-process", "G2-item-realtime"},
    };
    assert(cls >= 0 && cls < CYC_CLASSES && tier >= 0 && tier < TIERS);
    return names[cls][tier];
}

int txn_cycle_classify(const txn_cycle *c, int *tier) {
    unsigned rw = 0, wr = 0, ww = 0, proc = 0, rt = 0;
    bool adjacent = false;
    for (uint32_t i = 0; i < c->len; i++) {
        uint8_t r = c->rel[i];
        rw += r == REL_RW, wr += r == REL_WR, ww += r == REL_WW, proc += r == REL_PROC, rt += r == REL_RT;
        if (r == REL_RW && c->rel[(i + 1) % c->len] == REL_RW) adjacent = true;
    }
    *tier = rt ? TIER_REALTIME : proc ? TIER_PROCESS : TIER_DATA;
    if (c->len < 2 || rw + wr + ww == 0) return -1;
    if (rw == 0) return wr ? CYC_G1C : CYC_G0;
    if (rw == 1) return CYC_GSINGLE;
    return adjacent ? CYC_G2 : CYC_GNONADJ;
}

static const char *rel_name(uint8_t rel) {
    switch (rel) {
    case REL_WW: return "ww";
    case REL_WR: return "wr";
    case REL_RW: return "rw";
    case REL_PROC: return "process";
    default: return "realtime";
    }
}

/* A read of key in t whose last element is prev (the empty list when init), as rw edges
 * are made: prev must be an element some txn appended. */
static const txn_mop *read_ending(const txn_set *s, const txn_versions *v, uint32_t t, int32_t key,
                                  bool init, int64_t prev) {
    if (!init && kv_index_find(v->idx, key, prev) < 0) return NULL;
    const txn *x = &s->txns[t];
    const txn_mop *m = txn_mops(s, x);
    for (uint32_t i = 0; i < x->mop_count; i++) {
        if (m[i].f != MOP_READ || m[i].key != key || !m[i].known) continue;
        if (init ? m[i].nil : !m[i].nil && s->ints[m[i].list_off + m[i].list_len - 1] == prev)
            return &m[i];
    }
    return NULL;
}

/* list-append: the micro-ops behind a -rel-> b. */
static char *explain_list(const txn_set *s, const txn_versions *v, uint32_t a, uint32_t b,
                          uint8_t rel, int32_t *key, const char *an, const char *bn) {
    const txn *tb = &s->txns[b];
    const txn_mop *mb = txn_mops(s, tb);
    if (rel == REL_WR) {
        for (uint32_t i = 0; i < tb->mop_count; i++) {
            const txn_mop *m = &mb[i];
            if (m->f != MOP_READ || !m->known || m->nil) continue;
            int64_t last = s->ints[m->list_off + m->list_len - 1];
            int64_t id = kv_index_find(v->idx, m->key, last);
            if (id < 0 || v->writer[id] != a) continue;
            char *k = txn_key_text(s, m->key), *seen = txn_list_text(txn_read_elems(s, m), m->list_len);
            char *why = txn_fmt("%s appended %" PRId64 " to %s, which %s read (%s = %s), so %s "
                                "precedes %s (wr)", an, last, k, bn, k, seen, an, bn);
            *key = m->key;
            free(k), free(seen);
            return why;
        }
        return NULL;
    }
    for (uint32_t i = 0; i < tb->mop_count; i++) {
        const txn_mop *m = &mb[i];
        if (m->f != MOP_APPEND) continue;
        bool init;
        int64_t prev = txn_list_prev(v, m->key, m->value, &init);
        int64_t id = kv_index_find(v->idx, m->key, m->value);
        bool seen_v = id >= 0 && v->pos[id] >= 0;
        char *k = txn_key_text(s, m->key), *why = NULL;
        if (rel == REL_WW && !init) {
            int64_t pid = kv_index_find(v->idx, m->key, prev);
            if (pid >= 0 && v->writer[pid] == a)
                why = seen_v ? txn_fmt("%s appended %" PRId64 " to %s and %s appended %" PRId64
                                       " right after it, so %s precedes %s (ww)", an, prev, k,
                                       bn, m->value, an, bn)
                             : txn_fmt("%s appended %" PRId64 " to %s, the last element any read "
                                       "of %s shows, and %s appended %" PRId64 ", which no read "
                                       "shows, so it came later: %s precedes %s (ww)", an, prev,
                                       k, k, bn, m->value, an, bn);
        } else if (rel == REL_RW) {
            const txn_mop *r = read_ending(s, v, a, m->key, init, prev);
            if (r) {
                char *seen = txn_list_text(txn_read_elems(s, r), r->list_len);
                why = txn_fmt("%s read %s = %s, without %" PRId64 ", which %s appended %s, so "
                              "%s precedes %s (rw)", an, k, seen, m->value, bn,
                              init ? "as the first element" : "next", an, bn);
                free(seen);
            }
        }
        free(k);
        if (why) {
            *key = m->key;
            return why;
        }
    }
    return NULL;
}

static char *sources_text(uint8_t src) {
    return txn_fmt("%s%s%s%s", src & SRC_INITIAL ? "initial state " : "",
                   src & SRC_WFR ? "writes-follow-reads " : "",
                   src & SRC_PROCESS ? "process order " : "", src & SRC_REALTIME ? "real time" : "");
}

/* The external read a txn made of key (first read before any write), if any. */
static const txn_mop *external_read(const txn_set *s, uint32_t t, int32_t key) {
    const txn *x = &s->txns[t];
    const txn_mop *m = txn_mops(s, x);
    for (uint32_t i = 0; i < x->mop_count; i++) {
        if (m[i].key != key) continue;
        if (m[i].f == MOP_WRITE) return NULL;
        if (m[i].known) return &m[i];
    }
    return NULL;
}

/* rw-register: a ww or rw step a -> b justified by an edge of key k's version graph into
 * a version b wrote. */
static char *explain_version_edge(const txn_set *s, const txn_versions *v, uint32_t a,
                                  uint32_t b, uint8_t rel, int32_t k, const char *an,
                                  const char *bn) {
    for (size_t i = v->vedge_off[k]; i < v->vedge_off[k + 1]; i++) {
        const version_edge *e = &v->vedges[i];
        if (v->writer[e->to] != b) continue;
        int64_t to_value = kv_index_value(v->idx, e->to);
        char *src = sources_text(e->sources), *kt = txn_key_text(s, k), *why = NULL;
        if (rel == REL_WW && e->from != INIT_VERSION && v->writer[e->from] == a) {
            why = txn_fmt("%s wrote %s = %" PRId64 " and %s wrote %s = %" PRId64 ", a later version "
                          "(by %s), so %s precedes %s (ww)", an, kt, kv_index_value(v->idx, e->from),
                          bn, kt, to_value, src, an, bn);
        } else if (rel == REL_RW) {
            const txn_mop *r = external_read(s, a, k);
            bool matches = r && (e->from == INIT_VERSION ? r->nil
                                 : !r->nil && r->value == kv_index_value(v->idx, e->from));
            if (matches) {
                char *seen = r->nil ? strdup("nil") : txn_fmt("%" PRId64, r->value);
                why = txn_fmt("%s read %s = %s, and %s wrote the next version, %s = %" PRId64
                              " (by %s), so %s precedes %s (rw)", an, kt, seen, bn, kt, to_value,
                              src, an, bn);
                free(seen);
            }
        }
        free(src), free(kt);
        if (why) return why;
    }
    return NULL;
}

/* rw-register: the version edge or read behind a -rel-> b. */
static char *explain_rw(const txn_set *s, const txn_versions *v, uint32_t a, uint32_t b,
                        uint8_t rel, int32_t *key, const char *an, const char *bn) {
    if (rel == REL_WR) {
        const txn *tb = &s->txns[b];
        const txn_mop *m = txn_mops(s, tb);
        for (uint32_t i = 0; i < tb->mop_count; i++) {
            const txn_mop *r = external_read(s, b, m[i].key);
            if (r != &m[i] || r->nil) continue;
            int64_t id = kv_index_find(v->idx, r->key, r->value);
            if (id < 0 || v->writer[id] != a) continue;
            char *k = txn_key_text(s, r->key);
            char *why = txn_fmt("%s wrote %s = %" PRId64 ", which %s read, so %s precedes %s (wr)",
                                an, k, r->value, bn, an, bn);
            *key = r->key;
            free(k);
            return why;
        }
        return NULL;
    }
    const txn *tb = &s->txns[b];
    const txn_mop *mb = txn_mops(s, tb);
    for (uint32_t j = 0; j < tb->mop_count; j++) {
        if (mb[j].f != MOP_WRITE) continue;
        char *why = explain_version_edge(s, v, a, b, rel, mb[j].key, an, bn);
        if (why) {
            *key = mb[j].key;
            return why;
        }
    }
    return NULL;
}

char *txn_explain_edge(const txn_set *s, const txn_versions *v, uint32_t a, uint32_t b,
                       uint8_t rel, int32_t *key) {
    char *an = txn_name(s, a), *bn = txn_name(s, b), *why = NULL;
    *key = -1;
    const txn *ta = &s->txns[a], *tb = &s->txns[b];
    if (rel == REL_PROC) {
        why = txn_fmt("%s and %s ran in process %" PRId64 ", %s first, so %s precedes %s (process)",
                      an, bn, ta->process, an, an, bn);
    } else if (rel == REL_RT) {
        why = txn_fmt("%s completed (op %" PRId64 ") before %s began (op %" PRId64 "), so %s "
                      "precedes %s (realtime)", an, s->h->ops[ta->done].index, bn,
                      s->h->ops[tb->inv].index, an, bn);
    } else if (v->workload == FL_TXN_LIST_APPEND) {
        why = explain_list(s, v, a, b, rel, key, an, bn);
    } else {
        why = explain_rw(s, v, a, b, rel, key, an, bn);
    }
    free(an), free(bn);
    return why;
}

static const char *class_words(int cls) {
    switch (cls) {
    case CYC_G0: return "only write dependencies (ww): G0, a dirty write";
    case CYC_G1C: return "only write and read dependencies, one of them wr: G1c, circular "
                         "information flow";
    case CYC_GSINGLE: return "exactly one anti-dependency (rw): G-single, a read skew";
    case CYC_GNONADJ: return "anti-dependencies (rw), no two in a row: G-nonadjacent, which "
                             "snapshot isolation forbids";
    default: return "two anti-dependencies (rw) in a row: G2-item, a write skew";
    }
}

json_t *txn_cycle_json(const txn_set *s, const txn_versions *v, const txn_cycle *c,
                       const char *type) {
    json_t *steps = json_array();
    size_t cap = 256;
    char *text = malloc(cap);
    size_t len = 0;
    if (!text) return NULL;
    text[0] = 0;
    for (uint32_t i = 0; i < c->len; i++) {
        uint32_t a = c->v[i], b = c->v[(i + 1) % c->len];
        int32_t key;
        char *why = txn_explain_edge(s, v, a, b, c->rel[i], &key);
        char *an = txn_name(s, a);
        json_t *step = json_pack("{s:s?,s:o,s:s,s:O,s:s?}", "name", an, "op", txn_op_json(s, a),
                                 "rel", rel_name(c->rel[i]), "key",
                                 key >= 0 ? s->keys[key] : json_null(), "why", why);
        json_array_append_new(steps, step);
        size_t add = (why ? strlen(why) : 8) + 4;
        if (len + add + 1 > cap) {
            cap = 2 * (len + add + 1);
            char *more = realloc(text, cap);
            if (!more) break;
            text = more;
        }
        len += (size_t)snprintf(text + len, cap - len, "%s%s", i ? "; " : "", why ? why : "?");
        free(why), free(an);
    }
    int tier;
    int cls = txn_cycle_classify(c, &tier);
    char *all = txn_fmt("%s: a cycle of %u transactions with %s%s", text, c->len,
                        cls >= 0 ? class_words(cls) : "no data dependency",
                        tier == TIER_REALTIME ? ", which needs real-time order (-realtime)"
                        : tier == TIER_PROCESS ? ", which needs process order (-process)" : "");
    json_t *out = json_pack("{s:s,s:o,s:s?}", "cycle-type", type, "steps", steps, "explanation", all);
    free(text), free(all);
    return out;
}
