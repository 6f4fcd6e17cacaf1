/* libFuzzer target: fl-payments' parsers (targets/payments/payments/request.c, ledger.c,
 * journal.c) on any bytes, taken as one request line and as a journal image. Besides
 * crashes, leaks and undefined behaviour, it checks properties:
 *   - a refused line says why, and its fail reply is one line of valid JSON;
 *   - a charge or refund that parsed decides as ledger.h says: the first time a new entry
 *     moving the balance by its amount, the same again under its key a repeat of that
 *     entry (nothing new), without a key a second entry; its reply and its request log
 *     line are one line of valid JSON each;
 *   - the journal scan's verdict fits the bytes, and the ledger it restored encodes to
 *     records that replay to the same ledger. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applog.h"
#include "fuzz_reply.h"
#include "fuzz_applog.h"
#include "journal.h"
#include "reqlog.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The op twice on a fresh ledger. */
static void check_decision(const pay_request *m, fl_buf *b) {
    pay_ledger l;
    pay_ledger_init(&l, 1000);
    const pay_entry *e;
    if (pay_ledger_apply(&l, &m->op, &e) != PAY_APPLIED || e->seq != 1) abort();
    int64_t moved = m->op.kind == PAY_CHARGE ? -m->op.amount : m->op.amount;
    if (e->balance != 1000 + moved || e->amount != m->op.amount) abort();
    if (pay_reply_outcome(b, m->id, &l, PAY_APPLIED, e) != 0) abort();
    fuzz_check_reply(b, 1, m->id);
    pay_outcome again = pay_ledger_apply(&l, &m->op, &e);
    if (m->op.key ? again != PAY_REPEAT || e->seq != 1 || l.count != 1
                  : again != PAY_APPLIED || e->seq != 2)
        abort();
    if (pay_reply_outcome(b, m->id, &l, again, e) != 0) abort();
    fuzz_check_reply(b, 1, m->id);
    if (pay_reply_outcome(b, m->id, &l, PAY_MISMATCH, e) != 0) abort();
    fuzz_check_reply(b, 1, m->id);
    fl_buf_clear(b);
    pay_ledger_free(&l);
}

static void check_line(const char *line, size_t len, fl_buf *b) {
    pay_request m;
    if (pay_request_parse(line, len, &m) != PAY_PARSE_OK) {
        if (!m.err[0] || m.status == PAY_PARSE_OK) abort(); /* an error always says why */
        if (pay_reply_refusal(b, &m) != 0) abort();
        fuzz_check_reply(b, 1, m.id);
    } else if (m.money) {
        if (!m.call || m.attempt < 1 || m.op.amount < 1 || m.op.amount > PAY_AMOUNT_MAX) abort();
        check_decision(&m, b);
    }
    if (m.money) {
        if (pay_reqlog_encode(b, &m, 1, 2, "ok") != 0) abort();
        fuzz_check_reply(b, 0, NULL);
    }
    pay_request_release(&m);
}

static int one_line(void *arg, const char *line, size_t len, char *err, size_t err_bytes) {
    return pay_journal_apply_line(arg, line, len, err, err_bytes);
}

static void check_journal(const char *bytes, size_t len, fl_buf *b) {
    pay_ledger l, back;
    pay_ledger_init(&l, 0);
    fl_applog_scan_result r;
    int rc = fl_applog_scan(bytes, len, one_line, &l, &r);
    fuzz_check_scan(bytes, len, rc, &r);
    pay_ledger_init(&back, 0);
    for (size_t i = 0; i < l.count; i++) { /* the ledger replays to itself */
        char err[PAY_ERR_BYTES];
        if (pay_journal_encode(b, &l, &l.entries[i]) != 0) abort();
        if (pay_journal_apply_line(&back, fl_buf_bytes(b), fl_buf_len(b) - 1, err, sizeof err))
            abort();
        fl_buf_clear(b);
    }
    json_t *x = pay_ledger_json(&l), *y = pay_ledger_json(&back);
    if (!x || !json_equal(x, y)) abort();
    json_decref(x);
    json_decref(y);
    pay_ledger_free(&back);
    pay_ledger_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fl_buf b; /* one reply or record at a time, cleared after each check */
    if (b.cap_max == 0) fl_buf_init(&b, (size_t)1 << 22);
    check_line((const char *)data, size, &b);
    check_journal((const char *)data, size, &b);
    return 0;
}
