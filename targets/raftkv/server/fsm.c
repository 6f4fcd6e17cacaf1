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
    f->base = NULL;
    f->applied = f->applied_term = 0;
}

void rkv_fsm_init_layer(rkv_fsm *f, const rkv_fsm *base) {
    rkv_fsm_init(f);
    f->base = base;
    f->applied = base->applied;
    f->applied_term = base->applied_term;
}

void rkv_fsm_free(rkv_fsm *f) {
    json_decref(f->kv);
    f->kv = NULL;
    f->base = NULL;
}

static const char *const cmd_names[] = {"write", "cas", "append", "txn"};

char *rkv_command_encode(rkv_cmd_kind kind, const json_t *key, const json_t *value, size_t *len) {
    assert(kind <= RKV_CMD_TXN);
    json_t *cmd = kind == RKV_CMD_TXN
                      ? json_pack("{s:s, s:O}", "f", cmd_names[kind], "value", value)
                      : json_pack("{s:s, s:O, s:O}", "f", cmd_names[kind], "key", key, "value",
                                  value);
    char *text = cmd ? json_dumps(cmd, JSON_COMPACT) : NULL;
    json_decref(cmd);
    if (text) *len = strlen(text);
    return text;
}

/* ckey's value in f or the layers under it (NULL: never written). */
static json_t *lookup(const rkv_fsm *f, const char *ckey) {
    for (; f; f = f->base) {
        json_t *v = json_object_get(f->kv, ckey);
        if (v) return v;
    }
    return NULL;
}

const json_t *rkv_fsm_get(const rkv_fsm *f, const char *ckey) { return lookup(f, ckey); }

/* The map keeps a copy: a value it holds is never shared (a list in a command or a
 * transaction's reply must not change when a later append changes the map's). */
static rkv_result do_write(rkv_fsm *f, const char *ckey, const json_t *value) {
    json_t *copy = json_deep_copy(value);
    return copy && json_object_set_new(f->kv, ckey, copy) == 0 ? RKV_APPLIED : RKV_BAD_COMMAND;
}

static rkv_result do_cas(rkv_fsm *f, const char *ckey, json_t *value) {
    json_t *old = json_array_get(value, 0), *new = json_array_get(value, 1);
    if (json_array_size(value) != 2) return RKV_BAD_COMMAND;
    const json_t *cur = lookup(f, ckey);
    if (!json_equal(cur ? (json_t *)cur : json_null(), old)) return RKV_CAS_MISMATCH;
    return do_write(f, ckey, new);
}

static rkv_result do_append(rkv_fsm *f, const char *ckey, const json_t *elem) {
    json_t *cur = lookup(f, ckey), *own = json_object_get(f->kv, ckey);
    if (cur && !json_is_null(cur) && !json_is_array(cur)) return RKV_NOT_A_LIST;
    json_t *copy = json_deep_copy(elem);
    if (!copy) return RKV_BAD_COMMAND;
    if (own && json_is_array(own)) /* ours alone (fsm.h): change it in place */
        return json_array_append_new(own, copy) == 0 ? RKV_APPLIED : RKV_BAD_COMMAND;
    /* A new list, or a copy of a layer below's (which this layer must not change). */
    json_t *list = cur && json_is_array(cur) ? json_deep_copy(cur) : json_array();
    if (!list || json_array_append_new(list, copy) != 0) {
        json_decref(list);
        return RKV_BAD_COMMAND;
    }
    return json_object_set_new(f->kv, ckey, list) == 0 ? RKV_APPLIED : RKV_BAD_COMMAND;
}

/* ---- transactions ---- */

const char *rkv_txn_check(const json_t *ops, char *err, size_t err_bytes) {
    if (!json_is_array(ops) || json_array_size(ops) < 1 || json_array_size(ops) > RKV_TXN_OPS_MAX) {
        snprintf(err, err_bytes, "a txn's value is a list of 1 to %d micro-ops", RKV_TXN_OPS_MAX);
        return err;
    }
    size_t i;
    const json_t *mop;
    json_array_foreach(ops, i, mop) {
        const char *f = json_string_value(json_array_get(mop, 0));
        char ckey[RKV_KEY_BYTES_MAX + 1], why[RKV_ERR_BYTES];
        if (json_array_size(mop) != 3 || !f || (strcmp(f, "append") && strcmp(f, "r") && strcmp(f, "w"))) {
            snprintf(err, err_bytes, "micro-op %zu is not [F, KEY, VALUE] with F append, r or w", i);
            return err;
        }
        if (fl_key_text(json_array_get(mop, 1), ckey, why, sizeof why) != 0) {
            snprintf(err, err_bytes, "micro-op %zu: %s", i, why);
            return err;
        }
    }
    return NULL;
}

bool rkv_txn_read_only(const json_t *ops) {
    size_t i;
    const json_t *mop;
    json_array_foreach(ops, i, mop)
        if (strcmp(json_string_value(json_array_get(mop, 0)), "r")) return false;
    return true;
}

rkv_result rkv_fsm_txn(rkv_fsm *f, const json_t *ops, json_t **value) {
    char err[RKV_ERR_BYTES], ckey[RKV_KEY_BYTES_MAX + 1];
    *value = NULL;
    if (rkv_txn_check(ops, err, sizeof err)) return RKV_BAD_COMMAND;
    rkv_fsm layer; /* the transaction's own writes, over f: all or nothing */
    rkv_fsm_init_layer(&layer, f);
    json_t *out = json_array();
    if (!out) abort();
    rkv_result r = RKV_APPLIED;
    size_t i;
    json_t *mop;
    json_array_foreach(ops, i, mop) {
        const char *name = json_string_value(json_array_get(mop, 0));
        json_t *key = json_array_get(mop, 1), *v = json_array_get(mop, 2), *filled;
        if (fl_key_text(key, ckey, err, sizeof err) != 0) abort(); /* checked above */
        if (!strcmp(name, "r")) {
            const json_t *cur = lookup(&layer, ckey); /* a copy: later micro-ops change lists */
            filled = json_pack("[s,O,o]", "r", key, cur ? json_deep_copy(cur) : json_null());
        } else {
            r = !strcmp(name, "w") ? do_write(&layer, ckey, v) : do_append(&layer, ckey, v);
            if (r != RKV_APPLIED) break;
            filled = json_deep_copy(mop);
        }
        if (!filled || json_array_append_new(out, filled) != 0) abort();
    }
    if (r == RKV_APPLIED) {
        /* f takes the layer's values over; the layer is freed below, f their one owner */
        if (json_object_update(f->kv, layer.kv) != 0) abort();
        *value = out;
    } else {
        json_decref(out);
    }
    rkv_fsm_free(&layer);
    return r;
}

char *rkv_txn_part_encode(const json_t *ops, size_t i, size_t *len) {
    json_t *one = json_pack("[O]", json_array_get(ops, i));
    char *cmd = one ? rkv_command_encode(RKV_CMD_TXN, NULL, one, len) : NULL;
    json_decref(one);
    return cmd;
}

static rkv_result apply_command(rkv_fsm *f, const raft_entry *e, json_t **out) {
    json_t *cmd = json_loadb((const char *)e->data, e->len, JSON_REJECT_DUPLICATES, NULL);
    const char *name = json_string_value(json_object_get(cmd, "f"));
    json_t *key = json_object_get(cmd, "key"), *value = json_object_get(cmd, "value");
    char ckey[RKV_KEY_BYTES_MAX + 1], err[RKV_ERR_BYTES];
    rkv_result r = RKV_BAD_COMMAND;
    if (name && value && !strcmp(name, "txn")) {
        r = rkv_fsm_txn(f, value, out);
    } else if (name && value && fl_key_text(key, ckey, err, sizeof err) == 0) {
        /* The map stores copies of cmd's values (do_write, do_append). */
        if (!strcmp(name, "write")) r = do_write(f, ckey, value);
        else if (!strcmp(name, "cas")) r = do_cas(f, ckey, value);
        else if (!strcmp(name, "append")) r = do_append(f, ckey, value);
    }
    json_decref(cmd);
    return r;
}

rkv_result rkv_fsm_apply_value(rkv_fsm *f, const raft_entry *e, json_t **value) {
    assert(e->index == f->applied + 1);
    json_t *out = NULL;
    f->applied = e->index;
    f->applied_term = e->term;
    rkv_result r = e->type == RAFT_ENTRY_COMMAND ? apply_command(f, e, &out) : RKV_APPLIED;
    if (value) *value = out;
    else json_decref(out);
    return r;
}

rkv_result rkv_fsm_apply(rkv_fsm *f, const raft_entry *e) { return rkv_fsm_apply_value(f, e, NULL); }

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
