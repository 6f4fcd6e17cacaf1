/* The simulator's state machine: registers or a lock table (see fsm.h). */
#include "fsm.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
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

uint64_t sim_hash_bytes(uint64_t h, const void *data, size_t len) {
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

uint64_t sim_chain_hash(uint64_t prev, const raft_entry *e) {
    uint64_t h = fnv_u64(fnv_u64(fnv_u64(FNV_OFFSET, prev), e->index), e->term);
    h = sim_hash_bytes(fnv_u64(h, (uint64_t)e->type), e->data, e->len);
    return h | 1; /* never 0: 0 means "no prefix" */
}

void fsm_init(sim_fsm *f, bool locks) {
    memset(f, 0, sizeof *f);
    f->locks = locks;
    if (locks) lk_table_init(&f->table);
}

void fsm_free(sim_fsm *f) {
    if (f->locks && f->table.locks) lk_table_free(&f->table);
}

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

uint8_t *fsm_lock_command(uint64_t op, const lk_cmd *c, size_t *len) {
    size_t n = 0;
    char *text = lk_cmd_encode(c, &n);
    uint8_t *out = text ? malloc(8 + n) : NULL;
    if (!out) abort();
    put_u64(out, op);
    memcpy(out + 8, text, n);
    free(text);
    *len = 8 + n;
    return out;
}

/* Both apps' commands start with the op id: 17 bytes of registers, or more of a lock's. */
uint64_t fsm_command_op(const raft_entry *e) {
    return e->type == RAFT_ENTRY_COMMAND && e->len >= FSM_CMD_BYTES ? get_u64(e->data) : 0;
}

/* "L0".."L2" -> 0..FSM_LOCKS-1, else -1. */
static int lock_number(const char *name) {
    if (name[0] != 'L' || name[1] < '0' || name[1] >= '0' + FSM_LOCKS || name[2]) return -1;
    return name[1] - '0';
}

static void apply_lock(sim_fsm *f, const raft_entry *e) {
    f->last = (fsm_lock_result){.lock = -1};
    if (e->type != RAFT_ENTRY_COMMAND) return;
    lk_cmd c;
    char err[LK_ERR_BYTES];
    if (e->len < 8 || lk_cmd_decode(e->data + 8, e->len - 8, &c, err, sizeof err) != 0) {
        f->last.error = "bad-command"; /* only a bug writes one: it changes nothing */
        return;
    }
    lk_result r;
    lk_table_apply(&f->table, e->index, &c, &r);
    uint64_t token = (uint64_t)json_integer_value(json_object_get(r.value, "token"));
    f->last = (fsm_lock_result){
        .command = true, .kind = c.kind, .lock = lock_number(c.lock), .error = r.error,
        .token = token, .expires_ms = json_integer_value(json_object_get(r.value, "expires_ms")),
        .new_grant = c.kind == LK_ACQUIRE && !r.error && token == e->index,
    };
    json_decref(r.value);
}

void fsm_apply(sim_fsm *f, const raft_entry *e) {
    assert(e->index == f->applied + 1);
    f->digest = sim_chain_hash(f->digest, e);
    f->applied = e->index;
    f->applied_term = e->term;
    if (f->locks)
        apply_lock(f, e);
    else if (e->type == RAFT_ENTRY_COMMAND && e->len == FSM_CMD_BYTES && e->data[8] < FSM_KEYS)
        f->values[e->data[8]] = (int64_t)get_u64(e->data + 9);
}

uint64_t fsm_state_hash(const sim_fsm *f) {
    if (!f->locks) return f->digest;
    size_t n = 0;
    char *text = lk_table_snapshot(&f->table, &n);
    if (!text) abort();
    uint64_t h = sim_hash_bytes(fnv_u64(FNV_OFFSET, f->digest), text, n);
    free(text);
    return h | 1; /* never 0: 0 means "not yet applied" */
}

uint8_t *fsm_snapshot(const sim_fsm *f, size_t *len) {
    size_t n = 8 * FSM_KEYS;
    char *text = f->locks ? lk_table_snapshot(&f->table, &n) : NULL;
    uint8_t *out = malloc(FSM_HEADER_BYTES + n);
    if (!out || (f->locks && !text)) abort();
    put_u64(out, f->applied);
    put_u64(out + 8, f->applied_term);
    put_u64(out + 16, f->digest);
    if (f->locks)
        memcpy(out + FSM_HEADER_BYTES, text, n);
    else
        for (int k = 0; k < FSM_KEYS; k++)
            put_u64(out + FSM_HEADER_BYTES + 8 * k, (uint64_t)f->values[k]);
    free(text);
    *len = FSM_HEADER_BYTES + n;
    return out;
}

int fsm_snapshot_digest(const uint8_t *data, size_t len, uint64_t *digest) {
    if (len < FSM_HEADER_BYTES) return -1;
    *digest = get_u64(data + 16);
    return 0;
}

int fsm_restore(sim_fsm *f, const uint8_t *data, size_t len) {
    char err[LK_ERR_BYTES];
    if (f->locks ? len < FSM_HEADER_BYTES ||
                       lk_table_restore(&f->table, data + FSM_HEADER_BYTES,
                                        len - FSM_HEADER_BYTES, err, sizeof err) != 0
                 : len != FSM_SNAPSHOT_BYTES)
        return -1;
    f->applied = get_u64(data);
    f->applied_term = get_u64(data + 8);
    f->digest = get_u64(data + 16);
    f->last = (fsm_lock_result){.lock = -1};
    for (int k = 0; k < FSM_KEYS && !f->locks; k++)
        f->values[k] = (int64_t)get_u64(data + FSM_HEADER_BYTES + 8 * k);
    return 0;
}
