/* Parsing and checking fl-payments' flags (see options.h). */
#include "options.h"

#include <stdio.h>
#include <string.h>

#include "capacity.h"
#include "ledger.h"

const char pay_usage[] =
    "usage: fl-payments --id ID --listen HOST:PORT --peers ID=HOST:PORT,... --data-dir DIR\n"
    "                   [--pidfile FILE] [--capacity N] [--service-ms MS] [--queue Q]\n"
    "                   [--initial-balance B] [--request-log FILE]\n"
    "The payments target's processor: charges and refunds on a durable ledger, each under\n"
    "an optional idempotency key, served N at a time for MS ms each (default 4, 5) with Q\n"
    "waiting (default 32); past that, requests are shed (overloaded). New accounts start at\n"
    "B (default 1000000). Every charge and refund is logged to FILE (default\n"
    "DIR/../requests.jsonl). --peers must include this node; it never talks to the others.\n";

static int one_flag(void *arg, int c, const char *value, char *err, size_t err_bytes) {
    pay_options *o = arg;
    long v;
    switch (c) {
    case 'c':
        if (fl_flag_long("--capacity", value, 1, PAY_CAPACITY_MAX, &v, err, err_bytes)) return -1;
        o->capacity = (size_t)v;
        return 0;
    case 's':
        if (fl_flag_long("--service-ms", value, 0, PAY_SERVICE_MS_MAX, &v, err, err_bytes))
            return -1;
        o->service_ms = v;
        return 0;
    case 'q':
        if (fl_flag_long("--queue", value, 0, PAY_QUEUE_MAX, &v, err, err_bytes)) return -1;
        o->queue = (size_t)v;
        return 0;
    case 'b':
        if (fl_flag_long("--initial-balance", value, 0, PAY_BALANCE_ABS_MAX, &v, err, err_bytes))
            return -1;
        o->initial_balance = v;
        return 0;
    case 'r':
        if (!value[0] || strlen(value) >= sizeof o->request_log) {
            snprintf(err, err_bytes, "--request-log: a file name (under %zu bytes)",
                     sizeof o->request_log);
            return -1;
        }
        strcpy(o->request_log, value);
        return 0;
    default: return -1;
    }
}

/* The common flags, then the processor's own and --help. */
static const struct option flags[] = {
    FL_NODE_FLAG_OPTIONS,
    {"capacity", required_argument, NULL, 'c'},
    {"service-ms", required_argument, NULL, 's'},
    {"queue", required_argument, NULL, 'q'},
    {"initial-balance", required_argument, NULL, 'b'},
    {"request-log", required_argument, NULL, 'r'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

pay_options_status pay_options_parse(int argc, char **argv, pay_options *o, char *err,
                                     size_t err_bytes) {
    *o = (pay_options){.capacity = 4, .service_ms = 5, .queue = 32, .initial_balance = 1000000};
    fl_node_flags f = FL_NODE_FLAGS_OF(o);
    switch (fl_node_flags_parse(argc, argv, flags, 'h', &f, one_flag, o, err, err_bytes)) {
    case FL_FLAGS_HELP: return PAY_OPTIONS_HELP;
    case FL_FLAGS_BAD: return PAY_OPTIONS_BAD;
    case FL_FLAGS_OK: break;
    }
    /* beside the data dir, not in it: the data dir is the daemon's durable state only */
    if (!o->request_log[0] &&
        snprintf(o->request_log, sizeof o->request_log, "%s/../requests.jsonl", o->data_dir) >=
            (int)sizeof o->request_log) {
        snprintf(err, err_bytes, "--data-dir: too long");
        return PAY_OPTIONS_BAD;
    }
    return PAY_OPTIONS_OK;
}
