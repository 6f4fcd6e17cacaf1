/* libflclock.so: faultline's clock shim (DESIGN.md "Clock faults"), LD_PRELOAD'd into a
 * target's processes in `faketime` clock mode. It adds the offset held in the file named
 * by FL_CLOCK_FILE (clock_offset.h) to the realtime clocks only:
 *   - clock_gettime on CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_REALTIME_ALARM and
 *     CLOCK_TAI (MONOTONIC, BOOTTIME and the CPU-time clocks pass through untouched),
 *     gettimeofday, time, timespec_get(TIME_UTC);
 *   - absolute realtime deadlines, which are moved back by the offset before the real
 *     call: pthread_cond_timedwait (only for a condvar on the default realtime clock),
 *     pthread_cond_clockwait, sem_timedwait/clockwait, pthread_mutex_timedlock/clocklock,
 *     pthread_rwlock_{timed,clock}{rd,wr}lock, pthread_timedjoin_np/clockjoin_np and
 *     clock_nanosleep(TIMER_ABSTIME) on a shifted clock.
 *
 * Never recursion, never malloc, never a lock on the clock paths: the real clock is read
 * through the kernel's vDSO entry found from the auxiliary vector (no dlsym: parsing the
 * vDSO's own symbol table), else by raw syscall (also before the constructor has run, or
 * with FL_CLOCK_NO_VDSO=1), and the offset is one atomic load from the file mapped
 * read-only at load. Only the deadline functions need libc's own versions, found with
 * dlsym(RTLD_NEXT) in the constructor (lazily if called earlier), never from a clock path.
 *
 * No offset file, an unreadable one or one that is not an offset file: offset 0, the
 * program runs as without the shim. FL_CLOCK_DEBUG=1 prints at load what the shim found.
 *
 * Limits: a wait already blocked does not see a later offset change that moves the
 * shimmed clock forward (it ends at its original real deadline); one that moves it back
 * is honoured (the wait goes on, or a condvar wait returns as a spurious wakeup). Not
 * covered: timer_settime/timerfd_settime with TIMER_ABSTIME on a realtime clock, mq_timed*,
 * raw clock syscalls, static binaries and Go programs (no LD_PRELOAD reaches them). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "clock_offset.h"

_Static_assert(sizeof(time_t) == 8, "the shim supports 64-bit time_t only");

#define EXPORT __attribute__((visibility("default")))
#define NS 1000000000LL

/* ---- state (all set once, read with atomic loads) ---- */

typedef int (*vdso_gettime_fn)(clockid_t, struct timespec *);
static vdso_gettime_fn vdso_gettime;  /* NULL: raw syscall */
static const int64_t *offset_word;    /* in the mapped file; NULL: offset 0 */
static int init_state;                /* 0 not started, 1 running, 2 done */
static int cond_clock_readable;       /* glibc's condvar clock bit was found where expected */
static const char *map_failure = "FL_CLOCK_FILE is not set";

/* ---- the real clock ---- */

static inline int real_gettime(clockid_t clk, struct timespec *ts) {
    vdso_gettime_fn f = __atomic_load_n(&vdso_gettime, __ATOMIC_RELAXED);
    if (__builtin_expect(f != NULL, 1)) {
        int r = f(clk, ts);
        if (__builtin_expect(r == 0, 1)) return 0;
        errno = -r; /* the vDSO's own syscall fallback returns -errno */
        return -1;
    }
    return (int)syscall(SYS_clock_gettime, clk, ts);
}

static inline int is_shifted_clock(clockid_t c) {
    return c == CLOCK_REALTIME || c == CLOCK_REALTIME_COARSE || c == CLOCK_TAI ||
           c == CLOCK_REALTIME_ALARM;
}

static void shim_init(void);

static inline int64_t current_offset(void) {
    const int64_t *w = __atomic_load_n(&offset_word, __ATOMIC_ACQUIRE);
    if (__builtin_expect(w != NULL, 1)) return __atomic_load_n(w, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 0) { /* before our constructor */
        shim_init();
        w = __atomic_load_n(&offset_word, __ATOMIC_ACQUIRE);
        if (w) return __atomic_load_n(w, __ATOMIC_ACQUIRE);
    }
    return 0;
}

/* ts += sign * d nanoseconds, saturating (deadlines such as {INT64_MAX, 0} exist). */
static inline void shift(struct timespec *ts, int64_t d, int sign) {
    int64_t sec = d / NS, nsec = d % NS; /* no overflow even for INT64_MIN */
    if (sign < 0) sec = -sec, nsec = -nsec;
    int64_t n = ts->tv_nsec + nsec, carry = 0, s;
    if (n >= NS) n -= NS, carry = 1;
    else if (n < 0) n += NS, carry = -1;
    if (__builtin_add_overflow((int64_t)ts->tv_sec, sec, &s)) {
        s = sec > 0 ? INT64_MAX : INT64_MIN;
        n = sec > 0 ? NS - 1 : 0;
    } else if (__builtin_add_overflow(s, carry, &s)) {
        s = carry > 0 ? INT64_MAX : INT64_MIN;
        n = carry > 0 ? NS - 1 : 0;
    }
    ts->tv_sec = s;
    ts->tv_nsec = n;
}

/* ---- the shifted clocks ---- */

static inline int shimmed_gettime(clockid_t clk, struct timespec *ts) {
    int r = real_gettime(clk, ts);
    if (r == 0 && is_shifted_clock(clk)) {
        int64_t off = current_offset();
        if (off) shift(ts, off, 1);
    }
    return r;
}

EXPORT int clock_gettime(clockid_t clk, struct timespec *ts) {
    return shimmed_gettime(clk, ts);
}

EXPORT int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    struct timeval *out = tv;
    __asm__("" : "+r"(out)); /* glibc declares tv nonnull; old callers pass NULL for tz only */
    if (tz && syscall(SYS_gettimeofday, NULL, tz) != 0) return -1;
    if (!out) return 0;
    struct timespec ts;
    if (shimmed_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
    out->tv_sec = ts.tv_sec;
    out->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

/* As the kernel's time(): the seconds of the coarse realtime clock. */
EXPORT time_t time(time_t *t) {
    struct timespec ts;
    if (shimmed_gettime(CLOCK_REALTIME_COARSE, &ts) != 0 &&
        shimmed_gettime(CLOCK_REALTIME, &ts) != 0)
        return (time_t)-1;
    if (t) *t = ts.tv_sec;
    return ts.tv_sec;
}

static void *real_timespec_get;

EXPORT int timespec_get(struct timespec *ts, int base) {
    if (base == TIME_UTC) return shimmed_gettime(CLOCK_REALTIME, ts) == 0 ? base : 0;
    int (*f)(struct timespec *, int) = __atomic_load_n(&real_timespec_get, __ATOMIC_ACQUIRE);
    return f ? f(ts, base) : 0; /* other bases (C23) are not realtime */
}

/* ---- absolute realtime deadlines ---- */

/* libc's own version of a function we replace (resolved by the constructor; lazily if a
 * deadline function runs first, which is never on a clock path). */
static void *real_fn(void **slot, const char *name, const char *version) {
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (__builtin_expect(p != NULL, 1)) return p;
    if (version) p = dlvsym(RTLD_NEXT, name, version);
    if (!p) p = dlsym(RTLD_NEXT, name);
    __atomic_store_n(slot, p, __ATOMIC_RELEASE);
    return p;
}

/* pthread_cond_timedwait's current version on x86_64 (GLIBC_2.2.5 is the pre-2.3.2
 * condvar, which plain dlsym may hand back); other architectures have one version. */
#define COND_TIMEDWAIT_VERSION "GLIBC_2.3.2"

#define REAL(slot, name, version, type) ((type)real_fn(&(slot), (name), (version)))

static void *real_cond_timedwait, *real_cond_clockwait, *real_sem_timedwait,
    *real_sem_clockwait, *real_mutex_timedlock, *real_mutex_clocklock, *real_rw_timedrd,
    *real_rw_timedwr, *real_rw_clockrd, *real_rw_clockwr, *real_timedjoin, *real_clockjoin,
    *real_clock_nanosleep;

static void resolve_all(void) {
    real_fn(&real_cond_timedwait, "pthread_cond_timedwait", COND_TIMEDWAIT_VERSION);
    real_fn(&real_cond_clockwait, "pthread_cond_clockwait", NULL);
    real_fn(&real_sem_timedwait, "sem_timedwait", NULL);
    real_fn(&real_sem_clockwait, "sem_clockwait", NULL);
    real_fn(&real_mutex_timedlock, "pthread_mutex_timedlock", NULL);
    real_fn(&real_mutex_clocklock, "pthread_mutex_clocklock", NULL);
    real_fn(&real_rw_timedrd, "pthread_rwlock_timedrdlock", NULL);
    real_fn(&real_rw_timedwr, "pthread_rwlock_timedwrlock", NULL);
    real_fn(&real_rw_clockrd, "pthread_rwlock_clockrdlock", NULL);
    real_fn(&real_rw_clockwr, "pthread_rwlock_clockwrlock", NULL);
    real_fn(&real_timedjoin, "pthread_timedjoin_np", NULL);
    real_fn(&real_clockjoin, "pthread_clockjoin_np", NULL);
    real_fn(&real_clock_nanosleep, "clock_nanosleep", NULL);
    real_fn(&real_timespec_get, "timespec_get", NULL);
}

/* Is the offset file in use at all? Without it every deadline passes through as is. */
static inline int shifting(void) {
    (void)current_offset(); /* initialises, when called before our constructor */
    return __atomic_load_n(&offset_word, __ATOMIC_ACQUIRE) != NULL;
}

/* The real deadline for a shimmed absolute deadline on clock `clk`: abs - offset. An
 * invalid timespec is passed on untouched, for the real function to reject. */
static inline const struct timespec *real_deadline(clockid_t clk, const struct timespec *abs,
                                                   struct timespec *buf) {
    if (!abs || !is_shifted_clock(clk) || abs->tv_nsec < 0 || abs->tv_nsec >= NS) return abs;
    int64_t off = current_offset();
    if (off == 0) return abs;
    *buf = *abs;
    shift(buf, off, -1);
    return buf;
}

/* After a timeout: has the shimmed clock really reached abs? Not when the offset went
 * down during the wait. */
static inline int before_deadline(clockid_t clk, const struct timespec *abs) {
    if (!abs || !is_shifted_clock(clk) || abs->tv_nsec < 0 || abs->tv_nsec >= NS ||
        !__atomic_load_n(&offset_word, __ATOMIC_ACQUIRE))
        return 0;
    struct timespec now;
    if (shimmed_gettime(clk == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME : clk, &now) != 0) return 0;
    return now.tv_sec < abs->tv_sec || (now.tv_sec == abs->tv_sec && now.tv_nsec < abs->tv_nsec);
}

/* Which clock a condvar waits on: bit 1 of glibc's __wrefs (__PTHREAD_COND_CLOCK_MONOTONIC_MASK),
 * checked against condvars made here at load. Unknown layout: the default, realtime. */
static inline clockid_t cond_clock(pthread_cond_t *c) {
#ifdef __GLIBC__
    if (__atomic_load_n(&cond_clock_readable, __ATOMIC_RELAXED))
        return (__atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) & 2) ? CLOCK_MONOTONIC
                                                                           : CLOCK_REALTIME;
#else
    (void)c;
#endif
    return CLOCK_REALTIME;
}

/* A function returning an error number (pthread_*): wait again while the real deadline
 * passed but the shimmed one did not. `call` passes d_, the real deadline. */
#define WAIT_LOOP_ERRNUM(clk, abs, call)                                                   \
    do {                                                                                   \
        struct timespec buf_;                                                              \
        int r_;                                                                            \
        do {                                                                               \
            const struct timespec *d_ = real_deadline((clk), (abs), &buf_);                \
            (void)d_;                                                                      \
            r_ = (call);                                                                   \
        } while (r_ == ETIMEDOUT && before_deadline((clk), (abs)));                        \
        return r_;                                                                         \
    } while (0)

EXPORT int pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                                  const struct timespec *restrict abs) {
    typedef int (*fn)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
    fn f = REAL(real_cond_timedwait, "pthread_cond_timedwait", COND_TIMEDWAIT_VERSION, fn);
    if (!f) return ENOSYS;
    clockid_t clk = cond_clock(c);
    if (clk != CLOCK_REALTIME || !shifting()) return f(c, m, abs);
    struct timespec buf;
    int r = f(c, m, real_deadline(clk, abs, &buf));
    /* Waiting again could miss a signal: report a spurious wakeup, the caller waits again. */
    return r == ETIMEDOUT && before_deadline(clk, abs) ? 0 : r;
}

EXPORT int pthread_cond_clockwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                                  clockid_t clk, const struct timespec *restrict abs) {
    typedef int (*fn)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
    fn f = REAL(real_cond_clockwait, "pthread_cond_clockwait", NULL, fn);
    if (!f) return ENOSYS;
    if (!is_shifted_clock(clk) || !shifting()) return f(c, m, clk, abs);
    struct timespec buf;
    int r = f(c, m, clk, real_deadline(clk, abs, &buf));
    return r == ETIMEDOUT && before_deadline(clk, abs) ? 0 : r;
}

EXPORT int pthread_mutex_timedlock(pthread_mutex_t *restrict m,
                                   const struct timespec *restrict abs) {
    typedef int (*fn)(pthread_mutex_t *, const struct timespec *);
    fn f = REAL(real_mutex_timedlock, "pthread_mutex_timedlock", NULL, fn);
    if (!f) return ENOSYS;
    if (!shifting()) return f(m, abs);
    WAIT_LOOP_ERRNUM(CLOCK_REALTIME, abs, f(m, d_));
}

EXPORT int pthread_mutex_clocklock(pthread_mutex_t *restrict m, clockid_t clk,
                                   const struct timespec *restrict abs) {
    typedef int (*fn)(pthread_mutex_t *, clockid_t, const struct timespec *);
    fn f = REAL(real_mutex_clocklock, "pthread_mutex_clocklock", NULL, fn);
    if (!f) return ENOSYS;
    if (!is_shifted_clock(clk) || !shifting()) return f(m, clk, abs);
    WAIT_LOOP_ERRNUM(clk, abs, f(m, clk, d_));
}

EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *restrict l,
                                      const struct timespec *restrict abs) {
    typedef int (*fn)(pthread_rwlock_t *, const struct timespec *);
    fn f = REAL(real_rw_timedrd, "pthread_rwlock_timedrdlock", NULL, fn);
    if (!f) return ENOSYS;
    if (!shifting()) return f(l, abs);
    WAIT_LOOP_ERRNUM(CLOCK_REALTIME, abs, f(l, d_));
}

EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *restrict l,
                                      const struct timespec *restrict abs) {
    typedef int (*fn)(pthread_rwlock_t *, const struct timespec *);
    fn f = REAL(real_rw_timedwr, "pthread_rwlock_timedwrlock", NULL, fn);
    if (!f) return ENOSYS;
    if (!shifting()) return f(l, abs);
    WAIT_LOOP_ERRNUM(CLOCK_REALTIME, abs, f(l, d_));
}

EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *restrict l, clockid_t clk,
                                      const struct timespec *restrict abs) {
    typedef int (*fn)(pthread_rwlock_t *, clockid_t, const struct timespec *);
    fn f = REAL(real_rw_clockrd, "pthread_rwlock_clockrdlock", NULL, fn);
    if (!f) return ENOSYS;
    if (!is_shifted_clock(clk) || !shifting()) return f(l, clk, abs);
    WAIT_LOOP_ERRNUM(clk, abs, f(l, clk, d_));
}

EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *restrict l, clockid_t clk,
                                      const struct timespec *restrict abs) {
    typedef int (*fn)(pthread_rwlock_t *, clockid_t, const struct timespec *);
    fn f = REAL(real_rw_clockwr, "pthread_rwlock_clockwrlock", NULL, fn);
    if (!f) return ENOSYS;
    if (!is_shifted_clock(clk) || !shifting()) return f(l, clk, abs);
    WAIT_LOOP_ERRNUM(clk, abs, f(l, clk, d_));
}

EXPORT int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abs) {
    typedef int (*fn)(pthread_t, void **, const struct timespec *);
    fn f = REAL(real_timedjoin, "pthread_timedjoin_np", NULL, fn);
    if (!f) return ENOSYS;
    if (!shifting()) return f(t, ret, abs);
    WAIT_LOOP_ERRNUM(CLOCK_REALTIME, abs, f(t, ret, d_));
}

EXPORT int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk,
                                const struct timespec *abs) {
    typedef int (*fn)(pthread_t, void **, clockid_t, const struct timespec *);
    fn f = REAL(real_clockjoin, "pthread_clockjoin_np", NULL, fn);
    if (!f) return ENOSYS;
    if (!is_shifted_clock(clk) || !shifting()) return f(t, ret, clk, abs);
    WAIT_LOOP_ERRNUM(clk, abs, f(t, ret, clk, d_));
}

/* The same for a function returning -1 with errno (sem_*). */
#define WAIT_LOOP_ERRNO(clk, abs, call)                                                    \
    do {                                                                                   \
        struct timespec buf_;                                                              \
        int r_;                                                                            \
        do {                                                                               \
            const struct timespec *d_ = real_deadline((clk), (abs), &buf_);                \
            (void)d_;                                                                      \
            r_ = (call);                                                                   \
        } while (r_ == -1 && errno == ETIMEDOUT && before_deadline((clk), (abs)));         \
        return r_;                                                                         \
    } while (0)

EXPORT int sem_timedwait(sem_t *restrict s, const struct timespec *restrict abs) {
    typedef int (*fn)(sem_t *, const struct timespec *);
    fn f = REAL(real_sem_timedwait, "sem_timedwait", NULL, fn);
    if (!f) return errno = ENOSYS, -1;
    if (!shifting()) return f(s, abs);
    WAIT_LOOP_ERRNO(CLOCK_REALTIME, abs, f(s, d_));
}

EXPORT int sem_clockwait(sem_t *restrict s, clockid_t clk, const struct timespec *restrict abs) {
    typedef int (*fn)(sem_t *, clockid_t, const struct timespec *);
    fn f = REAL(real_sem_clockwait, "sem_clockwait", NULL, fn);
    if (!f) return errno = ENOSYS, -1;
    if (!is_shifted_clock(clk) || !shifting()) return f(s, clk, abs);
    WAIT_LOOP_ERRNO(clk, abs, f(s, clk, d_));
}

EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                           struct timespec *rem) {
    typedef int (*fn)(clockid_t, int, const struct timespec *, struct timespec *);
    fn f = REAL(real_clock_nanosleep, "clock_nanosleep", NULL, fn);
    if (!f) return ENOSYS;
    if (!(flags & TIMER_ABSTIME) || !is_shifted_clock(clk) || !shifting())
        return f(clk, flags, req, rem);
    struct timespec buf;
    int r;
    do { /* an absolute sleep that ended (0) before the shimmed deadline sleeps again */
        r = f(clk, flags, real_deadline(clk, req, &buf), rem);
    } while (r == 0 && before_deadline(clk, req));
    return r;
}

/* ---- loading ---- */

/* The address of a function in the vDSO, by its name (the first of `names` found), read
 * from the vDSO's dynamic symbol table; NULL when there is none. */
static void *vdso_lookup(const char *const names[]) {
    uintptr_t base = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
    if (!base) return NULL;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32))
        return NULL;
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(base + eh->e_phoff);
    uintptr_t load = 0;
    int have_load = 0;
    const ElfW(Dyn) *dyn = NULL;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !have_load) {
            load = base + ph[i].p_offset - ph[i].p_vaddr;
            have_load = 1;
        } else if (ph[i].p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *)(base + ph[i].p_offset);
        }
    }
    if (!have_load || !dyn) return NULL;
    const char *strtab = NULL;
    const ElfW(Sym) *symtab = NULL;
    const uint32_t *hash = NULL, *gnu_hash = NULL;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        uintptr_t p = load + d->d_un.d_ptr;
        if (d->d_tag == DT_STRTAB) strtab = (const char *)p;
        else if (d->d_tag == DT_SYMTAB) symtab = (const ElfW(Sym) *)p;
        else if (d->d_tag == DT_HASH) hash = (const uint32_t *)p;
        else if (d->d_tag == DT_GNU_HASH) gnu_hash = (const uint32_t *)p;
    }
    if (!strtab || !symtab) return NULL;
    uint32_t count;
    if (hash) {
        count = hash[1]; /* nchain: the number of symbols */
    } else if (gnu_hash) {
        uint32_t nbuckets = gnu_hash[0], symoffset = gnu_hash[1], bloom_words = gnu_hash[2];
        const uint32_t *buckets =
            (const uint32_t *)((const ElfW(Addr) *)(gnu_hash + 4) + bloom_words);
        const uint32_t *chain = buckets + nbuckets;
        uint32_t last = 0;
        for (uint32_t b = 0; b < nbuckets; b++)
            if (buckets[b] > last) last = buckets[b];
        if (last < symoffset) {
            count = symoffset;
        } else {
            while (!(chain[last - symoffset] & 1)) last++;
            count = last + 1;
        }
    } else {
        return NULL;
    }
    for (uint32_t i = 0; i < count; i++) {
        const ElfW(Sym) *s = &symtab[i];
        unsigned type = s->st_info & 0xf, bind = s->st_info >> 4;
        if (type != STT_FUNC || (bind != STB_GLOBAL && bind != STB_WEAK) ||
            s->st_shndx == SHN_UNDEF)
            continue;
        for (const char *const *n = names; *n; n++)
            if (strcmp(strtab + s->st_name, *n) == 0) return (void *)(load + s->st_value);
    }
    return NULL;
}

static int env_flag(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

/* Map the offset file read-only; 0 when done, else map_failure says why. */
static void map_offset_file(void) {
    const char *path = getenv(FL_CLOCK_ENV);
    if (!path || !*path) return;
    /* O_NONBLOCK: a FIFO named by mistake must not hang the program at start-up. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        map_failure = "cannot open the offset file";
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size < (off_t)sizeof(struct fl_clock_shm)) {
        map_failure = "the offset file is not a regular file of the right size";
        close(fd);
        return;
    }
    void *p = mmap(NULL, sizeof(struct fl_clock_shm), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        map_failure = "cannot map the offset file";
        return;
    }
    const char *why = fl_clock_shm_invalid(p, (size_t)st.st_size);
    if (why) {
        map_failure = why;
        munmap(p, sizeof(struct fl_clock_shm));
        return;
    }
    map_failure = NULL;
    __atomic_store_n(&offset_word, &((const struct fl_clock_shm *)p)->offset_ns,
                     __ATOMIC_RELEASE);
}

/* Does glibc keep a condvar's clock where cond_clock() reads it? */
static void check_cond_layout(void) {
#ifdef __GLIBC__
    pthread_condattr_t a;
    pthread_cond_t mono, real;
    if (pthread_condattr_init(&a) != 0) return;
    if (pthread_condattr_setclock(&a, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&mono, &a) == 0) {
        if (pthread_cond_init(&real, NULL) == 0) {
            __atomic_store_n(&cond_clock_readable,
                             (mono.__data.__wrefs & 2) && !(real.__data.__wrefs & 2),
                             __ATOMIC_RELAXED);
            pthread_cond_destroy(&real);
        }
        pthread_cond_destroy(&mono);
    }
    pthread_condattr_destroy(&a);
#endif
}

/* Everything the clock paths need; no dlsym, no malloc (it may run from a clock call
 * made before our constructor, e.g. by a malloc initialising itself). */
static void shim_init(void) {
    int expected = 0;
    if (!__atomic_compare_exchange_n(&init_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return;
    if (!env_flag("FL_CLOCK_NO_VDSO")) {
        static const char *const names[] = {"__vdso_clock_gettime", "__kernel_clock_gettime",
                                            NULL};
        vdso_gettime_fn f = (vdso_gettime_fn)vdso_lookup(names);
        /* Trust it only if it agrees with the kernel. */
        struct timespec a, v, b;
        if (f && syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a) == 0 &&
            f(CLOCK_MONOTONIC, &v) == 0 && syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b) == 0 &&
            (v.tv_sec > a.tv_sec || (v.tv_sec == a.tv_sec && v.tv_nsec >= a.tv_nsec)) &&
            (v.tv_sec < b.tv_sec || (v.tv_sec == b.tv_sec && v.tv_nsec <= b.tv_nsec)))
            __atomic_store_n(&vdso_gettime, f, __ATOMIC_RELEASE);
    }
    map_offset_file();
    check_cond_layout();
    __atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
}

/* FL_CLOCK_DEBUG: one line on stderr, without stdio. */
static void debug_line(void) {
    char buf[512];
    size_t n = 0;
#define PUT(s)                                                                             \
    do {                                                                                   \
        for (const char *p_ = (s); *p_ && n < sizeof buf - 1; p_++) buf[n++] = *p_;       \
    } while (0)
    char num[24];
    int i = (int)sizeof num - 1;
    num[i] = '\0';
    long pid = (long)getpid();
    do num[--i] = (char)('0' + pid % 10), pid /= 10;
    while (pid && i > 0);
    PUT("flclock: pid ");
    PUT(&num[i]);
    PUT(": ");
    const char *path = getenv(FL_CLOCK_ENV);
    if (offset_word) {
        PUT("offset file ");
        PUT(path);
        PUT(" mapped");
    } else {
        PUT("offset 0 (");
        PUT(map_failure ? map_failure : "?");
        if (path && *path) {
            PUT(": ");
            PUT(path);
        }
        PUT(")");
    }
    PUT(vdso_gettime ? "; clock via vDSO" : "; clock via syscall");
    PUT(cond_clock_readable ? "; condvar clock readable" : "; condvar clock unknown");
    PUT(real_cond_timedwait && real_clock_nanosleep ? "" : "; libc deadline functions missing");
    PUT("\n");
#undef PUT
    ssize_t w = write(STDERR_FILENO, buf, n);
    (void)w;
}

__attribute__((constructor)) static void flclock_load(void) {
    shim_init();
    resolve_all();
    if (env_flag("FL_CLOCK_DEBUG")) debug_line();
}
