/* The data dir: hard state slots, the entry log with suffix truncation, snapshots, and
 * the start-up scan that cuts torn tails and refuses corruption (see storage.h). */
#include "storage.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define REC_MAGIC 0x45524c46u /* "FLRE" */
#define HS_MAGIC 0x53484c46u  /* "FLHS" */
#define HS_SLOT_BYTES 32
#define FORMAT_VERSION 1
#define WBUF_BYTES_MAX ((size_t)256 << 20)
#define COPY_CHUNK_BYTES ((size_t)1 << 20)

static const char log_magic[8] = {'F', 'L', 'R', 'K', 'V', 'L', 'O', 'G'};
static const char snap_magic[8] = {'F', 'L', 'R', 'K', 'V', 'S', 'N', 'P'};

_Static_assert(RKV_REC_HEADER_BYTES == 32 && RKV_LOG_HEADER_BYTES == 32, "fixed layouts");
_Static_assert(RAFT_ENTRY_BYTES_MAX < UINT32_MAX, "a record's length is a u32");

/* ---- little-endian fields and CRC-32C ---- */

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

uint32_t rkv_crc32c(uint32_t crc, const void *bytes, size_t len) {
    static uint32_t table[256];
    static int ready;
    if (!ready) { /* single-threaded daemon: no race */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const uint8_t *p = bytes;
    crc = ~crc;
    for (size_t i = 0; i < len; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- file helpers: every error names the call and the file ---- */

static int fail(char *err, size_t err_bytes, const char *call, const rkv_storage *st,
                const char *name) {
    snprintf(err, err_bytes, "%s %s/%s: %s", call, st->dir, name, strerror(errno));
    return -1;
}

static int pwrite_all(int fd, const void *bytes, size_t len, uint64_t off) {
    const uint8_t *p = bytes;
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int pread_all(int fd, void *bytes, size_t len, uint64_t off) {
    uint8_t *p = bytes;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO; /* the file shrank under us */
            return -1;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* The whole file at name (malloc'd, *len bytes; NULL and *len 0 when it does not exist),
 * or -1 with err. */
static int read_file(rkv_storage *st, const char *name, uint8_t **out, size_t *len, char *err,
                     size_t err_bytes) {
    *out = NULL;
    *len = 0;
    int fd = openat(st->dir_fd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? 0 : fail(err, err_bytes, "open", st, name);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        fail(err, err_bytes, "fstat", st, name);
        close(fd);
        return -1;
    }
    uint8_t *bytes = malloc((size_t)sb.st_size + 1);
    if (!bytes) abort();
    if (pread_all(fd, bytes, (size_t)sb.st_size, 0) != 0) {
        fail(err, err_bytes, "read", st, name);
        free(bytes);
        close(fd);
        return -1;
    }
    close(fd);
    *out = bytes;
    *len = (size_t)sb.st_size;
    return 0;
}

/* name.tmp written with head then body, fdatasync'd, renamed over name, the dir synced:
 * the file is replaced whole or not at all. The new file's fd (O_RDWR) when keep_fd, else
 * it is closed and 0 is returned; -1 with err. */
static int write_atomic(rkv_storage *st, const char *name, const void *head, size_t head_len,
                        const void *body, size_t body_len, bool keep_fd, char *err,
                        size_t err_bytes) {
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    int fd = openat(st->dir_fd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail(err, err_bytes, "open", st, tmp);
    const char *call = "write";
    if (pwrite_all(fd, head, head_len, 0) != 0 ||
        (body_len && pwrite_all(fd, body, body_len, head_len) != 0) ||
        (call = "fdatasync", fdatasync(fd)) != 0 ||
        (call = "rename", renameat(st->dir_fd, tmp, st->dir_fd, name)) != 0 ||
        (call = "fsync (dir)", fsync(st->dir_fd)) != 0) {
        fail(err, err_bytes, call, st, tmp);
        close(fd);
        return -1;
    }
    if (keep_fd) return fd;
    close(fd);
    return 0;
}

/* ---- hard state ---- */

static void hs_encode(uint8_t slot[HS_SLOT_BYTES], uint64_t seq, raft_hard_state hs) {
    memset(slot, 0, HS_SLOT_BYTES);
    put32(slot, HS_MAGIC);
    put64(slot + 8, seq);
    put64(slot + 16, hs.term);
    put32(slot + 24, (uint32_t)hs.vote); /* RAFT_NONE as 0xffffffff */
    put32(slot + 4, rkv_crc32c(0, slot + 8, HS_SLOT_BYTES - 8));
}

static bool hs_decode(const uint8_t *slot, uint64_t *seq, raft_hard_state *hs) {
    if (get32(slot) != HS_MAGIC || get32(slot + 4) != rkv_crc32c(0, slot + 8, HS_SLOT_BYTES - 8))
        return false;
    uint32_t vote = get32(slot + 24);
    *seq = get64(slot + 8);
    *hs = (raft_hard_state){get64(slot + 16), vote == UINT32_MAX ? RAFT_NONE : (int)(vote & 0x7fffffff)};
    return true;
}

int rkv_storage_write_hs(rkv_storage *st, raft_hard_state hs, char *err, size_t err_bytes) {
    uint8_t slot[HS_SLOT_BYTES];
    uint64_t seq = st->hs_seq + 1;
    hs_encode(slot, seq, hs);
    /* the other slot keeps the previous hard state until this one is whole */
    if (pwrite_all(st->hs_fd, slot, sizeof slot, (seq & 1) * HS_SLOT_BYTES) != 0)
        return fail(err, err_bytes, "pwrite", st, RKV_HS_NAME);
    st->hs_seq = seq;
    st->hs_dirty = true;
    return 0;
}

static int open_hs(rkv_storage *st, raft_hard_state *hs, char *err, size_t err_bytes) {
    uint8_t *bytes;
    size_t len;
    if (read_file(st, RKV_HS_NAME, &bytes, &len, err, err_bytes) != 0) return -1;
    if (!bytes) { /* a fresh dir: a valid first slot, so a torn later write is never alone */
        uint8_t slots[2 * HS_SLOT_BYTES] = {0};
        hs_encode(slots, 1, (raft_hard_state){0, RAFT_NONE});
        st->hs_fd = write_atomic(st, RKV_HS_NAME, slots, sizeof slots, NULL, 0, true, err,
                                 err_bytes);
        st->hs_seq = 1;
        *hs = (raft_hard_state){0, RAFT_NONE};
        return st->hs_fd < 0 ? -1 : 0;
    }
    uint64_t seq[2] = {0, 0};
    raft_hard_state got[2];
    bool ok[2] = {false, false};
    for (int i = 0; i < 2 && len >= (size_t)(i + 1) * HS_SLOT_BYTES; i++)
        ok[i] = hs_decode(bytes + i * HS_SLOT_BYTES, &seq[i], &got[i]);
    free(bytes);
    if (!ok[0] && !ok[1]) {
        snprintf(err, err_bytes, "%s/%s: no valid hard state slot: corruption; move the data dir "
                 "away to start empty", st->dir, RKV_HS_NAME);
        return -1;
    }
    int pick = ok[0] && (!ok[1] || seq[0] > seq[1]) ? 0 : 1;
    st->hs_seq = seq[pick];
    *hs = got[pick];
    st->hs_fd = openat(st->dir_fd, RKV_HS_NAME, O_RDWR | O_CLOEXEC);
    return st->hs_fd < 0 ? fail(err, err_bytes, "open", st, RKV_HS_NAME) : 0;
}

/* ---- snapshot file ---- */

static void snap_header(uint8_t h[RKV_SNAP_HEADER_BYTES], const raft_snapshot *s) {
    memset(h, 0, RKV_SNAP_HEADER_BYTES);
    memcpy(h, snap_magic, 8);
    put64(h + 8, s->index);
    put64(h + 16, s->term);
    put64(h + 24, s->len);
    put32(h + 32, FORMAT_VERSION);
    uint32_t crc = rkv_crc32c(0, h, 36);
    put32(h + 36, rkv_crc32c(crc, s->data, s->len));
}

static int write_snapshot(rkv_storage *st, const raft_snapshot *s, char *err, size_t err_bytes) {
    uint8_t h[RKV_SNAP_HEADER_BYTES];
    snap_header(h, s);
    return write_atomic(st, RKV_SNAP_NAME, h, sizeof h, s->data, s->len, false, err, err_bytes);
}

/* The snapshot file into rec (index 0 when there is none): 0, or -1 when it is damaged. */
static int read_snapshot(rkv_storage *st, rkv_recovery *rec, char *err, size_t err_bytes) {
    uint8_t *bytes;
    size_t len;
    if (read_file(st, RKV_SNAP_NAME, &bytes, &len, err, err_bytes) != 0) return -1;
    if (!bytes) return 0;
    raft_snapshot s = {0};
    bool ok = len >= RKV_SNAP_HEADER_BYTES && !memcmp(bytes, snap_magic, 8);
    if (ok) {
        s = (raft_snapshot){get64(bytes + 8), get64(bytes + 16), bytes + RKV_SNAP_HEADER_BYTES,
                            (size_t)get64(bytes + 24)};
        uint32_t crc = rkv_crc32c(0, bytes, 36);
        ok = get32(bytes + 32) == FORMAT_VERSION && s.len == len - RKV_SNAP_HEADER_BYTES &&
             s.index > 0 && s.term > 0 && get32(bytes + 36) == rkv_crc32c(crc, s.data, s.len);
    }
    if (!ok) {
        free(bytes);
        snprintf(err, err_bytes, "%s/%s: damaged snapshot (header or CRC): corruption; move the "
                 "data dir away to start empty", st->dir, RKV_SNAP_NAME);
        return -1;
    }
    rec->snapshot_data = malloc(s.len ? s.len : 1);
    if (!rec->snapshot_data) abort();
    memcpy(rec->snapshot_data, s.data, s.len);
    s.data = rec->snapshot_data;
    rec->boot.snapshot = s;
    free(bytes);
    return 0;
}

/* ---- log records ---- */

static void log_header(uint8_t h[RKV_LOG_HEADER_BYTES], uint64_t base_index, uint64_t base_term) {
    memcpy(h, log_magic, 8);
    put64(h + 8, base_index);
    put64(h + 16, base_term);
    put32(h + 24, FORMAT_VERSION);
    put32(h + 28, rkv_crc32c(0, h, 28));
}

static int encode_record(fl_buf *b, const raft_entry *e) {
    if (fl_buf_reserve(b, RKV_REC_HEADER_BYTES + e->len) != 0) return -1;
    uint8_t *h = (uint8_t *)b->data + b->used;
    put32(h, REC_MAGIC);
    put32(h + 4, e->len);
    put64(h + 8, e->index);
    put64(h + 16, e->term);
    put32(h + 24, (uint32_t)e->type);
    uint32_t crc = rkv_crc32c(0, h, 28);
    put32(h + 28, rkv_crc32c(crc, e->data, e->len));
    if (e->len) memcpy(h + RKV_REC_HEADER_BYTES, e->data, e->len);
    b->used += RKV_REC_HEADER_BYTES + e->len;
    return 0;
}

/* A whole record with a good CRC at bytes[off..len): its total size, or 0. */
static size_t valid_record(const uint8_t *bytes, size_t len, size_t off) {
    if (len - off < RKV_REC_HEADER_BYTES) return 0;
    const uint8_t *h = bytes + off;
    uint32_t n = get32(h + 4);
    if (get32(h) != REC_MAGIC || n > RAFT_ENTRY_BYTES_MAX ||
        len - off - RKV_REC_HEADER_BYTES < n)
        return 0;
    uint32_t crc = rkv_crc32c(0, h, 28);
    if (get32(h + 28) != rkv_crc32c(crc, h + RKV_REC_HEADER_BYTES, n)) return 0;
    return RKV_REC_HEADER_BYTES + n;
}

static int add_offset(rkv_storage *st, uint64_t off) {
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 1024;
        st->offsets = realloc(st->offsets, st->cap * sizeof *st->offsets);
        if (!st->offsets) abort();
    }
    st->offsets[st->n++] = off;
    return 0;
}

static void add_entry(rkv_recovery *rec, size_t *cap, const uint8_t *h) {
    raft_boot *b = &rec->boot;
    if (b->n_entries == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        rec->entries = realloc(rec->entries, *cap * sizeof *rec->entries);
        if (!rec->entries) abort();
        b->entries = rec->entries;
    }
    raft_entry *e = &rec->entries[b->n_entries++];
    *e = (raft_entry){get64(h + 8), get64(h + 16), (raft_entry_type)get32(h + 24), get32(h + 4), NULL};
    if (e->len) {
        e->data = malloc(e->len);
        if (!e->data) abort();
        memcpy(e->data, h + RKV_REC_HEADER_BYTES, e->len);
    }
}

/* A valid record that does not follow the one before is corruption, not a tear. */
static bool follows(const rkv_storage *st, const rkv_recovery *rec, const uint8_t *h) {
    uint64_t index = get64(h + 8), term = get64(h + 16);
    uint32_t type = get32(h + 24), len = get32(h + 4);
    uint64_t prev_term = rec->boot.n_entries ? rec->entries[rec->boot.n_entries - 1].term
                                             : st->base_term;
    return index == st->base_index + 1 + st->n && term >= prev_term && term >= 1 &&
           (type == RAFT_ENTRY_COMMAND || (type == RAFT_ENTRY_NOOP && len == 0));
}

/* Reads the records of raft.log's image into rec and st->offsets; sets *good to the end of
 * the last valid one. -1 with err on corruption. */
static int scan_records(rkv_storage *st, rkv_recovery *rec, const uint8_t *bytes, size_t len,
                        size_t *good, char *err, size_t err_bytes) {
    size_t off = RKV_LOG_HEADER_BYTES, cap = 0, size;
    while (off < len && (size = valid_record(bytes, len, off)) > 0) {
        if (!follows(st, rec, bytes + off)) {
            snprintf(err, err_bytes, "%s/%s: the record at byte %zu (index %" PRIu64 ") does not "
                     "follow the one before: corruption; move the data dir away to start empty",
                     st->dir, RKV_LOG_NAME, off, get64(bytes + off + 8));
            return -1;
        }
        add_entry(rec, &cap, bytes + off);
        add_offset(st, off);
        off += size;
    }
    *good = off;
    for (size_t p = off + 1; p < len; p++) /* a torn write leaves no valid record after it */
        if (valid_record(bytes, len, p)) {
            snprintf(err, err_bytes, "%s/%s: the record at byte %zu is damaged and a valid one "
                     "follows at byte %zu: corruption, not a torn write; move the data dir away "
                     "to start empty", st->dir, RKV_LOG_NAME, off, p);
            return -1;
        }
    return 0;
}

/* Replaces raft.log by a log following (base_index, base_term) that holds the records
 * bytes[from, to) of the current one (offsets shift accordingly). Durable. */
static int rewrite_log(rkv_storage *st, uint64_t base_index, uint64_t base_term, const uint8_t *bytes,
                       uint64_t from, uint64_t to, char *err, size_t err_bytes) {
    uint8_t h[RKV_LOG_HEADER_BYTES];
    log_header(h, base_index, base_term);
    int fd = write_atomic(st, RKV_LOG_NAME, h, sizeof h, bytes, (size_t)(to - from), true, err,
                          err_bytes);
    if (fd < 0) return -1;
    if (st->log_fd >= 0) close(st->log_fd);
    st->log_fd = fd;
    size_t skip = (size_t)(base_index - st->base_index), keep = 0;
    if (from < to) /* else the log restarts empty */
        for (size_t k = skip; k < st->n; k++) st->offsets[keep++] = st->offsets[k] - from + sizeof h;
    st->n = keep;
    st->base_index = base_index;
    st->base_term = base_term;
    st->end = sizeof h + (to - from);
    st->log_dirty = false;
    return 0;
}

/* ---- opening ---- */

static int bad_header(rkv_storage *st, char *err, size_t err_bytes) {
    snprintf(err, err_bytes, "%s/%s: damaged header: corruption; move the data dir away to "
             "start empty", st->dir, RKV_LOG_NAME);
    return -1;
}

/* Reads raft.log (creating it empty after the snapshot when missing) into rec, cutting a
 * torn tail. *image keeps the bytes for reconcile. */
static int read_log(rkv_storage *st, rkv_recovery *rec, uint8_t **image, char *err,
                    size_t err_bytes) {
    size_t len, good;
    if (read_file(st, RKV_LOG_NAME, image, &len, err, err_bytes) != 0) return -1;
    if (!*image) {
        const raft_snapshot *s = &rec->boot.snapshot;
        st->base_index = s->index;
        st->base_term = s->term;
        return rewrite_log(st, s->index, s->term, NULL, 0, 0, err, err_bytes);
    }
    uint8_t h[RKV_LOG_HEADER_BYTES];
    if (len < sizeof h) return bad_header(st, err, err_bytes);
    log_header(h, get64(*image + 8), get64(*image + 16));
    if (memcmp(h, *image, sizeof h) != 0) return bad_header(st, err, err_bytes);
    st->base_index = get64(h + 8);
    st->base_term = get64(h + 16);
    if (scan_records(st, rec, *image, len, &good, err, err_bytes) != 0) return -1;
    st->end = good;
    st->log_fd = openat(st->dir_fd, RKV_LOG_NAME, O_RDWR | O_CLOEXEC);
    if (st->log_fd < 0) return fail(err, err_bytes, "open", st, RKV_LOG_NAME);
    if (good == len) return 0;
    rec->torn_bytes = len - good;
    rec->torn_at = rkv_storage_last_index(st) + 1;
    if (ftruncate(st->log_fd, (off_t)good) != 0 || fdatasync(st->log_fd) != 0)
        return fail(err, err_bytes, "truncate a torn tail of", st, RKV_LOG_NAME);
    return 0;
}

/* The snapshot file against the log's base (storage.h): a crash between writing a
 * snapshot and rewriting the log is repaired here. */
static int reconcile(rkv_storage *st, rkv_recovery *rec, const uint8_t *image, char *err,
                     size_t err_bytes) {
    const raft_snapshot *s = &rec->boot.snapshot;
    if (s->index == st->base_index && s->term == st->base_term) return 0;
    if (s->index <= st->base_index) {
        snprintf(err, err_bytes, "%s/%s follows index %" PRIu64 " (term %" PRIu64 ") but the "
                 "snapshot is at index %" PRIu64 " (term %" PRIu64 "): corruption; move the data "
                 "dir away to start empty", st->dir, RKV_LOG_NAME, st->base_index, st->base_term,
                 s->index, s->term);
        return -1;
    }
    size_t k = (size_t)(s->index - st->base_index); /* entries at or below the snapshot */
    bool continues = k <= st->n && rec->entries[k - 1].term == s->term;
    uint64_t from = continues ? (k < st->n ? st->offsets[k] : st->end) : st->end;
    size_t dropped = continues ? k : st->n;
    for (size_t i = 0; i < rec->boot.n_entries; i++)
        if (i < dropped) free(rec->entries[i].data);
        else rec->entries[i - dropped] = rec->entries[i];
    rec->boot.n_entries -= dropped;
    rec->dropped = dropped;
    rec->log_dropped = !continues;
    return rewrite_log(st, s->index, s->term, image + from, from, continues ? st->end : from, err,
                       err_bytes);
}

static int lock_dir(rkv_storage *st, const char *dir, char *err, size_t err_bytes) {
    if ((size_t)snprintf(st->dir, sizeof st->dir, "%s", dir) >= sizeof st->dir) {
        snprintf(err, err_bytes, "data dir %s: path too long", dir);
        return -1;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_bytes, "data dir %s: mkdir: %s", dir, strerror(errno));
        return -1;
    }
    st->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dir_fd < 0) {
        snprintf(err, err_bytes, "data dir %s: open: %s", dir, strerror(errno));
        return -1;
    }
    st->lock_fd = openat(st->dir_fd, RKV_LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (st->lock_fd < 0) return fail(err, err_bytes, "open", st, RKV_LOCK_NAME);
    if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, err_bytes, "data dir %s is locked by another process (%s): is another "
                 "fl-raftkv using it?", dir, strerror(errno));
        return -1;
    }
    static const char *const temps[] = {RKV_HS_NAME ".tmp", RKV_SNAP_NAME ".tmp", RKV_LOG_NAME ".tmp"};
    for (size_t i = 0; i < sizeof temps / sizeof temps[0]; i++) /* a crash's leftovers */
        unlinkat(st->dir_fd, temps[i], 0);
    return 0;
}

int rkv_storage_open(rkv_storage *st, const char *dir, rkv_recovery *rec, char *err,
                     size_t err_bytes) {
    memset(st, 0, sizeof *st);
    memset(rec, 0, sizeof *rec);
    st->dir_fd = st->lock_fd = st->hs_fd = st->log_fd = -1;
    fl_buf_init(&st->wbuf, WBUF_BYTES_MAX);
    uint8_t *image = NULL;
    int rc = -1;
    if (lock_dir(st, dir, err, err_bytes) == 0 && open_hs(st, &rec->boot.hs, err, err_bytes) == 0 &&
        read_snapshot(st, rec, err, err_bytes) == 0 && read_log(st, rec, &image, err, err_bytes) == 0 &&
        reconcile(st, rec, image, err, err_bytes) == 0)
        rc = 0;
    free(image);
    rec->boot.entries = rec->entries;
    return rc;
}

void rkv_recovery_free(rkv_recovery *rec) {
    for (size_t i = 0; i < rec->boot.n_entries; i++) free(rec->entries[i].data);
    free(rec->entries);
    free(rec->snapshot_data);
    memset(rec, 0, sizeof *rec);
}

void rkv_storage_close(rkv_storage *st) {
    int *fds[] = {&st->hs_fd, &st->log_fd, &st->lock_fd, &st->dir_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0) close(*fds[i]);
        *fds[i] = -1;
    }
    free(st->offsets);
    st->offsets = NULL;
    st->n = st->cap = 0;
    fl_buf_free(&st->wbuf);
}

/* ---- writing ---- */

int rkv_storage_append(rkv_storage *st, const raft_entry *es, size_t n, char *err,
                       size_t err_bytes) {
    if (n == 0) return 0;
    uint64_t first = es[0].index, last = rkv_storage_last_index(st);
    assert(first > st->base_index && first <= last + 1);
    if (first <= last) { /* a conflicting suffix: cut it at its first entry */
        uint64_t off = st->offsets[first - st->base_index - 1];
        if (ftruncate(st->log_fd, (off_t)off) != 0)
            return fail(err, err_bytes, "ftruncate", st, RKV_LOG_NAME);
        st->n = (size_t)(first - st->base_index - 1);
        st->end = off;
        st->log_dirty = true;
    }
    fl_buf_clear(&st->wbuf);
    uint64_t off = st->end;
    for (size_t i = 0; i < n; i++) {
        assert(es[i].index == first + i);
        size_t before = fl_buf_len(&st->wbuf);
        if (encode_record(&st->wbuf, &es[i]) != 0) {
            snprintf(err, err_bytes, "append to %s/%s: a batch over %zu bytes", st->dir,
                     RKV_LOG_NAME, WBUF_BYTES_MAX);
            return -1;
        }
        add_offset(st, off + before);
    }
    if (pwrite_all(st->log_fd, fl_buf_bytes(&st->wbuf), fl_buf_len(&st->wbuf), off) != 0)
        return fail(err, err_bytes, "pwrite", st, RKV_LOG_NAME);
    st->end = off + fl_buf_len(&st->wbuf);
    st->log_dirty = true;
    return 0;
}

int rkv_storage_sync(rkv_storage *st, char *err, size_t err_bytes) {
    if (st->hs_dirty && fdatasync(st->hs_fd) != 0)
        return fail(err, err_bytes, "fdatasync", st, RKV_HS_NAME);
    st->hs_dirty = false;
    if (st->log_dirty && fdatasync(st->log_fd) != 0)
        return fail(err, err_bytes, "fdatasync", st, RKV_LOG_NAME);
    st->log_dirty = false;
    return 0;
}

int rkv_storage_install(rkv_storage *st, const raft_snapshot *snap, char *err, size_t err_bytes) {
    assert(snap->index > 0);
    if (write_snapshot(st, snap, err, err_bytes) != 0) return -1;
    return rewrite_log(st, snap->index, snap->term, NULL, 0, 0, err, err_bytes);
}

int rkv_storage_compact(rkv_storage *st, const raft_snapshot *snap, char *err, size_t err_bytes) {
    assert(snap->index > st->base_index && snap->index <= rkv_storage_last_index(st));
    if (rkv_storage_sync(st, err, err_bytes) != 0 || write_snapshot(st, snap, err, err_bytes) != 0)
        return -1;
    size_t k = (size_t)(snap->index - st->base_index);
    uint64_t from = k < st->n ? st->offsets[k] : st->end;
    uint8_t *tail = malloc(st->end - from + 1);
    if (!tail) abort();
    int rc = pread_all(st->log_fd, tail, (size_t)(st->end - from), from) != 0
                 ? fail(err, err_bytes, "read", st, RKV_LOG_NAME)
                 : rewrite_log(st, snap->index, snap->term, tail, from, st->end, err, err_bytes);
    free(tail);
    return rc;
}
