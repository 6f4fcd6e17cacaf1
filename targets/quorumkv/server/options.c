/* Parsing and checking fl-quorumkv's flags (see options.h). */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char qkv_usage[] =
    "usage: fl-quorumkv --id ID --listen HOST:PORT --peers ID=HOST:PORT,... --data-dir DIR\n"
    "                   [--pidfile FILE] [--w W] [--r R] [--timeout-ms MS]\n"
    "                   [--bug stale-quorum|no-write-back|wall-clock-lww]...\n"
    "A replicated register store (multi-writer ABD over the N nodes of --peers, which\n"
    "includes this one). Defaults: W = R = majority (1 with --bug stale-quorum),\n"
    "--timeout-ms 1000 per phase.\n";

static int parse_int(const char *flag, const char *text, long lo, long hi, long *out, char *err,
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

static int set_bug(qkv_options *o, const char *name, char *err, size_t err_bytes) {
    if (!strcmp(name, "stale-quorum")) o->bug_stale_quorum = true;
    else if (!strcmp(name, "no-write-back")) o->bug_no_write_back = true;
    else if (!strcmp(name, "wall-clock-lww")) o->bug_wall_clock_lww = true;
    else {
        snprintf(err, err_bytes, "--bug '%s': known bugs are stale-quorum, no-write-back, "
                 "wall-clock-lww", name);
        return -1;
    }
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const fl_peer_addr *)a)->name, ((const fl_peer_addr *)b)->name);
}

/* After the flags: the peer list sorted, this node found, quorum sizes settled. */
static int settle(qkv_options *o, long w, long r, char *err, size_t err_bytes) {
    qsort(o->peers, o->peer_count, sizeof o->peers[0], by_name);
    for (size_t i = 0; i < o->peer_count; i++)
        for (size_t j = i + 1; j < o->peer_count; j++)
            if (!memcmp(&o->peers[i].addr, &o->peers[j].addr, sizeof o->peers[i].addr)) {
                snprintf(err, err_bytes, "--peers: %s and %s have the same address %s",
                         o->peers[i].name, o->peers[j].name, o->peers[i].text);
                return -1;
            }
    o->self = o->peer_count;
    for (size_t i = 0; i < o->peer_count; i++)
        if (!strcmp(o->peers[i].name, o->id)) o->self = i;
    if (o->self == o->peer_count) {
        snprintf(err, err_bytes, "--id %s is not in --peers (the list must include this node)",
                 o->id);
        return -1;
    }
    long n = (long)o->peer_count, majority = n / 2 + 1;
    long fallback = o->bug_stale_quorum ? 1 : majority;
    if ((w && w > n) || (r && r > n)) {
        snprintf(err, err_bytes, "--w/--r must be at most N = %ld (the number of peers)", n);
        return -1;
    }
    o->w = (unsigned)(w ? w : fallback);
    o->r = (unsigned)(r ? r : fallback);
    return 0;
}

static int required(const qkv_options *o, int have_listen, char *err, size_t err_bytes) {
    const char *missing = !o->id ? "--id" : !have_listen ? "--listen"
                          : !o->peer_count ? "--peers" : !o->data_dir ? "--data-dir" : NULL;
    if (!missing) return 0;
    snprintf(err, err_bytes, "%s is required", missing);
    return -1;
}

/* Flag values before they are checked against each other. */
typedef struct raw_flags {
    long w, r, timeout_ms;
    int have_listen;
} raw_flags;

static int one_flag(qkv_options *o, raw_flags *raw, int c, const char *arg, char *err,
                    size_t err_bytes) {
    switch (c) {
    case 'i':
        o->id = arg;
        if (fl_name_valid(arg)) return 0;
        snprintf(err, err_bytes, "--id '%s': use letters, digits, '_', '.' or '-'", arg);
        return -1;
    case 'l':
        snprintf(o->listen_text, sizeof o->listen_text, "%s", arg);
        raw->have_listen = 1;
        return fl_addr_parse(arg, &o->listen, err, err_bytes);
    case 'p':
        return fl_peers_parse(arg, o->peers, QKV_PEERS_MAX, &o->peer_count, err, err_bytes);
    case 'd': o->data_dir = arg; return 0;
    case 'P': o->pidfile = arg; return 0;
    case 'w': return parse_int("--w", arg, 1, QKV_PEERS_MAX, &raw->w, err, err_bytes);
    case 'r': return parse_int("--r", arg, 1, QKV_PEERS_MAX, &raw->r, err, err_bytes);
    case 't': return parse_int("--timeout-ms", arg, 1, 3600000, &raw->timeout_ms, err, err_bytes);
    case 'b': return set_bug(o, arg, err, err_bytes);
    default: return -1;
    }
}

qkv_options_status qkv_options_parse(int argc, char **argv, qkv_options *o, char *err,
                                     size_t err_bytes) {
    static const struct option flags[] = {
        {"id", required_argument, NULL, 'i'},       {"listen", required_argument, NULL, 'l'},
        {"peers", required_argument, NULL, 'p'},    {"data-dir", required_argument, NULL, 'd'},
        {"pidfile", required_argument, NULL, 'P'},  {"w", required_argument, NULL, 'w'},
        {"r", required_argument, NULL, 'r'},        {"timeout-ms", required_argument, NULL, 't'},
        {"bug", required_argument, NULL, 'b'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    raw_flags raw = {.timeout_ms = QKV_TIMEOUT_MS_DEFAULT};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", flags, NULL)) != -1) {
        if (c == 'h') return QKV_OPTIONS_HELP;
        if (c == '?' || c == ':') {
            snprintf(err, err_bytes, "unknown flag or missing value: %s", argv[optind - 1]);
            return QKV_OPTIONS_BAD;
        }
        if (one_flag(o, &raw, c, optarg, err, err_bytes) != 0) return QKV_OPTIONS_BAD;
    }
    if (optind < argc) {
        snprintf(err, err_bytes, "unexpected argument '%s'", argv[optind]);
        return QKV_OPTIONS_BAD;
    }
    if (required(o, raw.have_listen, err, err_bytes) != 0) return QKV_OPTIONS_BAD;
    o->timeout_ms = (int)raw.timeout_ms;
    return settle(o, raw.w, raw.r, err, err_bytes) == 0 ? QKV_OPTIONS_OK : QKV_OPTIONS_BAD;
}

const char *qkv_options_bugs(const qkv_options *o, char *out, size_t out_bytes) {
    snprintf(out, out_bytes, "%s%s%s%s%s", o->bug_stale_quorum ? ",stale-quorum" : "",
             o->bug_no_write_back ? ",no-write-back" : "",
             o->bug_wall_clock_lww ? ",wall-clock-lww" : "",
             o->bug_stale_quorum || o->bug_no_write_back || o->bug_wall_clock_lww ? "" : ",none",
             "");
    return out + 1;
}
