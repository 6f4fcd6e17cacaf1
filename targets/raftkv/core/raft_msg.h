/* Raft's log entries and peer messages as plain C structs, with deep copy and free. The
 * wire form (JSON) is raft_codec.h; the protocol rules are the core's (raft.h).
 *
 * Ownership: an entry owns its data (malloc'd, NULL when len is 0); a message owns its
 * entries array and the snapshot data. raft_msg_free releases both; raft_msg_move hands
 * them to another struct and leaves the source empty. */
#ifndef RAFT_MSG_H
#define RAFT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAFT_NODES_MAX 15                  /* static membership: ids 0..nodes-1 */
#define RAFT_NONE (-1)                     /* no vote, no known leader */
#define RAFT_ENTRY_BYTES_MAX 65536u        /* one command */
#define RAFT_APPEND_ENTRIES_MAX 1024u      /* entries in one append message */
#define RAFT_SNAPSHOT_BYTES_MAX (16u << 20) /* one state-machine snapshot */
/* Terms and indices stay below 2^53 so that every JSON reader keeps them exact. */
#define RAFT_INDEX_MAX ((uint64_t)1 << 53)

typedef enum {
    RAFT_ENTRY_NOOP = 0,    /* appended by every new leader (Raft §5.4.2, §8): applies nothing */
    RAFT_ENTRY_COMMAND = 1, /* a client's command: opaque bytes for the host's state machine */
} raft_entry_type;

typedef struct raft_entry {
    uint64_t index; /* >= 1 */
    uint64_t term;  /* >= 1 */
    raft_entry_type type;
    uint32_t len;   /* <= RAFT_ENTRY_BYTES_MAX; 0 for a no-op */
    uint8_t *data;  /* owned; NULL when len is 0 */
} raft_entry;

typedef enum {
    RAFT_MSG_VOTE = 1,    /* RequestVote */
    RAFT_MSG_VOTE_RESP,
    RAFT_MSG_APPEND,      /* AppendEntries; also the heartbeat and the ReadIndex round */
    RAFT_MSG_APPEND_RESP, /* answers an append or a snapshot */
    RAFT_MSG_SNAPSHOT,    /* InstallSnapshot, the whole snapshot in one message */
} raft_msg_type;

/* The index/log_term pair means what etcd's Index/LogTerm mean, per type:
 *   vote         index, log_term = candidate's last log index and term
 *   vote_resp    ok = vote granted
 *   append       index, log_term = prev entry; entries = index+1, index+2, ...;
 *                commit = leader's commit index; read_seq = leadership round
 *   append_resp  ok: index = highest index now known to match the leader;
 *                !ok: index = the rejected prev index, hint = where to retry from;
 *                read_seq echoes the round of the append or snapshot answered
 *   snapshot     index, log_term = last index and term the snapshot covers; data;
 *                read_seq = leadership round
 * Fields a type does not use are zero. */
typedef struct raft_msg {
    raft_msg_type type;
    int from, to;
    uint64_t term;
    uint64_t index;
    uint64_t log_term;
    uint64_t commit;
    uint64_t hint;
    uint64_t read_seq;
    bool ok;
    raft_entry *entries; /* owned */
    uint32_t n_entries;
    uint8_t *data;       /* owned */
    size_t len;
} raft_msg;

const char *raft_msg_type_name(raft_msg_type t);
/* The checks every message must pass whatever the receiver's state, shared by the core
 * (raft_receive) and the wire decoder: ids in 0..nodes-1 and distinct; terms and indices
 * below RAFT_INDEX_MAX; term >= 1; fields its type does not use are zero; an index of 0
 * goes with a log_term of 0 and only then; entries follow index one by one, with terms
 * that never decrease, never fall below log_term and never pass term; a no-op carries no
 * bytes; sizes within their caps. 0, or -1 with err. */
int raft_msg_check(const raft_msg *m, int nodes, char *err, size_t err_bytes);
/* Deep copies: a copy of an entry or message owns its own bytes. Abort when memory runs out. */
void raft_entry_copy(raft_entry *dst, const raft_entry *src);
void raft_entry_free(raft_entry *e);
void raft_msg_copy(raft_msg *dst, const raft_msg *src);
void raft_msg_move(raft_msg *dst, raft_msg *src);
void raft_msg_free(raft_msg *m);
/* Every field, entry and byte the same (a round trip through the codec must give this). */
bool raft_msg_equal(const raft_msg *a, const raft_msg *b);
/* A malloc that aborts instead of failing: the core has no way to go on without memory. */
void *raft_xmalloc(size_t bytes);
void *raft_xrealloc(void *p, size_t bytes);

#endif
