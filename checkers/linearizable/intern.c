/* Hash-consing for model values and states (see intern.h). */
#include "intern.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int fl_interner_init(fl_interner *in) {
    memset(in, 0, sizeof *in);
    in->map = fl_strmap_new();
    return in->map ? 0 : -1;
}

typedef struct fl_derived {
    uint64_t state, arg, result; /* result FL_INTERN_FAILED: empty slot */
    uint32_t tag;
} fl_derived;

void fl_interner_free(fl_interner *in) {
    free(in->derived);
    fl_strmap_free(in->map);
    free(in->bytes);
    free(in->lengths);
    memset(in, 0, sizeof *in);
}

uint64_t fl_intern(fl_interner *in, const void *bytes, size_t len) {
    int64_t id = fl_strmap_get(in->map, bytes, len);
    if (id >= 0) return (uint64_t)id;
    if (len > UINT32_MAX) return FL_INTERN_FAILED;
    if (in->count + 1 >= in->capacity) {
        size_t capacity = in->capacity ? in->capacity * 2 : 256;
        const char **b = realloc(in->bytes, capacity * sizeof *b);
        if (!b) return FL_INTERN_FAILED;
        in->bytes = b;
        uint32_t *l = realloc(in->lengths, capacity * sizeof *l);
        if (!l) return FL_INTERN_FAILED;
        in->lengths = l;
        in->capacity = capacity;
    }
    const char *stored;
    id = fl_strmap_put_copy(in->map, bytes, len, (int64_t)in->count + 1, &stored);
    if (id < 0) return FL_INTERN_FAILED;
    in->count++;
    in->bytes[id] = stored;
    in->lengths[id] = (uint32_t)len;
    return (uint64_t)id;
}

int fl_interner_truncate(fl_interner *in, size_t mark) {
    assert(mark <= in->count);
    if (mark == in->count) return 0;
    size_t capacity = mark + 2 > 256 ? mark + 2 : 256;
    fl_strmap *map = fl_strmap_new();
    const char **bytes = malloc(capacity * sizeof *bytes);
    uint32_t *lengths = malloc(capacity * sizeof *lengths);
    if (!map || !bytes || !lengths) goto oom;
    for (size_t id = 1; id <= mark; id++) {
        if (fl_strmap_put_copy(map, in->bytes[id], in->lengths[id], (int64_t)id, &bytes[id]) !=
            (int64_t)id)
            goto oom;
        lengths[id] = in->lengths[id];
    }
    fl_strmap_free(in->map);
    free(in->bytes);
    free(in->lengths);
    free(in->derived); /* the memo names states above mark too */
    in->map = map;
    in->bytes = bytes;
    in->lengths = lengths;
    in->count = mark;
    in->capacity = capacity;
    in->derived = NULL;
    in->derived_mask = 0;
    in->derived_count = 0;
    return 0;
oom:
    fl_strmap_free(map);
    free(bytes);
    free(lengths);
    return -1;
}

const void *fl_interned(const fl_interner *in, uint64_t id, size_t *len) {
    assert(id >= 1 && id <= in->count);
    *len = in->lengths[id];
    return in->bytes[id];
}

uint64_t fl_intern_json(fl_interner *in, const json_t *v) {
    if (!v || json_is_null(v)) return 0;
    char small[32];
    if (json_is_integer(v)) { /* the common case, without an allocation */
        int n = snprintf(small, sizeof small, "j%lld", (long long)json_integer_value(v));
        return fl_intern(in, small, (size_t)n);
    }
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!text) return FL_INTERN_FAILED;
    size_t len = strlen(text);
    char *tagged = malloc(len + 1);
    uint64_t id = FL_INTERN_FAILED;
    if (tagged) {
        tagged[0] = 'j';
        memcpy(tagged + 1, text, len);
        id = fl_intern(in, tagged, len + 1);
    }
    free(tagged);
    free(text);
    return id;
}

json_t *fl_interned_json(const fl_interner *in, uint64_t id) {
    if (id == 0) return json_null();
    size_t len;
    const char *bytes = fl_interned(in, id, &len);
    if (len == 0 || bytes[0] != 'j') return json_string("<not a value>");
    return json_loadb(bytes + 1, len - 1, JSON_DECODE_ANY, NULL);
}

size_t fl_interner_bytes(const fl_interner *in) {
    return fl_strmap_bytes(in->map) + in->capacity * (sizeof(char *) + sizeof(uint32_t)) +
           (in->derived ? (in->derived_mask + 1) * sizeof(fl_derived) : 0);
}

static size_t derived_slot(const fl_derived *slots, size_t mask, uint32_t tag, uint64_t state,
                           uint64_t arg) {
    uint64_t h = (state * 0x9E3779B97F4A7C15ULL) ^ (arg * 0xC2B2AE3D27D4EB4FULL) ^ tag;
    h ^= h >> 32;
    size_t i = h & mask;
    while (slots[i].result != FL_INTERN_FAILED &&
           !(slots[i].state == state && slots[i].arg == arg && slots[i].tag == tag))
        i = (i + 1) & mask;
    return i;
}

uint64_t fl_derived_get(const fl_interner *in, uint32_t tag, uint64_t state, uint64_t arg) {
    if (!in->derived) return FL_INTERN_FAILED;
    return in->derived[derived_slot(in->derived, in->derived_mask, tag, state, arg)].result;
}

static int derived_grow(fl_interner *in) {
    size_t capacity = in->derived ? (in->derived_mask + 1) * 2 : 1024;
    fl_derived *slots = malloc(capacity * sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < capacity; i++) slots[i].result = FL_INTERN_FAILED;
    for (size_t i = 0; in->derived && i <= in->derived_mask; i++) {
        const fl_derived *d = &in->derived[i];
        if (d->result != FL_INTERN_FAILED)
            slots[derived_slot(slots, capacity - 1, d->tag, d->state, d->arg)] = *d;
    }
    free(in->derived);
    in->derived = slots;
    in->derived_mask = capacity - 1;
    return 0;
}

void fl_derived_put(fl_interner *in, uint32_t tag, uint64_t state, uint64_t arg, uint64_t result) {
    if (result == FL_INTERN_FAILED) return;
    if ((!in->derived || (in->derived_count + 1) * 2 > in->derived_mask + 1) &&
        derived_grow(in) != 0)
        return; /* only a memo: without room it is simply not remembered */
    size_t i = derived_slot(in->derived, in->derived_mask, tag, state, arg);
    if (in->derived[i].result == FL_INTERN_FAILED) in->derived_count++;
    in->derived[i] = (fl_derived){state, arg, result, tag};
}
