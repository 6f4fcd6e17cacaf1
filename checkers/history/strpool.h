/* Interned strings and a string -> index map: each distinct f, node, error or key
 * text is stored once, so a million ops cost a pointer each, not a copy each. */
#ifndef FL_STRPOOL_H
#define FL_STRPOOL_H

#include <stddef.h>
#include <stdint.h>

typedef struct fl_strmap fl_strmap;
typedef struct fl_strpool fl_strpool;

fl_strmap *fl_strmap_new(void);
void fl_strmap_free(fl_strmap *m);
/* The index stored for bytes, or -1. */
int64_t fl_strmap_get(const fl_strmap *m, const char *bytes, size_t len);
/* Store bytes -> value unless present; returns the stored value, -2 on OOM. */
int64_t fl_strmap_put(fl_strmap *m, const char *bytes, size_t len, int64_t value);

/* Like put, and also gives the map's own copy of the bytes (stable while it lives). */
int64_t fl_strmap_put_copy(fl_strmap *m, const char *bytes, size_t len, int64_t value,
                           const char **stored);

/* Approximate memory held, for budgets. */
size_t fl_strmap_bytes(const fl_strmap *m);

fl_strpool *fl_strpool_new(void);
void fl_strpool_free(fl_strpool *p);
/* A NUL-terminated copy of bytes that lives as long as the pool; NULL on OOM. */
const char *fl_strpool_intern(fl_strpool *p, const char *bytes, size_t len);

uint64_t fl_hash_bytes(const void *bytes, size_t len);

#endif
