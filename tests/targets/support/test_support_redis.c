/* targets/support (service.h) on a real cluster, with a throwaway adapter for
 * redis-server written only against it: start Redis on every node under the clock shim
 * (its own pidfile, log and data dir; ready when `redis-cli ping` on the node says PONG),
 * check it answers, kill it on one node by its pidfile, restart it, pause and resume it,
 * fetch a log, stop it everywhere and check by pid that nothing is left; also a daemon
 * that never gets ready (the error carries its log's tail) and the --peers builder.
 * Exit 0 when all hold; otherwise each failure is printed.
 * usage: test_support_redis NODES_FILE LIBFLCLOCK_SO (a running cluster) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "service.h"
#include "tally.h"

#define REDIS_PORT 6379
#define READY_MS 10000


/* ---- the throwaway Redis adapter: a command line and a readiness check ---- */

static const fl_service redis = {.name = "redis", .writes_pidfile = true};

/* `redis-cli ping` on the node answers PONG (the local cluster's nodes share the host's
 * binaries). malloc'd. */
static char *redis_ping_command(const fl_target_ctx *t, size_t node) {
    char *cmd = malloc(512);
    if (cmd)
        snprintf(cmd, 512, "redis-cli -h %s -p %d ping | grep -qx PONG",
                 t->nodes->nodes[node].host, REDIS_PORT);
    return cmd;
}

static int redis_start(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    char *data = fl_service_path_q(t, &redis, node, FL_SERVICE_DATA);
    char *pid = fl_service_path_q(t, &redis, node, FL_SERVICE_PIDFILE);
    char *log = fl_service_path_q(t, &redis, node, FL_SERVICE_LOG);
    char *ping = redis_ping_command(t, node);
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "redis-server --port %d --bind %s --protected-mode no --dir %s --pidfile %s "
             "--daemonize no --save '' "
             "--logfile %s",
             REDIS_PORT, t->nodes->nodes[node].host, data, pid, log);
    fl_service_check check = {.command = ping, .what = "redis-cli ping"};
    int rc = fl_service_start(t, &redis, node, cmd, &check, READY_MS, err, bytes);
    free(data);
    free(pid);
    free(log);
    free(ping);
    return rc;
}

/* ---- the test ---- */

/* Run on node; its stdout (trimmed) in out. The exit status, or -1. */
static int on_node(fl_target_ctx *t, size_t node, const char *cmd, char *out, size_t bytes) {
    int status = -1;
    char err[512];
    if (out) out[0] = '\0';
    fl_remote_run(t->control->remotes[node], cmd, NULL, 10000, &status, out, bytes, err,
                  sizeof err);
    if (out) out[strcspn(out, "\n")] = '\0';
    return status;
}

static bool pid_alive(fl_target_ctx *t, size_t node, long pid) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "kill -0 %ld 2>/dev/null", pid);
    return on_node(t, node, cmd, NULL, 0) == 0;
}

/* SET a key and read it back through redis-cli on the node. */
static bool answers(fl_target_ctx *t, size_t node, const char *value) {
    char cmd[512], out[128];
    const char *h = t->nodes->nodes[node].host;
    snprintf(cmd, sizeof cmd, "redis-cli -h %s -p %d set k %s >/dev/null && redis-cli -h %s -p %d get k",
             h, REDIS_PORT, value, h, REDIS_PORT);
    return on_node(t, node, cmd, out, sizeof out) == 0 && !strcmp(out, value);
}

static void never_ready(fl_target_ctx *t) {
    fl_service bogus = {.name = "bogus"};   /* the launcher records its pid */
    fl_service_check tcp = {.tcp_port = 1};
    char err[2048] = "";
    if (fl_service_prepare(t, &bogus, 0, err, sizeof err) != 0) return tally_fail("bogus prepare: %s", err);
    int rc = fl_service_start(t, &bogus, 0, "sh -c 'echo bogus-says-goodbye; exit 3'", &tcp,
                              1500, err, sizeof err);
    if (rc == 0) tally_fail("a daemon that exits at once was reported ready");
    else if (!strstr(err, "bogus-says-goodbye") || !strstr(err, "not running") ||
             !strstr(err, "port 1"))
        tally_fail("the never-ready error lacks the log tail, the port or 'not running': %s", err);
    else printf("ok   never ready: %s\n", err);
}

int main(int argc, char **argv) {
    if (argc != 3)
        return fprintf(stderr, "usage: test_support_redis NODES_FILE LIBFLCLOCK_SO\n"), 2;
    fl_nodes nodes;
    fl_control ctl;
    char err[2048];
    if (fl_nodes_read(argv[1], &nodes, err) != 0) return fprintf(stderr, "%s\n", err), 1;
    if (fl_control_open(&ctl, &nodes, false, 5000, err, sizeof err) != 0) {
        fprintf(stderr, "cannot reach every node: %s\n", err);
        return 1;
    }
    char run_dir[] = "/tmp/fl-support-redis-run.XXXXXX";
    if (!mkdtemp(run_dir)) return perror("mkdtemp"), 1;
    fl_target_ctx t = {.nodes = &nodes, .control = &ctl, .run_dir = run_dir, .log = stderr};
    size_t n = nodes.count;
    long pids[FL_NODES_MAX] = {0};

    char *peers = fl_service_peers(&t, REDIS_PORT), want[256];
    snprintf(want, sizeof want, "%s=%s:%d,%s=%s:%d", nodes.nodes[0].name, nodes.nodes[0].host,
             REDIS_PORT, nodes.nodes[1].name, nodes.nodes[1].host, REDIS_PORT);
    if (!peers || strncmp(peers, want, strlen(want)) || strchr(peers, ' '))
        tally_fail("peers: %s, want it to start %s", peers ? peers : "NULL", want);
    free(peers);

    /* The agent would put the clock shim on the nodes; here the test does. */
    for (size_t i = 0; i < n; i++) {
        char remote[4096], cmd[4200], why[FL_REMOTE_ERR_BYTES];
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/bin'", nodes.nodes[i].workdir);
        on_node(&t, i, cmd, NULL, 0);
        snprintf(remote, sizeof remote, "%s/bin/libflclock.so", nodes.nodes[i].workdir);
        if (fl_remote_upload(ctl.remotes[i], argv[2], remote, why) != 0)
            tally_fail("%s: uploading the shim: %s", nodes.nodes[i].name, why);
    }

    for (size_t i = 0; i < n; i++) {
        if (fl_service_prepare(&t, &redis, i, err, sizeof err) != 0 ||
            redis_start(&t, i, err, sizeof err) != 0) {
            tally_fail("start on %s: %s", nodes.nodes[i].name, err);
            continue;
        }
        pids[i] = fl_service_pid(&t, &redis, i);
        if (pids[i] <= 0) tally_fail("%s: no live pid in the pidfile after start", nodes.nodes[i].name);
        if (!answers(&t, i, "one")) tally_fail("%s: redis does not answer SET/GET", nodes.nodes[i].name);
        fl_service_check tcp = {.tcp_port = REDIS_PORT};
        if (!fl_service_check_once(&t, i, &tcp, 1000))
            tally_fail("%s: no TCP connect to port %d", nodes.nodes[i].name, REDIS_PORT);
        char cmd[128], maps[64];
        snprintf(cmd, sizeof cmd, "grep -c libflclock /proc/%ld/maps", pids[i]);
        if (nodes.nodes[i].clock == FL_CLOCK_FAKETIME &&
            (on_node(&t, i, cmd, maps, sizeof maps) != 0 || atoi(maps) < 1))
            tally_fail("%s: redis-server is not under the clock shim", nodes.nodes[i].name);
    }
    printf("%s started on %zu nodes\n", tally_failures() ? "FAIL" : "ok  ", n);

    /* Kill on n1 by its pidfile, then start again. */
    if (fl_service_kill(&t, &redis, 0, err, sizeof err) != 0) tally_fail("kill: %s", err);
    usleep(200 * 1000);
    if (pids[0] > 0 && pid_alive(&t, 0, pids[0])) tally_fail("n1: pid %ld alive after kill", pids[0]);
    if (fl_service_pid(&t, &redis, 0) != 0) tally_fail("n1: the pidfile names a live process after kill");
    if (redis_start(&t, 0, err, sizeof err) != 0) tally_fail("restart: %s", err);
    long again = fl_service_pid(&t, &redis, 0);
    if (again <= 0 || again == pids[0]) tally_fail("n1: pid after restart %ld (before %ld)", again, pids[0]);
    else pids[0] = again;
    if (!answers(&t, 0, "two")) tally_fail("n1: redis does not answer after the restart");
    printf("%s killed and restarted on %s\n", tally_failures() ? "FAIL" : "ok  ", nodes.nodes[0].name);

    /* Pause and resume on n2 (SIGSTOP / SIGCONT by the pidfile). */
    if (n > 1 && pids[1] > 0) {
        char cmd[128], state[64];
        snprintf(cmd, sizeof cmd, "awk '{print $3}' /proc/%ld/stat", pids[1]);
        if (fl_service_pause(&t, &redis, 1, err, sizeof err) != 0) tally_fail("pause: %s", err);
        usleep(100 * 1000);
        if (on_node(&t, 1, cmd, state, sizeof state) != 0 || strcmp(state, "T"))
            tally_fail("n2: state %s after pause, want T", state);
        if (fl_service_resume(&t, &redis, 1, err, sizeof err) != 0) tally_fail("resume: %s", err);
        if (!answers(&t, 1, "three")) tally_fail("n2: redis does not answer after resume");
    }

    char logs[4200];
    snprintf(logs, sizeof logs, "%s/redis.log", run_dir);
    if (fl_service_fetch_logs(&t, &redis, 0, run_dir, err, sizeof err) != 0) tally_fail("logs: %s", err);
    else if (access(logs, R_OK) != 0) tally_fail("no %s", logs);

    never_ready(&t);

    for (size_t i = 0; i < n; i++)
        if (fl_service_stop(&t, &redis, i, err, sizeof err) != 0) tally_fail("stop: %s", err);
    for (size_t i = 0; i < n; i++)
        if (pids[i] > 0 && pid_alive(&t, i, pids[i]))
            tally_fail("%s: pid %ld still alive after stop", nodes.nodes[i].name, pids[i]);
    printf("%s stopped everywhere\n", tally_failures() ? "FAIL" : "ok  ");

    char rm[4200];
    snprintf(rm, sizeof rm, "rm -rf '%s'", run_dir);
    if (system(rm) != 0) tally_fail("cleaning %s", run_dir);
    fl_control_close(&ctl);
    fl_nodes_free(&nodes);
    if (tally_failures()) fprintf(stderr, "%d failures\n", tally_failures());
    return tally_failures() ? 1 : 0;
}
