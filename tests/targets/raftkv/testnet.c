/* The unit tests' hand-driven cluster (see testnet.h). */
#include "testnet.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tn_init_boots(tn *t, int n, const raft_config *base, const raft_boot *boots) {
    memset(t, 0, sizeof *t);
    t->n = n;
    t->wall_ms = 1000000;
    for (int i = 0; i < n; i++) {
        raft_config c = *base;
        c.id = i;
        c.nodes = n;
        c.seed = base->seed * 31 + (uint64_t)i + 1;
        raft_boot empty = {{0, RAFT_NONE}, {0, 0, NULL, 0}, NULL, 0};
        char err[128];
        t->r[i] = raft_new(&c, boots ? &boots[i] : &empty, err, sizeof err);
        if (!t->r[i]) fail_msg("testnet: raft_new: %s", err);
        t->rec[i].applied = boots ? boots[i].snapshot.index : 0;
    }
}

void tn_init_cfg(tn *t, int n, const raft_config *base) { tn_init_boots(t, n, base, NULL); }

raft_config tn_config(unsigned bugs) {
    return (raft_config){.election_ticks = 10, .heartbeat_ticks = 3, .max_append_entries = 8,
                         .seed = 7, .bugs = bugs, .lease_ms = 50};
}

void tn_init(tn *t, int n, unsigned bugs) {
    raft_config c = tn_config(bugs);
    tn_init_cfg(t, n, &c);
}

void tn_free(tn *t) {
    for (int i = 0; i < t->n; i++) {
        raft_free(t->r[i]);
        free(t->rec[i].snapshot.data);
    }
    tn_drop(t);
    free(t->q);
}

static void queue(tn *t, raft_msg *m) {
    if (t->cut[m->from][m->to]) {
        raft_msg_free(m);
        return;
    }
    if (t->nq == t->capq) {
        t->capq = t->capq ? t->capq * 2 : 64;
        t->q = raft_xrealloc(t->q, t->capq * sizeof *t->q);
    }
    raft_msg_move(&t->q[t->nq++], m);
}

static void record(tn *t, int i, raft_ready *rd) {
    tn_record *rec = &t->rec[i];
    if (rd->must_sync) rec->sync_batches++; else rec->nosync_batches++;
    if (rd->hs_changed) {
        rec->hs = rd->hs;
        rec->hs_writes++;
        rec->last_hs_synced = rd->must_sync;
    }
    if (rd->n_entries) rec->last_written = rd->entries[rd->n_entries - 1].index;
    if (rd->has_snapshot) {
        rec->snapshots++;
        free(rec->snapshot.data);
        rec->snapshot = rd->snapshot;
        rd->snapshot.data = NULL; /* kept */
        rec->applied = rec->snapshot.index;
        rec->applied_term = rec->snapshot.term;
    }
    for (size_t k = 0; k < rd->n_committed; k++) {
        assert_int_equal(rd->committed[k].index, rec->applied + 1);
        rec->applied = rd->committed[k].index;
        rec->applied_term = rd->committed[k].term;
        if (rd->committed[k].type == RAFT_ENTRY_COMMAND) rec->commands_applied++;
    }
    for (size_t k = 0; k < rd->n_reads && rec->n_reads < TN_MAX; k++) {
        assert_true(rd->reads[k].index <= rec->applied); /* the contract: applied by now */
        rec->read_index[rec->n_reads] = rd->reads[k].index;
        rec->reads[rec->n_reads++] = rd->reads[k].id;
    }
    for (size_t k = 0; k < rd->n_failed_reads && rec->n_failed < TN_MAX; k++)
        rec->failed[rec->n_failed++] = rd->failed_reads[k];
    for (size_t k = 0; k < rd->n_msgs; k++) queue(t, &rd->msgs[k]);
}

void tn_pump(tn *t, int i) {
    for (int rounds = 0; raft_has_ready(t->r[i]); rounds++) {
        assert_true(rounds < 1000);
        raft_ready rd;
        raft_ready_take(t->r[i], &rd);
        record(t, i, &rd);
        if (rd.must_sync && !t->hold_disk[i]) raft_persisted(t->r[i], rd.seq);
        if (rd.must_sync && t->hold_disk[i]) t->rec[i].seq_unpersisted = rd.seq;
        raft_ready_free(&rd);
    }
}

void tn_persist(tn *t, int i) {
    raft_persisted(t->r[i], t->rec[i].seq_unpersisted);
    tn_pump(t, i);
}

static void deliver_at(tn *t, size_t k) {
    raft_msg m = t->q[k];
    memmove(t->q + k, t->q + k + 1, (t->nq - k - 1) * sizeof *t->q);
    t->nq--;
    if (!t->cut[m.from][m.to]) {
        assert_int_equal(raft_receive(t->r[m.to], &m), RAFT_OK);
        tn_pump(t, m.to);
    }
    raft_msg_free(&m);
}

size_t tn_deliver(tn *t) {
    size_t n = 0;
    while (t->nq > 0) {
        assert_true(n < 100000);
        deliver_at(t, 0);
        n++;
    }
    return n;
}

static bool matches(const raft_msg *m, raft_msg_type type, int from, int to) {
    return (type == 0 || m->type == type) && (from < 0 || m->from == from) &&
           (to < 0 || m->to == to);
}

bool tn_deliver_one(tn *t, raft_msg_type type, int from, int to) {
    for (size_t k = 0; k < t->nq; k++) {
        if (!matches(&t->q[k], type, from, to)) continue;
        deliver_at(t, k);
        return true;
    }
    return false;
}

size_t tn_queued(const tn *t, raft_msg_type type, int from, int to) {
    size_t n = 0;
    for (size_t k = 0; k < t->nq; k++) n += matches(&t->q[k], type, from, to);
    return n;
}

void tn_drop(tn *t) {
    for (size_t k = 0; k < t->nq; k++) raft_msg_free(&t->q[k]);
    t->nq = 0;
}

void tn_tick(tn *t, int i, int ticks) {
    for (int k = 0; k < ticks; k++) {
        t->wall_ms += 10;
        raft_tick(t->r[i], t->wall_ms);
        tn_pump(t, i);
    }
}

void tn_campaign(tn *t, int i) {
    assert_int_equal(raft_campaign(t->r[i]), RAFT_OK);
    tn_pump(t, i);
}

raft_status tn_status(const tn *t, int i) {
    raft_status st;
    raft_status_get(t->r[i], &st);
    return st;
}

int tn_leader(const tn *t) {
    int leader = -1;
    uint64_t term = 0;
    for (int i = 0; i < t->n; i++) {
        raft_status st = tn_status(t, i);
        if (st.role != RAFT_LEADER) continue;
        if (leader >= 0 && st.term == term) return -1;
        if (leader < 0 || st.term > term) {
            leader = i;
            term = st.term;
        }
    }
    return leader;
}

int tn_propose(tn *t, int i, const char *text, raft_ticket *ticket) {
    raft_ticket dummy;
    int rc = raft_propose(t->r[i], text, strlen(text), ticket ? ticket : &dummy);
    tn_pump(t, i);
    return rc;
}

void tn_isolate(tn *t, int i, bool cut_off) {
    for (int k = 0; k < t->n; k++) {
        if (k == i) continue;
        t->cut[i][k] = t->cut[k][i] = cut_off;
    }
}
