/* The core's in-memory log: the entries after the last snapshot (or compaction point),
 * which are exactly the entries the host has on disk or has been asked to write.
 *
 * Invariants: entries[k].index == base_index + 1 + k; terms never decrease along the log
 * and are >= base_term; base_index is the last index a snapshot covers (0: none). */
#ifndef RAFT_LOG_H
#define RAFT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "raft_msg.h"

typedef struct raft_log {
    uint64_t base_index; /* last index covered by the snapshot; entries start after it */
    uint64_t base_term;  /* its term */
    raft_entry *entries; /* owned */
    size_t n, cap;
} raft_log;

void raft_log_init(raft_log *l, uint64_t base_index, uint64_t base_term);
void raft_log_free(raft_log *l);
static inline uint64_t raft_log_last_index(const raft_log *l) { return l->base_index + l->n; }
uint64_t raft_log_last_term(const raft_log *l);
/* The term at index: base_term at base_index, 0 outside [base_index, last]. */
uint64_t raft_log_term(const raft_log *l, uint64_t index);
/* The entry at index, or NULL when it is compacted away or past the end. */
const raft_entry *raft_log_get(const raft_log *l, uint64_t index);
/* Append a copy of e, whose index must be last + 1 and whose term must not go back. */
void raft_log_append(raft_log *l, const raft_entry *e);
/* Drop every entry at index >= from (from > base_index). */
void raft_log_truncate(raft_log *l, uint64_t from);
/* Drop every entry at index <= upto (base_index < upto <= last); the new base is upto. */
void raft_log_compact(raft_log *l, uint64_t upto);
/* Forget everything: the log restarts after a snapshot at (index, term). */
void raft_log_reset(raft_log *l, uint64_t index, uint64_t term);
/* The first index of the run of entries with the same term as index (for back-off). */
uint64_t raft_log_term_start(const raft_log *l, uint64_t index);

#endif
