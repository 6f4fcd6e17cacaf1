/* The harness's client of the in-tree servers (see jsonl_client.h): targets/common's line
 * client, its replies as the target interface's. */
#include "jsonl_client.h"

#include <string.h>

#include "line_client.h"

_Static_assert(sizeof(((fl_reply *)0)->error) == sizeof(((fl_line_reply *)0)->error) &&
                   sizeof(((fl_reply *)0)->leader) == sizeof(((fl_line_reply *)0)->leader),
               "the replies carry the same texts");

fl_jsonl_client *fl_jsonl_client_open(const char *host, int port, int timeout_ms, char *err,
                                      size_t bytes) {
    return (fl_jsonl_client *)fl_line_client_open(host, port, timeout_ms, err, bytes);
}

void fl_jsonl_client_invoke(fl_jsonl_client *c, const fl_request *req, int timeout_ms,
                            fl_reply *out) {
    fl_line_reply r;
    fl_line_client_call((fl_line_client *)c, req->f, req->key, req->value, timeout_ms, &r);
    *out = (fl_reply){.type = r.type == FL_LINE_OK     ? FL_REPLY_OK
                              : r.type == FL_LINE_FAIL ? FL_REPLY_FAIL
                                                       : FL_REPLY_INFO,
                      .value = r.value, .node = -1};
    memcpy(out->error, r.error, sizeof out->error);
    memcpy(out->leader, r.leader, sizeof out->leader);
}

bool fl_jsonl_client_alive(const fl_jsonl_client *c) {
    return fl_line_client_alive((const fl_line_client *)c);
}

void fl_jsonl_client_close(fl_jsonl_client *c) { fl_line_client_close((fl_line_client *)c); }
