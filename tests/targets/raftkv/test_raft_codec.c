/* Unit tests of the Raft wire codec (targets/raftkv/core/raft_codec.c, raft_base64.c):
 * every message type survives encode -> text -> decode; the decoder rejects anything that
 * is not exactly a message (missing, extra or mistyped fields, out-of-range numbers, ids,
 * inconsistent entries, non-canonical base64) with an error that says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "raft_base64.h"
#include "raft_codec.h"

static void roundtrip(const raft_msg *m) {
    json_t *j = raft_msg_to_json(m);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    raft_msg back;
    char err[RAFT_CODEC_ERR_BYTES] = "";
    if (raft_msg_decode(text, strlen(text), 5, &back, err, sizeof err) != 0)
        fail_msg("%s: %s", text, err);
    assert_int_equal(back.type, m->type);
    assert_int_equal(back.from, m->from);
    assert_int_equal(back.to, m->to);
    assert_int_equal(back.term, m->term);
    assert_int_equal(back.index, m->index);
    assert_int_equal(back.log_term, m->log_term);
    assert_int_equal(back.commit, m->commit);
    assert_int_equal(back.hint, m->hint);
    assert_int_equal(back.read_seq, m->read_seq);
    assert_int_equal(back.ok, m->ok);
    assert_int_equal(back.n_entries, m->n_entries);
    assert_int_equal(back.len, m->len);
    if (m->len) assert_memory_equal(back.data, m->data, m->len);
    for (uint32_t i = 0; i < m->n_entries; i++) {
        assert_int_equal(back.entries[i].index, m->entries[i].index);
        assert_int_equal(back.entries[i].term, m->entries[i].term);
        assert_int_equal(back.entries[i].type, m->entries[i].type);
        assert_int_equal(back.entries[i].len, m->entries[i].len);
        if (m->entries[i].len)
            assert_memory_equal(back.entries[i].data, m->entries[i].data, m->entries[i].len);
    }
    raft_msg_free(&back);
    free(text);
    json_decref(j);
}

static void test_roundtrip(void **state) {
    (void)state;
    uint8_t bin[5] = {0, 0xff, '\n', '"', 0x80};
    raft_entry es[3] = {{8, 3, RAFT_ENTRY_NOOP, 0, NULL},
                        {9, 3, RAFT_ENTRY_COMMAND, sizeof bin, bin},
                        {10, 4, RAFT_ENTRY_COMMAND, 0, NULL}};
    raft_msg msgs[] = {
        {.type = RAFT_MSG_VOTE, .from = 0, .to = 4, .term = 3, .index = 7, .log_term = 2},
        {.type = RAFT_MSG_VOTE, .from = 1, .to = 0, .term = 1},
        {.type = RAFT_MSG_VOTE_RESP, .from = 4, .to = 0, .term = 3, .ok = true},
        {.type = RAFT_MSG_VOTE_RESP, .from = 4, .to = 0, .term = 3},
        {.type = RAFT_MSG_APPEND,
         .from = 0,
         .to = 1,
         .term = 4,
         .index = 7,
         .log_term = 2,
         .commit = 6,
         .read_seq = 11,
         .entries = es,
         .n_entries = 3},
        {.type = RAFT_MSG_APPEND, .from = 0, .to = 1, .term = 4, .commit = (1ULL << 53) - 1},
        {.type = RAFT_MSG_APPEND_RESP,
         .from = 1,
         .to = 0,
         .term = 4,
         .ok = true,
         .index = 10,
         .read_seq = 11},
        {.type = RAFT_MSG_APPEND_RESP,
         .from = 1,
         .to = 0,
         .term = 4,
         .index = 7,
         .hint = 3,
         .read_seq = 2},
        {.type = RAFT_MSG_SNAPSHOT,
         .from = 0,
         .to = 3,
         .term = 4,
         .index = 40,
         .log_term = 4,
         .read_seq = 1,
         .data = bin,
         .len = sizeof bin},
        {.type = RAFT_MSG_SNAPSHOT, .from = 0, .to = 3, .term = 4, .index = 1, .log_term = 1},
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) roundtrip(&msgs[i]);
}

static void test_rejects(void **state) {
    (void)state;
    static const char *bad[] = {
        "",
        "garbage",
        "[]",
        "null",
        "{}",
        "{\"type\":\"vote\"}",
        "{\"type\":7}",
        "{\"type\":\"nope\",\"from\":0,\"to\":1,\"term\":1}",
        /* a field missing, one too many, one mistyped */
        "{\"type\":\"vote\",\"from\":0,\"to\":1,\"term\":1,\"last_index\":0}",
        "{\"type\":\"vote\",\"from\":0,\"to\":1,\"term\":1,\"last_index\":0,\"last_term\":0,\"x\":"
        "1}",
        "{\"type\":\"vote\",\"from\":0,\"to\":1,\"term\":\"1\",\"last_index\":0,\"last_term\":0}",
        "{\"type\":\"vote\",\"from\":0,\"to\":1,\"term\":1.0,\"last_index\":0,\"last_term\":0}",
        "{\"type\":\"vote_resp\",\"from\":0,\"to\":1,\"term\":1,\"granted\":1}",
        /* duplicate keys */
        "{\"type\":\"vote_resp\",\"from\":0,\"to\":1,\"term\":1,\"term\":2,\"granted\":true}",
        /* numbers: negative, 2^53, term 0, ids out of range or equal */
        "{\"type\":\"vote_resp\",\"from\":0,\"to\":1,\"term\":-1,\"granted\":true}",
        "{\"type\":\"vote_resp\",\"from\":0,\"to\":1,\"term\":9007199254740992,\"granted\":true}",
        "{\"type\":\"vote_resp\",\"from\":0,\"to\":1,\"term\":0,\"granted\":true}",
        "{\"type\":\"vote_resp\",\"from\":5,\"to\":1,\"term\":1,\"granted\":true}",
        "{\"type\":\"vote_resp\",\"from\":2,\"to\":2,\"term\":1,\"granted\":true}",
        /* log positions: index 0 only with term 0; no log term above the term */
        "{\"type\":\"vote\",\"from\":0,\"to\":1,\"term\":1,\"last_index\":3,\"last_term\":0}",
        "{\"type\":\"vote\",\"from\":0,\"to\":1,\"term\":1,\"last_index\":0,\"last_term\":1}",
        "{\"type\":\"vote\",\"from\":0,\"to\":1,\"term\":1,\"last_index\":3,\"last_term\":2}",
        /* entries: not consecutive, terms above the message's or going down, a no-op with
         * bytes, a command without, unknown kind, not an array */
        "{\"type\":\"append\",\"from\":0,\"to\":1,\"term\":2,\"prev_index\":1,\"prev_term\":1,"
        "\"commit\":0,"
        "\"read_seq\":0,\"entries\":[{\"index\":3,\"term\":2,\"kind\":\"noop\"}]}",
        "{\"type\":\"append\",\"from\":0,\"to\":1,\"term\":2,\"prev_index\":1,\"prev_term\":1,"
        "\"commit\":0,"
        "\"read_seq\":0,\"entries\":[{\"index\":2,\"term\":3,\"kind\":\"noop\"}]}",
        "{\"type\":\"append\",\"from\":0,\"to\":1,\"term\":2,\"prev_index\":1,\"prev_term\":2,"
        "\"commit\":0,"
        "\"read_seq\":0,\"entries\":[{\"index\":2,\"term\":1,\"kind\":\"noop\"}]}",
        "{\"type\":\"append\",\"from\":0,\"to\":1,\"term\":2,\"prev_index\":0,\"prev_term\":0,"
        "\"commit\":0,"
        "\"read_seq\":0,\"entries\":[{\"index\":1,\"term\":2,\"kind\":\"noop\",\"data\":\"\"}]}",
        "{\"type\":\"append\",\"from\":0,\"to\":1,\"term\":2,\"prev_index\":0,\"prev_term\":0,"
        "\"commit\":0,"
        "\"read_seq\":0,\"entries\":[{\"index\":1,\"term\":2,\"kind\":\"cmd\"}]}",
        "{\"type\":\"append\",\"from\":0,\"to\":1,\"term\":2,\"prev_index\":0,\"prev_term\":0,"
        "\"commit\":0,"
        "\"read_seq\":0,\"entries\":[{\"index\":1,\"term\":2,\"kind\":\"op\",\"data\":\"\"}]}",
        "{\"type\":\"append\",\"from\":0,\"to\":1,\"term\":2,\"prev_index\":0,\"prev_term\":0,"
        "\"commit\":0,"
        "\"read_seq\":0,\"entries\":{}}",
        "{\"type\":\"append\",\"from\":0,\"to\":1,\"term\":2,\"prev_index\":0,\"prev_term\":0,"
        "\"commit\":0,"
        "\"read_seq\":0,\"entries\":[7]}",
        /* base64: not canonical, bad characters, wrong length, not a string */
        "{\"type\":\"snapshot\",\"from\":0,\"to\":1,\"term\":2,\"last_index\":1,\"last_term\":1,"
        "\"read_seq\":0,\"data\":\"QR==\"}",
        "{\"type\":\"snapshot\",\"from\":0,\"to\":1,\"term\":2,\"last_index\":1,\"last_term\":1,"
        "\"read_seq\":0,\"data\":\"QQ=\"}",
        "{\"type\":\"snapshot\",\"from\":0,\"to\":1,\"term\":2,\"last_index\":1,\"last_term\":1,"
        "\"read_seq\":0,\"data\":\"Q!==\"}",
        "{\"type\":\"snapshot\",\"from\":0,\"to\":1,\"term\":2,\"last_index\":1,\"last_term\":1,"
        "\"read_seq\":0,\"data\":\"A=AA\"}",
        "{\"type\":\"snapshot\",\"from\":0,\"to\":1,\"term\":2,\"last_index\":1,\"last_term\":1,"
        "\"read_seq\":0,\"data\":5}",
        "{\"type\":\"snapshot\",\"from\":0,\"to\":1,\"term\":2,\"last_index\":0,\"last_term\":0,"
        "\"read_seq\":0,\"data\":\"\"}",
        /* append_resp: a success with a hint, a rejection without one */
        "{\"type\":\"append_resp\",\"from\":1,\"to\":0,\"term\":2,\"success\":true,\"index\":3,"
        "\"hint\":1,\"read_seq\":0}",
        "{\"type\":\"append_resp\",\"from\":1,\"to\":0,\"term\":2,\"success\":false,\"index\":3,"
        "\"hint\":0,\"read_seq\":0}",
        "{\"type\":\"append_resp\",\"from\":1,\"to\":0,\"term\":2,\"success\":false,\"index\":3,"
        "\"hint\":4,\"read_seq\":0}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        raft_msg m;
        char err[RAFT_CODEC_ERR_BYTES] = "";
        if (raft_msg_decode(bad[i], strlen(bad[i]), 5, &m, err, sizeof err) == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_true(err[0] != '\0'); /* always says why */
        assert_null(m.entries);
        assert_null(m.data);
    }
}

static void test_base64(void **state) {
    (void)state;
    static const struct { const char *plain, *coded; } v[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char out[16];
        size_t n = strlen(v[i].plain);
        raft_base64_encode((const uint8_t *)v[i].plain, n, out);
        assert_string_equal(out, v[i].coded);
        uint8_t back[16];
        assert_int_equal(raft_base64_decode(v[i].coded, strlen(v[i].coded), back), (long)n);
        assert_memory_equal(back, v[i].plain, n);
    }
    static const char *bad[] = {"Zg=", "Zh==", "Zm9=", "Z===", "====", "Zm9v=", "Zm 9", "Zg==Zg=="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t back[16];
        assert_int_equal(raft_base64_decode(bad[i], strlen(bad[i]), back), -1);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
