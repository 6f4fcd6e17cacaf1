/* libFuzzer target: fl-fencestore's parsers (targets/lockd/store/request.c, journal.c) on
 * any bytes, taken as one request line and as a journal image. Besides crashes, leaks and
 * undefined behaviour, it checks properties:
 *   - a refused line says why, and its fail reply is one line of valid JSON;
 *   - a read or write's key text is the key's own JSON (so "1" and 1 stay apart), and in
 *     every mode the access decides as table.h says (correct rejects exactly a token below
 *     the fence, before touching the value; the bugs never reject), every decision taking
 *     the next seq, its reply one line of valid JSON;
 *   - the journal scan's verdict fits the bytes, and each resource it restored encodes to
 *     a record that replays to the same state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applog.h"
#include "fuzz_reply.h"
#include "fuzz_applog.h"
#include "journal.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The access twice on a resource fenced at 1 (after a first access with token 1). */
static void check_decision(const fs_request *m, fs_mode mode, fl_buf *b) {
    fs_table t;
    fs_table_init(&t);
    fs_access first = {FS_READ, m->ckey, 1, NULL};
    fs_access a = {m->f == FS_F_WRITE ? FS_WRITE : FS_READ, m->ckey, m->token,
                   m->f == FS_F_WRITE ? m->value : NULL};
    fs_decision d;
    if (fs_decide(&t, mode, &first, &d) != 0 || fs_decide(&t, mode, &a, &d) != 0) abort();
    bool stale = m->token < 1;
    if (d.accepted != (mode != FS_CORRECT || !stale) || d.r->seq != 2) abort();
    if (mode == FS_CORRECT && d.r->fence != (stale ? 1 : m->token)) abort();
    if (mode == FS_NO_FENCE && d.r->fence != FS_FENCE_NONE) abort();
    bool written = d.accepted && a.kind == FS_WRITE;
    if (written ? !json_equal(d.r->value, m->value) : d.r->value != NULL) abort();
    if (fs_reply_decision(b, m->id, &d) != 0) abort();
    fuzz_check_reply(b, 1, m->id);
    fs_table_free(&t);
}

static void check_line(const char *line, size_t len, fl_buf *b) {
    fs_request m;
    if (fs_request_parse(line, len, &m) != FS_PARSE_OK) {
        if (!m.err[0] || m.status == FS_PARSE_OK) abort(); /* an error always says why */
        if (fs_reply_refusal(b, &m) != 0) abort();
        fuzz_check_reply(b, 1, m.id);
    } else if (m.f == FS_F_READ || m.f == FS_F_WRITE) {
        json_t *key = json_loads(m.ckey, JSON_DECODE_ANY, NULL);
        if (!json_equal(key, json_object_get(m.root, "key")) || m.token < 0) abort();
        json_decref(key);
        check_decision(&m, FS_CORRECT, b);
        check_decision(&m, FS_WRITE_BEFORE_FENCE, b);
        check_decision(&m, FS_NO_FENCE, b);
    }
    fs_request_release(&m);
}

static int one_line(void *arg, const char *line, size_t len, char *err, size_t err_bytes) {
    return fs_journal_apply_line(arg, line, len, err, err_bytes);
}

static void check_journal(const char *bytes, size_t len, fl_buf *b) {
    fs_table t;
    fs_table_init(&t);
    fl_applog_scan_result r;
    int rc = fl_applog_scan(bytes, len, one_line, &t, &r);
    fuzz_check_scan(bytes, len, rc, &r);
    for (size_t i = 0; i < t.count; i++) { /* each state replays to itself */
        fs_table back;
        fs_table_init(&back);
        char err[FS_ERR_BYTES];
        if (fs_journal_encode(b, &t.res[i]) != 0) abort();
        if (fs_journal_apply_line(&back, fl_buf_bytes(b), fl_buf_len(b) - 1, err, sizeof err))
            abort();
        const fs_resource *x = &t.res[i], *y = fs_table_get(&back, x->ckey);
        if (!y || x->fence != y->fence || x->seq != y->seq) abort();
        if ((x->value || y->value) && !json_equal(x->value, y->value)) abort();
        fl_buf_clear(b);
        fs_table_free(&back);
    }
    fs_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fl_buf b; /* one reply or record at a time, cleared after each check */
    if (b.cap_max == 0) fl_buf_init(&b, (size_t)1 << 22);
    check_line((const char *)data, size, &b);
    check_journal((const char *)data, size, &b);
    return 0;
}
