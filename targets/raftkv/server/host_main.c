/* A Raft host daemon's main (see server.h): its flags, start, serve until SIGTERM/SIGINT.
 * Exit codes: 0 after SIGTERM/SIGINT, 64 for bad flags, 1 when it cannot start (data dir,
 * address in use, corruption) or cannot go on (a write it cannot make durable). */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "options.h"
#include "pidfile.h"
#include "server.h"

int rkv_host_main(int argc, char **argv, const rkv_app *app) {
    static rkv_options o; /* static: the peer table is large */
    static rkv_server s;
    char err[768];
    switch (rkv_options_parse_app(argc, argv, app->bugs, &o, err, sizeof err)) {
    case RKV_OPTIONS_HELP: fputs(app->usage, stdout); return 0;
    case RKV_OPTIONS_BAD: fprintf(stderr, "%s: %s\n%s", app->name, err, app->usage); return 64;
    case RKV_OPTIONS_OK: break;
    }
    fl_log_init(app->name, o.id);
    signal(SIGPIPE, SIG_IGN);
    char bugs[96];
    fl_log("starting: data dir %s, %zu peers, bugs: %s", o.data_dir, o.peer_count,
           rkv_options_bugs(&o, bugs, sizeof bugs));
    int rc = 0;
    if (rkv_server_open(&s, app, &o, err, sizeof err) != 0) {
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
