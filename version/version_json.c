/* The "faultline" object of test.json and results.json (see version_json.h). */
#include "version_json.h"

#include "version.h"

json_t *fl_version_json(void) {
    return json_pack("{s:s,s:s}", "version", fl_version(), "commit", fl_version_commit());
}

void fl_version_stamp(json_t *object) {
    if (json_is_object(object)) json_object_set_new(object, "faultline", fl_version_json());
}
