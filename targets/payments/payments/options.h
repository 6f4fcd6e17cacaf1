/* fl-payments' command line: the flags every in-tree server takes (node_flags.h: --id,
 * --listen, --peers, --data-dir, --pidfile; the processor talks to no peer, --peers only
 * has to name this node) and its own: the service capacity (--capacity, --service-ms,
 * --queue), a new account's balance (--initial-balance) and the request log's file
 * (--request-log). No --bug: the payments target's bugs live in fl-orders. */
#ifndef PAY_OPTIONS_H
#define PAY_OPTIONS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "node_flags.h"

#define PAY_PEERS_MAX 64
#define PAY_PATH_BYTES 4096

typedef struct pay_options {
    const char *id;                      /* this node's name, one of peers */
    struct sockaddr_in listen;
    char listen_text[FL_ADDR_TEXT_BYTES];
    fl_peer_addr peers[PAY_PEERS_MAX];   /* sorted by name; only logged */
    size_t peer_count;
    size_t self;
    const char *data_dir;
    const char *pidfile;                 /* NULL: none */
    size_t capacity;                     /* requests in service at once */
    int64_t service_ms;                  /* how long each is in service */
    size_t queue;                        /* requests waiting for a slot, at most */
    int64_t initial_balance;             /* a new account's */
    char request_log[PAY_PATH_BYTES];    /* --request-log, or DIR/../requests.jsonl */
} pay_options;

typedef enum { PAY_OPTIONS_OK, PAY_OPTIONS_HELP, PAY_OPTIONS_BAD } pay_options_status;

extern const char pay_usage[];
/* Parses argv; BAD with err saying which flag and why. */
pay_options_status pay_options_parse(int argc, char **argv, pay_options *o, char *err,
                                     size_t err_bytes);

#endif
