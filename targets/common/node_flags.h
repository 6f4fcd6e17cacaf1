/* The command line every in-tree server shares: --id, --listen, --peers, --data-dir and
 * --pidfile, the getopt loop around a server's own flags, and the rule that a node's index
 * is the rank of its id in the peer list sorted bytewise (so every node agrees on the
 * indices whatever order its --peers lists them in). */
#ifndef FL_TARGET_NODE_FLAGS_H
#define FL_TARGET_NODE_FLAGS_H

#include <getopt.h>
#include <netinet/in.h>
#include <stddef.h>

#include "addr.h"

/* Where the common flags land: fields of the server's own options struct. */
typedef struct fl_node_flags {
    const char **id;
    struct sockaddr_in *listen;
    char *listen_text;        /* FL_ADDR_TEXT_BYTES */
    fl_peer_addr *peers;      /* peers_max */
    size_t peers_max;
    size_t *peer_count;
    size_t *self;             /* set by the settling: this node's index in sorted peers */
    const char **data_dir;
    const char **pidfile;     /* NULL: none */
    int have_listen;
} fl_node_flags;

/* The fl_node_flags of an options struct o with fields id, listen, listen_text, peers
 * (an array), peer_count, self, data_dir and pidfile. */
#define FL_NODE_FLAGS_OF(o)                                                               \
    ((fl_node_flags){&(o)->id, &(o)->listen, (o)->listen_text, (o)->peers,                \
                     sizeof (o)->peers / sizeof (o)->peers[0], &(o)->peer_count, &(o)->self, \
                     &(o)->data_dir, &(o)->pidfile, 0})

/* The common flags' getopt_long entries (their values are these letters). */
#define FL_NODE_FLAG_OPTIONS                                                              \
    {"id", required_argument, NULL, 'i'}, {"listen", required_argument, NULL, 'l'},      \
        {"peers", required_argument, NULL, 'p'}, {"data-dir", required_argument, NULL, 'd'}, \
        {"pidfile", required_argument, NULL, 'P'}

typedef enum { FL_FLAGS_OK, FL_FLAGS_HELP, FL_FLAGS_BAD } fl_flags_status;

/* A server's own flag c with its value: 0, or -1 with err. */
typedef int fl_own_flag_fn(void *arg, int c, const char *value, char *err, size_t err_bytes);

/* "FLAG 'TEXT': expected an integer in LO..HI" unless text is one: 0 and *out, or -1. */
int fl_flag_long(const char *flag, const char *text, long lo, long hi, long *out, char *err,
                 size_t err_bytes);

/* Runs getopt_long over argv with flags (FL_NODE_FLAG_OPTIONS and the server's own):
 * the common ones fill f, help_c means HELP, any other goes to own. Then checks that the
 * required ones came and settles the peers (fl_node_flags_settle). */
fl_flags_status fl_node_flags_parse(int argc, char **argv, const struct option *flags,
                                    int help_c, fl_node_flags *f, fl_own_flag_fn *own,
                                    void *own_arg, char *err, size_t err_bytes);

/* Sorts the peers by name, refuses two at one address, finds this node's index. */
int fl_node_flags_settle(fl_node_flags *f, char *err, size_t err_bytes);

#endif
