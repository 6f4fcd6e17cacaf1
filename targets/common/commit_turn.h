/* Group commit for a single-threaded daemon's event loop (fl-fencestore, fl-payments):
 * during a loop turn every decision is appended to the daemon's applog and its reply held;
 * the connections holding replies are listed, each once per turn; before the loop sleeps
 * one fdatasync makes the turn durable, and only then is each listed connection still
 * open released (its replies to its output) and the next turn begun. A decision that
 * cannot be made durable ends the process as a crash would: nothing of it acknowledged. */
#ifndef FL_TARGET_COMMIT_TURN_H
#define FL_TARGET_COMMIT_TURN_H

#include <stddef.h>
#include <stdint.h>

#include "applog.h"
#include "srv.h"

typedef struct fl_commit_turn {
    fl_srv_ref *listed;     /* connections holding replies this turn, each once */
    size_t count, max;      /* count <= max (the server's connections) */
    uint64_t turn;          /* >= 1; a connection remembers the turn it was listed in */
} fl_commit_turn;

/* Moves c's held replies to its output (or dooms it): the daemon's own. */
typedef void fl_commit_release_fn(void *arg, fl_srv_conn *c);

/* Room for max connections (aborts when memory ran out: at start only). */
void fl_commit_turn_init(fl_commit_turn *t, size_t max);
void fl_commit_turn_free(fl_commit_turn *t);
/* Makes the turn durable (exits with status 1 when it cannot), releases every listed
 * connection still open and begins the next turn. */
void fl_commit_turn_commit(fl_commit_turn *t, fl_applog *log, fl_srv *srv,
                           fl_commit_release_fn *release, void *arg);
/* Lists c for this turn unless *listed_turn (its memory of it) says it is; a full list
 * (connections closed and their fds reused within the turn) commits early first. */
void fl_commit_turn_list(fl_commit_turn *t, fl_srv_conn *c, uint64_t *listed_turn,
                         fl_applog *log, fl_srv *srv, fl_commit_release_fn *release,
                         void *arg);

#endif
