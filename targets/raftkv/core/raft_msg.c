/* Copies and frees of Raft entries and messages (see raft_msg.h). */
#include "raft_msg.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *raft_xmalloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) abort();
    return p;
}

void *raft_xrealloc(void *p, size_t bytes) {
    void *q = realloc(p, bytes ? bytes : 1);
    if (!q) abort();
    return q;
}

const char *raft_msg_type_name(raft_msg_type t) {
    switch (t) {
    case RAFT_MSG_VOTE: return "vote";
    case RAFT_MSG_VOTE_RESP: return "vote_resp";
    case RAFT_MSG_APPEND: return "append";
    case RAFT_MSG_APPEND_RESP: return "append_resp";
    case RAFT_MSG_SNAPSHOT: return "snapshot";
    }
    return "?";
}

void raft_entry_copy(raft_entry *dst, const raft_entry *src) {
    assert(src->len <= RAFT_ENTRY_BYTES_MAX);
    *dst = *src;
    dst->data = NULL;
    if (src->len > 0) {
        dst->data = raft_xmalloc(src->len);
        memcpy(dst->data, src->data, src->len);
    }
}

void raft_entry_free(raft_entry *e) {
    free(e->data);
    e->data = NULL;
    e->len = 0;
}

void raft_msg_copy(raft_msg *dst, const raft_msg *src) {
    assert(src->n_entries <= RAFT_APPEND_ENTRIES_MAX);
    *dst = *src;
    dst->entries = NULL;
    dst->data = NULL;
    if (src->n_entries > 0) {
        dst->entries = raft_xmalloc(sizeof *dst->entries * src->n_entries);
        for (uint32_t i = 0; i < src->n_entries; i++)
            raft_entry_copy(&dst->entries[i], &src->entries[i]);
    }
    if (src->len > 0) {
        dst->data = raft_xmalloc(src->len);
        memcpy(dst->data, src->data, src->len);
    }
}

void raft_msg_move(raft_msg *dst, raft_msg *src) {
    *dst = *src;
    src->entries = NULL;
    src->n_entries = 0;
    src->data = NULL;
    src->len = 0;
}

void raft_msg_free(raft_msg *m) {
    for (uint32_t i = 0; i < m->n_entries; i++) raft_entry_free(&m->entries[i]);
    free(m->entries);
    free(m->data);
    m->entries = NULL;
    m->n_entries = 0;
    m->data = NULL;
    m->len = 0;
}

/* ---- structural checks (raft_msg_check) ---- */

#define FAIL(...) do { snprintf(err, err_bytes, __VA_ARGS__); return -1; } while (0)

static int check_entries(const raft_msg *m, char *err, size_t err_bytes) {
    if (m->n_entries > RAFT_APPEND_ENTRIES_MAX)
        FAIL("%u entries: at most %u in one append", m->n_entries, RAFT_APPEND_ENTRIES_MAX);
    if (m->n_entries > 0 && !m->entries) FAIL("entries missing");
    if (m->index + m->n_entries >= RAFT_INDEX_MAX) FAIL("entry index out of range");
    uint64_t prev_term = m->log_term;
    for (uint32_t k = 0; k < m->n_entries; k++) {
        const raft_entry *e = &m->entries[k];
        if (e->index != m->index + 1 + k)
            FAIL("entry %u has index %llu, expected %llu", k, (unsigned long long)e->index,
                 (unsigned long long)(m->index + 1 + k));
        if (e->term < 1 || e->term < prev_term || e->term > m->term)
            FAIL("entry %u has term %llu: terms must be >= 1, never decrease and not pass "
                 "the message's", k, (unsigned long long)e->term);
        if (e->type != RAFT_ENTRY_NOOP && e->type != RAFT_ENTRY_COMMAND)
            FAIL("entry %u has an unknown type", k);
        if (e->type == RAFT_ENTRY_NOOP && e->len != 0) FAIL("entry %u: a no-op with bytes", k);
        if (e->len > RAFT_ENTRY_BYTES_MAX)
            FAIL("entry %u: more than %u bytes", k, RAFT_ENTRY_BYTES_MAX);
        if (e->len > 0 && !e->data) FAIL("entry %u: bytes missing", k);
        prev_term = e->term;
    }
    return 0;
}

/* What each type may carry besides from, to and term. */
static int check_unused(const raft_msg *m, bool commit, bool hint, bool read_seq, bool ok,
                        bool entries, bool data, char *err, size_t err_bytes) {
    if ((!commit && m->commit) || (!hint && m->hint) || (!read_seq && m->read_seq) ||
        (!ok && m->ok) || (!entries && (m->n_entries || m->entries)) ||
        (!data && (m->len || m->data)))
        FAIL("%s carries a field it does not use", raft_msg_type_name(m->type));
    return 0;
}

static int check_log_pos(const raft_msg *m, char *err, size_t err_bytes) {
    if ((m->index == 0) != (m->log_term == 0))
        FAIL("index %llu with log term %llu: only index 0 has term 0",
             (unsigned long long)m->index, (unsigned long long)m->log_term);
    if (m->log_term > m->term) FAIL("log term above the message's term");
    return 0;
}

int raft_msg_check(const raft_msg *m, int nodes, char *err, size_t err_bytes) {
    if (m->from < 0 || m->from >= nodes || m->to < 0 || m->to >= nodes)
        FAIL("from %d / to %d: ids are 0..%d", m->from, m->to, nodes - 1);
    if (m->from == m->to) FAIL("a message from node %d to itself", m->from);
    if (m->term < 1) FAIL("term must be >= 1");
    uint64_t big = m->term | m->index | m->log_term | m->commit | m->hint | m->read_seq;
    if (big >= RAFT_INDEX_MAX) FAIL("a term or index at or above 2^53");
    switch (m->type) {
    case RAFT_MSG_VOTE:
        return check_unused(m, false, false, false, false, false, false, err, err_bytes) ||
               check_log_pos(m, err, err_bytes);
    case RAFT_MSG_VOTE_RESP:
        if (m->index || m->log_term) FAIL("vote_resp carries a field it does not use");
        return check_unused(m, false, false, false, true, false, false, err, err_bytes);
    case RAFT_MSG_APPEND:
        return check_unused(m, true, false, true, false, true, false, err, err_bytes) ||
               check_log_pos(m, err, err_bytes) || check_entries(m, err, err_bytes);
    case RAFT_MSG_APPEND_RESP:
        if (m->log_term) FAIL("append_resp carries a field it does not use");
        if (m->ok && m->hint) FAIL("append_resp: a success with a hint");
        if (!m->ok && (m->hint < 1 || m->hint > (m->index > 1 ? m->index : 1)))
            FAIL("append_resp: a rejection's hint must be in 1..max(index, 1)");
        return check_unused(m, false, true, true, true, false, false, err, err_bytes);
    case RAFT_MSG_SNAPSHOT:
        if (m->index < 1) FAIL("snapshot index must be >= 1");
        if (m->len > RAFT_SNAPSHOT_BYTES_MAX)
            FAIL("snapshot larger than %u bytes", RAFT_SNAPSHOT_BYTES_MAX);
        if (m->len > 0 && !m->data) FAIL("snapshot bytes missing");
        return check_unused(m, false, false, true, false, false, true, err, err_bytes) ||
               check_log_pos(m, err, err_bytes);
    }
    FAIL("unknown message type %d", (int)m->type);
}

bool raft_msg_equal(const raft_msg *a, const raft_msg *b) {
    if (a->type != b->type || a->from != b->from || a->to != b->to || a->term != b->term ||
        a->index != b->index || a->log_term != b->log_term || a->commit != b->commit ||
        a->hint != b->hint || a->read_seq != b->read_seq || a->ok != b->ok ||
        a->n_entries != b->n_entries || a->len != b->len ||
        (a->len && memcmp(a->data, b->data, a->len)))
        return false;
    for (uint32_t i = 0; i < a->n_entries; i++) {
        const raft_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->index != y->index || x->term != y->term || x->type != y->type || x->len != y->len ||
            (x->len && memcmp(x->data, y->data, x->len)))
            return false;
    }
    return true;
}
