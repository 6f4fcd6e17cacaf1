/* fl-raftkv: a Raft-replicated key-value store, the second in-tree system under test. The
 * protocol is the Raft core's (../core, a pure state machine); this daemon hosts it: the
 * event loop, the peers' connections, the durable log and the key-value state machine.
 * Correct mode is linearizable; --bug turns on a seeded bug of the core.
 * Exit codes: 0 after SIGTERM/SIGINT, 64 for bad flags, 1 when it cannot start (data dir,
 * address in use, corruption) or cannot go on (a write it cannot make durable). */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "options.h"
#include "pidfile.h"
#include "server.h"

int main(int argc, char **argv) {
    static rkv_options o; /* static: the peer table is large */
    static rkv_server s;
    char err[768];
    switch (rkv_options_parse(argc, argv, &o, err, sizeof err)) {
    case RKV_OPTIONS_HELP: fputs(rkv_usage, stdout); return 0;
    case RKV_OPTIONS_BAD: fprintf(stderr, "fl-raftkv: %s\n%s", err, rkv_usage); return 64;
    case RKV_OPTIONS_OK: break;
    }
    fl_log_init("fl-raftkv", o.id);
    signal(SIGPIPE, SIG_IGN);
    char bugs[96];
    fl_log("starting: data dir %s, %zu peers, bugs: %s", o.data_dir, o.peer_count,
           rkv_options_bugs(&o, bugs, sizeof bugs));
    int rc = 0;
    if (rkv_server_open(&s, &o, err, sizeof err) != 0) {
        fl_log("cannot start: %s", err);
        rc = 1;
    } else {
        rc = rkv_server_run(&s);
    }
    rkv_server_close(&s);
    if (o.pidfile) fl_pidfile_remove(o.pidfile); /* only if it holds our pid */
    fl_log("exiting with status %d", rc);
    return rc;
}
