/* The page's data about the history: the embedded ops as rows, and the fault windows
 * and nemesis events. */
#ifndef FL_REPORT_OPS_JSON_H
#define FL_REPORT_OPS_JSON_H

#include <jansson.h>

#include "scan.h"

#define RP_EVENTS_MAX 10000 /* nemesis events listed (windows are all shown) */

/* {"fields": [names…], "rows": [[…], …]} for the selected ops, in order of
 * invocation. Fields: index, process, invoke_ns, complete_ns (null: never completed),
 * type (ok, fail, info, or open when never completed), f, value (the invocation's),
 * output (the completion's value when it differs, else null), key, node, error (the
 * completion's, else the invocation's; null when absent), complete_index, line,
 * complete_line. NULL on OOM. */
json_t *rp_ops_json(const rp_history *h);

/* {"windows": [{"kind", "start_ns", "stop_ns" (null: never stopped), "start_index",
 * "stop_index", "stop_f", "value" (the start event's), "stop_value"}], "events":
 * [{"index", "time_ns", "f", "value", "line"}] (the first RP_EVENTS_MAX),
 * "event_count"}. */
json_t *rp_faults_json(const rp_history *h);

#endif
