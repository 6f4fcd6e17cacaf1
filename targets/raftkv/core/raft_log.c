/* The core's in-memory log (see raft_log.h). */
#include "raft_log.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void raft_log_init(raft_log *l, uint64_t base_index, uint64_t base_term) {
    memset(l, 0, sizeof *l);
    l->base_index = base_index;
    l->base_term = base_term;
}

void raft_log_free(raft_log *l) {
    for (size_t i = 0; i < l->n; i++) raft_entry_free(&l->entries[i]);
    free(l->entries);
    memset(l, 0, sizeof *l);
}

uint64_t raft_log_last_term(const raft_log *l) {
    return l->n ? l->entries[l->n - 1].term : l->base_term;
}

uint64_t raft_log_term(const raft_log *l, uint64_t index) {
    if (index == l->base_index) return l->base_term;
    if (index < l->base_index || index > raft_log_last_index(l)) return 0;
    return l->entries[index - l->base_index - 1].term;
}

const raft_entry *raft_log_get(const raft_log *l, uint64_t index) {
    if (index <= l->base_index || index > raft_log_last_index(l)) return NULL;
    return &l->entries[index - l->base_index - 1];
}

void raft_log_append(raft_log *l, const raft_entry *e) {
    assert(e->index == raft_log_last_index(l) + 1);
    assert(e->term >= raft_log_last_term(l));
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->entries = raft_xrealloc(l->entries, l->cap * sizeof *l->entries);
    }
    raft_entry_copy(&l->entries[l->n++], e);
}

void raft_log_truncate(raft_log *l, uint64_t from) {
    assert(from > l->base_index);
    while (raft_log_last_index(l) >= from) raft_entry_free(&l->entries[--l->n]);
}

void raft_log_compact(raft_log *l, uint64_t upto) {
    assert(upto > l->base_index && upto <= raft_log_last_index(l));
    size_t drop = (size_t)(upto - l->base_index);
    l->base_term = l->entries[drop - 1].term;
    l->base_index = upto;
    for (size_t i = 0; i < drop; i++) raft_entry_free(&l->entries[i]);
    memmove(l->entries, l->entries + drop, (l->n - drop) * sizeof *l->entries);
    l->n -= drop;
}

void raft_log_reset(raft_log *l, uint64_t index, uint64_t term) {
    for (size_t i = 0; i < l->n; i++) raft_entry_free(&l->entries[i]);
    l->n = 0;
    l->base_index = index;
    l->base_term = term;
}

uint64_t raft_log_term_start(const raft_log *l, uint64_t index) {
    uint64_t term = raft_log_term(l, index);
    assert(term != 0 || index == l->base_index);
    while (index > l->base_index + 1 && raft_log_term(l, index - 1) == term) index--;
    return index;
}
