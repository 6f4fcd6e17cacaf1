/* The session checker's driver (see session.h): sort keys into registers and lists,
 * feed every op to its part in history order, run the list rules, and build the
 * verdict. The rules themselves live in registers.c and lists_check.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "empty_history.h"
#include "lists_internal.h"
#include "session_internal.h"

#define HAS_APPEND 1
#define HAS_WRITE 2

int64_t op_group(const fl_history *h, const fl_op *op) {
    if (op->key != FL_NO_KEY || op->pair == FL_NO_PAIR) return (int64_t)op->key + 1;
    return (int64_t)h->ops[op->pair].key + 1;
}

bool is_claimed(const checker *c, int guarantee) { return c->claimed & (1u << guarantee); }

int out_of_memory(checker *c) {
    fl_error_set(c->err, c->h->source, 0, 0, "out of memory in the session checker");
    return -1;
}

int refuse(checker *c, size_t pos, const char *what, const char *fmt, ...) {
    const fl_op *op = &c->h->ops[pos];
    char why[FL_ERR_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    fl_error_set(c->err, c->h->source, op->line, 0, "%s (index %lld) of process %lld %s", what,
                 (long long)op->index, (long long)op->process, why);
    return -1;
}

static bool is_write(const char *f) { return !strcmp(f, "write") || !strcmp(f, "cas"); }

/* Every key's kind from the f's of its invocations; refuses a key with both appends and
 * writes, and completions that were never paired. */
static int classify_keys(checker *c) {
    const fl_history *h = c->h;
    uint8_t *seen = calloc(c->n_groups, 1);
    int64_t *first = calloc(c->n_groups, sizeof *first);
    if (!seen || !first) {
        free(seen);
        free(first);
        return out_of_memory(c);
    }
    int rc = 0;
    for (size_t i = 0; i < h->count && rc == 0; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS) continue;
        if (op->type != FL_INVOKE && op->pair == FL_NO_PAIR) {
            rc = refuse(c, i, fl_op_type_name(op->type), "has no paired invocation: the history "
                        "must be paired (fl_history_pair) before the session checker runs");
            break;
        }
        if (op->type != FL_INVOKE) continue;
        int64_t g = op_group(h, op);
        uint8_t bit = !strcmp(op->f, "append") ? HAS_APPEND : is_write(op->f) ? HAS_WRITE : 0;
        if (!bit) continue;
        if (seen[g] && !(seen[g] & bit)) {
            char key[96];
            key_text(c, g, key, sizeof key);
            rc = refuse(c, i, op->f, "is on key %s, which the %s at index %lld used too: a key "
                        "is either a register (read, write, cas) or a list (append, read)",
                        key, h->ops[first[g]].f, op_index(c, first[g]));
        }
        if (!seen[g]) first[g] = (int64_t)i;
        seen[g] |= bit;
    }
    for (size_t g = 0; g < c->n_groups; g++) {
        c->kind[g] = seen[g] == HAS_APPEND ? KEY_LIST : seen[g] == HAS_WRITE ? KEY_REGISTER
                                                                             : KEY_UNUSED;
        c->list_keys += c->kind[g] == KEY_LIST;
        c->register_keys += c->kind[g] == KEY_REGISTER;
    }
    free(seen);
    free(first);
    return rc;
}

/* Feed every client op on a register or list key to its part. */
static int feed_ops(checker *c) {
    const fl_history *h = c->h;
    for (size_t i = 0; i < h->count; i++) {
        const fl_op *op = &h->ops[i];
        if (op->process == FL_PROCESS_NEMESIS) continue;
        int kind = c->kind[op_group(h, op)];
        if (kind == KEY_UNUSED) continue;
        const char *f = op->type == FL_INVOKE ? op->f : h->ops[op->pair].f;
        bool ours = !strcmp(f, "read") || !strcmp(f, "append") || is_write(f);
        if (ours && op->type == FL_INVOKE &&
            fl_pairmap_put(&c->processes, op->process, 0, 0) == FL_PAIRMAP_OOM)
            return out_of_memory(c);
        int rc = kind == KEY_LIST ? lists_op(c, c->list, i) : registers_op(c, c->reg, i);
        if (rc != 0) return rc;
    }
    return lists_check(c, c->list);
}

/* The rules applied for guarantee g, given the kinds of keys present and the claims. */
static json_t *rules_applied(const checker *c, int g) {
    json_t *rules = json_array();
    bool list = c->list_keys > 0, reg = c->register_keys > 0;
#define RULE(cond, name) \
    if (cond) json_array_append_new(rules, json_string(name))
    switch (g) {
    case G_RYW:
        RULE(list, "own-append-missing");
        RULE(reg, "initial-after-own-write");
        RULE(reg, "own-cas-overwritten");
        RULE(reg && is_claimed(c, G_MW), "own-write-overwritten");
        RULE(reg && is_claimed(c, G_WFR), "read-value-overwritten");
        break;
    case G_MR:
        RULE(list, "read-not-extended");
        RULE(reg, "initial-after-read");
        RULE(reg, "read-value-reverted");
        break;
    case G_MW:
        RULE(list, "missing-earlier-append");
        RULE(list, "session-order-reversed");
        break;
    default:
        RULE(list, "read-not-prefix-before-append");
        break;
    }
#undef RULE
    return rules;
}

static json_t *guarantee_result(checker *c, int g) {
    bool registers_unchecked = g == G_MW || g == G_WFR;
    size_t checked = c->list_keys + (registers_unchecked ? 0 : c->register_keys);
    size_t unchecked = registers_unchecked ? c->register_keys : 0;
    violation_list *v = &c->violations[g];
    json_t *o = json_object();
    json_object_set_new(o, "valid", checked == 0 ? json_string("not-checked")
                                                 : json_boolean(v->count == 0));
    json_object_set_new(o, "violation_count", json_integer((json_int_t)v->count));
    json_object_set_new(o, "violations", json_incref(v->shown));
    json_object_set_new(o, "rules", rules_applied(c, g));
    json_object_set_new(o, "checked_keys", json_integer((json_int_t)checked));
    if (unchecked) {
        char reason[320];
        snprintf(reason, sizeof reason,
                 "not checked on the %zu register key%s: no rule for %s is sound on registers, "
                 "where a read shows only the last write its replica had, not which earlier "
                 "writes it had nor their order",
                 unchecked, unchecked == 1 ? "" : "s", fl_session_guarantee_name(1u << g));
        json_object_set_new(o, "not_checked_keys", json_integer((json_int_t)unchecked));
        json_object_set_new(o, "reason", json_string(reason));
    } else if (checked == 0) {
        json_object_set_new(o, "reason",
                            json_string("no register or list-append key in the history"));
    }
    return o;
}

static json_t *build_result(checker *c) {
    json_t *guarantees = json_object();
    bool violated = false, any_checked = false;
    for (int g = 0; g < G_COUNT; g++) {
        if (!is_claimed(c, g)) continue;
        json_t *r = guarantee_result(c, g);
        violated |= json_is_false(json_object_get(r, "valid"));
        any_checked |= json_is_boolean(json_object_get(r, "valid"));
        json_object_set_new(guarantees, fl_session_guarantee_name(1u << g), r);
    }
    json_t *result = json_object();
    const char *reason = NULL;
    if (!violated && c->reads == 0)
        reason = "no ok read of a register or list-append key";
    else if (!violated && !any_checked)
        reason = "none of the claimed guarantees can be checked on the keys of this history "
                 "(monotonic writes and writes-follow-reads need list-append keys)";
    json_object_set_new(result, "valid", violated ? json_false()
                                         : reason ? json_string("unknown")
                                                  : json_true());
    if (reason) json_object_set_new(result, "reason", json_string(reason));
    json_object_set_new(result, "guarantees", guarantees);
    json_object_set_new(result, "sessions", json_integer((json_int_t)c->processes.count));
    json_object_set_new(result, "reads", json_integer((json_int_t)c->reads));
    json_object_set_new(result, "keys", json_integer((json_int_t)(c->list_keys + c->register_keys)));
    json_object_set_new(result, "list_keys", json_integer((json_int_t)c->list_keys));
    json_object_set_new(result, "register_keys", json_integer((json_int_t)c->register_keys));
    json_object_set_new(result, "duplicate_element_reads",
                        json_integer((json_int_t)c->duplicate_element_reads));
    return result;
}

json_t *fl_check_session(const fl_history *h, unsigned guarantees, fl_error *err) {
    fl_error local;
    checker c;
    memset(&c, 0, sizeof c);
    c.h = h;
    c.err = err ? err : &local;
    c.claimed = guarantees & FL_SESSION_ALL ? guarantees & FL_SESSION_ALL : FL_SESSION_ALL;
    if (h->count > FL_PAIRMAP_ID_MAX / 2) {
        fl_error_set(c.err, h->source, 0, 0, "too many ops for the session checker (%zu)",
                     h->count);
        return NULL;
    }
    json_t *result = NULL;
    c.n_groups = h->key_count + 1;
    c.kind = calloc(c.n_groups, 1);
    c.reg = registers_new();
    c.list = lists_new();
    for (int g = 0; g < G_COUNT; g++) c.violations[g].shown = json_array();
    if (!c.kind || !c.reg || !c.list) {
        out_of_memory(&c);
        goto done;
    }
    if (classify_keys(&c) == 0 && feed_ops(&c) == 0)
        result = fl_empty_history_valid(h, build_result(&c));
done:
    for (int g = 0; g < G_COUNT; g++) json_decref(c.violations[g].shown);
    fl_pairmap_free(&c.sessions);
    fl_pairmap_free(&c.processes);
    registers_free(c.reg);
    lists_free(c.list);
    free(c.kind);
    return result;
}
