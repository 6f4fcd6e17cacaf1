/* fl-quorumkv's state: one event loop, the connections on it (clients, peers in and out),
 * the replica (store + put log) and the coordinator's operations in flight.
 *
 * Who talks to whom: a client line reaches the coordinator of the node it connected to
 * (coordinator.c), which sends each phase's request to the replicas over this node's
 * outgoing peer connections (qkv_peer_send) and to its own replica by a local call. A replica
 * (replica.c) answers on the connection the request came on, or by a local call, but only
 * after the group commit of the loop iteration that handled it: nothing that depends on a
 * put leaves the node before the put is durable. fl_srv (../../common/srv.h) owns the
 * connections and keeps the outgoing ones up; server.c dispatches their lines and runs,
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
#include "srv.h"
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
_Static_assert(QKV_PEERS_MAX <= FL_SRV_PEERS_MAX, "the peers fit in fl_srv");
_Static_assert(QKV_LINE_BYTES_MAX < QKV_OUT_BYTES_MAX, "any one line fits in a send queue");
_Static_assert(QKV_KEY_BYTES_MAX + QKV_PUT_FRAME_BYTES < QKV_LINE_BYTES_MAX,
               "a key and a put's framing leave room for a value");

typedef struct qkv_server qkv_server;
typedef struct qkv_conn qkv_conn;

/* Where a reply goes: a connection (fl_srv_ref: fd + generation, so a closed connection
 * whose fd was reused is never mistaken for the new one), or this node itself (fd < 0). */
typedef fl_srv_ref qkv_conn_ref;
#define QKV_TO_SELF ((qkv_conn_ref){-1, 0})

/* A connection: fl_srv's (clients, peers in and out: ../../common/srv.h), and what the
 * replica holds for it until the commit. */
struct qkv_conn {
    fl_srv_conn base;   /* first */
    fl_buf held;        /* replica replies waiting for this iteration's commit */
    qkv_conn *held_prev, *held_next; /* the "held" list; each at most once */
    bool on_held;
};

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
    fl_srv srv;                 /* the loop, the connections, the peers */
    qkv_conn *held;             /* list head */
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
};

/* server.c */
int qkv_server_open(qkv_server *s, const qkv_options *o, char *err, size_t err_bytes);
/* Serves until SIGTERM/SIGINT: 0, or 1 when the loop failed. */
int qkv_server_run(qkv_server *s);
void qkv_server_close(qkv_server *s);
static inline qkv_conn *qkv_conn_lookup(const qkv_server *s, qkv_conn_ref ref) {
    return (qkv_conn *)fl_srv_lookup(&s->srv, ref);
}
static inline qkv_conn_ref qkv_conn_ref_of(const qkv_conn *c) { return fl_srv_ref_of(&c->base); }
static inline void qkv_conn_doom(qkv_server *s, qkv_conn *c, const char *why) {
    fl_srv_doom(&s->srv, &c->base, why);
}
/* c has new output: flush it before the loop sleeps. */
static inline void qkv_conn_touch(qkv_server *s, qkv_conn *c) { fl_srv_touch(&s->srv, &c->base); }
/* Queues bytes on c (dooming it when its queue is full): 0 or -1. */
static inline int qkv_conn_send(qkv_server *s, qkv_conn *c, const void *bytes, size_t n) {
    return fl_srv_send(&s->srv, &c->base, bytes, n);
}
/* Queues a request to a peer: 0, or -1 when there is no connection to it. */
static inline int qkv_peer_send(qkv_server *s, size_t peer, const void *bytes, size_t n) {
    fl_srv_conn *c = s->srv.peer[peer].conn;
    return c ? fl_srv_send(&s->srv, c, bytes, n) : -1;
}
void qkv_reply_ok(qkv_server *s, qkv_conn_ref to, const json_t *id, const json_t *value);
void qkv_reply_error(qkv_server *s, qkv_conn_ref to, const json_t *id, const char *type,
                     const char *error, const char *detail);

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
