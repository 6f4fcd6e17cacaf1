/* In-tree servers on the nodes: upload, start, wait, stop, logs (see daemon.h). */
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonl_client.h"
#include "libexec.h"
#include "shell_quote.h"

#define EXEC_TIMEOUT_MS 30000
#define START_WAIT_MS 15000

/* Run a command (what: its label in errors) on node; 0 when it exited 0, else -1 with
 * err (fl_remote_run's). err may be NULL with bytes 0 when the caller does not want it. */
static int run(fl_target_ctx *t, size_t node, const char *command, const char *what, char *out,
               size_t out_bytes, char *err, size_t bytes) {
    return fl_remote_run(t->control->remotes[node], command, what, EXEC_TIMEOUT_MS, NULL, out,
                         out_bytes, err, bytes) == 0 ? 0 : -1;
}

/* "<workdir>/<name>", quoted for the shell; malloc'd. */
static char *folder_q(fl_target_ctx *t, const fl_daemon *d, size_t node) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", t->nodes->nodes[node].workdir, d->name);
    return fl_shell_quote(path);
}

/* Kill whatever the pidfile names (TERM, up to 5 s, then KILL). */
static void stop_command(char *cmd, size_t bytes, const char *dir_q, const char *name) {
    snprintf(cmd, bytes,
             "p=$(cat %s/%s.pid 2>/dev/null) || exit 0; [ -n \"$p\" ] || exit 0; "
             "kill -TERM \"$p\" 2>/dev/null || exit 0; "
             "for i in $(seq 50); do kill -0 \"$p\" 2>/dev/null || exit 0; sleep 0.1; done; "
             "kill -KILL \"$p\" 2>/dev/null; exit 0",
             dir_q, name);
}

int fl_daemon_setup(fl_target_ctx *t, const fl_daemon *d, char *err, size_t bytes) {
    char local[4096];
    if (fl_libexec_path(d->binary, local, sizeof local, err, bytes) != 0) return -1;
    for (size_t i = 0; i < t->nodes->count; i++) {
        const fl_node *n = &t->nodes->nodes[i];
        char remote[4096], cmd[12288], why[FL_REMOTE_ERR_BYTES];
        char *dir_q = folder_q(t, d, i), *work_q = fl_shell_quote(n->workdir);
        snprintf(cmd, sizeof cmd, "mkdir -p %s/bin %s", work_q, dir_q);
        int rc = run(t, i, cmd, NULL, NULL, 0, err, bytes);
        if (rc == 0) {
            stop_command(cmd, sizeof cmd, dir_q, d->name);
            rc = run(t, i, cmd, "stop", NULL, 0, err, bytes);
        }
        if (rc == 0) {
            snprintf(cmd, sizeof cmd, "rm -rf %s/data %s/%s.pid %s/%s.log && mkdir -p %s/data",
                     dir_q, dir_q, d->name, dir_q, d->name, dir_q);
            rc = run(t, i, cmd, NULL, NULL, 0, err, bytes);
        }
        snprintf(remote, sizeof remote, "%s/bin/%s", n->workdir, d->binary);
        if (rc == 0 && fl_remote_upload(t->control->remotes[i], local, remote, why) != 0) {
            snprintf(err, bytes, "%s: uploading %s: %s", n->name, d->binary, why);
            rc = -1;
        }
        free(dir_q);
        free(work_q);
        if (rc != 0) return -1;
    }
    return 0;
}

bool fl_daemon_answers(fl_target_ctx *t, const fl_daemon *d, size_t node, int timeout_ms) {
    char why[256];
    fl_jsonl_client *c = fl_jsonl_client_open(t->nodes->nodes[node].host, d->port, timeout_ms,
                                              why, sizeof why);
    if (!c) return false;
    fl_request ping = {"ping", NULL, NULL};
    fl_reply r;
    fl_jsonl_client_invoke(c, &ping, timeout_ms, &r);
    json_decref(r.value);
    fl_jsonl_client_close(c);
    return r.type == FL_REPLY_OK;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int fl_daemon_start(fl_target_ctx *t, const fl_daemon *d, size_t node, const char *args,
                    char *err, size_t bytes) {
    const fl_node *n = &t->nodes->nodes[node];
    char *dir_q = folder_q(t, d, node), *work_q = fl_shell_quote(n->workdir);
    char cmd[16384], shim[8192] = "";
    if (n->clock == FL_CLOCK_FAKETIME)
        snprintf(shim, sizeof shim,
                 "LD_PRELOAD=%s/bin/libflclock.so FL_CLOCK_FILE=%s/clock.offset "
                 "ASAN_OPTIONS=verify_asan_link_order=0 ",
                 work_q, work_q);
    /* Already running (a restart after a kill that did not happen)? Leave it. The
     * daemon alone goes to the background, its output to its log: nothing may keep the
     * channel's descriptors (an SSH channel), or the command would never end. */
    snprintf(cmd, sizeof cmd,
             "p=$(cat %s/%s.pid 2>/dev/null) && kill -0 \"$p\" 2>/dev/null && exit 0; "
             "rm -f %s/%s.pid; cd %s || exit 1; env %ssetsid %s/bin/%s %s --pidfile %s/%s.pid "
             "--data-dir %s/data </dev/null >>%s/%s.log 2>&1 &",
             dir_q, d->name, dir_q, d->name, dir_q, shim, work_q, d->binary, args, dir_q,
             d->name, dir_q, dir_q, d->name);
    int rc = run(t, node, cmd, "start", NULL, 0, err, bytes);
    double deadline = now_ms() + START_WAIT_MS;
    while (rc == 0 && !fl_daemon_answers(t, d, node, 500)) {
        if (now_ms() > deadline) {
            char tail[2048] = "";
            snprintf(cmd, sizeof cmd, "tail -n 5 %s/%s.log", dir_q, d->name);
            /* Best effort: tail stays empty when the log cannot be read. */
            run(t, node, cmd, NULL, tail, sizeof tail, NULL, 0);
            snprintf(err, bytes, "%s: %s did not answer on port %d within %d s; its log ends: %s",
                     n->name, d->binary, d->port, START_WAIT_MS / 1000, tail);
            rc = -1;
            break;
        }
        struct timespec pause = {0, 50 * 1000000};
        nanosleep(&pause, NULL);
    }
    free(dir_q);
    free(work_q);
    return rc;
}

int fl_daemon_stop(fl_target_ctx *t, const fl_daemon *d, size_t node, char *err, size_t bytes) {
    char cmd[8192];
    char *dir_q = folder_q(t, d, node);
    stop_command(cmd, sizeof cmd, dir_q, d->name);
    free(dir_q);
    return run(t, node, cmd, "stop", NULL, 0, err, bytes);
}

int fl_daemon_fetch_logs(fl_target_ctx *t, const fl_daemon *d, size_t node, const char *dir,
                         char *err, size_t bytes) {
    char remote[4096], local[4096], why[FL_REMOTE_ERR_BYTES];
    snprintf(remote, sizeof remote, "%s/%s/%s.log", t->nodes->nodes[node].workdir, d->name,
             d->name);
    snprintf(local, sizeof local, "%s/%s.log", dir, d->name);
    if (fl_remote_download(t->control->remotes[node], remote, local, why) != 0) {
        snprintf(err, bytes, "%s: fetching %s: %s", t->nodes->nodes[node].name, remote, why);
        return -1;
    }
    return 0;
}

struct fl_client {
    fl_jsonl_client *c;
    fl_target_ctx *t;
    const fl_daemon *d;
    int node;               /* where c is connected now */
};

fl_client *fl_daemon_client_open(fl_target_ctx *t, const fl_daemon *d, size_t node,
                                 int timeout_ms, char *err, size_t bytes) {
    fl_client *c = calloc(1, sizeof *c);
    if (!c) return snprintf(err, bytes, "out of memory"), NULL;
    c->t = t;
    c->d = d;
    c->node = (int)node;
    c->c = fl_jsonl_client_open(t->nodes->nodes[node].host, d->port, timeout_ms, err, bytes);
    if (!c->c) {
        free(c);
        return NULL;
    }
    return c;
}

/* The node a follower named as leader, or -1. */
static int node_named(const fl_target_ctx *t, const char *name) {
    for (size_t i = 0; name[0] && i < t->nodes->count; i++)
        if (!strcmp(t->nodes->nodes[i].name, name)) return (int)i;
    return -1;
}

void fl_daemon_client_invoke(fl_client *c, const fl_request *req, int timeout_ms,
                             fl_reply *out) {
    fl_jsonl_client_invoke(c->c, req, timeout_ms, out);
    /* A follower's definite refusal naming the leader: the op did not happen, so the
     * client follows the hint and sends it there (at most twice), and stays with that
     * node, so no session is pinned to a deposed leader. */
    for (int hops = 0; hops < 2 && out->type == FL_REPLY_FAIL && !strcmp(out->error, "not-leader");
         hops++) {
        int leader = node_named(c->t, out->leader);
        if (leader < 0) return;
        char why[256];
        fl_jsonl_client *next = fl_jsonl_client_open(c->t->nodes->nodes[leader].host, c->d->port,
                                                     timeout_ms, why, sizeof why);
        if (!next) return;
        fl_jsonl_client_close(c->c);
        c->c = next;
        c->node = leader;
        json_decref(out->value);
        fl_jsonl_client_invoke(c->c, req, timeout_ms, out);
    }
    out->node = c->node;
}

void fl_daemon_client_close(fl_client *c) {
    if (!c) return;
    fl_jsonl_client_close(c->c);
    free(c);
}
