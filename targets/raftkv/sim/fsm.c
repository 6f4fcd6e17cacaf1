/* The simulator's register machine (see fsm.h). */
#include "fsm.h"

#include <assert.h>
#include <string.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv_u64(uint64_t h, uint64_t x) {
    for (int i = 0; i < 8; i++) {
        h ^= (x >> (8 * i)) & 0xff;
        h *= FNV_PRIME;
    }
    return h;
}

uint64_t sim_chain_hash(uint64_t prev, const raft_entry *e) {
    uint64_t h = fnv_u64(fnv_u64(fnv_u64(FNV_OFFSET, prev), e->index), e->term);
    h = fnv_u64(h, (uint64_t)e->type);
    for (uint32_t i = 0; i < e->len; i++) {
        h ^= e->data[i];
        h *= FNV_PRIME;
    }
    return h | 1; /* never 0: 0 means "no prefix" */
}

void fsm_init(sim_fsm *f) { memset(f, 0, sizeof *f); }

static uint64_t get_u64(const uint8_t *p) {
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x |= (uint64_t)p[i] << (8 * i);
    return x;
}

static void put_u64(uint8_t *p, uint64_t x) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(x >> (8 * i));
}

void fsm_command(uint8_t out[FSM_CMD_BYTES], uint64_t op, unsigned key, int64_t value) {
    assert(key < FSM_KEYS);
    put_u64(out, op);
    out[8] = (uint8_t)key;
    put_u64(out + 9, (uint64_t)value);
}

uint64_t fsm_command_op(const raft_entry *e) {
    return e->type == RAFT_ENTRY_COMMAND && e->len == FSM_CMD_BYTES ? get_u64(e->data) : 0;
}

void fsm_apply(sim_fsm *f, const raft_entry *e) {
    assert(e->index == f->applied + 1);
    f->digest = sim_chain_hash(f->digest, e);
    f->applied = e->index;
    f->applied_term = e->term;
    if (e->type == RAFT_ENTRY_COMMAND && e->len == FSM_CMD_BYTES && e->data[8] < FSM_KEYS)
        f->values[e->data[8]] = (int64_t)get_u64(e->data + 9);
}

void fsm_snapshot(const sim_fsm *f, uint8_t out[FSM_SNAPSHOT_BYTES]) {
    put_u64(out, f->applied);
    put_u64(out + 8, f->applied_term);
    put_u64(out + 16, f->digest);
    for (int k = 0; k < FSM_KEYS; k++) put_u64(out + 24 + 8 * k, (uint64_t)f->values[k]);
}

int fsm_restore(sim_fsm *f, const uint8_t *data, size_t len) {
    if (len != FSM_SNAPSHOT_BYTES) return -1;
    f->applied = get_u64(data);
    f->applied_term = get_u64(data + 8);
    f->digest = get_u64(data + 16);
    for (int k = 0; k < FSM_KEYS; k++) f->values[k] = (int64_t)get_u64(data + 24 + 8 * k);
    return 0;
}
