/* The quorumkv wire protocol: one JSON object per line, on one port for clients and peers.
 *
 * Client (DESIGN.md "Targets"):
 *   {"id":1,"f":"read","key":"x"}           -> {"id":1,"type":"ok","value":V}  (null: unwritten)
 *   {"id":2,"f":"write","key":"x","value":5} -> {"id":2,"type":"ok"}
 *   {"id":3,"f":"ping"}                      -> {"id":3,"type":"ok","node":"n2"}
 *   failures: {"id":…,"type":"fail"|"info","error":"no-quorum","detail":"…"}
 * The id is echoed as sent (any JSON; null when absent). A key is a string or an integer,
 * and "1" and 1 are different keys: a key is identified by its canonical JSON text.
 *
 * Peer (coordinator -> replica on the coordinator's outgoing connection; the replica
 * answers on the same connection):
 *   {"p":"hello","from":"n1","n":3}                    first line of every connection
 *   {"p":"get","rid":R,"key":K}                        -> {"p":"got","rid":R,"ver":[c,i],"value":V}
 *   {"p":"put","rid":R,"key":K,"ver":[c,i],"value":V}  -> {"p":"ack","rid":R}
 * A version is (counter, node index), ordered lexicographically; [0,0] with value null is
 * "never written". The put log's records are {"key":K,"ver":[c,i],"value":V}.
 *
 * Parsing is total: any bytes give a message or an error, never a crash. */
#ifndef QKV_MESSAGE_H
#define QKV_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "wire.h"

#define QKV_KEY_BYTES_MAX FL_KEY_TEXT_MAX /* canonical key text (wire.h), without its NUL */
#define QKV_ERR_BYTES 256

typedef struct qkv_version {
    int64_t counter; /* >= 0 */
    int64_t node;    /* index of the writer among the peers sorted by id; >= 0 */
} qkv_version;

typedef enum {
    QKV_READ, QKV_WRITE, QKV_PING,          /* client requests */
    QKV_HELLO, QKV_GET, QKV_GOT, QKV_PUT, QKV_ACK, /* peer messages */
    QKV_RECORD,                             /* a put log record */
} qkv_kind;

typedef enum {
    QKV_PARSE_OK = 0,
    QKV_PARSE_MALFORMED,  /* not a message at all, or a field missing or of the wrong type */
    QKV_PARSE_UNKNOWN_F,  /* a client request whose f is not read, write or ping */
} qkv_parse_status;

typedef struct qkv_msg {
    qkv_kind kind;
    bool from_peer;    /* the line had a "p": a peer message (even a malformed one) */
    json_t *root;      /* owns the parsed line: the json_t fields below are borrowed */
    json_t *id;        /* client requests: the id as sent, NULL when absent */
    char ckey[QKV_KEY_BYTES_MAX + 1]; /* read, write, get, put, record: canonical key text */
    json_t *value;     /* write, got, put, record */
    int64_t rid;       /* get, got, put, ack: the coordinator's request id, >= 0 */
    qkv_version ver;   /* got, put, record */
    const char *from;  /* hello: the sender's id (borrowed) */
    int64_t peer_count; /* hello: how many peers the sender has */
} qkv_msg;

/* A client request or a peer message. Whatever it returns, release m afterwards; m->id is
 * set whenever the line carried one, so an error reply can name the request. */
qkv_parse_status qkv_parse(const char *line, size_t len, qkv_msg *m, char *err,
                           size_t err_bytes);
/* A put log record: 0, or -1 with err. Release m afterwards. */
int qkv_parse_record(const char *line, size_t len, qkv_msg *m, char *err, size_t err_bytes);
void qkv_msg_release(qkv_msg *m);

int qkv_version_cmp(qkv_version a, qkv_version b);

/* Encoders append one whole line, '\n' included, or nothing: 0, or -1 when the buffer's
 * cap or jansson refused. ckey is canonical key text (it is valid JSON). */
int qkv_encode_hello(fl_buf *b, const char *from, size_t peer_count);
int qkv_encode_get(fl_buf *b, int64_t rid, const char *ckey);
int qkv_encode_got(fl_buf *b, int64_t rid, qkv_version v, const json_t *value);
int qkv_encode_put(fl_buf *b, int64_t rid, const char *ckey, qkv_version v, const json_t *value);
int qkv_encode_ack(fl_buf *b, int64_t rid);
int qkv_encode_record(fl_buf *b, const char *ckey, qkv_version v, const json_t *value);
/* Client replies: fl_reply_ok and fl_reply_error (wire.h). */

#endif
