/* fl-fencestore's command line: the flags every in-tree server takes (node_flags.h: --id,
 * --listen, --peers, --data-dir, --pidfile; the store talks to no peer, --peers only has to
 * name this node) and --bug, which picks at most one seeded bug. */
#ifndef FS_OPTIONS_H
#define FS_OPTIONS_H

#include <netinet/in.h>
#include <stddef.h>

#include "addr.h"
#include "node_flags.h"
#include "table.h"

#define FS_PEERS_MAX 64

typedef struct fs_options {
    const char *id;                      /* this node's name, one of peers */
    struct sockaddr_in listen;
    char listen_text[FL_ADDR_TEXT_BYTES];
    fl_peer_addr peers[FS_PEERS_MAX];    /* sorted by name; only logged */
    size_t peer_count;
    size_t self;
    const char *data_dir;
    const char *pidfile;                 /* NULL: none */
    fs_mode mode;                        /* FS_CORRECT unless --bug */
} fs_options;

typedef enum { FS_OPTIONS_OK, FS_OPTIONS_HELP, FS_OPTIONS_BAD } fs_options_status;

extern const char fs_usage[];
/* Parses argv; BAD with err saying which flag and why. */
fs_options_status fs_options_parse(int argc, char **argv, fs_options *o, char *err,
                                   size_t err_bytes);

#endif
