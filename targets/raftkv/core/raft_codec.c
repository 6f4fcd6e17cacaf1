/* JSON encoding and strict decoding of Raft messages (see raft_codec.h). Each type's
 * fields are listed once, in a table both directions use, so they cannot drift apart. */
#include "raft_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft_base64.h"

/* One integer field of a type: its JSON name and where it lives in raft_msg. */
typedef struct int_field {
    const char *name;
    size_t offset; /* of a uint64_t member */
} int_field;

#define F(name, member) {name, offsetof(raft_msg, member)}

typedef struct type_spec {
    raft_msg_type type;
    const char *name;
    int_field ints[5];
    size_t n_ints;
    const char *flag;  /* the bool field's name, or NULL */
    bool entries, data;
} type_spec;

static const type_spec specs[] = {
    {RAFT_MSG_VOTE,
     "vote",
     {F("last_index", index), F("last_term", log_term)},
     2,
     NULL,
     false,
     false},
    {RAFT_MSG_VOTE_RESP, "vote_resp", {{0}}, 0, "granted", false, false},
    {RAFT_MSG_APPEND,
     "append",
     {F("prev_index", index), F("prev_term", log_term), F("commit", commit),
      F("read_seq", read_seq)},
     4,
     NULL,
     true,
     false},
    {RAFT_MSG_APPEND_RESP,
     "append_resp",
     {F("index", index), F("hint", hint), F("read_seq", read_seq)},
     3,
     "success",
     false,
     false},
    {RAFT_MSG_SNAPSHOT,
     "snapshot",
     {F("last_index", index), F("last_term", log_term), F("read_seq", read_seq)},
     3,
     NULL,
     false,
     true},
};

static const type_spec *spec_of_type(raft_msg_type t) {
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (specs[i].type == t) return &specs[i];
    return NULL;
}

static const type_spec *spec_of_name(const char *name) {
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (!strcmp(specs[i].name, name)) return &specs[i];
    return NULL;
}

static uint64_t *int_at(raft_msg *m, const int_field *f) {
    return (uint64_t *)((char *)m + f->offset);
}

/* ---- encode ---- */

static json_t *bytes_json(const uint8_t *p, size_t len) {
    char *text = malloc(raft_base64_len(len) + 1);
    if (!text) return NULL;
    raft_base64_encode(p, len, text);
    json_t *j = json_stringn(text, raft_base64_len(len));
    free(text);
    return j;
}

static int set_new(json_t *o, const char *key, json_t *v) {
    return v ? json_object_set_new(o, key, v) : -1;
}

static json_t *entry_json(const raft_entry *e) {
    json_t *o = json_object();
    int bad = !o || set_new(o, "index", json_integer((json_int_t)e->index)) ||
              set_new(o, "term", json_integer((json_int_t)e->term)) ||
              set_new(o, "kind", json_string(e->type == RAFT_ENTRY_NOOP ? "noop" : "cmd")) ||
              (e->type == RAFT_ENTRY_COMMAND && set_new(o, "data", bytes_json(e->data, e->len)));
    if (!bad) return o;
    json_decref(o);
    return NULL;
}

json_t *raft_msg_to_json(const raft_msg *m) {
    const type_spec *s = spec_of_type(m->type);
    json_t *o = json_object();
    if (!s || !o) goto fail;
    raft_msg copy = *m; /* int_at wants a mutable pointer; nothing is written */
    if (set_new(o, "type", json_string(s->name)) || set_new(o, "from", json_integer(m->from)) ||
        set_new(o, "to", json_integer(m->to)) ||
        set_new(o, "term", json_integer((json_int_t)m->term)))
        goto fail;
    for (size_t i = 0; i < s->n_ints; i++)
        if (set_new(o, s->ints[i].name, json_integer((json_int_t)*int_at(&copy, &s->ints[i]))))
            goto fail;
    if (s->flag && set_new(o, s->flag, json_boolean(m->ok))) goto fail;
    if (s->data && set_new(o, "data", bytes_json(m->data, m->len))) goto fail;
    if (s->entries) {
        json_t *a = json_array();
        if (set_new(o, "entries", a)) goto fail;
        for (uint32_t k = 0; k < m->n_entries; k++)
            if (json_array_append_new(a, entry_json(&m->entries[k]))) goto fail;
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

/* ---- decode ---- */

#define FAIL(...) do { snprintf(err, err_bytes, __VA_ARGS__); return -1; } while (0)

static int get_uint(const json_t *o, const char *key, uint64_t max, uint64_t *out, char *err,
                    size_t err_bytes) {
    const json_t *v = json_object_get(o, key);
    if (!v) FAIL("missing %s", key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) >= max)
        FAIL("%s must be an integer in 0..%llu", key, (unsigned long long)(max - 1));
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* Canonical base64 of at most max bytes: 0 with *data (malloc'd, NULL when empty). */
static int get_bytes(const json_t *o, size_t max, uint8_t **data, size_t *len, char *err,
                     size_t err_bytes) {
    const json_t *v = json_object_get(o, "data");
    if (!json_is_string(v)) FAIL("data must be a base64 string");
    size_t text_len = json_string_length(v);
    if (text_len > raft_base64_len(max)) FAIL("data longer than %zu bytes", max);
    *data = NULL;
    *len = 0;
    if (text_len == 0) return 0;
    uint8_t *buf = malloc(text_len / 4 * 3 + 1);
    if (!buf) FAIL("out of memory");
    long n = raft_base64_decode(json_string_value(v), text_len, buf);
    if (n < 0 || (size_t)n > max) {
        free(buf);
        FAIL("data is not canonical base64 of at most %zu bytes", max);
    }
    *data = buf;
    *len = (size_t)n;
    return 0;
}

static int decode_entry(const json_t *o, raft_entry *e, char *err, size_t err_bytes) {
    memset(e, 0, sizeof *e);
    if (!json_is_object(o)) FAIL("an entry must be an object");
    const char *kind = json_string_value(json_object_get(o, "kind"));
    if (!kind || (strcmp(kind, "noop") && strcmp(kind, "cmd")))
        FAIL("entry kind must be noop or cmd");
    e->type = strcmp(kind, "noop") ? RAFT_ENTRY_COMMAND : RAFT_ENTRY_NOOP;
    size_t want = e->type == RAFT_ENTRY_NOOP ? 3 : 4;
    if (json_object_size(o) != want) FAIL("entry: unexpected or missing fields");
    if (get_uint(o, "index", RAFT_INDEX_MAX, &e->index, err, err_bytes) ||
        get_uint(o, "term", RAFT_INDEX_MAX, &e->term, err, err_bytes))
        return -1;
    if (e->type == RAFT_ENTRY_NOOP) return 0;
    size_t len;
    if (get_bytes(o, RAFT_ENTRY_BYTES_MAX, &e->data, &len, err, err_bytes)) return -1;
    e->len = (uint32_t)len;
    return 0;
}

static int decode_entries(const json_t *o, raft_msg *m, char *err, size_t err_bytes) {
    const json_t *a = json_object_get(o, "entries");
    if (!json_is_array(a)) FAIL("entries must be an array");
    if (json_array_size(a) > RAFT_APPEND_ENTRIES_MAX)
        FAIL("more than %u entries", RAFT_APPEND_ENTRIES_MAX);
    size_t n = json_array_size(a);
    if (n == 0) return 0;
    m->entries = calloc(n, sizeof *m->entries);
    if (!m->entries) FAIL("out of memory");
    for (size_t k = 0; k < n; k++) {
        int rc = decode_entry(json_array_get(a, k), &m->entries[k], err, err_bytes);
        m->n_entries = (uint32_t)(k + 1); /* so raft_msg_free releases what was decoded */
        if (rc) return -1;
    }
    return 0;
}

static int decode_fields(const json_t *o, const type_spec *s, int nodes, raft_msg *m, char *err,
                         size_t err_bytes) {
    size_t want = 4 + s->n_ints + (s->flag != NULL) + s->entries + s->data;
    if (json_object_size(o) != want) FAIL("%s: unexpected or missing fields", s->name);
    uint64_t from, to;
    if (get_uint(o, "from", (uint64_t)nodes, &from, err, err_bytes) ||
        get_uint(o, "to", (uint64_t)nodes, &to, err, err_bytes) ||
        get_uint(o, "term", RAFT_INDEX_MAX, &m->term, err, err_bytes))
        return -1;
    m->from = (int)from;
    m->to = (int)to;
    for (size_t i = 0; i < s->n_ints; i++)
        if (get_uint(o, s->ints[i].name, RAFT_INDEX_MAX, int_at(m, &s->ints[i]), err, err_bytes))
            return -1;
    if (s->flag) {
        const json_t *b = json_object_get(o, s->flag);
        if (!json_is_boolean(b)) FAIL("%s must be true or false", s->flag);
        m->ok = json_is_true(b);
    }
    if (s->data && get_bytes(o, RAFT_SNAPSHOT_BYTES_MAX, &m->data, &m->len, err, err_bytes))
        return -1;
    if (s->entries && decode_entries(o, m, err, err_bytes)) return -1;
    return 0;
}

int raft_msg_from_json(const json_t *j, int nodes, raft_msg *m, char *err, size_t err_bytes) {
    memset(m, 0, sizeof *m);
    if (!json_is_object(j)) FAIL("a message must be a JSON object");
    const char *type = json_string_value(json_object_get(j, "type"));
    const type_spec *s = type ? spec_of_name(type) : NULL;
    if (!s) FAIL("type must be vote, vote_resp, append, append_resp or snapshot");
    m->type = s->type;
    if (decode_fields(j, s, nodes, m, err, err_bytes) == 0 &&
        raft_msg_check(m, nodes, err, err_bytes) == 0)
        return 0;
    raft_msg_free(m);
    memset(m, 0, sizeof *m);
    return -1;
}

int raft_msg_decode(const char *text, size_t len, int nodes, raft_msg *m, char *err,
                    size_t err_bytes) {
    json_error_t je;
    memset(m, 0, sizeof *m);
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) FAIL("not JSON: %s (at byte %d)", je.text, je.position);
    int rc = raft_msg_from_json(j, nodes, m, err, err_bytes);
    json_decref(j);
    return rc;
}
