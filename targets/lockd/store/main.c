/* fl-fencestore: lockd's guarded resource, a durable register per resource name that
 * rejects an access whose fencing token is below the highest it accepted (server.h,
 * table.h); --bug turns on a seeded bug. Exit codes: 0 after SIGTERM/SIGINT, 64 for bad
 * flags, 1 when it cannot start (data dir, address in use, corrupt journal) or cannot go
 * on (a decision it cannot make durable). */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "options.h"
#include "pidfile.h"
#include "server.h"

/* Opens the store and serves until a signal: the exit status. */
static int serve(const fs_options *o) {
    static fs_server s; /* static: large */
    char err[512];
    int rc = fs_server_open(&s, o, err, sizeof err);
    if (rc != 0) fl_log("cannot start: %s", err);
    else rc = fs_server_run(&s);
    fs_server_close(&s);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    static fs_options o; /* static: the peer table is large */
    char err[512];
    fs_options_status st = fs_options_parse(argc, argv, &o, err, sizeof err);
    if (st != FS_OPTIONS_OK) {
        if (st == FS_OPTIONS_BAD) fprintf(stderr, "fl-fencestore: %s\n%s", err, fs_usage);
        else fputs(fs_usage, stdout);
        return st == FS_OPTIONS_BAD ? 64 : 0;
    }
    fl_log_init("fl-fencestore", o.id);
    signal(SIGPIPE, SIG_IGN);
    fl_log("starting: data dir %s, mode %s", o.data_dir, fs_mode_name(o.mode));
    int rc = serve(&o);
    if (o.pidfile) fl_pidfile_remove(o.pidfile); /* only if it holds our pid */
    fl_log("exiting with status %d", rc);
    return rc;
}
