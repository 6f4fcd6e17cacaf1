/* A small JSON-lines client for the fl-raftkv tests.
 *   rkv_client [--timeout-ms T] [--wait-ms W] [--pipeline] HOST:PORT LINE...
 *     One connection (retried for up to W ms while refused: a daemon coming up). Default:
 *     each line is sent after the previous one's reply; --pipeline sends them all at once.
 *     Prints one reply line per line sent, in arrival order. Exit 0 when all came, 2 when
 *     the timeout (per reply, default 5000 ms) passed or the server closed, 64 for usage.
 *     A LINE written @FILE is the contents of FILE.
 *   rkv_client leader [--timeout-ms T] [--all] HOST:PORT,...
 *     Asks every node for its status (every 50 ms) until one leads a term in which a
 *     majority of the list (itself included) follows it — with --all, every node that
 *     answers too; prints its name and the term. Exit 2 (with the last statuses on
 *     stderr) after T ms (default 5000).
 *   rkv_client free-ports N
 *     Prints N TCP ports free on 127.0.0.1, below the ephemeral range. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "line_client.h"

#define NODES_MAX 15

const char *lc_prog = "rkv_client";

/* One status request to addr: the reply's value object (a new reference), or NULL. */
static json_t *status_of(const char *addr, char *raw, size_t raw_bytes) {
    struct sockaddr_in a;
    snprintf(raw, raw_bytes, "(no answer)");
    if (lc_parse_addr(addr, &a) != 0) return NULL;
    int fd = lc_connect_retrying(&a, 0, 1);
    if (fd < 0) return NULL;
    json_t *v = NULL;
    if (lc_send_line(fd, "{\"id\":0,\"f\":\"status\"}") == 0 && lc_read_replies(fd, 1, 300, raw, raw_bytes) == 0) {
        json_t *reply = json_loads(raw, 0, NULL);
        v = json_incref(json_object_get(reply, "value"));
        json_decref(reply);
    }
    close(fd);
    return v;
}

static int find_leader(char *list, int timeout_ms, int all) {
    char *addrs[NODES_MAX], raw[NODES_MAX][512];
    int n = 0;
    for (char *t = strtok(list, ","); t && n < NODES_MAX; t = strtok(NULL, ",")) addrs[n++] = t;
    long long deadline = lc_now_ms() + timeout_ms;
    do {
        json_t *st[NODES_MAX];
        for (int i = 0; i < n; i++) st[i] = status_of(addrs[i], raw[i], sizeof raw[i]);
        for (int i = 0; i < n; i++) {
            const char *role = json_string_value(json_object_get(st[i], "role"));
            if (!role || strcmp(role, "leader")) continue;
            const char *name = json_string_value(json_object_get(st[i], "node"));
            json_int_t term = json_integer_value(json_object_get(st[i], "term"));
            int agree = 0, answered = 0;
            for (int k = 0; k < n; k++) {
                const char *l = json_string_value(json_object_get(st[k], "leader"));
                answered += st[k] != NULL;
                agree += l && !strcmp(l, name) &&
                         json_integer_value(json_object_get(st[k], "term")) == term;
            }
            if (agree * 2 > n && (!all || agree == answered)) {
                printf("%s %lld\n", name, (long long)term);
                for (int k = 0; k < n; k++) json_decref(st[k]);
                return 0;
            }
        }
        for (int i = 0; i < n; i++) json_decref(st[i]);
        usleep(50000);
    } while (lc_now_ms() < deadline);
    fprintf(stderr, "rkv_client: no leader with a majority within %d ms:\n", timeout_ms);
    for (int i = 0; i < n; i++) fprintf(stderr, "  %s: %s\n", addrs[i], raw[i]);
    return 2;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "free-ports")) return lc_free_ports(atoi(argv[2]));
    int leader = argc > 1 && !strcmp(argv[1], "leader");
    lc_flags f;
    int i = lc_parse_flags(argc, argv, leader ? 2 : 1, &f, leader);
    if (leader && i + 1 == argc) return find_leader(argv[i], f.timeout_ms, f.all);
    struct sockaddr_in a;
    if (leader || i >= argc || lc_parse_addr(argv[i], &a) != 0) {
        fputs("usage: rkv_client [--timeout-ms T] [--wait-ms W] [--pipeline] HOST:PORT LINE...\n"
              "       rkv_client leader [--timeout-ms T] [--all] HOST:PORT,...\n"
              "       rkv_client free-ports N\n", stderr);
        return 64;
    }
    return lc_requests(argc, argv, i, f.timeout_ms, f.wait_ms, f.pipeline);
}
