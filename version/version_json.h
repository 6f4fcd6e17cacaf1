/* The version as JSON, as test.json and results.json carry it under "faultline"
 * (DESIGN.md "results.json"). */
#ifndef FL_VERSION_JSON_H
#define FL_VERSION_JSON_H

#include <jansson.h>

/* A new {"version": fl_version(), "commit": fl_version_commit()}. */
json_t *fl_version_json(void);
/* Sets results' (or test.json's) "faultline" to fl_version_json(), replacing any. */
void fl_version_stamp(json_t *object);

#endif
