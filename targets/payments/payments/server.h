/* fl-payments' state: one event loop (targets/common srv.h: no peers), the ledger
 * (ledger.h), its journal (journal.h), the service capacity (capacity.h) with the timer
 * that ends each service, every connection's replies in request order (replies.h), and the
 * request log (reqlog.h).
 *
 * A charge or refund takes a reply slot on its connection when its line is read, then a
 * service slot (or a place in the queue, or it is shed at once); when its service ends, on
 * the timer, the ledger decides it and a new entry is queued in the journal. A ping, a
 * status or a ledger read is answered at once. Every answer fills its reply slot; before
 * the loop sleeps, one fdatasync makes the turn's entries durable, and only then do the
 * answered slots at the front of each connection leave, in order. So no reply ever tells
 * of an entry a crash could undo, and a ledger read never shows one. */
#ifndef PAY_SERVER_H
#define PAY_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applog.h"
#include "commit_turn.h"
#include "buf.h"
#include "capacity.h"
#include "ledger.h"
#include "options.h"
#include "replies.h"
#include "reqlog.h"
#include "request.h"
#include "srv.h"

#define PAY_LINE_BYTES_MAX ((size_t)1 << 20)  /* a request line */
#define PAY_OUT_BYTES_MAX ((size_t)64 << 20)  /* unsent (answered + queued) bytes per connection */
#define PAY_FDS_MAX 65536
#define PAY_USER_TIMEOUT_MS 5000

_Static_assert(PAY_PEERS_MAX <= FL_SRV_PEERS_MAX, "the peers fit in fl_srv");

/* A client connection: fl_srv's, and its replies in request order. */
typedef struct pay_conn {
    fl_srv_conn base;     /* first */
    pay_replies replies;
    uint64_t listed_turn; /* the turn it was listed in (commit_turn.h; 0: never) */
} pay_conn;

/* A charge or refund between its line and its outcome (in the capacity queue). */
typedef struct pay_job {
    pay_request m;        /* parsed OK, m.money; owns its JSON */
    fl_srv_ref conn;      /* where the reply goes (gone: the work is still done) */
    uint64_t slot;        /* its reply slot there */
    int64_t arrived_ns;   /* CLOCK_MONOTONIC, when its line was read */
} pay_job;

typedef struct pay_counts {
    uint64_t served, shed, repeats, malformed;
} pay_counts;

typedef struct pay_server {
    const pay_options *opt;
    fl_srv srv;
    pay_ledger ledger;
    fl_applog journal;
    bool journal_open;
    pay_capacity cap;
    fl_timer service_end;   /* armed for the first deadline in service */
    pay_reqlog reqlog;
    bool reqlog_open;
    fl_commit_turn commits; /* the connections answered to this turn */
    fl_buf answer;          /* one reply line being made */
    pay_counts counts;
} pay_server;

int pay_server_open(pay_server *s, const pay_options *o, char *err, size_t err_bytes);
/* Serves until SIGTERM/SIGINT: 0, or 1 when the loop failed. */
int pay_server_run(pay_server *s);
void pay_server_close(pay_server *s);

#endif
