/* The lock workload (DESIGN.md "Targets", lockd): each worker is a lock holder running
 * critical sections on a few resources — acquire L → read R with the token → write R
 * read+1 with the token → release — with, drawn from the seed per section:
 *   a pause: the worker sleeps 1.2–2 × the lease between read and write without renewing
 *            (a GC pause: real time passes and the lease really expires), then writes;
 *   a long section: the same length of work, renewing every renew interval; as a careful
 *            holder it trusts its lease until 0.9 × the lease after it last asked for it
 *            (acquire or renew) and writes only while that holds: a renewal refused as
 *            expired or not-holder ends the section, one that failed for want of a leader
 *            does not (the lease still runs) — which is where a new leader that grants
 *            early puts two holders on one lock;
 *   a crash: the worker abandons the section after the read (a new process).
 * Lock L guards resource R = L (integer keys 0..R-1). After the faults every resource is
 * peeked (unfenced) for the final values. Checked by `fencing` (stale accesses accepted,
 * false rejections, lost increments) and `linearizable` with the fenced-register model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "workload.h"

#define PAUSE_PERMILLE 60   /* sections with a pause */
#define LONG_PERMILLE 150   /* sections that run long but renew */
#define CRASH_PERMILLE 20   /* sections abandoned after the read */
#define BACKOFF_MS_MIN 10   /* after a refused acquire */
#define BACKOFF_MS_SPAN 90

typedef enum { H_IDLE, H_ACQUIRING, H_READING, H_RENEWING, H_WRITING, H_RELEASING } holder_state;
typedef enum { S_NORMAL, S_PAUSE, S_LONG, S_CRASH } section_kind;

/* One worker's critical section. Only its own worker thread touches it. */
typedef struct holder {
    holder_state state;
    section_kind kind;
    long resource;
    long serial;                  /* sections begun by this worker: names the holder */
    json_int_t token;
    json_int_t read_value;
    int64_t stall_ms, stalled_ms; /* a pause's or long section's length, and how far in */
    bool refused;                 /* the last acquire was refused: back off before the next */
    int64_t asked_ns;             /* when the pending acquire or renew goes out (monotonic) */
    int64_t trusted_until_ns;     /* the holder's own end of its lease: 0.9 × ttl after it
                                     last asked for it and was granted */
} holder;

struct fl_workload {
    fl_workload_options o;
    long resources;
    int64_t ttl_ms, renew_ms;
    holder *holders;              /* one per worker */
};

static long option_ms(const fl_workload_options *o, const char *name, long fallback) {
    const char *v = json_string_value(json_object_get(o->target_options, name));
    long n = v ? atol(v) : 0;
    return n > 0 ? n : fallback;
}

static fl_workload *lock_create(const fl_workload_options *o, char *err, size_t bytes) {
    static const char *const need[] = {"acquire", "renew", "release", "read", "write", "peek"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (!fl_ops_have(o->target_ops, need[i])) {
            snprintf(err, bytes, "the lock workload needs a target with acquire, renew, "
                     "release, read, write and peek (a lock service and the storage it guards)");
            return NULL;
        }
    fl_workload *w = calloc(1, sizeof *w);
    int workers = o->concurrency > 0 ? o->concurrency : 1;
    if (w) w->holders = calloc((size_t)workers, sizeof *w->holders);
    if (!w || !w->holders) {
        free(w);
        return snprintf(err, bytes, "out of memory"), NULL;
    }
    w->o = *o;
    w->o.target_options = NULL; /* borrowed: not kept past create */
    /* Two holders per resource: every lock contended (a paused holder's successor is
     * waiting), without a queue on every lock. */
    w->resources = workers / 2 > 0 ? workers / 2 : 1;
    w->ttl_ms = option_ms(o, "ttl_ms", 1000);
    w->renew_ms = option_ms(o, "renew_ms", 300);
    return w;
}

static int64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void set_op(fl_gen_op *out, const char *f, long resource, json_t *value) {
    memset(out, 0, sizeof *out);
    snprintf(out->f, sizeof out->f, "%s", f);
    snprintf(out->req_f, sizeof out->req_f, "%s", f);
    out->key = json_integer(resource);
    out->value = value;
    out->req_key = json_incref(out->key);
    out->req_value = json_incref(value);
    out->value_from_reply = true;
}

static json_t *holder_value(const holder *h, int worker, bool with_token) {
    char name[48];
    snprintf(name, sizeof name, "w%d.%ld", worker, h->serial);
    json_t *v = json_pack("{s:s}", "holder", name);
    if (with_token) json_object_set_new(v, "token", json_integer(h->token));
    return v;
}

static void begin_section(fl_workload *w, holder *h, fl_wrng *rng) {
    h->serial++;
    h->resource = (long)fl_wrng_below(rng, (uint64_t)w->resources);
    uint64_t pick = fl_wrng_below(rng, 1000);
    h->kind = pick < PAUSE_PERMILLE                                   ? S_PAUSE
              : pick < PAUSE_PERMILLE + LONG_PERMILLE                  ? S_LONG
              : pick < PAUSE_PERMILLE + LONG_PERMILLE + CRASH_PERMILLE ? S_CRASH
                                                                       : S_NORMAL;
    h->stall_ms = w->ttl_ms * 6 / 5 + (int64_t)fl_wrng_below(rng, (uint64_t)(w->ttl_ms * 4 / 5 + 1));
    h->stalled_ms = 0;
}

/* A long section's end: write while the holder still trusts its lease (with room for
 * the write itself), else leave the lock be. */
static void finish_long(fl_workload *w, holder *h, int worker, fl_gen_op *out) {
    if (mono_ns() + w->renew_ms * 1000000 / 2 < h->trusted_until_ns) {
        h->state = H_WRITING;
        json_t *v = json_pack("{s:I,s:I}", "token", h->token, "value", h->read_value + 1);
        set_op(out, "write", h->resource, v);
        return;
    }
    h->state = H_RELEASING;
    set_op(out, "release", h->resource, holder_value(h, worker, true));
}

static void lock_next(fl_workload *w, int worker, fl_wrng *rng, fl_gen_op *out) {
    holder *h = &w->holders[worker];
    switch (h->state) {
    case H_IDLE:
    case H_ACQUIRING:
        if (h->state == H_IDLE) begin_section(w, h, rng);
        set_op(out, "acquire", h->resource, holder_value(h, worker, false));
        if (h->refused) out->pause_ms = BACKOFF_MS_MIN + (int64_t)fl_wrng_below(rng, BACKOFF_MS_SPAN);
        h->refused = false;
        h->asked_ns = mono_ns() + out->pause_ms * 1000000;
        h->state = H_ACQUIRING;
        return;
    case H_READING:
        set_op(out, "read", h->resource, json_pack("{s:I}", "token", h->token));
        out->crash_after = h->kind == S_CRASH;
        return;
    case H_RENEWING:
        if (h->stalled_ms >= h->stall_ms) {
            finish_long(w, h, worker, out);
            return;
        }
        set_op(out, "renew", h->resource, holder_value(h, worker, true));
        out->pause_ms = w->renew_ms;
        h->stalled_ms += w->renew_ms;
        h->asked_ns = mono_ns() + out->pause_ms * 1000000;
        return;
    case H_WRITING: {
        json_t *v = json_pack("{s:I,s:I}", "token", h->token, "value", h->read_value + 1);
        if (h->kind == S_PAUSE) json_object_set_new(v, "paused_ms", json_integer(h->stall_ms));
        set_op(out, "write", h->resource, v);
        out->pause_ms = h->kind == S_PAUSE ? h->stall_ms : 0;
        return;
    }
    case H_RELEASING:
        set_op(out, "release", h->resource, holder_value(h, worker, true));
        return;
    }
}

/* The integer a read found (a register never written holds null: 0). */
static json_int_t read_value_of(const json_t *reply) {
    const json_t *v = json_object_get(reply, "value");
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* A renewal refused because the lease is gone (not for want of a leader: then it still
 * runs until the holder's own reckoning says otherwise). */
static bool lease_lost(const char *error) {
    return !strcmp(error, "expired") || !strcmp(error, "not-holder");
}

static void lock_completed(fl_workload *w, int worker, const fl_gen_op *op, const char *type,
                           const json_t *value, const char *error) {
    holder *h = &w->holders[worker];
    bool ok = !strcmp(type, "ok"), info = !strcmp(type, "info");
    /* A crash, or an op whose outcome is unknown: the worker goes on as a new process and
     * whatever it held is left behind — except a renewal in doubt (a leader killed or cut
     * off under it): the lease still runs, and the holder keeps to its own reckoning of
     * it under its new process number (the holder is named by the section, not the
     * process), as a real client would. */
    if (op->crash_after || (info && h->state != H_RENEWING)) {
        h->state = H_IDLE;
        return;
    }
    switch (h->state) {
    case H_ACQUIRING:
        if (ok && json_is_integer(json_object_get(value, "token"))) {
            h->token = json_integer_value(json_object_get(value, "token"));
            h->trusted_until_ns = h->asked_ns + w->ttl_ms * 900000;
            h->state = H_READING;
        } else { /* held by another, or a new leader waiting: try again a little later */
            h->refused = true;
        }
        return;
    case H_READING:
        if (!ok) {
            h->state = H_RELEASING; /* fenced out: a newer holder has been there */
            return;
        }
        h->read_value = read_value_of(value);
        h->state = h->kind == S_LONG ? H_RENEWING : H_WRITING;
        return;
    case H_RENEWING:
        if (ok) h->trusted_until_ns = h->asked_ns + w->ttl_ms * 900000;
        else if (lease_lost(error)) h->state = H_RELEASING; /* a careful holder stops */
        return;
    case H_WRITING: h->state = H_RELEASING; return;
    case H_RELEASING:
    case H_IDLE: h->state = H_IDLE; return;
    }
}

static json_t *lock_final_ops(fl_workload *w) {
    json_t *ops = json_array();
    for (long r = 0; r < w->resources; r++)
        json_array_append_new(ops, json_pack("{s:s,s:I}", "f", "peek", "key", (json_int_t)r));
    return ops;
}

static void lock_checker_options(const fl_workload *w, fl_checker_options *o) {
    o->lin = fl_workload_lin_options(&w->o, fl_model_find("fenced-register"));
}

static void lock_free(fl_workload *w) {
    if (w) free(w->holders);
    free(w);
}

static const char *const lock_needs[] = {"acquire", "read", "write", NULL};
static const char *const lock_checkers[] = {"fencing", "linearizable", NULL};

const fl_workload_def fl_workload_lock = {
    .name = "lock",
    .summary = "lock holders' critical sections (acquire, read, write +1 with the token, "
               "release) with pauses past the lease; fencing and lost increments",
    .needs = lock_needs,
    .create = lock_create,
    .next = lock_next,
    .completed = lock_completed,
    .final_ops = lock_final_ops,
    .final_reads = NULL,
    .checkers = lock_checkers,
    .checker_options = lock_checker_options,
    .free = lock_free,
};
