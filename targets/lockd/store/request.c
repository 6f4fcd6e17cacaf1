/* Parsing fl-fencestore's request lines and writing its decision replies (see request.h). */
#include "request.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static int want_token(const json_t *value, fs_request *m, char *err, size_t err_bytes) {
    if (!json_is_object(value)) {
        snprintf(err, err_bytes, "value must be an object with a token");
        return -1;
    }
    const json_t *token = json_object_get(value, "token");
    if (!json_is_integer(token) || json_integer_value(token) < 0) {
        snprintf(err, err_bytes, "value.token must be a non-negative integer");
        return -1;
    }
    m->token = (int64_t)json_integer_value(token);
    if (m->f == FS_F_WRITE) {
        m->value = json_object_get(value, "value");
        if (!m->value) {
            snprintf(err, err_bytes, "a write's value needs a value (any JSON)");
            return -1;
        }
    }
    return 0;
}

static fs_parse_status parse_f(const json_t *f, fs_request *m, char *err, size_t err_bytes) {
    static const struct { const char *name; fs_f f; } names[] = {
        {"read", FS_F_READ}, {"write", FS_F_WRITE}, {"peek", FS_F_PEEK},
        {"ping", FS_F_PING}, {"status", FS_F_STATUS},
    };
    if (!json_is_string(f)) {
        snprintf(err, err_bytes, "f must be a string");
        return FS_PARSE_MALFORMED;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(json_string_value(f), names[i].name)) {
            m->f = names[i].f;
            return FS_PARSE_OK;
        }
    snprintf(err, err_bytes, "f must be read, write, peek, ping or status");
    return FS_PARSE_UNKNOWN_F;
}

/* The parse proper: its status, m->err filled when it is not OK. */
static fs_parse_status parse(const char *line, size_t len, fs_request *m, char *err,
                             size_t err_bytes) {
    json_error_t je;
    m->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!m->root) {
        snprintf(err, err_bytes, "not JSON: %s", je.text);
        return FS_PARSE_MALFORMED;
    }
    if (!json_is_object(m->root)) {
        snprintf(err, err_bytes, "not a JSON object");
        return FS_PARSE_MALFORMED;
    }
    m->id = json_object_get(m->root, "id");
    fs_parse_status st = parse_f(json_object_get(m->root, "f"), m, err, err_bytes);
    if (st != FS_PARSE_OK || m->f == FS_F_PING || m->f == FS_F_STATUS) return st;
    if (fl_key_text(json_object_get(m->root, "key"), m->ckey, err, err_bytes) != 0)
        return FS_PARSE_MALFORMED;
    if (m->f == FS_F_PEEK) return FS_PARSE_OK; /* a value, if any, is ignored */
    if (want_token(json_object_get(m->root, "value"), m, err, err_bytes) != 0)
        return FS_PARSE_MALFORMED;
    return FS_PARSE_OK;
}

fs_parse_status fs_request_parse(const char *line, size_t len, fs_request *m) {
    memset(m, 0, sizeof *m);
    m->status = parse(line, len, m, m->err, sizeof m->err);
    if (m->status != FS_PARSE_OK && !m->err[0]) snprintf(m->err, sizeof m->err, "malformed");
    return m->status;
}

int fs_reply_refusal(fl_buf *b, const fs_request *m) {
    assert(m->status != FS_PARSE_OK);
    return fl_reply_error(b, m->id, "fail",
                          m->status == FS_PARSE_UNKNOWN_F ? "unknown-f" : "malformed", m->err,
                          NULL);
}

void fs_request_release(fs_request *m) {
    json_decref(m->root);
    m->root = NULL;
    m->id = NULL;
    m->value = NULL;
}

int fs_reply_decision(fl_buf *b, const json_t *id, const fs_decision *d) {
    json_t *v = fs_decision_json(d);
    if (!v) return -1;
    int rc;
    if (d->accepted) {
        rc = fl_reply_ok(b, id, v, NULL);
    } else {
        static const char stale[] = ",\"type\":\"fail\",\"error\":\"stale-token\",\"value\":";
        size_t start = fl_buf_len(b);
        rc = fl_buf_append(b, "{\"id\":", 6) || fl_buf_append_json(b, id ? id : json_null()) ||
             fl_buf_append(b, stale, sizeof stale - 1) ||
             fl_buf_append_json(b, v);
        rc = fl_wire_finish(b, start, rc ? -1 : 0);
    }
    json_decref(v);
    return rc;
}
