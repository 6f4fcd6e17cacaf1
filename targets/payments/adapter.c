/* payments' adapter (DESIGN.md "Targets", payments): one service per node — fl-payments
 * on the first node (the payment processor, a single primary with a fixed capacity) and
 * fl-orders on every other (the saga and its retry layer). Both live in <workdir>/service/
 * so the target's one pidfile names whichever runs on a node: kill and pause hit orders
 * on the orders nodes and payments on the first (pause:primaries is the payments blip).
 * The client sends an order's ops to its home orders node (by key), so any worker can
 * cancel any order, and the final `ledger` read waits for every orders node to settle
 * its pending steps, then reads the ledger from payments. The seeded bugs are fl-orders'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "target.h"

#define PAYMENTS_PORT 7005
#define ORDERS_PORT 7006
#define SETTLE_WAIT_MS 20000

static const char *const payments_ops[] = {"order", "cancel", "read-order", "ledger", NULL};

static const fl_target_bug payments_bugs[] = {
    {"no-idempotency-key", "charges and refunds carry no idempotency key: a retry of a "
                           "refund whose reply was lost refunds again", NULL, NULL, 0},
    {"fixed-retry", "six attempts a fixed 1 s apart, no jitter, budget or deadline: the "
                    "callers of a blip come back in lockstep waves", NULL, NULL, 0},
    {"lost-compensation", "a refund out of retries is given up and the order recorded "
                          "cancelled anyway: the money is kept", NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const fl_target_option payments_options[] = {
    {"capacity", "4", "payments serves this many requests at a time"},
    {"service_ms", "5", "how long payments works on one request"},
    {"queue", "8", "requests waiting for payments beyond those; more are shed (overloaded)"},
    {"call_timeout_ms", "1000", "how long orders waits for one attempt's reply"},
    {NULL, NULL, NULL},
};

static void payments_flags(fl_target_ctx *t, char *a, size_t cap) {
    snprintf(a, cap, " --capacity %d --service-ms %d --queue %d --request-log %s/service/requests.jsonl",
             atoi(fl_target_option_get(t, "capacity")), atoi(fl_target_option_get(t, "service_ms")),
             atoi(fl_target_option_get(t, "queue")), t->nodes->nodes[0].workdir);
}

static void orders_flags(fl_target_ctx *t, char *a, size_t cap) {
    snprintf(a, cap, " --payments %s:%d --call-timeout-ms %d", t->nodes->nodes[0].host,
             PAYMENTS_PORT, atoi(fl_target_option_get(t, "call_timeout_ms")));
}

static void no_bug(fl_target_ctx *t, char *a, size_t cap) {
    (void)t;
    snprintf(a, cap, "%s", "");
}

static const fl_daemon payments = {.name = "service", .binary = "fl-payments",
                                   .port = PAYMENTS_PORT, .flags = payments_flags,
                                   .bug_flags = no_bug};
static const fl_daemon orders = {.name = "service", .binary = "fl-orders", .port = ORDERS_PORT,
                                 .flags = orders_flags};

static const fl_daemon *daemon_of(size_t node) { return node == 0 ? &payments : &orders; }

/* ---- lifecycle ---- */

static int payments_setup(fl_target_ctx *t, char *err, size_t bytes) {
    if (t->nodes->count < 2)
        return snprintf(err, bytes, "payments needs at least 2 nodes (payments on the first, "
                        "orders on the others); the nodes file has %zu", t->nodes->count), -1;
    /* Both binaries everywhere (a node's service is fixed, but the upload is the same
     * step); the second setup stops and wipes what the first left, harmlessly. */
    return fl_daemon_setup(t, &payments, err, bytes) || fl_daemon_setup(t, &orders, err, bytes)
               ? -1 : 0;
}

static int payments_start(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    return fl_daemon_start(t, daemon_of(node), node, err, bytes);
}

static int payments_stop(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    return fl_daemon_stop(t, daemon_of(node), node, err, bytes);
}

/* The service's log, and on the first node payments' request log (retry-storm reads it
 * as nodes/<node>/payments-requests.jsonl). */
static int payments_fetch_logs(fl_target_ctx *t, size_t node, const char *dir, char *err,
                               size_t bytes) {
    if (fl_daemon_fetch_logs(t, daemon_of(node), node, dir, err, bytes) != 0) return -1;
    if (node != 0) return 0;
    char remote[4096], local[4096], why[FL_REMOTE_ERR_BYTES];
    snprintf(remote, sizeof remote, "%s/service/requests.jsonl", t->nodes->nodes[0].workdir);
    snprintf(local, sizeof local, "%s/payments-requests.jsonl", dir);
    if (fl_remote_download(t->control->remotes[0], remote, local, why) != 0)
        return snprintf(err, bytes, "%s: fetching %s: %s", t->nodes->nodes[0].name, remote, why), -1;
    return 0;
}

static int payments_primaries(fl_target_ctx *t, uint64_t *nodes, char *err, size_t bytes) {
    (void)t, (void)err, (void)bytes;
    *nodes = 1; /* payments is the single primary, on the first node */
    return 0;
}

/* ---- the client ---- */

typedef struct pay_client {
    fl_target_ctx *t;
    int timeout_ms;
    fl_client *conns[FL_NODES_MAX];   /* per node, opened on first use */
} pay_client;

/* An order's home orders node: 1 + (the key's hash mod the orders nodes). */
static size_t home_of(const pay_client *c, const json_t *key) {
    size_t orders_nodes = c->t->nodes->count - 1, h = 0;
    if (json_is_integer(key)) {
        json_int_t k = json_integer_value(key);
        return 1 + (size_t)(k < 0 ? -k : k) % orders_nodes;
    }
    char *text = json_dumps(key, JSON_ENCODE_ANY | JSON_COMPACT);
    for (const char *p = text; p && *p; p++) h = h * 31 + (unsigned char)*p;
    free(text);
    return 1 + h % orders_nodes;
}

static fl_client *payments_client_open(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                                       size_t bytes) {
    (void)node; /* every op goes where its order or the ledger lives */
    pay_client *c = calloc(1, sizeof *c);
    if (!c) return snprintf(err, bytes, "out of memory"), NULL;
    *c = (pay_client){.t = t, .timeout_ms = timeout_ms};
    return (fl_client *)c;
}

/* req on node's service; a broken connection is dropped for a fresh one next time. */
static void invoke_on(pay_client *c, size_t node, const fl_request *req, int timeout_ms,
                      fl_reply *out) {
    if (!c->conns[node]) {
        char err[sizeof out->error];
        c->conns[node] = fl_daemon_client_open(c->t, daemon_of(node), node, c->timeout_ms, err,
                                               sizeof err);
        if (!c->conns[node]) { /* nothing was sent: certainly no effect */
            *out = (fl_reply){.type = FL_REPLY_FAIL, .node = (int)node};
            snprintf(out->error, sizeof out->error, "%s", err);
            return;
        }
    }
    fl_daemon_client_invoke(c->conns[node], req, timeout_ms, out);
    out->node = (int)node;
    if (out->type == FL_REPLY_INFO) {
        fl_daemon_client_close(c->conns[node]);
        c->conns[node] = NULL;
    }
}

/* The final ledger read: every orders node settles first (its pending steps run to the
 * end, up to SETTLE_WAIT_MS), and what is still pending is added to the ledger's value
 * as "pending": {node: n}, so the checker can tell a refund still owed from one lost. */
static void read_ledger(pay_client *c, const fl_request *req, int timeout_ms, fl_reply *out) {
    json_t *pending = json_object();
    json_t *wait = json_pack("{s:i}", "wait_ms", SETTLE_WAIT_MS);
    for (size_t node = 1; node < c->t->nodes->count; node++) {
        fl_request settle = {.f = "settle", .value = wait};
        fl_reply r;
        invoke_on(c, node, &settle, SETTLE_WAIT_MS + timeout_ms, &r);
        json_t *n = json_object_get(r.value, "pending");
        json_object_set_new(pending, c->t->nodes->nodes[node].name,
                            r.type == FL_REPLY_OK && n ? json_incref(n) : json_string(r.error));
        json_decref(r.value);
    }
    json_decref(wait);
    invoke_on(c, 0, req, timeout_ms, out);
    if (out->type == FL_REPLY_OK && json_is_object(out->value))
        json_object_set(out->value, "pending", pending);
    json_decref(pending);
}

static void payments_client_invoke(fl_client *handle, const fl_request *req, int timeout_ms,
                                   fl_reply *out) {
    pay_client *c = (pay_client *)handle;
    if (!strcmp(req->f, "ledger")) read_ledger(c, req, timeout_ms, out);
    else invoke_on(c, home_of(c, req->key), req, timeout_ms, out);
}

static void payments_client_close(fl_client *handle) {
    pay_client *c = (pay_client *)handle;
    if (!c) return;
    for (size_t i = 0; i < FL_NODES_MAX; i++)
        if (c->conns[i]) fl_daemon_client_close(c->conns[i]);
    free(c);
}

/* Faults that lose responses, not requests: payments' replies cut one way (the charge or
 * refund happened, orders does not hear it), orders killed mid-saga (its pending steps
 * resumed from disk), and payments paused (the blip: every caller's attempts pile up and
 * come back at once). Each held 3–9 s with as long calm after; the first after 10 s of
 * calm, the baseline the retry-storm checker measures recovery and waves against. */
static const fl_target_defaults payments_defaults = {
    .workload = "saga",
    .nemesis = "partition:mute-primaries,kill:minority,pause:primaries",
    .nemesis_interval_s = 6,
    .nemesis_delay_s = 10,
    .at_once = 1,
    .concurrency = 100,
    .op_timeout_s = 15,
    .why = "a saga whose steps cross a service boundary through a retry layer: payments' "
           "replies lost one way (a refund done but not heard), orders killed mid-saga, and "
           "payments paused (a blip its callers' retries pile onto)",
};

const fl_target fl_target_payments = {
    .name = "payments",
    .summary = "order saga with a refund compensation, called through a retry layer",
    .ops = payments_ops,
    .bugs = payments_bugs,
    .options = payments_options,
    .pidfile = "{workdir}/service/service.pid",
    .defaults = &payments_defaults,
    .setup = payments_setup,
    .start = payments_start,
    .stop = payments_stop,
    .fetch_logs = payments_fetch_logs,
    .client_open = payments_client_open,
    .client_invoke = payments_client_invoke,
    .client_close = payments_client_close,
    .teardown = NULL,
    .ready = NULL,
    .primaries = payments_primaries,
};
