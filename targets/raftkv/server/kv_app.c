/* fl-raftkv's app on the Raft host (server.h): the key-value map of fsm.h as the state
 * machine; read through ReadIndex, write, cas and append through the log. */
#include <stdlib.h>

#include "fsm.h"
#include "options.h"
#include "server.h"

static void *kv_create(const rkv_options *o) {
    (void)o;
    rkv_fsm *f = malloc(sizeof *f);
    if (!f) abort();
    rkv_fsm_init(f);
    return f;
}

static void kv_destroy(void *sm) {
    if (sm) rkv_fsm_free(sm);
    free(sm);
}

static const rkv_cmd_kind cmd_of_f[] = {[RKV_F_WRITE] = RKV_CMD_WRITE, [RKV_F_CAS] = RKV_CMD_CAS,
                                        [RKV_F_APPEND] = RKV_CMD_APPEND};

static void kv_request(rkv_server *s, rkv_conn *c, const rkv_line *l) {
    if (l->f == RKV_F_READ) {
        rkv_read_start(s, c, l->id, l->ckey);
        return;
    }
    size_t len = 0;
    char *cmd = rkv_command_encode(cmd_of_f[l->f], l->key, l->value, &len);
    rkv_propose(s, c, l->id, cmd, len);
    free(cmd);
}

static void kv_apply(void *sm, const raft_entry *e, rkv_applied *out) {
    *out = (rkv_applied){rkv_result_error(rkv_fsm_apply(sm, e)), NULL, NULL};
}

static const json_t *kv_get(void *sm, const char *ckey) { return rkv_fsm_get(sm, ckey); }

static char *kv_snapshot(const void *sm, size_t *len) { return rkv_fsm_snapshot(sm, len); }

static int kv_restore(void *sm, const void *data, size_t len, uint64_t index, uint64_t term,
                      char *err, size_t err_bytes) {
    return rkv_fsm_restore(sm, data, len, index, term, err, err_bytes);
}

static size_t kv_count(const void *sm) { return rkv_fsm_keys(sm); }

const rkv_app rkv_kv_app = {
    .name = "fl-raftkv",
    .usage = rkv_usage,
    .ops = &rkv_kv_ops,
    .create = kv_create,
    .destroy = kv_destroy,
    .request = kv_request,
    .apply = kv_apply,
    .get = kv_get,
    .snapshot = kv_snapshot,
    .restore = kv_restore,
    .count = kv_count,
};
