/* Parsing and checking fl-raftkv's flags (see options.h). */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft.h"

const char rkv_usage[] =
    "usage: fl-raftkv --id ID --listen HOST:PORT --peers ID=HOST:PORT,... --data-dir DIR\n"
    "                 [--pidfile FILE] [--tick-ms 10] [--election-ticks 30]\n"
    "                 [--heartbeat-ticks 5] [--snapshot-entries 10000] [--lease-ms 1000]\n"
    "                 [--bug stale-read|lease-read|volatile-vote|old-term-commit]...\n"
    "A Raft-replicated key-value store (linearizable in correct mode) over the N nodes of\n"
    "--peers, which includes this one (N <= 15). Followers time out after\n"
    "[T, 2T) ticks (T = --election-ticks); a leader heartbeats every --heartbeat-ticks.\n";

static int parse_long(const char *flag, const char *text, long lo, long hi, long *out, char *err,
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

static int set_bug(rkv_options *o, const char *name, char *err, size_t err_bytes) {
    unsigned bug = raft_bug_from_name(name);
    if (!bug) {
        snprintf(err, err_bytes, "--bug '%s': known bugs are stale-read, lease-read, "
                 "volatile-vote, old-term-commit", name);
        return -1;
    }
    o->bugs |= bug;
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const fl_peer_addr *)a)->name, ((const fl_peer_addr *)b)->name);
}

/* After the flags: the peer list sorted, this node found, the ticks consistent. */
static int settle(rkv_options *o, char *err, size_t err_bytes) {
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
    if (o->heartbeat_ticks >= o->election_ticks) {
        snprintf(err, err_bytes, "--heartbeat-ticks %u must be less than --election-ticks %u",
                 o->heartbeat_ticks, o->election_ticks);
        return -1;
    }
    return 0;
}

static int required(const rkv_options *o, int have_listen, char *err, size_t err_bytes) {
    const char *missing = !o->id ? "--id" : !have_listen ? "--listen"
                          : !o->peer_count ? "--peers" : !o->data_dir ? "--data-dir" : NULL;
    if (!missing) return 0;
    snprintf(err, err_bytes, "%s is required", missing);
    return -1;
}

static int one_flag(rkv_options *o, int *have_listen, int c, const char *arg, char *err,
                    size_t err_bytes) {
    long v = 0;
    int rc = 0;
    switch (c) {
    case 'i':
        o->id = arg;
        if (fl_name_valid(arg)) return 0;
        snprintf(err, err_bytes, "--id '%s': use letters, digits, '_', '.' or '-'", arg);
        return -1;
    case 'l':
        snprintf(o->listen_text, sizeof o->listen_text, "%s", arg);
        *have_listen = 1;
        return fl_addr_parse(arg, &o->listen, err, err_bytes);
    case 'p':
        return fl_peers_parse(arg, o->peers, RKV_PEERS_MAX, &o->peer_count, err, err_bytes);
    case 'd': o->data_dir = arg; return 0;
    case 'P': o->pidfile = arg; return 0;
    case 't':
        rc = parse_long("--tick-ms", arg, 1, 10000, &v, err, err_bytes);
        o->tick_ms = (int)v;
        return rc;
    case 'e':
        rc = parse_long("--election-ticks", arg, 2, 1000000, &v, err, err_bytes);
        o->election_ticks = (uint32_t)v;
        return rc;
    case 'h':
        rc = parse_long("--heartbeat-ticks", arg, 1, 999999, &v, err, err_bytes);
        o->heartbeat_ticks = (uint32_t)v;
        return rc;
    case 's':
        rc = parse_long("--snapshot-entries", arg, 1, 1000000000, &v, err, err_bytes);
        o->snapshot_entries = (uint64_t)v;
        return rc;
    case 'L':
        rc = parse_long("--lease-ms", arg, 1, 3600000, &v, err, err_bytes);
        o->lease_ms = v;
        return rc;
    case 'b': return set_bug(o, arg, err, err_bytes);
    default: return -1;
    }
}

rkv_options_status rkv_options_parse(int argc, char **argv, rkv_options *o, char *err,
                                     size_t err_bytes) {
    static const struct option flags[] = {
        {"id", required_argument, NULL, 'i'},       {"listen", required_argument, NULL, 'l'},
        {"peers", required_argument, NULL, 'p'},    {"data-dir", required_argument, NULL, 'd'},
        {"pidfile", required_argument, NULL, 'P'},  {"tick-ms", required_argument, NULL, 't'},
        {"election-ticks", required_argument, NULL, 'e'},
        {"heartbeat-ticks", required_argument, NULL, 'h'},
        {"snapshot-entries", required_argument, NULL, 's'},
        {"lease-ms", required_argument, NULL, 'L'}, {"bug", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'H'},           {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->tick_ms = 10;
    o->election_ticks = 30;
    o->heartbeat_ticks = 5;
    o->snapshot_entries = 10000;
    o->lease_ms = 1000;
    int c, have_listen = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", flags, NULL)) != -1) {
        if (c == 'H') return RKV_OPTIONS_HELP;
        if (c == '?' || c == ':') {
            snprintf(err, err_bytes, "unknown flag or missing value: %s", argv[optind - 1]);
            return RKV_OPTIONS_BAD;
        }
        if (one_flag(o, &have_listen, c, optarg, err, err_bytes) != 0) return RKV_OPTIONS_BAD;
    }
    if (optind < argc) {
        snprintf(err, err_bytes, "unexpected argument '%s'", argv[optind]);
        return RKV_OPTIONS_BAD;
    }
    if (required(o, have_listen, err, err_bytes) != 0) return RKV_OPTIONS_BAD;
    return settle(o, err, err_bytes) == 0 ? RKV_OPTIONS_OK : RKV_OPTIONS_BAD;
}

const char *rkv_options_bugs(const rkv_options *o, char *out, size_t out_bytes) {
    static const unsigned order[] = {RAFT_BUG_STALE_READ, RAFT_BUG_LEASE_READ,
                                     RAFT_BUG_VOLATILE_VOTE, RAFT_BUG_OLD_TERM_COMMIT};
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(o->bugs & order[i])) continue;
        int n = snprintf(out + used, out_bytes - used, "%s%s", used ? "," : "",
                         raft_bug_name(order[i]));
        if (n < 0 || (size_t)n >= out_bytes - used) break;
        used += (size_t)n;
    }
    if (!used) snprintf(out, out_bytes, "none");
    return out;
}
