/* clock_probe: a program for test_clock_shim to run under libflclock.so. It reads one
 * command per line on stdin and answers on stdout:
 *   t        one line: CLOCK_REALTIME ns, CLOCK_MONOTONIC ns, gettimeofday us, time() s,
 *            CLOCK_REALTIME_COARSE ns, CLOCK_TAI ns, CLOCK_BOOTTIME ns, timespec_get ns
 *   w MS     every absolute-deadline wait, each with a deadline MS ms ahead on its own
 *            (shimmed) clock: one line per wait "NAME RC ELAPSED_NS CPU_NS" (CPU: the
 *            waiting thread's CPU time meanwhile, so a wait that spins shows and the
 *            start of a helper thread, dear under ASan, does not), then "end"
 *   s N      N back-to-back reads of REALTIME between two MONOTONIC reads: "MIN MAX USED
 *            CHANGES", the extremes of realtime - monotonic (ns) over the USED samples whose
 *            monotonic reads were less than 20 us apart, and how often that jumped by > 1 ms
 *   b N      per-call cost (ns) of N calls of each clock function: "NAME NS" lines, "end"
 *   q or EOF exit 0 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NS 1000000000LL

static int64_t ns_of(const struct timespec *t) { return (int64_t)t->tv_sec * NS + t->tv_nsec; }

static int64_t now(clockid_t c) {
    struct timespec t;
    if (clock_gettime(c, &t) != 0) return -1;
    return ns_of(&t);
}

static struct timespec ahead(clockid_t c, long ms) {
    struct timespec t;
    clock_gettime(c, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= NS) t.tv_nsec -= NS, t.tv_sec++;
    return t;
}

static void cmd_time(void) {
    struct timespec rt, mono, coarse, tai, boot, tsg;
    struct timeval tv;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    gettimeofday(&tv, NULL);
    time_t s = time(NULL);
    clock_gettime(CLOCK_REALTIME_COARSE, &coarse);
    clock_gettime(CLOCK_TAI, &tai);
    clock_gettime(CLOCK_BOOTTIME, &boot);
    if (timespec_get(&tsg, TIME_UTC) != TIME_UTC) tsg.tv_sec = tsg.tv_nsec = 0;
    printf("%lld %lld %lld %lld %lld %lld %lld %lld\n", (long long)ns_of(&rt),
           (long long)ns_of(&mono), (long long)tv.tv_sec * 1000000LL + tv.tv_usec, (long long)s,
           (long long)ns_of(&coarse), (long long)ns_of(&tai), (long long)ns_of(&boot),
           (long long)ns_of(&tsg));
}

/* ---- absolute deadlines ---- */

enum kind {
    COND_TIMED, COND_CLOCK_RT, COND_TIMED_MONO_ATTR, COND_CLOCK_MONO, SEM_TIMED, SEM_CLOCK_RT,
    MUTEX_TIMED, MUTEX_CLOCK_RT, RW_TIMED_WR, RW_TIMED_RD, RW_CLOCK_WR_RT, SLEEP_RT, SLEEP_TAI,
    SLEEP_MONO, JOIN_TIMED, JOIN_CLOCK_RT, KIND_COUNT
};
static const char *const kind_names[] = {
    "cond_timedwait", "cond_clockwait_realtime", "cond_timedwait_monotonic_attr",
    "cond_clockwait_monotonic", "sem_timedwait", "sem_clockwait_realtime",
    "mutex_timedlock", "mutex_clocklock_realtime", "rwlock_timedwrlock", "rwlock_timedrdlock",
    "rwlock_clockwrlock_realtime", "clock_nanosleep_realtime_abs", "clock_nanosleep_tai_abs",
    "clock_nanosleep_monotonic_abs", "pthread_timedjoin_np", "pthread_clockjoin_realtime"};

struct wait_job {
    enum kind kind;
    long ms;
    pthread_mutex_t *mutex;
    pthread_rwlock_t *rw;
    int rc;
    int64_t elapsed;
    int64_t cpu; /* the waiting thread's CPU time meanwhile */
};

static int blocker_fd;

static void *blocker(void *arg) { /* a thread that ends when its pipe is written */
    (void)arg;
    char c;
    ssize_t n = read(blocker_fd, &c, 1);
    (void)n;
    return NULL;
}

/* The timed call itself, run in a thread of its own where a lock is held by main. */
static void *timed_lock(void *arg) {
    struct wait_job *j = arg;
    int64_t t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
    struct timespec d = ahead(CLOCK_REALTIME, j->ms);
    switch (j->kind) {
    case MUTEX_TIMED: j->rc = pthread_mutex_timedlock(j->mutex, &d); break;
    case MUTEX_CLOCK_RT: j->rc = pthread_mutex_clocklock(j->mutex, CLOCK_REALTIME, &d); break;
    case RW_TIMED_WR: j->rc = pthread_rwlock_timedwrlock(j->rw, &d); break;
    case RW_TIMED_RD: j->rc = pthread_rwlock_timedrdlock(j->rw, &d); break;
    case RW_CLOCK_WR_RT: j->rc = pthread_rwlock_clockwrlock(j->rw, CLOCK_REALTIME, &d); break;
    default: j->rc = -1;
    }
    j->elapsed = now(CLOCK_MONOTONIC) - t0;
    j->cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
    if (j->rc == 0) {
        if (j->mutex) pthread_mutex_unlock(j->mutex);
        else pthread_rwlock_unlock(j->rw);
    }
    return NULL;
}

static void run_wait(enum kind k, long ms) {
    struct wait_job j = {.kind = k, .ms = ms};
    int64_t t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
    switch (k) {
    case COND_TIMED:
    case COND_CLOCK_RT:
    case COND_TIMED_MONO_ATTR:
    case COND_CLOCK_MONO: {
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        if (k == COND_TIMED_MONO_ATTR) pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_t c;
        pthread_cond_init(&c, &a);
        pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&m);
        t0 = now(CLOCK_MONOTONIC);
        c0 = now(CLOCK_THREAD_CPUTIME_ID);
        if (k == COND_TIMED) {
            struct timespec d = ahead(CLOCK_REALTIME, ms);
            do j.rc = pthread_cond_timedwait(&c, &m, &d); /* 0: spurious, wait again */
            while (j.rc == 0);
        } else if (k == COND_TIMED_MONO_ATTR) {
            struct timespec d = ahead(CLOCK_MONOTONIC, ms);
            do j.rc = pthread_cond_timedwait(&c, &m, &d);
            while (j.rc == 0);
        } else {
            clockid_t clk = k == COND_CLOCK_RT ? CLOCK_REALTIME : CLOCK_MONOTONIC;
            struct timespec d = ahead(clk, ms);
            do j.rc = pthread_cond_clockwait(&c, &m, clk, &d);
            while (j.rc == 0);
        }
        j.elapsed = now(CLOCK_MONOTONIC) - t0;
        j.cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
        pthread_mutex_unlock(&m);
        pthread_cond_destroy(&c);
        pthread_condattr_destroy(&a);
        break;
    }
    case SEM_TIMED:
    case SEM_CLOCK_RT: {
        sem_t s;
        sem_init(&s, 0, 0);
        struct timespec d = ahead(CLOCK_REALTIME, ms);
        int r = k == SEM_TIMED ? sem_timedwait(&s, &d) : sem_clockwait(&s, CLOCK_REALTIME, &d);
        j.rc = r == 0 ? 0 : errno;
        j.elapsed = now(CLOCK_MONOTONIC) - t0;
        j.cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
        sem_destroy(&s);
        break;
    }
    case MUTEX_TIMED:
    case MUTEX_CLOCK_RT:
    case RW_TIMED_WR:
    case RW_TIMED_RD:
    case RW_CLOCK_WR_RT: {
        pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
        pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
        if (k == MUTEX_TIMED || k == MUTEX_CLOCK_RT) {
            pthread_mutex_lock(&m);
            j.mutex = &m;
        } else {
            if (k == RW_TIMED_RD) pthread_rwlock_wrlock(&rw);
            else pthread_rwlock_rdlock(&rw);
            j.rw = &rw;
        }
        pthread_t t;
        if (pthread_create(&t, NULL, timed_lock, &j) != 0) {
            j.rc = -1;
        } else {
            pthread_join(t, NULL);
        }
        if (j.mutex) pthread_mutex_unlock(&m);
        else pthread_rwlock_unlock(&rw);
        pthread_mutex_destroy(&m);
        pthread_rwlock_destroy(&rw);
        break;
    }
    case SLEEP_RT:
    case SLEEP_TAI:
    case SLEEP_MONO: {
        clockid_t clk = k == SLEEP_RT ? CLOCK_REALTIME : k == SLEEP_TAI ? CLOCK_TAI : CLOCK_MONOTONIC;
        struct timespec d = ahead(clk, ms);
        do j.rc = clock_nanosleep(clk, TIMER_ABSTIME, &d, NULL);
        while (j.rc == EINTR);
        j.elapsed = now(CLOCK_MONOTONIC) - t0;
        j.cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
        break;
    }
    case JOIN_TIMED:
    case JOIN_CLOCK_RT: {
        int p[2];
        pthread_t t;
        if (pipe(p) != 0) {
            j.rc = -1;
            break;
        }
        blocker_fd = p[0];
        if (pthread_create(&t, NULL, blocker, NULL) != 0) {
            j.rc = -1;
        } else {
            t0 = now(CLOCK_MONOTONIC);
            c0 = now(CLOCK_THREAD_CPUTIME_ID);
            struct timespec d = ahead(CLOCK_REALTIME, ms);
            j.rc = k == JOIN_TIMED ? pthread_timedjoin_np(t, NULL, &d)
                                   : pthread_clockjoin_np(t, NULL, CLOCK_REALTIME, &d);
            j.elapsed = now(CLOCK_MONOTONIC) - t0;
            j.cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
            if (j.rc != 0) { /* still running: let it end */
                ssize_t n = write(p[1], "x", 1);
                (void)n;
                pthread_join(t, NULL);
            }
        }
        close(p[0]);
        close(p[1]);
        break;
    }
    case KIND_COUNT: break;
    }
    printf("%s %d %lld %lld\n", kind_names[k], j.rc, (long long)j.elapsed, (long long)j.cpu);
    fflush(stdout);
}

/* ---- strobe check and bench ---- */

static void cmd_samples(long n) {
    int64_t lo = INT64_MAX, hi = INT64_MIN, prev = 0;
    long used = 0, changes = 0;
    for (long i = 0; i < n; i++) {
        int64_t m1 = now(CLOCK_MONOTONIC), rt = now(CLOCK_REALTIME), m2 = now(CLOCK_MONOTONIC);
        if (m2 - m1 > 20000) continue; /* preempted: the pair says little */
        int64_t d = rt - (m1 + (m2 - m1) / 2);
        if (d < lo) lo = d;
        if (d > hi) hi = d;
        if (used && (d - prev > 1000000 || prev - d > 1000000)) changes++;
        prev = d;
        used++;
    }
    printf("%lld %lld %ld %ld\n", (long long)lo, (long long)hi, used, changes);
}

static volatile int64_t sink;

static void bench_line(const char *name, int64_t t0, long n) {
    printf("%s %.1f\n", name, (double)(now(CLOCK_MONOTONIC) - t0) / (double)n);
}

static void cmd_bench(long n) {
    struct timespec ts;
    struct timeval tv;
    int64_t t0 = now(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++) clock_gettime(CLOCK_REALTIME, &ts), sink += ts.tv_nsec;
    bench_line("clock_gettime_realtime", t0, n);
    t0 = now(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++) clock_gettime(CLOCK_MONOTONIC, &ts), sink += ts.tv_nsec;
    bench_line("clock_gettime_monotonic", t0, n);
    t0 = now(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++) clock_gettime(CLOCK_REALTIME_COARSE, &ts), sink += ts.tv_nsec;
    bench_line("clock_gettime_realtime_coarse", t0, n);
    t0 = now(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++) gettimeofday(&tv, NULL), sink += tv.tv_usec;
    bench_line("gettimeofday", t0, n);
    t0 = now(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++) sink += time(NULL);
    bench_line("time", t0, n);
    t0 = now(CLOCK_MONOTONIC);
    for (long i = 0; i < n; i++) syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts), sink += ts.tv_nsec;
    bench_line("raw_syscall_clock_gettime", t0, n);
    printf("end\n");
}

int main(void) {
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        long arg = 0;
        switch (line[0]) {
        case 't': cmd_time(); break;
        case 'w':
            arg = strtol(line + 1, NULL, 10);
            for (int k = 0; k < KIND_COUNT; k++) run_wait((enum kind)k, arg);
            printf("end\n");
            break;
        case 's': cmd_samples(strtol(line + 1, NULL, 10)); break;
        case 'b': cmd_bench(strtol(line + 1, NULL, 10)); break;
        case 'q': return 0;
        default: printf("? %s", line);
        }
        fflush(stdout);
    }
    return 0;
}
