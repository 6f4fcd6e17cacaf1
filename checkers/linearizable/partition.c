/* Splitting a history per key and encoding each key's ops as calls (partition.h). */
#include "partition.h"

#include <stdlib.h>
#include <string.h>

int32_t fl_op_pair_key(const fl_history *h, size_t invoke_pos) {
    const fl_op *op = &h->ops[invoke_pos];
    if (op->key != FL_NO_KEY || op->pair == FL_NO_PAIR) return op->key;
    return h->ops[op->pair].key;
}

static bool is_client_invoke(const fl_op *op) {
    return op->process != FL_PROCESS_NEMESIS && op->type == FL_INVOKE;
}

int fl_partition_split(const fl_history *h, fl_partition **out, size_t *count) {
    size_t buckets = h->key_count + 1; /* the last bucket: no key */
    size_t *sizes = calloc(buckets, sizeof *sizes);
    int32_t *order = malloc(buckets * sizeof *order); /* bucket -> partition, or -1 */
    fl_partition *parts = calloc(buckets, sizeof *parts);
    if (!sizes || !order || !parts) goto oom;
    size_t used = 0;
    for (size_t b = 0; b < buckets; b++) order[b] = -1;
    for (size_t i = 0; i < h->count; i++) {
        if (!is_client_invoke(&h->ops[i])) continue;
        int32_t key = fl_op_pair_key(h, i);
        size_t b = key == FL_NO_KEY ? buckets - 1 : (size_t)key;
        if (order[b] < 0) {
            order[b] = (int32_t)used;
            parts[used++].key = key;
        }
        sizes[order[b]]++;
    }
    for (size_t p = 0; p < used; p++) {
        parts[p].invokes = malloc(sizes[p] * sizeof *parts[p].invokes);
        if (!parts[p].invokes || fl_interner_init(&parts[p].in) != 0) {
            fl_partitions_free(parts, used);
            parts = NULL;
            goto oom;
        }
    }
    for (size_t i = 0; i < h->count; i++) {
        if (!is_client_invoke(&h->ops[i])) continue;
        int32_t key = fl_op_pair_key(h, i);
        fl_partition *p = &parts[order[key == FL_NO_KEY ? buckets - 1 : (size_t)key]];
        p->invokes[p->invoke_count++] = (int64_t)i;
    }
    free(sizes);
    free(order);
    *out = parts;
    *count = used;
    return 0;
oom:
    free(sizes);
    free(order);
    free(parts);
    return -1;
}

/* Leave out the calls of unknown outcome whose effect no call of the key observes
 * (see fl_model.observable): assuming they never happened loses no linearization. */
static int drop_unobserved(const fl_model *m, fl_partition *p) {
    if (!m->observe || !m->observable) return 0;
    fl_idset seen;
    if (fl_idset_init(&seen) != 0) return -1;
    for (size_t i = 0; i < p->call_count; i++)
        if (m->observe(&p->in, &p->calls[i], &seen) != 0) { /* an unknown cas observes too */
            fl_idset_free(&seen);
            return -1;
        }
    size_t kept = 0;
    for (size_t i = 0; i < p->call_count; i++) {
        const fl_call *c = &p->calls[i];
        if (!fl_call_known(c) && !c->read_only && !m->observable(&p->in, c, &seen)) {
            p->unobserved++;
            continue;
        }
        p->calls[kept++] = *c;
    }
    p->call_count = kept;
    fl_idset_free(&seen);
    return 0;
}

int fl_partition_prepare(const fl_history *h, const fl_model *m, fl_partition *p,
                         const char **why, int64_t *bad_pos) {
    p->calls = malloc((p->invoke_count ? p->invoke_count : 1) * sizeof *p->calls);
    if (!p->calls) {
        *why = "out of memory";
        *bad_pos = -1;
        return -1;
    }
    for (size_t i = 0; i < p->invoke_count; i++) {
        const fl_op *inv = &h->ops[p->invokes[i]];
        const fl_op *done = inv->pair == FL_NO_PAIR ? NULL : &h->ops[inv->pair];
        if (done && done->type == FL_FAIL) {
            p->failed++;
            continue;
        }
        const fl_op *ok = done && done->type == FL_OK ? done : NULL;
        fl_call *c = &p->calls[p->call_count];
        memset(c, 0, sizeof *c);
        c->invoke_pos = p->invokes[i];
        c->return_pos = ok ? inv->pair : FL_RETURN_NEVER;
        fl_prepare_rc rc = m->prepare(&p->in, inv, ok, c, why);
        if (rc == FL_PREPARE_ERROR) {
            *bad_pos = p->invokes[i];
            return -1;
        }
        if (rc == FL_PREPARE_SKIP) p->skipped++;
        else p->call_count++;
    }
    if (drop_unobserved(m, p) != 0) {
        *why = "out of memory";
        *bad_pos = -1;
        return -1;
    }
    return 0;
}

void fl_partitions_free(fl_partition *parts, size_t count) {
    if (!parts) return;
    for (size_t i = 0; i < count; i++) {
        free(parts[i].invokes);
        free(parts[i].calls);
        fl_interner_free(&parts[i].in);
    }
    free(parts);
}
