/* The replica's put log: every applied put is appended to DIR/puts.log as a record line
 * and made durable by one fdatasync per batch (group commit) before any reply that
 * depends on it leaves the node. At start the log is replayed into the store. The file,
 * its lock, the torn-tail and corruption rules and the commit are targets/common's
 * append-only log (applog.h); this file says what a record is. */
#ifndef QKV_WAL_H
#define QKV_WAL_H

#include <stdbool.h>
#include <stddef.h>

#include "applog.h"
#include "buf.h"
#include "message.h"
#include "store.h"

#define QKV_WAL_NAME "puts.log"
#define QKV_WAL_PENDING_BYTES_MAX ((size_t)256 << 20)

_Static_assert(QKV_ERR_BYTES <= FL_APPLOG_ERR_BYTES, "a record's error fits the scan's");

typedef fl_applog qkv_wal;
typedef fl_applog_scan_result qkv_wal_scan_result;

typedef void qkv_record_fn(void *arg, const qkv_msg *record);

/* Pure: scans a log image, calls fn for each valid record in order. 0, or -1 when an
 * invalid line comes before a valid one (r->bad_line, r->err). */
int qkv_wal_scan(const char *bytes, size_t len, qkv_record_fn *fn, void *arg,
                 qkv_wal_scan_result *r);

/* Opens (creating dir and file as needed) and replays into store, truncating a torn tail;
 * logs what it found. 0, or -1 with err naming the file and what to do. */
int qkv_wal_open(qkv_wal *w, const char *dir, qkv_store *store, char *err, size_t err_bytes);
static inline void qkv_wal_close(qkv_wal *w) { fl_applog_close(w); }
/* Queues a record for the next commit: 0, or -1 when the batch is full. */
int qkv_wal_append(qkv_wal *w, const char *ckey, qkv_version v, const json_t *value);
static inline bool qkv_wal_pending(const qkv_wal *w) { return fl_applog_pending(w); }
/* Writes the batch and fdatasyncs it: 0, or -1 with err (the caller must not acknowledge
 * anything of the batch: the daemon exits). */
static inline int qkv_wal_commit(qkv_wal *w, char *err, size_t err_bytes) {
    return fl_applog_commit(w, err, err_bytes);
}

#endif
