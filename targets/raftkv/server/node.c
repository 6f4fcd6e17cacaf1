/* The Raft node's host side: start from the data dir (raft_new from what storage.c reads
 * back), the tick, and carrying out ready batches exactly as raft.h's contract says:
 *   1. hard state written first (when the batch must sync, or lazily: see below);
 *   2. a leader's snapshot saved (the log emptied after it), then the entries written
 *      (cutting a conflicting suffix first);
 *   3. must_sync: fdatasync, before anything of the batch leaves;
 *   4. messages queued for the peers;
 *   5. the snapshot installed in the state machine, then committed entries applied, each
 *      settling the proposal waiting on its index (client.c);
 *   6. reads answered from the state machine as it now stands; failed reads refused;
 *   7. raft_persisted(seq).
 * Every batch is carried out whole before the next is taken, so batches keep their order
 * and a batch's writes are durable before any later batch's messages leave.
 *
 * volatile-vote (a seeded bug): the core then marks a batch whose only write is a term or
 * vote change as not needing a sync. This host takes it at its word: such a hard state is
 * written after the batch's messages have gone, and late — one election timeout later (or
 * before the next batch that syncs, which must never put an entry of a newer term on disk
 * than the hard state) — so a node killed meanwhile restarts without the vote it gave.
 *
 * Compaction, between batches: once --snapshot-entries (N) entries have been applied since
 * the last snapshot, the state machine is serialized as of the applied index X and held;
 * once N/4 more entries have applied, the held snapshot is handed to the core
 * (raft_compact at X), saved, and the log rewritten without the entries up to X
 * (storage.h). So the log keeps at least N/4 entries after its snapshot and a follower
 * that lags by less than that catches up from the log, not by a whole snapshot (the core
 * compacts exactly at the index it is given, and the state machine can only be
 * serialized as it stands, hence the holding). */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

_Noreturn void rkv_die_undurable(const char *err) {
    fl_log("cannot write the Raft state durably: %s; exiting without acknowledging anything "
           "that depends on it", err);
    _exit(1); /* like a crash: what was not durable was never acknowledged */
}

int64_t rkv_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* the clock shim's offset reaches lease-read here */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *node_name(const rkv_server *s, int id, char *buf, size_t bytes) {
    if (id >= 0 && (size_t)id < s->opt->peer_count) return s->opt->peers[id].name;
    snprintf(buf, bytes, "none");
    return buf;
}

/* ---- start and stop ---- */

/* The app's state machine replaced by a snapshot's, as of its index. */
static int restore_app(rkv_server *s, const raft_snapshot *snap, char *err, size_t err_bytes) {
    if (s->app->restore(s->sm, snap->data, snap->len, snap->index, snap->term, err,
                        err_bytes) != 0)
        return -1;
    s->applied = snap->index;
    s->applied_term = snap->term;
    return 0;
}

static void drop_held(rkv_server *s);

static void log_recovery(rkv_server *s, const rkv_recovery *rec) {
    const raft_boot *b = &rec->boot;
    char vote[16];
    if (rec->torn_bytes)
        fl_log("recovery: %s/%s: cut a torn tail of %zu bytes (from index %" PRIu64 ")",
               s->opt->data_dir, RKV_LOG_NAME, rec->torn_bytes, rec->torn_at);
    if (rec->dropped)
        fl_log("recovery: dropped %zu log entr%s the snapshot %s (a compaction or install cut "
               "short by a crash, finished now)", rec->dropped, rec->dropped == 1 ? "y" : "ies",
               rec->log_dropped ? "does not continue" : "covers");
    fl_log("recovery: hard state term %" PRIu64 " vote %s; snapshot at index %" PRIu64
           " (term %" PRIu64 ", %zu keys); %zu log entries after it (last index %" PRIu64 ")",
           b->hs.term, node_name(s, b->hs.vote, vote, sizeof vote), b->snapshot.index,
           b->snapshot.term, s->app->count(s->sm), b->n_entries,
           b->snapshot.index + b->n_entries);
}

static uint64_t seed(const rkv_server *s) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 16 ^
                 (uint64_t)s->opt->self;
    return x * 0x9E3779B97F4A7C15ull;
}

static int start_core(rkv_server *s, const rkv_recovery *rec, char *err, size_t err_bytes) {
    const rkv_options *o = s->opt;
    raft_config cfg = {
        .id = (int)o->self, .nodes = (int)o->peer_count, .election_ticks = o->election_ticks,
        .heartbeat_ticks = o->heartbeat_ticks, .max_append_entries = RKV_APPEND_ENTRIES_MAX,
        .seed = seed(s), .bugs = o->bugs, .lease_ms = o->lease_ms,
    };
    char why[256];
    const raft_snapshot *snap = &rec->boot.snapshot;
    if (snap->index > 0 && restore_app(s, snap, why, sizeof why) != 0) {
        snprintf(err, err_bytes, "data dir %s: %s: corruption; move the data dir away to start "
                 "empty", o->data_dir, why);
        return -1;
    }
    s->raft = raft_new(&cfg, &rec->boot, why, sizeof why);
    if (!s->raft) {
        snprintf(err, err_bytes, "data dir %s: the Raft state read back is inconsistent (%s): "
                 "corruption; move the data dir away to start empty", o->data_dir, why);
        return -1;
    }
    s->snapshot_index = snap->index;
    s->compact_at = snap->index + o->snapshot_entries;
    s->role = RAFT_FOLLOWER;
    s->leader = RAFT_NONE;
    s->term = rec->boot.hs.term;
    return 0;
}

int rkv_node_open(rkv_server *s, char *err, size_t err_bytes) {
    rkv_recovery rec;
    int rc = rkv_storage_open(&s->storage, s->opt->data_dir, &rec, err, err_bytes);
    s->storage_open = true; /* rkv_storage_open leaves it closable whatever happens */
    if (rc == 0) rc = start_core(s, &rec, err, err_bytes);
    if (rc == 0) log_recovery(s, &rec);
    rkv_recovery_free(&rec);
    if (rc == 0 && (s->opt->bugs & RAFT_BUG_VOLATILE_VOTE))
        fl_log("volatile-vote: a term or vote change alone is written %d ms late, after the "
               "messages that depend on it", (int)s->opt->election_ticks * s->opt->tick_ms);
    return rc;
}

static void write_hs(rkv_server *s, raft_hard_state hs, bool sync) {
    char err[512];
    if (rkv_storage_write_hs(&s->storage, hs, err, sizeof err) != 0 ||
        (sync && rkv_storage_sync(&s->storage, err, sizeof err) != 0))
        rkv_die_undurable(err);
    s->hs_lazy = false;
}

void rkv_node_close(rkv_server *s) {
    if (s->hs_lazy) write_hs(s, s->hs_pending, true); /* a clean stop loses nothing */
    drop_held(s);
    raft_free(s->raft);
    s->raft = NULL;
    if (s->storage_open) rkv_storage_close(&s->storage);
    s->storage_open = false;
}

/* ---- the tick ---- */

static void on_tick(fl_loop *l, fl_timer *t) {
    rkv_server *s = t->arg;
    int64_t now = fl_mono_ms(), next = t->deadline_ms + s->opt->tick_ms;
    if (next <= now) next = now + s->opt->tick_ms; /* late (a pause, a stall): no burst */
    fl_timer_arm(l, t, next);
    raft_tick(s->raft, rkv_wall_ms());
    if (s->hs_lazy && now >= s->hs_due_ms) write_hs(s, s->hs_pending, true);
}

void rkv_node_start_ticks(rkv_server *s) {
    fl_timer_init(&s->tick, on_tick, s);
    fl_timer_arm(s->srv.loop, &s->tick, fl_mono_ms() + s->opt->tick_ms);
}

/* ---- carrying out a ready batch ---- */

static void log_role(rkv_server *s, const raft_ready *rd) {
    if (rd->role == s->role && rd->leader == s->leader && rd->term == s->term) return;
    char name[16];
    if (rd->role == RAFT_LEADER)
        fl_log("role: leader of term %" PRIu64, rd->term);
    else if (rd->role == RAFT_CANDIDATE)
        fl_log("role: candidate in term %" PRIu64, rd->term);
    else if (rd->role != s->role || rd->leader != s->leader)
        fl_log("role: follower in term %" PRIu64 ", leader %s", rd->term,
               node_name(s, rd->leader, name, sizeof name));
    bool changed = rd->role != s->role || rd->term != s->term;
    s->role = rd->role;
    s->leader = rd->leader;
    s->term = rd->term;
    if (changed && s->app->role_changed) s->app->role_changed(s->sm, s, rd->role, rd->term);
}

/* Steps 1-3: what the batch writes, and the sync its messages wait for. */
static void write_batch(rkv_server *s, const raft_ready *rd) {
    char err[512];
    if (rd->must_sync && (rd->hs_changed || s->hs_lazy)) {
        write_hs(s, rd->hs, false); /* (a lazy one too: never an entry newer than the hs) */
    } else if (rd->hs_changed) {
        assert(s->opt->bugs & RAFT_BUG_VOLATILE_VOTE); /* else the core asks for a sync */
        if (!s->hs_lazy) s->hs_due_ms = fl_mono_ms() + (int64_t)s->opt->election_ticks * s->opt->tick_ms;
        s->hs_lazy = true;
        s->hs_pending = rd->hs;
    }
    if (rd->has_snapshot && rkv_storage_install(&s->storage, &rd->snapshot, err, sizeof err) != 0)
        rkv_die_undurable(err);
    if (rd->n_entries && rkv_storage_append(&s->storage, rd->entries, rd->n_entries, err,
                                            sizeof err) != 0)
        rkv_die_undurable(err);
    if (rd->must_sync && rkv_storage_sync(&s->storage, err, sizeof err) != 0)
        rkv_die_undurable(err);
}

static void install_snapshot(rkv_server *s, const raft_snapshot *snap) {
    char err[256];
    if (restore_app(s, snap, err, sizeof err) != 0) {
        fl_log("cannot install the leader's snapshot: %s; exiting", err);
        _exit(1);
    }
    rkv_writes_skipped(s, snap->index);
    s->snapshot_index = snap->index;
    s->compact_at = snap->index + s->opt->snapshot_entries;
    fl_log("snapshot installed from the leader: index %" PRIu64 " (term %" PRIu64 "), %zu keys, "
           "%zu bytes", snap->index, snap->term, s->app->count(s->sm), snap->len);
}

static void carry_out(rkv_server *s, const raft_ready *rd) {
    if (rd->role_changed) log_role(s, rd);
    write_batch(s, rd);                                          /* 1-3 */
    for (size_t i = 0; i < rd->n_msgs; i++) rkv_peer_send(s, &rd->msgs[i]); /* 4 */
    if (rd->has_snapshot) install_snapshot(s, &rd->snapshot);   /* 5 */
    for (size_t i = 0; i < rd->n_committed; i++) {
        const raft_entry *e = &rd->committed[i];
        if (e->index != s->applied + 1) {
            fl_log("the core handed out entry %" PRIu64 " after %" PRIu64 "; exiting", e->index,
                   s->applied);
            abort();
        }
        rkv_applied r = {0};
        s->app->apply(s->sm, e, &r);
        s->applied = e->index;
        s->applied_term = e->term;
        rkv_writes_applied(s, e, &r);
        json_decref(r.value);
    }
    for (size_t i = 0; i < rd->n_reads; i++) rkv_read_done(s, rd->reads[i].id, true); /* 6 */
    for (size_t i = 0; i < rd->n_failed_reads; i++) rkv_read_done(s, rd->failed_reads[i], false);
    if (rd->must_sync) raft_persisted(s->raft, rd->seq);         /* 7 */
}

static void drop_held(rkv_server *s) {
    free(s->held_snap);
    s->held_snap = NULL;
    s->held_len = 0;
}

/* The held snapshot becomes the core's and the disk's; the log is compacted after it. */
static void compact_held(rkv_server *s) {
    char err[512];
    uint64_t index = s->held_index, term = s->held_term;
    int rc = raft_compact(s->raft, index, s->held_snap, s->held_len);
    if (rc != RAFT_OK) {
        fl_log("no snapshot at index %" PRIu64 ": the core refused it (%d)", index, rc);
        drop_held(s);
        return;
    }
    raft_snapshot snap = {index, term, (uint8_t *)s->held_snap, s->held_len};
    if (rkv_storage_compact(&s->storage, &snap, err, sizeof err) != 0) rkv_die_undurable(err);
    s->snapshot_index = index;
    fl_log("snapshot taken at index %" PRIu64 " (term %" PRIu64 "), %zu bytes; the log now "
           "starts after it (%" PRIu64 " entries kept)", index, term, s->held_len,
           rkv_storage_last_index(&s->storage) - index);
    drop_held(s);
}

/* The state machine serialized as of the applied index, held for compact_held. A
 * snapshot too large for the core is skipped for another N entries. */
static void hold_snapshot(rkv_server *s) {
    size_t len = 0;
    char *data = s->app->snapshot(s->sm, &len);
    s->compact_at = s->applied + s->opt->snapshot_entries;
    if (!data || len > RAFT_SNAPSHOT_BYTES_MAX) {
        fl_log("no snapshot at index %" PRIu64 ": %s; the log keeps growing", s->applied,
               data ? "the state machine is over 16 MiB as JSON" : "it could not be encoded");
        free(data);
        return;
    }
    s->held_snap = data;
    s->held_len = len;
    s->held_index = s->applied;
    s->held_term = s->applied_term;
}

/* Between batches (the disk then holds exactly the core's log). */
static void maybe_compact(rkv_server *s) {
    uint64_t applied = s->applied;
    if (s->held_snap && s->held_index <= s->snapshot_index) drop_held(s); /* an install passed it */
    if (s->held_snap && applied >= s->held_index + s->opt->snapshot_entries / 4) compact_held(s);
    if (!s->held_snap && applied >= s->compact_at && applied > s->snapshot_index) hold_snapshot(s);
}

bool rkv_node_pump(rkv_server *s) {
    for (int round = 0; round < RKV_PUMP_ROUNDS_MAX && raft_has_ready(s->raft); round++) {
        raft_ready rd;
        raft_ready_take(s->raft, &rd);
        carry_out(s, &rd);
        raft_ready_free(&rd);
    }
    if (raft_has_ready(s->raft)) return true; /* the loop comes back without sleeping */
    maybe_compact(s);
    return false;
}
