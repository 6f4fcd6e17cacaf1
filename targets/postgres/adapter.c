/* PostgreSQL 15 as a target (DESIGN.md "Targets", postgres): one primary on the first node
 * (streaming replicas and failover are a later step), started by the harness — never by
 * the system's own service — as the `postgres` user from Debian's postgresql-15 package,
 * and transactions sent through libpq. A txn op (list-append or rw-register micro-ops,
 * the txn workloads) is one SQL transaction at the chosen isolation level; a
 * serialization failure or deadlock is `fail`; a connection lost before COMMIT was sent
 * is `fail` too (the server aborts it), one lost during COMMIT is `info`. */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h> /* nanosleep */

#include <libpq-fe.h>

#include "list_text.h"
#include "loop.h"
#include "service.h"
#include "target.h"

#define PG_PORT 5432
#define PG_BIN "/usr/lib/postgresql/15/bin"

static const char *const pg_ops[] = {"txn", NULL};
static const fl_target_bug pg_bugs[] = {{NULL, NULL, NULL, NULL, 0}};

static const fl_target_option pg_options[] = {
    {"isolation", "serializable", "the transactions' isolation level: serializable, "
                                  "repeatable-read or read-committed"},
    {NULL, NULL, NULL},
};

/* The isolation levels below SERIALIZABLE allow what their definitions allow; a run at
 * each shows it (Adya's and Hermitage's tables, Jepsen's PostgreSQL analysis). */
static const fl_target_finding pg_findings[] = {
    {"g2-item-repeatable-read", "isolation=repeatable-read",
     "G2-item (write skew): snapshot isolation, which PostgreSQL's REPEATABLE READ is",
     "Jepsen, PostgreSQL 12.3 (2020); Hermitage; PostgreSQL's manual, 13.2.2"},
    {"g-single-read-committed", "isolation=read-committed",
     "G-single-item (read skew) or lost update",
     "Hermitage (PostgreSQL read committed: P4, G-single); PostgreSQL's manual, 13.2.1"},
    {NULL, NULL, NULL, NULL},
};

/* postgres runs as its own user; setpriv execs it (no fork), so the pid the launcher
 * records is the postmaster's. */
static const fl_service pg_service = {.name = "postgres", .writes_pidfile = false,
                                      .stop_grace_ms = 10000};

static const char *isolation_sql(const char *option) {
    if (!strcmp(option, "repeatable-read")) return "REPEATABLE READ";
    if (!strcmp(option, "read-committed")) return "READ COMMITTED";
    if (!strcmp(option, "serializable")) return "SERIALIZABLE";
    return NULL;
}

static int pg_setup(fl_target_ctx *t, char *err, size_t bytes) {
    if (!isolation_sql(fl_target_option_get(t, "isolation"))) {
        snprintf(err, bytes, "postgres: isolation must be serializable, repeatable-read or "
                 "read-committed, not %s", fl_target_option_get(t, "isolation"));
        return -1;
    }
    if (fl_service_prepare(t, &pg_service, 0, err, bytes)) return -1;
    char *dir = fl_service_path_q(t, &pg_service, 0, FL_SERVICE_DIR);
    char *data = fl_service_path_q(t, &pg_service, 0, FL_SERVICE_DATA);
    size_t cap = 4096;
    char *cmd = malloc(cap);
    int rc = -1;
    if (!dir || !data || !cmd) {
        snprintf(err, bytes, "out of memory");
        goto out;
    }
    /* A fresh cluster: the data folder the postgres user owns, trust for the cluster's
     * own subnet only (nothing else can reach a node), fsync on. */
    snprintf(cmd, cap,
             "test -x " PG_BIN "/postgres || { echo 'postgresql-15 is not installed (apt-get "
             "install postgresql-15)'; exit 1; }; "
             "rm -rf %s && mkdir -p %s && chown postgres:postgres %s && chmod 755 %s && "
             "{ setpriv --reuid=postgres --regid=postgres --init-groups test -w %s || "
             "{ echo \"the postgres user cannot reach %s: let it search the folders above "
             "(chmod o+x), or give the node a workdir it can reach\"; exit 1; }; } && "
             "setpriv --reuid=postgres --regid=postgres --init-groups " PG_BIN "/initdb -D %s "
             "-U postgres --auth=trust --no-sync -E UTF8 >/dev/null && "
             "printf '%%s\\n' \"listen_addresses = '*'\" \"port = %d\" "
             "\"unix_socket_directories = ''\" \"max_connections = 300\" \"fsync = on\" "
             "\"logging_collector = off\" >> %s/postgresql.conf && "
             "printf '%%s\\n' 'host all all 0.0.0.0/0 trust' >> %s/pg_hba.conf",
             data, data, data, dir, data, data, data, PG_PORT, data, data);
    rc = fl_service_shell(t, 0, cmd, "initdb", 120000, err, bytes);
out:
    free(dir), free(data), free(cmd);
    return rc;
}

static bool accepting(fl_target_ctx *t, size_t node, const void *arg, int timeout_ms);

static int pg_start(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    if (node != 0) return 0; /* one primary */
    char *data = fl_service_path_q(t, &pg_service, 0, FL_SERVICE_DATA);
    char cmd[2048];
    if (!data) return snprintf(err, bytes, "out of memory"), -1;
    snprintf(cmd, sizeof cmd,
             "setpriv --reuid=postgres --regid=postgres --init-groups " PG_BIN "/postgres -D %s",
             data);
    free(data);
    /* Not a bare TCP connect: the server takes connections while it starts up (crash
     * recovery after a kill) and refuses queries until it is done. */
    fl_service_check check = {.probe = accepting, .what = "PQping on port 5432 (accepting "
                              "connections)"};
    return fl_service_start(t, &pg_service, 0, cmd, &check, 60000, err, bytes);
}

static int pg_stop(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    return node == 0 ? fl_service_stop(t, &pg_service, 0, err, bytes) : 0;
}

static int pg_fetch_logs(fl_target_ctx *t, size_t node, const char *dir, char *err, size_t bytes) {
    return node == 0 ? fl_service_fetch_logs(t, &pg_service, 0, dir, err, bytes) : 0;
}

struct fl_client {
    PGconn *conn;          /* NULL after a connection was given up */
    const char *isolation; /* SQL words */
    char conninfo[512];
};

/* Server notices ("relation already exists, skipping") are not the run's business. */
static void quiet(void *arg, const char *message) { (void)arg, (void)message; }

static void conninfo_of(const fl_target_ctx *t, int timeout_ms, char *info, size_t bytes) {
    snprintf(info, bytes, "host=%s port=%d user=postgres dbname=postgres connect_timeout=%d "
             "application_name=faultline", t->nodes->nodes[0].host, PG_PORT,
             timeout_ms / 1000 > 2 ? timeout_ms / 1000 : 2);
}

/* Whether the server accepts connections (PQping: not while it starts up or shuts down). */
static bool accepting(fl_target_ctx *t, size_t node, const void *arg, int timeout_ms) {
    (void)node, (void)arg;
    char info[512];
    conninfo_of(t, timeout_ms, info, sizeof info);
    return PQping(info) == PQPING_OK;
}

static PGconn *connect_to(fl_target_ctx *t, int timeout_ms, char *err, size_t bytes) {
    char info[512];
    conninfo_of(t, timeout_ms, info, sizeof info);
    PGconn *c = PQconnectdb(info);
    PQsetNoticeProcessor(c, quiet, NULL);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(err, bytes, "postgres on %s: %s", t->nodes->nodes[0].name, PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* The tables, once the server answers (a list is its elements joined by commas). */
static int pg_ready(fl_target_ctx *t, char *err, size_t bytes) {
    /* After a heal the server may still be recovering from a kill. */
    struct timespec tenth = {0, 100 * 1000000};
    for (int i = 0; i < 600 && !accepting(t, 0, NULL, 2000); i++) nanosleep(&tenth, NULL);
    PGconn *c = connect_to(t, 10000, err, bytes);
    if (!c) return -1;
    PGresult *r = PQexec(c, "CREATE TABLE IF NOT EXISTS txn_kv (k bigint PRIMARY KEY, lst text, "
                            "reg bigint)");
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc) snprintf(err, bytes, "postgres: creating the tables: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return rc;
}

static int pg_primaries(fl_target_ctx *t, uint64_t *nodes, char *err, size_t bytes) {
    (void)t, (void)err, (void)bytes;
    *nodes = 1; /* the first node, the only server */
    return 0;
}

static fl_client *pg_client_open(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                                 size_t bytes) {
    (void)node; /* every client talks to the primary */
    fl_client *c = calloc(1, sizeof *c);
    if (!c) return snprintf(err, bytes, "out of memory"), NULL;
    c->conn = connect_to(t, timeout_ms, err, bytes);
    if (!c->conn) {
        free(c);
        return NULL;
    }
    c->isolation = isolation_sql(fl_target_option_get(t, "isolation"));
    conninfo_of(t, timeout_ms, c->conninfo, sizeof c->conninfo);
    return c;
}

static void pg_client_close(fl_client *c) {
    if (!c) return;
    PQfinish(c->conn);
    free(c);
}

/* One query with up to two text parameters, waited for until the deadline (poll on the
 * socket, so a paused server cannot hold a worker past its op timeout). The last result
 * (the caller clears it), or NULL when the deadline passed or the connection broke. */
static PGresult *query(fl_client *c, const char *sql, const char *a, const char *b, int n,
                       int64_t deadline_ms) {
    const char *params[2] = {a, b};
    if (!PQsendQueryParams(c->conn, sql, n, NULL, params, NULL, NULL, 0)) return NULL;
    PGresult *last = NULL;
    for (;;) {
        while (!PQisBusy(c->conn)) {
            PGresult *r = PQgetResult(c->conn);
            if (!r) return last;
            PQclear(last);
            last = r;
        }
        int64_t left = deadline_ms - fl_mono_ms();
        struct pollfd pfd = {.fd = PQsocket(c->conn), .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0 || !PQconsumeInput(c->conn)) {
            PQclear(last);
            return NULL;
        }
    }
}

/* A failed statement's SQLSTATE: "40001" serialization failure, "40P01" deadlock … */
static const char *sqlstate(const PGresult *r) {
    const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return st ? st : "";
}

static bool succeeded(const PGresult *r) {
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* One micro-op in the open transaction: its completed form into out; the failed result
 * in *bad (NULL: the connection broke or the deadline passed, or *unreadable: a read
 * returned a list that is not one). A key is one row: `lst`
 * holds a list-append key's elements, `reg` a register's value (a workload uses each key
 * as one kind, so a read returns whichever is set). */
static int micro_op(fl_client *c, json_t *mop, json_t *out, int64_t deadline, PGresult **bad,
                    bool *unreadable) {
    const char *f = json_string_value(json_array_get(mop, 0));
    json_t *k = json_array_get(mop, 1), *v = json_array_get(mop, 2);
    char key[32], val[32];
    snprintf(key, sizeof key, "%" JSON_INTEGER_FORMAT, json_integer_value(k));
    snprintf(val, sizeof val, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    PGresult *r;
    json_t *result;
    if (f && !strcmp(f, "append")) {
        r = query(c, "INSERT INTO txn_kv AS t (k, lst) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE "
                     "SET lst = CASE WHEN t.lst IS NULL THEN EXCLUDED.lst "
                     "ELSE t.lst || ',' || EXCLUDED.lst END", key, val, 2, deadline);
        result = json_incref(v);
    } else if (f && !strcmp(f, "w")) {
        r = query(c, "INSERT INTO txn_kv AS t (k, reg) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE "
                     "SET reg = EXCLUDED.reg", key, val, 2, deadline);
        result = json_incref(v);
    } else {
        r = query(c, "SELECT lst, reg FROM txn_kv WHERE k = $1", key, NULL, 1, deadline);
        result = NULL;
        char why[160];
        if (!succeeded(r) || PQntuples(r) == 0 || (PQgetisnull(r, 0, 0) && PQgetisnull(r, 0, 1)))
            result = json_null();
        else if (!PQgetisnull(r, 0, 0) && fl_pg_list_parse(PQgetvalue(r, 0, 0), &result, why,
                                                           sizeof why) != 0) {
            PQclear(r); /* not a list the harness wrote: say so, never read half of it */
            *unreadable = true;
            return -1;
        } else if (!result) {
            result = json_integer(strtoll(PQgetvalue(r, 0, 1), NULL, 10)); /* a bigint column */
        }
    }
    if (!succeeded(r)) {
        json_decref(result);
        *bad = r;
        return -1;
    }
    PQclear(r);
    json_array_append_new(out, json_pack("[s,O,o]", f ? f : "r", k, result));
    return 0;
}

/* Give up on the connection: a transaction left open on it can never commit. */
static void drop(fl_client *c) {
    PQfinish(c->conn);
    c->conn = NULL;
}

static void pg_client_invoke(fl_client *c, const fl_request *req, int timeout_ms, fl_reply *out) {
    *out = (fl_reply){.type = FL_REPLY_FAIL, .node = -1};
    int64_t deadline = fl_mono_ms() + timeout_ms;
    if (strcmp(req->f, "txn") || !json_is_array(req->value)) {
        snprintf(out->error, sizeof out->error, "unsupported op %s", req->f);
        return;
    }
    if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
        if (c->conn) PQfinish(c->conn);
        c->conn = PQconnectdb(c->conninfo);
        PQsetNoticeProcessor(c->conn, quiet, NULL);
        if (PQstatus(c->conn) != CONNECTION_OK) {
            snprintf(out->error, sizeof out->error, "not-connected");
            drop(c);
            return;
        }
    }
    char begin[64];
    snprintf(begin, sizeof begin, "BEGIN ISOLATION LEVEL %s", c->isolation);
    PGresult *r = query(c, begin, NULL, NULL, 0, deadline);
    if (!succeeded(r)) { /* nothing began: certainly no effect */
        snprintf(out->error, sizeof out->error, "begin-failed");
        PQclear(r);
        drop(c);
        return;
    }
    PQclear(r);
    json_t *done = json_array();
    size_t i;
    json_t *mop;
    json_array_foreach(req->value, i, mop) {
        PGresult *bad = NULL;
        bool unreadable = false;
        if (micro_op(c, mop, done, deadline, &bad, &unreadable) == 0) continue;
        /* Not committed, and it never will be: an error aborts the transaction, and a
         * connection we drop takes its open transaction with it. */
        const char *st = sqlstate(bad);
        snprintf(out->error, sizeof out->error, "%s", unreadable ? "unreadable-list"
                 : !bad ? "timeout-or-connection-lost"
                 : !strcmp(st, "40001") ? "serialization-failure"
                 : !strcmp(st, "40P01") ? "deadlock" : st);
        PQclear(bad);
        if (!bad) drop(c); /* an unreadable list too: the transaction goes with the connection */
        else PQclear(query(c, "ROLLBACK", NULL, NULL, 0, deadline));
        json_decref(done);
        return;
    }
    r = query(c, "COMMIT", NULL, NULL, 0, deadline);
    if (succeeded(r) && !strcmp(PQcmdStatus(r), "COMMIT")) {
        out->type = FL_REPLY_OK;
        out->value = done;
    } else if (r && !strcmp(sqlstate(r), "40001")) {
        snprintf(out->error, sizeof out->error, "serialization-failure"); /* aborted at commit */
        json_decref(done);
    } else { /* no answer to COMMIT: it may or may not have happened */
        out->type = FL_REPLY_INFO;
        snprintf(out->error, sizeof out->error, "commit-unknown");
        json_decref(done);
        drop(c);
    }
    PQclear(r);
}

/* A database on one node: kills and pauses of the server (the primary: no other node runs
 * one) are the faults that matter; a partition of a single server only makes it
 * unavailable. */
static const fl_target_defaults pg_defaults = {
    .workload = "txn-list-append",
    .nemesis = "kill:primaries,pause:primaries",
    .nemesis_interval_s = 8,
    .at_once = 1,
    .concurrency = 10,
    .op_timeout_s = 5,
    .why = "one PostgreSQL primary: crashes and pauses of the server under transactions "
           "at the chosen isolation level",
};

const fl_target fl_target_postgres = {
    .name = "postgres",
    .summary = "PostgreSQL 15 (Debian's postgresql-15), one primary; transactions through "
               "libpq at --target-opt isolation=serializable|repeatable-read|read-committed",
    .ops = pg_ops,
    .bugs = pg_bugs,
    .options = pg_options,
    .pidfile = "{workdir}/postgres/postgres.pid",
    /* A backend per connection, forked by the postmaster: a pause of the postmaster alone
     * would leave every open connection served, a kill would leave backends running. */
    .signal_tree = true,
    .defaults = &pg_defaults,
    .findings = pg_findings,
    .setup = pg_setup,
    .start = pg_start,
    .stop = pg_stop,
    .fetch_logs = pg_fetch_logs,
    .client_open = pg_client_open,
    .client_invoke = pg_client_invoke,
    .client_close = pg_client_close,
    .ready = pg_ready,
    .primaries = pg_primaries,
};
