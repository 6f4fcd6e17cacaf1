/* libFuzzer target: the Raft wire codec (targets/raftkv/core/raft_codec.c, raft_base64.c),
 * the parser of everything a raftkv node hears from its peers. Three ways in, so that it
 * needs no seed corpus:
 *   1. the bytes as a message line: decoding gives a message that passes raft_msg_check and
 *      re-encodes to text that decodes to the same message — or an error that says why;
 *   2. the bytes as a recipe for a message struct: encoding it and decoding the text gives
 *      it back exactly when it passes raft_msg_check, and an error exactly when it does not
 *      (the decoder accepts no more and no less than the core);
 *   3. that encoding with one byte replaced (where and by what, from the input): deep
 *      mutations of well-formed messages go through way 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raft_codec.h"

#define NODES 5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encoded text of m (malloc'd), or abort: the encoder never fails on a struct. */
static char *encode(const raft_msg *m) {
    json_t *j = raft_msg_to_json(m);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) abort();
    return text;
}

/* Way 1: any text. */
static void check_text(const char *text, size_t len) {
    raft_msg m, again;
    char err[RAFT_CODEC_ERR_BYTES] = "";
    if (raft_msg_decode(text, len, NODES, &m, err, sizeof err) != 0) {
        if (!err[0] || m.entries || m.data) abort(); /* an error says why and leaves nothing */
        return;
    }
    if (raft_msg_check(&m, NODES, err, sizeof err) != 0) abort();
    char *out = encode(&m);
    if (raft_msg_decode(out, strlen(out), NODES, &again, err, sizeof err) != 0 ||
        !raft_msg_equal(&m, &again))
        abort();
    raft_msg_free(&again);
    raft_msg_free(&m);
    free(out);
}

/* Bytes of the input, one at a time (zeros once it runs out). */
typedef struct cursor {
    const uint8_t *p;
    size_t n;
} cursor;

static uint8_t byte(cursor *c) {
    if (c->n == 0) return 0;
    c->n--;
    return *c->p++;
}

/* Mostly small numbers, sometimes the edges of the 2^53 range. */
static uint64_t number(cursor *c) {
    uint8_t b = byte(c);
    switch (b >> 6) {
    case 0: case 1: return b & 15;
    case 2: return (uint64_t)byte(c) << 8 | byte(c);
    default: return ((uint64_t)1 << 53) - 2 + (b & 3);
    }
}

/* Way 2: a struct built from the input, with only its type's fields set. */
static void build(cursor *c, raft_msg *m, raft_entry *es, uint8_t *bytes) {
    memset(m, 0, sizeof *m);
    m->type = (raft_msg_type)(1 + byte(c) % 5);
    m->from = byte(c) % (NODES + 2);
    m->to = byte(c) % (NODES + 2);
    m->term = number(c);
    bool pos = m->type != RAFT_MSG_VOTE_RESP;
    if (pos) m->index = number(c);
    if (pos && m->type != RAFT_MSG_APPEND_RESP) m->log_term = number(c);
    if (m->type == RAFT_MSG_APPEND) m->commit = number(c);
    if (m->type == RAFT_MSG_VOTE_RESP || m->type == RAFT_MSG_APPEND_RESP) m->ok = byte(c) & 1;
    if (m->type == RAFT_MSG_APPEND_RESP && !m->ok) m->hint = number(c);
    if (m->type >= RAFT_MSG_APPEND) m->read_seq = number(c);
    if (m->type == RAFT_MSG_SNAPSHOT) {
        m->len = byte(c) % 17;
        for (size_t i = 0; i < m->len; i++) bytes[i] = byte(c);
        m->data = m->len ? bytes : NULL;
    }
    if (m->type == RAFT_MSG_APPEND) {
        m->n_entries = byte(c) % 4;
        m->entries = m->n_entries ? es : NULL;
        for (uint32_t k = 0; k < m->n_entries; k++) {
            uint8_t shape = byte(c);
            raft_entry *e = &es[k];
            e->index = shape & 1 ? number(c) : m->index + 1 + k;
            e->term = shape & 2 ? number(c) : m->log_term + (shape >> 4 & 1);
            e->type = shape & 4 ? RAFT_ENTRY_NOOP : RAFT_ENTRY_COMMAND;
            e->len = e->type == RAFT_ENTRY_NOOP ? 0 : byte(c) % 9;
            e->data = e->len ? bytes + 16 + 8 * k : NULL;
            for (uint32_t i = 0; i < e->len; i++) e->data[i] = byte(c);
        }
    }
}

static void check_struct(cursor *c) {
    raft_msg m, back;
    raft_entry es[3];
    uint8_t bytes[16 + 8 * 3];
    char err[RAFT_CODEC_ERR_BYTES] = "";
    build(c, &m, es, bytes);
    bool valid = raft_msg_check(&m, NODES, err, sizeof err) == 0;
    char *text = encode(&m);
    int rc = raft_msg_decode(text, strlen(text), NODES, &back, err, sizeof err);
    if (valid != (rc == 0)) abort();
    if (rc == 0 && !raft_msg_equal(&m, &back)) abort();
    if (rc == 0) raft_msg_free(&back);
    /* Way 3: one byte of the text replaced. */
    size_t len = strlen(text);
    size_t at = ((size_t)byte(c) << 8 | byte(c)) % len;
    text[at] = (char)byte(c);
    check_text(text, len);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_text((const char *)data, size);
    cursor c = {data, size};
    check_struct(&c);
    return 0;
}
