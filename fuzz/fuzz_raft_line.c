/* libFuzzer target: the Raft host's line parser (targets/raftkv/server/proto.c), what
 * fl-raftkv and fl-lockd read from clients and peers, on any bytes taken as one line,
 * parsed with fl-raftkv's ops and with an app table like fl-lockd's. Besides crashes,
 * leaks and undefined behaviour, it checks properties:
 *   - a request that parses names an op of the table it was given (or ping/status, the
 *     host's), carries exactly the fields its spec asks for, and its key text is the
 *     key's own JSON (fl_key_text: "1" and 1 stay apart);
 *   - a refused line says why, and a request refused still has its id when it had one;
 *   - a hello re-encodes to a line that parses back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NODES 5

static const rkv_f_spec lock_like[] = {
    {"acquire", true, true, 0}, {"renew", true, true, 0}, {"release", true, true, 0},
    {"pair", true, true, 2},    {"nokey", false, true, 0},
};
static const rkv_f_table lock_ops = {lock_like, sizeof lock_like / sizeof lock_like[0]};

static void check_request(const rkv_line *l, const rkv_f_table *ops) {
    if (l->host) {
        if (l->f != RKV_F_PING && l->f != RKV_F_STATUS) abort();
        return;
    }
    if (l->f < 0 || (size_t)l->f >= ops->n) abort();
    const rkv_f_spec *spec = &ops->fs[l->f];
    const char *f = json_string_value(json_object_get(l->root, "f"));
    if (!f || strcmp(f, spec->name)) abort();
    if (spec->key) {
        char text[FL_KEY_TEXT_MAX + 1], err[128];
        if (!l->key || fl_key_text(l->key, text, err, sizeof err) != 0 || strcmp(text, l->ckey))
            abort();
    }
    if (spec->value && !l->value) abort();
    if (spec->value_items && json_array_size(l->value) != spec->value_items) abort();
}

static void check_hello(const rkv_line *l) {
    fl_buf b;
    fl_buf_init(&b, 1 << 16);
    if (rkv_encode_hello(&b, l->from, (size_t)l->peer_count) != 0) abort();
    rkv_line back;
    char err[256];
    if (rkv_parse_line_ops(fl_buf_bytes(&b), fl_buf_len(&b) - 1, NODES, &rkv_kv_ops, &back, err,
                           sizeof err) != RKV_PARSE_OK ||
        back.kind != RKV_LINE_HELLO || strcmp(back.from, l->from) ||
        back.peer_count != l->peer_count)
        abort();
    rkv_line_release(&back);
    fl_buf_free(&b);
}

static void parse_with(const uint8_t *data, size_t size, const rkv_f_table *ops) {
    rkv_line l;
    char err[256] = "";
    rkv_parse_status st = rkv_parse_line_ops((const char *)data, size, NODES, ops, &l, err,
                                             sizeof err);
    if (st != RKV_PARSE_OK) {
        if (!err[0]) abort(); /* a refusal says why */
        if (l.kind == RKV_LINE_REQUEST && json_is_object(l.root) &&
            json_object_get(l.root, "id") != l.id)
            abort();
    } else if (l.kind == RKV_LINE_REQUEST) {
        check_request(&l, ops);
    } else if (l.kind == RKV_LINE_HELLO) {
        check_hello(&l);
    }
    rkv_line_release(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    parse_with(data, size, &rkv_kv_ops);
    parse_with(data, size, &lock_ops);
    return 0;
}
