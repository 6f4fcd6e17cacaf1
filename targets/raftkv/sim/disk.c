/* The simulated disk (see disk.h). */
#include "disk.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void disk_init(sim_disk *d) {
    memset(d, 0, sizeof *d);
    d->hs.vote = RAFT_NONE;
}

static void write_free(disk_write *w) {
    for (size_t i = 0; i < w->n_entries; i++) raft_entry_free(&w->entries[i]);
    free(w->entries);
    free(w->snap.data);
}

static void log_clear(sim_disk *d, size_t keep_from) { /* drop log[0 .. keep_from) */
    if (keep_from == 0) return;
    for (size_t i = 0; i < keep_from; i++) raft_entry_free(&d->log[i]);
    memmove(d->log, d->log + keep_from, (d->n_log - keep_from) * sizeof *d->log);
    d->n_log -= keep_from;
}

void disk_free(sim_disk *d) {
    for (size_t i = 0; i < d->n_pending; i++) write_free(&d->pending[i]);
    free(d->pending);
    log_clear(d, d->n_log);
    free(d->log);
    free(d->snap.data);
    memset(d, 0, sizeof *d);
}

static disk_write *push(sim_disk *d, disk_write_kind kind) {
    if (d->n_pending == d->cap_pending) {
        d->cap_pending = d->cap_pending ? d->cap_pending * 2 : 16;
        d->pending = raft_xrealloc(d->pending, d->cap_pending * sizeof *d->pending);
    }
    disk_write *w = &d->pending[d->n_pending++];
    memset(w, 0, sizeof *w);
    w->kind = kind;
    d->issued++;
    return w;
}

static raft_snapshot snap_copy(uint64_t index, uint64_t term, const uint8_t *data, size_t len) {
    raft_snapshot s = {index, term, NULL, len};
    if (len) {
        s.data = raft_xmalloc(len);
        memcpy(s.data, data, len);
    }
    return s;
}

void disk_write_ready(sim_disk *d, const raft_ready *rd) {
    if (rd->hs_changed) push(d, DISK_HS)->hs = rd->hs;
    if (rd->has_snapshot) {
        const raft_snapshot *s = &rd->snapshot;
        push(d, DISK_SNAPSHOT)->snap = snap_copy(s->index, s->term, s->data, s->len);
    }
    if (rd->n_entries > 0) {
        disk_write *w = push(d, DISK_ENTRIES);
        w->entries = raft_xmalloc(rd->n_entries * sizeof *w->entries);
        for (size_t i = 0; i < rd->n_entries; i++) raft_entry_copy(&w->entries[i], &rd->entries[i]);
        w->n_entries = rd->n_entries;
    }
}

void disk_write_compact(sim_disk *d, uint64_t index, uint64_t term, const uint8_t *data,
                        size_t len) {
    push(d, DISK_COMPACT)->snap = snap_copy(index, term, data, len);
}

static void log_append(sim_disk *d, const raft_entry *e) {
    if (d->n_log == d->cap_log) {
        d->cap_log = d->cap_log ? d->cap_log * 2 : 64;
        d->log = raft_xrealloc(d->log, d->cap_log * sizeof *d->log);
    }
    raft_entry_copy(&d->log[d->n_log++], e);
}

/* Carry one write out on the durable state (it takes w's snapshot bytes). */
static void apply(sim_disk *d, disk_write *w) {
    switch (w->kind) {
    case DISK_HS:
        d->hs = w->hs;
        break;
    case DISK_SNAPSHOT:
        log_clear(d, d->n_log);
        free(d->snap.data);
        d->snap = w->snap;
        w->snap.data = NULL;
        break;
    case DISK_COMPACT: {
        if (w->snap.index <= d->snap.index) break; /* an older snapshot than the one we have */
        uint64_t drop = w->snap.index - d->snap.index;
        log_clear(d, drop < d->n_log ? (size_t)drop : d->n_log);
        free(d->snap.data);
        d->snap = w->snap;
        w->snap.data = NULL;
        break;
    }
    case DISK_ENTRIES: {
        uint64_t first = w->entries[0].index;
        assert(first > d->snap.index && first <= d->snap.index + d->n_log + 1);
        while (d->n_log > 0 && d->snap.index + d->n_log >= first)
            raft_entry_free(&d->log[--d->n_log]);
        for (size_t i = 0; i < w->n_entries; i++) log_append(d, &w->entries[i]);
        break;
    }
    }
}

static void apply_first(sim_disk *d, size_t k) {
    assert(k <= d->n_pending);
    if (k == 0) return;
    for (size_t i = 0; i < k; i++) {
        apply(d, &d->pending[i]);
        write_free(&d->pending[i]);
    }
    memmove(d->pending, d->pending + k, (d->n_pending - k) * sizeof *d->pending);
    d->n_pending -= k;
    d->durable += k;
}

void disk_sync(sim_disk *d, uint64_t mark) {
    if (mark > d->durable) apply_first(d, (size_t)(mark - d->durable));
}

void disk_crash(sim_disk *d, size_t keep) {
    apply_first(d, keep < d->n_pending ? keep : d->n_pending);
    for (size_t i = 0; i < d->n_pending; i++) write_free(&d->pending[i]);
    d->durable += d->n_pending; /* lost, but counted, so that marks stay comparable */
    d->n_pending = 0;
    d->issued = d->durable;
}

void disk_boot(const sim_disk *d, raft_boot *b) {
    b->hs = d->hs;
    b->snapshot = d->snap;
    b->entries = d->log;
    b->n_entries = d->n_log;
}
