/* The replica's put log: every applied put is appended to DIR/puts.log as a record line
 * and made durable by one fdatasync per batch (group commit) before any reply that
 * depends on it leaves the node. At start the log is replayed into the store; a torn tail
 * (bytes after the last whole, valid record: a write cut by a crash, never acknowledged)
 * is truncated away, while an invalid record followed by valid ones is corruption and
 * stops the start. The log's file is flock'ed, so two daemons never share a data dir. */
#ifndef QKV_WAL_H
#define QKV_WAL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "message.h"
#include "store.h"

#define QKV_WAL_NAME "puts.log"
#define QKV_WAL_PENDING_BYTES_MAX ((size_t)256 << 20)

typedef struct qkv_wal {
    int fd;                 /* O_APPEND, locked; -1 when closed */
    char path[4096];
    fl_buf pending;         /* records appended since the last commit */
    size_t pending_records;
} qkv_wal;

/* What replaying a log image found. */
typedef struct qkv_wal_scan_result {
    size_t records;         /* valid records, all handed to the callback */
    size_t good_bytes;      /* the log up to the end of the last valid record */
    size_t tail_lines;      /* lines (whole or torn) after it, to be truncated */
    size_t bad_line;        /* 1-based: an invalid line before a valid one; 0 if none */
    char err[QKV_ERR_BYTES];/* why bad_line is invalid */
} qkv_wal_scan_result;

typedef void qkv_record_fn(void *arg, const qkv_msg *record);

/* Pure: scans a log image, calls fn for each valid record in order. 0, or -1 when an
 * invalid line comes before a valid one (r->bad_line, r->err). */
int qkv_wal_scan(const char *bytes, size_t len, qkv_record_fn *fn, void *arg,
                 qkv_wal_scan_result *r);

/* Opens (creating dir and file as needed) and replays into store, truncating a torn tail;
 * logs what it found. 0, or -1 with err naming the file and what to do. */
int qkv_wal_open(qkv_wal *w, const char *dir, qkv_store *store, char *err, size_t err_bytes);
void qkv_wal_close(qkv_wal *w);
/* Queues a record for the next commit: 0, or -1 when the batch is full. */
int qkv_wal_append(qkv_wal *w, const char *ckey, qkv_version v, const json_t *value);
static inline bool qkv_wal_pending(const qkv_wal *w) { return w->pending_records > 0; }
/* Writes the batch and fdatasyncs it: 0, or -1 with err (the caller must not acknowledge
 * anything of the batch: the daemon exits). */
int qkv_wal_commit(qkv_wal *w, char *err, size_t err_bytes);

#endif
