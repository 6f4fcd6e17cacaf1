/* Where faultline's companion binaries are (faultline-agent, libflclock.so, the fl-*
 * daemons): $FAULTLINE_LIBEXEC, else the folder of the running executable. */
#ifndef FL_LIBEXEC_H
#define FL_LIBEXEC_H

#include <stddef.h>

/* The path of name there, checked to exist; 0, or -1 with err naming the file and what
 * to do. */
int fl_libexec_path(const char *name, char *path, size_t bytes, char *err, size_t err_bytes);

/* That folder itself ($FAULTLINE_LIBEXEC, else the running executable's): 0, or -1 with
 * err. */
int fl_libexec_dir(char *dir, size_t bytes, char *err, size_t err_bytes);

#endif
