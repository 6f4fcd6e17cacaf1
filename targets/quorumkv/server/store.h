/* A replica's registers in memory: canonical key text -> (version, value). A put applies
 * only if its version is higher than the one held (the ABD replica rule). Open addressing
 * with linear probing; keys are never removed. */
#ifndef QKV_STORE_H
#define QKV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "message.h"

#define QKV_STORE_KEYS_MAX (1u << 24) /* past this, puts of new keys are refused */

typedef struct qkv_entry {
    char *ckey;        /* owned, NUL-terminated; NULL: empty slot */
    uint64_t hash;
    qkv_version ver;
    json_t *value;     /* a reference the store holds */
} qkv_entry;

typedef struct qkv_store {
    qkv_entry *slots;  /* cap slots, cap a power of two, count < cap * 3/4 */
    size_t cap, count;
} qkv_store;

typedef enum { QKV_APPLIED, QKV_STALE, QKV_FULL } qkv_put_result;

void qkv_store_init(qkv_store *s);
void qkv_store_free(qkv_store *s);
/* The entry for ckey, or NULL when it was never written. */
const qkv_entry *qkv_store_get(const qkv_store *s, const char *ckey);
/* APPLIED (the store now holds v and a reference to value), STALE (it held v or higher:
 * nothing changed) or FULL (a new key past QKV_STORE_KEYS_MAX). */
qkv_put_result qkv_store_put(qkv_store *s, const char *ckey, qkv_version v, json_t *value);

#endif
