/* Client requests, the host's part: ping and status are answered at once, on any node;
 * the app's ops (server.h) become proposals (rkv_propose: raft_propose, answered when the
 * entry at their ticket's index applies) or reads (rkv_read_start: ReadIndex, answered
 * from the app's state when the core reports them ready).
 *
 * Outcomes (README.md): the entry applied at the ticket's index has the ticket's term:
 * ours, and the app's result is the reply (ok with its value, or a definite failure such
 * as fl-raftkv's cas-mismatch / not-a-list: the entry took effect as a no-op). Another term's entry there: ours can never commit (fail
 * lost-leadership). A leader that lost its leadership keeps waiting: its entry may still
 * commit under the next leader. A snapshot from the leader that covers the index hides
 * the entry's fate: info. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"

void rkv_client_init(rkv_server *s) {
    s->writes = calloc(RKV_WRITES_MAX, sizeof *s->writes);
    s->reads = calloc(RKV_READ_SLOTS, sizeof *s->reads);
    if (!s->writes || !s->reads) abort();
}

void rkv_client_free(rkv_server *s) {
    for (size_t i = s->writes_head; s->writes && i < s->n_writes; i++) json_decref(s->writes[i].id);
    for (size_t i = 0; s->reads && i < RKV_READ_SLOTS; i++) {
        json_decref(s->reads[i].id);
        free(s->reads[i].ckey);
    }
    free(s->writes);
    free(s->reads);
    s->writes = NULL;
    s->reads = NULL;
}

/* ---- replies ---- */

void rkv_reply_ok(rkv_server *s, rkv_conn_ref to, const json_t *id, const json_t *value) {
    rkv_conn *c = fl_srv_lookup(&s->srv, to);
    if (!c || c->doomed) return; /* the client left: nobody to tell */
    if (fl_reply_ok(&c->io.out, id, value, NULL) != 0)
        fl_srv_doom(&s->srv, c, "send queue full: the client stopped reading");
    else fl_srv_touch(&s->srv, c);
}

static void reply_error_leader(rkv_server *s, rkv_conn_ref to, const json_t *id,
                               const char *type, const char *error, const char *detail,
                               const char *leader) {
    rkv_conn *c = fl_srv_lookup(&s->srv, to);
    if (!c || c->doomed) return;
    if (fl_reply_error(&c->io.out, id, type, error, detail, leader) != 0)
        fl_srv_doom(&s->srv, c, "send queue full: the client stopped reading");
    else fl_srv_touch(&s->srv, c);
}

void rkv_reply_error(rkv_server *s, rkv_conn_ref to, const json_t *id, const char *type,
                     const char *error, const char *detail) {
    reply_error_leader(s, to, id, type, error, detail, NULL);
}

void rkv_reply_not_leader(rkv_server *s, rkv_conn_ref to, const json_t *id) {
    reply_error_leader(s, to, id, "fail", "not-leader", NULL, rkv_leader_name(s));
}

static void reply_status(rkv_server *s, rkv_conn *c, const json_t *id) {
    raft_status st;
    raft_status_get(s->raft, &st);
    const char *leader = rkv_leader_name(s);
    json_t *v = json_pack("{s:s, s:s, s:I, s:o, s:I, s:I}", "node", s->opt->id, "role",
                          raft_role_name(st.role), "term", (json_int_t)st.term, "leader",
                          leader ? json_string(leader) : json_null(), "commit",
                          (json_int_t)st.commit, "applied", (json_int_t)s->applied);
    if (!v) abort();
    rkv_reply_ok(s, fl_srv_ref_of(c), id, v);
    json_decref(v);
}

static void reply_ping(rkv_server *s, rkv_conn *c, const json_t *id) {
    if (fl_reply_ok(&c->io.out, id, NULL, s->opt->id) != 0)
        fl_srv_doom(&s->srv, c, "send queue full: the client stopped reading");
    else fl_srv_touch(&s->srv, c);
}

/* ---- writes: proposals waiting for their index ---- */

static void writes_insert(rkv_server *s, const rkv_write *w) {
    if (s->n_writes == RKV_WRITES_MAX) { /* room was checked: reclaim the front */
        assert(s->writes_head > 0);
        memmove(s->writes, s->writes + s->writes_head,
                (s->n_writes - s->writes_head) * sizeof *s->writes);
        s->n_writes -= s->writes_head;
        s->writes_head = 0;
    }
    size_t i = s->n_writes; /* almost always the end: indices grow */
    while (i > s->writes_head && s->writes[i - 1].index > w->index) i--;
    memmove(s->writes + i + 1, s->writes + i, (s->n_writes - i) * sizeof *s->writes);
    s->writes[i] = *w;
    s->n_writes++;
}

int rkv_propose_raw(rkv_server *s, const char *cmd, size_t len, raft_ticket *t) {
    return !cmd ? RAFT_EINVAL : len > RAFT_ENTRY_BYTES_MAX ? RAFT_EINVAL
                                                          : raft_propose(s->raft, cmd, len, t);
}

void rkv_reply_propose_error(rkv_server *s, rkv_conn_ref to, const json_t *id, int rc, size_t len) {
    char detail[96];
    switch (rc) {
    case RAFT_OK: return;
    case RAFT_ENOTLEADER: rkv_reply_not_leader(s, to, id); return;
    case RAFT_EBUSY:
        rkv_reply_error(s, to, id, "fail", "overloaded", "too many uncommitted entries");
        return;
    default:
        snprintf(detail, sizeof detail, "the command is %zu bytes as JSON; at most %u",
                 len, RAFT_ENTRY_BYTES_MAX);
        rkv_reply_error(s, to, id, "fail", "malformed", detail);
        return;
    }
}

void rkv_propose(rkv_server *s, rkv_conn *c, const json_t *id, const char *cmd, size_t len) {
    rkv_conn_ref to = fl_srv_ref_of(c);
    if (s->n_writes - s->writes_head >= RKV_WRITES_MAX) {
        rkv_reply_error(s, to, id, "fail", "overloaded", "too many writes waiting to apply");
        return;
    }
    raft_ticket t;
    int rc = rkv_propose_raw(s, cmd, len, &t);
    if (rc != RAFT_OK) {
        rkv_reply_propose_error(s, to, id, rc, len);
        return;
    }
    rkv_write w = {t.index, t.term, to, id ? json_incref((json_t *)id) : NULL};
    writes_insert(s, &w);
}

static void write_done(rkv_server *s, rkv_write *w, const char *type, const char *error,
                       const char *detail, const json_t *value) {
    if (!error) rkv_reply_ok(s, w->client, w->id, value);
    else rkv_reply_error(s, w->client, w->id, type, error, detail);
    json_decref(w->id);
    w->id = NULL;
    if (++s->writes_head == s->n_writes) s->writes_head = s->n_writes = 0;
}

void rkv_writes_applied(rkv_server *s, const raft_entry *e, const rkv_applied *r) {
    while (s->writes_head < s->n_writes && s->writes[s->writes_head].index <= e->index) {
        rkv_write *w = &s->writes[s->writes_head];
        if (w->index < e->index) /* (only a snapshot skips indices: see writes_skipped) */
            write_done(s, w, "info", "unknown", "its index was never applied here", NULL);
        else if (w->term != e->term)
            write_done(s, w, "fail", "lost-leadership",
                       "another leader's entry took its place in the log", NULL);
        else
            write_done(s, w, "fail", r->error, r->detail, r->value);
    }
}

void rkv_writes_skipped(rkv_server *s, uint64_t index) {
    while (s->writes_head < s->n_writes && s->writes[s->writes_head].index <= index)
        write_done(s, &s->writes[s->writes_head], "info", "unknown",
                   "a snapshot from the leader covered its index: its fate is unknown here",
                   NULL);
}

/* ---- reads ---- */

void rkv_read_start(rkv_server *s, rkv_conn *c, const json_t *id, const char *ckey) {
    rkv_conn_ref to = fl_srv_ref_of(c);
    uint64_t rid = ++s->read_seq;
    rkv_read *slot = &s->reads[rid % RKV_READ_SLOTS];
    int rc = slot->rid ? RAFT_EBUSY : raft_read_index(s->raft, rid);
    if (rc == RAFT_ENOTLEADER) {
        rkv_reply_not_leader(s, to, id);
        return;
    }
    if (rc != RAFT_OK) {
        rkv_reply_error(s, to, id, "fail", "overloaded", "too many reads waiting");
        return;
    }
    *slot = (rkv_read){rid, to, id ? json_incref((json_t *)id) : NULL, strdup(ckey)};
    if (!slot->ckey) abort();
}

void rkv_read_done(rkv_server *s, uint64_t rid, bool ok) {
    rkv_read *slot = &s->reads[rid % RKV_READ_SLOTS];
    if (slot->rid != rid) return; /* not ours: cannot happen, but never answer twice */
    if (ok) {
        const json_t *v = s->app->get(s->sm, slot->ckey);
        rkv_reply_ok(s, slot->client, slot->id, v ? v : json_null());
    } else {
        rkv_reply_not_leader(s, slot->client, slot->id);
    }
    json_decref(slot->id);
    free(slot->ckey);
    *slot = (rkv_read){0};
}

void rkv_client_request(rkv_server *s, rkv_conn *c, const rkv_line *l) {
    if (!l->host) s->app->request(s, c, l);
    else if (l->f == RKV_F_PING) reply_ping(s, c, l->id);
    else reply_status(s, c, l->id);
}
