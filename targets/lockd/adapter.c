/* lockd's adapter (DESIGN.md "Targets", lockd): two daemons on every node — fl-lockd (the
 * lock service, the Raft host with the lock table) and fl-fencestore (the guarded
 * registers) — and one client per worker that sends lock ops to fl-lockd (following a
 * follower's leader hint) and register ops to the resource's home node's fl-fencestore.
 * The seeded bugs live in different daemons: early-grant in fl-lockd, write-before-fence
 * and no-fence in fl-fencestore; `early-grant+no-fence` turns on both. Faults hit
 * fl-lockd (the target's pidfile); ready and "who is primary" ask its status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "raft_status.h"
#include "target.h"

#define LOCKD_PORT 7003
#define STORE_PORT 7004

static const char *const lockd_ops[] = {"acquire", "renew", "release", "read", "write", "peek",
                                        NULL};

static const fl_target_bug lockd_bugs[] = {
    {"write-before-fence", "the storage applies a write, then records its token (the "
                           "reference code): a paused holder's stale write lands", NULL, NULL, 0},
    {"no-fence", "the storage ignores tokens: lease expiry alone guards the resource, and "
                 "a holder paused past its lease writes over the next holder's work", NULL, NULL, 0},
    {"early-grant", "a new lockd leader grants at once instead of waiting out the old "
                    "leases: two holders at once, which a fencing storage still stops "
                    "(caught only with no-fence as well)", NULL, NULL, 0},
    {"early-grant+no-fence", "both: overlapping holders and nothing to fence them", NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const fl_target_option lockd_options[] = {
    {"ttl_ms", "1000", "lease length, judged by the lockd leader's clock"},
    {"renew_ms", "300", "how often a holder in a long critical section renews its lease"},
    {"election_ticks", "30", "lockd's election timeout T in 10 ms ticks: followers wait [T, 2T)"},
    {NULL, NULL, NULL},
};

/* Whether the run's bug (one name, or names joined by '+') includes name. */
static bool has_bug(const fl_target_ctx *t, const char *name) {
    size_t n = strlen(name);
    for (const char *p = t->bug; p && *p;) {
        const char *end = strchr(p, '+');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return true;
        p = end ? end + 1 : NULL;
    }
    return false;
}

static void lock_flags(fl_target_ctx *t, char *a, size_t cap) {
    snprintf(a, cap, " --ttl-ms %d --election-ticks %d",
             atoi(fl_target_option_get(t, "ttl_ms")),
             atoi(fl_target_option_get(t, "election_ticks")));
}

static void lock_bug_flags(fl_target_ctx *t, char *a, size_t cap) {
    snprintf(a, cap, "%s", has_bug(t, "early-grant") ? " --bug early-grant" : "");
}

static void store_bug_flags(fl_target_ctx *t, char *a, size_t cap) {
    snprintf(a, cap, "%s", has_bug(t, "write-before-fence") ? " --bug write-before-fence"
                           : has_bug(t, "no-fence")         ? " --bug no-fence"
                                                            : "");
}

static const fl_daemon lockd = {.name = "lockd", .binary = "fl-lockd", .port = LOCKD_PORT,
                                .flags = lock_flags, .bug_flags = lock_bug_flags};
static const fl_daemon store = {.name = "fencestore", .binary = "fl-fencestore",
                                .port = STORE_PORT, .bug_flags = store_bug_flags};

/* ---- lifecycle: both daemons, the store first (a holder needs both) ---- */

static int lockd_setup(fl_target_ctx *t, char *err, size_t bytes) {
    return fl_daemon_setup(t, &store, err, bytes) || fl_daemon_setup(t, &lockd, err, bytes) ? -1 : 0;
}

static int lockd_start(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    return fl_daemon_start(t, &store, node, err, bytes) ||
           fl_daemon_start(t, &lockd, node, err, bytes) ? -1 : 0;
}

static int lockd_stop(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    int a = fl_daemon_stop(t, &lockd, node, err, bytes);
    int b = fl_daemon_stop(t, &store, node, a ? NULL : err, a ? 0 : bytes);
    return a || b ? -1 : 0;
}

static int lockd_fetch_logs(fl_target_ctx *t, size_t node, const char *dir, char *err,
                            size_t bytes) {
    return fl_daemon_fetch_logs(t, &lockd, node, dir, err, bytes) ||
           fl_daemon_fetch_logs(t, &store, node, dir, err, bytes) ? -1 : 0;
}

static int lockd_ready(fl_target_ctx *t, char *err, size_t bytes) {
    return fl_raft_status_ready(t, &lockd, err, bytes);
}

static int lockd_primaries(fl_target_ctx *t, uint64_t *nodes, char *err, size_t bytes) {
    (void)err, (void)bytes;
    return fl_raft_status_primaries(t, &lockd, nodes);
}

/* ---- the client: lock ops to fl-lockd, register ops to the resource's home ---- */

/* The target's fl_client handle is one of these (fl_client is each adapter's own opaque
 * type; targets/support's daemon clients are the ones inside). */
typedef struct lockd_client {
    fl_target_ctx *t;
    size_t node;                      /* where the lock client was opened */
    int timeout_ms;
    fl_client *lock;                  /* fl-lockd (follows leader hints) */
    fl_client *stores[FL_NODES_MAX];  /* fl-fencestore per home node, opened on first use */
} lockd_client;

/* A resource's home node: an integer key modulo the node count, any other key by the
 * bytes of its JSON text. */
static size_t home_of(const lockd_client *c, const json_t *key) {
    size_t n = c->t->nodes->count, h = 0;
    if (json_is_integer(key)) {
        json_int_t k = json_integer_value(key);
        return (size_t)(k < 0 ? -k : k) % n;
    }
    char *text = json_dumps(key, JSON_ENCODE_ANY | JSON_COMPACT);
    for (const char *p = text; p && *p; p++) h = h * 31 + (unsigned char)*p;
    free(text);
    return h % n;
}

static fl_client *lockd_client_open(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                                    size_t bytes) {
    lockd_client *c = calloc(1, sizeof *c);
    if (!c) return snprintf(err, bytes, "out of memory"), NULL;
    *c = (lockd_client){.t = t, .node = node, .timeout_ms = timeout_ms};
    c->lock = fl_daemon_client_open(t, &lockd, node, timeout_ms, err, bytes);
    if (!c->lock) {
        free(c);
        return NULL;
    }
    return (fl_client *)c;
}

static bool is_lock_op(const char *f) {
    return !strcmp(f, "acquire") || !strcmp(f, "renew") || !strcmp(f, "release");
}

static void lockd_client_invoke(fl_client *handle, const fl_request *req, int timeout_ms,
                                fl_reply *out) {
    lockd_client *c = (lockd_client *)handle;
    if (is_lock_op(req->f)) {
        fl_daemon_client_invoke(c->lock, req, timeout_ms, out);
        return;
    }
    size_t home = home_of(c, req->key);
    if (!c->stores[home]) {
        char err[sizeof out->error];
        c->stores[home] = fl_daemon_client_open(c->t, &store, home, c->timeout_ms, err, sizeof err);
        if (!c->stores[home]) { /* nothing was sent: certainly no effect */
            *out = (fl_reply){.type = FL_REPLY_FAIL, .node = (int)home};
            snprintf(out->error, sizeof out->error, "%s", err);
            return;
        }
    }
    fl_daemon_client_invoke(c->stores[home], req, timeout_ms, out);
    out->node = (int)home;
    if (out->type == FL_REPLY_INFO) { /* a broken connection: a fresh one next time */
        fl_daemon_client_close(c->stores[home]);
        c->stores[home] = NULL;
    }
}

static void lockd_client_close(fl_client *handle) {
    lockd_client *c = (lockd_client *)handle;
    if (!c) return;
    fl_daemon_client_close(c->lock);
    for (size_t i = 0; i < FL_NODES_MAX; i++)
        if (c->stores[i]) fl_daemon_client_close(c->stores[i]);
    free(c);
}

/* A lock service with a leader whose clock judges the leases: its clock bumped and then
 * the leader killed or cut off while bumped (a new leader, on another clock, judges the
 * old leader's leases: only its wait keeps them), or the leader paused or killed alone;
 * the holders' own stalls are the workload's. One at a time every ~4 s. */
static const fl_target_defaults lockd_defaults = {
    .workload = "lock",
    .nemesis = "clock:bump:primaries+kill:primaries,clock:bump:primaries+partition:primaries,"
               "pause:primaries,kill:primaries",
    .nemesis_interval_s = 4,
    .at_once = 1,
    .concurrency = 30,
    .op_timeout_s = 1,
    .why = "a leader-based lock service whose leader's clock judges the leases: the leader's "
           "clock bumped, then the leader killed or cut off (a new leader on another clock "
           "judges its leases), or the leader paused or killed; the workload's holders "
           "stall past their leases themselves",
};

/* raft-sim with the lock table as its app (targets/raftkv/sim/README.md): lease safety
 * and fencing tokens checked after every step. Clock jumps off (leases judged by clocks
 * that jump overlap in any mode: the storage's fence is for that), a fixed skew on (a new
 * leader that does not wait trusts an old leader's clock: early-grant's harm). The
 * storage's bugs it does not model (exit 64). */
static const char *const lockd_sim_args[] = {"--app", "lockd", "--no-clock", "--skew", "500",
                                             NULL};

const fl_target fl_target_lockd = {
    .name = "lockd",
    .summary = "Raft lock service with fencing tokens, and the storage it guards",
    .ops = lockd_ops,
    .bugs = lockd_bugs,
    .options = lockd_options,
    .pidfile = "{workdir}/lockd/lockd.pid",
    .defaults = &lockd_defaults,
    .simulator = "raft-sim",
    .simulator_args = lockd_sim_args,
    .setup = lockd_setup,
    .start = lockd_start,
    .stop = lockd_stop,
    .fetch_logs = lockd_fetch_logs,
    .client_open = lockd_client_open,
    .client_invoke = lockd_client_invoke,
    .client_close = lockd_client_close,
    .teardown = NULL,
    .ready = lockd_ready,
    .primaries = lockd_primaries,
};
