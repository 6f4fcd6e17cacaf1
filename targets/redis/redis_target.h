/* What the redis target's files share (targets/redis; DESIGN.md "Targets", redis): the
 * two daemons of every node, short-timeout questions to a node's redis-server (PING,
 * ROLE) and to its Sentinel (who is master, how many Sentinels it knows), and the
 * client hooks. Redis 7.0 with Sentinel from Debian's redis-server and redis-sentinel,
 * spoken to through hiredis. */
#ifndef FL_REDIS_TARGET_H
#define FL_REDIS_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "service.h"
#include "target.h"

#define RD_PORT 6379
#define RD_SENTINEL_PORT 26379
#define RD_MASTER_NAME "mymaster"
/* Sentinel's timers: a master silent for 2 s is subjectively down; a failover that has
 * not finished in 6 s is given up (and retried after twice that). Short, so that a
 * failover completes inside one of the target's faults. */
#define RD_DOWN_AFTER_MS 2000
#define RD_FAILOVER_TIMEOUT_MS 6000
/* A question to a node during the run (ROLE, a Sentinel query): a paused or cut-off node
 * must not hold the caller, so it gets this long. */
#define RD_PROBE_MS 500

/* redis-server (the target's pidfile: kills and pauses hit it) and redis-sentinel. */
extern const fl_service rd_server;
extern const fl_service rd_sentinel;

/* A connection to host:port that gives up on connecting and on every later read or
 * write after timeout_ms; NULL when it could not connect (why in err). */
redisContext *rd_connect(const char *host, int port, int timeout_ms, char *err, size_t bytes);
/* Set a connection's read and write timeout to ms (at least 1). */
void rd_set_timeout(redisContext *c, int ms);
/* One command (argv) on a fresh connection to node:port; the reply (freeReplyObject it)
 * or NULL when there was none within timeout_ms. */
redisReply *rd_ask(const fl_target_ctx *t, size_t node, int port, int timeout_ms, int argc,
                   const char **argv);
/* The node whose address is host, or -1. */
int rd_node_of(const fl_target_ctx *t, const char *host);

/* What ROLE says on a node. */
typedef struct rd_role {
    bool reachable;      /* it answered ROLE */
    bool master;
    int replicas;        /* master: the replicas it lists */
    int master_node;     /* replica: the node it follows (-1: an address of no node) */
    bool connected;      /* replica: its link to that master is up */
} rd_role;
rd_role rd_role_of(const fl_target_ctx *t, size_t node, int timeout_ms);
/* Whether redis-server (port RD_PORT) or Sentinel (RD_SENTINEL_PORT) on node answers a
 * PING (a replica still loading its first sync counts: it is up). */
bool rd_pings(const fl_target_ctx *t, size_t node, int port, int timeout_ms);

/* The node the Sentinel on node names as master: >= 0; -1 when it did not answer or
 * named none, -2 when it named an address that is no node's. */
int rd_sentinel_master(const fl_target_ctx *t, size_t node, int timeout_ms);
/* The Sentinels' master, asking the one on first, then the others in turn: the first
 * answer, or -1 when none named a node. */
int rd_sentinel_master_from(const fl_target_ctx *t, size_t first, int timeout_ms);
/* The master most Sentinels name (asking every one: one that was cut off may still name
 * an old master), or -1 when none named a node. */
int rd_sentinel_majority(const fl_target_ctx *t, int timeout_ms);
/* What the Sentinel on node knows of the master: its flags ("master" when it thinks all
 * is well), how many other Sentinels it has heard of, and how many replicas it could
 * promote (known, not down, their link to the master up as their last INFO said: a
 * Sentinel that has not yet learnt the replicas from the master's INFO, every 10 s,
 * wins the vote after a kill and aborts with -failover-abort-no-good-slave). */
typedef struct rd_sentinel_seen {
    char flags[128];
    int other_sentinels;
    int good_replicas;
} rd_sentinel_seen;
/* 0, or -1 when it did not answer. */
int rd_sentinel_view(const fl_target_ctx *t, size_t node, int timeout_ms, rd_sentinel_seen *out);
/* The Sentinel's config file for node (malloc'd text; NULL when out of memory): it
 * monitors the first node as the initial master, agreed on by a majority. */
char *rd_sentinel_config(const fl_target_ctx *t, size_t node);

fl_client *rd_client_open(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                          size_t bytes);
void rd_client_invoke(fl_client *c, const fl_request *req, int timeout_ms, fl_reply *out);
void rd_client_close(fl_client *c);

#endif
