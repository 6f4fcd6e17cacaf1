/* The journal's records: CRC'd JSON lines (crcline.h) of ledger entries (see journal.h). */
#include "journal.h"

#include <stdio.h>
#include <string.h>

#include "crcline.h"
#include "log.h"
#include "wire.h"

int pay_journal_encode(fl_buf *b, const pay_ledger *l, const pay_entry *e) {
    json_t *j = pay_entry_json(l, e);
    if (!j) return -1;
    int rc = fl_crcline_append(b, j);
    json_decref(j);
    return rc;
}

/* A name field of a record as the parser would take it: 1..PAY_NAME_BYTES_MAX bytes, no
 * NUL. */
static const char *record_name(const json_t *j) {
    if (!json_is_string(j)) return NULL;
    const char *s = json_string_value(j);
    size_t n = json_string_length(j);
    return n >= 1 && n <= PAY_NAME_BYTES_MAX && strlen(s) == n ? s : NULL;
}

/* The record's entry as an op and its seq: 0, or -1 (not a record). */
static int record_op(const json_t *j, pay_op *op, uint64_t *seq) {
    const json_t *s = json_object_get(j, "seq"), *amount = json_object_get(j, "amount"),
                 *kind = json_object_get(j, "kind"), *key = json_object_get(j, "key");
    char ckey[FL_KEY_TEXT_MAX + 1], err[64];
    *op = (pay_op){.order = json_object_get(j, "order"),
                   .account = record_name(json_object_get(j, "account"))};
    if (!json_is_integer(s) || json_integer_value(s) < 1 || !json_is_integer(amount) ||
        json_integer_value(amount) < 1 || json_integer_value(amount) > PAY_AMOUNT_MAX ||
        !json_is_string(kind) || pay_kind_parse(json_string_value(kind), &op->kind) != 0 ||
        !op->account || !key || fl_key_text(op->order, ckey, err, sizeof err) != 0)
        return -1;
    if (!json_is_null(key) && !(op->key = record_name(key))) return -1;
    op->amount = (int64_t)json_integer_value(amount);
    *seq = (uint64_t)json_integer_value(s);
    return 0;
}

int pay_journal_apply_line(pay_ledger *l, const char *line, size_t len, char *err,
                           size_t err_bytes) {
    const char *text;
    size_t text_len;
    if (fl_crcline_open(line, len, &text, &text_len, err, err_bytes) != 0) return -1;
    json_t *j = json_loadb(text, text_len, JSON_REJECT_DUPLICATES, NULL);
    pay_op op;
    uint64_t seq;
    int rc = -1;
    if (!json_is_object(j) || record_op(j, &op, &seq) != 0)
        snprintf(err, err_bytes, "not a record (seq, order, account, kind, amount, key)");
    else rc = pay_ledger_restore(l, seq, &op, err, err_bytes);
    json_decref(j);
    return rc;
}

static int one_line(void *arg, const char *line, size_t len, char *err, size_t err_bytes) {
    return pay_journal_apply_line(arg, line, len, err, err_bytes);
}

int pay_journal_open(fl_applog *w, const char *dir, pay_ledger *l, char *err, size_t err_bytes) {
    fl_applog_scan_result r;
    if (fl_applog_open(w, dir, PAY_JOURNAL_NAME, PAY_JOURNAL_PENDING_BYTES_MAX, one_line, l, &r,
                       err, err_bytes) != 0)
        return -1;
    fl_log("recovered %zu entr%s (%zu account%s, %zu idempotency key%s) from %s", l->count,
           l->count == 1 ? "y" : "ies", l->account_count, l->account_count == 1 ? "" : "s",
           json_object_size(l->key_index), json_object_size(l->key_index) == 1 ? "" : "s",
           w->path);
    return 0;
}

int pay_journal_append(fl_applog *w, const pay_ledger *l, const pay_entry *e) {
    if (pay_journal_encode(&w->pending, l, e) != 0) return -1;
    fl_applog_added(w);
    return 0;
}
