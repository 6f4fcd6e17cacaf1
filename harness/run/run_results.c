/* The "stats" entry of a run's results.json and the top verdict it can change (see
 * run_results.h). */
#include "run_results.h"

#include <stdbool.h>

#include "result.h"

static bool some_client_op_ok(const fl_history *h) {
    for (size_t i = 0; h && i < h->count; i++)
        if (h->ops[i].process != FL_PROCESS_NEMESIS && h->ops[i].type == FL_OK) return true;
    return false;
}

void fl_test_results_add_stats(json_t *results, json_t *stats, const fl_history *h) {
    bool ok = some_client_op_ok(h);
    json_object_set_new(stats, "valid", ok ? json_true() : json_string("unknown"));
    if (!ok) json_object_set_new(stats, "reason", json_string(FL_REASON_NOTHING_OK));
    json_t *checkers = json_object_get(results, "checkers");
    if (!checkers) {
        checkers = json_object();
        json_object_set_new(results, "checkers", checkers);
    }
    json_object_set_new(checkers, "stats", stats);
    const json_t *before = json_object_get(results, "valid");
    json_t *worst = fl_verdict_worst(before ? before : json_true(), json_object_get(stats, "valid"));
    if (!ok && !json_is_false(worst)) /* an anomaly (say in the logs) is still one */
        json_object_set_new(results, "reason", json_string(FL_REASON_NOTHING_OK));
    json_object_set_new(results, "valid", worst);
}
