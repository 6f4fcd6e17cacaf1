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
 * The result of a command (took effect, or which definite failure) depends only on the
 * map and the command, so it is the same on every node.
 *
 * The snapshot is the JSON text [[K,V],...] (every key with its value). */
#ifndef RKV_FSM_H
#define RKV_FSM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "wire.h"

#include "raft_msg.h"

#define RKV_KEY_BYTES_MAX FL_KEY_TEXT_MAX /* canonical key text (wire.h), without its NUL */
#define RKV_ERR_BYTES 256

typedef enum { RKV_CMD_WRITE, RKV_CMD_CAS, RKV_CMD_APPEND } rkv_cmd_kind;

typedef enum {
    RKV_APPLIED = 0,   /* the command took effect (a no-op entry: nothing to do) */
    RKV_CAS_MISMATCH,  /* cas: the value was not OLD; nothing changed */
    RKV_NOT_A_LIST,    /* append: the value is neither a list nor null; nothing changed */
    RKV_BAD_COMMAND,   /* bytes that are not a command (only a bug writes them); nothing changed */
} rkv_result;

typedef struct rkv_fsm {
    json_t *kv;            /* object: canonical key text -> value. The map owns the values
                              and shares them with nobody (append changes lists in place). */
    uint64_t applied;      /* last index applied or restored (0: none) */
    uint64_t applied_term; /* its term */
} rkv_fsm;

/* A key's canonical text: fl_key_text (wire.h). */

void rkv_fsm_init(rkv_fsm *f);
void rkv_fsm_free(rkv_fsm *f);
/* A command's bytes (malloc'd, *len of them), or NULL when jansson cannot encode it. */
char *rkv_command_encode(rkv_cmd_kind kind, const json_t *key, const json_t *value, size_t *len);
/* Applies the next entry (e->index == applied + 1): a no-op or a command. */
rkv_result rkv_fsm_apply(rkv_fsm *f, const raft_entry *e);
/* The value of ckey, or NULL when it was never written (borrowed). */
const json_t *rkv_fsm_get(const rkv_fsm *f, const char *ckey);
static inline size_t rkv_fsm_keys(const rkv_fsm *f) { return json_object_size(f->kv); }
/* The snapshot's bytes (malloc'd, *len of them); NULL when jansson cannot encode them. */
char *rkv_fsm_snapshot(const rkv_fsm *f, size_t *len);
/* Replaces the map by a snapshot's, as of (index, term): 0, or -1 with err (f unchanged). */
int rkv_fsm_restore(rkv_fsm *f, const void *data, size_t len, uint64_t index, uint64_t term,
                    char *err, size_t err_bytes);
const char *rkv_result_error(rkv_result r); /* the reply's error code; NULL for APPLIED */

#endif
