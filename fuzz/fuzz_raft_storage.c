/* libFuzzer target: the Raft host's durable state read back at start-up
 * (targets/raftkv/server/storage.c) — bytes on a disk a crash, a full disk or a bad
 * sector may have left — on any bytes, split into a hardstate, a raft.log and a snapshot
 * file in a scratch data dir. Besides crashes, leaks and undefined behaviour, it checks
 * properties:
 *   - a refused start says why;
 *   - a start that succeeds hands out entries in sequence after the snapshot, each
 *     within the entry size limit, and its repair is complete: starting again from what
 *     it left reads back the same hard state, snapshot and entries, with nothing more
 *     to cut or drop. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_fixed.h"
#include "storage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096];

static void put(const char *name, const uint8_t *bytes, size_t n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!bytes) {
        unlink(path);
        return;
    }
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(bytes, 1, n, f) != n) || fclose(f) != 0) abort();
}

static bool same_entries(const raft_boot *a, const raft_boot *b) {
    if (a->n_entries != b->n_entries) return false;
    for (size_t i = 0; i < a->n_entries; i++) {
        const raft_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->index != y->index || x->term != y->term || x->type != y->type ||
            x->len != y->len || (x->len && memcmp(x->data, y->data, x->len)))
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!dir[0] && fuzz_scratch_dir(dir, sizeof dir, "fl-fuzz-raft-storage") != 0) abort();
    /* Two length bytes split the rest into hardstate, raft.log and snapshot; a length of
     * 255 leaves that file out. */
    if (size < 2) return 0;
    size_t hs = data[0], snap = data[1], at = 2;
    const uint8_t *hs_bytes = NULL, *snap_bytes = NULL;
    if (hs != 255) {
        hs = hs < size - at ? hs : size - at;
        hs_bytes = data + at;
        at += hs;
    }
    if (snap != 255) {
        snap = snap < size - at ? snap : size - at;
        snap_bytes = data + at;
        at += snap;
    }
    put(RKV_HS_NAME, hs_bytes, hs);
    put(RKV_SNAP_NAME, snap_bytes, snap);
    put(RKV_LOG_NAME, data + at, size - at);

    rkv_storage st;
    rkv_recovery rec;
    char err[512] = "";
    if (rkv_storage_open(&st, dir, &rec, err, sizeof err) != 0) {
        if (!err[0]) abort(); /* a refusal says why */
        rkv_storage_close(&st);
        rkv_recovery_free(&rec);
        return 0;
    }
    const raft_boot *b = &rec.boot;
    for (size_t i = 0; i < b->n_entries; i++)
        if (b->entries[i].index != b->snapshot.index + 1 + i ||
            b->entries[i].len > RAFT_ENTRY_BYTES_MAX)
            abort();
    rkv_storage_close(&st);
    rkv_storage again;
    rkv_recovery rec2;
    if (rkv_storage_open(&again, dir, &rec2, err, sizeof err) != 0) abort();
    if (rec2.torn_bytes || rec2.dropped || rec2.log_dropped ||
        rec2.boot.hs.term != b->hs.term || rec2.boot.hs.vote != b->hs.vote ||
        rec2.boot.snapshot.index != b->snapshot.index ||
        rec2.boot.snapshot.term != b->snapshot.term ||
        rec2.boot.snapshot.len != b->snapshot.len || !same_entries(b, &rec2.boot))
        abort();
    rkv_storage_close(&again);
    rkv_recovery_free(&rec2);
    rkv_recovery_free(&rec);
    return 0;
}
