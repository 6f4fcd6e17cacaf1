/* Interned strings and a string -> index map (open addressing, linear probing). */
#include "strpool.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    const char *bytes; /* NULL: empty */
    size_t len;
    uint64_t hash;
    int64_t value;
} slot;

struct fl_strmap {
    slot *slots;
    size_t mask;  /* capacity - 1, capacity a power of two */
    size_t count;
    char *arena;  /* current block of copied bytes */
    size_t arena_used;
    size_t arena_size;
    char **blocks; /* every block, to free */
    size_t block_count;
};

struct fl_strpool {
    fl_strmap *map;
};

uint64_t fl_hash_bytes(const void *bytes, size_t len) {
    /* Eight bytes at a time (states can be long strings), then a final mix so the
     * low bits are usable for the table index. */
    const unsigned char *p = bytes;
    uint64_t h = 1469598103934665603ULL ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t chunk;
        memcpy(&chunk, p + i, 8);
        h = (h ^ chunk) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

fl_strmap *fl_strmap_new(void) {
    fl_strmap *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->mask = 63;
    m->slots = calloc(m->mask + 1, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    return m;
}

void fl_strmap_free(fl_strmap *m) {
    if (!m) return;
    for (size_t i = 0; i < m->block_count; i++) free(m->blocks[i]);
    free(m->blocks);
    free(m->slots);
    free(m);
}

static slot *find_slot(const fl_strmap *m, const char *bytes, size_t len, uint64_t hash) {
    size_t i = hash & m->mask;
    for (;;) {
        slot *s = &m->slots[i];
        if (!s->bytes) return s;
        if (s->hash == hash && s->len == len && memcmp(s->bytes, bytes, len) == 0) return s;
        i = (i + 1) & m->mask;
    }
}

int64_t fl_strmap_get(const fl_strmap *m, const char *bytes, size_t len) {
    const slot *s = find_slot(m, bytes, len, fl_hash_bytes(bytes, len));
    return s->bytes ? s->value : -1;
}

static int grow(fl_strmap *m) {
    size_t capacity = (m->mask + 1) * 2;
    slot *old = m->slots;
    size_t old_capacity = m->mask + 1;
    m->slots = calloc(capacity, sizeof *m->slots);
    if (!m->slots) {
        m->slots = old;
        return -1;
    }
    m->mask = capacity - 1;
    for (size_t i = 0; i < old_capacity; i++) {
        if (!old[i].bytes) continue;
        *find_slot(m, old[i].bytes, old[i].len, old[i].hash) = old[i];
    }
    free(old);
    return 0;
}

static char *copy_bytes(fl_strmap *m, const char *bytes, size_t len) {
    if (m->arena_used + len + 1 > m->arena_size) {
        size_t size = len + 1 > 65536 ? len + 1 : 65536;
        char **blocks = realloc(m->blocks, (m->block_count + 1) * sizeof *blocks);
        if (!blocks) return NULL;
        m->blocks = blocks;
        m->arena = malloc(size);
        if (!m->arena) return NULL;
        m->blocks[m->block_count++] = m->arena;
        m->arena_size = size;
        m->arena_used = 0;
    }
    char *copy = m->arena + m->arena_used;
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    /* Copies start 8-byte aligned, so a copy holding an array of ids can be read as one. */
    m->arena_used = (m->arena_used + len + 1 + 7) & ~(size_t)7;
    if (m->arena_used > m->arena_size) m->arena_used = m->arena_size;
    return copy;
}

static slot *put_slot(fl_strmap *m, const char *bytes, size_t len, int64_t value) {
    uint64_t hash = fl_hash_bytes(bytes, len);
    slot *s = find_slot(m, bytes, len, hash);
    if (s->bytes) return s;
    if ((m->count + 1) * 4 > (m->mask + 1) * 3) {
        if (grow(m) != 0) return NULL;
        s = find_slot(m, bytes, len, hash);
    }
    char *copy = copy_bytes(m, bytes, len);
    if (!copy) return NULL;
    s->bytes = copy;
    s->len = len;
    s->hash = hash;
    s->value = value;
    m->count++;
    return s;
}

int64_t fl_strmap_put(fl_strmap *m, const char *bytes, size_t len, int64_t value) {
    assert(value >= 0);
    slot *s = put_slot(m, bytes, len, value);
    return s ? s->value : -2;
}

int64_t fl_strmap_put_copy(fl_strmap *m, const char *bytes, size_t len, int64_t value,
                           const char **stored) {
    assert(value >= 0);
    slot *s = put_slot(m, bytes, len, value);
    if (!s) return -2;
    *stored = s->bytes;
    return s->value;
}

size_t fl_strmap_bytes(const fl_strmap *m) {
    return (m->mask + 1) * sizeof(slot) + m->block_count * 65536;
}

fl_strpool *fl_strpool_new(void) {
    fl_strpool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->map = fl_strmap_new();
    if (!p->map) {
        free(p);
        return NULL;
    }
    return p;
}

void fl_strpool_free(fl_strpool *p) {
    if (!p) return;
    fl_strmap_free(p->map);
    free(p);
}

const char *fl_strpool_intern(fl_strpool *p, const char *bytes, size_t len) {
    slot *s = put_slot(p->map, bytes, len, 0);
    return s ? s->bytes : NULL;
}
