/* What both workloads' analyses share about versions (txn_internal.h): the index of every
 * appended or written (key, value) with its writer, and freeing it all. */
#include <assert.h>
#include <stdlib.h>

#include "txn_internal.h"

int txn_index_writes(const txn_set *s, txn_versions *v, uint8_t kind, bool **final,
                     bool *duplicate, json_t **dup_info) {
    assert(s && v && v->idx && final && duplicate && dup_info);
    size_t cap = 0;
    for (uint32_t t = 0; t < s->n; t++) {
        const txn *x = &s->txns[t];
        const txn_mop *m = txn_mops(s, x);
        for (uint32_t i = 0; i < x->mop_count; i++) {
            if (m[i].f != kind) continue;
            bool fresh;
            int64_t id = kv_index_put(v->idx, m[i].key, m[i].value, &fresh);
            if (id < 0) return -1;
            if (!fresh) {
                if (!*duplicate) {
                    *dup_info = json_pack("{s:O,s:I,s:[o,o]}", "key", s->keys[m[i].key], "value",
                                          (json_int_t)m[i].value, "ops",
                                          txn_op_json(s, v->writer[id]), txn_op_json(s, t));
                }
                *duplicate = true;
                continue;
            }
            if ((size_t)id >= cap) {
                size_t ncap = cap ? 2 * cap : 1024;
                uint32_t *w = realloc(v->writer, ncap * sizeof *w);
                if (!w) return -1;
                v->writer = w;
                uint32_t *wm = realloc(v->writer_mop, ncap * sizeof *wm);
                if (!wm) return -1;
                v->writer_mop = wm;
                bool *fin = realloc(*final, ncap * sizeof *fin);
                if (!fin) return -1;
                *final = fin;
                cap = ncap;
            }
            v->writer[id] = t;
            v->writer_mop[id] = x->mop_off + i;
            (*final)[id] = true;
            for (uint32_t j = i + 1; j < x->mop_count; j++)
                if (m[j].f == kind && m[j].key == m[i].key) (*final)[id] = false;
        }
    }
    return 0;
}

void txn_versions_free(txn_versions *v) {
    if (!v) return;
    kv_index_free(v->idx);
    free(v->writer);
    free(v->writer_mop);
    free(v->order);
    free(v->order_off);
    free(v->order_len);
    free(v->pos);
    free(v->vedges);
    free(v->vedge_off);
    free(v);
}
