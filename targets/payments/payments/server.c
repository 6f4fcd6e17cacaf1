/* fl-payments' loop turns (see server.h): lines into reply slots and service slots, the
 * timer that ends services, and the before-sleep commit that releases the replies. */
#include "server.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "pidfile.h"
#include "wire.h"

static void die_undurable(const char *err) {
    fl_log("cannot make ledger entries durable: %s; exiting without acknowledging them", err);
    _exit(1); /* like a crash: nothing of the batch was acknowledged */
}

/* ---- replies, in order, after the commit ---- */

static void on_conn_opened(void *owner, fl_srv_conn *base) {
    (void)owner;
    pay_replies_init(&((pay_conn *)base)->replies);
}

static void on_conn_freeing(void *owner, fl_srv_conn *base) {
    (void)owner;
    pay_replies_free(&((pay_conn *)base)->replies);
}

/* After the commit: c's answered replies at the front to its output. */
static void release_listed(void *arg, fl_srv_conn *base) {
    pay_server *s = arg;
    pay_conn *c = (pay_conn *)base;
    if (pay_replies_release(&c->replies, &c->base.io.out) != 0)
        fl_srv_doom(&s->srv, &c->base, "send queue full: the client stopped reading");
    else fl_srv_touch(&s->srv, &c->base);
}

/* The group commit, then the replies that waited for it. */
static void commit(pay_server *s) {
    fl_commit_turn_commit(&s->commits, &s->journal, &s->srv, release_listed, s);
}

static bool before_sleep(fl_loop *l, void *arg) {
    (void)l;
    pay_server *s = arg;
    commit(s);
    pay_reqlog_flush(&s->reqlog);
    fl_srv_flush_touched(&s->srv);
    return false;
}

/* The line in s->answer fills c's reply slot; c is listed for the release. */
static void answer_slot(pay_server *s, pay_conn *c, uint64_t slot) {
    pay_replies_answer(&c->replies, slot, fl_buf_bytes(&s->answer), fl_buf_len(&s->answer));
    fl_buf_clear(&s->answer);
    if (c->replies.bytes > PAY_OUT_BYTES_MAX)
        fl_srv_doom(&s->srv, &c->base, "too many replies waiting: the client stopped reading");
    fl_commit_turn_list(&s->commits, &c->base, &c->listed_turn, &s->journal, &s->srv,
                        release_listed, s);
}

/* rc: whether the reply was made into s->answer. The slot is answered, or c doomed. */
static void answered(pay_server *s, pay_conn *c, uint64_t slot, int rc) {
    if (rc == 0) answer_slot(s, c, slot);
    else fl_srv_doom(&s->srv, &c->base, "a reply too large to send");
    fl_buf_clear(&s->answer);
}

/* ---- the service ---- */

static void free_job(pay_job *job) {
    pay_request_release(&job->m);
    free(job);
}

/* The ledger's decision on a job whose service ended: journaled, answered, logged. */
static void decide(pay_server *s, pay_job *job) {
    const pay_entry *e;
    pay_outcome o = pay_ledger_apply(&s->ledger, &job->m.op, &e);
    s->counts.served++;
    if (o == PAY_REPEAT) s->counts.repeats++;
    if (o == PAY_APPLIED && pay_journal_append(&s->journal, &s->ledger, e) != 0) {
        char err[512]; /* the batch is full: commit it now (its replies stay held) */
        if (fl_applog_commit(&s->journal, err, sizeof err) != 0) die_undurable(err);
        if (pay_journal_append(&s->journal, &s->ledger, e) != 0) die_undurable("a record too large");
    }
    pay_conn *c = (pay_conn *)fl_srv_lookup(&s->srv, job->conn);
    if (c) answered(s, c, job->slot, pay_reply_outcome(&s->answer, job->m.id, &s->ledger, o, e));
    pay_reqlog_add(&s->reqlog, &job->m, job->arrived_ns, pay_outcome_name(o));
    free_job(job);
}

static void arm_service_end(pay_server *s) {
    int64_t deadline = pay_capacity_next_deadline(&s->cap);
    if (deadline < 0) fl_timer_disarm(s->srv.loop, &s->service_end);
    else if (fl_timer_arm(s->srv.loop, &s->service_end, deadline) != 0)
        abort(); /* one timer of the loop's few: never full */
}

static void on_service_end(fl_loop *l, fl_timer *t) {
    (void)l;
    pay_server *s = t->arg;
    int64_t now = fl_mono_ms();
    pay_job *job;
    while ((job = pay_capacity_finish(&s->cap, now))) decide(s, job);
    arm_service_end(s);
}

/* A charge or refund: into service, into the queue, or shed. */
static void offer(pay_server *s, pay_conn *c, pay_job *job) {
    switch (pay_capacity_offer(&s->cap, job, fl_mono_ms())) {
    case PAY_ADMIT_SERVE:
        if (pay_capacity_in_service(&s->cap) == 1) arm_service_end(s); /* else armed */
        return;
    case PAY_ADMIT_QUEUE: return;
    case PAY_ADMIT_SHED: break;
    }
    char detail[128];
    snprintf(detail, sizeof detail, "%zu in service and %zu waiting: shed",
             pay_capacity_in_service(&s->cap), pay_capacity_queued(&s->cap));
    s->counts.shed++;
    answered(s, c, job->slot,
             fl_reply_error(&s->answer, job->m.id, "fail", "overloaded", detail, NULL));
    pay_reqlog_add(&s->reqlog, &job->m, job->arrived_ns, "overloaded");
    free_job(job);
}

/* ---- answers at once ---- */

static json_t *status_json(const pay_server *s) {
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "node",
                     s->opt->id, "capacity", (json_int_t)s->opt->capacity, "service_ms",
                     (json_int_t)s->opt->service_ms, "queue", (json_int_t)s->opt->queue,
                     "in_service", (json_int_t)pay_capacity_in_service(&s->cap), "queued",
                     (json_int_t)pay_capacity_queued(&s->cap), "served",
                     (json_int_t)s->counts.served, "shed", (json_int_t)s->counts.shed,
                     "repeats", (json_int_t)s->counts.repeats, "entries",
                     (json_int_t)s->ledger.count, "accounts",
                     (json_int_t)s->ledger.account_count, "malformed",
                     (json_int_t)s->counts.malformed);
}

/* A ping, status or ledger read, or a refusal, into s->answer: 0 or -1. */
static int answer_now(pay_server *s, const pay_request *m) {
    if (m->status != PAY_PARSE_OK) return pay_reply_refusal(&s->answer, m);
    json_t *v = NULL;
    switch (m->f) {
    case PAY_F_PING: return fl_reply_ok(&s->answer, m->id, NULL, s->opt->id);
    case PAY_F_STATUS: v = status_json(s); break;
    case PAY_F_LEDGER: v = pay_ledger_json(&s->ledger); break;
    case PAY_F_CHARGE:
    case PAY_F_REFUND: assert(!"served, not answered at once"); return -1;
    }
    int rc = v ? fl_reply_ok(&s->answer, m->id, v, m->f == PAY_F_STATUS ? s->opt->id : NULL)
               : -1;
    json_decref(v);
    return rc;
}

/* A request line: a reply slot, then an answer at once or a place in the service. */
static void on_line(void *owner, fl_srv_conn *base, char *line, size_t len) {
    pay_server *s = owner;
    pay_conn *c = (pay_conn *)base;
    pay_job *job = calloc(1, sizeof *job);
    if (!job) abort();
    *job = (pay_job){.conn = fl_srv_ref_of(base), .arrived_ns = pay_mono_ns()};
    if (pay_replies_open(&c->replies, &job->slot) != 0) {
        fl_srv_doom(&s->srv, base, "too many requests waiting for their replies");
        free(job);
        return;
    }
    pay_request *m = &job->m;
    bool ok = pay_request_parse(line, len, m) == PAY_PARSE_OK;
    if (ok && m->money) {
        offer(s, c, job); /* the job is the capacity's now, or answered and freed */
        return;
    }
    if (!ok) s->counts.malformed++;
    answered(s, c, job->slot, answer_now(s, m));
    if (!ok && m->money) pay_reqlog_add(&s->reqlog, m, job->arrived_ns, "malformed");
    free_job(job);
}

/* No peer is dialled and none says hello (a line that does is a malformed request). */
static const fl_srv_ops srv_ops = {
    .line = on_line, .hello = NULL,
    .conn_opened = on_conn_opened, .conn_freeing = on_conn_freeing,
    .conn_bytes = sizeof(pay_conn), .line_bytes_max = PAY_LINE_BYTES_MAX,
    .out_bytes_max = PAY_OUT_BYTES_MAX, .fds_max = PAY_FDS_MAX,
    .user_timeout_ms = PAY_USER_TIMEOUT_MS,
};

int pay_server_open(pay_server *s, const pay_options *o, char *err, size_t err_bytes) {
    *s = (pay_server){.opt = o};
    pay_ledger_init(&s->ledger, o->initial_balance);
    pay_capacity_init(&s->cap, o->capacity, o->queue, o->service_ms);
    fl_buf_init(&s->answer, PAY_OUT_BYTES_MAX);
    fl_timer_init(&s->service_end, on_service_end, s);
    fl_srv_init(&s->srv, &srv_ops, s, o->peers, o->peer_count, o->self);
    fl_commit_turn_init(&s->commits, s->srv.conns_max);
    if (fl_srv_loop_open(&s->srv, 8, err, err_bytes) != 0) return -1;
    s->journal_open = true; /* pay_journal_open sets every field before anything can fail */
    if (pay_journal_open(&s->journal, o->data_dir, &s->ledger, err, err_bytes) != 0) return -1;
    s->reqlog_open = true; /* likewise */
    if (pay_reqlog_open(&s->reqlog, o->request_log, err, err_bytes) != 0) return -1;
    if (fl_srv_listen(&s->srv, &o->listen, o->listen_text, err, err_bytes) != 0) return -1;
    if (o->pidfile && fl_pidfile_write(o->pidfile, err, err_bytes) != 0) return -1;
    fl_log("listening on %s as %s (%zu peers, not contacted): capacity %zu, service %lld ms, "
           "queue %zu, initial balance %lld, request log %s", o->listen_text, o->id,
           o->peer_count, o->capacity, (long long)o->service_ms, o->queue,
           (long long)o->initial_balance, o->request_log);
    fl_loop_set_hook(s->srv.loop, before_sleep, s);
    return 0;
}

int pay_server_run(pay_server *s) { return fl_srv_run(&s->srv); }

void pay_server_close(pay_server *s) {
    s->srv.stopping = true;
    pay_job *job;
    while ((job = pay_capacity_drop(&s->cap))) free_job(job); /* never answered: never done */
    if (s->srv.loop) fl_timer_disarm(s->srv.loop, &s->service_end);
    fl_srv_close_all(&s->srv);
    if (s->journal_open) fl_applog_close(&s->journal);
    if (s->reqlog_open) pay_reqlog_close(&s->reqlog);
    pay_ledger_free(&s->ledger);
    pay_capacity_free(&s->cap);
    fl_buf_free(&s->answer);
    fl_commit_turn_free(&s->commits);
    fl_srv_free(&s->srv);
}
