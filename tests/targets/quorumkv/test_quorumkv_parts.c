/* Unit tests of fl-quorumkv's pieces without sockets: the wire protocol (parse, encode,
 * round trips, key identity), the store's version rule, the put log (scan, replay, torn
 * tail, corruption, lock) and the command line. */
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

#include "message.h"
#include "options.h"
#include "store.h"
#include "wal.h"

#define PARSE(text, m, err) qkv_parse((text), strlen(text), (m), (err), sizeof(err))

/* ---- protocol ---- */

static void test_parse_client(void **state) {
    (void)state;
    qkv_msg m;
    char err[QKV_ERR_BYTES];
    assert_int_equal(PARSE("{\"id\":1,\"f\":\"read\",\"key\":\"x\"}", &m, err), QKV_PARSE_OK);
    assert_int_equal(m.kind, QKV_READ);
    assert_false(m.from_peer);
    assert_int_equal(json_integer_value(m.id), 1);
    assert_string_equal(m.ckey, "\"x\"");
    qkv_msg_release(&m);
    assert_int_equal(PARSE("{\"id\":\"a\",\"f\":\"write\",\"key\":7,\"value\":[1,{\"b\":null}]}", &m, err),
                     QKV_PARSE_OK);
    assert_int_equal(m.kind, QKV_WRITE);
    assert_string_equal(json_string_value(m.id), "a");
    assert_string_equal(m.ckey, "7");
    assert_int_equal(json_array_size(m.value), 2);
    qkv_msg_release(&m);
    assert_int_equal(PARSE("{\"f\":\"write\",\"key\":\"k\",\"value\":null}", &m, err), QKV_PARSE_OK);
    assert_null(m.id); /* no id: replies say null */
    assert_true(json_is_null(m.value));
    qkv_msg_release(&m);
    assert_int_equal(PARSE("{\"id\":3,\"f\":\"ping\"}", &m, err), QKV_PARSE_OK);
    assert_int_equal(m.kind, QKV_PING);
    qkv_msg_release(&m);
}

static void test_parse_client_errors(void **state) {
    (void)state;
    /* id: whether the error reply can name the request (the line was an object) */
    static const struct { const char *line, *says; qkv_parse_status st; int id; } cases[] = {
        {"", "not JSON", QKV_PARSE_MALFORMED, 0},
        {"garbage", "not JSON", QKV_PARSE_MALFORMED, 0},
        {"[1,2]", "object", QKV_PARSE_MALFORMED, 0},
        {"{\"id\":1}", "missing f", QKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":5}", "missing f", QKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"read\"}", "missing key", QKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"read\",\"key\":1.5}", "string or an integer", QKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"read\",\"key\":[1]}", "string or an integer", QKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"write\",\"key\":\"x\"}", "missing value", QKV_PARSE_MALFORMED, 1},
        {"{\"id\":1,\"f\":\"read\",\"key\":\"x\",\"key\":\"y\"}", "duplicate", QKV_PARSE_MALFORMED, 0},
        {"{\"id\":1,\"f\":\"read\",\"key\":\"x\"} trailing", "not JSON", QKV_PARSE_MALFORMED, 0},
        {"{\"id\":1,\"f\":\"cas\",\"key\":\"x\"}", "unknown f 'cas'", QKV_PARSE_UNKNOWN_F, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qkv_msg m;
        char err[QKV_ERR_BYTES] = "";
        assert_int_equal(PARSE(cases[i].line, &m, err), cases[i].st);
        if (!strstr(err, cases[i].says)) fail_msg("'%s': error '%s'", cases[i].line, err);
        if (cases[i].id) assert_int_equal(json_integer_value(m.id), 1);
        else assert_null(m.id);
        qkv_msg_release(&m);
    }
}

static void test_keys(void **state) {
    (void)state;
    char a[QKV_KEY_BYTES_MAX + 1], b[QKV_KEY_BYTES_MAX + 1], err[QKV_ERR_BYTES];
    json_t *one = json_integer(1), *one_s = json_string("1"), *neg = json_integer(-12);
    assert_int_equal(fl_key_text(one, a, err, sizeof err), 0);
    assert_int_equal(fl_key_text(one_s, b, err, sizeof err), 0);
    assert_string_not_equal(a, b); /* "1" and 1 are different keys */
    assert_int_equal(fl_key_text(neg, a, err, sizeof err), 0);
    assert_string_equal(a, "-12");
    json_t *odd = json_string("a\"b\\c\n\xc3\xa9");
    assert_int_equal(fl_key_text(odd, a, err, sizeof err), 0);
    json_t *back = json_loads(a, JSON_DECODE_ANY, NULL); /* the text is the key's JSON */
    assert_true(json_equal(back, odd));
    char *longer = malloc(QKV_KEY_BYTES_MAX + 1);
    memset(longer, 'k', QKV_KEY_BYTES_MAX);
    longer[QKV_KEY_BYTES_MAX - 2] = '\0'; /* with its quotes: exactly the limit */
    json_t *fits = json_string(longer);
    assert_int_equal(fl_key_text(fits, a, err, sizeof err), 0);
    longer[QKV_KEY_BYTES_MAX - 2] = 'k';
    longer[QKV_KEY_BYTES_MAX - 1] = '\0';
    json_t *too_long = json_string(longer);
    assert_int_equal(fl_key_text(too_long, a, err, sizeof err), -1);
    free(longer);
    json_decref(one), json_decref(one_s), json_decref(neg), json_decref(odd);
    json_decref(back), json_decref(fits), json_decref(too_long);
}

/* Parses the one line in b, checks it is the only line, returns the message. */
static void reparse(fl_buf *b, qkv_msg *m) {
    char err[QKV_ERR_BYTES];
    size_t n = fl_buf_len(b);
    assert_true(n > 0 && fl_buf_bytes(b)[n - 1] == '\n');
    assert_null(memchr(fl_buf_bytes(b), '\n', n - 1));
    assert_int_equal(qkv_parse(fl_buf_bytes(b), n - 1, m, err, sizeof err), QKV_PARSE_OK);
    fl_buf_clear(b);
}

static void test_peer_round_trips(void **state) {
    (void)state;
    fl_buf b;
    fl_buf_init(&b, 4096);
    qkv_msg m;
    json_t *v = json_pack("{s:[i,f,s]}", "deep", 1, 2.5, "\xe2\x82\xac");
    qkv_version ver = {1234567890123, 3};
    assert_int_equal(qkv_encode_put(&b, 99, "\"k\"", ver, v), 0);
    reparse(&b, &m);
    assert_true(m.from_peer);
    assert_int_equal(m.kind, QKV_PUT);
    assert_int_equal(m.rid, 99);
    assert_string_equal(m.ckey, "\"k\"");
    assert_int_equal(qkv_version_cmp(m.ver, ver), 0);
    assert_true(json_equal(m.value, v));
    qkv_msg_release(&m);
    assert_int_equal(qkv_encode_got(&b, 5, (qkv_version){0, 0}, NULL), 0);
    reparse(&b, &m);
    assert_int_equal(m.kind, QKV_GOT);
    assert_true(json_is_null(m.value));
    qkv_msg_release(&m);
    assert_int_equal(qkv_encode_get(&b, 6, "-3"), 0);
    reparse(&b, &m);
    assert_int_equal(m.kind, QKV_GET);
    assert_string_equal(m.ckey, "-3");
    qkv_msg_release(&m);
    assert_int_equal(qkv_encode_ack(&b, 7), 0);
    reparse(&b, &m);
    assert_int_equal(m.kind, QKV_ACK);
    assert_int_equal(m.rid, 7);
    qkv_msg_release(&m);
    assert_int_equal(qkv_encode_hello(&b, "n1", 3), 0);
    reparse(&b, &m);
    assert_int_equal(m.kind, QKV_HELLO);
    assert_string_equal(m.from, "n1");
    assert_int_equal(m.peer_count, 3);
    qkv_msg_release(&m);
    json_decref(v);
    fl_buf_free(&b);
}

static void test_peer_errors(void **state) {
    (void)state;
    const char *bad[] = {
        "{\"p\":\"get\",\"key\":\"x\"}",                       /* no rid */
        "{\"p\":\"get\",\"rid\":-1,\"key\":\"x\"}",
        "{\"p\":\"put\",\"rid\":1,\"key\":\"x\",\"ver\":[1],\"value\":1}",
        "{\"p\":\"put\",\"rid\":1,\"key\":\"x\",\"ver\":[1,-2],\"value\":1}",
        "{\"p\":\"put\",\"rid\":1,\"key\":\"x\",\"ver\":[1,2]}",
        "{\"p\":\"got\",\"rid\":1,\"ver\":\"1,2\",\"value\":1}",
        "{\"p\":\"hello\",\"from\":1,\"n\":3}",
        "{\"p\":\"hello\",\"from\":\"n1\",\"n\":0}",
        "{\"p\":\"steal\",\"rid\":1}",
        "{\"p\":7}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        qkv_msg m;
        char err[QKV_ERR_BYTES] = "";
        assert_int_equal(PARSE(bad[i], &m, err), QKV_PARSE_MALFORMED);
        assert_true(m.from_peer); /* so the server logs it instead of answering */
        assert_true(strlen(err) > 0);
        qkv_msg_release(&m);
    }
}

static void test_replies(void **state) {
    (void)state;
    fl_buf b;
    fl_buf_init(&b, 4096);
    json_t *id = json_integer(4), *v = json_integer(5);
    assert_int_equal(fl_reply_ok(&b, id, v, NULL), 0);
    assert_int_equal(fl_reply_ok(&b, NULL, NULL, "n2"), 0);
    assert_int_equal(fl_reply_ok(&b, id, json_null(), NULL), 0);
    assert_int_equal(fl_reply_error(&b, id, "info", "no-quorum", "write phase 2", NULL), 0);
    assert_int_equal(fl_reply_error(&b, NULL, "fail", "malformed", "bad \xff byte", NULL), 0);
    const char *want = "{\"id\":4,\"type\":\"ok\",\"value\":5}\n"
                       "{\"id\":null,\"type\":\"ok\",\"node\":\"n2\"}\n"
                       "{\"id\":4,\"type\":\"ok\",\"value\":null}\n"
                       "{\"id\":4,\"type\":\"info\",\"error\":\"no-quorum\",\"detail\":\"write phase 2\"}\n"
                       "{\"id\":null,\"type\":\"fail\",\"error\":\"malformed\",\"detail\":\"bad ? byte\"}\n";
    assert_int_equal(fl_buf_len(&b), strlen(want));
    assert_memory_equal(fl_buf_bytes(&b), want, strlen(want));
    /* a full buffer takes nothing, not half a line */
    fl_buf small;
    fl_buf_init(&small, 20);
    assert_int_equal(fl_reply_ok(&small, id, v, NULL), -1);
    assert_int_equal(fl_buf_len(&small), 0);
    fl_buf_free(&small);
    json_decref(id), json_decref(v);
    fl_buf_free(&b);
}

/* ---- the store ---- */

static void test_store(void **state) {
    (void)state;
    qkv_store s;
    qkv_store_init(&s);
    json_t *a = json_string("a"), *b = json_string("b");
    assert_null(qkv_store_get(&s, "\"x\""));
    assert_int_equal(qkv_store_put(&s, "\"x\"", (qkv_version){0, 0}, a), QKV_STALE); /* initial */
    assert_int_equal(qkv_store_put(&s, "\"x\"", (qkv_version){2, 1}, a), QKV_APPLIED);
    assert_int_equal(qkv_store_put(&s, "\"x\"", (qkv_version){2, 1}, b), QKV_STALE);
    assert_int_equal(qkv_store_put(&s, "\"x\"", (qkv_version){2, 0}, b), QKV_STALE);
    assert_int_equal(qkv_store_put(&s, "\"x\"", (qkv_version){1, 9}, b), QKV_STALE);
    assert_ptr_equal(qkv_store_get(&s, "\"x\"")->value, a);
    assert_int_equal(qkv_store_put(&s, "\"x\"", (qkv_version){2, 2}, b), QKV_APPLIED);
    assert_ptr_equal(qkv_store_get(&s, "\"x\"")->value, b);
    assert_null(qkv_store_get(&s, "x")); /* canonical texts differ: "x" vs x */
    char key[32];
    for (int i = 0; i < 5000; i++) { /* past several growths */
        snprintf(key, sizeof key, "%d", i);
        assert_int_equal(qkv_store_put(&s, key, (qkv_version){1, 0}, a), QKV_APPLIED);
    }
    assert_int_equal(s.count, 5001);
    for (int i = 0; i < 5000; i += 97) {
        snprintf(key, sizeof key, "%d", i);
        assert_non_null(qkv_store_get(&s, key));
    }
    assert_int_equal(qkv_version_cmp((qkv_version){1, 5}, (qkv_version){2, 0}), -1);
    assert_int_equal(qkv_version_cmp((qkv_version){2, 1}, (qkv_version){2, 0}), 1);
    qkv_store_free(&s);
    json_decref(a), json_decref(b);
}

/* ---- the put log ---- */

static void count_record(void *arg, const qkv_msg *m) {
    assert_int_equal(m->kind, QKV_RECORD);
    (*(int *)arg)++;
}

#define R1 "{\"key\":\"a\",\"ver\":[1,0],\"value\":1}\n"
#define R2 "{\"key\":2,\"ver\":[3,1],\"value\":{\"x\":[true]}}\n"

static void test_wal_scan(void **state) {
    (void)state;
    static const struct {
        const char *log;
        int rc;
        size_t records, good_bytes, tail_lines, bad_line;
    } cases[] = {
        {"", 0, 0, 0, 0, 0},
        {R1 R2, 0, 2, sizeof(R1 R2) - 1, 0, 0},
        {R1 R2 "{\"key\":\"a\",\"ver\":[4", 0, 2, sizeof(R1 R2) - 1, 1, 0},   /* torn */
        {R1 "{\"key\":\"a\",\"ver\":[4,0],\"value\":1}", 0, 1, sizeof(R1) - 1, 1, 0}, /* no '\n' */
        {R1 "garbage\n", 0, 1, sizeof(R1) - 1, 1, 0},                          /* bad last */
        {R1 "garbage\n\0\0\0", 0, 1, sizeof(R1) - 1, 2, 0},
        {R1 "garbage\n" R2, -1, 1, sizeof(R1) - 1, 1, 2},                      /* corrupt */
        {"\n" R1, -1, 0, 0, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qkv_wal_scan_result r;
        int seen = 0;
        size_t len = strlen(cases[i].log);
        if (i == 5) len += 3; /* the NULs after the newline */
        assert_int_equal(qkv_wal_scan(cases[i].log, len, count_record, &seen, &r), cases[i].rc);
        assert_int_equal(r.bad_line, cases[i].bad_line);
        if (cases[i].rc != 0) continue;
        assert_int_equal(seen, (int)cases[i].records);
        assert_int_equal(r.records, cases[i].records);
        assert_int_equal(r.good_bytes, cases[i].good_bytes);
        assert_int_equal(r.tail_lines, cases[i].tail_lines);
    }
}

static void write_file(const char *path, const char *bytes) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(bytes, f);
    fclose(f);
}

static void test_wal_replay(void **state) {
    (void)state;
    char dir[] = "/tmp/fl-qkv-wal-XXXXXX", sub[128], path[160], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(sub, sizeof sub, "%s/data", dir); /* created by the open */
    qkv_store s;
    qkv_wal w;
    qkv_store_init(&s);
    assert_int_equal(qkv_wal_open(&w, sub, &s, err, sizeof err), 0);
    json_t *v = json_string("v");
    assert_false(qkv_wal_pending(&w));
    assert_int_equal(qkv_wal_append(&w, "\"a\"", (qkv_version){1, 0}, v), 0);
    assert_int_equal(qkv_wal_append(&w, "\"a\"", (qkv_version){2, 1}, v), 0);
    assert_int_equal(qkv_wal_append(&w, "9", (qkv_version){1, 2}, v), 0);
    assert_true(qkv_wal_pending(&w));
    assert_int_equal(qkv_wal_commit(&w, err, sizeof err), 0);
    assert_false(qkv_wal_pending(&w));
    qkv_store other; /* a second daemon on the same data dir is refused */
    qkv_wal w2;
    qkv_store_init(&other);
    assert_int_equal(qkv_wal_open(&w2, sub, &other, err, sizeof err), -1);
    assert_non_null(strstr(err, "locked"));
    qkv_wal_close(&w2);
    qkv_wal_close(&w);
    qkv_store_free(&s);
    /* a torn tail: replayed without it, and cut off the file */
    snprintf(path, sizeof path, "%s/" QKV_WAL_NAME, sub);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    off_t whole = st.st_size;
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_int_equal(write(fd, "{\"key\":\"a\",\"ver\":[3", 19), 19);
    close(fd);
    qkv_store_init(&s);
    assert_int_equal(qkv_wal_open(&w, sub, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 2);
    assert_int_equal(qkv_store_get(&s, "\"a\"")->ver.counter, 2);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, whole);
    qkv_wal_close(&w);
    qkv_store_free(&s);
    /* corruption before the end: the start is refused, the file left as it is */
    write_file(path, R1 "garbage\n" R2);
    qkv_store_init(&s);
    assert_int_equal(qkv_wal_open(&w, sub, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 2"));
    qkv_wal_close(&w);
    qkv_store_free(&s);
    qkv_store_free(&other);
    json_decref(v);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
}

/* ---- the command line ---- */

static qkv_options_status parse_flags(const char *line, qkv_options *o, char *err, size_t bytes) {
    static char copy[1024];
    char *argv[32];
    int argc = 0;
    snprintf(copy, sizeof copy, "fl-quorumkv %s", line);
    for (char *t = strtok(copy, " "); t && argc < 31; t = strtok(NULL, " ")) argv[argc++] = t;
    argv[argc] = NULL;
    return qkv_options_parse(argc, argv, o, err, bytes);
}

#define BASE "--listen 127.0.0.1:7 --data-dir /d "
#define PEERS3 "--peers n3=10.0.0.3:7,n1=10.0.0.1:7,n2=10.0.0.2:7 "

static void test_options(void **state) {
    (void)state;
    static qkv_options o;
    char err[512];
    assert_int_equal(parse_flags(BASE PEERS3 "--id n2", &o, err, sizeof err), QKV_OPTIONS_OK);
    assert_int_equal(o.peer_count, 3);
    assert_string_equal(o.peers[0].name, "n1"); /* indices by sorted id, whatever the order */
    assert_int_equal(o.self, 1);
    assert_int_equal(o.w, 2);
    assert_int_equal(o.r, 2);
    assert_int_equal(o.timeout_ms, 1000);
    assert_null(o.pidfile);
    assert_int_equal(parse_flags(BASE PEERS3 "--id n3 --bug stale-quorum --bug no-write-back "
                                 "--timeout-ms 250 --pidfile /p", &o, err, sizeof err),
                     QKV_OPTIONS_OK);
    assert_int_equal(o.w, 1);
    assert_int_equal(o.r, 1);
    assert_true(o.bug_stale_quorum && o.bug_no_write_back && !o.bug_wall_clock_lww);
    assert_int_equal(o.timeout_ms, 250);
    assert_string_equal(o.pidfile, "/p");
    char bugs[96];
    assert_string_equal(qkv_options_bugs(&o, bugs, sizeof bugs), "stale-quorum,no-write-back");
    assert_int_equal(parse_flags(BASE PEERS3 "--id n1 --w 3 --r 1", &o, err, sizeof err),
                     QKV_OPTIONS_OK);
    assert_int_equal(o.w, 3);
    assert_int_equal(o.r, 1);
    assert_int_equal(parse_flags("--help", &o, err, sizeof err), QKV_OPTIONS_HELP);
    static const struct { const char *line, *says; } bad[] = {
        {BASE PEERS3, "--id is required"},
        {PEERS3 "--id n1 --data-dir /d", "--listen is required"},
        {BASE "--id n1", "--peers is required"},
        {"--listen 127.0.0.1:7 " PEERS3 "--id n1", "--data-dir is required"},
        {BASE PEERS3 "--id n4", "not in --peers"},
        {BASE PEERS3 "--id n1 --w 4", "at most N = 3"},
        {BASE PEERS3 "--id n1 --r 0", "--r '0'"},
        {BASE PEERS3 "--id n1 --timeout-ms x", "--timeout-ms 'x'"},
        {BASE PEERS3 "--id n1 --bug everything", "--bug 'everything'"},
        {BASE PEERS3 "--id n1 --frobnicate", "--frobnicate"},
        {BASE PEERS3 "--id n1 extra", "unexpected argument 'extra'"},
        {BASE PEERS3 "--id n/1", "--id 'n/1'"},
        {"--listen nowhere --data-dir /d " PEERS3 "--id n1", "'nowhere'"},
        {BASE "--peers a=10.0.0.1:7,b=10.0.0.1:7 --id a", "same address"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(parse_flags(bad[i].line, &o, err, sizeof err), QKV_OPTIONS_BAD);
        if (!strstr(err, bad[i].says)) fail_msg("'%s': error '%s'", bad[i].line, err);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_client),    cmocka_unit_test(test_parse_client_errors),
        cmocka_unit_test(test_keys),            cmocka_unit_test(test_peer_round_trips),
        cmocka_unit_test(test_peer_errors),     cmocka_unit_test(test_replies),
        cmocka_unit_test(test_store),           cmocka_unit_test(test_wal_scan),
        cmocka_unit_test(test_wal_replay),      cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
