/* The clock shim's offset file (DESIGN.md "Clock faults", "Conventions": a node's
 * `clock.offset`, whose path the shim reads from FL_CLOCK_FILE).
 *
 * The file is one small struct, mapped MAP_SHARED: read-only by every process that runs
 * under libflclock.so, read-write by the agent (this API). The offset is a single
 * naturally aligned int64 that is only ever loaded and stored with atomic 8-byte
 * accesses, so a reader never sees a torn value and needs no lock or seqlock; a change
 * is seen by the next clock read of every process (same page-cache page), no syscall on
 * either side.
 *
 * The file is never truncated or replaced while in use (a shim keeps the inode it
 * mapped at start-up): creation writes a complete file under a temporary name and
 * link()s it into place, so a process starting at the same moment sees either no file
 * (offset 0) or a valid one. It must live on a local filesystem (not NFS). */
#ifndef FL_CLOCK_OFFSET_H
#define FL_CLOCK_OFFSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_CLOCK_MAGIC UINT64_C(0x314b434f4c434c46) /* "FLCLOCK1", little-endian */
#define FL_CLOCK_VERSION 1u
#define FL_CLOCK_ENV "FL_CLOCK_FILE"
#define FL_CLOCK_ERR_BYTES 512

/* The file's layout (64 bytes). Fields other than offset_ns and generation are written
 * once, before the file gets its name. */
struct fl_clock_shm {
    uint64_t magic;      /* FL_CLOCK_MAGIC */
    uint32_t version;    /* FL_CLOCK_VERSION */
    uint32_t size;       /* sizeof(struct fl_clock_shm) */
    int64_t offset_ns;   /* added to the realtime clocks; atomic 8-byte accesses only */
    uint64_t generation; /* +1 at every set; diagnostics only */
    uint8_t reserved[32];
};
_Static_assert(sizeof(struct fl_clock_shm) == 64, "offset file layout is 64 bytes");
_Static_assert(offsetof(struct fl_clock_shm, offset_ns) % 8 == 0, "offset_ns aligned");
_Static_assert(__atomic_always_lock_free(sizeof(int64_t), 0),
               "the offset must be readable without a lock");

/* The writer's handle on one offset file. */
typedef struct fl_clock_offset fl_clock_offset;

/* Map `path` read-write. When it does not exist: with `create`, make it (offset 0,
 * mode 0644); without, fail. An existing file that is not an offset file (bad magic,
 * version or size) is an error, never rewritten. NULL on error, with errno set and
 * `err` saying which file, what is wrong and what to do. */
fl_clock_offset *fl_clock_offset_open(const char *path, bool create,
                                      char err[FL_CLOCK_ERR_BYTES]);
/* Set the offset, in nanoseconds (positive: the shimmed clocks run ahead). One atomic
 * store (plus a counter): no syscall, safe from any thread, visible at once. */
void fl_clock_offset_set(fl_clock_offset *c, int64_t offset_ns);
int64_t fl_clock_offset_get(const fl_clock_offset *c);
/* How many times the offset was set since the file was created (all writers). */
uint64_t fl_clock_offset_generation(const fl_clock_offset *c);
/* Unmap; the file and its offset stay. NULL is harmless. */
void fl_clock_offset_close(fl_clock_offset *c);

/* Is a mapped file of `file_bytes` bytes a valid offset file (magic, version, size)?
 * NULL when it is, else why not. Used by the writer and by the shim. */
static inline const char *fl_clock_shm_invalid(const struct fl_clock_shm *s,
                                               size_t file_bytes) {
    if (file_bytes < sizeof *s) return "too short to be an offset file";
    if (s->magic != FL_CLOCK_MAGIC) return "not an offset file (bad magic)";
    if (s->version != FL_CLOCK_VERSION) return "an offset file of another version";
    if (s->size != sizeof *s) return "an offset file of another size";
    return NULL;
}

#endif
