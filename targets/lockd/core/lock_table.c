/* The lock table: commands, their application and snapshots (see lock_table.h). */
#include "lock_table.h"

#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"acquire", "renew", "release"};

void lk_table_init(lk_table *t) {
    t->locks = json_object();
    if (!t->locks) abort();
}

void lk_table_free(lk_table *t) {
    json_decref(t->locks);
    t->locks = NULL;
}

/* ---- commands as entry bytes ---- */

char *lk_cmd_encode(const lk_cmd *c, size_t *len) {
    assert(c->kind <= LK_RELEASE);
    json_t *j = json_pack("{s:s, s:s, s:s}", "c", kind_names[c->kind], "lock", c->lock,
                          "holder", c->holder);
    if (j && c->kind != LK_ACQUIRE) json_object_set_new(j, "token", json_integer((json_int_t)c->token));
    if (j && c->kind != LK_RELEASE) {
        json_object_set_new(j, "ttl_ms", json_integer(c->ttl_ms));
        json_object_set_new(j, "now_ms", json_integer(c->now_ms));
    }
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (text) *len = strlen(text);
    return text;
}

static int copy_text(const json_t *j, char *out, size_t cap, const char *what, char *err,
                     size_t err_bytes) {
    const char *s = json_string_value(j);
    if (!s || strlen(s) >= cap || !*s) {
        snprintf(err, err_bytes, "\"%s\" must be a string of 1 to %zu bytes", what, cap - 1);
        return -1;
    }
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

static int integer(const json_t *j, int64_t min, int64_t max, const char *what, int64_t *out,
                   char *err, size_t err_bytes) {
    if (!json_is_integer(j) || json_integer_value(j) < min || json_integer_value(j) > max) {
        snprintf(err, err_bytes, "\"%s\" must be an integer from %" PRId64 " to %" PRId64, what,
                 min, max);
        return -1;
    }
    *out = json_integer_value(j);
    return 0;
}

int lk_cmd_decode(const void *data, size_t len, lk_cmd *out, char *err, size_t err_bytes) {
    memset(out, 0, sizeof *out);
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    const char *kind = json_string_value(json_object_get(j, "c"));
    int rc = -1;
    size_t k = 0;
    while (kind && k < 3 && strcmp(kind, kind_names[k])) k++;
    if (!json_is_object(j) || !kind || k == 3) {
        snprintf(err, err_bytes, "not a lock command");
        goto done;
    }
    out->kind = (lk_cmd_kind)k;
    int64_t token = 0;
    if (copy_text(json_object_get(j, "lock"), out->lock, sizeof out->lock, "lock", err,
                  err_bytes) ||
        copy_text(json_object_get(j, "holder"), out->holder, sizeof out->holder, "holder", err,
                  err_bytes))
        goto done;
    if (out->kind != LK_ACQUIRE &&
        integer(json_object_get(j, "token"), 1, INT64_MAX, "token", &token, err, err_bytes))
        goto done;
    out->token = (uint64_t)token;
    /* Bounded so that now + ttl can never overflow: a day's lease, clocks within ±2^62 ms. */
    if (out->kind != LK_RELEASE &&
        (integer(json_object_get(j, "ttl_ms"), 1, LK_TTL_MS_MAX, "ttl_ms", &out->ttl_ms, err,
                 err_bytes) ||
         integer(json_object_get(j, "now_ms"), -LK_NOW_MS_MAX, LK_NOW_MS_MAX, "now_ms",
                 &out->now_ms, err, err_bytes)))
        goto done;
    rc = 0;
done:
    json_decref(j);
    return rc;
}

/* ---- application ---- */

static json_t *lease(const char *holder, uint64_t token, int64_t expires_ms) {
    json_t *j = json_pack("{s:s, s:I, s:I}", "holder", holder, "token", (json_int_t)token,
                          "expires_ms", (json_int_t)expires_ms);
    if (!j) abort();
    return j;
}

static uint64_t token_of(const json_t *l) {
    return (uint64_t)json_integer_value(json_object_get(l, "token"));
}

static int64_t expiry_of(const json_t *l) {
    return json_integer_value(json_object_get(l, "expires_ms"));
}

static const char *holder_of(const json_t *l) {
    return json_string_value(json_object_get(l, "holder"));
}

/* Store a lease under lock; the result carries a copy, with when and for how long the
 * command granted it (granted_ms, ttl_ms: the reply's, not the table's). */
static void grant(lk_table *t, const lk_cmd *c, json_t *l, lk_result *out) {
    if (json_object_set_new(t->locks, c->lock, l) != 0) abort();
    json_t *v = json_deep_copy(l);
    if (!v) abort();
    json_object_set_new(v, "granted_ms", json_integer(c->now_ms));
    json_object_set_new(v, "ttl_ms", json_integer(c->ttl_ms));
    *out = (lk_result){NULL, v};
}

static void acquire(lk_table *t, uint64_t index, const lk_cmd *c, lk_result *out) {
    const json_t *cur = json_object_get(t->locks, c->lock);
    bool live = cur && c->now_ms < expiry_of(cur);
    if (live && strcmp(holder_of(cur), c->holder)) {
        *out = (lk_result){"held", json_deep_copy(cur)};
        return;
    }
    /* Free, expired, or already this holder's (its token stays: a retried acquire). */
    uint64_t token = live ? token_of(cur) : index;
    grant(t, c, lease(c->holder, token, c->now_ms + c->ttl_ms), out);
}

/* The lease when it is holder's with token; else NULL with out's error set. */
static const json_t *held_by(lk_table *t, const lk_cmd *c, lk_result *out) {
    const json_t *cur = json_object_get(t->locks, c->lock);
    if (cur && !strcmp(holder_of(cur), c->holder) && token_of(cur) == c->token) return cur;
    *out = (lk_result){"not-holder", cur ? json_deep_copy(cur) : NULL};
    return NULL;
}

void lk_table_apply(lk_table *t, uint64_t index, const lk_cmd *c, lk_result *out) {
    assert(index > 0);
    const json_t *cur;
    switch (c->kind) {
    case LK_ACQUIRE: acquire(t, index, c, out); return;
    case LK_RENEW:
        if (!(cur = held_by(t, c, out))) return;
        if (c->now_ms >= expiry_of(cur)) {
            *out = (lk_result){"expired", json_deep_copy(cur)};
            return;
        }
        grant(t, c, lease(c->holder, c->token, c->now_ms + c->ttl_ms), out);
        return;
    case LK_RELEASE:
        if (!(cur = held_by(t, c, out))) return;
        *out = (lk_result){NULL, json_deep_copy(cur)};
        json_object_del(t->locks, c->lock);
        return;
    }
    *out = (lk_result){"bad-command", NULL};
}

void lk_table_apply_bytes(lk_table *t, uint64_t index, const void *data, size_t len,
                          lk_result *out) {
    lk_cmd c;
    char err[LK_ERR_BYTES];
    if (lk_cmd_decode(data, len, &c, err, sizeof err) != 0) {
        *out = (lk_result){"bad-command", NULL};
        return;
    }
    lk_table_apply(t, index, &c, out);
}

int64_t lk_leader_wait_left(int64_t since_ms, int64_t now_ms, int64_t ttl_ms, bool early_grant) {
    int64_t left = since_ms + ttl_ms + ttl_ms / 10 + 100 - now_ms;
    return early_grant || left < 0 ? 0 : left;
}

const json_t *lk_table_get(const lk_table *t, const char *lock) {
    return json_object_get(t->locks, lock);
}

size_t lk_table_count(const lk_table *t) { return json_object_size(t->locks); }

/* ---- snapshots ---- */

char *lk_table_snapshot(const lk_table *t, size_t *len) {
    char *text = json_dumps(t->locks, JSON_COMPACT | JSON_SORT_KEYS);
    if (text) *len = strlen(text);
    return text;
}

static bool valid_lease(const json_t *l) {
    const char *h = holder_of(l);
    return json_is_object(l) && json_object_size(l) == 3 && h && *h &&
           strlen(h) <= LK_HOLDER_BYTES_MAX && json_is_integer(json_object_get(l, "token")) &&
           json_integer_value(json_object_get(l, "token")) > 0 &&
           json_is_integer(json_object_get(l, "expires_ms"));
}

int lk_table_restore(lk_table *t, const void *data, size_t len, char *err, size_t err_bytes) {
    json_error_t je;
    json_t *locks = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(locks)) {
        snprintf(err, err_bytes, "lock table snapshot: not a JSON object (%s)",
                 locks ? "another JSON value" : je.text);
        json_decref(locks);
        return -1;
    }
    const char *lock;
    json_t *l;
    json_object_foreach(locks, lock, l) {
        if (!valid_lease(l) || strlen(lock) > FL_KEY_TEXT_MAX) {
            snprintf(err, err_bytes, "lock table snapshot: the lease of %.64s is not "
                     "{\"holder\",\"token\",\"expires_ms\"}", lock);
            json_decref(locks);
            return -1;
        }
    }
    json_decref(t->locks);
    t->locks = locks;
    return 0;
}
