/* A client for the in-tree servers' protocol (DESIGN.md "Targets"): JSON lines over
 * TCP, request {"id":1,"f":"read","key":"x"}, reply {"id":1,"type":"ok","value":3}.
 * One request at a time per connection; a timeout or a broken connection is an `info`
 * reply and leaves the connection closed (the caller opens a new one). The client itself
 * is targets/common/line_client.h (fl-orders calls fl-payments with it too); this is its
 * face in the target interface's types. */
#ifndef FL_JSONL_CLIENT_H
#define FL_JSONL_CLIENT_H

#include "target.h"

typedef struct fl_jsonl_client fl_jsonl_client;

/* Connect to host:port within timeout_ms; NULL with err. */
fl_jsonl_client *fl_jsonl_client_open(const char *host, int port, int timeout_ms, char *err,
                                      size_t bytes);
void fl_jsonl_client_invoke(fl_jsonl_client *c, const fl_request *req, int timeout_ms,
                            fl_reply *out);
/* Whether the connection is still usable (no timeout or error so far). */
bool fl_jsonl_client_alive(const fl_jsonl_client *c);
void fl_jsonl_client_close(fl_jsonl_client *c);

#endif
