/* Splitting a history into independent keys (P-compositionality: a history is
 * linearizable iff each key's sub-history is) and encoding each key's ops as calls. */
#ifndef FL_PARTITION_H
#define FL_PARTITION_H

#include "model.h"

typedef struct fl_partition {
    int32_t key;            /* FL_NO_KEY for ops without a key */
    int64_t *invokes;       /* positions of this key's client invocations, in order */
    size_t invoke_count;
    fl_interner in;         /* values and states of this key */
    fl_call *calls;         /* after fl_partition_prepare: sorted by invoke_pos */
    size_t call_count;
    size_t failed;          /* fail ops, dropped: they certainly did not happen */
    size_t skipped;         /* indeterminate ops with no effect to check (info reads) */
    size_t unobserved;      /* indeterminate ops whose effect no op observes: left out */
} fl_partition;

/* The key an op pair belongs to: the invocation's, else the completion's. */
int32_t fl_op_pair_key(const fl_history *h, size_t invoke_pos);

/* One partition per key that has client ops, in order of first appearance. */
int fl_partition_split(const fl_history *h, fl_partition **out, size_t *count);
/* Encode the key's ops; on a model error fills why and *bad_pos, returns -1. */
int fl_partition_prepare(const fl_history *h, const fl_model *m, fl_partition *p,
                         const char **why, int64_t *bad_pos);
void fl_partitions_free(fl_partition *parts, size_t count);

#endif
