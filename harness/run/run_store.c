/* Run directories under the store (see run_store.h). */
#include "run_store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int fl_mkdirs(const char *path, char *err, size_t err_bytes) {
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            snprintf(err, err_bytes, "mkdir %s: %s", p, strerror(errno));
            return -1;
        }
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_bytes, "mkdir %s: %s", p, strerror(errno));
        return -1;
    }
    return 0;
}

static int create_stamped(const char *store, const char *name, bool utc, char *dir,
                          size_t bytes, char *err, size_t err_bytes) {
    char parent[4096], stamp[32];
    snprintf(parent, sizeof parent, "%s/%s", store, name);
    if (fl_mkdirs(parent, err, err_bytes) != 0) return -1;
    time_t now = time(NULL);
    struct tm tm;
    if (utc) gmtime_r(&now, &tm);
    else localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, utc ? "%Y%m%dT%H%M%SZ" : "%Y%m%dT%H%M%S", &tm);
    for (int n = 1;; n++) {
        if (n == 1) snprintf(dir, bytes, "%s/%s", parent, stamp);
        else snprintf(dir, bytes, "%s/%s-%d", parent, stamp, n);
        if (mkdir(dir, 0755) == 0) break;
        if (errno != EEXIST || n > 1000) {
            snprintf(err, err_bytes, "mkdir %s: %s", dir, strerror(errno));
            return -1;
        }
    }
    /* latest -> the new run, replaced atomically */
    char link[4096 + 16], tmp[4096 + 32];
    snprintf(link, sizeof link, "%s/latest", parent);
    snprintf(tmp, sizeof tmp, "%s/.latest.%d", parent, (int)getpid());
    const char *base = strrchr(dir, '/') + 1;
    unlink(tmp);
    if (symlink(base, tmp) != 0 || rename(tmp, link) != 0) {
        snprintf(err, err_bytes, "%s: %s", link, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int fl_run_store_create(const char *store, const char *name, char *dir, size_t bytes,
                        char *err, size_t err_bytes) {
    return create_stamped(store, name, false, dir, bytes, err, err_bytes);
}

int fl_run_store_create_utc(const char *store, const char *name, char *dir, size_t bytes,
                            char *err, size_t err_bytes) {
    return create_stamped(store, name, true, dir, bytes, err, err_bytes);
}
