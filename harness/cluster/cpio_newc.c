/* The newc cpio writer (see cpio_newc.h): a 110-byte ASCII header of hexadecimal fields,
 * the name with its NUL, padding to 4 bytes, the data, padding to 4 bytes. */
#include "cpio_newc.h"

#include <assert.h>
#include <string.h>
#include <sys/stat.h>

static int pad4(FILE *out, size_t written) {
    static const char zeros[4] = {0};
    size_t pad = (4 - written % 4) % 4;
    return fwrite(zeros, 1, pad, out) == pad ? 0 : -1;
}

static unsigned next_ino = 1;

int fl_cpio_add(FILE *out, const char *name, unsigned mode, const void *data, size_t len) {
    assert(name && name[0] && name[0] != '/');
    assert(S_ISDIR(mode) ? data == NULL && len == 0 : S_ISREG(mode));
    assert(len <= 0xffffffffu);
    size_t name_len = strlen(name) + 1;
    char header[111];
    /* magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
     * rdevmajor, rdevminor, namesize, check */
    int n = snprintf(header, sizeof header,
                     "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                     next_ino++, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, (unsigned)len, 0u,
                     0u, 0u, 0u, (unsigned)name_len, 0u);
    assert(n == 110);
    if (fwrite(header, 1, 110, out) != 110 || fwrite(name, 1, name_len, out) != name_len ||
        pad4(out, 110 + name_len) != 0)
        return -1;
    if (len && fwrite(data, 1, len, out) != len) return -1;
    return pad4(out, len);
}

int fl_cpio_end(FILE *out) {
    return fl_cpio_add(out, "TRAILER!!!", S_IFREG | 0, "", 0);
}
