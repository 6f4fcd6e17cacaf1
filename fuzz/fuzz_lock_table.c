/* libFuzzer target: lockd's lock table (targets/lockd/core/lock_table.c) on any bytes,
 * taken as a Raft entry's command and as a snapshot — both come off the disk and from
 * peers. Besides crashes, leaks and undefined behaviour, it checks properties:
 *   - a command that decodes encodes to bytes that decode to the same command;
 *   - applied to a table holding a lease on its lock (another holder's, live, then
 *     expired), it decides as lock_table.h says: acquire is `held` exactly while the
 *     other lease runs and otherwise grants the entry's index as token with expires =
 *     now + ttl; renew and release by a stranger are `not-holder`; nothing else changes;
 *   - bytes that do not decode are `bad-command` and leave the table as it was;
 *   - a snapshot that restores snapshots to bytes that restore to the same table, and one
 *     refused leaves the table unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lock_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INDEX 1000
#define OTHER_EXPIRES 5000

static bool same_cmd(const lk_cmd *a, const lk_cmd *b) {
    return a->kind == b->kind && !strcmp(a->lock, b->lock) && !strcmp(a->holder, b->holder) &&
           a->token == b->token && a->ttl_ms == b->ttl_ms && a->now_ms == b->now_ms;
}

/* A table where c's lock is held by "other" (token 7) until OTHER_EXPIRES. */
static void table_with_other(lk_table *t, const char *lock) {
    lk_table_init(t);
    json_object_set_new(t->locks, lock, json_pack("{s:s,s:i,s:i}", "holder", "other", "token", 7,
                                                  "expires_ms", OTHER_EXPIRES));
}

static void check_command(const lk_cmd *c) {
    size_t len = 0;
    char *bytes = lk_cmd_encode(c, &len), err[LK_ERR_BYTES];
    lk_cmd back;
    if (!bytes || lk_cmd_decode(bytes, len, &back, err, sizeof err) != 0 || !same_cmd(c, &back))
        abort();
    free(bytes);
    lk_table t;
    table_with_other(&t, c->lock);
    lk_result r;
    lk_table_apply(&t, INDEX, c, &r);
    bool mine = !strcmp(c->holder, "other");
    bool live = c->now_ms < OTHER_EXPIRES;
    const json_t *l = lk_table_get(&t, c->lock);
    if (c->kind == LK_ACQUIRE) {
        if (live && !mine) {
            if (!r.error || strcmp(r.error, "held")) abort();
        } else {
            long long token = live ? 7 : INDEX;
            if (r.error || json_integer_value(json_object_get(l, "token")) != token ||
                json_integer_value(json_object_get(l, "expires_ms")) != c->now_ms + c->ttl_ms)
                abort();
        }
    } else if (!mine || c->token != 7) {
        if (!r.error || strcmp(r.error, "not-holder")) abort();
        if (json_integer_value(json_object_get(l, "token")) != 7) abort();
    }
    json_decref(r.value);
    lk_table_free(&t);
}

static void check_snapshot(const uint8_t *data, size_t size) {
    lk_table t, u;
    char err[LK_ERR_BYTES];
    table_with_other(&t, "\"x\"");
    char *before = lk_table_snapshot(&t, &(size_t){0});
    if (lk_table_restore(&t, data, size, err, sizeof err) != 0) {
        char *after = lk_table_snapshot(&t, &(size_t){0});
        if (!err[0] || strcmp(before, after)) abort();
        free(after);
    } else {
        size_t len = 0;
        char *snap = lk_table_snapshot(&t, &len);
        lk_table_init(&u);
        if (!snap || lk_table_restore(&u, snap, len, err, sizeof err) != 0 ||
            !json_equal(t.locks, u.locks))
            abort();
        free(snap);
        lk_table_free(&u);
    }
    free(before);
    lk_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lk_cmd c;
    char err[LK_ERR_BYTES];
    if (lk_cmd_decode(data, size, &c, err, sizeof err) == 0) {
        check_command(&c);
    } else {
        lk_table t;
        table_with_other(&t, "\"x\"");
        lk_result r;
        lk_table_apply_bytes(&t, INDEX, data, size, &r);
        if (!r.error || strcmp(r.error, "bad-command") || r.value || lk_table_count(&t) != 1)
            abort();
        lk_table_free(&t);
    }
    check_snapshot(data, size);
    return 0;
}
