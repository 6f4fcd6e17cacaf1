/* Short questions to a node's redis-server or Sentinel from the controller (redis
 * target): connections with a deadline on every read and write — a paused server
 * accepts a TCP connection (the kernel does that) and then never answers, and it must
 * not hold a worker or the nemesis — and what PING and ROLE say. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "redis_target.h"

static struct timeval tv_of(int ms) {
    if (ms < 1) ms = 1;
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

redisContext *rd_connect(const char *host, int port, int timeout_ms, char *err, size_t bytes) {
    redisContext *c = redisConnectWithTimeout(host, port, tv_of(timeout_ms));
    if (!c || c->err) {
        if (err) snprintf(err, bytes, "%s:%d: %s", host, port, c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        return NULL;
    }
    /* hiredis 0.14 times only the connect; the replies get their own deadline here. */
    if (redisSetTimeout(c, tv_of(timeout_ms)) != REDIS_OK) {
        if (err) snprintf(err, bytes, "%s:%d: setting a timeout: %s", host, port, strerror(errno));
        redisFree(c);
        return NULL;
    }
    return c;
}

void rd_set_timeout(redisContext *c, int ms) { redisSetTimeout(c, tv_of(ms)); }

int rd_node_of(const fl_target_ctx *t, const char *host) {
    for (size_t i = 0; i < t->nodes->count; i++)
        if (host && !strcmp(t->nodes->nodes[i].host, host)) return (int)i;
    return -1;
}

redisReply *rd_ask(const fl_target_ctx *t, size_t node, int port, int timeout_ms, int argc,
                   const char **argv) {
    redisContext *c = rd_connect(t->nodes->nodes[node].host, port, timeout_ms, NULL, 0);
    if (!c) return NULL;
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    redisFree(c);
    return r;
}

bool rd_pings(const fl_target_ctx *t, size_t node, int port, int timeout_ms) {
    const char *ping[] = {"PING"};
    redisReply *r = rd_ask(t, node, port, timeout_ms, 1, ping);
    bool up = r && ((r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG")) ||
                    (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "LOADING", 7)));
    if (r) freeReplyObject(r);
    return up;
}

static bool is_str(const redisReply *r) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

rd_role rd_role_of(const fl_target_ctx *t, size_t node, int timeout_ms) {
    rd_role role = {.master_node = -1};
    const char *cmd[] = {"ROLE"};
    redisReply *r = rd_ask(t, node, RD_PORT, timeout_ms, 1, cmd);
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 3 && is_str(r->element[0])) {
        role.reachable = true;
        const char *kind = r->element[0]->str;
        if (!strcmp(kind, "master") && r->element[2]->type == REDIS_REPLY_ARRAY) {
            /* ["master", offset, [[ip, port, offset], …]]: the replicas online */
            role.master = true;
            role.replicas = (int)r->element[2]->elements;
        } else if (!strcmp(kind, "slave") && r->elements >= 4 && is_str(r->element[1]) &&
                   is_str(r->element[3])) {
            /* ["slave", master ip, master port, link state, offset] */
            role.master_node = rd_node_of(t, r->element[1]->str);
            role.connected = !strcmp(r->element[3]->str, "connected");
        }
    }
    if (r) freeReplyObject(r);
    return role;
}
