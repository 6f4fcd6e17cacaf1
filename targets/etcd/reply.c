/* What etcd's JSON gateway answers mean (see reply.h). */
#include "reply.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

const char *fl_etcd_error(const json_t *reply) {
    const json_t *e = json_object_get(reply, "error");
    if (!e) e = json_object_get(reply, "message");
    return json_is_string(e) && json_object_get(reply, "code") ? json_string_value(e) : NULL;
}

json_t *fl_etcd_b64(const char *text) {
    size_t n = strlen(text);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out) return NULL;
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)n);
    json_t *s = json_string(out);
    free(out);
    return s;
}

bool fl_etcd_unb64(const json_t *b64, char *out, size_t bytes) {
    const char *in = json_string_value(b64);
    size_t n = in ? strlen(in) : 0;
    if (!in || n % 4 || 3 * (n / 4) + 1 > bytes) return false;
    assert(n % 4 == 0 && 3 * (n / 4) < bytes); /* DecodeBlock writes 3 bytes per 4 */
    int got = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
    if (got < 0) return false;
    /* DecodeBlock counts the padding's zero bytes too. */
    for (size_t i = n; i > 0 && in[i - 1] == '='; i--) got--;
    if (got < 0) return false;
    out[got] = '\0';
    return strlen(out) == (size_t)got; /* no NUL inside: not one of our texts */
}

int fl_etcd_range_value(const json_t *reply, json_t **value, char *err, size_t bytes) {
    *value = NULL;
    const json_t *kvs = json_object_get(reply, "kvs");
    if (kvs && !json_is_array(kvs)) return snprintf(err, bytes, "kvs is not a list"), -1;
    const json_t *kv = json_array_get(kvs, 0);
    if (!kv) return *value = json_null(), 0;
    char text[64], *end;
    if (!fl_etcd_unb64(json_object_get(kv, "value"), text, sizeof text)) {
        snprintf(err, bytes, "a value that is not base64 of a short text");
        return -1;
    }
    long long v = strtoll(text, &end, 10);
    if (end == text || *end) {
        snprintf(err, bytes, "a value that is not an integer: %.40s", text);
        return -1;
    }
    *value = json_integer(v);
    return 0;
}

/* A uint64 field, which the gateway writes as a decimal string (absent when 0). */
static void id_of(const json_t *v, char *out, size_t bytes) {
    snprintf(out, bytes, "%s", json_is_string(v) ? json_string_value(v) : "0");
}

void fl_etcd_status_ids(const json_t *reply, char *member, char *leader, size_t bytes) {
    id_of(json_object_get(json_object_get(reply, "header"), "member_id"), member, bytes);
    id_of(json_object_get(reply, "leader"), leader, bytes);
}
