/* Parsing and encoding of the quorumkv protocol (see message.h). Encoders write the frame
 * by hand around jansson's compact dumps of keys and values, which never hold a newline. */
#include "message.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int qkv_version_cmp(qkv_version a, qkv_version b) {
    if (a.counter != b.counter) return a.counter < b.counter ? -1 : 1;
    if (a.node != b.node) return a.node < b.node ? -1 : 1;
    return 0;
}

static int field_key(const qkv_msg *m, char *ckey, char *err, size_t err_bytes) {
    const json_t *key = json_object_get(m->root, "key");
    if (!key) {
        snprintf(err, err_bytes, "missing key");
        return -1;
    }
    return fl_key_text(key, ckey, err, err_bytes);
}

static int field_value(qkv_msg *m, char *err, size_t err_bytes) {
    m->value = json_object_get(m->root, "value");
    if (m->value) return 0;
    snprintf(err, err_bytes, "missing value");
    return -1;
}

static int field_rid(qkv_msg *m, char *err, size_t err_bytes) {
    const json_t *rid = json_object_get(m->root, "rid");
    if (json_is_integer(rid) && json_integer_value(rid) >= 0) {
        m->rid = json_integer_value(rid);
        return 0;
    }
    snprintf(err, err_bytes, "rid must be an integer >= 0");
    return -1;
}

static int field_ver(qkv_msg *m, char *err, size_t err_bytes) {
    const json_t *ver = json_object_get(m->root, "ver");
    const json_t *c = json_array_get(ver, 0), *i = json_array_get(ver, 1);
    if (json_array_size(ver) == 2 && json_is_integer(c) && json_is_integer(i) &&
        json_integer_value(c) >= 0 && json_integer_value(i) >= 0) {
        m->ver = (qkv_version){json_integer_value(c), json_integer_value(i)};
        return 0;
    }
    snprintf(err, err_bytes, "ver must be [counter, node] with integers >= 0");
    return -1;
}

static int parse_hello(qkv_msg *m, char *err, size_t err_bytes) {
    const json_t *from = json_object_get(m->root, "from"), *n = json_object_get(m->root, "n");
    if (!json_is_string(from) || !json_is_integer(n) || json_integer_value(n) < 1) {
        snprintf(err, err_bytes, "hello needs from (a string) and n (an integer >= 1)");
        return -1;
    }
    m->from = json_string_value(from);
    m->peer_count = json_integer_value(n);
    return 0;
}

static qkv_parse_status parse_peer(qkv_msg *m, const json_t *p, char *err, size_t err_bytes) {
    const char *name = json_string_value(p);
    int rc = -1;
    if (!name) {
        snprintf(err, err_bytes, "p must be a string");
    } else if (!strcmp(name, "hello")) {
        m->kind = QKV_HELLO;
        rc = parse_hello(m, err, err_bytes);
    } else if (!strcmp(name, "get")) {
        m->kind = QKV_GET;
        rc = field_rid(m, err, err_bytes) || field_key(m, m->ckey, err, err_bytes);
    } else if (!strcmp(name, "got")) {
        m->kind = QKV_GOT;
        rc = field_rid(m, err, err_bytes) || field_ver(m, err, err_bytes) ||
             field_value(m, err, err_bytes);
    } else if (!strcmp(name, "put")) {
        m->kind = QKV_PUT;
        rc = field_rid(m, err, err_bytes) || field_key(m, m->ckey, err, err_bytes) ||
             field_ver(m, err, err_bytes) || field_value(m, err, err_bytes);
    } else if (!strcmp(name, "ack")) {
        m->kind = QKV_ACK;
        rc = field_rid(m, err, err_bytes);
    } else {
        snprintf(err, err_bytes, "unknown p '%.64s'", name);
    }
    return rc == 0 ? QKV_PARSE_OK : QKV_PARSE_MALFORMED;
}

static qkv_parse_status parse_client(qkv_msg *m, char *err, size_t err_bytes) {
    const char *f = json_string_value(json_object_get(m->root, "f"));
    int rc = 0;
    if (!f) {
        snprintf(err, err_bytes, "missing f (a string)");
        return QKV_PARSE_MALFORMED;
    } else if (!strcmp(f, "read")) {
        m->kind = QKV_READ;
        rc = field_key(m, m->ckey, err, err_bytes);
    } else if (!strcmp(f, "write")) {
        m->kind = QKV_WRITE;
        rc = field_key(m, m->ckey, err, err_bytes) || field_value(m, err, err_bytes);
    } else if (!strcmp(f, "ping")) {
        m->kind = QKV_PING;
    } else {
        snprintf(err, err_bytes, "unknown f '%.64s'", f);
        return QKV_PARSE_UNKNOWN_F;
    }
    return rc == 0 ? QKV_PARSE_OK : QKV_PARSE_MALFORMED;
}

static void msg_reset(qkv_msg *m) {
    m->kind = QKV_PING;
    m->from_peer = false;
    m->root = m->id = m->value = NULL;
    m->ckey[0] = '\0';
    m->rid = m->peer_count = 0;
    m->ver = (qkv_version){0, 0};
    m->from = NULL;
}

static int load_object(const char *line, size_t len, qkv_msg *m, char *err, size_t err_bytes) {
    json_error_t je;
    msg_reset(m);
    m->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!m->root) {
        snprintf(err, err_bytes, "not JSON: %s (at byte %d)", je.text, je.position);
        return -1;
    }
    if (json_is_object(m->root)) return 0;
    snprintf(err, err_bytes, "expected a JSON object");
    return -1;
}

qkv_parse_status qkv_parse(const char *line, size_t len, qkv_msg *m, char *err,
                           size_t err_bytes) {
    if (load_object(line, len, m, err, err_bytes) != 0) return QKV_PARSE_MALFORMED;
    const json_t *p = json_object_get(m->root, "p");
    if (p) {
        m->from_peer = true;
        return parse_peer(m, p, err, err_bytes);
    }
    m->id = json_object_get(m->root, "id");
    return parse_client(m, err, err_bytes);
}

int qkv_parse_record(const char *line, size_t len, qkv_msg *m, char *err, size_t err_bytes) {
    if (load_object(line, len, m, err, err_bytes) != 0) return -1;
    m->kind = QKV_RECORD;
    int bad = field_key(m, m->ckey, err, err_bytes) || field_ver(m, err, err_bytes) ||
              field_value(m, err, err_bytes);
    return bad ? -1 : 0;
}

void qkv_msg_release(qkv_msg *m) {
    json_decref(m->root);
    m->root = m->id = m->value = NULL;
    m->from = NULL;
}

/* ---- encoders: each appends a whole line or nothing ---- */

static int append_ver_value(fl_buf *b, qkv_version v, const json_t *value) {
    if (fl_buf_printf(b, ",\"ver\":[%" PRId64 ",%" PRId64 "],\"value\":", v.counter,
                      v.node) != 0)
        return -1;
    return fl_buf_append_json(b, value ? value : json_null());
}

int qkv_encode_hello(fl_buf *b, const char *from, size_t peer_count) {
    size_t start = fl_buf_len(b);
    json_t *name = json_string(from);
    int rc = !name || fl_buf_append(b, "{\"p\":\"hello\",\"from\":", 20) ||
             fl_buf_append_json(b, name) || fl_buf_printf(b, ",\"n\":%zu", peer_count);
    json_decref(name);
    return fl_wire_finish(b, start, rc ? -1 : 0);
}

int qkv_encode_get(fl_buf *b, int64_t rid, const char *ckey) {
    size_t start = fl_buf_len(b);
    int rc = fl_buf_printf(b, "{\"p\":\"get\",\"rid\":%" PRId64 ",\"key\":%s", rid, ckey);
    return fl_wire_finish(b, start, rc);
}

int qkv_encode_got(fl_buf *b, int64_t rid, qkv_version v, const json_t *value) {
    size_t start = fl_buf_len(b);
    int rc = fl_buf_printf(b, "{\"p\":\"got\",\"rid\":%" PRId64, rid) ||
             append_ver_value(b, v, value);
    return fl_wire_finish(b, start, rc ? -1 : 0);
}

int qkv_encode_put(fl_buf *b, int64_t rid, const char *ckey, qkv_version v, const json_t *value) {
    size_t start = fl_buf_len(b);
    int rc = fl_buf_printf(b, "{\"p\":\"put\",\"rid\":%" PRId64 ",\"key\":%s", rid, ckey) ||
             append_ver_value(b, v, value);
    return fl_wire_finish(b, start, rc ? -1 : 0);
}

int qkv_encode_ack(fl_buf *b, int64_t rid) {
    size_t start = fl_buf_len(b);
    return fl_wire_finish(b, start, fl_buf_printf(b, "{\"p\":\"ack\",\"rid\":%" PRId64, rid));
}

int qkv_encode_record(fl_buf *b, const char *ckey, qkv_version v, const json_t *value) {
    size_t start = fl_buf_len(b);
    int rc = fl_buf_printf(b, "{\"key\":%s", ckey) || append_ver_value(b, v, value);
    return fl_wire_finish(b, start, rc ? -1 : 0);
}
