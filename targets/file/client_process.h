/* A target's client as a program of the user's, in any language (issue 21): one process
 * per worker process, started on the controller (inside the cluster's namespace, so it
 * reaches the nodes), speaking JSON lines on its stdin and stdout:
 *   in:  {"op": {"f": "write", "key": "x", "value": 3}, "node": "n2", "host": "10.213.0.12",
 *         "port": 6379}
 *   out: {"type": "ok"|"fail"|"info", "value": …, "error": "…"}
 * "fail" promises the op had no effect; "info" says it may have. The harness's own op
 * timeout (from when the client has read the request: a new process's start-up is not
 * counted, up to its start timeout) turns silence into info; garbage on stdout, a reply
 * of the wrong shape or a client that exits is info too (the op may have been sent),
 * and the process is then ended: the run goes on with a new one (a new worker process),
 * as with a broken connection. The client's stderr is appended to the run's client.log. */
#ifndef FL_CLIENT_PROCESS_H
#define FL_CLIENT_PROCESS_H

#include <stddef.h>

#include "target.h"

typedef struct fl_client_process fl_client_process;

/* Start argv (argv[0] found on PATH) for node (its name, host and the target's port go
 * into every request and into the environment: FL_NODE, FL_HOST, FL_PORT, FL_HOSTS).
 * stderr_path: the file its stderr is appended to (NULL: /dev/null). start_timeout_ms:
 * how long its first request may wait for it to read it (its start-up, not counted in
 * that op's timeout). NULL with err when it could not be started. */
fl_client_process *fl_client_process_open(char *const *argv, const char *node,
                                          const char *host, int port, const char *hosts,
                                          const char *stderr_path, int start_timeout_ms,
                                          char *err, size_t bytes);
/* One op: out is always filled (see above for what becomes info). */
void fl_client_process_invoke(fl_client_process *c, const fl_request *req, int timeout_ms,
                              fl_reply *out);
/* Close its stdin, give it a moment to exit, then KILL its process group; reaped. */
void fl_client_process_close(fl_client_process *c);

/* Parse one reply line into out (the client_process's rules, for tests and the fuzzer):
 * 0, or -1 with out->error saying what is wrong with the line (out->type is then info). */
int fl_client_process_parse_reply(const char *line, fl_reply *out);

#endif
