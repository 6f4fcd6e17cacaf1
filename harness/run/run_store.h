/* The run store (DESIGN.md "Run store"): STORE/<test-name>/<YYYYmmddTHHMMSS>/ per run,
 * with STORE/<test-name>/latest pointing at the newest. */
#ifndef FL_RUN_STORE_H
#define FL_RUN_STORE_H

#include <stddef.h>

/* Make a fresh run directory (a -2, -3 … suffix when one exists for this second) and
 * point latest at it. Its path in dir; 0, or -1 with err. */
int fl_run_store_create(const char *store, const char *name, char *dir, size_t bytes,
                        char *err, size_t err_bytes);
/* The same with a UTC time stamp, YYYYmmddTHHMMSSZ (the zoo's pages: nights compare
 * wherever the store is read), so it is never taken for a run directory. */
int fl_run_store_create_utc(const char *store, const char *name, char *dir, size_t bytes,
                            char *err, size_t err_bytes);
/* mkdir -p; 0, or -1 with err. */
int fl_mkdirs(const char *path, char *err, size_t err_bytes);

#endif
