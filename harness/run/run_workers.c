/* Client workers of a test run: one thread per client process, each with its own
 * connection to a node, paced so that all together make --rate ops per second
 * (Jepsen's stagger: each worker waits a uniform random 0..2/rate_per_worker between
 * ops). An op without a reply by --op-timeout is info; the worker then continues as
 * a new process (old + concurrency, as Jepsen does) on a fresh connection; so does a
 * worker whose workload crashes it after an op (fl_gen_op.crash_after). An op may ask
 * the worker to stall first (pause_ms: a holder's GC pause) and to record the reply's
 * value (value_from_reply); a workload that follows its ops' outcomes hears each one
 * (completed) before drawing the next. Also the final reads and final ops after the
 * faults. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_internal.h"

#define CONNECT_RETRY_NS (100 * 1000000LL)
#define SLEEP_SLICE_NS (50 * 1000000LL)

typedef struct worker {
    fl_run *run;
    size_t index;
    int64_t process;
    fl_client *client;
    fl_wrng rng;
    pthread_t thread;
    bool final;          /* the final ops' process: no workload is told of its ops */
} worker;

static worker *workers;

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleep until the monotonic time t, waking early when the main phase ends. */
static void sleep_until(fl_run *r, int64_t t) {
    for (;;) {
        int64_t left = t - mono_ns();
        if (left <= 0 || atomic_load(&r->main_over)) return;
        if (left > SLEEP_SLICE_NS) left = SLEEP_SLICE_NS;
        struct timespec ts = {left / 1000000000, left % 1000000000};
        nanosleep(&ts, NULL);
    }
}

static size_t node_of(const fl_run *r, int64_t process) {
    return (size_t)(process % (int64_t)r->nodes.count);
}

static const char *type_name(fl_reply_type t) {
    return t == FL_REPLY_OK ? "ok" : t == FL_REPLY_FAIL ? "fail" : "info";
}

/* What the history says the op did: a read returns what was read, an op that asks for
 * it what the target replied; any other op's value is what it was asked to do. */
static const json_t *completion_value(const fl_gen_op *op, const fl_reply *reply) {
    if (op->value_from_reply && reply->type != FL_REPLY_INFO && reply->value) return reply->value;
    if (reply->type == FL_REPLY_OK && !op->value) return reply->value ? reply->value : json_null();
    return op->value;
}

/* The worker goes on as a new process on a fresh connection. */
static void new_process(worker *w) {
    fl_run *r = w->run;
    if (w->client) r->target->client_close(w->client);
    w->client = NULL;
    w->process += r->cfg->concurrency;
}

/* One op from invoke to completion. */
static void one_op(worker *w, const fl_gen_op *op) {
    fl_run *r = w->run;
    /* worker i is process i, then i + concurrency, …: one op at a time per process */
    assert(w->process >= 0);
    assert((size_t)(w->process % r->cfg->concurrency) == w->index);
    assert(op->f[0]);
    assert(op->req_f[0]);
    assert(op->pause_ms >= 0);
    size_t node = node_of(r, w->process);
    const char *node_name = r->nodes.nodes[node].name;
    int timeout_ms = (int)(r->cfg->op_timeout_s * 1000);
    fl_reply reply = {0};
    if (op->pause_ms) sleep_until(r, mono_ns() + op->pause_ms * 1000000);
    if (!w->client) {
        char err[256];
        w->client = r->target->client_open(&r->tctx, node, timeout_ms, err, sizeof err);
        if (!w->client) {
            /* Nothing was sent: the op certainly did not happen. */
            fl_hwriter_invoke(&r->history, w->process, op->f, op->key, op->value);
            fl_hwriter_complete(&r->history, w->process, "fail", op->f, op->key, op->value,
                                node_name, err);
            atomic_fetch_add(&r->fail, 1);
            if (r->wdef->completed && !w->final)
                r->wdef->completed(r->workload, (int)w->index, op, "fail", NULL, err);
            sleep_until(r, mono_ns() + CONNECT_RETRY_NS);
            return;
        }
    }
    fl_request req = {op->req_f, op->req_key, op->req_value};
    fl_hwriter_invoke(&r->history, w->process, op->f, op->key, op->value);
    r->target->client_invoke(w->client, &req, timeout_ms, &reply);
    if (reply.node >= 0 && (size_t)reply.node < r->nodes.count) {
        node = (size_t)reply.node; /* redirected to the leader */
        node_name = r->nodes.nodes[node].name;
    }
    assert(reply.type == FL_REPLY_OK || reply.type == FL_REPLY_FAIL || reply.type == FL_REPLY_INFO);
    fl_hwriter_complete(&r->history, w->process, type_name(reply.type), op->f, op->key,
                        completion_value(op, &reply), node_name,
                        reply.type == FL_REPLY_OK ? NULL : reply.error);
    if (r->wdef->completed && !w->final)
        r->wdef->completed(r->workload, (int)w->index, op, type_name(reply.type), reply.value,
                           reply.error);
    json_decref(reply.value);
    if (reply.type == FL_REPLY_OK) {
        atomic_fetch_add(&r->ok, 1);
        atomic_fetch_add(&r->node_ok[node], 1);
    } else if (reply.type == FL_REPLY_FAIL) {
        atomic_fetch_add(&r->fail, 1);
    } else {
        atomic_fetch_add(&r->info, 1);
    }
    /* After an info the process may still be doing that op: go on as a new one. */
    if (reply.type == FL_REPLY_INFO || op->crash_after) new_process(w);
    assert(w->client || reply.type == FL_REPLY_INFO || op->crash_after);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    fl_run *r = w->run;
    double per_worker_rate = r->cfg->rate / r->cfg->concurrency;
    int64_t mean_gap = per_worker_rate > 0 ? (int64_t)(1e9 / per_worker_rate) : 0;
    int64_t next = mono_ns();
    while (!atomic_load(&r->main_over)) {
        if (mean_gap) {
            next += (int64_t)fl_wrng_below(&w->rng, (uint64_t)(2 * mean_gap));
            int64_t now = mono_ns();
            /* Make up a little lag (sleeps overshoot by ~80 µs here), but never burst to
             * catch up after a stall. */
            int64_t window = mean_gap > 1000000 ? mean_gap : 1000000;
            if (next < now - window) next = now;
            sleep_until(r, next);
            if (atomic_load(&r->main_over)) break;
        }
        fl_gen_op op;
        r->wdef->next(r->workload, (int)w->index, &w->rng, &op);
        one_op(w, &op);
        fl_gen_op_clear(&op);
    }
    if (w->client) r->target->client_close(w->client);
    w->client = NULL;
    return NULL;
}

int fl_workers_start(fl_run *r, char *err, size_t bytes) {
    size_t n = (size_t)r->cfg->concurrency;
    workers = calloc(n, sizeof *workers);
    if (!workers) return snprintf(err, bytes, "out of memory"), -1;
    for (size_t i = 0; i < n; i++) {
        workers[i] = (worker){.run = r, .index = i, .process = (int64_t)i};
        workers[i].rng.s = r->seed * 0x9e3779b97f4a7c15ULL + i + 1;
        int rc = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
        if (rc != 0) {
            snprintf(err, bytes, "pthread_create: %s", strerror(rc));
            atomic_store(&r->main_over, true);
            for (size_t j = 0; j < i; j++) pthread_join(workers[j].thread, NULL);
            free(workers);
            workers = NULL;
            return -1;
        }
    }
    return 0;
}

void fl_workers_join(fl_run *r) {
    if (!workers) return;
    for (size_t i = 0; i < (size_t)r->cfg->concurrency; i++) pthread_join(workers[i].thread, NULL);
    free(workers);
    workers = NULL;
}

/* One node's final read: every [key, element] of the plan read there; the op's value
 * lists the elements whose key held a value. */
static void final_read_on(fl_run *r, size_t node, const json_t *plan, int64_t process) {
    const char *name = r->nodes.nodes[node].name;
    int timeout_ms = (int)(r->cfg->op_timeout_s * 1000);
    char err[256] = "";
    fl_hwriter_invoke(&r->history, process, "read", NULL, NULL);
    fl_client *c = r->target->client_open(&r->tctx, node, timeout_ms, err, sizeof err);
    json_t *present = json_array();
    bool complete = c != NULL;
    for (size_t i = 0; complete && i < json_array_size(plan); i++) {
        const json_t *item = json_array_get(plan, i);
        fl_request req = {"read", json_array_get(item, 0), NULL};
        fl_reply reply;
        r->target->client_invoke(c, &req, timeout_ms, &reply);
        if (reply.type != FL_REPLY_OK) {
            snprintf(err, sizeof err, "reading %s: %s", json_string_value(req.key), reply.error);
            complete = false;
        } else if (reply.value && !json_is_null(reply.value)) {
            json_array_append(present, json_array_get(item, 1));
        }
        json_decref(reply.value);
    }
    if (c) r->target->client_close(c);
    /* A read that did not finish tells nothing certain: info, as any unknown outcome. */
    fl_hwriter_complete(&r->history, process, complete ? "ok" : "info", "read", NULL,
                        complete ? present : NULL, name, complete ? NULL : err);
    fl_run_log(r, !complete, "final read on %s: %s (%zu of %zu elements present)", name,
               complete ? "ok" : err, json_array_size(present), json_array_size(plan));
    json_decref(present);
}

void fl_final_ops(fl_run *r) {
    if (!r->wdef->final_ops) return;
    json_t *ops = r->wdef->final_ops(r->workload);
    /* One fresh process, above every worker's and every final read's. */
    worker w = {.run = r, .index = 0, .process = (int64_t)r->cfg->concurrency * 2000000,
                .final = true};
    size_t i;
    json_t *item;
    json_array_foreach(ops, i, item) {
        fl_gen_op op = {.value_from_reply = true};
        snprintf(op.f, sizeof op.f, "%s", json_string_value(json_object_get(item, "f")));
        snprintf(op.req_f, sizeof op.req_f, "%s", op.f);
        op.key = json_incref(json_object_get(item, "key"));
        op.value = json_incref(json_object_get(item, "value"));
        op.req_key = json_incref(op.key);
        op.req_value = json_incref(op.value);
        if (op.f[0]) one_op(&w, &op);
        fl_gen_op_clear(&op);
    }
    if (w.client) r->target->client_close(w.client);
    json_decref(ops);
}

void fl_final_reads(fl_run *r) {
    if (!r->wdef->final_reads) return;
    json_t *plan = r->wdef->final_reads(r->workload);
    /* Fresh process numbers, above every worker's. */
    int64_t base = (int64_t)r->cfg->concurrency * 1000000;
    for (size_t i = 0; i < r->nodes.count; i++) final_read_on(r, i, plan, base + (int64_t)i);
    json_decref(plan);
}
