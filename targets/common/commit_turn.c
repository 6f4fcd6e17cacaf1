/* A loop turn's group commit (see commit_turn.h). */
#include "commit_turn.h"

#include <assert.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

void fl_commit_turn_init(fl_commit_turn *t, size_t max) {
    *t = (fl_commit_turn){.max = max, .turn = 1};
    t->listed = calloc(max ? max : 1, sizeof *t->listed);
    if (!t->listed) abort();
}

void fl_commit_turn_free(fl_commit_turn *t) {
    free(t->listed);
    t->listed = NULL;
}

void fl_commit_turn_commit(fl_commit_turn *t, fl_applog *log, fl_srv *srv,
                           fl_commit_release_fn *release, void *arg) {
    char err[512];
    if (fl_applog_pending(log) && fl_applog_commit(log, err, sizeof err) != 0) {
        fl_log("cannot make decisions durable: %s; exiting without acknowledging them", err);
        _exit(1); /* like a crash: nothing of the batch was acknowledged */
    }
    for (size_t i = 0; i < t->count; i++) {
        fl_srv_conn *c = fl_srv_lookup(srv, t->listed[i]);
        if (c && !c->doomed) release(arg, c); /* else the client left: nobody to tell */
    }
    t->count = 0;
    t->turn++;
}

void fl_commit_turn_list(fl_commit_turn *t, fl_srv_conn *c, uint64_t *listed_turn,
                         fl_applog *log, fl_srv *srv, fl_commit_release_fn *release,
                         void *arg) {
    if (*listed_turn == t->turn) return;
    if (t->count == t->max) fl_commit_turn_commit(t, log, srv, release, arg);
    assert(t->count < t->max);
    t->listed[t->count++] = fl_srv_ref_of(c);
    *listed_turn = t->turn;
}
