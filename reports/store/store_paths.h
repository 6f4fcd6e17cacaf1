/* Which file of the store an HTTP request path names, or why it names none: the one
 * gate between `faultline serve` and the file system.
 *
 * Method: the path (as sent, still percent-encoded) is decoded once; then refused are
 *   - a path not starting with '/', a bad %XX, or a decoded NUL (FL_PATH_BAD);
 *   - any segment that is empty ("//etc/passwd"), ".", "..", or hidden (starts with
 *     '.': temporary files), whether written plainly or percent-encoded, since the
 *     check runs on the decoded bytes the file system would see (FL_PATH_FORBIDDEN);
 *   - a path whose realpath(3) is not the store root or below it: a symlink leading
 *     out of the store (FL_PATH_FORBIDDEN). Symlinks that stay inside (latest -> a
 *     sibling run) are followed;
 *   - anything but a regular file or a directory (FL_PATH_FORBIDDEN).
 * A trailing '/' is allowed. Missing files are FL_PATH_NOT_FOUND. On success real is
 * the resolved absolute path, to be opened as is (it contains no symlink). */
#ifndef FL_STORE_PATHS_H
#define FL_STORE_PATHS_H

#include <stddef.h>

typedef enum fl_path_kind {
    FL_PATH_FILE,      /* a regular file inside the store */
    FL_PATH_DIR,       /* a directory inside the store (the root included) */
    FL_PATH_NOT_FOUND, /* 404 */
    FL_PATH_FORBIDDEN, /* 403: outside the store, or not a file to serve */
    FL_PATH_BAD,       /* 400: not a path at all */
} fl_path_kind;

/* root_real: the store's realpath(3). request: the URL path, without the query. real
 * (bytes long) receives the resolved path; why (why_bytes) the reason for a refusal. */
fl_path_kind fl_store_path_resolve(const char *root_real, const char *request, char *real,
                                   size_t bytes, char *why, size_t why_bytes);

/* Decodes %XX in s[0..len) into out (bytes long, NUL added). The decoded length, or -1
 * for a malformed escape or an out too small. Decoded NULs are kept (and so visible in
 * the length): the caller decides. */
long fl_percent_decode(const char *s, size_t len, char *out, size_t bytes);

#endif
