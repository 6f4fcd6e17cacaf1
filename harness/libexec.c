/* Finding companion binaries (see libexec.h). */
#include "libexec.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fl_libexec_dir(char *dir, size_t bytes, char *err, size_t err_bytes) {
    const char *libexec = getenv("FAULTLINE_LIBEXEC");
    if (libexec) return snprintf(dir, bytes, "%s", libexec) < (int)bytes ? 0 : -1;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return snprintf(err, err_bytes, "readlink /proc/self/exe: %s", strerror(errno)), -1;
    self[n] = '\0';
    return snprintf(dir, bytes, "%s", dirname(self)) < (int)bytes ? 0 : -1;
}

int fl_libexec_path(const char *name, char *path, size_t bytes, char *err, size_t err_bytes) {
    char dir[4096];
    if (fl_libexec_dir(dir, sizeof dir, err, err_bytes) != 0) return -1;
    snprintf(path, bytes, "%s/%s", dir, name);
    if (access(path, R_OK) != 0) {
        snprintf(err, err_bytes, "%s: %s (build it, or point FAULTLINE_LIBEXEC at its folder)",
                 path, strerror(errno));
        return -1;
    }
    return 0;
}
