/* The Raft host (fl-raftkv's, and fl-lockd's): one event loop, the connections on it
 * (clients, peers in and out), the Raft core (a pure state machine, ../core/raft.h), its
 * storage, the client operations waiting on the core, and the replicated state machine
 * it applies committed entries to, given as an rkv_app (the key-value map of fsm.h for
 * fl-raftkv, kv_app.c; the lock table for fl-lockd, targets/lockd).
 *
 * Who talks to whom: a client line becomes a proposal (rkv_propose, raft_propose) or a
 * read (rkv_read_start, raft_read_index) on the leader, as the app decides (its request
 * hook); a peer line becomes raft_receive; a timer feeds raft_tick (node.c). Before each
 * sleep the loop carries out every ready batch the core produced, in the contract's
 * order (node.c): hard state and entries written, one fdatasync for all of them (group
 * commit), then the batch's messages queued on the outgoing peer connections (peers.c),
 * then committed entries applied by the app (each one settles the proposal waiting on its
 * index with the app's result) and reads answered, then raft_persisted. Then every
 * connection with output is flushed (server.c). Nothing is written from inside a line's
 * handling, and connections are closed only by the loop, never behind a handler's back. */
#ifndef RKV_SERVER_H
#define RKV_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "loop.h"
#include "options.h"
#include "proto.h"
#include "raft.h"
#include "srv.h"
#include "storage.h"

/* Any line: a snapshot message (16 MiB as base64 is 22.4 MB) or an append of
 * RKV_APPEND_ENTRIES_MAX commands of 64 KiB fits. */
#define RKV_LINE_BYTES_MAX ((size_t)32 << 20)
#define RKV_OUT_BYTES_MAX ((size_t)128 << 20) /* unsent bytes per connection */
/* A peer's queue past this drops new Raft messages (the core resends) rather than
 * growing towards RKV_OUT_BYTES_MAX, which would close the connection. */
#define RKV_PEER_QUEUE_BYTES_MAX ((size_t)24 << 20)
#define RKV_APPEND_ENTRIES_MAX 64   /* entries per append message */
#define RKV_WRITES_MAX 16384        /* proposals waiting for their index to apply */
#define RKV_READ_SLOTS 8192         /* reads waiting for the core (a power of two) */
#define RKV_PUMP_ROUNDS_MAX 64      /* ready batches carried out per loop turn, at most */
#define RKV_FDS_MAX 65536
/* Unacknowledged data older than this breaks a connection (a partition, a vanished host). */
#define RKV_USER_TIMEOUT_MS 5000

_Static_assert((RKV_READ_SLOTS & (RKV_READ_SLOTS - 1)) == 0, "a read's slot is id % SLOTS");
_Static_assert(RKV_READ_SLOTS >= 2 * RAFT_READS_MAX, "the core's reads fit with room to spare");
_Static_assert(RKV_WRITES_MAX >= 2 * RAFT_UNCOMMITTED_MAX, "a leader's proposals fit, twice");
_Static_assert(RKV_APPEND_ENTRIES_MAX * (RAFT_ENTRY_BYTES_MAX + 512) * 4 / 3 < RKV_LINE_BYTES_MAX,
               "a full append message fits in a line");
_Static_assert(RAFT_SNAPSHOT_BYTES_MAX / 3 * 4 + 4096 < RKV_LINE_BYTES_MAX,
               "a snapshot message fits in a line");
_Static_assert(RKV_PEERS_MAX <= FL_SRV_PEERS_MAX, "the peers fit in fl_srv");
_Static_assert(RKV_PEER_QUEUE_BYTES_MAX + RKV_LINE_BYTES_MAX <= RKV_OUT_BYTES_MAX,
               "a peer queue under its soft cap takes any one line");

typedef struct rkv_server rkv_server;

/* Where a reply goes (fl_srv_ref: fd + generation). A connection is the common one. */
typedef fl_srv_ref rkv_conn_ref;
typedef fl_srv_conn rkv_conn;

/* A proposal waiting for the entry at its index to apply: ours iff that entry has term. */
typedef struct rkv_write {
    uint64_t index, term;
    rkv_conn_ref client;
    json_t *id;         /* reference, or NULL when the request had no id */
} rkv_write;

/* A read waiting for the core to report it (ready or failed). rid 0: a free slot. */
typedef struct rkv_read {
    uint64_t rid;
    rkv_conn_ref client;
    json_t *id;
    char *ckey;         /* owned */
} rkv_read;

/* What applying one committed entry gave: a definite failure (error, with detail), or
 * success with the ok reply's value (NULL: none). value is a new reference or NULL. */
typedef struct rkv_applied {
    const char *error;          /* NULL: it took effect (the reply is ok) */
    const char *detail;         /* with error, or NULL */
    json_t *value;
} rkv_applied;

/* The replicated state machine and its client ops. Every hook but request runs on every
 * node alike, from the log alone, so that all nodes hold the same state. */
typedef struct rkv_app {
    const char *name;                   /* "fl-raftkv": the logs' name */
    const char *usage;                  /* its --help text (the host's flags and its own) */
    const rkv_f_table *ops;             /* the client ops it serves (ping, status: the host) */
    const char *const *bugs;            /* its own --bug names (bit i of opt->app_bugs) */
    void *(*create)(const rkv_options *o);
    void (*destroy)(void *sm);
    /* A client request of one of its ops (fields as its table asked): propose, read, or
     * answer at once (on the leader or not: the app decides; rkv_* below do the work). */
    void (*request)(rkv_server *s, rkv_conn *c, const rkv_line *l);
    /* Apply the next committed entry (len 0: the leader's no-op). */
    void (*apply)(void *sm, const raft_entry *e, rkv_applied *out);
    /* A read the core confirmed: the value under ckey now (borrowed; NULL: none). */
    const json_t *(*get)(void *sm, const char *ckey);
    /* Snapshots: the state as bytes (malloc'd; NULL: cannot encode), and back. */
    char *(*snapshot)(const void *sm, size_t *len);
    int (*restore)(void *sm, const void *data, size_t len, uint64_t index, uint64_t term,
                   char *err, size_t err_bytes);
    size_t (*count)(const void *sm);    /* keys, locks: for the logs */
    /* Optional: this node's role or term changed (as last logged). */
    void (*role_changed)(void *sm, rkv_server *s, raft_role role, uint64_t term);
} rkv_app;

struct rkv_server {
    const rkv_options *opt;
    fl_srv srv;                 /* the loop, the connections, the peers (peer[i].dropped:
                                   Raft messages dropped: no connection, or queue full) */
    fl_timer tick;              /* every opt->tick_ms: raft_tick */

    raft_node *raft;
    rkv_storage storage;
    bool storage_open;
    const rkv_app *app;
    void *sm;                   /* the app's state machine */
    uint64_t applied;           /* the last index applied or restored (== the core's applied
                                   between turns); 0: none */
    uint64_t applied_term;      /* its term */
    uint64_t snapshot_index;    /* the newest snapshot's (taken or installed) */
    raft_role role;             /* as last logged */
    int leader;
    uint64_t term;
    uint64_t compact_at;        /* serialize the state machine once fsm.applied reaches this */
    char *held_snap;            /* serialized at held_index, not yet compacted (node.c); owned */
    size_t held_len;
    uint64_t held_index, held_term;
    /* volatile-vote: a term/vote change whose batch needs no sync is written this late */
    bool hs_lazy;
    raft_hard_state hs_pending;
    int64_t hs_due_ms;

    rkv_write *writes;          /* RKV_WRITES_MAX; [writes_head, n_writes) sorted by index */
    size_t writes_head, n_writes;
    rkv_read *reads;            /* RKV_READ_SLOTS, by rid % RKV_READ_SLOTS */
    uint64_t read_seq;          /* last rid given out */
};

/* host_main.c: a whole daemon (flags, start, serve until SIGTERM, exit codes 0/64/1). */
int rkv_host_main(int argc, char **argv, const rkv_app *app);

/* server.c */
int rkv_server_open(rkv_server *s, const rkv_app *app, const rkv_options *o, char *err,
                    size_t err_bytes);
/* Serves until SIGTERM/SIGINT: 0, or 1 when the loop failed. */
int rkv_server_run(rkv_server *s);
void rkv_server_close(rkv_server *s);

/* peers.c */
/* Queues a Raft message for its destination, or drops it (no connection, queue full). */
void rkv_peer_send(rkv_server *s, const raft_msg *m);
/* The leader's name, or NULL: for not-leader replies and status. */
const char *rkv_leader_name(const rkv_server *s);

/* client.c */
void rkv_client_init(rkv_server *s);
void rkv_client_free(rkv_server *s);
void rkv_client_request(rkv_server *s, rkv_conn *c, const rkv_line *l);
/* Propose cmd (len bytes, copied) for the client: answered when the entry at its index
 * applies (the app's result), fails at once when this node does not lead. */
void rkv_propose(rkv_server *s, rkv_conn *c, const json_t *id, const char *cmd, size_t len);
/* The proposal alone, for an app that settles the client's reply itself (fl-raftkv's
 * split-txn bug): RAFT_OK with the ticket, or the core's refusal (RAFT_EINVAL for a
 * command NULL or over RAFT_ENTRY_BYTES_MAX), nothing replied. */
int rkv_propose_raw(rkv_server *s, const char *cmd, size_t len, raft_ticket *t);
/* The definite failure rkv_propose replies for a refusal rc of rkv_propose_raw (len: the
 * command's size, for the message); nothing for RAFT_OK. */
void rkv_reply_propose_error(rkv_server *s, rkv_conn_ref to, const json_t *id, int rc, size_t len);
/* fail not-leader, with the leader this node follows as a hint when it knows one. */
void rkv_reply_not_leader(rkv_server *s, rkv_conn_ref to, const json_t *id);
/* A linearizable read of ckey (ReadIndex): answered with app->get once confirmed. */
void rkv_read_start(rkv_server *s, rkv_conn *c, const json_t *id, const char *ckey);
void rkv_reply_ok(rkv_server *s, rkv_conn_ref to, const json_t *id, const json_t *value);
void rkv_reply_error(rkv_server *s, rkv_conn_ref to, const json_t *id, const char *type,
                     const char *error, const char *detail);
/* The entry at e's index applied with result r: settles the proposals waiting on it (and
 * any at lower indices, which a snapshot skipped). */
void rkv_writes_applied(rkv_server *s, const raft_entry *e, const rkv_applied *r);
/* A snapshot was installed up to index: the proposals at or below it end as info. */
void rkv_writes_skipped(rkv_server *s, uint64_t index);
void rkv_read_done(rkv_server *s, uint64_t rid, bool ok);

/* node.c */
/* CLOCK_REALTIME in ms: what leases are judged by (under the clock shim, its offset
 * counts), for the core's ticks and an app's stamps. */
int64_t rkv_wall_ms(void);
int rkv_node_open(rkv_server *s, char *err, size_t err_bytes);
void rkv_node_close(rkv_server *s);
void rkv_node_start_ticks(rkv_server *s);
/* Carries out the core's ready batches (the contract, raft.h): true if more remain. */
bool rkv_node_pump(rkv_server *s);
/* A definite failure to write durably: log and exit(1) (like a crash; nothing of the batch
 * was acknowledged). */
_Noreturn void rkv_die_undurable(const char *err);

#endif
