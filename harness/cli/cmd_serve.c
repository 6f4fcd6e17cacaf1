/* `faultline serve`: the flags; the server itself is reports/store/serve.c. */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "exit_codes.h"
#include "serve.h"

static const char usage[] =
    "usage: faultline serve [--store DIR] [--bind HOST:PORT] [--allow-remote]\n"
    "Serves the run store read-only over HTTP: / lists every run (store/index.html, rebuilt\n"
    "on each visit), and each run's report, history, results and node logs.\n"
    "  --store DIR        the store (default ./store, as for `faultline test`)\n"
    "  --bind HOST:PORT   where to listen (default 127.0.0.1:8080; [::1]:PORT for IPv6;\n"
    "                     port 0 picks a free one; the URL is printed on start)\n"
    "  --allow-remote     allow a non-loopback address: the server has no authentication\n"
    "Ctrl-C or SIGTERM stops it.\n";

int fl_cmd_serve(int argc, char **argv) {
    enum { O_STORE = 1, O_BIND, O_REMOTE, O_HELP };
    static const struct option options[] = {{"store", required_argument, NULL, O_STORE},
                                            {"bind", required_argument, NULL, O_BIND},
                                            {"allow-remote", no_argument, NULL, O_REMOTE},
                                            {"help", no_argument, NULL, O_HELP},
                                            {NULL, 0, NULL, 0}};
    fl_serve_options o = {.store = "store", .bind = "127.0.0.1:8080", .allow_remote = false};
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case O_STORE: o.store = optarg; break;
        case O_BIND: o.bind = optarg; break;
        case O_REMOTE: o.allow_remote = true; break;
        case O_HELP: return fputs(usage, stdout) < 0;
        default: return fputs(usage, stderr), FL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "faultline serve: unexpected argument '%s'\n%s", argv[optind], usage);
        return FL_EXIT_USAGE;
    }
    char err[1024];
    int rc = fl_serve_run(&o, err, sizeof err);
    if (rc != 0) fprintf(stderr, "faultline serve: %s\n", err);
    return rc;
}
