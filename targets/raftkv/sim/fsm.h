/* The simulator's state machine: the applied index and a digest of every entry applied so
 * far (a chain of hashes that is also how the oracle names log prefixes), and the app's
 * state: a few integer registers written by client commands (the key-value app, the
 * default), or lockd's lock table (targets/lockd/core, `--app lockd`). A command entry's
 * first 8 bytes are its op id (the client's); a lock command's JSON follows them.
 * Snapshot: applied, applied_term and digest (8 bytes each), then the registers (a
 * fixed-size image) or the lock table's snapshot text. */
#ifndef SIM_FSM_H
#define SIM_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lock_table.h"
#include "raft_msg.h"

#define FSM_KEYS 4
#define FSM_CMD_BYTES 17      /* op id (8), key (1), value (8) */
#define FSM_HEADER_BYTES (8 * 3)
#define FSM_SNAPSHOT_BYTES (FSM_HEADER_BYTES + 8 * FSM_KEYS) /* the key-value app's */
#define FSM_LOCKS 3           /* the lock app's locks: "L0", "L1", "L2" */

/* What the lock app's last applied entry did (kind and lock valid when command). */
typedef struct fsm_lock_result {
    bool command;       /* a lock command that decoded */
    lk_cmd_kind kind;
    int lock;           /* 0..FSM_LOCKS-1, or -1 for another name */
    const char *error;  /* NULL: it took effect; else lk_result's error */
    uint64_t token;     /* the lease's (granted, renewed, held by another...), 0 when none */
    int64_t expires_ms;
    bool new_grant;     /* an acquire that granted a new token (not a retry's kept one) */
} fsm_lock_result;

typedef struct sim_fsm {
    uint64_t applied;      /* last index applied (or restored) */
    uint64_t applied_term; /* its term */
    uint64_t digest;       /* sim_chain_hash over entries 1..applied */
    int64_t values[FSM_KEYS]; /* the key-value app */
    bool locks;               /* the lock app: table instead of values */
    lk_table table;           /* the lock app's state (owned) */
    fsm_lock_result last;     /* the lock app: what the last applied entry did */
} sim_fsm;

/* The hash of the log prefix ending with e, given the prefix before it (0 for none). */
uint64_t sim_chain_hash(uint64_t prev, const raft_entry *e);

/* FNV-1a of len bytes, continuing from h. */
uint64_t sim_hash_bytes(uint64_t h, const void *data, size_t len);

void fsm_init(sim_fsm *f, bool locks);
void fsm_free(sim_fsm *f);
/* Apply the next entry (e->index == applied + 1). */
void fsm_apply(sim_fsm *f, const raft_entry *e);
/* The state after applied, for state-machine safety: the digest, and with the lock app
 * the lock table's snapshot hashed into it (so the tables themselves are compared). */
uint64_t fsm_state_hash(const sim_fsm *f);
/* The snapshot's bytes (malloc'd, *len of them). */
uint8_t *fsm_snapshot(const sim_fsm *f, size_t *len);
/* 0, or -1 (f unchanged) when the bytes are not one of our snapshots. */
int fsm_restore(sim_fsm *f, const uint8_t *data, size_t len);
/* A snapshot's digest (its prefix hash): 0, or -1 when it is too short to hold one. */
int fsm_snapshot_digest(const uint8_t *data, size_t len, uint64_t *digest);
/* A command's bytes, and its op id back. */
void fsm_command(uint8_t out[FSM_CMD_BYTES], uint64_t op, unsigned key, int64_t value);
/* A lock command's entry bytes (malloc'd, *len of them): op, then lk_cmd_encode's JSON. */
uint8_t *fsm_lock_command(uint64_t op, const lk_cmd *c, size_t *len);
uint64_t fsm_command_op(const raft_entry *e); /* 0 for a no-op */

#endif
