/* One logical call to fl-payments through the retry layer (see pay_call.h). */
#include "pay_call.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "line_client.h"
#include "log.h"
#include "wire.h"

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* the clock shim moves realtime only */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0) continue;
}

void or_caller_init(or_caller *c, const or_options *o) {
    *c = (or_caller){.o = o};
    c->policy = o->bug == OR_FIXED_RETRY ? pay_retry_fixed() : pay_retry_defaults();
    pthread_mutex_init(&c->mu, NULL);
    /* The fixed policy keeps no budget; the window is still a valid one. */
    pay_budget_init(&c->budget, pay_retry_defaults().budget_window_ms);
}

void or_pay_conn_init(or_pay_conn *p, uint64_t seed) { *p = (or_pay_conn){.rng = seed}; }

void or_pay_conn_close(or_pay_conn *p) {
    if (p->client) fl_line_client_close(p->client);
    p->client = NULL;
}

typedef enum { ATTEMPT_OK, ATTEMPT_SHED, ATTEMPT_REFUSED, ATTEMPT_DOUBT } attempt_result;

/* One attempt: its request, its reply within the timeout. */
/* The request of an attempt: kind (charge or refund), the order, its arguments. */
typedef struct pay_request {
    const char *kind;
    const json_t *order, *args;
} pay_request;

static attempt_result attempt(or_caller *c, or_pay_conn *p, const pay_request *req,
                              json_t **value, char *err, size_t err_bytes) {
    int timeout = (int)c->o->call_timeout_ms;
    if (p->client && !fl_line_client_alive(p->client)) or_pay_conn_close(p);
    if (!p->client) {
        char why[256];
        p->client = fl_line_client_open(c->o->payments_host, c->o->payments_port, timeout, why,
                                        sizeof why);
        if (!p->client) { /* nothing was sent: not done, worth another try */
            snprintf(err, err_bytes, "connecting to payments: %s", why);
            return ATTEMPT_SHED;
        }
    }
    fl_line_reply r;
    fl_line_client_call(p->client, req->kind, req->order, req->args, timeout, &r);
    atomic_fetch_add(&c->attempts, 1);
    if (r.type == FL_LINE_OK) {
        *value = r.value;
        return ATTEMPT_OK;
    }
    json_decref(r.value);
    snprintf(err, err_bytes, "%s", r.error);
    if (r.type == FL_LINE_INFO) { /* the request may have been served, its reply lost */
        atomic_fetch_add(&c->timeouts, 1);
        or_pay_conn_close(p);
        return ATTEMPT_DOUBT;
    }
    if (!strcmp(r.error, "overloaded")) {
        atomic_fetch_add(&c->shed, 1);
        return ATTEMPT_SHED;
    }
    return ATTEMPT_REFUSED;
}

or_pay_outcome or_pay(or_caller *c, or_pay_conn *p, const char *kind, const char *ckey,
                      const char *account, int64_t amount, json_t **value, char *err,
                      size_t err_bytes) {
    *value = NULL;
    char call[96], idem[FL_KEY_TEXT_MAX + 16];
    /* The pid too: a restarted service counts its calls from 1 again, and a call id must
     * name one logical call in the whole run's request log. */
    snprintf(call, sizeof call, "%s-%ld-%ld", c->o->id, (long)getpid(),
             atomic_fetch_add(&c->calls, 1) + 1);
    /* The key names the logical operation, so every attempt and every resumption of it
     * (after a crash too) is the same request to payments. */
    snprintf(idem, sizeof idem, "%s:%s", kind, ckey);
    json_t *key = json_loads(ckey, JSON_DECODE_ANY, NULL); /* the order as the client sent it */
    json_t *args = json_pack("{s:s, s:I, s:o, s:s, s:i}", "account", account, "amount",
                             (json_int_t)amount, "idem",
                             c->o->bug == OR_NO_IDEMPOTENCY_KEY ? json_null() : json_string(idem),
                             "call", call, "attempt", 1);
    pay_request req = {kind, key, args};
    int64_t started = now_ms();
    pthread_mutex_lock(&c->mu);
    pay_budget_first(&c->budget, started);
    pthread_mutex_unlock(&c->mu);
    bool doubt = false;
    for (int n = 1;; n++) {
        json_object_set_new(args, "attempt", json_integer(n));
        attempt_result a = attempt(c, p, &req, value, err, err_bytes);
        if (a == ATTEMPT_OK || a == ATTEMPT_REFUSED) {
            json_decref(key);
            json_decref(args);
            return a == ATTEMPT_OK ? OR_PAY_OK : doubt ? OR_PAY_IN_DOUBT : OR_PAY_FAILED;
        }
        doubt |= a == ATTEMPT_DOUBT;
        int64_t delay, now = now_ms();
        pthread_mutex_lock(&c->mu);
        pay_retry_verdict v = pay_retry_next(&c->policy, &c->budget, &p->rng, n, started, now, &delay);
        pthread_mutex_unlock(&c->mu);
        if (v != PAY_RETRY_AGAIN) {
            size_t used = strlen(err);
            snprintf(err + used, err_bytes - used, " (attempt %d; %s)", n, pay_retry_verdict_name(v));
            atomic_fetch_add(&c->gave_up, 1);
            break;
        }
        atomic_fetch_add(&c->retries, 1);
        sleep_ms(delay);
    }
    json_decref(key);
    json_decref(args);
    return doubt ? OR_PAY_IN_DOUBT : OR_PAY_FAILED;
}
