/* A generic daemon on the nodes: start, wait, stop, kill, pause, wipe, logs (service.h). */
#include "service.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonl_client.h"
#include "shell_quote.h"

#define EXEC_TIMEOUT_MS 30000
#define STOP_GRACE_MS 5000
#define POLL_PAUSE_MS 50
#define CHECK_TIMEOUT_MS 500
/* A check that cannot finish in its time would never pass (a client program that takes
 * over 500 ms to start on a loaded host, pinging a daemon long up): each failed check
 * doubles the next one's time, up to this. */
#define CHECK_TIMEOUT_MAX_MS 8000
#define ALIVE_EVERY_MS 1000
/* "The process $p is alive", in sh: kill -0 alone calls a zombie alive, and a killed
 * daemon stays one until whoever inherited it reaps it (a container's PID 1 may take its
 * time), so a restart right after a kill would think it still runs and start nothing. */
#define P_ALIVE "{ kill -0 \"$p\" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' /proc/\"$p\"/status; }"

/* Run a command (what: its label in errors) on node; 0 when it exited 0, else -1 with
 * err (fl_remote_run's). err may be NULL with bytes 0 when the caller does not want it. */
static int run(fl_target_ctx *t, size_t node, const char *command, const char *what, char *out,
               size_t out_bytes, char *err, size_t bytes) {
    return fl_remote_run(t->control->remotes[node], command, what, EXEC_TIMEOUT_MS, NULL, out,
                         out_bytes, err, bytes) == 0 ? 0 : -1;
}

int fl_service_shell(fl_target_ctx *t, size_t node, const char *command, const char *what,
                     int timeout_ms, char *err, size_t bytes) {
    return fl_remote_run(t->control->remotes[node], command, what, timeout_ms, NULL, NULL, 0,
                         err, bytes) == 0 ? 0 : -1;
}

char *fl_service_path_of(const fl_target_ctx *t, const fl_service *s, size_t node,
                         fl_service_path which) {
    assert(node < t->nodes->count);
    assert(s->name && s->name[0] && !strchr(s->name, '/')); /* a folder name, not a path */
    const char *w = t->nodes->nodes[node].workdir;
    char path[4096];
    switch (which) {
    case FL_SERVICE_DIR: snprintf(path, sizeof path, "%s/%s", w, s->name); break;
    case FL_SERVICE_DATA: snprintf(path, sizeof path, "%s/%s/data", w, s->name); break;
    case FL_SERVICE_PIDFILE: snprintf(path, sizeof path, "%s/%s/%s.pid", w, s->name, s->name); break;
    case FL_SERVICE_LOG: snprintf(path, sizeof path, "%s/%s/%s.log", w, s->name, s->name); break;
    }
    return strdup(path);
}

char *fl_service_path_q(const fl_target_ctx *t, const fl_service *s, size_t node,
                        fl_service_path which) {
    char *p = fl_service_path_of(t, s, node, which);
    char *q = p ? fl_shell_quote(p) : NULL;
    free(p);
    return q;
}

/* "<dir>/<name>.launched", quoted: the pid of the process the launcher started, for a
 * daemon that writes its own pidfile (which it may not have written yet, or never will
 * when it fails at once). malloc'd. */
static char *launched_q(const fl_target_ctx *t, const fl_service *s, size_t node) {
    assert(node < t->nodes->count);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s.launched", t->nodes->nodes[node].workdir, s->name,
             s->name);
    return fl_shell_quote(path);
}

/* Send sig to what the pidfile names; with grace_ms > 0 (TERM), KILL it when it is still
 * alive after that. Nothing running is fine. */
static int signal_command(fl_target_ctx *t, const fl_service *s, size_t node, const char *sig,
                          int grace_ms, const char *what, char *err, size_t bytes) {
    char cmd[8192];
    char *pid_q = fl_service_path_q(t, s, node, FL_SERVICE_PIDFILE);
    if (!pid_q) return snprintf(err, bytes, "out of memory"), -1;
    int at = snprintf(cmd, sizeof cmd,
                      "p=$(cat %s 2>/dev/null) || exit 0; [ -n \"$p\" ] || exit 0; "
                      "kill -%s \"$p\" 2>/dev/null || exit 0; ",
                      pid_q, sig);
    if (grace_ms > 0)
        snprintf(cmd + at, sizeof cmd - (size_t)at,
                 "for i in $(seq %d); do " P_ALIVE " || exit 0; sleep 0.1; done; "
                 "kill -KILL \"$p\" 2>/dev/null; exit 0",
                 (grace_ms + 99) / 100);
    else
        snprintf(cmd + at, sizeof cmd - (size_t)at, "exit 0");
    free(pid_q);
    return run(t, node, cmd, what, NULL, 0, err, bytes);
}

static int grace(const fl_service *s) { return s->stop_grace_ms > 0 ? s->stop_grace_ms : STOP_GRACE_MS; }

int fl_service_stop(fl_target_ctx *t, const fl_service *s, size_t node, char *err, size_t bytes) {
    return signal_command(t, s, node, "TERM", grace(s), "stop", err, bytes);
}

int fl_service_kill(fl_target_ctx *t, const fl_service *s, size_t node, char *err, size_t bytes) {
    return signal_command(t, s, node, "KILL", 0, "kill", err, bytes);
}

int fl_service_pause(fl_target_ctx *t, const fl_service *s, size_t node, char *err, size_t bytes) {
    return signal_command(t, s, node, "STOP", 0, "pause", err, bytes);
}

int fl_service_resume(fl_target_ctx *t, const fl_service *s, size_t node, char *err,
                      size_t bytes) {
    return signal_command(t, s, node, "CONT", 0, "resume", err, bytes);
}

int fl_service_wipe(fl_target_ctx *t, const fl_service *s, size_t node, char *err, size_t bytes) {
    char cmd[8192];
    char *data_q = fl_service_path_q(t, s, node, FL_SERVICE_DATA);
    if (!data_q) return snprintf(err, bytes, "out of memory"), -1;
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", data_q, data_q);
    free(data_q);
    return run(t, node, cmd, NULL, NULL, 0, err, bytes);
}

int fl_service_prepare(fl_target_ctx *t, const fl_service *s, size_t node, char *err,
                       size_t bytes) {
    char cmd[12288];
    char *dir_q = fl_service_path_q(t, s, node, FL_SERVICE_DIR);
    char *pid_q = fl_service_path_q(t, s, node, FL_SERVICE_PIDFILE);
    char *log_q = fl_service_path_q(t, s, node, FL_SERVICE_LOG);
    int rc = -1;
    if (!dir_q || !pid_q || !log_q) {
        snprintf(err, bytes, "out of memory");
        goto out;
    }
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir_q);
    rc = run(t, node, cmd, NULL, NULL, 0, err, bytes);
    if (rc == 0) rc = fl_service_stop(t, s, node, err, bytes);
    if (rc == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf %s/data %s %s %s/*.launched && mkdir -p %s/data",
                 dir_q, pid_q, log_q, dir_q, dir_q);
        rc = run(t, node, cmd, NULL, NULL, 0, err, bytes);
    }
out:
    free(dir_q);
    free(pid_q);
    free(log_q);
    return rc;
}

int fl_service_launch(fl_target_ctx *t, const fl_service *s, size_t node, const char *command,
                      char *err, size_t bytes) {
    const fl_node *n = &t->nodes->nodes[node];
    char *dir_q = fl_service_path_q(t, s, node, FL_SERVICE_DIR);
    char *pid_q = fl_service_path_q(t, s, node, FL_SERVICE_PIDFILE);
    char *log_q = fl_service_path_q(t, s, node, FL_SERVICE_LOG);
    char *work_q = fl_shell_quote(n->workdir);
    char *started_q = launched_q(t, s, node);
    size_t cap = strlen(command) + 28672;
    char *cmd = malloc(cap), shim[8192] = "";
    int rc = -1;
    if (!dir_q || !pid_q || !log_q || !work_q || !started_q || !cmd) {
        snprintf(err, bytes, "out of memory");
        goto out;
    }
    if (n->clock == FL_CLOCK_FAKETIME && !s->no_clock_shim)
        snprintf(shim, sizeof shim,
                 "LD_PRELOAD=%s/bin/libflclock.so FL_CLOCK_FILE=%s/clock.offset "
                 "ASAN_OPTIONS=verify_asan_link_order=0 ",
                 work_q, work_q);
    /* Already running (a restart after a kill that did not happen)? Leave it. The
     * daemon alone goes to the background, its output to its log: nothing may keep the
     * channel's descriptors (an SSH channel), or the command would never end. Without
     * job control the background job is no group leader, so setsid does not fork and $!
     * is the daemon's pid: the pidfile's, or the launched file's when the daemon writes
     * its own (fl_service_wait watches it). */
    snprintf(cmd, cap,
             "p=$(cat %s 2>/dev/null) && [ -n \"$p\" ] && " P_ALIVE " && exit 0; "
             "rm -f %s; cd %s || exit 1; env %ssetsid %s </dev/null >>%s 2>&1 & echo $! >%s",
             pid_q, pid_q, dir_q, shim, command, log_q, s->writes_pidfile ? started_q : pid_q);
    rc = run(t, node, cmd, "start", NULL, 0, err, bytes);
out:
    free(cmd);
    free(dir_q);
    free(pid_q);
    free(log_q);
    free(work_q);
    free(started_q);
    return rc;
}

long fl_service_pid(fl_target_ctx *t, const fl_service *s, size_t node) {
    char cmd[8192], out[64] = "";
    char *pid_q = fl_service_path_q(t, s, node, FL_SERVICE_PIDFILE);
    if (!pid_q) return -1;
    snprintf(cmd, sizeof cmd,
             "p=$(cat %s 2>/dev/null) && [ -n \"$p\" ] && " P_ALIVE " && "
             "echo \"$p\"; exit 0",
             pid_q);
    free(pid_q);
    if (run(t, node, cmd, NULL, out, sizeof out, NULL, 0) != 0) return -1;
    return strtol(out, NULL, 10);
}

bool fl_service_check_once(fl_target_ctx *t, size_t node, const fl_service_check *check,
                           int timeout_ms) {
    /* service.h: exactly one way to tell */
    assert((check->probe != NULL) + (check->command != NULL) + (check->tcp_port > 0) == 1);
    if (check->probe) return check->probe(t, node, check->arg, timeout_ms);
    if (check->command)
        return fl_remote_run(t->control->remotes[node], check->command, NULL, timeout_ms, NULL,
                             NULL, 0, NULL, 0) == 0;
    char why[256];
    fl_jsonl_client *c = fl_jsonl_client_open(t->nodes->nodes[node].host, check->tcp_port,
                                              timeout_ms, why, sizeof why);
    fl_jsonl_client_close(c);
    return c != NULL;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Whether the daemon runs: the process its pidfile or (for one that writes its own
 * pidfile) the launcher's record names is alive. 1, 0, or -1 when the node could not be
 * asked. */
static int daemon_alive(fl_target_ctx *t, const fl_service *s, size_t node) {
    char cmd[8192], out[16] = "";
    char *pid_q = fl_service_path_q(t, s, node, FL_SERVICE_PIDFILE);
    char *started_q = launched_q(t, s, node);
    if (!pid_q || !started_q) {
        free(pid_q);
        free(started_q);
        return -1;
    }
    snprintf(cmd, sizeof cmd,
             "for f in %s %s; do p=$(cat \"$f\" 2>/dev/null) && [ -n \"$p\" ] && " P_ALIVE
             " && { echo alive; exit 0; }; done; echo dead",
             pid_q, started_q);
    free(pid_q);
    free(started_q);
    if (run(t, node, cmd, NULL, out, sizeof out, NULL, 0) != 0) return -1;
    return strncmp(out, "alive", 5) == 0 ? 1 : !strncmp(out, "dead", 4) ? 0 : -1;
}

/* What a check is, for errors: "a ping on port 7001". */
static void check_what(const fl_service_check *check, char *what, size_t bytes) {
    if (check->what) snprintf(what, bytes, "%s", check->what);
    else if (check->command) snprintf(what, bytes, "its check `%s`", check->command);
    else if (check->probe) snprintf(what, bytes, "its ping");
    else snprintf(what, bytes, "a connect to port %d", check->tcp_port);
}

/* The log's last lines; empty when it cannot be read (best effort: for an error). */
static void log_tail(fl_target_ctx *t, const fl_service *s, size_t node, char *tail,
                     size_t bytes) {
    char cmd[8192];
    tail[0] = '\0';
    char *log_q = fl_service_path_q(t, s, node, FL_SERVICE_LOG);
    if (!log_q) return;
    snprintf(cmd, sizeof cmd, "tail -n 5 %s", log_q);
    run(t, node, cmd, NULL, tail, bytes, NULL, 0);
    free(log_q);
}

int fl_service_wait(fl_target_ctx *t, const fl_service *s, size_t node,
                    const fl_service_check *check, int timeout_ms, char *err, size_t bytes) {
    assert(timeout_ms > 0);
    double started = now_ms(), deadline = started + timeout_ms;
    /* A daemon that died (a bad flag, a port in use) will never answer: seen gone twice,
     * a second apart (one that forks may be between its parent's exit and its pidfile),
     * the wait ends then rather than at the deadline. */
    double next_look = started + ALIVE_EVERY_MS;
    int seen_gone = 0;
    char what[128], tail[2048];
    int check_ms = CHECK_TIMEOUT_MS;
    while (!fl_service_check_once(t, node, check, check_ms)) {
        check_ms = check_ms * 2 > CHECK_TIMEOUT_MAX_MS ? CHECK_TIMEOUT_MAX_MS : check_ms * 2;
        double now = now_ms();
        if (now >= next_look) {
            seen_gone = daemon_alive(t, s, node) == 0 ? seen_gone + 1 : 0;
            next_look = now + ALIVE_EVERY_MS;
            if (seen_gone >= 2 && !fl_service_check_once(t, node, check, CHECK_TIMEOUT_MS)) {
                check_what(check, what, sizeof what);
                log_tail(t, s, node, tail, sizeof tail);
                snprintf(err, bytes, "%s: %s exited %.1f s after it was started, before it "
                         "answered %s; its log ends: %s", t->nodes->nodes[node].name, s->name,
                         (now_ms() - started) / 1e3, what, tail);
                return -1;
            }
        }
        if (now > deadline) {
            check_what(check, what, sizeof what);
            log_tail(t, s, node, tail, sizeof tail);
            snprintf(err, bytes, "%s: %s did not answer %s within %d s%s; its log ends: %s",
                     t->nodes->nodes[node].name, s->name, what, timeout_ms / 1000,
                     fl_service_pid(t, s, node) > 0 ? "" : " (and is not running)", tail);
            return -1;
        }
        struct timespec pause = {0, POLL_PAUSE_MS * 1000000};
        nanosleep(&pause, NULL);
    }
    return 0;
}

int fl_service_start(fl_target_ctx *t, const fl_service *s, size_t node, const char *command,
                     const fl_service_check *check, int timeout_ms, char *err, size_t bytes) {
    if (fl_service_launch(t, s, node, command, err, bytes) != 0) return -1;
    return fl_service_wait(t, s, node, check, timeout_ms, err, bytes);
}

int fl_service_fetch_logs(fl_target_ctx *t, const fl_service *s, size_t node, const char *dir,
                          char *err, size_t bytes) {
    char local[4096], why[FL_REMOTE_ERR_BYTES];
    char *remote = fl_service_path_of(t, s, node, FL_SERVICE_LOG);
    if (!remote) return snprintf(err, bytes, "out of memory"), -1;
    snprintf(local, sizeof local, "%s/%s.log", dir, s->name);
    int rc = fl_remote_download(t->control->remotes[node], remote, local, why);
    if (rc != 0) snprintf(err, bytes, "%s: fetching %s: %s", t->nodes->nodes[node].name, remote, why);
    free(remote);
    return rc != 0 ? -1 : 0;
}

char *fl_service_peers_url(const fl_target_ctx *t, const char *scheme, int port) {
    size_t cap = 64 + t->nodes->count * (96 + strlen(scheme));
    for (size_t i = 0; i < t->nodes->count; i++)
        cap += strlen(t->nodes->nodes[i].name) + strlen(t->nodes->nodes[i].host);
    char *a = malloc(cap);
    if (!a) return NULL;
    size_t at = 0;
    a[0] = '\0';
    for (size_t i = 0; i < t->nodes->count; i++)
        at += (size_t)snprintf(a + at, cap - at, "%s%s=%s%s:%d", i ? "," : "",
                               t->nodes->nodes[i].name, scheme, t->nodes->nodes[i].host, port);
    return a;
}

char *fl_service_peers(const fl_target_ctx *t, int port) { return fl_service_peers_url(t, "", port); }
