/* A (key, value) -> dense id map (txn_internal.h): every appended or written version of
 * a key gets an id, and the analyses keep per-version facts in arrays indexed by it. */
#include <assert.h>
#include <stdlib.h>

#include "txn_internal.h"

struct kv_index {
    int32_t *keys;
    int64_t *values;
    uint32_t *slots;  /* id + 1, 0 when empty */
    size_t mask;      /* slots - 1 (a power of two) */
    uint32_t n, cap;
};

static size_t slot_of(const kv_index *m, int32_t k, int64_t v) {
    uint64_t x = (uint64_t)v * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)k * 0xC2B2AE3D27D4EB4Full;
    x ^= x >> 29;
    return (size_t)x & m->mask;
}

kv_index *kv_index_new(void) {
    kv_index *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->mask = 1023;
    m->slots = calloc(m->mask + 1, sizeof *m->slots);
    if (!m->slots) { free(m); return NULL; }
    return m;
}

void kv_index_free(kv_index *m) {
    if (!m) return;
    free(m->keys);
    free(m->values);
    free(m->slots);
    free(m);
}

uint32_t kv_index_count(const kv_index *m) { return m->n; }
int32_t kv_index_key(const kv_index *m, uint32_t id) { return m->keys[id]; }
int64_t kv_index_value(const kv_index *m, uint32_t id) { return m->values[id]; }

int64_t kv_index_find(const kv_index *m, int32_t k, int64_t v) {
    for (size_t i = slot_of(m, k, v);; i = (i + 1) & m->mask) {
        uint32_t s = m->slots[i];
        if (!s) return -1;
        if (m->keys[s - 1] == k && m->values[s - 1] == v) return s - 1;
    }
}

static int rehash(kv_index *m) {
    size_t size = (m->mask + 1) * 2;
    uint32_t *slots = calloc(size, sizeof *slots);
    if (!slots) return -1;
    free(m->slots);
    m->slots = slots;
    m->mask = size - 1;
    for (uint32_t id = 0; id < m->n; id++) {
        size_t i = slot_of(m, m->keys[id], m->values[id]);
        while (m->slots[i]) i = (i + 1) & m->mask;
        m->slots[i] = id + 1;
    }
    return 0;
}

int64_t kv_index_put(kv_index *m, int32_t k, int64_t v, bool *fresh) {
    assert(m && fresh);
    int64_t id = kv_index_find(m, k, v);
    *fresh = id < 0;
    if (id >= 0) return id;
    if (m->n == UINT32_MAX - 1) return -1;
    if ((size_t)(m->n + 1) * 2 > m->mask + 1 && rehash(m)) return -1;
    if (m->n == m->cap) {
        uint32_t cap = m->cap ? 2 * m->cap : 1024;
        int32_t *keys = realloc(m->keys, (size_t)cap * sizeof *keys);
        if (!keys) return -1;
        m->keys = keys;
        int64_t *values = realloc(m->values, (size_t)cap * sizeof *values);
        if (!values) return -1;
        m->values = values;
        m->cap = cap;
    }
    id = m->n++;
    m->keys[id] = k;
    m->values[id] = v;
    size_t i = slot_of(m, k, v);
    while (m->slots[i]) i = (i + 1) & m->mask;
    m->slots[i] = (uint32_t)id + 1;
    return id;
}
