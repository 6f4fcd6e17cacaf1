/* In-tree servers on the nodes over the generic daemon: upload, start, stop, logs, and
 * their JSON-lines client (see daemon.h). */
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl_client.h"
#include "libexec.h"
#include "shell_quote.h"

#define START_WAIT_MS 15000

/* The generic daemon under it: the fl-* servers write their own pidfile. */
static fl_service service_of(const fl_daemon *d) {
    return (fl_service){.name = d->name, .writes_pidfile = true};
}

int fl_daemon_setup(fl_target_ctx *t, const fl_daemon *d, char *err, size_t bytes) {
    char local[4096];
    fl_service s = service_of(d);
    if (fl_libexec_path(d->binary, local, sizeof local, err, bytes) != 0) return -1;
    for (size_t i = 0; i < t->nodes->count; i++) {
        const fl_node *n = &t->nodes->nodes[i];
        char remote[4096], cmd[8192], why[FL_REMOTE_ERR_BYTES];
        char *work_q = fl_shell_quote(n->workdir);
        snprintf(cmd, sizeof cmd, "mkdir -p %s/bin", work_q);
        free(work_q);
        int rc = fl_remote_run(t->control->remotes[i], cmd, NULL, 30000, NULL, NULL, 0, err,
                               bytes) == 0 ? 0 : -1;
        if (rc == 0) rc = fl_service_prepare(t, &s, i, err, bytes);
        snprintf(remote, sizeof remote, "%s/bin/%s", n->workdir, d->binary);
        if (rc == 0 && fl_remote_upload(t->control->remotes[i], local, remote, why) != 0) {
            snprintf(err, bytes, "%s: uploading %s: %s", n->name, d->binary, why);
            rc = -1;
        }
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

static bool ping_probe(fl_target_ctx *t, size_t node, const void *arg, int timeout_ms) {
    return fl_daemon_answers(t, arg, node, timeout_ms);
}

int fl_daemon_start(fl_target_ctx *t, const fl_daemon *d, size_t node, char *err, size_t bytes) {
    const fl_node *n = &t->nodes->nodes[node];
    fl_service s = service_of(d);
    char *peers = fl_service_peers(t, d->port);
    char *work_q = fl_shell_quote(n->workdir);
    char *pid_q = fl_service_path_q(t, &s, node, FL_SERVICE_PIDFILE);
    char *data_q = fl_service_path_q(t, &s, node, FL_SERVICE_DATA);
    size_t cap = 16384 + (peers ? strlen(peers) : 0);
    char *cmd = malloc(cap), *flags = malloc(4096), bug[256];
    int rc = -1;
    if (!peers || !work_q || !pid_q || !data_q || !cmd || !flags) {
        snprintf(err, bytes, "out of memory");
        goto out;
    }
    flags[0] = bug[0] = '\0';
    if (d->flags) d->flags(t, flags, 4096);
    if (d->bug_flags) d->bug_flags(t, bug, sizeof bug);
    else if (t->bug) snprintf(bug, sizeof bug, " --bug %s", t->bug);
    snprintf(cmd, cap, "%s/bin/%s --id %s --listen %s:%d --peers %s%s%s --pidfile %s --data-dir %s",
             work_q, d->binary, n->name, n->host, d->port, peers, flags, bug, pid_q, data_q);
    char what[64];
    snprintf(what, sizeof what, "a ping on port %d", d->port);
    fl_service_check ping = {.probe = ping_probe, .arg = d, .what = what};
    rc = fl_service_start(t, &s, node, cmd, &ping, START_WAIT_MS, err, bytes);
out:
    free(peers);
    free(work_q);
    free(pid_q);
    free(data_q);
    free(cmd);
    free(flags);
    return rc;
}

int fl_daemon_stop(fl_target_ctx *t, const fl_daemon *d, size_t node, char *err, size_t bytes) {
    fl_service s = service_of(d);
    return fl_service_stop(t, &s, node, err, bytes);
}

int fl_daemon_fetch_logs(fl_target_ctx *t, const fl_daemon *d, size_t node, const char *dir,
                         char *err, size_t bytes) {
    fl_service s = service_of(d);
    return fl_service_fetch_logs(t, &s, node, dir, err, bytes);
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
