/* Parsing and checking fl-orders' flags (see options.h). */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char or_usage[] =
    "usage: fl-orders --id ID --listen HOST:PORT --peers ID=HOST:PORT,... --data-dir DIR\n"
    "                 --payments HOST:PORT [--call-timeout-ms MS (1000)] [--resume-ms MS]\n"
    "                 [--pidfile FILE]\n"
    "                 [--bug no-idempotency-key|fixed-retry|lost-compensation]\n"
    "The orders service of the payments target: places orders (a charge) and cancels them\n"
    "(the compensating refund), calling fl-payments through a retry layer. --peers must\n"
    "include this node; the orders services never talk to each other.\n";

static const char *const bug_names[] = {"none", "no-idempotency-key", "fixed-retry",
                                        "lost-compensation"};

const char *or_bug_name(or_bug b) { return bug_names[b]; }

static int parse_payments(or_options *o, const char *value, char *err, size_t err_bytes) {
    const char *colon = strrchr(value, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : 0;
    size_t host_len = colon ? (size_t)(colon - value) : 0;
    if (!colon || host_len == 0 || host_len >= sizeof o->payments_host || *end || port < 1 ||
        port > 65535) {
        snprintf(err, err_bytes, "--payments '%s': expected HOST:PORT", value);
        return -1;
    }
    memcpy(o->payments_host, value, host_len);
    o->payments_host[host_len] = '\0';
    o->payments_port = (int)port;
    return 0;
}

static int one_flag(void *arg, int c, const char *value, char *err, size_t err_bytes) {
    or_options *o = arg;
    switch (c) {
    case 'y': return parse_payments(o, value, err, err_bytes);
    case 't': return fl_flag_long("--call-timeout-ms", value, 1, 60000, &o->call_timeout_ms, err, err_bytes);
    case 'r': return fl_flag_long("--resume-ms", value, 1, 60000, &o->resume_ms, err, err_bytes);
    case 'b':
        for (int b = OR_NO_IDEMPOTENCY_KEY; b <= OR_LOST_COMPENSATION; b++)
            if (!strcmp(value, bug_names[b])) {
                if (o->bug != OR_CORRECT && o->bug != (or_bug)b) {
                    snprintf(err, err_bytes, "--bug '%s': only one bug at a time (already %s)",
                             value, bug_names[o->bug]);
                    return -1;
                }
                o->bug = (or_bug)b;
                return 0;
            }
        snprintf(err, err_bytes, "--bug '%s': known bugs are no-idempotency-key, fixed-retry, "
                 "lost-compensation", value);
        return -1;
    default: return -1;
    }
}

static const struct option flags[] = {
    FL_NODE_FLAG_OPTIONS,
    {"payments", required_argument, NULL, 'y'},
    {"call-timeout-ms", required_argument, NULL, 't'},
    {"resume-ms", required_argument, NULL, 'r'},
    {"bug", required_argument, NULL, 'b'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

or_options_status or_options_parse(int argc, char **argv, or_options *o, char *err,
                                   size_t err_bytes) {
    *o = (or_options){.call_timeout_ms = 1000, .resume_ms = 200, .bug = OR_CORRECT};
    fl_node_flags f = FL_NODE_FLAGS_OF(o);
    switch (fl_node_flags_parse(argc, argv, flags, 'h', &f, one_flag, o, err, err_bytes)) {
    case FL_FLAGS_HELP: return OR_OPTIONS_HELP;
    case FL_FLAGS_BAD: return OR_OPTIONS_BAD;
    case FL_FLAGS_OK: break;
    }
    if (!o->payments_port) {
        snprintf(err, err_bytes, "--payments HOST:PORT is required");
        return OR_OPTIONS_BAD;
    }
    return OR_OPTIONS_OK;
}
