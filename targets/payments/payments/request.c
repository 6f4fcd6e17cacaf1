/* Parsing fl-payments' request lines and writing its ledger replies (see request.h). */
#include "request.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"

/* A string of 1..PAY_NAME_BYTES_MAX bytes without NUL (it becomes a C string and a JSON
 * object key): it, or NULL. */
static const char *name_of(const json_t *j) {
    if (!json_is_string(j)) return NULL;
    size_t n = json_string_length(j);
    const char *s = json_string_value(j);
    return n >= 1 && n <= PAY_NAME_BYTES_MAX && strlen(s) == n ? s : NULL;
}

/* value.call and value.attempt, kept for the log even when something else is wrong. */
static int want_call(const json_t *value, pay_request *m, char *err, size_t err_bytes) {
    const json_t *attempt = json_object_get(value, "attempt");
    m->call = name_of(json_object_get(value, "call"));
    if (json_is_integer(attempt) && json_integer_value(attempt) >= 1)
        m->attempt = (int64_t)json_integer_value(attempt);
    if (!m->call) {
        snprintf(err, err_bytes, "value.call must be a non-empty string (at most %d bytes)",
                 PAY_NAME_BYTES_MAX);
        return -1;
    }
    if (m->attempt == 0) {
        snprintf(err, err_bytes, "value.attempt must be an integer >= 1");
        return -1;
    }
    return 0;
}

static int want_op(const json_t *value, pay_request *m, char *err, size_t err_bytes) {
    pay_op *op = &m->op;
    const json_t *amount = json_object_get(value, "amount"), *key = json_object_get(value, "idem");
    op->account = name_of(json_object_get(value, "account"));
    if (!op->account) {
        snprintf(err, err_bytes, "value.account must be a non-empty string (at most %d bytes)",
                 PAY_NAME_BYTES_MAX);
        return -1;
    }
    if (!json_is_integer(amount) || json_integer_value(amount) < 1 ||
        json_integer_value(amount) > PAY_AMOUNT_MAX) {
        snprintf(err, err_bytes, "value.amount must be an integer in 1..%d", PAY_AMOUNT_MAX);
        return -1;
    }
    op->amount = (int64_t)json_integer_value(amount);
    if (key && !json_is_null(key) && !(op->key = name_of(key))) {
        snprintf(err, err_bytes, "value.idem must be null or a non-empty string (at most %d "
                 "bytes)", PAY_NAME_BYTES_MAX);
        return -1;
    }
    return 0;
}

static pay_parse_status parse_f(const json_t *f, pay_request *m, char *err, size_t err_bytes) {
    static const struct { const char *name; pay_f f; } names[] = {
        {"charge", PAY_F_CHARGE}, {"refund", PAY_F_REFUND}, {"ledger", PAY_F_LEDGER},
        {"ping", PAY_F_PING}, {"status", PAY_F_STATUS},
    };
    if (!json_is_string(f)) {
        snprintf(err, err_bytes, "f must be a string");
        return PAY_PARSE_MALFORMED;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(json_string_value(f), names[i].name)) {
            m->f = names[i].f;
            m->money = m->f == PAY_F_CHARGE || m->f == PAY_F_REFUND;
            return PAY_PARSE_OK;
        }
    snprintf(err, err_bytes, "f must be charge, refund, ledger, ping or status");
    return PAY_PARSE_UNKNOWN_F;
}

/* The parse proper: its status, err filled when it is not OK. */
static pay_parse_status parse(const char *line, size_t len, pay_request *m, char *err,
                              size_t err_bytes) {
    json_error_t je;
    m->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!m->root) {
        snprintf(err, err_bytes, "not JSON: %s", je.text);
        return PAY_PARSE_MALFORMED;
    }
    if (!json_is_object(m->root)) {
        snprintf(err, err_bytes, "not a JSON object");
        return PAY_PARSE_MALFORMED;
    }
    m->id = json_object_get(m->root, "id");
    pay_parse_status st = parse_f(json_object_get(m->root, "f"), m, err, err_bytes);
    if (st != PAY_PARSE_OK || !m->money) return st;
    m->op.kind = m->f == PAY_F_CHARGE ? PAY_CHARGE : PAY_REFUND;
    const json_t *value = json_object_get(m->root, "value");
    if (!json_is_object(value)) {
        snprintf(err, err_bytes, "value must be an object (account, amount, idem, call, "
                 "attempt)");
        return PAY_PARSE_MALFORMED;
    }
    /* the call first: a malformed request is logged with its call when it has one */
    if (want_call(value, m, err, err_bytes) != 0) return PAY_PARSE_MALFORMED;
    char ckey[FL_KEY_TEXT_MAX + 1];
    const json_t *order = json_object_get(m->root, "key");
    if (fl_key_text(order, ckey, err, err_bytes) != 0) return PAY_PARSE_MALFORMED;
    m->op.order = order;
    if (want_op(value, m, err, err_bytes) != 0) return PAY_PARSE_MALFORMED;
    return PAY_PARSE_OK;
}

pay_parse_status pay_request_parse(const char *line, size_t len, pay_request *m) {
    memset(m, 0, sizeof *m);
    m->status = parse(line, len, m, m->err, sizeof m->err);
    if (m->status != PAY_PARSE_OK && !m->err[0]) snprintf(m->err, sizeof m->err, "malformed");
    return m->status;
}

void pay_request_release(pay_request *m) {
    json_decref(m->root);
    m->root = NULL;
    m->id = NULL;
    m->op = (pay_op){0};
    m->call = NULL;
}

int pay_reply_refusal(fl_buf *b, const pay_request *m) {
    assert(m->status != PAY_PARSE_OK);
    return fl_reply_error(b, m->id, "fail",
                          m->status == PAY_PARSE_UNKNOWN_F ? "unknown-f" : "malformed", m->err,
                          NULL);
}

const char *pay_outcome_name(pay_outcome o) {
    switch (o) {
    case PAY_APPLIED: return "ok";
    case PAY_REPEAT: return "repeat";
    case PAY_MISMATCH: return "idem-mismatch";
    case PAY_FULL: return "full";
    }
    assert(!"an outcome");
    return "?";
}

int pay_reply_outcome(fl_buf *b, const json_t *id, const pay_ledger *l, pay_outcome o,
                      const pay_entry *e) {
    char detail[PAY_ERR_BYTES];
    if (o == PAY_FULL) {
        snprintf(detail, sizeof detail, "the ledger holds %zu entries, its most", l->count);
        return fl_reply_error(b, id, "fail", "full", detail, NULL);
    }
    assert(e);
    if (o == PAY_MISMATCH) {
        snprintf(detail, sizeof detail, "the idempotency key was used for entry %llu (a %s "
                 "of %lld on order %s)", (unsigned long long)e->seq, pay_kind_name(e->kind),
                 (long long)e->amount, e->ckey);
        return fl_reply_error(b, id, "fail", "idem-mismatch", detail, NULL);
    }
    json_t *v = pay_entry_result_json(l, e, o == PAY_REPEAT);
    int rc = v ? fl_reply_ok(b, id, v, NULL) : -1;
    json_decref(v);
    return rc;
}
