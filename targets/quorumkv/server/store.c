/* The replica's hash table of registers (see store.h). */
#include "store.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define QKV_STORE_CAP_MIN 1024

static uint64_t hash_text(const char *text) { /* FNV-1a */
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h;
}

void qkv_store_init(qkv_store *s) {
    s->cap = QKV_STORE_CAP_MIN;
    s->count = 0;
    s->slots = calloc(s->cap, sizeof *s->slots);
    if (!s->slots) abort();
}

void qkv_store_free(qkv_store *s) {
    for (size_t i = 0; i < s->cap; i++) {
        free(s->slots[i].ckey);
        json_decref(s->slots[i].value);
    }
    free(s->slots);
    s->slots = NULL;
    s->cap = s->count = 0;
}

/* The slot holding ckey, or the empty slot where it would go. */
static qkv_entry *find(const qkv_store *s, const char *ckey, uint64_t h) {
    size_t mask = s->cap - 1;
    for (size_t i = h & mask, probes = 0; probes < s->cap; i = (i + 1) & mask, probes++) {
        qkv_entry *e = &s->slots[i];
        if (!e->ckey || (e->hash == h && !strcmp(e->ckey, ckey))) return e;
    }
    abort(); /* unreachable: the table is never full */
}

static void grow(qkv_store *s) {
    qkv_store bigger = {.cap = s->cap * 2, .count = s->count};
    bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
    if (!bigger.slots) abort();
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].ckey) *find(&bigger, s->slots[i].ckey, s->slots[i].hash) = s->slots[i];
    free(s->slots);
    *s = bigger;
}

const qkv_entry *qkv_store_get(const qkv_store *s, const char *ckey) {
    const qkv_entry *e = find(s, ckey, hash_text(ckey));
    return e->ckey ? e : NULL;
}

qkv_put_result qkv_store_put(qkv_store *s, const char *ckey, qkv_version v, json_t *value) {
    assert(value);
    uint64_t h = hash_text(ckey);
    qkv_entry *e = find(s, ckey, h);
    if (e->ckey) {
        if (qkv_version_cmp(v, e->ver) <= 0) return QKV_STALE;
        json_incref(value);
        json_decref(e->value);
        e->ver = v;
        e->value = value;
        return QKV_APPLIED;
    }
    if (qkv_version_cmp(v, (qkv_version){0, 0}) <= 0) return QKV_STALE; /* the initial state */
    if (s->count >= QKV_STORE_KEYS_MAX) return QKV_FULL;
    if ((s->count + 1) * 4 > s->cap * 3) {
        grow(s);
        e = find(s, ckey, h);
    }
    *e = (qkv_entry){.ckey = strdup(ckey), .hash = h, .ver = v, .value = json_incref(value)};
    if (!e->ckey) abort();
    s->count++;
    return QKV_APPLIED;
}
