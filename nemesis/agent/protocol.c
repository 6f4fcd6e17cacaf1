/* The agent protocol's parser and reply writer (see protocol.h). */
#include "protocol.h"

#include <arpa/inet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h" /* the flow bits a netem may select by */

static const char *const cmd_names[] = {"hello", "heartbeat", "partition", "heal",
                                        "netem", "clock",     "signal",    "status"};
_Static_assert(sizeof cmd_names / sizeof *cmd_names == FL_AGENT_CMD_COUNT, "a name per cmd");

const char *fl_agent_cmd_name(fl_agent_cmd c) { return cmd_names[c]; }

static int fail(char *err, size_t bytes, const char *fmt, const char *arg) {
    snprintf(err, bytes, fmt, arg);
    return -1;
}

static int parse_addresses(const json_t *list, const char *field, fl_agent_request *r,
                           char *err, size_t bytes) {
    if (!json_is_array(list)) return fail(err, bytes, "\"%s\" must be a list of IPv4 addresses", field);
    if (json_array_size(list) > FL_AGENT_DROP_MAX)
        return fail(err, bytes, "\"%s\": too many addresses (64 at most)", field);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *a = json_string_value(json_array_get(list, i));
        struct in_addr ignored;
        if (!a || strlen(a) >= sizeof r->drop[0] || inet_pton(AF_INET, a, &ignored) != 1)
            return fail(err, bytes, "\"%s\": every entry must be an IPv4 address", field);
        snprintf(r->drop[r->drop_count++], sizeof r->drop[0], "%s", a);
    }
    return 0;
}

/* An optional non-negative number field, at most max. */
static int number(const json_t *req, const char *name, double max, double *out, char *err,
                  size_t bytes) {
    const json_t *v = json_object_get(req, name);
    *out = 0;
    if (!v) return 0;
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > max)
        return fail(err, bytes, "\"%s\" must be a number from 0 to its limit", name);
    *out = json_number_value(v);
    return 0;
}

static int integer(const json_t *req, const char *name, int64_t lo, int64_t hi, int64_t *out,
                   char *err, size_t bytes) {
    const json_t *v = json_object_get(req, name);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return fail(err, bytes, "\"%s\" must be an integer in range", name);
    *out = json_integer_value(v);
    return 0;
}

static int parse_netem(const json_t *req, fl_agent_request *r, char *err, size_t bytes) {
    fl_netem_spec *n = &r->netem;
    if (number(req, "delay_ms", 60000, &n->delay_ms, err, bytes) ||
        number(req, "jitter_ms", 60000, &n->jitter_ms, err, bytes) ||
        number(req, "loss_pct", 100, &n->loss_pct, err, bytes) ||
        number(req, "duplicate_pct", 100, &n->duplicate_pct, err, bytes) ||
        number(req, "reorder_pct", 100, &n->reorder_pct, err, bytes) ||
        number(req, "corrupt_pct", 100, &n->corrupt_pct, err, bytes))
        return -1;
    if (n->delay_ms == 0 && n->loss_pct == 0 && n->duplicate_pct == 0 &&
        n->reorder_pct == 0 && n->corrupt_pct == 0)
        return fail(err, bytes, "netem needs at least one of delay_ms, loss_pct, "
                    "duplicate_pct, reorder_pct, corrupt_pct%s", "");
    if (n->reorder_pct > 0 && n->delay_ms == 0)
        return fail(err, bytes, "netem: reorder_pct needs delay_ms (packets not reordered "
                    "wait the delay)%s", "");
    n->flow_bit = -1;
    if (json_object_get(req, "flow_bit")) {
        int64_t bit;
        if (integer(req, "flow_bit", FL_NET_FLOW_BIT_MIN, FL_NET_FLOW_BIT_MAX, &bit, err, bytes))
            return -1;
        n->flow_bit = (int)bit;
    }
    /* Named peers only: netem on every destination would slow the controller too. */
    if (parse_addresses(json_object_get(req, "peers"), "peers", r, err, bytes)) return -1;
    if (r->drop_count == 0) return fail(err, bytes, "\"%s\" must name at least one peer", "peers");
    return 0;
}

static int parse_clock(const json_t *req, fl_agent_request *r, char *err, size_t bytes) {
    const char *op = json_string_value(json_object_get(req, "op"));
    const int64_t day_ms = 86400000;
    if (op && !strcmp(op, "reset")) {
        r->clock_op = FL_CLOCK_RESET;
        return 0;
    }
    if (op && !strcmp(op, "bump")) {
        r->clock_op = FL_CLOCK_BUMP;
        return integer(req, "delta_ms", -day_ms, day_ms, &r->delta_ms, err, bytes);
    }
    if (op && !strcmp(op, "strobe")) {
        r->clock_op = FL_CLOCK_STROBE;
        bool bad = integer(req, "delta_ms", -day_ms, day_ms, &r->delta_ms, err, bytes) ||
                   integer(req, "period_ms", 1, 60000, &r->period_ms, err, bytes) ||
                   integer(req, "duration_ms", 1, day_ms, &r->duration_ms, err, bytes);
        return bad ? -1 : 0;
    }
    return fail(err, bytes, "\"op\" must be bump, strobe or reset%s", "");
}

static int parse_signal(const json_t *req, fl_agent_request *r, char *err, size_t bytes) {
    const char *pidfile = json_string_value(json_object_get(req, "pidfile"));
    const char *sig = json_string_value(json_object_get(req, "sig"));
    if (!pidfile || pidfile[0] != '/' || strlen(pidfile) >= sizeof r->pidfile)
        return fail(err, bytes, "\"pidfile\" must be an absolute path%s", "");
    snprintf(r->pidfile, sizeof r->pidfile, "%s", pidfile);
    if (sig && !strcmp(sig, "KILL")) r->signal = SIGKILL;
    else if (sig && !strcmp(sig, "STOP")) r->signal = SIGSTOP;
    else if (sig && !strcmp(sig, "CONT")) r->signal = SIGCONT;
    else return fail(err, bytes, "\"sig\" must be KILL, STOP or CONT%s", "");
    const json_t *tree = json_object_get(req, "tree");
    if (tree && !json_is_boolean(tree)) return fail(err, bytes, "\"tree\" must be true or false%s", "");
    r->tree = json_is_true(tree);
    return 0;
}

static int parse_heal(const json_t *req, fl_agent_request *r, char *err, size_t bytes) {
    const json_t *only = json_object_get(req, "only");
    const char *what = json_string_value(only);
    if (!only) r->heal_only = FL_HEAL_ALL;
    else if (what && !strcmp(what, "partition")) r->heal_only = FL_HEAL_PARTITION;
    else if (what && !strcmp(what, "netem")) r->heal_only = FL_HEAL_NETEM;
    else return fail(err, bytes, "\"only\" must be \"partition\" or \"netem\"%s", "");
    return 0;
}

static int parse_fields(const json_t *req, fl_agent_request *r, char *err, size_t bytes) {
    const char *cmd = json_string_value(json_object_get(req, "cmd"));
    int found = -1;
    for (int c = 0; cmd && c < FL_AGENT_CMD_COUNT; c++)
        if (!strcmp(cmd, cmd_names[c])) found = c;
    if (found < 0)
        return fail(err, bytes, "\"cmd\" must be one of hello, heartbeat, partition, heal, "
                    "netem, clock, signal, status%s", "");
    r->cmd = (fl_agent_cmd)found;
    switch (r->cmd) {
    case FL_AGENT_PARTITION:
        return parse_addresses(json_object_get(req, "drop"), "drop", r, err, bytes);
    case FL_AGENT_NETEM: return parse_netem(req, r, err, bytes);
    case FL_AGENT_HEAL: return parse_heal(req, r, err, bytes);
    case FL_AGENT_CLOCK: return parse_clock(req, r, err, bytes);
    case FL_AGENT_SIGNAL: return parse_signal(req, r, err, bytes);
    default: return 0;
    }
}

int fl_agent_parse(const char *line, size_t len, fl_agent_request *out, char *err,
                   size_t err_bytes) {
    memset(out, 0, sizeof *out);
    out->id = -1;
    json_error_t jerr;
    json_t *req = json_loadb(line, len, 0, &jerr);
    if (!req) {
        snprintf(err, err_bytes, "not a JSON request: %s (column %d)", jerr.text, jerr.column);
        return -1;
    }
    int rc = -1;
    const json_t *id = json_object_get(req, "id");
    if (!json_is_object(req)) snprintf(err, err_bytes, "a request is a JSON object");
    else if (!json_is_integer(id) || json_integer_value(id) < 0)
        snprintf(err, err_bytes, "\"id\" must be a non-negative integer");
    else {
        out->id = json_integer_value(id);
        rc = parse_fields(req, out, err, err_bytes);
    }
    json_decref(req);
    return rc;
}

static char *dump_line(json_t *reply) {
    char *text = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    if (!text) return NULL;
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) {
        free(text);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    return line;
}

char *fl_agent_reply_ok(int64_t id, json_t *applied, int64_t mono_ns) {
    return dump_line(json_pack("{s:I,s:b,s:o,s:I}", "id", (json_int_t)id, "ok", 1, "applied",
                               applied ? applied : json_object(), "mono_ns", (json_int_t)mono_ns));
}

char *fl_agent_reply_error(int64_t id, const char *error, int64_t mono_ns) {
    /* The error may quote the request, which may be any bytes: keep printable ASCII. */
    char clean[FL_AGENT_ERR_BYTES * 2];
    size_t n = 0;
    for (; error[n] && n + 1 < sizeof clean; n++) {
        unsigned char c = (unsigned char)error[n];
        clean[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    clean[n] = '\0';
    json_t *reply = json_pack("{s:b,s:s,s:I}", "ok", 0, "error", clean, "mono_ns",
                              (json_int_t)mono_ns);
    json_object_set_new(reply, "id", id >= 0 ? json_integer(id) : json_null());
    return dump_line(reply);
}
