/* libFuzzer target: the txn checker (checkers/txn) on any bytes read as a JSON Lines
 * history — the checker reads histories from outside (a user's, Jepsen's). Besides
 * crashes, leaks and undefined behaviour it checks properties: the checker accepts the
 * history or says why; its verdict is true, false or "unknown"; and everything it
 * reports is certified — a report the independent re-check rejects is a false anomaly.
 * Each input is checked as list-append and as rw-register, and the first byte picks a
 * consistency model and the rw-register inference options. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fixed.h"
#include "history.h"
#include "txn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_as(const fl_history *h, fl_txn_workload w, uint8_t knobs) {
    static const char *const models[] = {"strict-serializable", "serializable",
                                         "snapshot-isolation", "read-committed"};
    fl_txn_options o = {.workload = w, .model = models[knobs & 3],
                        .sequential_keys = knobs & 4, .linearizable_keys = knobs & 8,
                        .no_wfr_keys = knobs & 16, .certify = true,
                        .budget_steps = 200000, .max_shown = 4};
    fl_error err;
    json_t *r = fl_check_txn(h, &o, &err);
    if (!r) {
        if (!err.message[0]) abort(); /* a refusal always says why */
        return;
    }
    const json_t *valid = json_object_get(r, "valid");
    if (!json_is_boolean(valid) && !(json_is_string(valid) && !strcmp(json_string_value(valid), "unknown")))
        abort();
    const json_t *certified = json_object_get(r, "certified");
    if (certified && !json_is_true(certified)) {
        char *text = json_dumps(json_object_get(r, "certify-errors"), JSON_COMPACT);
        fprintf(stderr, "not certified: %s\n", text ? text : "?");
        abort();
    }
    json_decref(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t knobs = data[0];
    fl_history *h = fl_history_new("fuzz.jsonl");
    fl_error err;
    if (!h) abort();
    if (fl_jsonl_read_buffer((const char *)data + 1, size - 1, "fuzz.jsonl", h, true, &err) == FL_READ_OK &&
        fl_history_pair(h, &err) == 0) {
        check_as(h, FL_TXN_LIST_APPEND, knobs);
        check_as(h, FL_TXN_RW_REGISTER, knobs);
    }
    fl_history_free(h);
    return 0;
}
