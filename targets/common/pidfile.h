/* A daemon's pidfile, written atomically (a temporary file renamed into place) so a reader
 * never sees a half-written pid, and removed at a clean exit only if it is still ours. */
#ifndef FL_TARGET_PIDFILE_H
#define FL_TARGET_PIDFILE_H

#include <stddef.h>

/* 0, or -1 with err naming the failing call and the file. */
int fl_pidfile_write(const char *path, char *err, size_t err_bytes);
/* Removes path if it holds this process's pid; leaves anything else alone. */
void fl_pidfile_remove(const char *path);

#endif
