/* The resources in memory and the fencing decision, per mode (DESIGN.md "lockd",
 * fl-fencestore). Pure: no I/O, no clock; the server logs and replies what fs_decide says.
 *
 * Per resource (keyed by its canonical key text, wire.h fl_key_text):
 *   fence  the highest token the resource accepted (FS_FENCE_NONE before the first, and
 *          always in no-fence mode, which tracks none);
 *   seq    how many decisions it took: every access, accepted or rejected, takes the next
 *          one (1, 2, …), so the checker orders the decisions without clocks;
 *   value  the last written value (NULL: never written).
 * Modes: correct (a token below the fence is rejected before it touches anything, else the
 * fence rises to it, then a write applies), write-before-fence (the access is applied,
 * then fence = max(fence, token); never rejects), no-fence (tokens ignored). */
#ifndef FS_TABLE_H
#define FS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FS_FENCE_NONE (-1)
#define FS_RESOURCES_MAX ((size_t)1 << 20) /* past this, accesses to new resources fail */

typedef enum { FS_CORRECT, FS_WRITE_BEFORE_FENCE, FS_NO_FENCE } fs_mode;

typedef struct fs_resource {
    char *ckey;         /* owned, NUL-terminated */
    int64_t fence;      /* >= FS_FENCE_NONE */
    uint64_t seq;       /* the last decision's number; 0: none yet */
    json_t *value;      /* a reference the table holds; NULL: never written */
} fs_resource;

typedef struct fs_table {
    fs_resource *res;   /* count used of cap; a resource's index never changes */
    size_t count, cap;
    json_t *index;      /* object: ckey -> integer index into res */
    uint64_t accepted, rejected; /* decisions since start (not restored) */
} fs_table;

typedef enum { FS_READ, FS_WRITE } fs_access_kind;

typedef struct fs_access {
    fs_access_kind kind;
    const char *ckey;
    int64_t token;      /* >= 0 */
    json_t *value;      /* write: the value (any JSON, a reference is taken); read: NULL */
} fs_access;

typedef struct fs_decision {
    bool accepted;
    int64_t token;
    const fs_resource *r; /* the resource after the decision (valid until the next change) */
} fs_decision;

/* "correct", "write-before-fence", "no-fence" */
const char *fs_mode_name(fs_mode mode);
/* A --bug name: 0 and *mode, or -1. */
int fs_mode_parse(const char *bug, fs_mode *mode);

void fs_table_init(fs_table *t);
void fs_table_free(fs_table *t);
/* The resource, or NULL when no access ever reached it. */
const fs_resource *fs_table_get(const fs_table *t, const char *ckey);
/* Replay: sets a resource's whole state (a log record). 0, or -1 when the table is full. */
int fs_table_restore(fs_table *t, const char *ckey, int64_t fence, uint64_t seq, json_t *value);
/* Decides an access in mode and applies it (see above). 0 and *d, or -1 when it names a
 * new resource and the table is full (nothing changed). */
int fs_decide(fs_table *t, fs_mode mode, const fs_access *a, fs_decision *d);
/* A reply's value, new reference: accepted {"token","value","fence","seq"}, rejected
 * {"token","fence","seq"}; fence null when none. NULL only when memory ran out. */
json_t *fs_decision_json(const fs_decision *d);
/* The fence as JSON: an integer, or null (FS_FENCE_NONE). New reference. */
json_t *fs_fence_json(int64_t fence);

#endif
