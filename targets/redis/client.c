/* The redis target's client, as a Sentinel-aware application would be written: ask a
 * Sentinel (the client's own node's first, then the others) which node is master,
 * connect there and send every op to it; on a lost connection or a READONLY reply (the
 * node was demoted) ask again. Ops are on one Redis string key each: `write` is SET,
 * `read` GET, `cas` a Lua script (GET, compare, SET: one atomic step on the server).
 * Outcomes: an error reply means the server refused the command, so nothing happened
 * (`fail`); no reply after sending leaves it unknown (`info`), except for reads, which
 * change nothing and so may be retried and failed. With `--target-opt wait=N` a write
 * the master acknowledged is followed by WAIT N: fewer replica acknowledgements than N
 * make it `info`, since the master did apply it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"
#include "redis_target.h"

#define LOCATE_CONNECT_MS 1000
#define RETRY_PAUSE_MS 100
#define READ_ATTEMPTS 3

/* The script's compare and set are one step: a script runs alone on the server. */
static const char cas_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) "
    "return 1 else return 0 end";

struct fl_client {
    fl_target_ctx *t;
    size_t home;           /* the node whose Sentinel is asked first */
    redisContext *conn;    /* to the master, or NULL: ask the Sentinels first */
    int master;            /* the node conn goes to */
    int wait_replicas;     /* --target-opt wait */
};

static int min_int(int a, int b) { return a < b ? a : b; }

static void drop(fl_client *c) {
    if (c->conn) redisFree(c->conn);
    c->conn = NULL;
    c->master = -1;
}

/* Ask the Sentinels for the master and connect to it: 0, or -1 with err. */
static int locate(fl_client *c, int timeout_ms, char *err, size_t bytes) {
    drop(c);
    int m = rd_sentinel_master_from(c->t, c->home, min_int(timeout_ms, RD_PROBE_MS));
    if (m < 0) return snprintf(err, bytes, "no-master: no Sentinel named a master"), -1;
    c->conn = rd_connect(c->t->nodes->nodes[m].host, RD_PORT, min_int(timeout_ms, LOCATE_CONNECT_MS),
                         err, bytes);
    if (!c->conn) return -1;
    c->master = m;
    return 0;
}

fl_client *rd_client_open(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                          size_t bytes) {
    fl_client *c = calloc(1, sizeof *c);
    if (!c) return snprintf(err, bytes, "out of memory"), NULL;
    *c = (fl_client){.t = t, .home = node, .master = -1,
                     .wait_replicas = atoi(fl_target_option_get(t, "wait"))};
    if (locate(c, timeout_ms, err, bytes) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void rd_client_close(fl_client *c) {
    if (!c) return;
    drop(c);
    free(c);
}

/* A value as Redis stores it: an integer's decimal text, a string as is, else JSON. */
static char *text_of(const json_t *v) {
    if (json_is_string(v)) return strdup(json_string_value(v));
    if (json_is_integer(v)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return strdup(buf);
    }
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

/* What GET returned: the integer the workloads wrote, or the text. */
static json_t *value_of(const redisReply *r) {
    if (r->type != REDIS_REPLY_STRING) return json_null();
    char *end;
    long long v = strtoll(r->str, &end, 10);
    if (r->len > 0 && *end == '\0') return json_integer(v);
    return json_stringn(r->str, r->len);
}

/* An error reply's first word ("READONLY", "NOREPLICAS", "LOADING" …). */
static void error_word(const redisReply *r, char *out, size_t bytes) {
    size_t n = strcspn(r->str, " ");
    snprintf(out, bytes, "%.*s", (int)(n < 60 ? n : 60), r->str);
}

static void pause_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* After an acknowledged write: WAIT for the replicas asked for. Fewer is info: the
 * master applied the write, but a failover now may lose it. */
static void wait_for_replicas(fl_client *c, int64_t deadline, fl_reply *out) {
    int left = (int)(deadline - fl_mono_ms());
    if (left < 2) {
        out->type = FL_REPLY_INFO;
        snprintf(out->error, sizeof out->error, "wait: no time left for replicas");
        return;
    }
    rd_set_timeout(c->conn, left);
    redisReply *r = redisCommand(c->conn, "WAIT %d %d", c->wait_replicas, left - 1);
    if (!r || r->type != REDIS_REPLY_INTEGER || r->integer < c->wait_replicas) {
        out->type = FL_REPLY_INFO;
        if (r && r->type == REDIS_REPLY_INTEGER)
            snprintf(out->error, sizeof out->error, "wait: %lld of %d replicas acknowledged",
                     r->integer, c->wait_replicas);
        else
            snprintf(out->error, sizeof out->error, "wait: no answer");
        if (!r) drop(c);
    }
    if (r) freeReplyObject(r);
}

void rd_client_invoke(fl_client *c, const fl_request *req, int timeout_ms, fl_reply *out) {
    *out = (fl_reply){.type = FL_REPLY_FAIL, .node = -1};
    int64_t deadline = fl_mono_ms() + timeout_ms;
    bool read = !strcmp(req->f, "read"), write = !strcmp(req->f, "write"),
         cas = !strcmp(req->f, "cas");
    if (!read && !write && !cas) {
        snprintf(out->error, sizeof out->error, "unsupported op %s", req->f);
        return;
    }
    if (cas && json_array_size(req->value) != 2) {
        snprintf(out->error, sizeof out->error, "cas takes [old, new]");
        return;
    }
    /* The key's JSON text: the integer 1 and the string "1" stay different keys. */
    char *key = json_dumps(req->key ? req->key : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
    char *a = write ? text_of(req->value) : cas ? text_of(json_array_get(req->value, 0)) : NULL;
    char *b = cas ? text_of(json_array_get(req->value, 1)) : NULL;
    const char *argv[6];
    int argc = 0;
    if (read) argv[argc++] = "GET", argv[argc++] = key;
    else if (write) argv[argc++] = "SET", argv[argc++] = key, argv[argc++] = a;
    else argv[argc++] = "EVAL", argv[argc++] = cas_script, argv[argc++] = "1",
         argv[argc++] = key, argv[argc++] = a, argv[argc++] = b;
    for (int attempt = 1;; attempt++) {
        int left = (int)(deadline - fl_mono_ms());
        bool may_retry = read && attempt < READ_ATTEMPTS && left > RETRY_PAUSE_MS;
        if (!c->conn && (left <= 0 || locate(c, left, out->error, sizeof out->error) != 0)) {
            /* Nothing was sent. */
            if (left <= 0) snprintf(out->error, sizeof out->error, "timeout: no master found");
            if (may_retry) {
                pause_ms(RETRY_PAUSE_MS);
                continue;
            }
            if (left > 0) pause_ms(RETRY_PAUSE_MS); /* do not spin while there is no master */
            break;
        }
        left = (int)(deadline - fl_mono_ms());
        if (left <= 0) { /* finding the master took the op's time: nothing was sent */
            snprintf(out->error, sizeof out->error, "timeout: before sending");
            break;
        }
        rd_set_timeout(c->conn, left);
        out->node = c->master;
        redisReply *r = redisCommandArgv(c->conn, argc, argv, NULL);
        if (!r) {
            /* No answer: the command may have run. */
            snprintf(out->error, sizeof out->error, "%s: %s",
                     c->conn->err == REDIS_ERR_IO ? "timeout-or-io" : "connection-lost",
                     c->conn->errstr);
            drop(c);
            if (may_retry) continue;
            out->type = read ? FL_REPLY_FAIL : FL_REPLY_INFO;
            break;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            /* Refused: nothing happened. A demoted master says READONLY: ask again. */
            error_word(r, out->error, sizeof out->error);
            bool moved = !strcmp(out->error, "READONLY") || !strcmp(out->error, "MASTERDOWN");
            freeReplyObject(r);
            if (moved) drop(c);
            if (moved && may_retry) continue;
            break;
        }
        if (read) {
            out->type = FL_REPLY_OK;
            out->value = value_of(r);
        } else if (write && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK")) {
            out->type = FL_REPLY_OK;
        } else if (cas && r->type == REDIS_REPLY_INTEGER) {
            out->type = r->integer == 1 ? FL_REPLY_OK : FL_REPLY_FAIL;
            if (r->integer != 1) snprintf(out->error, sizeof out->error, "cas-mismatch");
        } else {
            out->type = FL_REPLY_INFO;
            snprintf(out->error, sizeof out->error, "unexpected reply type %d", r->type);
        }
        freeReplyObject(r);
        if (out->type == FL_REPLY_OK && !read && c->wait_replicas > 0)
            wait_for_replicas(c, deadline, out);
        break;
    }
    free(key);
    free(a);
    free(b);
}
