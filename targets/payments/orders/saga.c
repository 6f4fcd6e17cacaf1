/* The saga's steps (see saga.h). */
#include "saga.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

static void answer_ok(or_answer *a, json_t *value) {
    *a = (or_answer){.type = "ok", .value = value};
}

static void answer_error(or_answer *a, const char *type, const char *error, const char *detail) {
    *a = (or_answer){.type = type};
    snprintf(a->error, sizeof a->error, "%s", error);
    snprintf(a->detail, sizeof a->detail, "%s", detail ? detail : "");
}

static json_t *state_value(const char *state, const json_t *payment) {
    json_t *v = json_pack("{s:s}", "state", state);
    json_t *entry = json_object_get(payment, "entry");
    if (entry) json_object_set(v, "entry", entry);
    return v;
}

/* The charge of a claimed order in state charging: its new state, the claim ended. */
static void charge_step(or_saga *s, or_pay_conn *p, const or_order *o, or_answer *a) {
    json_t *payment;
    char err[512];
    switch (or_pay(s->caller, p, "charge", o->ckey, o->account, o->amount, &payment, err, sizeof err)) {
    case OR_PAY_OK:
        ot_set_state(s->table, o->ckey, OR_CHARGED, true);
        answer_ok(a, state_value("charged", payment));
        break;
    case OR_PAY_FAILED:
        ot_set_state(s->table, o->ckey, OR_FAILED, true);
        answer_error(a, "fail", "charge-failed", err);
        break;
    case OR_PAY_IN_DOUBT: /* stays charging: the resumer asks again with the same key */
        ot_release(s->table, o->ckey);
        answer_error(a, "info", "charge-in-doubt", err);
        break;
    }
    json_decref(payment);
}

/* The refund of a claimed order in state refunding: its new state, the claim ended. The
 * cancellation is acknowledged either way: the refund is owed. */
static void refund_step(or_saga *s, or_pay_conn *p, const or_order *o, or_answer *a) {
    json_t *payment;
    char err[512];
    or_pay_outcome r = or_pay(s->caller, p, "refund", o->ckey, o->account, o->amount, &payment,
                              err, sizeof err);
    if (r == OR_PAY_OK) {
        ot_set_state(s->table, o->ckey, OR_CANCELLED, true);
        answer_ok(a, state_value("cancelled", payment));
    } else if (s->bug == OR_LOST_COMPENSATION) { /* the bug: out of retries, given up */
        fl_log("order %s: refund given up (%s); recorded cancelled", o->ckey, err);
        ot_set_state(s->table, o->ckey, OR_CANCELLED, true);
        answer_ok(a, state_value("cancelled", NULL));
    } else {
        ot_release(s->table, o->ckey);
        answer_ok(a, state_value("refund-pending", NULL));
    }
    json_decref(payment);
}

void or_saga_order(or_saga *s, or_pay_conn *p, const char *ckey, const char *account,
                   int64_t amount, or_answer *a) {
    or_order o;
    switch (ot_create(s->table, ckey, account, amount, &o)) {
    case OT_FULL: answer_error(a, "fail", "full", "too many orders"); return;
    case OT_CREATED: charge_step(s, p, &o, a); return;
    case OT_EXISTS: break;
    }
    if (strcmp(o.account, account) || o.amount != amount)
        answer_error(a, "fail", "exists", "an order with this key and other terms exists");
    else if (o.state == OR_FAILED) answer_error(a, "fail", "charge-failed", "placed before");
    else if (o.state == OR_CHARGING) answer_error(a, "info", "charge-in-doubt", "placed before");
    else answer_ok(a, state_value(or_state_name(o.state), NULL));
}

void or_saga_cancel(or_saga *s, or_pay_conn *p, const char *ckey, or_answer *a) {
    or_order o;
    if (ot_claim(s->table, ckey, OR_CHARGED, &o)) {
        ot_set_state(s->table, ckey, OR_REFUNDING, false); /* acknowledged from here on */
        refund_step(s, p, &o, a);
        return;
    }
    if (!ot_get(s->table, ckey, &o)) answer_error(a, "fail", "no-such-order", NULL);
    else if (o.state == OR_CHARGING || o.state == OR_FAILED)
        answer_error(a, "fail", "not-charged", or_state_name(o.state));
    else if (o.state == OR_CHARGED) answer_error(a, "fail", "busy", "another step runs");
    else answer_ok(a, state_value(o.state == OR_CANCELLED ? "cancelled" : "refund-pending", NULL));
}

void or_saga_read(or_saga *s, const char *ckey, or_answer *a) {
    or_order o;
    if (!ot_get(s->table, ckey, &o)) {
        answer_ok(a, json_pack("{s:n}", "state"));
        return;
    }
    answer_ok(a, json_pack("{s:s, s:s, s:I}", "state", or_state_name(o.state), "account",
                           o.account, "amount", (json_int_t)o.amount));
}

#define RESUME_BATCH 64

size_t or_saga_resume(or_saga *s, or_pay_conn *p) {
    or_order batch[RESUME_BATCH];
    size_t n = ot_claim_pending(s->table, batch, RESUME_BATCH);
    for (size_t i = 0; i < n; i++) {
        or_answer a;
        if (batch[i].state == OR_CHARGING) charge_step(s, p, &batch[i], &a);
        else refund_step(s, p, &batch[i], &a);
        json_decref(a.value);
    }
    return n;
}
