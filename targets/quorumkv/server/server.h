/* fl-quorumkv's state: one event loop, the connections on it (clients, peers in and out),
 * the replica (store + put log) and the coordinator's operations in flight.
 *
 * Who talks to whom: a client line reaches the coordinator of the node it connected to
 * (coordinator.c), which sends each phase's request to the replicas over this node's
 * outgoing peer connections (peers.c) and to its own replica by a local call. A replica
 * (replica.c) answers on the connection the request came on, or by a local call, but only
 * after the group commit of the loop iteration that handled it: nothing that depends on a
 * put leaves the node before the put is durable. server.c owns the connections and runs,
 * before each sleep: flush, commit, release the held replies, flush again. */
#ifndef QKV_SERVER_H
#define QKV_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conn.h"
#include "loop.h"
#include "message.h"
#include "options.h"
#include "store.h"
#include "wal.h"

#define QKV_LINE_BYTES_MAX ((size_t)1 << 20)  /* any line: request, reply, peer message */
/* What a put line adds to its key and value: rid, version, field names (generous). */
#define QKV_PUT_FRAME_BYTES 256
#define QKV_OUT_BYTES_MAX ((size_t)64 << 20)  /* unsent bytes per connection */
#define QKV_OPS_MAX 4096                      /* operations in flight per coordinator */
#define QKV_SELF_REPLIES_MAX (8 * QKV_OPS_MAX) /* local replies waiting for one commit */
#define QKV_FDS_MAX 65536
/* Unacknowledged data older than this breaks a connection (a partition, a vanished host):
 * what was queued is dropped, not delivered minutes later. */
#define QKV_USER_TIMEOUT_MS 5000

_Static_assert((QKV_OPS_MAX & (QKV_OPS_MAX - 1)) == 0, "a request id is seq * OPS_MAX + slot");
_Static_assert(QKV_PEERS_MAX <= 64, "node sets are 64-bit masks");
_Static_assert(QKV_LINE_BYTES_MAX < QKV_OUT_BYTES_MAX, "any one line fits in a send queue");
_Static_assert(QKV_KEY_BYTES_MAX + QKV_PUT_FRAME_BYTES < QKV_LINE_BYTES_MAX,
               "a key and a put's framing leave room for a value");

typedef struct qkv_server qkv_server;
typedef struct qkv_conn qkv_conn;

/* Where a reply goes: a connection (fd + generation, so a closed connection whose fd was
 * reused is never mistaken for the new one), or this node itself (fd < 0). */
typedef struct qkv_conn_ref {
    int fd;
    uint64_t gen;
} qkv_conn_ref;
#define QKV_TO_SELF ((qkv_conn_ref){-1, 0})

struct qkv_conn {
    fl_conn io;
    qkv_server *server;
    uint64_t gen;       /* unique per connection in this process */
    int peer_out;       /* this node's outgoing connection to that peer index; -1: accepted */
    int peer_in;        /* accepted, and the other end said hello as that peer; else -1 */
    bool connecting;    /* outgoing, connect() not finished: output waits */
    bool want_out;      /* EPOLLOUT is registered */
    bool doomed;        /* to be closed by the loop, not by whoever found out */
    char doom_why[160];
    fl_buf held;        /* replica replies waiting for this iteration's commit */
    size_t peer_errors; /* malformed peer lines seen (the first few are logged) */
    /* the "touched" list (output to flush) and the "held" list; each at most once */
    qkv_conn *touched_prev, *touched_next, *held_prev, *held_next;
    bool on_touched, on_held;
};

typedef enum { QKV_PEER_DOWN, QKV_PEER_CONNECTING, QKV_PEER_UP } qkv_peer_state;

typedef struct qkv_peer {
    qkv_server *server;
    qkv_conn *conn;     /* outgoing connection, NULL when DOWN */
    qkv_peer_state state;
    int backoff_ms;     /* wait before the next connect attempt */
    bool down_logged;   /* said it is unreachable since it was last up */
    fl_timer timer;     /* DOWN: reconnect; CONNECTING: give up on this connect */
} qkv_peer;

typedef enum { QKV_OP_FREE, QKV_OP_READ, QKV_OP_WRITE } qkv_op_kind;

/* One client operation in flight on this coordinator. */
typedef struct qkv_op {
    qkv_server *server;
    qkv_op_kind kind;
    int phase;          /* 1: ask versions (get); 2: put */
    int64_t rid;        /* this phase's request id: seq * QKV_OPS_MAX + slot; older phases'
                           replies carry other ids and are ignored */
    json_t *client_id;  /* reference, or NULL when the request had no id */
    qkv_conn_ref client;
    char *ckey;         /* owned */
    json_t *value;      /* write: the value; read: the value of ver (NULL: never written) */
    qkv_version ver;    /* phase 1: highest seen; phase 2: the version being put */
    uint64_t sent;      /* replicas this phase's request reached (minus those lost since) */
    uint64_t replied;   /* replicas that answered this phase; subset of sent */
    unsigned need;      /* answers that make a quorum for this phase */
    unsigned at_best;   /* read phase 1: answers carrying exactly ver */
    int64_t started_ms;
    fl_timer timer;     /* this phase's deadline */
} qkv_op;

/* A reply of this node's replica to this node's coordinator, held until the commit. */
typedef struct qkv_self_reply {
    int64_t rid;
    qkv_kind kind;      /* QKV_GOT or QKV_ACK */
    qkv_version ver;
    json_t *value;      /* reference (got), or NULL */
} qkv_self_reply;

struct qkv_server {
    const qkv_options *opt;
    fl_loop *loop;
    int listen_fd;
    fl_timer accept_pause;      /* out of descriptors: listen again later */
    qkv_conn **conns;           /* by fd */
    size_t conns_max;
    uint64_t gen_next;
    qkv_conn *touched, *held;   /* list heads */
    qkv_peer peers[QKV_PEERS_MAX];
    qkv_store store;
    qkv_wal wal;
    bool wal_open;
    qkv_self_reply *self, *self_spare; /* QKV_SELF_REPLIES_MAX each */
    size_t self_count;
    bool self_full_logged, store_full_logged;
    qkv_op *ops;                /* QKV_OPS_MAX */
    uint32_t *ops_free;         /* stack of free slots */
    size_t ops_free_count;
    int64_t op_seq;
    fl_buf scratch;             /* one phase's request line */
    uint64_t rng;
    bool stopping;
};

/* server.c */
int qkv_server_open(qkv_server *s, const qkv_options *o, char *err, size_t err_bytes);
/* Serves until SIGTERM/SIGINT: 0, or 1 when the loop failed. */
int qkv_server_run(qkv_server *s);
void qkv_server_close(qkv_server *s);
qkv_conn *qkv_conn_open(qkv_server *s, int fd, int peer_out, bool connecting);
void qkv_conn_close(qkv_server *s, qkv_conn *c, const char *why);
void qkv_conn_doom(qkv_server *s, qkv_conn *c, const char *why);
/* c has new output: flush it before the loop sleeps. */
void qkv_conn_touch(qkv_server *s, qkv_conn *c);
/* Queues bytes on c (dooming it when its queue is full): 0 or -1. */
int qkv_conn_send(qkv_server *s, qkv_conn *c, const void *bytes, size_t n);
qkv_conn *qkv_conn_lookup(const qkv_server *s, qkv_conn_ref ref);
qkv_conn_ref qkv_conn_ref_of(const qkv_conn *c);
void qkv_reply_ok(qkv_server *s, qkv_conn_ref to, const json_t *id, const json_t *value);
void qkv_reply_error(qkv_server *s, qkv_conn_ref to, const json_t *id, const char *type,
                     const char *error, const char *detail);

/* peers.c */
void qkv_peers_start(qkv_server *s);
void qkv_peers_stop(qkv_server *s);
/* Queues a request to a peer: 0, or -1 when there is no connection to it. */
int qkv_peer_send(qkv_server *s, size_t peer, const void *bytes, size_t n);
/* The outgoing connection c became writable while connecting. */
void qkv_peer_connect_done(qkv_server *s, qkv_conn *c);
/* The outgoing connection to peer closed (called by qkv_conn_close). */
void qkv_peer_lost(qkv_server *s, size_t peer, const char *why);
/* An accepted connection said hello. */
void qkv_peer_hello(qkv_server *s, qkv_conn *c, const qkv_msg *m);

/* coordinator.c */
void qkv_coord_init(qkv_server *s);
void qkv_coord_free(qkv_server *s);
void qkv_coord_request(qkv_server *s, qkv_conn *client, const qkv_msg *m);
void qkv_coord_reply(qkv_server *s, size_t from, int64_t rid, qkv_kind kind, qkv_version v,
                     json_t *value);
void qkv_coord_peer_lost(qkv_server *s, size_t peer, const char *why);

/* replica.c */
void qkv_replica_init(qkv_server *s);
void qkv_replica_free(qkv_server *s);
void qkv_replica_get(qkv_server *s, qkv_conn_ref to, int64_t rid, const char *ckey);
void qkv_replica_put(qkv_server *s, qkv_conn_ref to, int64_t rid, const char *ckey,
                     qkv_version v, json_t *value);
/* Puts not yet durable, or replies held for the commit. */
bool qkv_replica_busy(const qkv_server *s);
/* One group commit: fdatasync the batch (exits the process if it cannot), then release the
 * held replies, then hand the local ones to the coordinator (which may start more). */
void qkv_replica_commit(qkv_server *s);

/* the touched and held lists (server.c) */
void qkv_list_held_add(qkv_server *s, qkv_conn *c);
qkv_conn *qkv_list_held_pop(qkv_server *s); /* NULL when empty */

#endif
