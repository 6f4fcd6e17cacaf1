/* libFuzzer target: fl-orders' parsers (targets/payments/orders/request.c and the order
 * table's journal replay) on any bytes, taken as one request line and as a journal image.
 * Besides crashes, leaks and undefined behaviour, it checks properties:
 *   - a malformed request says why; an order's terms are in range and its key text is
 *     the key's own JSON (so "1" and 1 stay different orders);
 *   - every order the journal scan restored encodes to a record that replays to the same
 *     order (what a restart after the next state change reads back). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applog.h"
#include "fuzz_applog.h"
#include "order_table.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const char *line, size_t len) {
    or_request r;
    or_request_parse(line, len, &r);
    if (r.f == OR_F_MALFORMED && !r.detail[0]) abort();
    if (r.f == OR_F_ORDER || r.f == OR_F_CANCEL || r.f == OR_F_READ) {
        json_t *key = json_loads(r.ckey, JSON_DECODE_ANY, NULL);
        if (!json_equal(key, json_object_get(r.doc, "key"))) abort();
        json_decref(key);
    }
    if (r.f == OR_F_ORDER && (r.amount < 1 || r.amount > OR_AMOUNT_MAX || !r.account[0])) abort();
    if (r.f == OR_F_SETTLE && (r.wait_ms < 0 || r.wait_ms > OR_SETTLE_MS_MAX)) abort();
    or_request_free(&r);
}

static int one_line(void *arg, const char *line, size_t len, char *err, size_t err_bytes) {
    return ot_apply_line(arg, line, len, err, err_bytes);
}

static void table_init(or_table *t) {
    *t = (or_table){0};
    pthread_mutex_init(&t->mu, NULL);
    t->journal.fd = -1;
}

static void check_journal(const char *bytes, size_t len) {
    or_table t, again;
    table_init(&t);
    table_init(&again);
    fl_applog_scan_result r;
    fuzz_check_scan(bytes, len, fl_applog_scan(bytes, len, one_line, &t, &r), &r);
    fl_buf b;
    fl_buf_init(&b, 1 << 20);
    char err[256];
    for (size_t i = 0; i < t.count; i++) {
        const or_order *o = &t.orders[i];
        fl_buf_clear(&b);
        if (ot_record_encode(&b, o) != 0) abort();
        if (ot_apply_line(&again, fl_buf_bytes(&b), fl_buf_len(&b) - 1, err, sizeof err) != 0)
            abort();
        or_order back;
        if (!ot_get(&again, o->ckey, &back) || back.state != o->state ||
            back.amount != o->amount || strcmp(back.account, o->account))
            abort();
    }
    fl_buf_free(&b);
    ot_close(&t);
    ot_close(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_request((const char *)data, size);
    check_journal((const char *)data, size);
    return 0;
}
