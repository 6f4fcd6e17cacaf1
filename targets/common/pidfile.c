/* Atomic pidfile write and guarded removal (see pidfile.h). */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fl_pidfile_write(const char *path, char *err, size_t err_bytes) {
    char tmp[4096], text[32];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
        snprintf(err, err_bytes, "pidfile %s: path too long", path);
        return -1;
    }
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    const char *call = "open";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) goto err;
    call = "write";
    if (write(fd, text, (size_t)n) != n) goto err_close;
    call = "fsync";
    if (fsync(fd) != 0) goto err_close;
    call = "close";
    if (close(fd) != 0) goto err_unlink;
    call = "rename";
    if (rename(tmp, path) != 0) goto err_unlink;
    return 0;
err_close:
    snprintf(err, err_bytes, "pidfile %s: %s: %s", tmp, call, strerror(errno));
    close(fd);
    unlink(tmp);
    return -1;
err_unlink:
    snprintf(err, err_bytes, "pidfile %s: %s: %s", path, call, strerror(errno));
    unlink(tmp);
    return -1;
err:
    snprintf(err, err_bytes, "pidfile %s: %s: %s", tmp, call, strerror(errno));
    return -1;
}

void fl_pidfile_remove(const char *path) {
    char text[32] = "";
    FILE *f = fopen(path, "r");
    if (!f) return;
    int ours = fgets(text, sizeof text, f) && strtol(text, NULL, 10) == (long)getpid();
    fclose(f);
    if (ours) unlink(path);
}
