/* Unit tests of fl-raftkv's pieces without sockets: the state machine (commands, results,
 * key identity, snapshots), the wire (client requests, hello, raft lines, replies), the
 * storage (hard state slots, appends and suffix truncation, torn tails, corruption,
 * compaction, installs, and a crash between a snapshot and its log rewrite) and the
 * command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsm.h"
#include "options.h"
#include "proto.h"
#include "raft.h"
#include "storage.h"

/* ---- helpers ---- */

static raft_entry cmd_entry(uint64_t index, uint64_t term, const char *json) {
    return (raft_entry){index, term, RAFT_ENTRY_COMMAND, (uint32_t)strlen(json), (uint8_t *)json};
}

static rkv_result apply_json(rkv_fsm *f, const char *json) {
    raft_entry e = cmd_entry(f->applied + 1, 1, json);
    return rkv_fsm_apply(f, &e);
}

static void assert_value(const rkv_fsm *f, const char *ckey, const char *want_json) {
    const json_t *v = rkv_fsm_get(f, ckey);
    if (!want_json) {
        assert_null(v);
        return;
    }
    assert_non_null(v);
    char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (strcmp(got, want_json)) fail_msg("%s: got %s, want %s", ckey, got, want_json);
    free(got);
}

static char *temp_dir(void) {
    char *dir = strdup("/tmp/fl-rkv-parts.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void remove_dir(char *dir) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void file_path(char *out, size_t bytes, const char *dir, const char *name) {
    snprintf(out, bytes, "%s/%s", dir, name);
}

/* ---- state machine ---- */

static void test_fsm_commands(void **state) {
    (void)state;
    rkv_fsm f;
    rkv_fsm_init(&f);
    assert_int_equal(apply_json(&f, "{\"f\":\"write\",\"key\":\"x\",\"value\":5}"), RKV_APPLIED);
    assert_value(&f, "\"x\"", "5");
    assert_int_equal(apply_json(&f, "{\"f\":\"write\",\"key\":1,\"value\":\"int\"}"), RKV_APPLIED);
    assert_int_equal(apply_json(&f, "{\"f\":\"write\",\"key\":\"1\",\"value\":\"str\"}"), RKV_APPLIED);
    assert_value(&f, "1", "\"int\"");
    assert_value(&f, "\"1\"", "\"str\"");
    assert_int_equal(apply_json(&f, "{\"f\":\"cas\",\"key\":\"x\",\"value\":[5,6]}"), RKV_APPLIED);
    assert_int_equal(apply_json(&f, "{\"f\":\"cas\",\"key\":\"x\",\"value\":[5,7]}"), RKV_CAS_MISMATCH);
    assert_int_equal(apply_json(&f, "{\"f\":\"cas\",\"key\":\"x\",\"value\":[6.0,7]}"), RKV_CAS_MISMATCH);
    assert_value(&f, "\"x\"", "6");
    /* never written is null */
    assert_int_equal(apply_json(&f, "{\"f\":\"cas\",\"key\":\"n\",\"value\":[null,{\"a\":1}]}"), RKV_APPLIED);
    assert_int_equal(apply_json(&f, "{\"f\":\"cas\",\"key\":\"n\",\"value\":[{\"a\":1},2]}"), RKV_APPLIED);
    assert_value(&f, "\"n\"", "2");
    /* append: null -> list; list grows; anything else fails and changes nothing */
    assert_int_equal(apply_json(&f, "{\"f\":\"append\",\"key\":\"l\",\"value\":1}"), RKV_APPLIED);
    assert_int_equal(apply_json(&f, "{\"f\":\"append\",\"key\":\"l\",\"value\":[2]}"), RKV_APPLIED);
    assert_value(&f, "\"l\"", "[1,[2]]");
    assert_int_equal(apply_json(&f, "{\"f\":\"append\",\"key\":\"x\",\"value\":3}"), RKV_NOT_A_LIST);
    assert_value(&f, "\"x\"", "6");
    assert_int_equal(apply_json(&f, "{\"f\":\"write\",\"key\":\"z\",\"value\":null}"), RKV_APPLIED);
    assert_int_equal(apply_json(&f, "{\"f\":\"append\",\"key\":\"z\",\"value\":\"a\"}"), RKV_APPLIED);
    assert_value(&f, "\"z\"", "[\"a\"]");
    /* bytes that are no command change nothing but are applied (the index moves on) */
    uint64_t before = f.applied;
    assert_int_equal(apply_json(&f, "not json"), RKV_BAD_COMMAND);
    assert_int_equal(apply_json(&f, "{\"f\":\"delete\",\"key\":\"x\",\"value\":1}"), RKV_BAD_COMMAND);
    assert_int_equal(apply_json(&f, "{\"f\":\"cas\",\"key\":\"x\",\"value\":[6]}"), RKV_BAD_COMMAND);
    assert_int_equal(f.applied, before + 3);
    raft_entry noop = {f.applied + 1, 4, RAFT_ENTRY_NOOP, 0, NULL};
    assert_int_equal(rkv_fsm_apply(&f, &noop), RKV_APPLIED);
    assert_int_equal(f.applied_term, 4);
    assert_value(&f, "\"never\"", NULL);
    assert_string_equal(rkv_result_error(RKV_CAS_MISMATCH), "cas-mismatch");
    assert_null(rkv_result_error(RKV_APPLIED));
    rkv_fsm_free(&f);
}

static void test_fsm_command_encode(void **state) {
    (void)state;
    json_t *key = json_integer(7), *value = json_pack("[i,s]", 1, "b");
    size_t len = 0;
    char *cmd = rkv_command_encode(RKV_CMD_CAS, key, value, &len);
    assert_string_equal(cmd, "{\"f\":\"cas\",\"key\":7,\"value\":[1,\"b\"]}");
    assert_int_equal(len, strlen(cmd));
    rkv_fsm f;
    rkv_fsm_init(&f);
    assert_int_equal(apply_json(&f, "{\"f\":\"write\",\"key\":7,\"value\":1}"), RKV_APPLIED);
    assert_int_equal(apply_json(&f, cmd), RKV_APPLIED);
    assert_value(&f, "7", "\"b\"");
    free(cmd);
    json_decref(key);
    json_decref(value);
    rkv_fsm_free(&f);
}

static void test_fsm_snapshot(void **state) {
    (void)state;
    rkv_fsm f, g;
    rkv_fsm_init(&f);
    rkv_fsm_init(&g);
    apply_json(&f, "{\"f\":\"write\",\"key\":\"a\",\"value\":{\"x\":[1,null]}}");
    apply_json(&f, "{\"f\":\"write\",\"key\":1,\"value\":\"one\"}");
    apply_json(&f, "{\"f\":\"write\",\"key\":\"1\",\"value\":\"\\\"one\\\"\"}");
    apply_json(&f, "{\"f\":\"append\",\"key\":\"l\",\"value\":3}");
    size_t len = 0;
    char *snap = rkv_fsm_snapshot(&f, &len), err[RKV_ERR_BYTES];
    assert_non_null(snap);
    assert_int_equal(rkv_fsm_restore(&g, snap, len, 9, 2, err, sizeof err), 0);
    assert_int_equal(g.applied, 9);
    assert_int_equal(g.applied_term, 2);
    assert_int_equal(rkv_fsm_keys(&g), 4);
    assert_true(json_equal(f.kv, g.kv));
    free(snap);
    /* appends after a restore change the restored list */
    raft_entry e = cmd_entry(10, 2, "{\"f\":\"append\",\"key\":\"l\",\"value\":4}");
    assert_int_equal(rkv_fsm_apply(&g, &e), RKV_APPLIED);
    assert_value(&g, "\"l\"", "[3,4]");
    static const char *const bad[] = {"", "{}", "[[1]]", "[[1.5,2]]", "[[\"a\",1],[\"a\",2]]", "[3]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(rkv_fsm_restore(&g, bad[i], strlen(bad[i]), 11, 2, err, sizeof err), -1);
        assert_int_equal(g.applied, 10); /* unchanged */
    }
    len = 0;
    rkv_fsm_free(&f);
    rkv_fsm_init(&f);
    snap = rkv_fsm_snapshot(&f, &len);
    assert_string_equal(snap, "[]");
    free(snap);
    rkv_fsm_free(&f);
    rkv_fsm_free(&g);
}

/* ---- transactions ---- */

/* Applies a command as the next entry; its result, and its reply value as compact JSON in
 * got ("" when none). */
static rkv_result apply_txn(rkv_fsm *f, const char *json, char *got, size_t bytes) {
    raft_entry e = cmd_entry(f->applied + 1, 1, json);
    json_t *value = NULL;
    rkv_result r = rkv_fsm_apply_value(f, &e, &value);
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    snprintf(got, bytes, "%s", text ? text : "");
    free(text);
    json_decref(value);
    return r;
}

#define TXN(ops) "{\"f\":\"txn\",\"value\":" ops "}"

/* One entry, all micro-ops at once; a micro-op that fails undoes the whole txn. */
static void test_fsm_txn_atomic(void **state) {
    (void)state;
    rkv_fsm f;
    rkv_fsm_init(&f);
    char got[512];
    assert_int_equal(apply_txn(&f, TXN("[[\"append\",\"x\",1],[\"w\",7,5],[\"append\",\"x\",2]]"),
                               got, sizeof got), RKV_APPLIED);
    assert_string_equal(got, "[[\"append\",\"x\",1],[\"w\",7,5],[\"append\",\"x\",2]]");
    assert_int_equal(f.applied, 1);
    assert_value(&f, "\"x\"", "[1,2]");
    assert_value(&f, "7", "5");
    /* the third micro-op appends to a register: nothing of the txn takes effect */
    assert_int_equal(apply_txn(&f, TXN("[[\"append\",\"x\",3],[\"w\",\"y\",1],[\"append\",7,4]]"),
                               got, sizeof got), RKV_NOT_A_LIST);
    assert_string_equal(got, "");
    assert_int_equal(f.applied, 2); /* the entry applied, as a no-op */
    assert_value(&f, "\"x\"", "[1,2]");
    assert_value(&f, "\"y\"", NULL);
    assert_int_equal(rkv_fsm_keys(&f), 2);
    /* not a txn's micro-ops: a bad command, no effect */
    assert_int_equal(apply_txn(&f, TXN("[[\"w\",\"y\",1],[\"incr\",\"y\",1]]"), got, sizeof got),
                     RKV_BAD_COMMAND);
    assert_int_equal(apply_txn(&f, TXN("[]"), got, sizeof got), RKV_BAD_COMMAND);
    assert_value(&f, "\"y\"", NULL);
    /* the snapshot holds the txns' values like any others */
    size_t len = 0;
    char *snap = rkv_fsm_snapshot(&f, &len);
    assert_string_equal(snap, "[[\"x\",[1,2]],[7,5]]");
    free(snap);
    rkv_fsm_free(&f);
}

/* A read sees the txn's own earlier writes, and only those before it. */
static void test_fsm_txn_own_writes(void **state) {
    (void)state;
    rkv_fsm f;
    rkv_fsm_init(&f);
    char got[512];
    assert_int_equal(apply_txn(&f, TXN("[[\"r\",1,null],[\"append\",1,1],[\"r\",1,null],"
                                       "[\"append\",1,2],[\"r\",1,null],[\"r\",2,null],"
                                       "[\"w\",2,9],[\"r\",2,null],[\"w\",2,10],[\"r\",2,null]]"),
                               got, sizeof got), RKV_APPLIED);
    assert_string_equal(got, "[[\"r\",1,null],[\"append\",1,1],[\"r\",1,[1]],[\"append\",1,2],"
                             "[\"r\",1,[1,2]],[\"r\",2,null],[\"w\",2,9],[\"r\",2,9],"
                             "[\"w\",2,10],[\"r\",2,10]]");
    /* a read's value is a copy: the append after it in the same txn does not show in it */
    assert_int_equal(apply_txn(&f, TXN("[[\"r\",1,\"ignored\"],[\"append\",1,3],[\"r\",1,null]]"),
                               got, sizeof got), RKV_APPLIED);
    assert_string_equal(got, "[[\"r\",1,[1,2]],[\"append\",1,3],[\"r\",1,[1,2,3]]]");
    /* keys "1" and 1 differ inside a txn too */
    assert_int_equal(apply_txn(&f, TXN("[[\"r\",\"1\",null],[\"w\",\"1\",4],[\"r\",1,null]]"),
                               got, sizeof got), RKV_APPLIED);
    assert_string_equal(got, "[[\"r\",\"1\",null],[\"w\",\"1\",4],[\"r\",1,[1,2,3]]]");
    assert_value(&f, "1", "[1,2,3]");
    assert_value(&f, "\"1\"", "4");
    rkv_fsm_free(&f);
}

static void test_txn_check_and_encode(void **state) {
    (void)state;
    char err[RKV_ERR_BYTES];
    static const char *const bad[] = {"5", "[]", "[5]", "[[\"r\",1]]", "[[\"x\",1,1]]",
                                      "[[\"r\",1.5,null]]", "[[\"w\",[1],1]]", "[[1,1,1]]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *ops = json_loads(bad[i], JSON_DECODE_ANY, NULL);
        assert_non_null(ops);
        assert_non_null(rkv_txn_check(ops, err, sizeof err));
        json_decref(ops);
    }
    json_t *ops = json_loads("[[\"r\",1,null],[\"r\",\"k\",null]]", 0, NULL);
    assert_null(rkv_txn_check(ops, err, sizeof err));
    assert_true(rkv_txn_read_only(ops));
    size_t len = 0;
    char *cmd = rkv_command_encode(RKV_CMD_TXN, NULL, ops, &len);
    assert_string_equal(cmd, "{\"f\":\"txn\",\"value\":[[\"r\",1,null],[\"r\",\"k\",null]]}");
    free(cmd);
    json_array_append_new(ops, json_pack("[s,i,i]", "append", 1, 1));
    assert_false(rkv_txn_read_only(ops));
    json_decref(ops);
}

/* dirty-read's mechanism: a layer over the map holding an entry not yet committed shows
 * its write to a read-only txn, while the map (what commits) does not have it. */
static void test_fsm_layer_dirty_read(void **state) {
    (void)state;
    rkv_fsm f, spec;
    rkv_fsm_init(&f);
    char got[512];
    apply_txn(&f, TXN("[[\"append\",\"x\",1],[\"w\",\"y\",1]]"), got, sizeof got);
    rkv_fsm_init_layer(&spec, &f);
    assert_int_equal(spec.applied, f.applied);
    raft_entry e = cmd_entry(spec.applied + 1, 2, TXN("[[\"append\",\"x\",2],[\"w\",\"y\",2]]"));
    assert_int_equal(rkv_fsm_apply(&spec, &e), RKV_APPLIED); /* uncommitted: on the layer */
    json_t *ro = json_loads("[[\"r\",\"x\",null],[\"r\",\"y\",null]]", 0, NULL), *value = NULL;
    assert_int_equal(rkv_fsm_txn(&spec, ro, &value), RKV_APPLIED);
    char *text = json_dumps(value, JSON_COMPACT);
    assert_string_equal(text, "[[\"r\",\"x\",[1,2]],[\"r\",\"y\",2]]"); /* the dirty read */
    free(text);
    json_decref(value);
    assert_value(&spec, "\"x\"", "[1,2]");
    rkv_fsm_free(&spec);
    /* the map, as committed, never had the entry's writes: the layer copied the list */
    assert_value(&f, "\"x\"", "[1]");
    assert_value(&f, "\"y\"", "1");
    assert_int_equal(rkv_fsm_txn(&f, ro, &value), RKV_APPLIED);
    text = json_dumps(value, JSON_COMPACT);
    assert_string_equal(text, "[[\"r\",\"x\",[1]],[\"r\",\"y\",1]]");
    free(text);
    json_decref(value);
    json_decref(ro);
    rkv_fsm_free(&f);
}

/* split-txn's mechanism: each micro-op its own entry, so two txns' entries interleave —
 * both read x empty and both append: a lost update, which one entry per txn never gives. */
static void test_split_txn_entries(void **state) {
    (void)state;
    json_t *t1 = json_loads("[[\"r\",\"x\",null],[\"append\",\"x\",1]]", 0, NULL);
    json_t *t2 = json_loads("[[\"r\",\"x\",null],[\"append\",\"x\",2]]", 0, NULL);
    size_t len = 0;
    char *p[2][2];
    for (size_t i = 0; i < 2; i++) {
        p[0][i] = rkv_txn_part_encode(t1, i, &len);
        p[1][i] = rkv_txn_part_encode(t2, i, &len);
    }
    assert_string_equal(p[0][0], TXN("[[\"r\",\"x\",null]]"));
    assert_string_equal(p[1][1], TXN("[[\"append\",\"x\",2]]"));
    assert_null(rkv_txn_part_encode(t1, 2, &len));
    rkv_fsm f;
    rkv_fsm_init(&f);
    char got[4][128];
    apply_txn(&f, p[0][0], got[0], sizeof got[0]); /* T1's read */
    apply_txn(&f, p[1][0], got[1], sizeof got[1]); /* T2's read, between T1's parts */
    apply_txn(&f, p[0][1], got[2], sizeof got[2]);
    apply_txn(&f, p[1][1], got[3], sizeof got[3]);
    assert_int_equal(f.applied, 4);
    assert_string_equal(got[0], "[[\"r\",\"x\",null]]");
    assert_string_equal(got[1], "[[\"r\",\"x\",null]]");
    assert_value(&f, "\"x\"", "[1,2]");
    /* the same two txns as one entry each: T2 reads T1's append */
    rkv_fsm g;
    rkv_fsm_init(&g);
    char *c1 = rkv_command_encode(RKV_CMD_TXN, NULL, t1, &len), *c2 = rkv_command_encode(RKV_CMD_TXN, NULL, t2, &len);
    apply_txn(&g, c1, got[0], sizeof got[0]);
    apply_txn(&g, c2, got[1], sizeof got[1]);
    assert_string_equal(got[1], "[[\"r\",\"x\",[1]],[\"append\",\"x\",2]]");
    free(c1);
    free(c2);
    for (size_t i = 0; i < 2; i++) free(p[0][i]), free(p[1][i]);
    json_decref(t1);
    json_decref(t2);
    rkv_fsm_free(&f);
    rkv_fsm_free(&g);
}

/* ---- wire ---- */

#define PARSE(text, l, err) rkv_parse_line((text), strlen(text), 3, (l), (err), sizeof(err))

static void test_parse_requests(void **state) {
    (void)state;
    rkv_line l;
    char err[RKV_ERR_BYTES];
    assert_int_equal(PARSE("{\"id\":1,\"f\":\"read\",\"key\":\"x\"}", &l, err), RKV_PARSE_OK);
    assert_int_equal(l.kind, RKV_LINE_REQUEST);
    assert_int_equal(l.f, RKV_F_READ);
    assert_string_equal(l.ckey, "\"x\"");
    assert_int_equal(json_integer_value(l.id), 1);
    rkv_line_release(&l);
    assert_int_equal(PARSE("{\"f\":\"cas\",\"key\":3,\"value\":[null,1]}", &l, err), RKV_PARSE_OK);
    assert_int_equal(l.f, RKV_F_CAS);
    assert_string_equal(l.ckey, "3");
    assert_null(l.id);
    rkv_line_release(&l);
    assert_int_equal(PARSE("{\"id\":\"a\",\"f\":\"append\",\"key\":\"l\",\"value\":{}}", &l, err), RKV_PARSE_OK);
    assert_int_equal(l.f, RKV_F_APPEND);
    rkv_line_release(&l);
    assert_int_equal(PARSE("{\"id\":2,\"f\":\"status\"}", &l, err), RKV_PARSE_OK);
    assert_int_equal(l.f, RKV_F_STATUS);
    rkv_line_release(&l);
    /* txn: no key; its value is checked by the app (rkv_txn_check) */
    assert_int_equal(PARSE("{\"id\":3,\"f\":\"txn\",\"value\":[[\"r\",\"x\",null]]}", &l, err), RKV_PARSE_OK);
    assert_int_equal(l.f, RKV_F_TXN);
    assert_false(l.host);
    assert_null(l.key);
    assert_int_equal(json_array_size(l.value), 1);
    rkv_line_release(&l);
    static const struct { const char *line, *says; rkv_parse_status st; int id; } bad[] = {
        {"", "not JSON", RKV_PARSE_MALFORMED, 0},
        {"[1]", "object", RKV_PARSE_MALFORMED, 0},
        {"{\"id\":1}", "missing f", RKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"read\"}", "missing key", RKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"read\",\"key\":true}", "string or an integer", RKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"write\",\"key\":\"x\"}", "missing value", RKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"txn\"}", "missing value", RKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"cas\",\"key\":\"x\",\"value\":[1]}", "[old, new]", RKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"cas\",\"key\":\"x\",\"value\":5}", "[old, new]", RKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"read\",\"key\":\"x\",\"key\":\"y\"}", "duplicate", RKV_PARSE_MALFORMED, 0},
        {"{\"id\":1,\"f\":\"incr\",\"key\":\"x\"}", "unknown f 'incr'", RKV_PARSE_UNKNOWN_F, 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(PARSE(bad[i].line, &l, err), bad[i].st);
        assert_int_equal(l.kind, RKV_LINE_REQUEST);
        if (!strstr(err, bad[i].says)) fail_msg("'%s': error '%s'", bad[i].line, err);
        if (bad[i].id) assert_int_equal(json_integer_value(l.id), 1);
        else assert_null(l.id);
        rkv_line_release(&l);
    }
}

static void test_parse_peer_lines(void **state) {
    (void)state;
    rkv_line l;
    char err[RKV_ERR_BYTES];
    fl_buf b;
    fl_buf_init(&b, 1 << 20);
    assert_int_equal(rkv_encode_hello(&b, "n1", 3), 0);
    assert_int_equal(rkv_parse_line(fl_buf_bytes(&b), fl_buf_len(&b) - 1, 3, &l, err, sizeof err),
                     RKV_PARSE_OK);
    assert_int_equal(l.kind, RKV_LINE_HELLO);
    assert_string_equal(l.from, "n1");
    assert_int_equal(l.peer_count, 3);
    rkv_line_release(&l);
    fl_buf_clear(&b);
    raft_entry es[2] = {{8, 3, RAFT_ENTRY_NOOP, 0, NULL}, cmd_entry(9, 3, "{\"f\":\"write\"}")};
    raft_msg m = {.type = RAFT_MSG_APPEND, .from = 0, .to = 2, .term = 3, .index = 7,
                  .log_term = 2, .commit = 6, .read_seq = 4, .entries = es, .n_entries = 2};
    assert_int_equal(rkv_encode_raft(&b, &m), 0);
    assert_int_equal(fl_buf_bytes(&b)[fl_buf_len(&b) - 1], '\n');
    assert_int_equal(rkv_parse_line(fl_buf_bytes(&b), fl_buf_len(&b) - 1, 3, &l, err, sizeof err),
                     RKV_PARSE_OK);
    assert_int_equal(l.kind, RKV_LINE_RAFT);
    assert_int_equal(l.msg.type, RAFT_MSG_APPEND);
    assert_int_equal(l.msg.n_entries, 2);
    assert_memory_equal(l.msg.entries[1].data, es[1].data, es[1].len);
    rkv_line_release(&l);
    /* the same message for a cluster of two names a node that does not exist */
    assert_int_equal(rkv_parse_line(fl_buf_bytes(&b), fl_buf_len(&b) - 1, 2, &l, err, sizeof err),
                     RKV_PARSE_MALFORMED);
    assert_int_equal(l.kind, RKV_LINE_RAFT);
    rkv_line_release(&l);
    static const char *const bad[] = {
        "{\"p\":\"hello\",\"from\":\"n1\"}", "{\"p\":\"bye\",\"from\":\"n1\",\"n\":3}",
        "{\"raft\":{\"type\":\"vote\"}}", "{\"raft\":5}",
        "{\"raft\":{\"type\":\"vote_resp\",\"from\":1,\"to\":0,\"term\":3,\"granted\":true},\"x\":1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(PARSE(bad[i], &l, err), RKV_PARSE_MALFORMED);
        assert_int_not_equal(l.kind, RKV_LINE_REQUEST);
        rkv_line_release(&l);
    }
    fl_buf_free(&b);
}

static void test_replies(void **state) {
    (void)state;
    fl_buf b;
    fl_buf_init(&b, 1 << 16);
    json_t *id = json_integer(4), *v = json_pack("[i,n]", 1);
    assert_int_equal(fl_reply_ok(&b, id, v, NULL), 0);
    assert_int_equal(fl_reply_ok(&b, NULL, NULL, "n2"), 0);
    assert_int_equal(fl_reply_error(&b, id, "fail", "not-leader", NULL, "n3"), 0);
    assert_int_equal(fl_reply_error(&b, id, "fail", "not-leader", NULL, NULL), 0);
    assert_int_equal(fl_reply_error(&b, id, "info", "unknown", "why \xff", NULL), 0);
    assert_int_equal(fl_buf_append(&b, "", 1), 0);
    assert_string_equal(fl_buf_bytes(&b),
                        "{\"id\":4,\"type\":\"ok\",\"value\":[1,null]}\n"
                        "{\"id\":null,\"type\":\"ok\",\"node\":\"n2\"}\n"
                        "{\"id\":4,\"type\":\"fail\",\"error\":\"not-leader\",\"leader\":\"n3\"}\n"
                        "{\"id\":4,\"type\":\"fail\",\"error\":\"not-leader\"}\n"
                        "{\"id\":4,\"type\":\"info\",\"error\":\"unknown\",\"detail\":\"why ?\"}\n");
    json_decref(id);
    json_decref(v);
    fl_buf_free(&b);
}

/* ---- storage ---- */

static raft_entry entries_buf[64];
static char datas[64][32];

/* Entries first..last, of term term (a command each). */
static const raft_entry *make_entries(uint64_t first, uint64_t last, uint64_t term) {
    assert_true(last - first < 64);
    for (uint64_t i = first; i <= last; i++) {
        size_t k = i - first;
        snprintf(datas[k], sizeof datas[k], "{\"i\":%llu}", (unsigned long long)i);
        entries_buf[k] = cmd_entry(i, term, datas[k]);
    }
    return entries_buf;
}

static void open_ok(rkv_storage *st, const char *dir, rkv_recovery *rec) {
    char err[512] = "";
    if (rkv_storage_open(st, dir, rec, err, sizeof err) != 0) fail_msg("open %s: %s", dir, err);
}

static void reopen(rkv_storage *st, const char *dir, rkv_recovery *rec) {
    rkv_recovery_free(rec);
    rkv_storage_close(st);
    open_ok(st, dir, rec);
}

/* The recovered log is first..last with the given term at index term_from on. */
static void assert_log(const rkv_recovery *rec, uint64_t first, uint64_t last) {
    assert_int_equal(rec->boot.n_entries, last + 1 - first);
    for (size_t k = 0; k < rec->boot.n_entries; k++) {
        const raft_entry *e = &rec->boot.entries[k];
        char want[32];
        snprintf(want, sizeof want, "{\"i\":%llu}", (unsigned long long)(first + k));
        assert_int_equal(e->index, first + k);
        assert_int_equal(e->len, strlen(want));
        assert_memory_equal(e->data, want, e->len);
    }
}

static void test_storage_basics(void **state) {
    (void)state;
    char *dir = temp_dir(), err[512];
    rkv_storage st;
    rkv_recovery rec;
    open_ok(&st, dir, &rec);
    assert_int_equal(rec.boot.hs.term, 0);
    assert_int_equal(rec.boot.hs.vote, RAFT_NONE);
    assert_int_equal(rec.boot.n_entries, 0);
    assert_int_equal(rec.boot.snapshot.index, 0);
    /* a second daemon on the same dir is refused */
    rkv_storage st2;
    rkv_recovery rec2;
    assert_int_equal(rkv_storage_open(&st2, dir, &rec2, err, sizeof err), -1);
    assert_non_null(strstr(err, "locked"));
    rkv_recovery_free(&rec2);
    rkv_storage_close(&st2);
    assert_int_equal(rkv_storage_write_hs(&st, (raft_hard_state){3, 1}, err, sizeof err), 0);
    raft_entry noop = {1, 1, RAFT_ENTRY_NOOP, 0, NULL};
    assert_int_equal(rkv_storage_append(&st, &noop, 1, err, sizeof err), 0);
    assert_int_equal(rkv_storage_append(&st, make_entries(2, 6, 2), 5, err, sizeof err), 0);
    assert_int_equal(rkv_storage_sync(&st, err, sizeof err), 0);
    reopen(&st, dir, &rec);
    assert_int_equal(rec.boot.hs.term, 3);
    assert_int_equal(rec.boot.hs.vote, 1);
    assert_int_equal(rec.boot.n_entries, 6);
    assert_int_equal(rec.boot.entries[0].type, RAFT_ENTRY_NOOP);
    assert_int_equal(rec.boot.entries[5].index, 6);
    /* a conflicting suffix from index 4 is replaced */
    assert_int_equal(rkv_storage_append(&st, make_entries(4, 5, 3), 2, err, sizeof err), 0);
    assert_int_equal(rkv_storage_write_hs(&st, (raft_hard_state){3, RAFT_NONE}, err, sizeof err), 0);
    assert_int_equal(rkv_storage_sync(&st, err, sizeof err), 0);
    assert_int_equal(rkv_storage_last_index(&st), 5);
    reopen(&st, dir, &rec);
    assert_int_equal(rec.boot.n_entries, 5);
    assert_int_equal(rec.boot.entries[2].term, 2);
    assert_int_equal(rec.boot.entries[3].term, 3);
    assert_int_equal(rec.boot.entries[4].term, 3);
    assert_int_equal(rec.boot.hs.vote, RAFT_NONE);
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    remove_dir(dir);
}

static void test_storage_hs_slots(void **state) {
    (void)state;
    char *dir = temp_dir(), err[512], path[512];
    rkv_storage st;
    rkv_recovery rec;
    open_ok(&st, dir, &rec);
    for (uint64_t t = 1; t <= 5; t++)
        assert_int_equal(rkv_storage_write_hs(&st, (raft_hard_state){t, (int)t % 3}, err, sizeof err), 0);
    assert_int_equal(rkv_storage_sync(&st, err, sizeof err), 0);
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    /* the newest slot torn: the one before it is read */
    file_path(path, sizeof path, dir, RKV_HS_NAME);
    int fd = open(path, O_RDWR);
    uint64_t newest = (1 + 5) & 1; /* seq 1 was the fresh slot; 5 writes later: seq 6 */
    assert_int_equal(pwrite(fd, "XXXX", 4, (off_t)(newest * 32 + 20)), 4);
    open_ok(&st, dir, &rec);
    assert_int_equal(rec.boot.hs.term, 4);
    assert_int_equal(rec.boot.hs.vote, 1);
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    /* both damaged: refused */
    assert_int_equal(pwrite(fd, "XXXX", 4, (off_t)((1 - newest) * 32 + 20)), 4);
    close(fd);
    assert_int_equal(rkv_storage_open(&st, dir, &rec, err, sizeof err), -1);
    assert_non_null(strstr(err, "no valid hard state"));
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    remove_dir(dir);
}

static void test_storage_torn_and_corrupt(void **state) {
    (void)state;
    char *dir = temp_dir(), err[512], path[512];
    rkv_storage st;
    rkv_recovery rec;
    open_ok(&st, dir, &rec);
    assert_int_equal(rkv_storage_write_hs(&st, (raft_hard_state){2, 0}, err, sizeof err), 0);
    assert_int_equal(rkv_storage_append(&st, make_entries(1, 4, 2), 4, err, sizeof err), 0);
    assert_int_equal(rkv_storage_sync(&st, err, sizeof err), 0);
    uint64_t good = st.end;
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    file_path(path, sizeof path, dir, RKV_LOG_NAME);
    /* a torn tail: half a record header, then a record whose bytes were cut short */
    int fd = open(path, O_RDWR);
    assert_int_equal(pwrite(fd, "FLRE\x08\0\0\0\x05\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0abc", 35,
                            (off_t)good), 35);
    open_ok(&st, dir, &rec);
    assert_int_equal(rec.torn_bytes, 35);
    assert_int_equal(rec.torn_at, 5);
    assert_log(&rec, 1, 4);
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    assert_int_equal(sb.st_size, good);
    /* appending after the cut works and survives */
    assert_int_equal(rkv_storage_append(&st, make_entries(5, 6, 2), 2, err, sizeof err), 0);
    reopen(&st, dir, &rec);
    assert_int_equal(rec.torn_bytes, 0);
    assert_log(&rec, 1, 6);
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    /* a damaged record with valid ones after it: corruption */
    assert_int_equal(pwrite(fd, "\x7f", 1, 32 + 32 + 2), 1); /* entry 1's bytes */
    assert_int_equal(rkv_storage_open(&st, dir, &rec, err, sizeof err), -1);
    assert_non_null(strstr(err, "damaged and a valid one follows"));
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    /* a damaged header */
    assert_int_equal(pwrite(fd, "G", 1, 0), 1);
    assert_int_equal(rkv_storage_open(&st, dir, &rec, err, sizeof err), -1);
    assert_non_null(strstr(err, "damaged header"));
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    close(fd);
    remove_dir(dir);
}

static void test_storage_compact_and_install(void **state) {
    (void)state;
    char *dir = temp_dir(), err[512];
    rkv_storage st;
    rkv_recovery rec;
    open_ok(&st, dir, &rec);
    assert_int_equal(rkv_storage_write_hs(&st, (raft_hard_state){2, 0}, err, sizeof err), 0);
    assert_int_equal(rkv_storage_append(&st, make_entries(1, 10, 2), 10, err, sizeof err), 0);
    raft_snapshot snap = {6, 2, (uint8_t *)"[[\"a\",1]]", 9};
    assert_int_equal(rkv_storage_compact(&st, &snap, err, sizeof err), 0);
    assert_int_equal(st.base_index, 6);
    assert_int_equal(rkv_storage_append(&st, make_entries(9, 11, 2), 3, err, sizeof err), 0);
    assert_int_equal(rkv_storage_sync(&st, err, sizeof err), 0);
    reopen(&st, dir, &rec);
    assert_int_equal(rec.boot.snapshot.index, 6);
    assert_int_equal(rec.boot.snapshot.term, 2);
    assert_int_equal(rec.boot.snapshot.len, 9);
    assert_memory_equal(rec.boot.snapshot.data, "[[\"a\",1]]", 9);
    assert_log(&rec, 7, 11);
    /* compaction of everything */
    snap.index = 11;
    assert_int_equal(rkv_storage_compact(&st, &snap, err, sizeof err), 0);
    reopen(&st, dir, &rec);
    assert_int_equal(rec.boot.snapshot.index, 11);
    assert_int_equal(rec.boot.n_entries, 0);
    /* a leader's snapshot far ahead: the log restarts after it */
    assert_int_equal(rkv_storage_write_hs(&st, (raft_hard_state){5, RAFT_NONE}, err, sizeof err), 0);
    raft_snapshot theirs = {40, 4, (uint8_t *)"[]", 2};
    assert_int_equal(rkv_storage_install(&st, &theirs, err, sizeof err), 0);
    assert_int_equal(rkv_storage_append(&st, make_entries(41, 42, 5), 2, err, sizeof err), 0);
    assert_int_equal(rkv_storage_sync(&st, err, sizeof err), 0);
    reopen(&st, dir, &rec);
    assert_int_equal(rec.boot.snapshot.index, 40);
    assert_int_equal(rec.boot.snapshot.term, 4);
    assert_log(&rec, 41, 42);
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    remove_dir(dir);
}

/* Copies file name of dir to dir/name.saved, or back. */
static void save_file(const char *dir, const char *name, int restore) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, restore ? "cp '%s/%s.saved' '%s/%s'" : "cp '%s/%s' '%s/%s.saved'",
             dir, name, dir, name);
    assert_int_equal(system(cmd), 0);
}

static void test_storage_crash_between(void **state) {
    (void)state;
    char *dir = temp_dir(), err[512];
    rkv_storage st;
    rkv_recovery rec;
    open_ok(&st, dir, &rec);
    assert_int_equal(rkv_storage_write_hs(&st, (raft_hard_state){3, 0}, err, sizeof err), 0);
    assert_int_equal(rkv_storage_append(&st, make_entries(1, 10, 2), 10, err, sizeof err), 0);
    assert_int_equal(rkv_storage_sync(&st, err, sizeof err), 0);
    /* compaction at 6, "crashed" before the log was rewritten: the old log comes back */
    save_file(dir, RKV_LOG_NAME, 0);
    raft_snapshot snap = {6, 2, (uint8_t *)"[]", 2};
    assert_int_equal(rkv_storage_compact(&st, &snap, err, sizeof err), 0);
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    save_file(dir, RKV_LOG_NAME, 1);
    open_ok(&st, dir, &rec);
    assert_int_equal(rec.dropped, 6);
    assert_false(rec.log_dropped);
    assert_int_equal(st.base_index, 6);
    assert_log(&rec, 7, 10);
    /* an install at 8 of another term, "crashed" the same way: the old log does not
     * continue it and goes */
    save_file(dir, RKV_LOG_NAME, 0);
    raft_snapshot theirs = {8, 3, (uint8_t *)"[]", 2};
    assert_int_equal(rkv_storage_install(&st, &theirs, err, sizeof err), 0);
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    save_file(dir, RKV_LOG_NAME, 1);
    open_ok(&st, dir, &rec);
    assert_true(rec.log_dropped);
    assert_int_equal(rec.boot.snapshot.index, 8);
    assert_int_equal(rec.boot.n_entries, 0);
    reopen(&st, dir, &rec); /* repaired for good */
    assert_int_equal(rec.dropped, 0);
    assert_int_equal(rec.boot.n_entries, 0);
    rkv_recovery_free(&rec);
    rkv_storage_close(&st);
    remove_dir(dir);
}

/* ---- command line ---- */

static rkv_options_status parse_args(rkv_options *o, char *err, size_t err_bytes, ...) {
    char *argv[32] = {"fl-raftkv"};
    int argc = 1;
    va_list ap;
    va_start(ap, err_bytes);
    for (char *a; argc < 31 && (a = va_arg(ap, char *));) argv[argc++] = a;
    va_end(ap);
    return rkv_options_parse(argc, argv, o, err, err_bytes);
}

static void test_options(void **state) {
    (void)state;
    rkv_options o;
    char err[512], bugs[96];
    assert_int_equal(parse_args(&o, err, sizeof err, "--id", "n2", "--listen", "127.0.0.1:7002",
                                "--peers", "n3=127.0.0.1:7003,n1=127.0.0.1:7001,n2=127.0.0.1:7002",
                                "--data-dir", "/tmp/d", NULL),
                     RKV_OPTIONS_OK);
    assert_int_equal(o.peer_count, 3);
    assert_int_equal(o.self, 1);
    assert_string_equal(o.peers[0].name, "n1");
    assert_string_equal(o.peers[2].name, "n3");
    assert_int_equal(o.tick_ms, 10);
    assert_int_equal(o.election_ticks, 30);
    assert_int_equal(o.heartbeat_ticks, 5);
    assert_int_equal(o.snapshot_entries, 10000);
    assert_int_equal(o.lease_ms, 1000);
    assert_string_equal(rkv_options_bugs(&o, bugs, sizeof bugs), "none");
    assert_int_equal(parse_args(&o, err, sizeof err, "--id", "a", "--listen", "127.0.0.1:1",
                                "--peers", "a=127.0.0.1:1", "--data-dir", "d", "--tick-ms", "5",
                                "--election-ticks", "10", "--heartbeat-ticks", "2",
                                "--snapshot-entries", "50", "--lease-ms", "300", "--bug",
                                "old-term-commit", "--bug", "stale-read", NULL),
                     RKV_OPTIONS_OK);
    assert_int_equal(o.bugs, RAFT_BUG_OLD_TERM_COMMIT | RAFT_BUG_STALE_READ);
    assert_string_equal(rkv_options_bugs(&o, bugs, sizeof bugs), "stale-read,old-term-commit");
    assert_int_equal(o.snapshot_entries, 50);
    static const struct { const char *flag, *value, *says; } bad[] = {
        {"--bug", "nope", "known bugs are"},
        {"--tick-ms", "0", "--tick-ms"},
        {"--election-ticks", "1", "--election-ticks"},
        {"--heartbeat-ticks", "30", "less than --election-ticks"},
        {"--snapshot-entries", "x", "--snapshot-entries"},
        {"--lease-ms", "-1", "--lease-ms"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(parse_args(&o, err, sizeof err, "--id", "a", "--listen", "127.0.0.1:1",
                                    "--peers", "a=127.0.0.1:1", "--data-dir", "d", bad[i].flag,
                                    bad[i].value, NULL),
                         RKV_OPTIONS_BAD);
        if (!strstr(err, bad[i].says)) fail_msg("%s %s: '%s'", bad[i].flag, bad[i].value, err);
    }
    assert_int_equal(parse_args(&o, err, sizeof err, "--id", "n9", "--listen", "127.0.0.1:1",
                                "--peers", "a=127.0.0.1:1", "--data-dir", "d", NULL),
                     RKV_OPTIONS_BAD);
    assert_non_null(strstr(err, "not in --peers"));
    assert_int_equal(parse_args(&o, err, sizeof err, "--id", "a", "--listen", "127.0.0.1:1",
                                "--peers", "a=127.0.0.1:1", NULL),
                     RKV_OPTIONS_BAD);
    assert_non_null(strstr(err, "--data-dir is required"));
    assert_int_equal(parse_args(&o, err, sizeof err, "--help", NULL), RKV_OPTIONS_HELP);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fsm_commands),         cmocka_unit_test(test_fsm_command_encode),
        cmocka_unit_test(test_fsm_snapshot),         cmocka_unit_test(test_fsm_txn_atomic),
        cmocka_unit_test(test_fsm_txn_own_writes),   cmocka_unit_test(test_txn_check_and_encode),
        cmocka_unit_test(test_fsm_layer_dirty_read), cmocka_unit_test(test_split_txn_entries),
        cmocka_unit_test(test_parse_requests),
        cmocka_unit_test(test_parse_peer_lines),     cmocka_unit_test(test_replies),
        cmocka_unit_test(test_storage_basics),       cmocka_unit_test(test_storage_hs_slots),
        cmocka_unit_test(test_storage_torn_and_corrupt),
        cmocka_unit_test(test_storage_compact_and_install),
        cmocka_unit_test(test_storage_crash_between), cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
