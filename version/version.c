/* faultline's version and build commit (see version.h); the values are generated into
 * version_build.h by commit.cmake at build time. */
#include "version.h"

#include "version_build.h"

const char *fl_version(void) {
    return FL_VERSION_NUMBER;
}

const char *fl_version_commit(void) {
    return FL_VERSION_COMMIT;
}

const char *fl_version_line(void) {
    return "faultline " FL_VERSION_NUMBER " (commit " FL_VERSION_COMMIT ")";
}
