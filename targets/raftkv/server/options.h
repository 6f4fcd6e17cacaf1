/* The Raft host's command line (fl-raftkv's, fl-lockd's). A node's Raft id is the rank of its name in the peer list
 * sorted bytewise (as fl-quorumkv's node index), so every node agrees on the ids whatever
 * order its --peers lists them in. */
#ifndef RKV_OPTIONS_H
#define RKV_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "node_flags.h"
#include "raft_msg.h"

#define RKV_PEERS_MAX RAFT_NODES_MAX

typedef struct rkv_options {
    const char *id;                      /* this node's name, one of peers */
    struct sockaddr_in listen;
    char listen_text[FL_ADDR_TEXT_BYTES];
    fl_peer_addr peers[RKV_PEERS_MAX];   /* sorted by name: index = Raft id */
    size_t peer_count;                   /* N */
    size_t self;                         /* this node's Raft id */
    const char *data_dir;
    const char *pidfile;                 /* NULL: none */
    int tick_ms;                         /* one raft_tick every tick_ms of CLOCK_MONOTONIC */
    uint32_t election_ticks, heartbeat_ticks;
    uint64_t snapshot_entries;           /* compact after this many applied entries */
    int64_t lease_ms;                    /* lease-read: how long a confirmed round holds */
    int64_t ttl_ms;                      /* apps that grant leases (fl-lockd): their length */
    unsigned bugs;                       /* RAFT_BUG_* */
    const char *const *app_bug_names;    /* the app's own bugs, NULL-terminated (or NULL) */
    unsigned app_bugs;                   /* bit i: app_bug_names[i] is on */
} rkv_options;

typedef enum { RKV_OPTIONS_OK, RKV_OPTIONS_HELP, RKV_OPTIONS_BAD } rkv_options_status;

extern const char rkv_usage[];
/* Parses argv; BAD with err saying which flag and why. */
rkv_options_status rkv_options_parse(int argc, char **argv, rkv_options *o, char *err,
                                     size_t err_bytes);
/* The same, with an app's own bug names (NULL-terminated) accepted by --bug too. */
rkv_options_status rkv_options_parse_app(int argc, char **argv, const char *const *app_bugs,
                                         rkv_options *o, char *err, size_t err_bytes);
/* "stale-read,lease-read" or "none" */
const char *rkv_options_bugs(const rkv_options *o, char *out, size_t out_bytes);

#endif
