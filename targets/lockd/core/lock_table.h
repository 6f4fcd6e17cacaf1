/* lockd's replicated state machine (DESIGN.md "Targets", lockd): a table of leases, one
 * per lock, changed only by committed commands, so every replica that applies the same
 * log holds the same table. It reads no clock: the time a command is judged at (now_ms)
 * is in the command, stamped by the leader that proposed it.
 *
 *   acquire L for H (ttl T, at N): granted when L is free, expired (N >= expires_ms) or
 *       already H's: the token is the entry's log index (so tokens only grow, across
 *       leaders too) — kept when H already held it — and expires_ms = N + T;
 *       else `held` (the holder, its token and expiry in the value).
 *   renew L by H with token K (ttl T, at N): L is H's with K and N < expires_ms: expires_ms
 *       = N + T; else `not-holder` (someone else's, or free) or `expired`.
 *   release L by H with token K: L is H's with K: freed; else `not-holder`.
 *
 * Snapshot: the JSON text {"L": {"holder","token","expires_ms"}, …}. libc and jansson only. */
#ifndef LK_TABLE_H
#define LK_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "wire.h"

#define LK_HOLDER_BYTES_MAX 128   /* a holder's name, without its NUL */
#define LK_ERR_BYTES 256
#define LK_TTL_MS_MAX 86400000LL          /* a day */
#define LK_NOW_MS_MAX (1LL << 62)

typedef enum { LK_ACQUIRE, LK_RENEW, LK_RELEASE } lk_cmd_kind;

typedef struct lk_cmd {
    lk_cmd_kind kind;
    char lock[FL_KEY_TEXT_MAX + 1];       /* canonical key text (wire.h) */
    char holder[LK_HOLDER_BYTES_MAX + 1];
    uint64_t token;                       /* renew, release */
    int64_t ttl_ms;                       /* acquire, renew: > 0 */
    int64_t now_ms;                       /* acquire, renew: the proposing leader's clock */
} lk_cmd;

typedef struct lk_table {
    json_t *locks;        /* object: lock text -> {"holder","token","expires_ms"}; free locks
                             are absent */
} lk_table;

/* What applying a command gave: error NULL when it took effect (value: the lease, a new
 * reference, with "granted_ms" and "ttl_ms" of an acquire or renew), else a definite
 * failure (value: the lease in the way, or NULL). */
typedef struct lk_result {
    const char *error;    /* NULL, "held", "not-holder", "expired", "bad-command" */
    json_t *value;
} lk_result;

void lk_table_init(lk_table *t);
void lk_table_free(lk_table *t);

/* The command as an entry's bytes (malloc'd, *len of them), or NULL. */
char *lk_cmd_encode(const lk_cmd *c, size_t *len);
/* An entry's bytes back into a command: 0, or -1 with err. */
int lk_cmd_decode(const void *data, size_t len, lk_cmd *out, char *err, size_t err_bytes);

/* Apply the command committed at log index. Fills out (release out->value after). */
void lk_table_apply(lk_table *t, uint64_t index, const lk_cmd *c, lk_result *out);
/* Apply an entry's bytes: a command that does not decode is "bad-command" (only a bug
 * writes one) and changes nothing. */
void lk_table_apply_bytes(lk_table *t, uint64_t index, const void *data, size_t len,
                          lk_result *out);

/* A new leader's wait (DESIGN.md "Targets", lockd): how many ms it must still refuse
 * acquires, having led since since_ms, now_ms later (both CLOCK_MONOTONIC, which the
 * clock shim leaves alone), with leases of ttl_ms: ttl + a tenth + 100 ms in all, so that
 * every lease an earlier leader granted or renewed has surely expired in real time.
 * 0: it may grant. early_grant (the seeded bug): always 0. */
int64_t lk_leader_wait_left(int64_t since_ms, int64_t now_ms, int64_t ttl_ms, bool early_grant);

/* The lease of lock (its canonical text): borrowed, NULL when free. */
const json_t *lk_table_get(const lk_table *t, const char *lock);
size_t lk_table_count(const lk_table *t);
/* Snapshots: malloc'd bytes (NULL when jansson cannot encode), and back (0, or -1 with
 * err and t unchanged). */
char *lk_table_snapshot(const lk_table *t, size_t *len);
int lk_table_restore(lk_table *t, const void *data, size_t len, char *err, size_t err_bytes);

#endif
