/* A small JSON-lines client for the target tests: sends lines to a server and prints its
 * reply lines, so a shell script can check them.
 *   qkv_client [--timeout-ms T] [--wait-ms W] [--pipeline] HOST:PORT LINE...
 *     One connection (retried for up to W ms while refused: a daemon coming up). Default:
 *     each line is sent after the previous one's reply; --pipeline sends them all at once.
 *     Prints one reply line per line sent, in arrival order. Exit 0 when all came, 2 when
 *     the timeout (per reply, default 5000 ms) passed or the server closed, 64 for usage.
 *     A LINE written @FILE is the contents of FILE (a line too long for the command line).
 *   qkv_client free-ports N
 *     Prints N TCP ports free on 127.0.0.1, below the ephemeral range (so no outgoing
 *     connection takes one meanwhile), starting from a place derived from the pid. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line_client.h"

const char *lc_prog = "qkv_client";

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "free-ports")) return lc_free_ports(atoi(argv[2]));
    lc_flags f;
    int i = lc_parse_flags(argc, argv, 1, &f, 0);
    struct sockaddr_in a;
    if (i >= argc || lc_parse_addr(argv[i], &a) != 0) {
        fputs("usage: qkv_client [--timeout-ms T] [--wait-ms W] [--pipeline] HOST:PORT LINE...\n"
              "       qkv_client free-ports N\n", stderr);
        return 64;
    }
    return lc_requests(argc, argv, i, f.timeout_ms, f.wait_ms, f.pipeline);
}
