/* A node's simulated disk: what survives a crash. Writes go to a page cache (pending,
 * in issue order) and become durable when an fsync that was issued after them completes;
 * a crash keeps the durable state plus a prefix (maybe empty) of the pending writes, as an
 * ordered log-structured store would. */
#ifndef SIM_DISK_H
#define SIM_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "raft.h"

typedef enum { DISK_HS, DISK_SNAPSHOT, DISK_ENTRIES, DISK_COMPACT } disk_write_kind;

typedef struct disk_write {
    disk_write_kind kind;
    raft_hard_state hs;   /* DISK_HS */
    raft_snapshot snap;   /* DISK_SNAPSHOT, DISK_COMPACT (data owned) */
    raft_entry *entries;  /* DISK_ENTRIES (owned): truncate at entries[0].index, append */
    size_t n_entries;
} disk_write;

typedef struct sim_disk {
    /* durable */
    raft_hard_state hs;
    raft_snapshot snap;  /* data owned */
    raft_entry *log;     /* snap.index+1, ... (owned) */
    size_t n_log, cap_log;
    /* page cache: writes number durable+1 .. issued, in order */
    disk_write *pending;
    size_t n_pending, cap_pending;
    uint64_t issued, durable;
} sim_disk;

void disk_init(sim_disk *d);
void disk_free(sim_disk *d);
/* Queue the writes of one ready batch (contract order: hs, snapshot, entries). */
void disk_write_ready(sim_disk *d, const raft_ready *rd);
/* Queue a compaction: the snapshot replaces every entry up to its index. */
void disk_write_compact(sim_disk *d, uint64_t index, uint64_t term, const uint8_t *data,
                        size_t len);
/* An fsync issued after write number mark completed: writes up to mark are durable. */
void disk_sync(sim_disk *d, uint64_t mark);
/* A crash: keep only the first keep pending writes (they reached the platter). */
void disk_crash(sim_disk *d, size_t keep);
/* The durable state as raft_new wants it (borrowed from d). */
void disk_boot(const sim_disk *d, raft_boot *b);

#endif
