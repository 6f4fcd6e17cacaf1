/* Parsing and checking the Raft host's flags, fl-raftkv's and fl-lockd's (see options.h). */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft.h"

const char rkv_usage[] =
    "usage: fl-raftkv --id ID --listen HOST:PORT --peers ID=HOST:PORT,... --data-dir DIR\n"
    "                 [--pidfile FILE] [--tick-ms 10] [--election-ticks 30]\n"
    "                 [--heartbeat-ticks 5] [--snapshot-entries 10000] [--lease-ms 1000]\n"
    "                 [--ttl-ms 1000]\n"
    "                 [--bug stale-read|lease-read|volatile-vote|old-term-commit|\n"
    "                        dirty-read|split-txn]...\n"
    "A Raft-replicated key-value store (linearizable in correct mode) over the N nodes of\n"
    "--peers, which includes this one (N <= 15). Followers time out after\n"
    "[T, 2T) ticks (T = --election-ticks); a leader heartbeats every --heartbeat-ticks.\n";

static int set_bug(rkv_options *o, const char *name, char *err, size_t err_bytes) {
    unsigned bug = raft_bug_from_name(name);
    for (size_t i = 0; !bug && o->app_bug_names && o->app_bug_names[i]; i++)
        if (!strcmp(name, o->app_bug_names[i])) {
            o->app_bugs |= 1u << i;
            return 0;
        }
    if (!bug) {
        int at = snprintf(err, err_bytes, "--bug '%s': known bugs are stale-read, lease-read, "
                          "volatile-vote, old-term-commit", name);
        for (size_t i = 0; o->app_bug_names && o->app_bug_names[i] && at > 0 &&
                           (size_t)at < err_bytes; i++)
            at += snprintf(err + at, err_bytes - (size_t)at, ", %s", o->app_bug_names[i]);
        return -1;
    }
    o->bugs |= bug;
    return 0;
}

/* After the common flags settled: the ticks consistent. */
static int settle(const rkv_options *o, char *err, size_t err_bytes) {
    if (o->heartbeat_ticks >= o->election_ticks) {
        snprintf(err, err_bytes, "--heartbeat-ticks %u must be less than --election-ticks %u",
                 o->heartbeat_ticks, o->election_ticks);
        return -1;
    }
    return 0;
}

static int one_flag(void *arg, int c, const char *value, char *err, size_t err_bytes) {
    rkv_options *o = arg;
    long v = 0;
    int rc = 0;
    switch (c) {
    case 't':
        rc = fl_flag_long("--tick-ms", value, 1, 10000, &v, err, err_bytes);
        o->tick_ms = (int)v;
        return rc;
    case 'e':
        rc = fl_flag_long("--election-ticks", value, 2, 1000000, &v, err, err_bytes);
        o->election_ticks = (uint32_t)v;
        return rc;
    case 'h':
        rc = fl_flag_long("--heartbeat-ticks", value, 1, 999999, &v, err, err_bytes);
        o->heartbeat_ticks = (uint32_t)v;
        return rc;
    case 's':
        rc = fl_flag_long("--snapshot-entries", value, 1, 1000000000, &v, err, err_bytes);
        o->snapshot_entries = (uint64_t)v;
        return rc;
    case 'L':
        rc = fl_flag_long("--lease-ms", value, 1, 3600000, &v, err, err_bytes);
        o->lease_ms = v;
        return rc;
    case 'T':
        rc = fl_flag_long("--ttl-ms", value, 1, 3600000, &v, err, err_bytes);
        o->ttl_ms = v;
        return rc;
    case 'b': return set_bug(o, value, err, err_bytes);
    default: return -1;
    }
}

rkv_options_status rkv_options_parse(int argc, char **argv, rkv_options *o, char *err,
                                     size_t err_bytes) {
    return rkv_options_parse_app(argc, argv, NULL, o, err, err_bytes);
}

rkv_options_status rkv_options_parse_app(int argc, char **argv, const char *const *app_bugs,
                                         rkv_options *o, char *err, size_t err_bytes) {
    static const struct option flags[] = {
        FL_NODE_FLAG_OPTIONS,
        {"tick-ms", required_argument, NULL, 't'},
        {"election-ticks", required_argument, NULL, 'e'},
        {"heartbeat-ticks", required_argument, NULL, 'h'},
        {"snapshot-entries", required_argument, NULL, 's'},
        {"lease-ms", required_argument, NULL, 'L'}, {"bug", required_argument, NULL, 'b'},
        {"ttl-ms", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'H'},           {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->tick_ms = 10;
    o->election_ticks = 30;
    o->heartbeat_ticks = 5;
    o->snapshot_entries = 10000;
    o->lease_ms = 1000;
    o->ttl_ms = 1000;
    o->app_bug_names = app_bugs;
    fl_node_flags f = FL_NODE_FLAGS_OF(o);
    switch (fl_node_flags_parse(argc, argv, flags, 'H', &f, one_flag, o, err, err_bytes)) {
    case FL_FLAGS_HELP: return RKV_OPTIONS_HELP;
    case FL_FLAGS_BAD: return RKV_OPTIONS_BAD;
    case FL_FLAGS_OK: break;
    }
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
    for (size_t i = 0; o->app_bug_names && o->app_bug_names[i]; i++) {
        if (!(o->app_bugs & 1u << i)) continue;
        int n = snprintf(out + used, out_bytes - used, "%s%s", used ? "," : "",
                         o->app_bug_names[i]);
        if (n < 0 || (size_t)n >= out_bytes - used) break;
        used += (size_t)n;
    }
    if (!used) snprintf(out, out_bytes, "none");
    return out;
}
