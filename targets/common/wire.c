/* Keys and client replies as every in-tree server writes them (see wire.h). */
#include "wire.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int fl_key_text(const json_t *key, char out[FL_KEY_TEXT_MAX + 1], char *err, size_t err_bytes) {
    size_t n = 0;
    if (json_is_integer(key)) {
        n = (size_t)snprintf(out, FL_KEY_TEXT_MAX + 1, "%" JSON_INTEGER_FORMAT,
                             json_integer_value(key));
    } else if (json_is_string(key)) {
        n = json_dumpb(key, out, FL_KEY_TEXT_MAX, JSON_ENCODE_ANY | JSON_COMPACT);
        if (n == 0 || n > FL_KEY_TEXT_MAX) {
            snprintf(err, err_bytes, "key longer than %d bytes", FL_KEY_TEXT_MAX);
            return -1;
        }
        out[n] = '\0';
    } else {
        snprintf(err, err_bytes, "key must be a string or an integer");
        return -1;
    }
    assert(n > 0);
    assert(n <= FL_KEY_TEXT_MAX);
    return 0;
}

json_t *fl_wire_text(const char *text) {
    json_t *j = json_string(text);
    if (j) return j;
    char safe[512];
    size_t n = 0;
    for (; text[n] && n < sizeof safe - 1; n++) safe[n] = (unsigned char)text[n] < 0x80 ? text[n] : '?';
    safe[n] = '\0';
    return json_string(safe);
}

int fl_wire_finish(fl_buf *b, size_t start, int rc) {
    if (rc == 0 && fl_buf_append(b, "}\n", 2) == 0) return 0;
    fl_buf_truncate(b, start);
    return -1;
}

int fl_wire_text_field(fl_buf *b, const char *name, const char *text) {
    json_t *j = fl_wire_text(text);
    int rc = !j || fl_buf_printf(b, ",\"%s\":", name) || fl_buf_append_json(b, j);
    json_decref(j);
    return rc ? -1 : 0;
}

int fl_reply_ok(fl_buf *b, const json_t *id, const json_t *value, const char *node) {
    size_t start = fl_buf_len(b);
    int rc = fl_buf_append(b, "{\"id\":", 6) || fl_buf_append_json(b, id ? id : json_null()) ||
             fl_buf_append(b, ",\"type\":\"ok\"", 12);
    if (!rc && value) rc = fl_buf_append(b, ",\"value\":", 9) || fl_buf_append_json(b, value);
    if (!rc && node) rc = fl_wire_text_field(b, "node", node);
    return fl_wire_finish(b, start, rc ? -1 : 0);
}

int fl_reply_error(fl_buf *b, const json_t *id, const char *type, const char *error,
                   const char *detail, const char *leader) {
    assert(!strcmp(type, "fail") || !strcmp(type, "info"));
    size_t start = fl_buf_len(b);
    int rc = fl_buf_append(b, "{\"id\":", 6) || fl_buf_append_json(b, id ? id : json_null()) ||
             fl_buf_printf(b, ",\"type\":\"%s\"", type) || fl_wire_text_field(b, "error", error);
    if (!rc && detail) rc = fl_wire_text_field(b, "detail", detail);
    if (!rc && leader) rc = fl_wire_text_field(b, "leader", leader);
    return fl_wire_finish(b, start, rc ? -1 : 0);
}
