/* etcd's v3 JSON gateway as the etcd target speaks it (DESIGN.md "Targets", etcd): a POST
 * of a JSON body to http://<node>:2379/v3/… over libcurl, the reply parsed with jansson,
 * and what a failure says about the request's effect. What an answer says is reply.h's. */
#ifndef FL_ETCD_GATEWAY_H
#define FL_ETCD_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define FL_ETCD_CLIENT_PORT 2379
#define FL_ETCD_PEER_PORT 2380

/* What became of a request. */
typedef enum {
    FL_ETCD_REPLIED,      /* a JSON object came back: *reply (it may hold "error" and "code") */
    FL_ETCD_NOT_SENT,     /* no connection could be made: the server never saw it */
    FL_ETCD_NO_ANSWER,    /* sent, and no whole answer before the deadline or the
                             connection broke: it may or may not have happened */
} fl_etcd_outcome;

typedef struct fl_etcd_conn fl_etcd_conn;

/* A connection (kept alive between requests) to http://host:2379; NULL when out of memory. */
fl_etcd_conn *fl_etcd_conn_open(const char *host);
void fl_etcd_conn_close(fl_etcd_conn *c);

/* POST body (borrowed) to path ("/v3/kv/range"), waiting at most timeout_ms. On
 * FL_ETCD_REPLIED *reply is the answer (the caller's); otherwise err says what failed. */
fl_etcd_outcome fl_etcd_post(fl_etcd_conn *c, const char *path, const json_t *body, int timeout_ms,
                             json_t **reply, char *err, size_t bytes);

/* One node's view from /v3/maintenance/status: its member id and the leader it knows
 * (both decimal strings; "" / "0" when none). false with err when it did not answer. */
bool fl_etcd_status(const char *host, int timeout_ms, char *member, char *leader, size_t bytes,
                    char *err, size_t err_bytes);

#endif
