/* fl-quorumkv's command line. Node indices (the second half of a version) are the
 * positions of the ids in the peer list sorted bytewise, so every node agrees on them
 * whatever order its --peers lists them in. */
#ifndef QKV_OPTIONS_H
#define QKV_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "node_flags.h"

#define QKV_PEERS_MAX 64 /* a node set is a 64-bit mask */
#define QKV_TIMEOUT_MS_DEFAULT 1000

typedef struct qkv_options {
    const char *id;                      /* this node's name, one of peers */
    struct sockaddr_in listen;
    char listen_text[FL_ADDR_TEXT_BYTES];
    fl_peer_addr peers[QKV_PEERS_MAX];   /* sorted by name: index = node index */
    size_t peer_count;                   /* N */
    size_t self;                         /* this node's index in peers */
    const char *data_dir;
    const char *pidfile;                 /* NULL: none */
    unsigned w, r;                       /* quorum sizes: 1..N */
    int timeout_ms;                      /* per phase */
    bool bug_stale_quorum, bug_no_write_back, bug_wall_clock_lww;
} qkv_options;

typedef enum { QKV_OPTIONS_OK, QKV_OPTIONS_HELP, QKV_OPTIONS_BAD } qkv_options_status;

extern const char qkv_usage[];
/* Parses argv; BAD with err saying which flag and why. */
qkv_options_status qkv_options_parse(int argc, char **argv, qkv_options *o, char *err,
                                     size_t err_bytes);
/* "stale-quorum,no-write-back" or "none" */
const char *qkv_options_bugs(const qkv_options *o, char *out, size_t out_bytes);

#endif
