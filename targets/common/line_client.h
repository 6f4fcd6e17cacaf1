/* A blocking client of the in-tree servers' protocol (DESIGN.md "Targets"): JSON lines
 * over TCP, request {"id":1,"f":"read","key":"x"}, reply {"id":1,"type":"ok","value":3}.
 * One request at a time per connection; a timeout or a broken connection is an `info`
 * reply and leaves the connection closed (the caller opens a new one). The harness's
 * clients (harness/jsonl_client.h) and fl-orders' calls to fl-payments are made with it. */
#ifndef FL_TARGET_LINE_CLIENT_H
#define FL_TARGET_LINE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct fl_line_client fl_line_client;

typedef enum { FL_LINE_OK, FL_LINE_FAIL, FL_LINE_INFO } fl_line_reply_type;

typedef struct fl_line_reply {
    fl_line_reply_type type;    /* fail: certainly no effect; info: unknown */
    json_t *value;              /* new reference or NULL */
    char error[200];
    char leader[64];            /* a follower's hint, or "" */
} fl_line_reply;

/* Connect to host:port (IPv4) within timeout_ms; NULL with err. */
fl_line_client *fl_line_client_open(const char *host, int port, int timeout_ms, char *err,
                                    size_t bytes);
/* Request f with key and value (either may be NULL: not sent); the reply within
 * timeout_ms into *out. */
void fl_line_client_call(fl_line_client *c, const char *f, const json_t *key,
                         const json_t *value, int timeout_ms, fl_line_reply *out);
/* Whether the connection is still usable (no timeout or error so far). */
bool fl_line_client_alive(const fl_line_client *c);
void fl_line_client_close(fl_line_client *c);

#endif
