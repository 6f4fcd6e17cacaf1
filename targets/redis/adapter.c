/* Redis 7.0 with Sentinel as a target (DESIGN.md "Targets", redis; issue 19): a
 * redis-server on every node — the first the initial master, the others its replicas
 * (asynchronous replication, Redis's only kind) — and a redis-sentinel on every node
 * that fails the master over when a majority of them has lost it. Both are started by
 * the harness through targets/support (never by the system's own services), under the
 * clock shim on faketime nodes. The target's pidfile is redis-server's, so kill and
 * pause faults hit the data, not the Sentinels. Its known finding: a failover loses
 * acknowledged writes (the old master took them, the new one never had them). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"
#include "redis_target.h"
#include "shell_quote.h"

#define START_TIMEOUT_MS 30000
#define READY_TIMEOUT_MS 90000
#define READY_POLL_MS 200
/* A killed master is restarted once the Sentinels name another: restarted as master it
 * would come back with an empty dataset (persistence is off) and its replicas would copy
 * the emptiness — a loss Redis's replication docs warn about, caused by the restart, not
 * by a failover. The wait is bounded, since a restart holds up the nemesis thread: a
 * failover takes ~4 s from the kill and a kill is held ≥ 5 s, so it has normally
 * happened already. */
#define RESTART_WAIT_MS 4000

static const char *const rd_ops[] = {"read", "write", "cas", NULL};
static const fl_target_bug rd_bugs[] = {{NULL, NULL, NULL, NULL, 0}};

static const fl_target_option rd_options[] = {
    {"min-replicas-to-write", "0", "the master refuses writes (NOREPLICAS: fail) while fewer "
                                   "than this many replicas have acknowledged its stream within "
                                   "min-replicas-max-lag"},
    {"min-replicas-max-lag", "10", "seconds; with min-replicas-to-write above 0 (Redis's "
                                   "default: 10)"},
    {"wait", "0", "after each acknowledged write, WAIT for this many replicas (within the op "
                  "timeout); fewer make the write info"},
    {NULL, NULL, NULL},
};

/* Both record no pidfile of their own: the launcher's $! is the daemon (neither forks
 * with daemonize no). */
const fl_service rd_server = {.name = "redis", .writes_pidfile = false};
const fl_service rd_sentinel = {.name = "sentinel", .writes_pidfile = false};

/* A line in the run's faultline.log. */
static void note(fl_target_ctx *t, const char *fmt, ...) {
    if (!t->log) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    struct timespec ts;
    struct tm tm;
    char stamp[16];
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
    fprintf(t->log, "%s.%03ld redis: %s\n", stamp, ts.tv_nsec / 1000000, line);
    fflush(t->log);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* An option that must be a whole number >= min: its value, or -1. */
static long whole_option(const fl_target_ctx *t, const char *name, long min) {
    const char *text = fl_target_option_get(t, name);
    char *end;
    long v = strtol(text, &end, 10);
    return *text && *end == '\0' && v >= min && v <= 1000000 ? v : -1;
}

static char *sentinel_conf_path(const fl_target_ctx *t, size_t node) {
    char *dir = fl_service_path_of(t, &rd_sentinel, node, FL_SERVICE_DIR);
    if (!dir) return NULL;
    size_t n = strlen(dir) + 16;
    char *path = malloc(n);
    if (path) snprintf(path, n, "%s/sentinel.conf", dir);
    free(dir);
    return path;
}

/* The node's two folders, fresh, and its Sentinel's config file. */
static int setup_node(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    if (fl_service_shell(t, node,
                "command -v redis-server >/dev/null || { echo 'redis-server is not installed "
                "(apt-get install redis-server)'; exit 1; }; command -v redis-sentinel >/dev/null "
                "|| { echo 'redis-sentinel is not installed (apt-get install redis-sentinel)'; "
                "exit 1; }", "looking for redis-server and redis-sentinel", 60000, err, bytes))
        return -1;
    if (fl_service_prepare(t, &rd_sentinel, node, err, bytes) ||
        fl_service_prepare(t, &rd_server, node, err, bytes))
        return -1;
    char *conf = rd_sentinel_config(t, node), *path = sentinel_conf_path(t, node);
    char *conf_q = conf ? fl_shell_quote(conf) : NULL, *path_q = path ? fl_shell_quote(path) : NULL;
    char *cmd = conf_q && path_q ? malloc(strlen(conf_q) + strlen(path_q) + 32) : NULL;
    int rc = -1;
    if (!cmd) {
        snprintf(err, bytes, "out of memory");
    } else {
        sprintf(cmd, "printf '%%s' %s > %s", conf_q, path_q);
        rc = fl_service_shell(t, node, cmd, "writing sentinel.conf", 60000, err, bytes);
    }
    free(conf), free(path), free(conf_q), free(path_q), free(cmd);
    return rc;
}

static int rd_setup(fl_target_ctx *t, char *err, size_t bytes) {
    const char *bad = whole_option(t, "min-replicas-to-write", 0) < 0 ? "min-replicas-to-write"
                      : whole_option(t, "min-replicas-max-lag", 1) < 0 ? "min-replicas-max-lag"
                      : whole_option(t, "wait", 0) < 0 ? "wait" : NULL;
    if (bad) {
        snprintf(err, bytes, "redis: --target-opt %s must be a whole number%s, not '%s'", bad,
                 strcmp(bad, "min-replicas-max-lag") ? "" : " of seconds, at least 1",
                 fl_target_option_get(t, bad));
        return -1;
    }
    for (size_t i = 0; i < t->nodes->count; i++)
        if (setup_node(t, i, err, bytes)) return -1;
    return 0;
}

static bool server_probe(fl_target_ctx *t, size_t node, const void *arg, int timeout_ms) {
    (void)arg;
    return rd_pings(t, node, RD_PORT, timeout_ms);
}

static bool sentinel_probe(fl_target_ctx *t, size_t node, const void *arg, int timeout_ms) {
    (void)arg;
    return rd_pings(t, node, RD_SENTINEL_PORT, timeout_ms);
}

/* The master a (re)started server should follow: the one most Sentinels name (not the
 * first to answer: a Sentinel that was cut off may name a master since replaced, and
 * two servers killed together would then follow each other). None answering is the
 * first start (the first node is master by the Sentinels' config); the Sentinels
 * naming this very node means it was the master, killed and not yet replaced: wait for
 * the failover (RESTART_WAIT_MS). Returns node itself to start as master. */
static int master_to_follow(fl_target_ctx *t, size_t node) {
    int64_t deadline = fl_mono_ms() + RESTART_WAIT_MS;
    for (;;) {
        int m = rd_sentinel_majority(t, RD_PROBE_MS);
        if (m < 0) return 0;
        if ((size_t)m != node) return m;
        if (fl_mono_ms() > deadline) {
            note(t, "%s: the Sentinels still name it master %d s into its restart (no "
                 "failover yet); it starts as master with an empty dataset, which its replicas "
                 "will copy", t->nodes->nodes[node].name, RESTART_WAIT_MS / 1000);
            return m;
        }
        sleep_ms(READY_POLL_MS);
    }
}

static int start_server(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    fl_service_check check = {.probe = server_probe, .what = "a PING on port 6379"};
    long running = fl_service_pid(t, &rd_server, node);
    if (running > 0) /* a restart of what is running: only wait for it */
        return fl_service_wait(t, &rd_server, node, &check, START_TIMEOUT_MS, err, bytes);
    int master = master_to_follow(t, node);
    char *data = fl_service_path_q(t, &rd_server, node, FL_SERVICE_DATA);
    if (!data) return snprintf(err, bytes, "out of memory"), -1;
    char cmd[8192], follow[128] = "", safety[128] = "";
    if ((size_t)master != node)
        snprintf(follow, sizeof follow, " --replicaof %s %d", t->nodes->nodes[master].host, RD_PORT);
    long min_replicas = whole_option(t, "min-replicas-to-write", 0);
    if (min_replicas > 0)
        snprintf(safety, sizeof safety, " --min-replicas-to-write %ld --min-replicas-max-lag %ld",
                 min_replicas, whole_option(t, "min-replicas-max-lag", 1));
    /* No persistence (the data lives in memory, as in Jepsen's tests), a replica's first
     * sync at once (not after the default 5 s), reachable from the cluster's subnet
     * (protected mode refuses every address but loopback without a password). */
    snprintf(cmd, sizeof cmd,
             "redis-server --bind %s --port %d --dir %s --daemonize no --save '' "
             "--appendonly no --protected-mode no --repl-diskless-sync-delay 0%s%s",
             t->nodes->nodes[node].host, RD_PORT, data, safety, follow);
    free(data);
    return fl_service_start(t, &rd_server, node, cmd, &check, START_TIMEOUT_MS, err, bytes);
}

/* The server only: the Sentinels are started by ready, once every replica is linked
 * (a restart after a kill finds its node's Sentinel still running). */
static int rd_start(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    return start_server(t, node, err, bytes);
}

static int start_sentinel(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    char *path = sentinel_conf_path(t, node), *path_q = path ? fl_shell_quote(path) : NULL;
    char cmd[4352];
    free(path);
    if (!path_q) return snprintf(err, bytes, "out of memory"), -1;
    snprintf(cmd, sizeof cmd, "redis-sentinel %s", path_q);
    free(path_q);
    fl_service_check check = {.probe = sentinel_probe, .what = "a PING on port 26379"};
    return fl_service_start(t, &rd_sentinel, node, cmd, &check, START_TIMEOUT_MS, err, bytes);
}

static int rd_stop(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    /* The Sentinel first, so that stopping the servers starts no failover. */
    int rc = fl_service_stop(t, &rd_sentinel, node, err, bytes);
    return fl_service_stop(t, &rd_server, node, err, bytes) || rc ? -1 : 0;
}

static int rd_fetch_logs(fl_target_ctx *t, size_t node, const char *dir, char *err,
                         size_t bytes) {
    int rc = fl_service_fetch_logs(t, &rd_server, node, dir, err, bytes);
    return fl_service_fetch_logs(t, &rd_sentinel, node, dir, err, bytes) || rc ? -1 : 0;
}

/* Whether replication is whole: master's ROLE says master and every other node is its
 * replica with the link up. Else false with why. */
static bool linked(fl_target_ctx *t, int master, char *why, size_t bytes) {
    for (size_t i = 0; i < t->nodes->count; i++) {
        rd_role role = rd_role_of(t, i, RD_PROBE_MS);
        const char *name = t->nodes->nodes[i].name;
        if (!role.reachable) return snprintf(why, bytes, "%s does not answer ROLE", name), false;
        if ((int)i == master && !role.master)
            return snprintf(why, bytes, "the master %s is not master", name), false;
        if ((int)i != master && (role.master || role.master_node != master || !role.connected))
            return snprintf(why, bytes, "%s is not yet a linked replica of %s", name,
                            t->nodes->nodes[master].name), false;
    }
    return true;
}

/* Whether the cluster has settled: every Sentinel answers, names the same master, sees
 * it up, knows every other Sentinel (so that the next failover can be voted) and every
 * replica with its link up (so that whichever Sentinel wins the vote has one to
 * promote), and replication is whole. Else false with why. */
static bool settled(fl_target_ctx *t, char *why, size_t bytes) {
    size_t n = t->nodes->count;
    int master = -1;
    for (size_t i = 0; i < n; i++) {
        const char *name = t->nodes->nodes[i].name;
        int m = rd_sentinel_master(t, i, RD_PROBE_MS);
        rd_sentinel_seen seen;
        if (m < 0) return snprintf(why, bytes, "the Sentinel on %s names no master", name), false;
        if (master >= 0 && m != master)
            return snprintf(why, bytes, "the Sentinels disagree (%s names %s, %s names %s)",
                            t->nodes->nodes[0].name, t->nodes->nodes[master].name, name,
                            t->nodes->nodes[m].name), false;
        master = m;
        if (rd_sentinel_view(t, i, RD_PROBE_MS, &seen) != 0 || strcmp(seen.flags, "master") ||
            seen.other_sentinels < (int)n - 1 || seen.good_replicas < (int)n - 1)
            return snprintf(why, bytes, "the Sentinel on %s sees the master as '%s', knows %d "
                            "other Sentinels and %d linked replicas of %zu", name, seen.flags,
                            seen.other_sentinels, seen.good_replicas, n - 1), false;
    }
    return linked(t, master, why, bytes);
}

/* Poll until done(t) holds or timeout_ms passed; 0, or -1 with err (what and why). */
static int poll_until(fl_target_ctx *t, bool (*done)(fl_target_ctx *, char *, size_t),
                      int timeout_ms, const char *what, char *err, size_t bytes) {
    int64_t deadline = fl_mono_ms() + timeout_ms;
    char why[256] = "";
    while (!done(t, why, sizeof why)) {
        if (fl_mono_ms() > deadline) {
            snprintf(err, bytes, "redis: %s within %d s: %s", what, timeout_ms / 1000, why);
            return -1;
        }
        sleep_ms(READY_POLL_MS);
    }
    return 0;
}

/* Before any Sentinel runs: one master by ROLE, every other node its linked replica. */
static bool replicated(fl_target_ctx *t, char *why, size_t bytes) {
    int master = -1;
    for (size_t i = 0; i < t->nodes->count && master < 0; i++)
        if (rd_role_of(t, i, RD_PROBE_MS).master) master = (int)i;
    if (master < 0) return snprintf(why, bytes, "no server says it is master"), false;
    return linked(t, master, why, bytes);
}

/* Sentinels not running are started once replication is whole: a Sentinel learns the
 * replicas from the master's INFO, which it asks for when it connects and then only
 * every 10 s, so one started before the replicas linked would not know them for 10 s —
 * and the agents' watchdog (10 s) runs out during setup, which beats no heartbeat. */
static int rd_ready(fl_target_ctx *t, char *err, size_t bytes) {
    bool all_running = true;
    for (size_t i = 0; i < t->nodes->count; i++) all_running &= fl_service_pid(t, &rd_sentinel, i) > 0;
    if (!all_running) {
        if (poll_until(t, replicated, READY_TIMEOUT_MS, "replication not whole", err, bytes))
            return -1;
        for (size_t i = 0; i < t->nodes->count; i++)
            if (start_sentinel(t, i, err, bytes)) return -1;
    }
    return poll_until(t, settled, READY_TIMEOUT_MS, "not settled", err, bytes);
}

/* The nodes whose ROLE says master; one that does not answer (paused, killed) is not
 * counted. Two of them is a split brain: a cut-off master and the one elected. */
static int rd_primaries(fl_target_ctx *t, uint64_t *nodes, char *err, size_t bytes) {
    (void)err, (void)bytes;
    *nodes = 0;
    for (size_t i = 0; i < t->nodes->count; i++)
        if (rd_role_of(t, i, RD_PROBE_MS).master) *nodes |= 1ULL << i;
    return 0;
}

/* Sentinel's failover is the thing under test: cut the master off (its clients — those
 * whose Sentinel is on its side — go on writing to it, and at the heal it becomes a
 * replica of the new master and drops what they wrote) or kill it (what it acknowledged
 * and had not yet sent to a replica is gone). A fault lasts 5–15 s (0.5–1.5 × the
 * interval): long enough for down-after (2 s) and the election. */
static const fl_target_defaults rd_defaults = {
    .workload = "set",
    /* Listed twice: a step is drawn at random, so partitions come two times in three. It is
     * a partition that lets a cut-off master take writes while Sentinel promotes another;
     * a kill loses only the little not yet sent to a replica. */
    .nemesis = "partition:primaries,partition:primaries,kill:primaries",
    .nemesis_interval_s = 10,
    .at_once = 1,
    .concurrency = 10,
    .op_timeout_s = 2,
    .why = "a Redis master with asynchronous replicas and a Sentinel on every node: the "
           "master cut off (two faults in three) or killed, each fault held long enough "
           "(Sentinel's down-after of 2 s and the election) for a failover to complete",
};

static const fl_target_finding rd_findings[] = {
    {"lost-writes-on-failover", NULL, "acknowledged set elements lost after a failover",
     "Jepsen, Redis (2013): Sentinel with asynchronous replication lost 56% of acknowledged "
     "writes in a partition; Redis's replication docs"},
    {NULL, NULL, NULL, NULL},
};

const fl_target fl_target_redis = {
    .name = "redis",
    .summary = "Redis 7.0 with Sentinel (Debian's redis-server and redis-sentinel): a master, "
               "asynchronous replicas and a Sentinel on every node; clients follow Sentinel",
    .ops = rd_ops,
    .bugs = rd_bugs,
    .options = rd_options,
    .pidfile = "{workdir}/redis/redis.pid",
    .defaults = &rd_defaults,
    .findings = rd_findings,
    .setup = rd_setup,
    .start = rd_start,
    .stop = rd_stop,
    .fetch_logs = rd_fetch_logs,
    .client_open = rd_client_open,
    .client_invoke = rd_client_invoke,
    .client_close = rd_client_close,
    .ready = rd_ready,
    .primaries = rd_primaries,
};
