/* A node's durable Raft state in its data dir, written as the ready contract (raft.h) asks:
 *
 *   hardstate  term and vote: two 32-byte slots written in turn (pwrite), each with a
 *              sequence number and a CRC; the valid slot with the higher sequence wins, so a
 *              write torn by a crash leaves the previous hard state readable.
 *   raft.log   a 32-byte header naming the snapshot the log follows (index, term), then
 *              one record per entry: a 32-byte header (magic, length, index, term, type,
 *              CRC-32C of header and bytes) and the entry's bytes. Appends go at the end;
 *              a conflicting suffix is cut with ftruncate at the first replaced entry's
 *              offset (kept per index in memory).
 *   snapshot   a 40-byte header (index, term, length, CRC-32C) and the state machine's
 *              bytes; replaced whole (temporary file, fdatasync, rename, fsync of the dir).
 *   lock       flock'ed while a daemon uses the dir.
 * Integers are little-endian. Nothing is durable until rkv_storage_sync (fdatasync), except
 * snapshots and log rewrites, which are durable when their call returns.
 *
 * Compaction (rkv_storage_compact) writes the snapshot file, then rewrites raft.log
 * without the entries it covers (a new file renamed over the old one). Installing a
 * leader's snapshot writes the snapshot file, then replaces raft.log by an empty log that
 * follows it. A crash between the two steps is repaired at the next start: a log that
 * holds the snapshot's last entry (same index and term) keeps the entries after it; any
 * other log does not continue the snapshot and is dropped whole.
 *
 * At start, bytes after the last whole valid record (a write cut by a crash, never
 * synced, so never acknowledged) are cut off; a damaged record followed by a valid one,
 * a bad header, indices out of sequence or a bad snapshot or hard state are corruption,
 * and the start is refused. */
#ifndef RKV_STORAGE_H
#define RKV_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "raft.h"

#define RKV_LOG_NAME "raft.log"
#define RKV_HS_NAME "hardstate"
#define RKV_SNAP_NAME "snapshot"
#define RKV_LOCK_NAME "lock"
#define RKV_LOG_HEADER_BYTES 32
#define RKV_REC_HEADER_BYTES 32
#define RKV_SNAP_HEADER_BYTES 40
#define RKV_PATH_BYTES 4096

typedef struct rkv_storage {
    char dir[RKV_PATH_BYTES];
    int dir_fd, lock_fd, hs_fd, log_fd; /* -1 when closed */
    uint64_t hs_seq;          /* sequence of the slot written last */
    uint64_t base_index;      /* raft.log follows the snapshot at (base_index, base_term) */
    uint64_t base_term;
    uint64_t *offsets;        /* offsets[k]: where entry base_index + 1 + k starts */
    size_t n, cap;            /* entries in raft.log */
    uint64_t end;             /* bytes of raft.log */
    fl_buf wbuf;              /* the records of one append */
    bool hs_dirty, log_dirty; /* written since the last sync */
} rkv_storage;

/* What rkv_storage_open read back and repaired (everything owned; for raft_new and the log). */
typedef struct rkv_recovery {
    raft_boot boot;           /* entries and snapshot bytes point into this struct's memory */
    raft_entry *entries;      /* boot.entries */
    uint8_t *snapshot_data;   /* boot.snapshot.data */
    size_t torn_bytes;        /* cut from raft.log's tail */
    uint64_t torn_at;         /* the index of the first entry cut off (0: none) */
    size_t dropped;           /* entries at or below the snapshot dropped from raft.log */
    bool log_dropped;         /* raft.log did not continue the snapshot: dropped whole */
} rkv_recovery;

/* Creates dir (one level) and its files as needed, locks it, reads everything back and
 * repairs what a crash may leave (see above). 0, or -1 with err saying what is wrong. */
int rkv_storage_open(rkv_storage *st, const char *dir, rkv_recovery *rec, char *err,
                     size_t err_bytes);
void rkv_recovery_free(rkv_recovery *rec);
void rkv_storage_close(rkv_storage *st);
static inline uint64_t rkv_storage_last_index(const rkv_storage *st) { return st->base_index + st->n; }

/* Each returns 0, or -1 with err naming the call and the file (the daemon then exits:
 * nothing it was about to acknowledge can be). */
int rkv_storage_write_hs(rkv_storage *st, raft_hard_state hs, char *err, size_t err_bytes);
/* Drops every entry at index >= es[0].index, then appends es (consecutive indices). */
int rkv_storage_append(rkv_storage *st, const raft_entry *es, size_t n, char *err, size_t err_bytes);
/* fdatasync what was written since the last sync. */
int rkv_storage_sync(rkv_storage *st, char *err, size_t err_bytes);
/* A leader's snapshot: the snapshot file replaced, raft.log emptied to follow it. Durable. */
int rkv_storage_install(rkv_storage *st, const raft_snapshot *snap, char *err, size_t err_bytes);
/* This node's snapshot at snap->index (in raft.log): the snapshot file replaced, then raft.log
 * rewritten without the entries up to snap->index. Durable. */
int rkv_storage_compact(rkv_storage *st, const raft_snapshot *snap, char *err, size_t err_bytes);

/* CRC-32C (Castagnoli), continuing from crc (0 to start). */
uint32_t rkv_crc32c(uint32_t crc, const void *bytes, size_t len);

#endif
