/* The command line every in-tree server shares (see node_flags.h). */
#include "node_flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fl_flag_long(const char *flag, const char *text, long lo, long hi, long *out, char *err,
                 size_t err_bytes) {
    char *end = NULL;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < lo || v > hi) {
        snprintf(err, err_bytes, "%s '%s': expected an integer in %ld..%ld", flag, text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const fl_peer_addr *)a)->name, ((const fl_peer_addr *)b)->name);
}

int fl_node_flags_settle(fl_node_flags *f, char *err, size_t err_bytes) {
    fl_peer_addr *peers = f->peers;
    size_t n = *f->peer_count;
    qsort(peers, n, sizeof peers[0], by_name);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (!memcmp(&peers[i].addr, &peers[j].addr, sizeof peers[i].addr)) {
                snprintf(err, err_bytes, "--peers: %s and %s have the same address %s",
                         peers[i].name, peers[j].name, peers[i].text);
                return -1;
            }
    *f->self = n;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(peers[i].name, *f->id)) *f->self = i;
    if (*f->self == n) {
        snprintf(err, err_bytes, "--id %s is not in --peers (the list must include this node)",
                 *f->id);
        return -1;
    }
    return 0;
}

static int required(const fl_node_flags *f, char *err, size_t err_bytes) {
    const char *missing = !*f->id ? "--id" : !f->have_listen ? "--listen"
                          : !*f->peer_count ? "--peers" : !*f->data_dir ? "--data-dir" : NULL;
    if (!missing) return 0;
    snprintf(err, err_bytes, "%s is required", missing);
    return -1;
}

/* 1: not a common flag. */
static int common_flag(fl_node_flags *f, int c, const char *arg, char *err, size_t err_bytes) {
    switch (c) {
    case 'i':
        *f->id = arg;
        if (fl_name_valid(arg)) return 0;
        snprintf(err, err_bytes, "--id '%s': use letters, digits, '_', '.' or '-'", arg);
        return -1;
    case 'l':
        snprintf(f->listen_text, FL_ADDR_TEXT_BYTES, "%s", arg);
        f->have_listen = 1;
        return fl_addr_parse(arg, f->listen, err, err_bytes);
    case 'p': return fl_peers_parse(arg, f->peers, f->peers_max, f->peer_count, err, err_bytes);
    case 'd': *f->data_dir = arg; return 0;
    case 'P': *f->pidfile = arg; return 0;
    default: return 1;
    }
}

fl_flags_status fl_node_flags_parse(int argc, char **argv, const struct option *flags,
                                    int help_c, fl_node_flags *f, fl_own_flag_fn *own,
                                    void *own_arg, char *err, size_t err_bytes) {
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", flags, NULL)) != -1) {
        if (c == help_c) return FL_FLAGS_HELP;
        if (c == '?' || c == ':') {
            snprintf(err, err_bytes, "unknown flag or missing value: %s", argv[optind - 1]);
            return FL_FLAGS_BAD;
        }
        int rc = common_flag(f, c, optarg, err, err_bytes);
        if (rc == 1) rc = own(own_arg, c, optarg, err, err_bytes);
        if (rc != 0) return FL_FLAGS_BAD;
    }
    if (optind < argc) {
        snprintf(err, err_bytes, "unexpected argument '%s'", argv[optind]);
        return FL_FLAGS_BAD;
    }
    if (required(f, err, err_bytes) != 0) return FL_FLAGS_BAD;
    return fl_node_flags_settle(f, err, err_bytes) == 0 ? FL_FLAGS_OK : FL_FLAGS_BAD;
}
