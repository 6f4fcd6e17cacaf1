/* fl-orders: the orders service of the payments target (saga.h, server.h); --bug turns
 * on a seeded bug. Exit codes: 0 after SIGTERM/SIGINT, 64 for bad flags, 1 when it cannot
 * start (data dir, address in use, corrupt journal) or cannot go on (a state change it
 * cannot make durable). */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "options.h"
#include "pidfile.h"
#include "server.h"

int main(int argc, char **argv) {
    static or_options o; /* static: the peer table is large */
    char err[512];
    or_options_status st = or_options_parse(argc, argv, &o, err, sizeof err);
    if (st != OR_OPTIONS_OK) {
        if (st == OR_OPTIONS_BAD) fprintf(stderr, "fl-orders: %s\n%s", err, or_usage);
        else fputs(or_usage, stdout);
        return st == OR_OPTIONS_BAD ? 64 : 0;
    }
    fl_log_init("fl-orders", o.id);
    signal(SIGPIPE, SIG_IGN);
    fl_log("starting: data dir %s, mode %s", o.data_dir, or_bug_name(o.bug));
    int rc = or_serve(&o);
    if (o.pidfile) fl_pidfile_remove(o.pidfile);
    fl_log("exiting with status %d", rc);
    return rc;
}
