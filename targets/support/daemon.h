/* The in-tree servers (the fl-* daemons) on the nodes, a thin layer over the generic
 * daemon (service.h) shared by the in-tree targets' adapters (DESIGN.md "On a node"):
 * the binary uploaded to <workdir>/bin, its folder <workdir>/<name>/ with data/,
 * <name>.pid and <name>.log; started detached under the clock shim in faketime mode with
 * --id, --listen, --peers, the target's flags, --bug, --pidfile and --data-dir; "ready"
 * means a ping over its JSON-lines port answered. */
#ifndef FL_DAEMON_H
#define FL_DAEMON_H

#include "service.h"
#include "target.h"

typedef struct fl_daemon {
    const char *name;      /* "quorumkv" */
    const char *binary;    /* "fl-quorumkv", found with fl_libexec_path */
    int port;              /* the JSON-lines port on every node */
    /* Optional: write the target's own flags (from its options), each with a leading
     * space, into a (cap bytes); they go after --peers and before --bug. */
    void (*flags)(fl_target_ctx *t, char *a, size_t cap);
    /* Optional: which of the run's seeded bug(s) this daemon takes, as its own flags
     * (" --bug NAME"…) written into a (cap bytes), for a target of several daemons whose
     * bugs live in different ones; NULL: " --bug BUG" whenever the run has a bug. */
    void (*bug_flags)(fl_target_ctx *t, char *a, size_t cap);
} fl_daemon;

/* Upload the binary to every node, stop what an earlier run left running there (by its
 * pidfile) and wipe the folder. 0, or -1 with err naming the node. */
int fl_daemon_setup(fl_target_ctx *t, const fl_daemon *d, char *err, size_t bytes);
/* Start it on node with `--id NODE --listen HOST:PORT --peers …`, d->flags, `--bug` in
 * a seeded-bug run (and --pidfile and --data-dir), then wait up to 15 s until it answers
 * a ping. Does nothing when its pidfile names a live process. 0, or -1 with err (and the
 * tail of its log). */
int fl_daemon_start(fl_target_ctx *t, const fl_daemon *d, size_t node, char *err, size_t bytes);
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

/* The fl_target hooks of an in-tree server D (an fl_daemon): defines static PREFIX_setup,
 * _start, _stop, _fetch_logs and _client_open; FL_DAEMON_TARGET(PREFIX) fills them (and
 * client invoke and close) into an fl_target initializer. */
#define FL_DAEMON_HOOKS(prefix, d)                                                         \
    static int prefix##_setup(fl_target_ctx *t, char *err, size_t bytes) {                 \
        return fl_daemon_setup(t, &(d), err, bytes);                                       \
    }                                                                                      \
    static int prefix##_start(fl_target_ctx *t, size_t node, char *err, size_t bytes) {    \
        return fl_daemon_start(t, &(d), node, err, bytes);                                 \
    }                                                                                      \
    static int prefix##_stop(fl_target_ctx *t, size_t node, char *err, size_t bytes) {     \
        return fl_daemon_stop(t, &(d), node, err, bytes);                                  \
    }                                                                                      \
    static int prefix##_fetch_logs(fl_target_ctx *t, size_t node, const char *dir,         \
                                   char *err, size_t bytes) {                              \
        return fl_daemon_fetch_logs(t, &(d), node, dir, err, bytes);                       \
    }                                                                                      \
    static fl_client *prefix##_client_open(fl_target_ctx *t, size_t node, int timeout_ms,  \
                                           char *err, size_t bytes) {                      \
        return fl_daemon_client_open(t, &(d), node, timeout_ms, err, bytes);               \
    }
#define FL_DAEMON_TARGET(prefix)                                                           \
    .setup = prefix##_setup, .start = prefix##_start, .stop = prefix##_stop,               \
    .fetch_logs = prefix##_fetch_logs, .client_open = prefix##_client_open,                \
    .client_invoke = fl_daemon_client_invoke, .client_close = fl_daemon_client_close

#endif
