/* The page's primaries timeline (the "Primaries" band on the timeline and the lost
 * elements' annotations), made from the history's primaries events as results.json's
 * is (checkers/history/primaries.h): all of them, not only the nemesis events the page
 * lists. */
#ifndef FL_REPORT_PRIMARIES_JSON_H
#define FL_REPORT_PRIMARIES_JSON_H

#include <jansson.h>

#include "scan.h"

/* {"changes", "split_brains", "timeline": [{"from_s", "to_s", "nodes", "error"?}]}, or
 * null when the history has no primaries events. NULL on OOM. */
json_t *rp_primaries_json(const rp_history *h);

#endif
