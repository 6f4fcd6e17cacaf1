/* fl-payments: the payments target's processor, charges and refunds on a durable ledger
 * under idempotency keys, served at a fixed capacity (server.h, ledger.h, capacity.h).
 * Exit codes: 0 after SIGTERM/SIGINT, 64 for bad flags, 1 when it cannot start (data dir,
 * request log, address in use, corrupt journal) or cannot go on (an entry it cannot make
 * durable). */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "options.h"
#include "pidfile.h"
#include "server.h"

/* Opens the processor and serves until a signal: the exit status. */
static int serve(const pay_options *o) {
    static pay_server s; /* static: large */
    char err[512];
    int rc = pay_server_open(&s, o, err, sizeof err);
    if (rc != 0) fl_log("cannot start: %s", err);
    else rc = pay_server_run(&s);
    pay_server_close(&s);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    static pay_options o; /* static: the peer table is large */
    char err[512];
    pay_options_status st = pay_options_parse(argc, argv, &o, err, sizeof err);
    if (st != PAY_OPTIONS_OK) {
        if (st == PAY_OPTIONS_BAD) fprintf(stderr, "fl-payments: %s\n%s", err, pay_usage);
        else fputs(pay_usage, stdout);
        return st == PAY_OPTIONS_BAD ? 64 : 0;
    }
    fl_log_init("fl-payments", o.id);
    signal(SIGPIPE, SIG_IGN);
    fl_log("starting: data dir %s", o.data_dir);
    int rc = serve(&o);
    if (o.pidfile) fl_pidfile_remove(o.pidfile); /* only if it holds our pid */
    fl_log("exiting with status %d", rc);
    return rc;
}
