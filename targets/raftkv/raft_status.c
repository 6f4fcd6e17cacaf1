/* Readiness and primaries of a Raft host daemon from every node's status (see .h). */
#include "raft_status.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define STATUS_TIMEOUT_MS 1000
#define READY_ATTEMPTS 200 /* × 100 ms */

/* What node i says of itself: its role and the leader it follows ("" when none). */
static bool node_status(fl_target_ctx *t, const fl_daemon *d, size_t i, char *role,
                        char *leader, size_t bytes) {
    char why[256];
    fl_client *c = fl_daemon_client_open(t, d, i, STATUS_TIMEOUT_MS, why, sizeof why);
    if (!c) return false;
    fl_request req = {"status", NULL, NULL};
    fl_reply r;
    fl_daemon_client_invoke(c, &req, STATUS_TIMEOUT_MS, &r);
    const char *ro = json_string_value(json_object_get(r.value, "role"));
    const char *le = json_string_value(json_object_get(r.value, "leader"));
    bool ok = r.type == FL_REPLY_OK && ro;
    if (ok) {
        snprintf(role, bytes, "%s", ro);
        snprintf(leader, bytes, "%s", le ? le : "");
    }
    json_decref(r.value);
    fl_daemon_client_close(c);
    return ok;
}

int fl_raft_status_ready(fl_target_ctx *t, const fl_daemon *d, char *err, size_t bytes) {
    for (int attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
        char roles[64][64], leaders[64][64];
        for (size_t i = 0; i < t->nodes->count; i++)
            if (!node_status(t, d, i, roles[i], leaders[i], sizeof leaders[i]))
                roles[i][0] = leaders[i][0] = '\0';
        for (size_t i = 0; i < t->nodes->count; i++) {
            if (strcmp(roles[i], "leader")) continue;
            size_t followers = 0;
            for (size_t j = 0; j < t->nodes->count; j++)
                followers += j == i || !strcmp(leaders[j], t->nodes->nodes[i].name);
            if (followers > t->nodes->count / 2) return 0;
        }
        struct timespec pause = {0, 100 * 1000000};
        nanosleep(&pause, NULL);
    }
    snprintf(err, bytes, "no leader followed by a majority within %d s (see nodes/*/%s.log)",
             READY_ATTEMPTS / 10, d->name);
    return -1;
}

int fl_raft_status_primaries(fl_target_ctx *t, const fl_daemon *d, uint64_t *nodes) {
    *nodes = 0;
    for (size_t i = 0; i < t->nodes->count; i++) {
        char role[64], leader[64];
        /* down or cut off from the controller: not a primary anyone can reach */
        if (node_status(t, d, i, role, leader, sizeof leader) && !strcmp(role, "leader"))
            *nodes |= 1ULL << i;
    }
    return 0;
}
