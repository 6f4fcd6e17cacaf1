/* The journal's records: CRC'd JSON lines (crc_record.h) of ledger entries (see journal.h). */
#include "journal.h"

#include <stdio.h>
#include <string.h>

#include "crc_record.h"
#include "log.h"
#include "wire.h"

int pay_journal_encode(fl_buf *b, const pay_ledger *l, const pay_entry *e) {
    json_t *j = pay_entry_json(l, e);
    if (!j) return -1;
    int rc = fl_crc_record_encode(b, j);
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

/* A line's record: 0 with *j (new reference), *op (borrowed from it) and *seq, or -1 with
 * err when the line is not a whole record. */
static int parse_record(const char *line, size_t len, json_t **j, pay_op *op, uint64_t *seq,
                        char *err, size_t err_bytes) {
    *j = fl_crc_record_decode(line, len, err, err_bytes);
    if (!*j) return -1;
    if (record_op(*j, op, seq) == 0) return 0;
    snprintf(err, err_bytes, "not a record (seq, order, account, kind, amount, key)");
    json_decref(*j);
    return -1;
}

int pay_journal_apply_line(pay_ledger *l, const char *line, size_t len, char *err,
                           size_t err_bytes) {
    json_t *j;
    pay_op op;
    uint64_t seq;
    if (parse_record(line, len, &j, &op, &seq, err, err_bytes) != 0) return -1;
    int rc = pay_ledger_restore(l, seq, &op, err, err_bytes);
    json_decref(j);
    return rc;
}

/* Replay's state. A whole record that does not fit the ledger (not the next seq, a key used
 * twice) is still a valid line to the scan: were it invalid, every record after a damaged
 * one would be out of sequence too, and the scan would cut them all as a torn tail instead
 * of refusing the corruption. It is refused after the scan. */
typedef struct replay {
    pay_ledger *l;
    size_t lines;            /* whole records seen */
    size_t bad_line;         /* 1-based: the first that did not fit; 0: none */
    char err[FL_APPLOG_ERR_BYTES];
} replay;

static int one_line(void *arg, const char *line, size_t len, char *err, size_t err_bytes) {
    replay *r = arg;
    json_t *j;
    pay_op op;
    uint64_t seq;
    if (parse_record(line, len, &j, &op, &seq, err, err_bytes) != 0) return -1;
    r->lines++;
    if (!r->bad_line && pay_ledger_restore(r->l, seq, &op, r->err, sizeof r->err) != 0)
        r->bad_line = r->lines;
    json_decref(j);
    return 0;
}

int pay_journal_open(fl_applog *w, const char *dir, pay_ledger *l, char *err, size_t err_bytes) {
    fl_applog_scan_result r;
    replay rp = {.l = l};
    if (fl_applog_open(w, dir, PAY_JOURNAL_NAME, PAY_JOURNAL_PENDING_BYTES_MAX, one_line, &rp,
                       &r, err, err_bytes) != 0)
        return -1;
    if (rp.bad_line) {
        snprintf(err, err_bytes, "%s line %zu: %s; the ledger is inconsistent: refusing to "
                 "start (move the file away to start empty)", w->path, rp.bad_line, rp.err);
        return -1;
    }
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
