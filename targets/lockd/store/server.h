/* fl-fencestore's state: one event loop (targets/common srv.h: no peers), the resources
 * (table.h), the journal (journal.h), and the replies held until the journal's commit.
 *
 * A loop turn: every line read is decided at once (the table changes in memory, the
 * resource's new state is queued in the journal) and its reply goes to the connection's
 * held buffer, never straight to its output; before the loop sleeps, one fdatasync makes
 * the turn's decisions durable, and only then do the held replies move to the outputs and
 * leave. So no reply ever tells of a decision a crash could undo. */
#ifndef FS_SERVER_H
#define FS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applog.h"
#include "commit_turn.h"
#include "buf.h"
#include "options.h"
#include "srv.h"
#include "table.h"

#define FS_LINE_BYTES_MAX ((size_t)1 << 20)  /* any line, request or reply */
#define FS_OUT_BYTES_MAX ((size_t)64 << 20)  /* unsent (held + queued) bytes per connection */
#define FS_FDS_MAX 65536
#define FS_USER_TIMEOUT_MS 5000

_Static_assert(FS_LINE_BYTES_MAX < FS_OUT_BYTES_MAX, "any one line fits in a send queue");
_Static_assert(FS_PEERS_MAX <= FL_SRV_PEERS_MAX, "the peers fit in fl_srv");

/* A client connection: fl_srv's, and its replies waiting for this turn's commit. */
typedef struct fs_conn {
    fl_srv_conn base;   /* first */
    fl_buf held;
    uint64_t held_turn; /* the turn it was listed in (commit_turn.h; 0: never) */
} fs_conn;

typedef struct fs_counts {
    uint64_t reads, writes, peeks, malformed;
} fs_counts;

typedef struct fs_server {
    const fs_options *opt;
    fl_srv srv;
    fs_table table;
    fl_applog journal;
    bool journal_open;
    fl_commit_turn commits; /* the connections holding replies this turn */
    fs_counts counts;
} fs_server;

int fs_server_open(fs_server *s, const fs_options *o, char *err, size_t err_bytes);
/* Serves until SIGTERM/SIGINT: 0, or 1 when the loop failed. */
int fs_server_run(fs_server *s);
void fs_server_close(fs_server *s);

#endif
