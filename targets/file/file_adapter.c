/* A target file's adapter (see file_adapter.h). The file's templates are expanded per
 * node here (target_file.c checked their placeholders at load): paths are substituted
 * shell-quoted, the rest as they are. The daemon lives in <workdir>/<name>/ as every
 * fl_service does; its start line runs under `sh -c` from there. */
#include "file_adapter.h"

#include <assert.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_process.h"
#include "service.h"
#include "shell_quote.h"

#define SETUP_TIMEOUT_MS 300000 /* an install command may fetch packages */
#define PRIMARIES_TIMEOUT_MS 3000
/* How long a new client program may take to read its first request: an interpreter's
 * start-up (python3 through pyenv's shim takes ~0.35 s on an idle machine, seconds when
 * ten start at once on a loaded one) is not the op's time. */
#define CLIENT_START_TIMEOUT_MS 20000

static const fl_target_option no_options[] = {{NULL, NULL, NULL}};

/* The file whose target this run is (a suite may have loaded several). */
static const fl_target_file *file(const fl_target_ctx *t) {
    const fl_target_file *tf = fl_target_file_of(t->target);
    assert(tf);
    return tf;
}

static fl_service service(const fl_target_ctx *t) {
    const fl_target_file *tf = file(t);
    return (fl_service){.name = tf->name, .writes_pidfile = tf->writes_pidfile,
                        .no_clock_shim = !tf->clock_shim};
}

/* The {bug_flags} of this run's bug ("" in the correct mode). */
static const char *bug_flags(const fl_target_ctx *t) {
    const fl_target_file *tf = file(t);
    for (size_t i = 0; t->bug && tf->bugs[i].name; i++)
        if (!strcmp(tf->bugs[i].name, t->bug)) return tf->bug_flags[i];
    return "";
}

/* "h1,h2,h3" */
static char *hosts_list(const fl_target_ctx *t) {
    size_t cap = 1;
    for (size_t i = 0; i < t->nodes->count; i++) cap += strlen(t->nodes->nodes[i].host) + 1;
    char *out = calloc(1, cap);
    for (size_t i = 0; out && i < t->nodes->count; i++) {
        if (i) strcat(out, ",");
        strcat(out, t->nodes->nodes[i].host);
    }
    return out;
}

/* template expanded for node (malloc'd), or NULL with err: for a shell command line
 * (shell: paths quoted) or for a path the harness itself opens (paths as they are). */
static char *expand(fl_target_ctx *t, size_t node, const char *template, bool shell,
                    char *err, size_t bytes) {
    const fl_target_file *tf = file(t);
    const fl_node *n = &t->nodes->nodes[node];
    fl_service s = service(t);
    char index[16], port[16];
    snprintf(index, sizeof index, "%zu", node + 1);
    snprintf(port, sizeof port, "%d", tf->port);
    char *(*path)(const fl_target_ctx *, const fl_service *, size_t, fl_service_path) =
        shell ? fl_service_path_q : fl_service_path_of;
    char *peers = fl_service_peers(t, tf->port), *hosts = hosts_list(t),
         *work = shell ? fl_shell_quote(n->workdir) : strdup(n->workdir),
         *dir = path(t, &s, node, FL_SERVICE_DIR), *data = path(t, &s, node, FL_SERVICE_DATA),
         *log = path(t, &s, node, FL_SERVICE_LOG), *pid = path(t, &s, node, FL_SERVICE_PIDFILE);
    char *out = NULL;
    if (peers && hosts && work && dir && data && log && pid) {
        const char *names[] = {"node", "host", "index", "port", "peers", "hosts", "first_host",
                               "workdir", "dir", "data", "log", "pidfile", "bug_flags", NULL};
        const char *values[] = {n->name, n->host, index, port, peers, hosts,
                                t->nodes->nodes[0].host, work, dir, data, log, pid,
                                bug_flags(t), NULL};
        out = fl_tf_expand(template, names, values, err, bytes);
    } else {
        snprintf(err, bytes, "out of memory");
    }
    free(peers), free(hosts), free(work), free(dir), free(data), free(log), free(pid);
    return out;
}

static char *expand_for(fl_target_ctx *t, size_t node, const char *template, char *err,
                        size_t bytes) {
    return expand(t, node, template, true, err, bytes);
}

static char *path_for(fl_target_ctx *t, size_t node, const char *template, char *err,
                      size_t bytes) {
    return expand(t, node, template, false, err, bytes);
}

static int file_setup(fl_target_ctx *t, char *err, size_t bytes) {
    const fl_target_file *tf = file(t);
    fl_service s = service(t);
    for (size_t i = 0; i < t->nodes->count; i++) {
        if (fl_service_prepare(t, &s, i, err, bytes) != 0) return -1;
        for (size_t u = 0; u < tf->upload_count; u++) {
            char *to = path_for(t, i, tf->uploads[u].to, err, bytes);
            if (!to) return -1;
            /* The destination's folder first (to is a path, not a shell word). */
            char *to_copy = strdup(to), *folder_q = to_copy ? fl_shell_quote(dirname(to_copy)) : NULL,
                 cmd[8192], why[FL_REMOTE_ERR_BYTES];
            snprintf(cmd, sizeof cmd, "mkdir -p %s", folder_q ? folder_q : "/nonexistent");
            int rc = fl_service_shell(t, i, cmd, "mkdir for an upload", 30000, err, bytes);
            if (rc == 0 && fl_remote_upload(t->control->remotes[i], tf->uploads[u].from, to, why) != 0) {
                snprintf(err, bytes, "%s: uploading %s to %s: %s", t->nodes->nodes[i].name,
                         tf->uploads[u].from, to, why);
                rc = -1;
            }
            free(to), free(to_copy), free(folder_q);
            if (rc != 0) return -1;
        }
        if (tf->install) {
            char *cmd = expand_for(t, i, tf->install, err, bytes);
            int rc = cmd ? fl_service_shell(t, i, cmd, "the target file's install command",
                                            SETUP_TIMEOUT_MS, err, bytes) : -1;
            free(cmd);
            if (rc != 0) return -1;
        }
    }
    return 0;
}

static bool client_ping(fl_target_ctx *t, size_t node, const void *arg, int timeout_ms);

static int file_start(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    const fl_target_file *tf = file(t);
    fl_service s = service(t);
    char *line = expand_for(t, node, tf->start, err, bytes);
    char *line_q = line ? fl_shell_quote(line) : NULL;
    char *ready = tf->ready_command ? expand_for(t, node, tf->ready_command, err, bytes) : NULL;
    char *cmd = NULL;
    int rc = -1;
    if (line_q && (ready || !tf->ready_command) && asprintf(&cmd, "sh -c %s", line_q) > 0) {
        char what[128];
        snprintf(what, sizeof what, tf->ready_command ? "the ready command" :
                 tf->ready_tcp ? "a connection to port %d" : "a ping from the client",
                 tf->ready_tcp);
        fl_service_check check = {.command = ready, .tcp_port = tf->ready_tcp,
                                  .probe = tf->ready_client ? client_ping : NULL, .what = what};
        rc = fl_service_start(t, &s, node, cmd, &check, tf->ready_timeout_ms, err, bytes);
    }
    free(line), free(line_q), free(ready), free(cmd);
    return rc;
}

static int file_stop(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    fl_service s = service(t);
    return fl_service_stop(t, &s, node, err, bytes);
}

/* The service's log, then every log the file names (one missing is noted, not fatal). */
static int file_fetch_logs(fl_target_ctx *t, size_t node, const char *dir, char *err,
                           size_t bytes) {
    const fl_target_file *tf = file(t);
    fl_service s = service(t);
    int rc = fl_service_fetch_logs(t, &s, node, dir, err, bytes);
    for (size_t i = 0; i < tf->log_count; i++) {
        char why[FL_REMOTE_ERR_BYTES], local[4096];
        char *remote = path_for(t, node, tf->logs[i], why, sizeof why);
        if (!remote) continue;
        char *copy = strdup(remote);
        snprintf(local, sizeof local, "%s/%s", dir, copy ? basename(copy) : "log");
        if (fl_remote_download(t->control->remotes[node], remote, local, why) != 0 && t->log)
            fprintf(t->log, "%s: log %s not fetched: %s\n", t->nodes->nodes[node].name, remote, why);
        free(remote), free(copy);
    }
    return rc;
}

static void file_teardown(fl_target_ctx *t) {
    (void)t;
}

struct fl_client {
    fl_client_process *p;
};

static fl_client *file_client_open(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                                   size_t bytes) {
    (void)timeout_ms;
    const fl_target_file *tf = file(t);
    char log[4096] = "";
    if (t->run_dir) snprintf(log, sizeof log, "%s/client.log", t->run_dir);
    char *hosts = hosts_list(t);
    fl_client *c = calloc(1, sizeof *c);
    if (c && hosts)
        c->p = fl_client_process_open(tf->client_argv, t->nodes->nodes[node].name,
                                      t->nodes->nodes[node].host, tf->port, hosts,
                                      log[0] ? log : NULL, CLIENT_START_TIMEOUT_MS, err, bytes);
    else snprintf(err, bytes, "out of memory");
    free(hosts);
    if (c && !c->p) {
        free(c);
        c = NULL;
    }
    return c;
}

static void file_client_invoke(fl_client *c, const fl_request *req, int timeout_ms,
                               fl_reply *out) {
    fl_client_process_invoke(c->p, req, timeout_ms, out);
}

static void file_client_close(fl_client *c) {
    fl_client_process_close(c->p);
    free(c);
}

static bool client_ping(fl_target_ctx *t, size_t node, const void *arg, int timeout_ms) {
    (void)arg;
    char err[256];
    fl_client *c = file_client_open(t, node, timeout_ms, err, sizeof err);
    if (!c) return false;
    fl_request ping = {"ping", NULL, NULL};
    fl_reply r;
    file_client_invoke(c, &ping, timeout_ms, &r);
    json_decref(r.value);
    file_client_close(c);
    return r.type == FL_REPLY_OK;
}

/* The file's primaries command on every node: exit 0 is primary, 1 is not; anything
 * else (or no answer) is an error, never a guess. */
static int file_primaries(fl_target_ctx *t, uint64_t *nodes, char *err, size_t bytes) {
    const fl_target_file *tf = file(t);
    *nodes = 0;
    for (size_t i = 0; i < t->nodes->count && i < 64; i++) {
        char *cmd = expand_for(t, i, tf->primaries, err, bytes);
        if (!cmd) return -1;
        int status = -1;
        int rc = fl_remote_run(t->control->remotes[i], cmd, "the primaries command",
                               PRIMARIES_TIMEOUT_MS, &status, NULL, 0, err, bytes);
        free(cmd);
        if (rc < 0 || (status != 0 && status != 1)) {
            if (rc >= 0)
                snprintf(err, bytes, "%s: the primaries command exited %d (0: primary, 1: not)",
                         t->nodes->nodes[i].name, status);
            return -1;
        }
        if (status == 0) *nodes |= UINT64_C(1) << i;
    }
    return 0;
}

void fl_file_adapter_fill(fl_target_file *tf) {
    tf->target = (fl_target){
        .name = tf->name,
        .summary = tf->summary ? tf->summary : "a target file",
        .ops = tf->ops,
        .bugs = tf->bugs,
        .options = no_options,
        .pidfile = tf->pidfile_template,
        .defaults = tf->has_defaults ? &tf->defaults : NULL,
        .clock_shim_blind = tf->clock_shim ? NULL
                                           : "its target file says \"clock_shim\": false (a Go "
                                             "or static program the shim cannot reach)",
        .workloads = tf->workloads[0] ? tf->workloads : NULL,
        .setup = file_setup,
        .start = file_start,
        .stop = file_stop,
        .fetch_logs = file_fetch_logs,
        .teardown = file_teardown,
        .client_open = file_client_open,
        .client_invoke = file_client_invoke,
        .client_close = file_client_close,
        .primaries = tf->primaries ? file_primaries : NULL,
    };
}
