/* The life of an in-tree server (an fl-* daemon) on the nodes, shared by the in-tree
 * targets' adapters (DESIGN.md "On a node"): the binary uploaded to <workdir>/bin, its
 * folder <workdir>/<name>/ with data/, <name>.pid and <name>.log; started detached under
 * the clock shim in faketime mode; "answers" means a ping over its JSON-lines port. */
#ifndef FL_DAEMON_H
#define FL_DAEMON_H

#include "target.h"

typedef struct fl_daemon {
    const char *name;      /* "quorumkv" */
    const char *binary;    /* "fl-quorumkv", found with fl_libexec_path */
    int port;              /* the JSON-lines port on every node */
} fl_daemon;

/* Upload the binary to every node, stop what an earlier run left running there (by its
 * pidfile) and wipe the folder. 0, or -1 with err naming the node. */
int fl_daemon_setup(fl_target_ctx *t, const fl_daemon *d, char *err, size_t bytes);
/* Start it on node with these arguments (already shell-quoted; the daemon gets
 * --pidfile and --data-dir added), then wait up to 15 s until it answers a ping. Does
 * nothing when its pidfile names a live process that answers. 0, or -1 with err (and
 * the tail of its log). */
int fl_daemon_start(fl_target_ctx *t, const fl_daemon *d, size_t node, const char *args,
                    char *err, size_t bytes);
/* TERM, then KILL after 5 s. 0, or -1 with err. */
int fl_daemon_stop(fl_target_ctx *t, const fl_daemon *d, size_t node, char *err, size_t bytes);
/* Copy <name>.log into dir. */
int fl_daemon_fetch_logs(fl_target_ctx *t, const fl_daemon *d, size_t node, const char *dir,
                         char *err, size_t bytes);
/* Whether it answers a ping on node now. */
bool fl_daemon_answers(fl_target_ctx *t, const fl_daemon *d, size_t node, int timeout_ms);

/* A JSON-lines client of the daemon on node, as fl_target's client_open/invoke/close. */
fl_client *fl_daemon_client_open(fl_target_ctx *t, const fl_daemon *d, size_t node,
                                 int timeout_ms, char *err, size_t bytes);
void fl_daemon_client_invoke(fl_client *c, const fl_request *req, int timeout_ms,
                             fl_reply *out);
void fl_daemon_client_close(fl_client *c);

#endif
