/* Request paths to store files, refusing anything outside (see store_paths.h). */
#include "store_paths.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long fl_percent_decode(const char *s, size_t len, char *out, size_t bytes) {
    assert(s && out && bytes > 0);
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        if (w + 1 >= bytes) return -1;
        if (s[i] != '%') {
            out[w++] = s[i];
            continue;
        }
        if (i + 2 >= len) return -1; /* "%" or "%X" at the end */
        int high = hex_value(s[i + 1]), low = hex_value(s[i + 2]);
        if (high < 0 || low < 0) return -1;
        out[w++] = (char)(high * 16 + low);
        i += 2;
    }
    out[w] = '\0';
    return (long)w;
}

static fl_path_kind refuse(fl_path_kind kind, char *why, size_t why_bytes, const char *reason) {
    snprintf(why, why_bytes, "%s", reason);
    return kind;
}

/* Every segment between slashes: no "", ".", ".." or hidden name (a trailing '/' is
 * fine). */
static const char *bad_segment(const char *path, size_t len) {
    assert(path[0] == '/');
    const char *end = path + len;
    for (const char *seg = path + 1; seg < end;) {
        const char *stop = memchr(seg, '/', (size_t)(end - seg));
        size_t n = stop ? (size_t)(stop - seg) : (size_t)(end - seg);
        if (n == 0) return "an empty segment ('//': an absolute path inside the path)";
        if (n == 2 && seg[0] == '.' && seg[1] == '.') return "a '..' segment";
        if (n == 1 && seg[0] == '.') return "a '.' segment";
        if (seg[0] == '.') return "a hidden name";
        seg += n + 1;
    }
    return NULL;
}

fl_path_kind fl_store_path_resolve(const char *root_real, const char *request, char *real,
                                   size_t bytes, char *why, size_t why_bytes) {
    assert(root_real && root_real[0] == '/' && request);
    assert(real && bytes > 0 && why && why_bytes > 0);
    why[0] = '\0';
    if (request[0] != '/') return refuse(FL_PATH_BAD, why, why_bytes, "the path must start with '/'");
    char decoded[PATH_MAX];
    long n = fl_percent_decode(request, strlen(request), decoded, sizeof decoded);
    if (n < 0) return refuse(FL_PATH_BAD, why, why_bytes, "a malformed %-escape, or too long");
    if (memchr(decoded, '\0', (size_t)n)) return refuse(FL_PATH_BAD, why, why_bytes, "a NUL byte");
    const char *bad = bad_segment(decoded, (size_t)n);
    if (bad) return refuse(FL_PATH_FORBIDDEN, why, why_bytes, bad);

    char joined[2 * PATH_MAX], resolved[PATH_MAX];
    bool root_is_slash = strcmp(root_real, "/") == 0;
    snprintf(joined, sizeof joined, "%s%s", root_is_slash ? "" : root_real, decoded);
    if (!realpath(joined, resolved)) {
        if (errno == ENOENT || errno == ENOTDIR)
            return refuse(FL_PATH_NOT_FOUND, why, why_bytes, "no such file");
        snprintf(why, why_bytes, "realpath: %s", strerror(errno));
        return FL_PATH_FORBIDDEN;
    }
    size_t root_len = strlen(root_real);
    bool inside = root_is_slash || (strncmp(resolved, root_real, root_len) == 0 &&
                                    (resolved[root_len] == '\0' || resolved[root_len] == '/'));
    if (!inside) return refuse(FL_PATH_FORBIDDEN, why, why_bytes, "a symlink that leads out of the store");
    struct stat st;
    if (stat(resolved, &st) != 0) return refuse(FL_PATH_NOT_FOUND, why, why_bytes, "no such file");
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return refuse(FL_PATH_FORBIDDEN, why, why_bytes, "not a regular file or a directory");
    if (strlen(resolved) >= bytes) return refuse(FL_PATH_FORBIDDEN, why, why_bytes, "path too long");
    memcpy(real, resolved, strlen(resolved) + 1);
    return S_ISDIR(st.st_mode) ? FL_PATH_DIR : FL_PATH_FILE;
}
