/* A node's connections, for the in-tree servers: clients and peers on one event loop.
 * It accepts (pausing when out of descriptors), reads lines and hands them to the server,
 * queues and flushes output, and keeps one outgoing connection to each peer, connected
 * without blocking and re-established with backoff (50 ms doubling to 1 s) when it breaks
 * or a connect takes longer than a second; every socket gets TCP_USER_TIMEOUT, so a
 * partitioned peer's connection fails instead of queueing for minutes.
 *
 * Connections are closed only by the loop (fl_srv_flush_touched, or the event that found
 * them broken), never from inside a line's handling, which only dooms them: no handler
 * ever holds a freed connection. A server's connection type may extend fl_srv_conn (which
 * then comes first; ops.conn_bytes is its size). */
#ifndef FL_TARGET_SRV_H
#define FL_TARGET_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"
#include "conn.h"
#include "loop.h"

#define FL_SRV_PEERS_MAX 64

typedef struct fl_srv fl_srv;
typedef struct fl_srv_conn fl_srv_conn;

/* Where a reply goes: fd + generation, so a closed connection whose fd was reused is never
 * mistaken for the new one. */
typedef struct fl_srv_ref {
    int fd;
    uint64_t gen;
} fl_srv_ref;

struct fl_srv_conn {
    fl_conn io;
    fl_srv *srv;
    uint64_t gen;       /* unique per connection in this process */
    int peer_out;       /* this node's outgoing connection to that peer index; -1: accepted */
    int peer_in;        /* accepted, and the other end said hello as that peer; else -1 */
    bool connecting;    /* outgoing, connect() not finished: output waits */
    bool want_out;      /* EPOLLOUT is registered */
    bool doomed;        /* to be closed by the loop, not by whoever found out */
    char doom_why[160];
    size_t peer_errors; /* malformed peer lines seen (the first few are logged) */
    fl_srv_conn *touched_prev, *touched_next; /* the "touched" list (output to flush) */
    bool on_touched;
};

typedef enum { FL_PEER_DOWN, FL_PEER_CONNECTING, FL_PEER_UP } fl_peer_state;

typedef struct fl_srv_peer {
    fl_srv *srv;        /* set once the peers started */
    fl_srv_conn *conn;  /* outgoing connection, NULL when DOWN */
    fl_peer_state state;
    int backoff_ms;     /* wait before the next connect attempt */
    bool down_logged;   /* said it is unreachable since it was last up */
    uint64_t dropped;   /* messages the server dropped for it (its own count) */
    fl_timer timer;     /* DOWN: reconnect; CONNECTING: give up on this connect */
} fl_srv_peer;

typedef struct fl_srv_ops {
    size_t conn_bytes;          /* the server's connection type, fl_srv_conn first */
    size_t line_bytes_max;      /* any line, in or out */
    size_t out_bytes_max;       /* unsent bytes per connection */
    size_t fds_max;             /* descriptors at most (under RLIMIT_NOFILE too) */
    unsigned user_timeout_ms;   /* TCP_USER_TIMEOUT of every connection */
    /* A hello from a node naming this node itself is refused ("not one of our peers"). */
    bool refuse_self_hello;
    /* A line on c, which is not doomed. */
    void (*line)(void *owner, fl_srv_conn *c, char *line, size_t len);
    /* Queues this node's hello on a new outgoing connection: 0, or -1 (c is doomed).
     * NULL for a server that dials no peer (fl-fencestore, fl-payments). */
    int (*hello)(void *owner, fl_buf *out);
    /* Optional: c was allocated (zeroed) / is about to be freed. */
    void (*conn_opened)(void *owner, fl_srv_conn *c);
    void (*conn_freeing)(void *owner, fl_srv_conn *c);
    /* Optional: the outgoing connection to peer is lost (not called while stopping). */
    void (*peer_lost)(void *owner, size_t peer, const char *why);
} fl_srv_ops;

struct fl_srv {
    const fl_srv_ops *ops;
    void *owner;
    const fl_peer_addr *peers;  /* sorted by name: index = node index */
    size_t peer_count, self;
    fl_loop *loop;
    int listen_fd;
    fl_timer accept_pause;      /* out of descriptors: listen again later */
    fl_srv_conn **conns;        /* by fd */
    size_t conns_max;
    uint64_t gen_next;
    fl_srv_conn *touched;       /* list head */
    fl_srv_peer peer[FL_SRV_PEERS_MAX];
    bool stopping;
};

/* Sets srv up (no loop yet): conns_max from RLIMIT_NOFILE and ops->fds_max. */
void fl_srv_init(fl_srv *srv, const fl_srv_ops *ops, void *owner, const fl_peer_addr *peers,
                 size_t peer_count, size_t self);
/* The event loop, stopped by SIGTERM and SIGINT: 0, or -1 with err. */
int fl_srv_loop_open(fl_srv *srv, size_t timers_max, char *err, size_t err_bytes);
/* Listens on a (text: as given, for errors): 0, or -1 with err. */
int fl_srv_listen(fl_srv *srv, const struct sockaddr_in *a, const char *text, char *err,
                  size_t err_bytes);
/* Runs the loop until SIGTERM/SIGINT: 0, or 1 when it failed (logged). */
int fl_srv_run(fl_srv *srv);
/* Closes every connection ("stopping") and the listening socket. */
void fl_srv_close_all(fl_srv *srv);
/* Frees the loop and the table (after fl_srv_close_all). */
void fl_srv_free(fl_srv *srv);

/* An fd that is connected (or connecting, then peer_out >= 0) becomes a connection on the
 * loop: it, or NULL (fd closed, logged). */
fl_srv_conn *fl_srv_conn_open(fl_srv *srv, int fd, int peer_out, bool connecting);
void fl_srv_close(fl_srv *srv, fl_srv_conn *c, const char *why);
void fl_srv_doom(fl_srv *srv, fl_srv_conn *c, const char *why);
/* c has new output: flush it before the loop sleeps. */
void fl_srv_touch(fl_srv *srv, fl_srv_conn *c);
/* Queues bytes on c (dooming it when its queue is full): 0 or -1. */
int fl_srv_send(fl_srv *srv, fl_srv_conn *c, const void *bytes, size_t n);
/* Flushes every touched connection, closing the doomed ones. Closing one may touch more
 * (replies of failed operations): they are flushed in the same pass. */
void fl_srv_flush_touched(fl_srv *srv);
fl_srv_conn *fl_srv_lookup(const fl_srv *srv, fl_srv_ref ref);
static inline fl_srv_ref fl_srv_ref_of(const fl_srv_conn *c) {
    return (fl_srv_ref){c->io.fd, c->gen};
}

/* Connects to every peer but this node. */
void fl_srv_peers_start(fl_srv *srv);
void fl_srv_peers_stop(fl_srv *srv);
/* An accepted connection said hello as node `from`, which has peer_count peers. */
void fl_srv_peer_hello(fl_srv *srv, fl_srv_conn *c, const char *from, int64_t peer_count);

#endif
