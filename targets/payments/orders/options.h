/* fl-orders' command line: the flags every in-tree server takes (node_flags.h; the
 * orders services never talk to each other, --peers only has to name this node), where
 * fl-payments listens, the retry layer's per-attempt timeout, how often pending saga
 * steps are resumed, and at most one seeded bug. */
#ifndef OR_OPTIONS_H
#define OR_OPTIONS_H

#include <netinet/in.h>
#include <stddef.h>

#include "addr.h"
#include "node_flags.h"

#define OR_PEERS_MAX 64

typedef enum {
    OR_CORRECT,
    OR_NO_IDEMPOTENCY_KEY, /* charges and refunds sent without a key: a retry is new money */
    OR_FIXED_RETRY,        /* six attempts 1 s apart: no backoff, jitter, budget, deadline */
    OR_LOST_COMPENSATION,  /* a refund out of retries is given up, the order still cancelled */
} or_bug;

typedef struct or_options {
    const char *id;
    struct sockaddr_in listen;
    char listen_text[FL_ADDR_TEXT_BYTES];
    fl_peer_addr peers[OR_PEERS_MAX];
    size_t peer_count;
    size_t self;
    const char *data_dir;
    const char *pidfile;
    char payments_host[FL_ADDR_TEXT_BYTES]; /* fl-payments */
    int payments_port;
    long call_timeout_ms;                   /* one attempt's wait for its reply */
    long resume_ms;                         /* pending steps are retried this often */
    or_bug bug;
} or_options;

typedef enum { OR_OPTIONS_OK, OR_OPTIONS_HELP, OR_OPTIONS_BAD } or_options_status;

extern const char or_usage[];
const char *or_bug_name(or_bug b);
/* Parses argv; BAD with err saying which flag and why. */
or_options_status or_options_parse(int argc, char **argv, or_options *o, char *err,
                                   size_t err_bytes);

#endif
