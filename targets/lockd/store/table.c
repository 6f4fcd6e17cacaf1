/* The fencing decision and the resources it keeps (see table.h). */
#include "table.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"correct", "write-before-fence", "no-fence"};

const char *fs_mode_name(fs_mode mode) {
    assert((size_t)mode < sizeof mode_names / sizeof mode_names[0]);
    return mode_names[mode];
}

int fs_mode_parse(const char *bug, fs_mode *mode) {
    if (!strcmp(bug, "write-before-fence")) *mode = FS_WRITE_BEFORE_FENCE;
    else if (!strcmp(bug, "no-fence")) *mode = FS_NO_FENCE;
    else return -1;
    return 0;
}

void fs_table_init(fs_table *t) {
    *t = (fs_table){.index = json_object()};
    if (!t->index) abort();
}

void fs_table_free(fs_table *t) {
    while (t->count > 0) { /* newest first */
        fs_resource *r = &t->res[--t->count];
        free(r->ckey);
        json_decref(r->value);
    }
    free(t->res);
    json_decref(t->index);
    *t = (fs_table){0};
}

static fs_resource *lookup(const fs_table *t, const char *ckey) {
    json_t *i = json_object_get(t->index, ckey);
    if (!i) return NULL;
    assert((size_t)json_integer_value(i) < t->count);
    return &t->res[json_integer_value(i)];
}

const fs_resource *fs_table_get(const fs_table *t, const char *ckey) { return lookup(t, ckey); }

/* The resource, added (no decision yet) when new; NULL when the table is full. */
static fs_resource *get_or_add(fs_table *t, const char *ckey) {
    fs_resource *r = lookup(t, ckey);
    if (r) return r;
    if (t->count >= FS_RESOURCES_MAX) return NULL;
    if (t->count == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->res = realloc(t->res, t->cap * sizeof *t->res);
        if (!t->res) abort();
    }
    r = &t->res[t->count];
    *r = (fs_resource){.ckey = strdup(ckey), .fence = FS_FENCE_NONE};
    if (!r->ckey || json_object_set_new(t->index, ckey, json_integer((json_int_t)t->count)))
        abort();
    t->count++;
    return r;
}

static void set_value(fs_resource *r, json_t *value) {
    json_incref(value);
    json_decref(r->value);
    r->value = value;
}

int fs_table_restore(fs_table *t, const char *ckey, int64_t fence, uint64_t seq, json_t *value) {
    assert(fence >= FS_FENCE_NONE);
    fs_resource *r = get_or_add(t, ckey);
    if (!r) return -1;
    r->fence = fence;
    r->seq = seq;
    set_value(r, value);
    return 0;
}

int fs_decide(fs_table *t, fs_mode mode, const fs_access *a, fs_decision *d) {
    assert(a->token >= 0);
    assert((a->kind == FS_WRITE) == (a->value != NULL));
    fs_resource *r = get_or_add(t, a->ckey);
    if (!r) return -1;
    *d = (fs_decision){.accepted = true, .token = a->token, .r = r};
    r->seq++; /* every decision, accepted or not */
    switch (mode) {
    case FS_CORRECT:
        if (r->fence != FS_FENCE_NONE && a->token < r->fence) {
            d->accepted = false; /* before it touches anything */
            break;
        }
        r->fence = a->token;
        if (a->kind == FS_WRITE) set_value(r, a->value);
        break;
    case FS_WRITE_BEFORE_FENCE: /* the reference code: apply, then record the token */
        if (a->kind == FS_WRITE) set_value(r, a->value);
        if (a->token > r->fence) r->fence = a->token;
        break;
    case FS_NO_FENCE:
        if (a->kind == FS_WRITE) set_value(r, a->value);
        r->fence = FS_FENCE_NONE; /* not tracked (a data dir of another mode had one) */
        break;
    }
    if (d->accepted) t->accepted++;
    else t->rejected++;
    return 0;
}

json_t *fs_fence_json(int64_t fence) {
    return fence == FS_FENCE_NONE ? json_null() : json_integer((json_int_t)fence);
}

json_t *fs_decision_json(const fs_decision *d) {
    const fs_resource *r = d->r;
    json_t *v = json_object();
    if (!v) return NULL;
    int rc = json_object_set_new(v, "token", json_integer((json_int_t)d->token));
    if (d->accepted)
        rc |= json_object_set_new(v, "value", r->value ? json_incref(r->value) : json_null());
    rc |= json_object_set_new(v, "fence", fs_fence_json(r->fence));
    rc |= json_object_set_new(v, "seq", json_integer((json_int_t)r->seq));
    if (rc) {
        json_decref(v);
        return NULL;
    }
    return v;
}
