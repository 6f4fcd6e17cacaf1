/* fl-raftkv's wire: one JSON object per line, on one port for clients and peers.
 *
 * Client (DESIGN.md "Targets"; README.md has every reply). ping and status are the
 * host's; the other ops are the app's (server.h), each declared with the fields it takes
 * (rkv_f_spec), fl-raftkv's being:
 *   {"id":1,"f":"read","key":K}                 -> {"id":1,"type":"ok","value":V}
 *   {"id":2,"f":"write","key":K,"value":V}      -> {"id":2,"type":"ok"}
 *   {"id":3,"f":"cas","key":K,"value":[OLD,NEW]} -> ok, or fail "cas-mismatch"
 *   {"id":4,"f":"append","key":K,"value":E}     -> ok, or fail "not-a-list"
 *   {"id":7,"f":"txn","value":[["append",K,E],["r",K,null],["w",K,V]…]}
 *                                                -> {"id":7,"type":"ok","value":[…]}: the
 *                                                   micro-ops, every read's value filled in
 *   {"id":5,"f":"ping"}                          -> {"id":5,"type":"ok","node":"n2"}
 *   {"id":6,"f":"status"}                        -> {"id":6,"type":"ok","value":{…}}
 *   errors: {"id":…,"type":"fail"|"info","error":CODE[,"detail":…][,"leader":"n3"]}
 * Peer (on each node's outgoing connection to each other node; never answered on it):
 *   {"p":"hello","from":"n1","n":3}              first line of the connection
 *   {"raft":MSG}                                  MSG as raft_codec.h encodes it
 *
 * Parsing is total: any bytes give a line or an error, never a crash. */
#ifndef RKV_PROTO_H
#define RKV_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "fsm.h"
#include "raft_msg.h"

typedef enum { RKV_LINE_REQUEST, RKV_LINE_HELLO, RKV_LINE_RAFT } rkv_line_kind;
/* fl-raftkv's ops are indices into rkv_kv_ops; PING and STATUS are the host's (l->host). */
typedef enum {
    RKV_F_READ, RKV_F_WRITE, RKV_F_CAS, RKV_F_APPEND, RKV_F_TXN, RKV_F_PING, RKV_F_STATUS
} rkv_f;

/* One client op of an app: its name and the fields a request must carry. */
typedef struct rkv_f_spec {
    const char *name;
    bool key;            /* "key": a string or an integer (its canonical text in ckey) */
    bool value;          /* "value": any JSON */
    size_t value_items;  /* with value: > 0 means a list of exactly that many items */
} rkv_f_spec;
typedef struct rkv_f_table {
    const rkv_f_spec *fs;
    size_t n;
} rkv_f_table;
extern const rkv_f_table rkv_kv_ops; /* read, write, cas, append, txn (as rkv_f) */

typedef enum {
    RKV_PARSE_OK = 0,
    RKV_PARSE_MALFORMED, /* not an object, a field missing or of the wrong type */
    RKV_PARSE_UNKNOWN_F, /* a request whose f is none of ours */
} rkv_parse_status;

typedef struct rkv_line {
    rkv_line_kind kind;
    json_t *root;        /* owns the parsed line: the json_t fields below are borrowed */
    json_t *id;          /* request: the id as sent, NULL when absent */
    int f;               /* host: RKV_F_PING or RKV_F_STATUS; else an index into the app's
                            table (fl-raftkv: an rkv_f) */
    bool host;           /* ping or status */
    json_t *key;         /* when the op takes one */
    char ckey[RKV_KEY_BYTES_MAX + 1];
    json_t *value;       /* when the op takes one */
    const char *from;    /* hello */
    int64_t peer_count;  /* hello */
    raft_msg msg;        /* raft: decoded (owned; released with the line) */
} rkv_line;

/* nodes: the cluster size (peer messages naming other ids are malformed); ops: the app's
 * client ops. Whatever it returns, release l afterwards; l->kind and l->id are set as far
 * as the line got. */
rkv_parse_status rkv_parse_line_ops(const char *line, size_t len, int nodes,
                                    const rkv_f_table *ops, rkv_line *l, char *err,
                                    size_t err_bytes);
/* The same with fl-raftkv's ops. */
rkv_parse_status rkv_parse_line(const char *line, size_t len, int nodes, rkv_line *l, char *err,
                                size_t err_bytes);
void rkv_line_release(rkv_line *l);
const char *rkv_f_name(rkv_f f); /* fl-raftkv's ops, ping and status */

/* Encoders append one whole line, '\n' included, or nothing: 0, or -1 when the buffer's
 * cap or jansson refused. */
int rkv_encode_hello(fl_buf *b, const char *from, size_t peer_count);
int rkv_encode_raft(fl_buf *b, const raft_msg *m);
/* Client replies: fl_reply_ok and fl_reply_error (wire.h). */

#endif
