/* One simulated node's host: it starts a core from the node's durable disk, drains its
 * ready batches and carries them out in the contract's order (raft.h) — writes to the
 * disk's page cache at once, messages and applies only once the batch's fsync completes
 * (or at once when the batch needs none) — and tells the oracle what it sees. */
#include "sim.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "raft_codec.h"

/* ---- the mirror: this node's log as prefix hashes ---- */

static void mirror_reset(sim_mirror *m, uint64_t index, uint64_t term, uint64_t hash) {
    m->base_index = index;
    m->base_term = term;
    m->base_hash = hash;
    m->n = 0;
}

void sim_mirror_free(sim_mirror *m) {
    free(m->terms);
    free(m->hashes);
    memset(m, 0, sizeof *m);
}

static uint64_t mirror_last(const sim_mirror *m) { return m->base_index + m->n; }

/* The prefix hash at index, 0 when the mirror does not know it (compacted or past the end). */
static uint64_t mirror_hash_at(const sim_mirror *m, uint64_t index) {
    if (index == m->base_index) return m->base_hash;
    if (index < m->base_index || index > mirror_last(m)) return 0;
    return m->hashes[index - m->base_index - 1];
}

static uint64_t mirror_term_at(const sim_mirror *m, uint64_t index) {
    if (index == m->base_index) return m->base_term;
    if (index < m->base_index || index > mirror_last(m)) return 0;
    return m->terms[index - m->base_index - 1];
}

/* Entries written by the core (truncating at the first): extend the chain and let the
 * oracle check Log Matching for each. */
static void mirror_write(sim *s, sim_node *n, const raft_entry *es, size_t k) {
    sim_mirror *m = &n->mirror;
    if (k == 0) return;
    assert(es[0].index > m->base_index && es[0].index <= mirror_last(m) + 1);
    m->n = (size_t)(es[0].index - m->base_index - 1);
    if (m->n + k > m->cap) {
        while (m->cap < m->n + k) m->cap = m->cap ? m->cap * 2 : 256;
        m->terms = raft_xrealloc(m->terms, m->cap * sizeof *m->terms);
        m->hashes = raft_xrealloc(m->hashes, m->cap * sizeof *m->hashes);
    }
    for (size_t i = 0; i < k; i++) {
        uint64_t h = sim_chain_hash(mirror_hash_at(m, es[i].index - 1), &es[i]);
        m->terms[m->n] = es[i].term;
        m->hashes[m->n++] = h;
        oracle_log_entry(&s->oracle, s->now, n->id, es[i].index, es[i].term, h);
    }
}

/* ---- what the oracle checks as batches are taken ---- */

/* A leader of term T holds every entry committed in a term <= T. */
static void check_leader_complete(sim *s, sim_node *n, uint64_t term) {
    uint64_t want;
    uint64_t c = oracle_committed_upto(&s->oracle, term, &want);
    if (c == 0 || c < n->mirror.base_index) return; /* covered by its snapshot */
    uint64_t have = mirror_hash_at(&n->mirror, c);
    if (have != want)
        oracle_fail(
            &s->oracle, s->now, "leader completeness",
            "n%d, leader of term %llu, lacks the entry committed at index %llu (an entry of term "
            "%llu, committed in term %llu)",
            n->id + 1, (unsigned long long)term, (unsigned long long)c,
            (unsigned long long)s->oracle.committed[c].term,
            (unsigned long long)s->oracle.committed[c].commit_term);
}

/* Tell the oracle about the entries this node newly considers committed. */
void sim_node_check(sim *s, sim_node *n) {
    raft_status st;
    raft_status_get(n->raft, &st);
    if (st.commit < n->commit_seen) n->commit_seen = st.commit; /* only a seeded bug lowers it */
    for (uint64_t i = n->commit_seen + 1; i <= st.commit; i++) {
        uint64_t h = mirror_hash_at(&n->mirror, i);
        if (h)
            oracle_commit(&s->oracle, s->now, n->id, st.term, i, mirror_term_at(&n->mirror, i), h);
    }
    if (st.commit > n->commit_seen) n->commit_seen = st.commit;
    if (st.commit > s->stats.commit_max) s->stats.commit_max = st.commit;
    if (st.role == RAFT_LEADER) check_leader_complete(s, n, st.term);
}

static void observe(sim *s, sim_node *n, const raft_ready *rd) {
    if (rd->has_snapshot) {
        uint64_t digest;
        if (fsm_snapshot_digest(rd->snapshot.data, rd->snapshot.len, &digest) != 0) abort();
        mirror_reset(&n->mirror, rd->snapshot.index, rd->snapshot.term, digest);
        oracle_log_entry(&s->oracle, s->now, n->id, rd->snapshot.index, rd->snapshot.term,
                         digest);
    }
    mirror_write(s, n, rd->entries, rd->n_entries);
    if (rd->role_changed) {
        char name[16];
        SIM_TRACE(s, "role", n->id, rd->role, rd->term, rd->leader + 1, 0,
                  "n%d is %s in term %llu (leader %s)", n->id + 1, raft_role_name(rd->role),
                  (unsigned long long)rd->term, sim_node_name(rd->leader, name));
        if (rd->role == RAFT_LEADER) {
            n->leader_since = s->now; /* its monotonic clock: the lock app's leader wait */
            s->stats.elections++;
            oracle_leader(&s->oracle, s->now, rd->term, n->id);
        }
    }
    sim_node_check(s, n);
}

/* ---- carrying batches out ---- */

/* --wire: the message as the daemon would send it, decoded on the other side. */
static void through_wire(sim *s, raft_msg *m) {
    json_t *j = raft_msg_to_json(m);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    raft_msg back;
    char err[RAFT_CODEC_ERR_BYTES];
    if (!text || raft_msg_decode(text, strlen(text), s->p.nodes, &back, err, sizeof err) != 0 ||
        !raft_msg_equal(m, &back)) {
        fprintf(stderr, "raft-sim: codec round trip failed (%s): %s\n", text ? err : "encode",
                text ? text : "");
        abort();
    }
    free(text);
    json_decref(j);
    raft_msg_free(m);
    *m = back;
}

static uint64_t message_delay(sim *s) {
    if (raft_rng_chance(&s->rng, s->p.long_delay_ppm))
        return 1 + raft_rng_below(&s->rng, 3 * (uint64_t)s->p.election_ticks);
    return 1 + raft_rng_below(&s->rng, s->p.delay_max);
}

static void send(sim *s, raft_msg *m) {
    s->stats.msgs_sent++;
    if (s->p.wire) through_wire(s, m);
    if (raft_rng_chance(&s->rng, s->p.loss_ppm)) {
        s->stats.msgs_dropped++;
        SIM_TRACE(s, "lost", m->from, m->to, m->type, m->term, m->index, "n%d -> n%d %s lost",
                  m->from + 1, m->to + 1, raft_msg_type_name(m->type));
        raft_msg_free(m);
        return;
    }
    if (raft_rng_chance(&s->rng, s->p.dup_ppm)) {
        raft_msg copy;
        raft_msg_copy(&copy, m);
        s->stats.msgs_duplicated++;
        net_put(&s->net, &copy, s->now + message_delay(s));
    }
    net_put(&s->net, m, s->now + message_delay(s));
}

static void remove_write(sim_node *n, size_t i) { n->writes[i] = n->writes[--n->n_writes]; }

/* A proposal of this node at e's index: acknowledged when e is the very entry proposed. */
static void resolve_writes(sim *s, sim_node *n, const raft_entry *e) {
    for (size_t i = 0; i < n->n_writes; i++) {
        sim_write *w = &n->writes[i];
        if (w->index != e->index) continue;
        bool ok = e->term == w->term && fsm_command_op(e) == w->op;
        SIM_TRACE(s, ok ? "ack" : "lost-write", n->id, w->op, w->index, w->term, 0,
                  "n%d: write op %llu at index %llu %s", n->id + 1, (unsigned long long)w->op,
                  (unsigned long long)w->index,
                  ok ? "acknowledged" : "failed (another entry there)");
        if (ok) {
            s->stats.writes_acked++;
            oracle_acked(&s->oracle, e->index);
            if (s->final_op && w->op >= s->final_op) s->final_index = e->index;
        } else {
            s->stats.writes_lost++;
        }
        if (s->p.app == SIM_APP_LOCKD) locks_resolved(s, n->id, w->op, w->term, ok, &n->fsm.last);
        remove_write(n, i--);
    }
}

static void apply_snapshot(sim *s, sim_node *n, const raft_snapshot *snap) {
    if (fsm_restore(&n->fsm, snap->data, snap->len) != 0) abort();
    s->stats.snapshots_installed++;
    oracle_applied(&s->oracle, s->now, n->id, n->fsm.applied, fsm_state_hash(&n->fsm));
    for (size_t i = 0; i < n->n_writes; i++) /* their fate is hidden in the snapshot: unknown */
        if (n->writes[i].index <= snap->index) remove_write(n, i--);
    SIM_TRACE(s, "install", n->id, snap->index, snap->term, 0, 0,
              "n%d installs a snapshot at index %llu", n->id + 1, (unsigned long long)snap->index);
}

static void answer_read(sim *s, sim_node *n, uint64_t id, bool ok) {
    for (size_t i = 0; i < n->n_reads; i++) {
        sim_pending_read r = n->reads[i];
        if (r.id != id) continue;
        n->reads[i] = n->reads[--n->n_reads];
        SIM_TRACE(s, ok ? "read" : "read-fail", n->id, id, n->fsm.applied, r.floor, 0,
                  "n%d: read %llu %s (state at index %llu, floor %llu)", n->id + 1,
                  (unsigned long long)id, ok ? "answered" : "failed",
                  (unsigned long long)n->fsm.applied, (unsigned long long)r.floor);
        if (!ok) {
            s->stats.reads_failed++;
            return;
        }
        s->stats.reads_ok++;
        oracle_read(&s->oracle, s->now, n->id, id, r.floor, n->fsm.applied);
        oracle_acked(&s->oracle, n->fsm.applied);
        return;
    }
}

static void carry_out(sim *s, sim_node *n, sim_batch *b) {
    raft_ready *rd = &b->rd;
    if (b->sync) disk_sync(&n->disk, b->sync_mark);
    for (size_t i = 0; i < rd->n_msgs; i++) send(s, &rd->msgs[i]);
    if (rd->has_snapshot) apply_snapshot(s, n, &rd->snapshot);
    for (size_t i = 0; i < rd->n_committed; i++) {
        const raft_entry *e = &rd->committed[i];
        if (e->index != n->fsm.applied + 1) abort(); /* the core skipped or repeated an entry */
        fsm_apply(&n->fsm, e);
        oracle_applied(&s->oracle, s->now, n->id, e->index, fsm_state_hash(&n->fsm));
        if (s->p.app == SIM_APP_LOCKD) locks_applied(s, e, &n->fsm.last);
        resolve_writes(s, n, e);
    }
    for (size_t i = 0; i < rd->n_reads; i++) answer_read(s, n, rd->reads[i].id, true);
    for (size_t i = 0; i < rd->n_failed_reads; i++) answer_read(s, n, rd->failed_reads[i], false);
    if (b->sync) raft_persisted(n->raft, rd->seq);
}

static void enqueue(sim *s, sim_node *n) {
    if (n->n_batches == n->cap_batches) {
        n->cap_batches = n->cap_batches ? n->cap_batches * 2 : 16;
        n->batches = raft_xrealloc(n->batches, n->cap_batches * sizeof *n->batches);
    }
    sim_batch *b = &n->batches[n->n_batches++];
    raft_ready_take(n->raft, &b->rd);
    disk_write_ready(&n->disk, &b->rd);
    b->sync = b->rd.must_sync;
    b->sync_mark = n->disk.issued;
    /* fsyncs complete in the order they were issued */
    uint64_t spread = s->p.fsync_delay_max - s->p.fsync_delay_min;
    uint64_t due = s->now + s->p.fsync_delay_min + raft_rng_below(&s->rng, spread + 1);
    uint64_t prev_due = n->n_batches > 1 ? n->batches[n->n_batches - 2].due : 0;
    b->due = due > prev_due ? due : prev_due;
    observe(s, n, &b->rd);
}

void sim_node_pump(sim *s, sim_node *n) {
    for (int rounds = 0; n->up; rounds++) {
        if (rounds > 100000) abort(); /* a core that never stops producing batches */
        while (raft_has_ready(n->raft)) enqueue(s, n);
        if (n->n_batches == 0) return;
        sim_batch *head = &n->batches[0];
        if (head->sync && head->due > s->now) return;
        sim_batch b = *head;
        memmove(n->batches, n->batches + 1, (n->n_batches - 1) * sizeof *n->batches);
        n->n_batches--;
        carry_out(s, n, &b);
        raft_ready_free(&b.rd);
    }
}

/* ---- start and stop ---- */

static uint64_t node_seed(const sim *s, const sim_node *n) {
    raft_rng r;
    raft_rng_seed(&r, s->seed ^ ((uint64_t)n->id << 48) ^ ((uint64_t)n->incarnation << 32));
    return raft_rng_next(&r);
}

void sim_node_start(sim *s, sim_node *n) {
    char name[16];
    raft_boot b;
    disk_boot(&n->disk, &b);
    raft_config cfg = {
        .id = n->id, .nodes = s->p.nodes, .election_ticks = s->p.election_ticks,
        .heartbeat_ticks = s->p.heartbeat_ticks, .max_append_entries = s->p.max_append_entries,
        .seed = node_seed(s, n), .bugs = s->p.bugs,
        .lease_ms = (int64_t)s->p.election_ticks * SIM_TICK_MS / 2,
    };
    char err[256];
    n->raft = raft_new(&cfg, &b, err, sizeof err);
    if (!n->raft) {
        fprintf(stderr, "raft-sim: seed %llu: n%d cannot start from its disk: %s\n",
                (unsigned long long)s->seed, n->id + 1, err);
        abort();
    }
    fsm_init(&n->fsm, s->p.app == SIM_APP_LOCKD);
    if (b.snapshot.index > 0 && fsm_restore(&n->fsm, b.snapshot.data, b.snapshot.len) != 0) abort();
    mirror_reset(&n->mirror, b.snapshot.index, b.snapshot.term, n->fsm.digest);
    mirror_write(s, n, b.entries, b.n_entries);
    n->commit_seen = b.snapshot.index;
    n->up = true;
    n->incarnation++;
    SIM_TRACE(s, "start", n->id, n->incarnation, b.hs.term, b.snapshot.index, b.n_entries,
              "n%d starts (term %llu, vote %s, snapshot %llu, %zu entries)", n->id + 1,
              (unsigned long long)b.hs.term, sim_node_name(b.hs.vote, name),
              (unsigned long long)b.snapshot.index, b.n_entries);
}

void sim_node_stop(sim *s, sim_node *n, size_t keep_writes) {
    assert(n->up);
    raft_free(n->raft);
    n->raft = NULL;
    for (size_t i = 0; i < n->n_batches; i++) raft_ready_free(&n->batches[i].rd);
    n->n_batches = 0;
    size_t pending = n->disk.n_pending;
    disk_crash(&n->disk, keep_writes);
    fsm_free(&n->fsm);
    n->n_writes = 0; /* their outcome is unknown (the client saw a timeout) */
    n->n_reads = 0;
    n->up = false;
    SIM_TRACE(s, "crash", n->id, pending, keep_writes < pending ? keep_writes : pending, 0, 0,
              "n%d crashes (%zu unsynced writes, %zu survive)", n->id + 1, pending,
              keep_writes < pending ? keep_writes : pending);
}
