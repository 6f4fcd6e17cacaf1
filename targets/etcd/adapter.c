/* etcd 3.4 as a target (DESIGN.md "Targets", etcd): Debian's etcd-server on every node,
 * started by the harness (never by its service) as one cluster, and a register (read,
 * write, cas) per key through the v3 JSON gateway (gateway.h). Reads are linearizable by
 * default; `serializable-reads=true` asks for etcd's serializable reads — answered from
 * the member's local state without a round through the leader, which the field
 * documents as possibly stale (the known finding). etcd is a Go program: it reads the
 * clock through the vDSO, so the clock shim cannot skew it and clock faults are refused
 * on faketime nodes (fl_target.clock_shim_blind). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway.h"
#include "reply.h"
#include "loop.h"
#include "service.h"
#include "target.h"

#define ETCD_BIN "/usr/bin/etcd"

static const char *const etcd_ops[] = {"read", "write", "cas", NULL};
static const fl_target_bug etcd_bugs[] = {{NULL, NULL, NULL, NULL, 0}};

static const fl_target_option etcd_options[] = {
    {"serializable-reads", "false", "true: reads are etcd's serializable reads (a member's "
                                    "local state, no quorum round), false: linearizable reads"},
    {NULL, NULL, NULL},
};

static const fl_target_finding etcd_findings[] = {
    {"stale-serializable-reads", "serializable-reads=true",
     "a stale read: a member cut off from the majority answers from its old state "
     "(not linearizable)",
     "etcd's API guarantees (serializable reads \"may be stale\"); Jepsen, etcd 0.4.1 (2014)"},
    {NULL, NULL, NULL, NULL},
};

/* etcd does not fork: the launcher's pid is the server's. No shim: it cannot reach Go. */
static const fl_service etcd_service = {.name = "etcd", .writes_pidfile = false,
                                        .no_clock_shim = true, .stop_grace_ms = 5000};

typedef struct {
    bool serializable;
} etcd_state;

static int etcd_setup(fl_target_ctx *t, char *err, size_t bytes) {
    const char *ser = fl_target_option_get(t, "serializable-reads");
    if (strcmp(ser, "true") && strcmp(ser, "false")) {
        snprintf(err, bytes, "etcd: serializable-reads must be true or false, not %s", ser);
        return -1;
    }
    etcd_state *s = calloc(1, sizeof *s);
    if (!s) return snprintf(err, bytes, "out of memory"), -1;
    s->serializable = !strcmp(ser, "true");
    t->state = s;
    for (size_t i = 0; i < t->nodes->count; i++) {
        if (fl_service_prepare(t, &etcd_service, i, err, bytes)) return -1;
        if (fl_service_shell(t, i, "test -x " ETCD_BIN, "etcd installed?", 30000, NULL, 0) != 0) {
            snprintf(err, bytes, "%s: %s is not installed (apt-get install etcd-server)",
                     t->nodes->nodes[i].name, ETCD_BIN);
            return -1;
        }
    }
    return 0;
}

static void etcd_teardown(fl_target_ctx *t) {
    free(t->state);
    t->state = NULL;
}

static int etcd_start(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    const fl_node *n = &t->nodes->nodes[node];
    char *data = fl_service_path_q(t, &etcd_service, node, FL_SERVICE_DATA);
    char *members = fl_service_peers_url(t, "http://", FL_ETCD_PEER_PORT);
    size_t cap = 4096 + (members ? strlen(members) : 0);
    char *cmd = malloc(cap);
    int rc = -1;
    if (!data || !members || !cmd) {
        snprintf(err, bytes, "out of memory");
        goto out;
    }
    /* Listening on every address of the node (its namespace has only the cluster's);
     * advertised at its host. Once the data folder holds a WAL (a restart after a kill)
     * etcd takes its membership from there and ignores the --initial-* flags. */
    snprintf(cmd, cap,
             ETCD_BIN " --name %s --data-dir %s --logger zap --log-outputs stderr "
             "--listen-peer-urls http://0.0.0.0:%d --initial-advertise-peer-urls http://%s:%d "
             "--listen-client-urls http://0.0.0.0:%d --advertise-client-urls http://%s:%d "
             "--initial-cluster %s --initial-cluster-state new --initial-cluster-token faultline",
             n->name, data, FL_ETCD_PEER_PORT, n->host, FL_ETCD_PEER_PORT, FL_ETCD_CLIENT_PORT,
             n->host, FL_ETCD_CLIENT_PORT, members);
    /* The client port opens before the member has a quorum (the others start after it):
     * a TCP connect is the readiness of one member; `ready` waits for the cluster. */
    fl_service_check check = {.tcp_port = FL_ETCD_CLIENT_PORT, .what = "a TCP connect to port 2379"};
    rc = fl_service_start(t, &etcd_service, node, cmd, &check, 30000, err, bytes);
out:
    free(data), free(members), free(cmd);
    return rc;
}

static int etcd_stop(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    return fl_service_stop(t, &etcd_service, node, err, bytes);
}

static int etcd_fetch_logs(fl_target_ctx *t, size_t node, const char *dir, char *err, size_t bytes) {
    return fl_service_fetch_logs(t, &etcd_service, node, dir, err, bytes);
}

/* Node i is the leader when its own status names itself. */
static int etcd_primaries(fl_target_ctx *t, uint64_t *nodes, char *err, size_t bytes) {
    (void)err, (void)bytes;
    assert(t->nodes->count <= 64); /* the run refuses more: a node is a bit */
    *nodes = 0;
    for (size_t i = 0; i < t->nodes->count; i++) {
        char member[32], leader[32], e[256];
        if (fl_etcd_status(t->nodes->nodes[i].host, 1000, member, leader, sizeof member, e,
                           sizeof e) && strcmp(member, "0") && !strcmp(member, leader))
            *nodes |= (uint64_t)1 << i;
    }
    return 0;
}

/* Ready when a leader is elected (a majority of members name the same one) and a
 * linearizable read through it succeeds. */
static int etcd_ready(fl_target_ctx *t, char *err, size_t bytes) {
    int64_t deadline = fl_mono_ms() + 60000;
    char last[256] = "no member answered";
    struct timespec pause = {0, 200 * 1000000};
    while (fl_mono_ms() < deadline) {
        uint64_t leaders = 0;
        etcd_primaries(t, &leaders, err, bytes);
        for (size_t i = 0; leaders && i < t->nodes->count; i++) {
            if (!(leaders >> i & 1)) continue;
            fl_etcd_conn *c = fl_etcd_conn_open(t->nodes->nodes[i].host);
            json_t *body = json_pack("{s:o}", "key", fl_etcd_b64("faultline-ready")), *reply = NULL;
            fl_etcd_outcome o = c ? fl_etcd_post(c, "/v3/kv/range", body, 2000, &reply, last,
                                                 sizeof last) : FL_ETCD_NOT_SENT;
            json_decref(body);
            fl_etcd_conn_close(c);
            bool served = o == FL_ETCD_REPLIED && !fl_etcd_error(reply);
            if (o == FL_ETCD_REPLIED && !served) snprintf(last, sizeof last, "%s", fl_etcd_error(reply));
            json_decref(reply);
            if (served) return 0;
        }
        nanosleep(&pause, NULL);
    }
    snprintf(err, bytes, "etcd: no leader that serves a linearizable read within 60 s (last: %s); "
             "see each node's etcd.log in the run directory", last);
    return -1;
}

struct fl_client {
    fl_etcd_conn *conn;
    bool serializable;
};

static fl_client *etcd_client_open(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                                   size_t bytes) {
    (void)timeout_ms; /* every request connects afresh (gateway.c says why) */
    const etcd_state *s = t->state;
    fl_client *c = calloc(1, sizeof *c);
    if (c) c->conn = fl_etcd_conn_open(t->nodes->nodes[node].host);
    if (!c || !c->conn) {
        free(c);
        snprintf(err, bytes, "out of memory");
        return NULL;
    }
    c->serializable = s && s->serializable;
    return c;
}

static void etcd_client_close(fl_client *c) {
    if (!c) return;
    fl_etcd_conn_close(c->conn);
    free(c);
}

/* The key's text: "fl-" and the workload's key as JSON ("fl-3"). */
static void key_text(const json_t *key, char *out, size_t bytes) {
    char *k = key ? json_dumps(key, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    snprintf(out, bytes, "fl-%s", k ? k : "");
    free(k);
}

static json_t *value_b64(const json_t *v) {
    char text[32];
    snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return fl_etcd_b64(text);
}

/* How an unanswered or refused request ends: a read never has an effect, so it fails;
 * a write or cas that was sent and not answered may have happened (info); one that
 * never reached the server did not (fail). */
static void unanswered(fl_reply *out, bool is_read, fl_etcd_outcome o, const char *why) {
    out->type = is_read || o == FL_ETCD_NOT_SENT ? FL_REPLY_FAIL : FL_REPLY_INFO;
    snprintf(out->error, sizeof out->error, "%s", why);
}

static void etcd_client_invoke(fl_client *c, const fl_request *req, int timeout_ms, fl_reply *out) {
    assert(c && c->conn && req && req->f && out);
    *out = (fl_reply){.type = FL_REPLY_FAIL, .node = -1};
    char key[128];
    key_text(req->key, key, sizeof key);
    bool is_read = !strcmp(req->f, "read"), is_cas = !strcmp(req->f, "cas");
    const char *path;
    json_t *body;
    if (is_read) {
        path = "/v3/kv/range";
        body = json_pack("{s:o}", "key", fl_etcd_b64(key));
        if (c->serializable) json_object_set_new(body, "serializable", json_true());
    } else if (!strcmp(req->f, "write") && json_is_integer(req->value)) {
        path = "/v3/kv/put";
        body = json_pack("{s:o,s:o}", "key", fl_etcd_b64(key), "value", value_b64(req->value));
    } else if (is_cas && json_is_integer(json_array_get(req->value, 0)) &&
               json_is_integer(json_array_get(req->value, 1))) {
        /* Compare the value, then put: one transaction, applied by the leader. */
        path = "/v3/kv/txn";
        body = json_pack("{s:[{s:o,s:s,s:s,s:o}],s:[{s:{s:o,s:o}}]}",
                         "compare", "key", fl_etcd_b64(key), "target", "VALUE", "result", "EQUAL",
                         "value", value_b64(json_array_get(req->value, 0)),
                         "success", "requestPut", "key", fl_etcd_b64(key), "value",
                         value_b64(json_array_get(req->value, 1)));
    } else {
        snprintf(out->error, sizeof out->error, "unsupported op %s", req->f);
        return;
    }
    json_t *reply = NULL;
    char why[200];
    fl_etcd_outcome o = body ? fl_etcd_post(c->conn, path, body, timeout_ms, &reply, why, sizeof why)
                             : (snprintf(why, sizeof why, "out of memory"), FL_ETCD_NOT_SENT);
    json_decref(body);
    if (o != FL_ETCD_REPLIED) return unanswered(out, is_read, o, why);
    const char *e = fl_etcd_error(reply);
    if (e) { /* "request timed out", "leader changed", "no leader": a write may still land */
        unanswered(out, is_read, FL_ETCD_NO_ANSWER, e);
    } else if (is_read) {
        if (fl_etcd_range_value(reply, &out->value, out->error, sizeof out->error) == 0) out->type = FL_REPLY_OK;
    } else if (is_cas) {
        /* A txn whose compare failed omits "succeeded": it ran, and put nothing. */
        bool done = json_is_true(json_object_get(reply, "succeeded"));
        out->type = done ? FL_REPLY_OK : FL_REPLY_FAIL;
        if (done) out->value = json_incref(req->value);
        else snprintf(out->error, sizeof out->error, "compare-failed");
    } else {
        out->type = FL_REPLY_OK;
        out->value = json_incref(req->value);
    }
    json_decref(reply);
}

/* A replicated consensus store: partitions (a leader cut off, majorities and minorities),
 * crashes and pauses of members; no clock faults (the shim cannot reach a Go program). */
static const fl_target_defaults etcd_defaults = {
    .workload = "register",
    .nemesis = "partition,kill,pause",
    .nemesis_interval_s = 10,
    .at_once = 1,
    .concurrency = 10,
    .op_timeout_s = 5,
    .why = "a Raft cluster of five members: partitions, crashes and pauses; clock faults "
           "need nodes whose clock may really move (etcd is a Go program)",
};

const fl_target fl_target_etcd = {
    .name = "etcd",
    .summary = "etcd 3.4 (Debian's etcd-server), a cluster of every node; a register per key "
               "through the v3 JSON gateway (libcurl); --target-opt serializable-reads=true",
    .ops = etcd_ops,
    .bugs = etcd_bugs,
    .options = etcd_options,
    .pidfile = "{workdir}/etcd/etcd.pid",
    .defaults = &etcd_defaults,
    .findings = etcd_findings,
    .clock_shim_blind = "etcd is a Go program: it reads the clock through the vDSO, which no "
                        "preloaded library can intercept",
    .setup = etcd_setup,
    .start = etcd_start,
    .stop = etcd_stop,
    .fetch_logs = etcd_fetch_logs,
    .teardown = etcd_teardown,
    .client_open = etcd_client_open,
    .client_invoke = etcd_client_invoke,
    .client_close = etcd_client_close,
    .ready = etcd_ready,
    .primaries = etcd_primaries,
};
