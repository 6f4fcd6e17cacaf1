/* libFuzzer target: fl-quorumkv's parsers (targets/quorumkv/server/message.c, wal.c) on
 * any bytes, taken as one protocol line (a client request or a peer message) and as a put
 * log image. Besides crashes, leaks and undefined behaviour, it checks properties:
 *   - a peer message that parses re-encodes to one line that parses back the same;
 *   - a client request's key text is the key's own JSON (so "1" and 1 stay apart);
 *   - every reply the line can lead to (ok, fail, info) is one line of valid JSON;
 *   - the log scan's verdict fits the bytes: the good prefix ends with a newline, records
 *     counted are records seen, each re-encodes to a record that parses back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_applog.h"
#include "message.h"
#include "wal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one_line(fl_buf *b) {
    size_t n = fl_buf_len(b);
    const char *p = fl_buf_bytes(b);
    if (n == 0 || p[n - 1] != '\n' || memchr(p, '\n', n - 1)) abort();
    json_t *j = json_loadb(p, n - 1, 0, NULL);
    if (!json_is_object(j)) abort();
    json_decref(j);
    fl_buf_clear(b);
}

static void check_same(const qkv_msg *a, const qkv_msg *b) {
    if (a->kind != b->kind || a->rid != b->rid || qkv_version_cmp(a->ver, b->ver) != 0 ||
        strcmp(a->ckey, b->ckey) != 0 || a->peer_count != b->peer_count)
        abort();
    if ((a->value || b->value) && !json_equal(a->value, b->value)) abort();
    if ((a->from || b->from) && (!a->from || !b->from || strcmp(a->from, b->from))) abort();
}

/* A peer message again, through its encoder and the parser. */
static void check_peer(const qkv_msg *m, fl_buf *b) {
    int rc = -1;
    switch (m->kind) {
    case QKV_HELLO: rc = qkv_encode_hello(b, m->from, (size_t)m->peer_count); break;
    case QKV_GET: rc = qkv_encode_get(b, m->rid, m->ckey); break;
    case QKV_GOT: rc = qkv_encode_got(b, m->rid, m->ver, m->value); break;
    case QKV_PUT: rc = qkv_encode_put(b, m->rid, m->ckey, m->ver, m->value); break;
    case QKV_ACK: rc = qkv_encode_ack(b, m->rid); break;
    default: abort();
    }
    if (rc != 0) abort();
    qkv_msg again;
    char err[QKV_ERR_BYTES];
    size_t n = fl_buf_len(b);
    if (qkv_parse(fl_buf_bytes(b), n - 1, &again, err, sizeof err) != QKV_PARSE_OK) abort();
    check_same(m, &again);
    qkv_msg_release(&again);
    fl_buf_clear(b);
}

static void check_client(const qkv_msg *m, fl_buf *b) {
    if (m->kind == QKV_READ || m->kind == QKV_WRITE) {
        json_t *key = json_loads(m->ckey, JSON_DECODE_ANY, NULL);
        if (!json_equal(key, json_object_get(m->root, "key"))) abort();
        json_decref(key);
    }
    if (fl_reply_ok(b, m->id, m->kind == QKV_WRITE ? m->value : json_null(), "n1") != 0) abort();
    check_one_line(b);
    if (fl_reply_error(b, m->id, "info", "no-quorum", "write phase 2 (put)", NULL) != 0) abort();
    check_one_line(b);
}

static void check_line(const char *line, size_t len, fl_buf *b) {
    qkv_msg m;
    char err[QKV_ERR_BYTES] = "";
    qkv_parse_status st = qkv_parse(line, len, &m, err, sizeof err);
    if (st != QKV_PARSE_OK) {
        if (!err[0]) abort(); /* an error always says why */
        if (fl_reply_error(b, m.id, "fail", st == QKV_PARSE_UNKNOWN_F ? "unknown-f" : "malformed",
                             err, NULL) != 0)
            abort();
        check_one_line(b);
    } else if (m.from_peer) {
        check_peer(&m, b);
    } else {
        check_client(&m, b);
    }
    qkv_msg_release(&m);
}

typedef struct scan_state {
    size_t seen;
    fl_buf *b;
} scan_state;

static void on_record(void *arg, const qkv_msg *m) {
    scan_state *s = arg;
    s->seen++;
    if (qkv_encode_record(s->b, m->ckey, m->ver, m->value) != 0) abort();
    qkv_msg again;
    char err[QKV_ERR_BYTES];
    if (qkv_parse_record(fl_buf_bytes(s->b), fl_buf_len(s->b) - 1, &again, err, sizeof err) != 0)
        abort();
    check_same(m, &again);
    qkv_msg_release(&again);
    fl_buf_clear(s->b);
}

static void check_log(const char *bytes, size_t len, fl_buf *b) {
    scan_state s = {0, b};
    qkv_wal_scan_result r;
    int rc = qkv_wal_scan(bytes, len, on_record, &s, &r);
    fuzz_check_scan(bytes, len, rc, &r);
    if (rc == 0 && r.records != s.seen) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fl_buf b;
    fl_buf_init(&b, (size_t)1 << 22);
    check_line((const char *)data, size, &b);
    check_log((const char *)data, size, &b);
    fl_buf_free(&b);
    return 0;
}
