/* Redis Sentinel in the redis target: the config file each node's Sentinel starts from
 * (written at setup, into the Sentinel's own folder: Sentinel rewrites it as it learns
 * replicas, other Sentinels and failovers, so it is never shared or reused), and the
 * questions the adapter and the clients ask a Sentinel: who is master, and how it sees
 * the master. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_target.h"

char *rd_sentinel_config(const fl_target_ctx *t, size_t node) {
    char *data = fl_service_path_of(t, &rd_sentinel, node, FL_SERVICE_DATA);
    if (!data) return NULL;
    size_t cap = strlen(data) + 2048;
    char *text = malloc(cap);
    if (text)
        /* A majority must agree the master is down before a failover starts, as the
         * election that follows needs a majority anyway; with fewer, a minority cut off
         * with the master's node could start one. No scripts: nothing runs on a node
         * that the harness did not start. */
        snprintf(text, cap,
                 "# faultline: the Sentinel of %s (Sentinel rewrites this file)\n"
                 "port %d\n"
                 "bind %s\n"
                 "daemonize no\n"
                 "protected-mode no\n"
                 "dir \"%s\"\n"
                 "logfile \"\"\n"
                 "sentinel monitor " RD_MASTER_NAME " %s %d %zu\n"
                 "sentinel down-after-milliseconds " RD_MASTER_NAME " %d\n"
                 "sentinel failover-timeout " RD_MASTER_NAME " %d\n"
                 "sentinel parallel-syncs " RD_MASTER_NAME " 1\n",
                 t->nodes->nodes[node].name, RD_SENTINEL_PORT, t->nodes->nodes[node].host,
                 data, t->nodes->nodes[0].host, RD_PORT, t->nodes->count / 2 + 1,
                 RD_DOWN_AFTER_MS, RD_FAILOVER_TIMEOUT_MS);
    free(data);
    return text;
}

int rd_sentinel_master(const fl_target_ctx *t, size_t node, int timeout_ms) {
    const char *cmd[] = {"SENTINEL", "get-master-addr-by-name", RD_MASTER_NAME};
    redisReply *r = rd_ask(t, node, RD_SENTINEL_PORT, timeout_ms, 3, cmd);
    int master = -1;
    /* [ip, port], or nil when it monitors no such master */
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_STRING) {
        master = rd_node_of(t, r->element[0]->str);
        if (master < 0) master = -2;
    }
    if (r) freeReplyObject(r);
    return master;
}

int rd_sentinel_master_from(const fl_target_ctx *t, size_t first, int timeout_ms) {
    for (size_t k = 0; k < t->nodes->count; k++) {
        int m = rd_sentinel_master(t, (first + k) % t->nodes->count, timeout_ms);
        if (m >= 0) return m;
    }
    return -1;
}

/* A field of a flat [field, value, field, value …] reply, or NULL. */
static const char *field(const redisReply *r, const char *name) {
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING && !strcmp(k->str, name))
            return v->str;
    }
    return NULL;
}

int rd_sentinel_majority(const fl_target_ctx *t, int timeout_ms) {
    int votes[64] = {0}, best = -1;
    for (size_t i = 0; i < t->nodes->count && i < 64; i++) {
        int m = rd_sentinel_master(t, i, timeout_ms);
        if (m >= 0 && ++votes[m] > (best >= 0 ? votes[best] : 0)) best = m;
    }
    return best;
}

int rd_sentinel_view(const fl_target_ctx *t, size_t node, int timeout_ms, rd_sentinel_seen *out) {
    const char *master_cmd[] = {"SENTINEL", "master", RD_MASTER_NAME};
    const char *replicas_cmd[] = {"SENTINEL", "replicas", RD_MASTER_NAME};
    *out = (rd_sentinel_seen){.other_sentinels = -1, .good_replicas = -1};
    snprintf(out->flags, sizeof out->flags, "?");
    redisReply *m = rd_ask(t, node, RD_SENTINEL_PORT, timeout_ms, 3, master_cmd);
    const char *flags = field(m, "flags"), *others = field(m, "num-other-sentinels");
    if (flags) snprintf(out->flags, sizeof out->flags, "%s", flags);
    if (others) out->other_sentinels = atoi(others);
    if (m) freeReplyObject(m);
    if (!flags) return -1;
    /* A replica it could promote: linked to the master as far as it knows, not down. */
    redisReply *r = rd_ask(t, node, RD_SENTINEL_PORT, timeout_ms, 3, replicas_cmd);
    if (r && r->type == REDIS_REPLY_ARRAY) {
        out->good_replicas = 0;
        for (size_t i = 0; i < r->elements; i++) {
            const char *f = field(r->element[i], "flags"), *link = field(r->element[i], "master-link-status");
            if (f && !strcmp(f, "slave") && link && !strcmp(link, "ok")) out->good_replicas++;
        }
    }
    if (r) freeReplyObject(r);
    return out->good_replicas >= 0 ? 0 : -1;
}
