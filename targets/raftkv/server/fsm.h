/* raftkv's state machine: a map from keys to JSON values, changed only by committed log
 * entries, so every node that applies the same entries holds the same map.
 *
 * Keys are strings or integers and "1" and 1 are different keys: a key is identified by
 * its canonical JSON text (a string as its JSON, quotes and escapes included; an integer
 * in decimal). Commands are JSON objects in the entries' bytes:
 *   {"f":"write","key":K,"value":V}        the value becomes V
 *   {"f":"cas","key":K,"value":[OLD,NEW]}  NEW if the value equals OLD (JSON equality as
 *                                          jansson's json_equal: 1 and 1.0 differ; a key
 *                                          never written holds null), else no effect
 *   {"f":"append","key":K,"value":E}       the value (a list, or null: the empty list)
 *                                          becomes the list with E at its end; any other
 *                                          value: no effect
 *   {"f":"txn","value":[MOP,...]}          a transaction: its micro-ops in order, all or
 *                                          nothing (rkv_fsm_txn below)
 * A micro-op is [F, K, V]: ["append",K,E] (append as above), ["w",K,V] (write) or
 * ["r",K,ignored] (read: the value now, null when never written). A key holds one JSON
 * value: a list made by appends or a register set by w (a workload uses each key one
 * way); a read returns whatever it holds, so a list-append read of an empty key is null.
 * The result of a command (took effect, or which definite failure) depends only on the
 * map and the command, so it is the same on every node.
 *
 * The snapshot is the JSON text [[K,V],...] (every key with its value). */
#ifndef RKV_FSM_H
#define RKV_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "wire.h"

#include "raft_msg.h"

#define RKV_KEY_BYTES_MAX FL_KEY_TEXT_MAX /* canonical key text (wire.h), without its NUL */
#define RKV_ERR_BYTES 256

typedef enum { RKV_CMD_WRITE, RKV_CMD_CAS, RKV_CMD_APPEND, RKV_CMD_TXN } rkv_cmd_kind;

/* Micro-ops a transaction may hold, at most (its entry is at most 64 KiB anyway). */
#define RKV_TXN_OPS_MAX 256

typedef enum {
    RKV_APPLIED = 0,   /* the command took effect (a no-op entry: nothing to do) */
    RKV_CAS_MISMATCH,  /* cas: the value was not OLD; nothing changed */
    RKV_NOT_A_LIST,    /* append: the value is neither a list nor null; nothing changed */
    RKV_BAD_COMMAND,   /* bytes that are not a command (only a bug writes them); nothing changed */
} rkv_result;

typedef struct rkv_fsm rkv_fsm;
struct rkv_fsm {
    json_t *kv;            /* object: canonical key text -> value. The map owns the values
                              and shares them with nobody (append changes lists in place). */
    /* NULL, or a state this one is a layer over: a key kv lacks has base's value (read
     * only: a change copies it into kv first). A transaction is evaluated on a layer over
     * the map and merged into it only when every micro-op succeeded; the dirty-read bug
     * (kv_app.c) reads through a layer holding the log's uncommitted entries. */
    const rkv_fsm *base;
    uint64_t applied;      /* last index applied or restored (0: none) */
    uint64_t applied_term; /* its term */
};

/* A key's canonical text: fl_key_text (wire.h). */

void rkv_fsm_init(rkv_fsm *f);
/* f becomes an empty layer over base, as of base's applied index (free with rkv_fsm_free). */
void rkv_fsm_init_layer(rkv_fsm *f, const rkv_fsm *base);
void rkv_fsm_free(rkv_fsm *f);
/* A command's bytes (malloc'd, *len of them), or NULL when jansson cannot encode it. A
 * txn has no key (key is ignored) and its micro-ops as value. */
char *rkv_command_encode(rkv_cmd_kind kind, const json_t *key, const json_t *value, size_t *len);
/* Applies the next entry (e->index == applied + 1): a no-op or a command. */
rkv_result rkv_fsm_apply(rkv_fsm *f, const raft_entry *e);
/* The same; *value (when value is not NULL) gets the ok reply's value, a new reference
 * or NULL: a txn's micro-ops with the reads filled in; NULL for the other commands. */
rkv_result rkv_fsm_apply_value(rkv_fsm *f, const raft_entry *e, json_t **value);
/* NULL when ops is a transaction's micro-ops (a list of 1 to RKV_TXN_OPS_MAX items
 * [F, K, V], F one of append, r, w, K a key); else why not (written into err). */
const char *rkv_txn_check(const json_t *ops, char *err, size_t err_bytes);
/* Whether every micro-op of a (checked) transaction is a read. */
bool rkv_txn_read_only(const json_t *ops);
/* Runs a (checked) transaction on f, atomically: each micro-op in order on a layer over
 * f, so a read sees the transaction's own earlier writes; merged into f only when every
 * one succeeded (else RKV_NOT_A_LIST or RKV_BAD_COMMAND and f unchanged). *value gets the
 * micro-ops with every read's value filled in (a copy of the value then: later micro-ops
 * do not change it), a new reference; NULL on failure. f->applied is not moved. */
rkv_result rkv_fsm_txn(rkv_fsm *f, const json_t *ops, json_t **value);
/* split-txn (a seeded bug, kv_app.c): the command of micro-op i of ops alone, as a
 * transaction of its own (malloc'd, *len bytes), or NULL when jansson cannot encode it. */
char *rkv_txn_part_encode(const json_t *ops, size_t i, size_t *len);
/* The value of ckey, or NULL when it was never written (borrowed; through the layers). */
const json_t *rkv_fsm_get(const rkv_fsm *f, const char *ckey);
static inline size_t rkv_fsm_keys(const rkv_fsm *f) { return json_object_size(f->kv); } /* of f's own layer */
/* The snapshot's bytes (malloc'd, *len of them); NULL when jansson cannot encode them.
 * Snapshots and restores are of a state that is no layer (base NULL). */
char *rkv_fsm_snapshot(const rkv_fsm *f, size_t *len);
/* Replaces the map by a snapshot's, as of (index, term): 0, or -1 with err (f unchanged). */
int rkv_fsm_restore(rkv_fsm *f, const void *data, size_t len, uint64_t index, uint64_t term,
                    char *err, size_t err_bytes);
const char *rkv_result_error(rkv_result r); /* the reply's error code; NULL for APPLIED */

#endif
