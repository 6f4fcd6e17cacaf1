/* Parsing and checking fl-quorumkv's flags (see options.h). */
#include "options.h"

#include <stdio.h>
#include <string.h>

const char qkv_usage[] =
    "usage: fl-quorumkv --id ID --listen HOST:PORT --peers ID=HOST:PORT,... --data-dir DIR\n"
    "                   [--pidfile FILE] [--w W] [--r R] [--timeout-ms MS]\n"
    "                   [--bug stale-quorum|no-write-back|wall-clock-lww]...\n"
    "A replicated register store (multi-writer ABD over the N nodes of --peers, which\n"
    "includes this one). Defaults: W = R = majority (1 with --bug stale-quorum),\n"
    "--timeout-ms 1000 per phase.\n";

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

/* Flag values before they are checked against each other. */
typedef struct raw_flags {
    qkv_options *o;
    long w, r, timeout_ms;
} raw_flags;

static int one_flag(void *arg, int c, const char *value, char *err, size_t err_bytes) {
    raw_flags *raw = arg;
    switch (c) {
    case 'w': return fl_flag_long("--w", value, 1, QKV_PEERS_MAX, &raw->w, err, err_bytes);
    case 'r': return fl_flag_long("--r", value, 1, QKV_PEERS_MAX, &raw->r, err, err_bytes);
    case 't':
        return fl_flag_long("--timeout-ms", value, 1, 3600000, &raw->timeout_ms, err, err_bytes);
    case 'b': return set_bug(raw->o, value, err, err_bytes);
    default: return -1;
    }
}

/* After the common flags settled: the quorum sizes. */
static int settle(qkv_options *o, long w, long r, char *err, size_t err_bytes) {
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

qkv_options_status qkv_options_parse(int argc, char **argv, qkv_options *o, char *err,
                                     size_t err_bytes) {
    static const struct option flags[] = {
        FL_NODE_FLAG_OPTIONS,
        {"w", required_argument, NULL, 'w'},   {"r", required_argument, NULL, 'r'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"bug", required_argument, NULL, 'b'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    raw_flags raw = {.o = o, .timeout_ms = QKV_TIMEOUT_MS_DEFAULT};
    fl_node_flags f = FL_NODE_FLAGS_OF(o);
    switch (fl_node_flags_parse(argc, argv, flags, 'h', &f, one_flag, &raw, err, err_bytes)) {
    case FL_FLAGS_HELP: return QKV_OPTIONS_HELP;
    case FL_FLAGS_BAD: return QKV_OPTIONS_BAD;
    case FL_FLAGS_OK: break;
    }
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
