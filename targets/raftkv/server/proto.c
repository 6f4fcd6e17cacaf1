/* Parsing and encoding of fl-raftkv's lines (see proto.h). Encoders write the frame by
 * hand around jansson's compact dumps, which never hold a newline. */
#include "proto.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "raft_codec.h"

static const rkv_f_spec kv_specs[] = {
    [RKV_F_READ] = {"read", true, false, 0},
    [RKV_F_WRITE] = {"write", true, true, 0},
    [RKV_F_CAS] = {"cas", true, true, 2},
    [RKV_F_APPEND] = {"append", true, true, 0},
    [RKV_F_TXN] = {"txn", false, true, 0}, /* its micro-ops are checked by the app (fsm.h) */
};
const rkv_f_table rkv_kv_ops = {kv_specs, sizeof kv_specs / sizeof kv_specs[0]};

const char *rkv_f_name(rkv_f f) {
    if (f == RKV_F_PING) return "ping";
    if (f == RKV_F_STATUS) return "status";
    return (size_t)f < rkv_kv_ops.n ? kv_specs[f].name : "?";
}

static int field_key(rkv_line *l, char *err, size_t err_bytes) {
    l->key = json_object_get(l->root, "key");
    if (l->key) return fl_key_text(l->key, l->ckey, err, err_bytes);
    snprintf(err, err_bytes, "missing key");
    return -1;
}

static int field_value(rkv_line *l, const rkv_f_spec *spec, char *err, size_t err_bytes) {
    l->value = json_object_get(l->root, "value");
    if (!l->value) {
        snprintf(err, err_bytes, "missing value");
        return -1;
    }
    if (spec->value_items && (!json_is_array(l->value) ||
                              json_array_size(l->value) != spec->value_items)) {
        snprintf(err, err_bytes, "%s needs a value of %zu items%s", spec->name, spec->value_items,
                 spec->value_items == 2 ? " [old, new]" : "");
        return -1;
    }
    return 0;
}

static rkv_parse_status parse_request(rkv_line *l, const rkv_f_table *ops, char *err,
                                      size_t err_bytes) {
    l->kind = RKV_LINE_REQUEST;
    l->id = json_object_get(l->root, "id");
    const char *f = json_string_value(json_object_get(l->root, "f"));
    if (!f) {
        snprintf(err, err_bytes, "missing f (a string)");
        return RKV_PARSE_MALFORMED;
    }
    l->host = !strcmp(f, "ping") || !strcmp(f, "status");
    if (l->host) {
        l->f = !strcmp(f, "ping") ? RKV_F_PING : RKV_F_STATUS;
        return RKV_PARSE_OK;
    }
    size_t i = 0;
    while (i < ops->n && strcmp(f, ops->fs[i].name)) i++;
    if (i == ops->n) {
        snprintf(err, err_bytes, "unknown f '%.64s'", f);
        return RKV_PARSE_UNKNOWN_F;
    }
    l->f = (int)i;
    const rkv_f_spec *spec = &ops->fs[i];
    if (spec->key && field_key(l, err, err_bytes) != 0) return RKV_PARSE_MALFORMED;
    if (spec->value && field_value(l, spec, err, err_bytes) != 0) return RKV_PARSE_MALFORMED;
    return RKV_PARSE_OK;
}

static rkv_parse_status parse_hello(rkv_line *l, const json_t *p, char *err, size_t err_bytes) {
    l->kind = RKV_LINE_HELLO;
    const json_t *from = json_object_get(l->root, "from"), *n = json_object_get(l->root, "n");
    if (!json_is_string(p) || strcmp(json_string_value(p), "hello") || !json_is_string(from) ||
        !json_is_integer(n) || json_integer_value(n) < 1) {
        snprintf(err, err_bytes, "expected {\"p\":\"hello\",\"from\":NAME,\"n\":N}");
        return RKV_PARSE_MALFORMED;
    }
    l->from = json_string_value(from);
    l->peer_count = json_integer_value(n);
    return RKV_PARSE_OK;
}

rkv_parse_status rkv_parse_line(const char *line, size_t len, int nodes, rkv_line *l, char *err,
                                size_t err_bytes) {
    return rkv_parse_line_ops(line, len, nodes, &rkv_kv_ops, l, err, err_bytes);
}

rkv_parse_status rkv_parse_line_ops(const char *line, size_t len, int nodes,
                                    const rkv_f_table *ops, rkv_line *l, char *err,
                                    size_t err_bytes) {
    memset(l, 0, sizeof *l);
    json_error_t je;
    l->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!l->root) {
        snprintf(err, err_bytes, "not JSON: %s (at byte %d)", je.text, je.position);
        return RKV_PARSE_MALFORMED;
    }
    if (!json_is_object(l->root)) {
        snprintf(err, err_bytes, "expected a JSON object");
        return RKV_PARSE_MALFORMED;
    }
    const json_t *raft = json_object_get(l->root, "raft"), *p = json_object_get(l->root, "p");
    if (p) return parse_hello(l, p, err, err_bytes);
    if (!raft) return parse_request(l, ops, err, err_bytes);
    l->kind = RKV_LINE_RAFT;
    if (json_object_size(l->root) != 1) {
        snprintf(err, err_bytes, "a raft line has the one field raft");
        return RKV_PARSE_MALFORMED;
    }
    return raft_msg_from_json(raft, nodes, &l->msg, err, err_bytes) == 0 ? RKV_PARSE_OK
                                                                         : RKV_PARSE_MALFORMED;
}

void rkv_line_release(rkv_line *l) {
    if (l->kind == RKV_LINE_RAFT) raft_msg_free(&l->msg);
    json_decref(l->root);
    memset(l, 0, sizeof *l);
}

/* ---- encoders: each appends a whole line or nothing ---- */

int rkv_encode_hello(fl_buf *b, const char *from, size_t peer_count) {
    size_t start = fl_buf_len(b);
    int rc = fl_buf_append(b, "{\"p\":\"hello\"", 12) || fl_wire_text_field(b, "from", from) ||
             fl_buf_printf(b, ",\"n\":%zu", peer_count);
    return fl_wire_finish(b, start, rc ? -1 : 0);
}

int rkv_encode_raft(fl_buf *b, const raft_msg *m) {
    size_t start = fl_buf_len(b);
    json_t *j = raft_msg_to_json(m);
    int rc = !j || fl_buf_append(b, "{\"raft\":", 8) || fl_buf_append_json(b, j);
    json_decref(j);
    return fl_wire_finish(b, start, rc ? -1 : 0);
}
