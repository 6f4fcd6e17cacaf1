/* The agent protocol parser: every command parses into what it says; every malformed
 * request gives a clear error (with its id when it had one), and replies are one JSON
 * line each. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol.h"

static int parse(const char *line, fl_agent_request *r, char *err) {
    return fl_agent_parse(line, strlen(line), r, err, FL_AGENT_ERR_BYTES);
}

static void commands(void **state) {
    (void)state;
    fl_agent_request r;
    char err[FL_AGENT_ERR_BYTES];
    assert_int_equal(parse("{\"id\":1,\"cmd\":\"hello\"}", &r, err), 0);
    assert_int_equal(r.cmd, FL_AGENT_HELLO);
    assert_int_equal(r.id, 1);
    assert_int_equal(parse("{\"id\":7,\"cmd\":\"partition\",\"drop\":[\"10.213.0.12\","
                           "\"10.213.0.13\"]}", &r, err), 0);
    assert_int_equal(r.cmd, FL_AGENT_PARTITION);
    assert_int_equal(r.drop_count, 2);
    assert_string_equal(r.drop[1], "10.213.0.13");
    assert_int_equal(parse("{\"id\":8,\"cmd\":\"clock\",\"op\":\"bump\",\"delta_ms\":-2500}",
                           &r, err), 0);
    assert_int_equal(r.clock_op, FL_CLOCK_BUMP);
    assert_int_equal(r.delta_ms, -2500);
    assert_int_equal(parse("{\"id\":9,\"cmd\":\"clock\",\"op\":\"strobe\",\"delta_ms\":200,"
                           "\"period_ms\":10,\"duration_ms\":1000}", &r, err), 0);
    assert_int_equal(r.period_ms, 10);
    assert_int_equal(parse("{\"id\":10,\"cmd\":\"signal\",\"pidfile\":\"/w/x.pid\","
                           "\"sig\":\"STOP\"}", &r, err), 0);
    assert_int_equal(r.signal, SIGSTOP);
    assert_int_equal(parse("{\"id\":11,\"cmd\":\"netem\",\"delay_ms\":100,\"loss_pct\":5,"
                           "\"peers\":[\"10.213.0.11\"]}", &r, err), 0);
    assert_true(r.netem.delay_ms == 100 && r.netem.loss_pct == 5 && r.drop_count == 1);
    assert_int_equal(parse("{\"id\":12,\"cmd\":\"heal\"}", &r, err), 0);
    assert_int_equal(r.heal_only, FL_HEAL_ALL);
    assert_int_equal(parse("{\"id\":12,\"cmd\":\"heal\",\"only\":\"netem\"}", &r, err), 0);
    assert_int_equal(r.heal_only, FL_HEAL_NETEM);
    assert_int_equal(parse("{\"id\":12,\"cmd\":\"heal\",\"only\":\"partition\"}", &r, err), 0);
    assert_int_equal(r.heal_only, FL_HEAL_PARTITION);
    assert_int_equal(parse("{\"id\":15,\"cmd\":\"netem\",\"delay_ms\":20,\"reorder_pct\":25,"
                           "\"peers\":[\"10.213.0.12\",\"10.213.0.13\"]}", &r, err), 0);
    assert_true(r.netem.reorder_pct == 25 && r.drop_count == 2);
    assert_int_equal(r.netem.flow_bit, -1); /* every packet, unless a flow bit is named */
    assert_int_equal(parse("{\"id\":16,\"cmd\":\"netem\",\"delay_ms\":80,\"flow_bit\":7,"
                           "\"peers\":[\"10.213.0.12\"]}", &r, err), 0);
    assert_true(r.netem.delay_ms == 80 && r.netem.flow_bit == 7);
    assert_int_equal(parse("{\"id\":13,\"cmd\":\"status\"}", &r, err), 0);
    assert_int_equal(parse("{\"id\":14,\"cmd\":\"heartbeat\"}", &r, err), 0);
}

static void malformed(void **state) {
    (void)state;
    static const struct {
        const char *line;
        int64_t id;
        const char *says;
    } cases[] = {
        {"", -1, "not a JSON request"},
        {"{\"id\":1,\"cmd\":\"partition\",\"drop\":[\"10.213.0.12\"", -1, "not a JSON"},
        {"[1,2]", -1, "JSON object"},
        {"{\"cmd\":\"hello\"}", -1, "\"id\""},
        {"{\"id\":-3,\"cmd\":\"hello\"}", -1, "\"id\""},
        {"{\"id\":2,\"cmd\":\"reboot\"}", 2, "\"cmd\" must be one of"},
        {"{\"id\":3,\"cmd\":\"partition\"}", 3, "drop"},
        {"{\"id\":4,\"cmd\":\"partition\",\"drop\":[\"n2\"]}", 4, "IPv4"},
        {"{\"id\":5,\"cmd\":\"partition\",\"drop\":[\"10.213.0.12; rm -rf /\"]}", 5, "IPv4"},
        {"{\"id\":6,\"cmd\":\"clock\",\"op\":\"warp\"}", 6, "bump, strobe or reset"},
        {"{\"id\":7,\"cmd\":\"clock\",\"op\":\"bump\"}", 7, "delta_ms"},
        {"{\"id\":8,\"cmd\":\"clock\",\"op\":\"strobe\",\"delta_ms\":5,\"period_ms\":0,"
         "\"duration_ms\":9}", 8, "period_ms"},
        {"{\"id\":9,\"cmd\":\"signal\",\"pidfile\":\"x.pid\",\"sig\":\"KILL\"}", 9, "absolute"},
        {"{\"id\":10,\"cmd\":\"signal\",\"pidfile\":\"/x.pid\",\"sig\":\"HUP\"}", 10, "KILL, STOP"},
        {"{\"id\":11,\"cmd\":\"netem\",\"loss_pct\":150}", 11, "loss_pct"},
        {"{\"id\":12,\"cmd\":\"netem\",\"loss_pct\":10}", 12, "\"peers\" must be a list"},
        {"{\"id\":13,\"cmd\":\"netem\",\"loss_pct\":10,\"peers\":[]}", 13, "at least one peer"},
        {"{\"id\":14,\"cmd\":\"netem\",\"peers\":[\"10.213.0.12\"]}", 14, "at least one of"},
        {"{\"id\":15,\"cmd\":\"netem\",\"reorder_pct\":5,\"peers\":[\"10.213.0.12\"]}", 15,
         "needs delay_ms"},
        {"{\"id\":16,\"cmd\":\"heal\",\"only\":\"clock\"}", 16, "\"only\" must be"},
        {"{\"id\":17,\"cmd\":\"netem\",\"delay_ms\":9,\"flow_bit\":0,\"peers\":[\"10.213.0.12\"]}",
         17, "\"flow_bit\" must be an integer"},
        {"{\"id\":18,\"cmd\":\"netem\",\"delay_ms\":9,\"flow_bit\":13,\"peers\":[\"10.213.0.12\"]}",
         18, "\"flow_bit\""},
        {"{\"id\":19,\"cmd\":\"netem\",\"delay_ms\":9,\"flow_bit\":\"7\",\"peers\":[\"10.213.0.12\"]}",
         19, "\"flow_bit\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fl_agent_request r;
        char err[FL_AGENT_ERR_BYTES] = "";
        assert_int_equal(parse(cases[i].line, &r, err), -1);
        if (r.id != cases[i].id) fail_msg("case %zu: id %lld", i, (long long)r.id);
        if (!strstr(err, cases[i].says))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, cases[i].says);
        char *reply = fl_agent_reply_error(r.id, err, 5);
        json_t *j = json_loads(reply, 0, NULL);
        assert_non_null(j);
        assert_true(json_is_false(json_object_get(j, "ok")));
        assert_non_null(json_string_value(json_object_get(j, "error")));
        assert_int_equal(reply[strlen(reply) - 1], '\n');
        json_decref(j);
        free(reply);
    }
}

/* Found by fuzz_agent: jansson's message quoted bytes that are not UTF-8. */
static void error_quoting_raw_bytes(void **state) {
    (void)state;
    static const char line[] = "{\"id\":7,\"cm\xde\x8c\x8b\x9e\xdd\xc5\x8b\x8cs\"}";
    fl_agent_request r;
    char err[FL_AGENT_ERR_BYTES];
    assert_int_equal(fl_agent_parse(line, sizeof line - 1, &r, err, sizeof err), -1);
    char *reply = fl_agent_reply_error(r.id, err, 1);
    assert_non_null(reply);
    json_t *j = json_loads(reply, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    free(reply);
}

static void ok_reply(void **state) {
    (void)state;
    char *reply = fl_agent_reply_ok(7, json_pack("{s:[s]}", "dropped", "10.213.0.12"), 42);
    assert_string_equal(reply, "{\"id\":7,\"ok\":true,\"applied\":{\"dropped\":[\"10.213.0.12\"]},"
                               "\"mono_ns\":42}\n");
    free(reply);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commands),
        cmocka_unit_test(malformed),
        cmocka_unit_test(error_quoting_raw_bytes),
        cmocka_unit_test(ok_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
