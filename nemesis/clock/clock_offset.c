/* The writer side of the clock shim's offset file (see clock_offset.h). */
#include "clock_offset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct fl_clock_offset {
    struct fl_clock_shm *shm;
};

/* Make `path` appear complete: write a fresh file under a temporary name, then link()
 * it into place (link, unlike rename, never replaces a file another writer made first).
 * The descriptor of the file now at `path`, or -1 with errno set and err filled. */
static int create_file(const char *path, char *err) {
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(err, FL_CLOCK_ERR_BYTES, "cannot create %s: out of memory", path);
        return -1;
    }
    snprintf(tmp, n, "%s.tmp.XXXXXX", path); /* unique even between threads */
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, FL_CLOCK_ERR_BYTES,
                 "cannot create %s: %s (does its directory exist and is it writable?)", tmp,
                 strerror(e));
        free(tmp);
        errno = e;
        return -1;
    }
    struct fl_clock_shm init = {.magic = FL_CLOCK_MAGIC,
                                .version = FL_CLOCK_VERSION,
                                .size = sizeof init};
    /* The shim of a target run as another user opens it read-only: 0644 whatever the umask. */
    const char *step = NULL;
    errno = 0;
    if (pwrite(fd, &init, sizeof init, 0) != (ssize_t)sizeof init)
        step = "write";
    else if (fchmod(fd, 0644) != 0)
        step = "chmod";
    else if (link(tmp, path) != 0)
        step = "link";
    if (!step) {
        unlink(tmp);
        free(tmp);
        return fd;
    }
    int e = errno;
    close(fd);
    unlink(tmp);
    if (e == EEXIST && step[0] == 'l') { /* another writer was first: use theirs */
        free(tmp);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            e = errno;
            snprintf(err, FL_CLOCK_ERR_BYTES, "cannot open %s: %s", path, strerror(e));
            errno = e;
        }
        return fd;
    }
    snprintf(err, FL_CLOCK_ERR_BYTES, "cannot create %s (%s of %s): %s", path, step, tmp,
             strerror(e ? e : EIO));
    free(tmp);
    errno = e ? e : EIO;
    return -1;
}

fl_clock_offset *fl_clock_offset_open(const char *path, bool create,
                                      char err[FL_CLOCK_ERR_BYTES]) {
    err[0] = '\0';
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        fd = create_file(path, err);
        if (fd < 0) return NULL;
    } else if (fd < 0) {
        int e = errno;
        snprintf(err, FL_CLOCK_ERR_BYTES, "cannot open the clock offset file %s: %s%s", path,
                 strerror(e), e == ENOENT ? " (open it with create to make it)" : "");
        errno = e;
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int e = errno ? errno : EINVAL;
        snprintf(err, FL_CLOCK_ERR_BYTES, "%s is not a regular file: remove it", path);
        close(fd);
        errno = e;
        return NULL;
    }
    if (st.st_size < (off_t)sizeof(struct fl_clock_shm)) {
        snprintf(err, FL_CLOCK_ERR_BYTES,
                 "%s is %lld bytes, too short to be a clock offset file: remove it (it is "
                 "made again, with offset 0)",
                 path, (long long)st.st_size);
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    void *p = mmap(NULL, sizeof(struct fl_clock_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                   0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, FL_CLOCK_ERR_BYTES, "cannot map %s: %s", path, strerror(e));
        errno = e;
        return NULL;
    }
    const char *why = fl_clock_shm_invalid(p, (size_t)st.st_size);
    if (why) {
        snprintf(err, FL_CLOCK_ERR_BYTES, "%s is %s: remove it (it is made again, with offset 0)",
                 path, why);
        munmap(p, sizeof(struct fl_clock_shm));
        errno = EINVAL;
        return NULL;
    }
    fl_clock_offset *c = malloc(sizeof *c);
    if (!c) {
        snprintf(err, FL_CLOCK_ERR_BYTES, "cannot open %s: out of memory", path);
        munmap(p, sizeof(struct fl_clock_shm));
        errno = ENOMEM;
        return NULL;
    }
    c->shm = p;
    return c;
}

void fl_clock_offset_set(fl_clock_offset *c, int64_t offset_ns) {
    __atomic_store_n(&c->shm->offset_ns, offset_ns, __ATOMIC_RELEASE);
    __atomic_fetch_add(&c->shm->generation, 1, __ATOMIC_RELEASE);
}

int64_t fl_clock_offset_get(const fl_clock_offset *c) {
    return __atomic_load_n(&c->shm->offset_ns, __ATOMIC_ACQUIRE);
}

uint64_t fl_clock_offset_generation(const fl_clock_offset *c) {
    return __atomic_load_n(&c->shm->generation, __ATOMIC_ACQUIRE);
}

void fl_clock_offset_close(fl_clock_offset *c) {
    if (!c) return;
    munmap(c->shm, sizeof(struct fl_clock_shm));
    free(c);
}
