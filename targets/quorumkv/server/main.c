/* fl-quorumkv: a replicated register store, the first in-tree system under test. Each
 * node is a replica and a coordinator for the clients connected to it; correct mode is
 * multi-writer ABD (linearizable), and --bug turns on a seeded bug (coordinator.c).
 * Exit codes: 0 after SIGTERM/SIGINT, 64 for bad flags, 1 when it cannot start (data dir,
 * address in use, …) or cannot go on (a put it cannot make durable). */
#include <signal.h>
#include <stdio.h>

#include "log.h"
#include "options.h"
#include "pidfile.h"
#include "server.h"

int main(int argc, char **argv) {
    static qkv_options o; /* static: the peer table is large */
    static qkv_server s;
    char err[512];
    switch (qkv_options_parse(argc, argv, &o, err, sizeof err)) {
    case QKV_OPTIONS_HELP: fputs(qkv_usage, stdout); return 0;
    case QKV_OPTIONS_BAD: fprintf(stderr, "fl-quorumkv: %s\n%s", err, qkv_usage); return 64;
    case QKV_OPTIONS_OK: break;
    }
    fl_log_init("fl-quorumkv", o.id);
    signal(SIGPIPE, SIG_IGN);
    char bugs[96];
    fl_log("starting: data dir %s, %zu peers, bugs: %s", o.data_dir, o.peer_count,
           qkv_options_bugs(&o, bugs, sizeof bugs));
    int rc = 0;
    if (qkv_server_open(&s, &o, err, sizeof err) != 0) {
        fl_log("cannot start: %s", err);
        rc = 1;
    } else {
        rc = qkv_server_run(&s);
    }
    qkv_server_close(&s);
    if (o.pidfile) fl_pidfile_remove(o.pidfile); /* only if it holds our pid */
    fl_log("exiting with status %d", rc);
    return rc;
}
