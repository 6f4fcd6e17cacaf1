/* A generic daemon on the nodes (DESIGN.md "Targets", targets/support): any command line
 * started through the remote table as the node's user, detached, under the clock shim
 * unless the target opts out, in a folder of its own <workdir>/<name>/ holding data/,
 * <name>.pid and <name>.log; stopped (TERM, then KILL after a grace), killed, paused and
 * resumed by that pidfile (the one fl_target.pidfile names, so the nemesis agent's
 * pidfile signals hit it too), wiped, its log fetched, and waited for with a check the
 * target gives. Adapters for real systems (Redis, etcd) and the in-tree fl-* servers
 * (daemon.h) alike use only this. */
#ifndef FL_SERVICE_H
#define FL_SERVICE_H

#include <stdbool.h>

#include "target.h"

typedef struct fl_service {
    const char *name;        /* "redis": the folder, <name>.pid, <name>.log */
    /* The daemon writes its own pidfile (redis-server --pidfile, fl-* --pidfile); false:
     * the launcher records the pid of the process it started (which must not fork). */
    bool writes_pidfile;
    bool no_clock_shim;      /* never under libflclock.so, even on a faketime node */
    int stop_grace_ms;       /* TERM to KILL; 0: 5000 */
} fl_service;

/* Run a shell command on node (what: its label in errors) and wait up to timeout_ms: 0
 * when it exited 0, else -1 with err naming the node and holding its output. For the
 * one-off steps of an adapter's setup (initdb, a config file, "is it installed?"). */
int fl_service_shell(fl_target_ctx *t, size_t node, const char *command, const char *what,
                     int timeout_ms, char *err, size_t bytes);

/* Paths on node, malloc'd: "<workdir>/<name>", its data/, <name>.pid, <name>.log. */
typedef enum { FL_SERVICE_DIR, FL_SERVICE_DATA, FL_SERVICE_PIDFILE, FL_SERVICE_LOG } fl_service_path;
char *fl_service_path_of(const fl_target_ctx *t, const fl_service *s, size_t node,
                         fl_service_path which);
/* The same, quoted for the shell. */
char *fl_service_path_q(const fl_target_ctx *t, const fl_service *s, size_t node,
                        fl_service_path which);

/* Make the folder, stop what an earlier run left running (by the pidfile), wipe data/,
 * the pidfile and the log. 0, or -1 with err naming the node. */
int fl_service_prepare(fl_target_ctx *t, const fl_service *s, size_t node, char *err,
                       size_t bytes);
/* Wipe data/ (the daemon should be stopped). */
int fl_service_wipe(fl_target_ctx *t, const fl_service *s, size_t node, char *err,
                    size_t bytes);
/* Start command (a shell command line, already quoted; run from the folder, stdin
 * /dev/null, stdout and stderr appended to the log) detached on node; the pid it started
 * goes to the pidfile, or to <name>.launched when the daemon writes its own. Does nothing
 * when the pidfile names a live process. 0, or -1 with err. */
int fl_service_launch(fl_target_ctx *t, const fl_service *s, size_t node, const char *command,
                      char *err, size_t bytes);
/* The pid the pidfile names when that process is alive, else 0; -1 when the node could
 * not be asked. */
long fl_service_pid(fl_target_ctx *t, const fl_service *s, size_t node);

/* How to tell the daemon is ready. Exactly one of: */
typedef struct fl_service_check {
    const char *command;     /* a shell command run on the node that exits 0 when ready */
    int tcp_port;            /* a TCP connect from the controller to the node's host */
    /* a protocol ping from the controller: true when it answered */
    bool (*probe)(fl_target_ctx *t, size_t node, const void *arg, int timeout_ms);
    const void *arg;
    const char *what;        /* for the error: "a ping on port 7001" (NULL: made up) */
} fl_service_check;

/* Whether check holds now. */
bool fl_service_check_once(fl_target_ctx *t, size_t node, const fl_service_check *check,
                           int timeout_ms);
/* Poll check until it holds or timeout_ms passed; then -1 with err naming the check and
 * the tail of the log (and whether the process is still alive). A daemon seen gone twice,
 * a second apart, ends the wait at once with the same (it will never answer). */
int fl_service_wait(fl_target_ctx *t, const fl_service *s, size_t node,
                    const fl_service_check *check, int timeout_ms, char *err, size_t bytes);
/* launch, then wait (timeout_ms). */
int fl_service_start(fl_target_ctx *t, const fl_service *s, size_t node, const char *command,
                     const fl_service_check *check, int timeout_ms, char *err, size_t bytes);

/* Signal the process the pidfile names: TERM, then KILL after the grace (stop); KILL
 * (kill); STOP / CONT (pause / resume). None running is not an error. 0, or -1. */
int fl_service_stop(fl_target_ctx *t, const fl_service *s, size_t node, char *err, size_t bytes);
int fl_service_kill(fl_target_ctx *t, const fl_service *s, size_t node, char *err, size_t bytes);
int fl_service_pause(fl_target_ctx *t, const fl_service *s, size_t node, char *err, size_t bytes);
int fl_service_resume(fl_target_ctx *t, const fl_service *s, size_t node, char *err,
                      size_t bytes);
/* Copy <name>.log into dir as <name>.log. */
int fl_service_fetch_logs(fl_target_ctx *t, const fl_service *s, size_t node, const char *dir,
                          char *err, size_t bytes);

/* "n1=10.213.0.11:7001,n2=…" for every node (a --peers value), malloc'd; NULL when out of
 * memory. */
char *fl_service_peers(const fl_target_ctx *t, int port);
/* The same with a scheme before each address: "n1=http://10.213.0.11:2380,…" (etcd's
 * --initial-cluster). */
char *fl_service_peers_url(const fl_target_ctx *t, const char *scheme, int port);

#endif
