/* The key-value state machine and its commands and snapshots (see fsm.h). */
#include "fsm.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rkv_fsm_init(rkv_fsm *f) {
    f->kv = json_object();
    if (!f->kv) abort();
    f->applied = f->applied_term = 0;
}

void rkv_fsm_free(rkv_fsm *f) {
    json_decref(f->kv);
    f->kv = NULL;
}

static const char *const cmd_names[] = {"write", "cas", "append"};

char *rkv_command_encode(rkv_cmd_kind kind, const json_t *key, const json_t *value, size_t *len) {
    assert(kind <= RKV_CMD_APPEND);
    json_t *cmd = json_pack("{s:s, s:O, s:O}", "f", cmd_names[kind], "key", key, "value", value);
    char *text = cmd ? json_dumps(cmd, JSON_COMPACT) : NULL;
    json_decref(cmd);
    if (text) *len = strlen(text);
    return text;
}

const json_t *rkv_fsm_get(const rkv_fsm *f, const char *ckey) {
    return json_object_get(f->kv, ckey);
}

static rkv_result do_write(rkv_fsm *f, const char *ckey, json_t *value) {
    return json_object_set(f->kv, ckey, value) == 0 ? RKV_APPLIED : RKV_BAD_COMMAND;
}

static rkv_result do_cas(rkv_fsm *f, const char *ckey, json_t *value) {
    json_t *old = json_array_get(value, 0), *new = json_array_get(value, 1);
    if (json_array_size(value) != 2) return RKV_BAD_COMMAND;
    const json_t *cur = json_object_get(f->kv, ckey);
    if (!json_equal(cur ? (json_t *)cur : json_null(), old)) return RKV_CAS_MISMATCH;
    return do_write(f, ckey, new);
}

static rkv_result do_append(rkv_fsm *f, const char *ckey, json_t *elem) {
    json_t *cur = json_object_get(f->kv, ckey);
    if (cur && !json_is_null(cur) && !json_is_array(cur)) return RKV_NOT_A_LIST;
    if (cur && json_is_array(cur)) /* ours alone (fsm.h): change it in place */
        return json_array_append(cur, elem) == 0 ? RKV_APPLIED : RKV_BAD_COMMAND;
    json_t *list = json_pack("[O]", elem);
    if (!list) return RKV_BAD_COMMAND;
    rkv_result r = do_write(f, ckey, list);
    json_decref(list);
    return r;
}

static rkv_result apply_command(rkv_fsm *f, const raft_entry *e) {
    json_t *cmd = json_loadb((const char *)e->data, e->len, JSON_REJECT_DUPLICATES, NULL);
    const char *name = json_string_value(json_object_get(cmd, "f"));
    json_t *key = json_object_get(cmd, "key"), *value = json_object_get(cmd, "value");
    char ckey[RKV_KEY_BYTES_MAX + 1], err[RKV_ERR_BYTES];
    rkv_result r = RKV_BAD_COMMAND;
    if (name && value && fl_key_text(key, ckey, err, sizeof err) == 0) {
        /* The values stored are parts of cmd, which is freed below: the map is left as
         * their only owner. */
        if (!strcmp(name, "write")) r = do_write(f, ckey, value);
        else if (!strcmp(name, "cas")) r = do_cas(f, ckey, value);
        else if (!strcmp(name, "append")) r = do_append(f, ckey, value);
    }
    json_decref(cmd);
    return r;
}

rkv_result rkv_fsm_apply(rkv_fsm *f, const raft_entry *e) {
    assert(e->index == f->applied + 1);
    f->applied = e->index;
    f->applied_term = e->term;
    return e->type == RAFT_ENTRY_COMMAND ? apply_command(f, e) : RKV_APPLIED;
}

char *rkv_fsm_snapshot(const rkv_fsm *f, size_t *len) {
    json_t *pairs = json_array();
    const char *ckey;
    json_t *value;
    bool ok = pairs != NULL;
    json_object_foreach(f->kv, ckey, value) {
        json_t *key = ok ? json_loads(ckey, JSON_DECODE_ANY, NULL) : NULL;
        ok = key && json_array_append_new(pairs, json_pack("[o,O]", key, value)) == 0;
    }
    char *text = ok ? json_dumps(pairs, JSON_COMPACT) : NULL;
    json_decref(pairs);
    if (text) *len = strlen(text);
    return text;
}

int rkv_fsm_restore(rkv_fsm *f, const void *data, size_t len, uint64_t index, uint64_t term,
                    char *err, size_t err_bytes) {
    json_error_t je;
    json_t *pairs = json_loadb(data, len, 0, &je), *kv = json_object();
    if (!kv) abort();
    if (!json_is_array(pairs)) {
        snprintf(err, err_bytes, "snapshot at index %" PRIu64 ": not a JSON array (%s)", index,
                 pairs ? "another JSON value" : je.text);
        goto bad;
    }
    size_t i;
    json_t *pair;
    json_array_foreach(pairs, i, pair) {
        char ckey[RKV_KEY_BYTES_MAX + 1], why[RKV_ERR_BYTES];
        json_t *value = json_array_get(pair, 1);
        if (json_array_size(pair) != 2 ||
            fl_key_text(json_array_get(pair, 0), ckey, why, sizeof why) != 0 ||
            json_object_get(kv, ckey) || json_object_set(kv, ckey, value) != 0) {
            snprintf(err, err_bytes, "snapshot at index %" PRIu64 ": pair %zu is not [key, value] "
                     "with a new key", index, i);
            goto bad;
        }
    }
    json_decref(pairs);
    json_decref(f->kv);
    f->kv = kv;
    f->applied = index;
    f->applied_term = term;
    return 0;
bad:
    json_decref(pairs);
    json_decref(kv);
    return -1;
}

const char *rkv_result_error(rkv_result r) {
    switch (r) {
    case RKV_APPLIED: return NULL;
    case RKV_CAS_MISMATCH: return "cas-mismatch";
    case RKV_NOT_A_LIST: return "not-a-list";
    case RKV_BAD_COMMAND: return "bad-command";
    }
    return "bad-command";
}
