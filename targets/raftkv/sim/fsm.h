/* The simulator's state machine: a few integer registers written by client commands, plus
 * the applied index and a digest of every entry applied so far (a chain of hashes that is
 * also how the oracle names log prefixes). Its snapshot is a fixed-size byte image. */
#ifndef SIM_FSM_H
#define SIM_FSM_H

#include <stddef.h>
#include <stdint.h>

#include "raft_msg.h"

#define FSM_KEYS 4
#define FSM_CMD_BYTES 17      /* op id (8), key (1), value (8) */
#define FSM_SNAPSHOT_BYTES (8 * 3 + 8 * FSM_KEYS)

typedef struct sim_fsm {
    uint64_t applied;      /* last index applied (or restored) */
    uint64_t applied_term; /* its term */
    uint64_t digest;       /* sim_chain_hash over entries 1..applied */
    int64_t values[FSM_KEYS];
} sim_fsm;

/* The hash of the log prefix ending with e, given the prefix before it (0 for none). */
uint64_t sim_chain_hash(uint64_t prev, const raft_entry *e);

void fsm_init(sim_fsm *f);
/* Apply the next entry (e->index == applied + 1). */
void fsm_apply(sim_fsm *f, const raft_entry *e);
void fsm_snapshot(const sim_fsm *f, uint8_t out[FSM_SNAPSHOT_BYTES]);
/* 0, or -1 when the bytes are not one of our snapshots. */
int fsm_restore(sim_fsm *f, const uint8_t *data, size_t len);
/* A command's bytes, and its op id back. */
void fsm_command(uint8_t out[FSM_CMD_BYTES], uint64_t op, unsigned key, int64_t value);
uint64_t fsm_command_op(const raft_entry *e); /* 0 for a no-op */

#endif
