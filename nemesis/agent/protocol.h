/* The agent protocol (DESIGN.md "Conventions", Agent protocol): one JSON request per
 * line on the agent's stdin, one JSON reply per line on its stdout. Parsing is strict
 * and total: any line gives either a request or an error reply, never a crash. */
#ifndef FL_AGENT_PROTOCOL_H
#define FL_AGENT_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FL_AGENT_DROP_MAX 64
#define FL_AGENT_ERR_BYTES 256

typedef enum {
    FL_AGENT_HELLO, FL_AGENT_HEARTBEAT, FL_AGENT_PARTITION, FL_AGENT_HEAL, FL_AGENT_NETEM,
    FL_AGENT_CLOCK, FL_AGENT_SIGNAL, FL_AGENT_STATUS, FL_AGENT_CMD_COUNT,
} fl_agent_cmd;

typedef enum { FL_CLOCK_BUMP, FL_CLOCK_STROBE, FL_CLOCK_RESET } fl_clock_op;
/* heal: everything (the default), or only the partition, or only netem. */
typedef enum { FL_HEAL_ALL, FL_HEAL_PARTITION, FL_HEAL_NETEM } fl_heal_scope;

typedef struct fl_netem_spec {
    double delay_ms, jitter_ms, loss_pct, duplicate_pct, reorder_pct, corrupt_pct;
    int flow_bit; /* -1: every packet to the peers; else only the flows net.h says */
} fl_netem_spec;

typedef struct fl_agent_request {
    int64_t id;
    fl_agent_cmd cmd;
    /* partition (and netem's peers): IPv4 addresses as text */
    char drop[FL_AGENT_DROP_MAX][16];
    size_t drop_count;
    fl_netem_spec netem;
    fl_heal_scope heal_only;
    fl_clock_op clock_op;
    int64_t delta_ms;      /* bump: the offset; strobe: the second offset */
    int64_t period_ms;     /* strobe: flip every period */
    int64_t duration_ms;   /* strobe: for this long */
    char pidfile[512];
    int signal;            /* SIGKILL, SIGSTOP or SIGCONT */
    bool tree;             /* the process and all its descendants (PostgreSQL's backends) */
} fl_agent_request;

const char *fl_agent_cmd_name(fl_agent_cmd c);
/* 0 and *out, or -1 with err; out->id is set whenever the line carried one (else -1),
 * so the error reply can name the request. */
int fl_agent_parse(const char *line, size_t len, fl_agent_request *out, char *err,
                   size_t err_bytes);
/* Reply lines (with the trailing newline), malloc'd. */
char *fl_agent_reply_ok(int64_t id, json_t *applied /* stolen */, int64_t mono_ns);
char *fl_agent_reply_error(int64_t id, const char *error, int64_t mono_ns);

#endif
