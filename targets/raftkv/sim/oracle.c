/* The simulator's safety oracle (see oracle.h). */
#include "oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft_msg.h"

void oracle_init(sim_oracle *o) { memset(o, 0, sizeof *o); }

void oracle_free(sim_oracle *o) {
    free(o->leader_of_term);
    free(o->committed);
    free(o->applied_digest);
    free(o->slots);
    memset(o, 0, sizeof *o);
}

bool oracle_fail(sim_oracle *o, uint64_t step, const char *check, const char *fmt, ...) {
    if (o->violated) return false;
    o->violated = true;
    o->step = step;
    snprintf(o->check, sizeof o->check, "%s", check);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->detail, sizeof o->detail, fmt, ap);
    va_end(ap);
    return false;
}

/* Grow a per-index array of elem-byte cells, zero-filled, until it holds index i. */
static void grow(void **a, size_t *n, size_t elem, uint64_t i) {
    if (i < *n) return;
    size_t cap = *n ? *n : 256;
    while (cap <= i) cap *= 2;
    *a = raft_xrealloc(*a, cap * elem);
    memset((char *)*a + *n * elem, 0, (cap - *n) * elem);
    *n = cap;
}

bool oracle_leader(sim_oracle *o, uint64_t step, uint64_t term, int node) {
    if (term >= o->n_terms) {
        size_t cap = o->n_terms ? o->n_terms : 64;
        while (cap <= term) cap *= 2;
        o->leader_of_term = raft_xrealloc(o->leader_of_term, cap * sizeof *o->leader_of_term);
        for (size_t t = o->n_terms; t < cap; t++) o->leader_of_term[t] = -1;
        o->n_terms = cap;
    }
    int *who = &o->leader_of_term[term];
    if (*who >= 0 && *who != node)
        return oracle_fail(o, step, "election safety", "n%d and n%d are both leaders of term %llu",
                           *who + 1, node + 1, (unsigned long long)term);
    *who = node;
    return true;
}

static uint64_t slot_hash(uint64_t index, uint64_t term) {
    uint64_t h =
        index * 0x9e3779b97f4a7c15ULL ^ (term + 0x632be59bd9b4e019ULL) * 0xbf58476d1ce4e5b9ULL;
    return h ^ (h >> 31);
}

static oracle_slot *slot_find(sim_oracle *o, uint64_t index, uint64_t term) {
    if (o->n_slots * 2 >= o->cap_slots) { /* rehash at half full */
        size_t cap = o->cap_slots ? o->cap_slots * 2 : 1024;
        oracle_slot *old = o->slots;
        size_t old_cap = o->cap_slots;
        o->slots = calloc(cap, sizeof *o->slots);
        if (!o->slots) abort();
        o->cap_slots = cap;
        for (size_t i = 0; i < old_cap; i++) {
            if (!old[i].hash) continue;
            size_t j = slot_hash(old[i].index, old[i].term) & (cap - 1);
            while (o->slots[j].hash) j = (j + 1) & (cap - 1);
            o->slots[j] = old[i];
        }
        free(old);
    }
    size_t j = slot_hash(index, term) & (o->cap_slots - 1);
    while (o->slots[j].hash && (o->slots[j].index != index || o->slots[j].term != term))
        j = (j + 1) & (o->cap_slots - 1);
    return &o->slots[j];
}

bool oracle_log_entry(sim_oracle *o, uint64_t step, int node, uint64_t index, uint64_t term,
                      uint64_t hash) {
    oracle_slot *s = slot_find(o, index, term);
    if (!s->hash) {
        *s = (oracle_slot){index, term, hash};
        o->n_slots++;
        return true;
    }
    if (s->hash == hash) return true;
    return oracle_fail(o, step, "log matching",
                       "n%d holds index %llu term %llu with a prefix unlike another node's",
                       node + 1, (unsigned long long)index, (unsigned long long)term);
}

bool oracle_commit(sim_oracle *o, uint64_t step, int node, uint64_t node_term, uint64_t index,
                   uint64_t term, uint64_t hash) {
    grow((void **)&o->committed, &o->n_committed, sizeof *o->committed, index);
    oracle_committed *c = &o->committed[index];
    if (!c->hash) {
        *c = (oracle_committed){term, node_term, hash};
        if (index > o->commit_top) o->commit_top = index;
        return true;
    }
    if (c->hash == hash) return true;
    return oracle_fail(
        o, step, "commit agreement",
        "n%d committed index %llu (term %llu) but term %llu's entry was committed there before",
        node + 1, (unsigned long long)index, (unsigned long long)term, (unsigned long long)c->term);
}

uint64_t oracle_committed_upto(const sim_oracle *o, uint64_t term, uint64_t *hash) {
    for (uint64_t i = o->commit_top; i > 0; i--) {
        const oracle_committed *c = &o->committed[i];
        if (c->hash && c->commit_term <= term) {
            *hash = c->hash;
            return i;
        }
    }
    *hash = 0;
    return 0;
}

bool oracle_applied(sim_oracle *o, uint64_t step, int node, uint64_t index, uint64_t digest) {
    grow((void **)&o->applied_digest, &o->n_applied, sizeof *o->applied_digest, index);
    uint64_t *d = &o->applied_digest[index];
    if (!*d) {
        *d = digest;
        return true;
    }
    if (*d == digest) return true;
    return oracle_fail(o, step, "state-machine safety",
                       "n%d's state after applying index %llu differs from another node's",
                       node + 1, (unsigned long long)index);
}

void oracle_acked(sim_oracle *o, uint64_t index) {
    if (index > o->lin_floor) o->lin_floor = index;
}

bool oracle_read(sim_oracle *o, uint64_t step, int node, uint64_t read_id, uint64_t floor,
                 uint64_t index) {
    if (index < floor)
        return oracle_fail(
            o, step, "linearizable read",
            "n%d answered read %llu with the state at index %llu, but index %llu was "
            "acknowledged before the read was issued",
            node + 1, (unsigned long long)read_id, (unsigned long long)index,
            (unsigned long long)floor);
    return true;
}
