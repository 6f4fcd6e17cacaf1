/* The clock shim (nemesis/clock: libflclock.so and the offset file's writer), tested from
 * outside: clock_probe runs under LD_PRELOAD=libflclock.so with FL_CLOCK_FILE naming a
 * temporary offset file, and its clocks are compared with this process's own, read just
 * before and just after each of its answers (so every comparison is a strict bracket, no
 * tolerance). Nothing here changes the host's clock; the first and last tests check that
 * it was not changed, against date(1). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock_offset.h"

#ifndef FL_CLOCK_PROBE
#error "FL_CLOCK_PROBE (the path of clock_probe) must be defined"
#endif
#ifndef FL_CLOCK_SHIM
#error "FL_CLOCK_SHIM (the path of libflclock.so) must be defined"
#endif

#define NS 1000000000LL
#define MS 1000000LL
#define LINE_TIMEOUT_MS 10000
/* CLOCK_REALTIME_COARSE and time() lag the fine clock by up to one tick (10 ms at HZ=100). */
#define COARSE_SLACK (20 * MS)

extern char **environ;

static struct {
    char dir[64];
    char offset_path[128];
    fl_clock_offset *off;
} g;

static int64_t host(clockid_t c) {
    struct timespec t;
    if (clock_gettime(c, &t) != 0) fail_msg("clock_gettime(%d): %s", (int)c, strerror(errno));
    return (int64_t)t.tv_sec * NS + t.tv_nsec;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0); }

#define EXPECT_IN(what, v, lo, hi)                                                          \
    do {                                                                                    \
        int64_t v_ = (v), lo_ = (lo), hi_ = (hi);                                           \
        if (v_ < lo_ || v_ > hi_)                                                           \
            fail_msg("%s = %lld is not in [%lld, %lld] (%+lld below, %+lld above)", (what), \
                     (long long)v_, (long long)lo_, (long long)hi_, (long long)(v_ - lo_),  \
                     (long long)(v_ - hi_));                                                \
    } while (0)

/* ---- child processes ---- */

/* The environment for a child: ours without the shim's variables, then `add` (NULL-ended).
 * ASan wants to come first in the library list: a sanitized child under LD_PRELOAD needs
 * verify_asan_link_order=0 (DESIGN.md "Sanitizer build"). */
static char **child_env(const char *const add[]) {
    size_t n = 0, k = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 16, sizeof *env);
    assert_non_null(env);
    const char *asan = "";
    for (size_t i = 0; i < n; i++) {
        const char *e = environ[i];
        if (!strncmp(e, "ASAN_OPTIONS=", 13)) {
            asan = e + 13;
            continue;
        }
        if (!strncmp(e, "LD_PRELOAD=", 11) || !strncmp(e, "FL_CLOCK_FILE=", 14) ||
            !strncmp(e, "FL_CLOCK_NO_VDSO=", 17))
            continue;
        env[k++] = strdup(e);
    }
    size_t need = strlen(asan) + 64;
    env[k] = malloc(need);
    assert_non_null(env[k]);
    snprintf(env[k++], need, "ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan,
             *asan ? ":" : "");
    for (size_t i = 0; add && add[i] && k < n + 15; i++) env[k++] = strdup(add[i]);
    env[k] = NULL;
    return env;
}

static void free_env(char **env) {
    for (size_t i = 0; env[i]; i++) free(env[i]);
    free(env);
}

/* Start argv[0] with env. stdin: a pipe (*to) or /dev/null; stdout: a pipe (*from) or the
 * file out_path or inherited; stderr inherited unless out_path. */
static pid_t spawn(char *const argv[], char **env, int *to, int *from, const char *out_path) {
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (to) assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    if (from) assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a probe stuck in a wait must not outlive us */
        int fd = to ? in[0] : open("/dev/null", O_RDONLY);
        dup2(fd, 0);
        if (from) dup2(out[1], 1);
        if (out_path) {
            int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (o >= 0) dup2(o, 1), dup2(o, 2);
        }
        execve(argv[0], argv, env);
        _exit(127);
    }
    if (to) close(in[0]), *to = in[1];
    if (from) close(out[1]), *from = out[0];
    return pid;
}

/* Wait up to timeout_ms for pid, then SIGKILL it; its wait status. */
static int reap(pid_t pid, int timeout_ms) {
    int status = 0;
    for (int waited = 0;; waited += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0) return -1;
        if (waited >= timeout_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return status;
        }
        usleep(10000);
    }
}

typedef struct {
    pid_t pid;
    int to, from;
    char buf[8192];
    size_t len;
} probe;

/* clock_probe under the shim (preload) with FL_CLOCK_FILE = clock_file (NULL: unset). */
static void probe_start(probe *p, bool preload, const char *clock_file, const char *extra) {
    char preload_var[512], file_var[512];
    snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s", FL_CLOCK_SHIM);
    snprintf(file_var, sizeof file_var, "FL_CLOCK_FILE=%s", clock_file ? clock_file : "");
    const char *add[4] = {0};
    int k = 0;
    if (preload) add[k++] = preload_var;
    if (clock_file) add[k++] = file_var;
    if (extra) add[k++] = extra;
    char **env = child_env(add);
    char *argv[] = {(char *)FL_CLOCK_PROBE, NULL};
    memset(p, 0, sizeof *p);
    p->pid = spawn(argv, env, &p->to, &p->from, NULL);
    free_env(env);
}

static void probe_send(probe *p, const char *cmd) {
    size_t n = strlen(cmd);
    if (write(p->to, cmd, n) != (ssize_t)n) fail_msg("cannot write to clock_probe: %s", strerror(errno));
}

/* One line from the probe (without its newline), within LINE_TIMEOUT_MS. */
static void probe_line(probe *p, char *out, size_t n) {
    int64_t deadline = host(CLOCK_MONOTONIC) + LINE_TIMEOUT_MS * MS;
    for (;;) {
        char *nl = memchr(p->buf, '\n', p->len);
        if (nl) {
            size_t len = (size_t)(nl - p->buf);
            snprintf(out, n, "%.*s", (int)len, p->buf);
            memmove(p->buf, nl + 1, p->len - len - 1);
            p->len -= len + 1;
            return;
        }
        int64_t left = (deadline - host(CLOCK_MONOTONIC)) / MS;
        if (left <= 0) {
            kill(p->pid, SIGKILL);
            fail_msg("clock_probe said nothing for %d ms", LINE_TIMEOUT_MS);
        }
        struct pollfd pfd = {.fd = p->from, .events = POLLIN};
        if (poll(&pfd, 1, (int)left) <= 0) continue;
        if (p->len >= sizeof p->buf - 1) fail_msg("clock_probe line too long");
        ssize_t r = read(p->from, p->buf + p->len, sizeof p->buf - 1 - p->len);
        if (r <= 0) fail_msg("clock_probe ended (did it crash? see its stderr above)");
        p->len += (size_t)r;
    }
}

/* Close its stdin; it must exit 0 (no crash, no sanitizer report). */
static void probe_stop(probe *p) {
    probe_send(p, "q\n");
    close(p->to);
    close(p->from);
    int status = reap(p->pid, 5000);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("clock_probe ended with status %#x", status);
}

/* Kill without checking (on a failure path). */
static void probe_kill(probe *p) {
    close(p->to);
    close(p->from);
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
}

/* ---- one reading: the probe's clocks bracketed by ours ---- */

typedef struct {
    int64_t rt, mono, tai, boot;
} host_clocks;

typedef struct {
    int64_t rt, mono, gtod_us, time_s, coarse, tai, boot, tsget;
    host_clocks before, after;
} reading;

static host_clocks host_now(void) {
    host_clocks h = {host(CLOCK_REALTIME), host(CLOCK_MONOTONIC), host(CLOCK_TAI),
                     host(CLOCK_BOOTTIME)};
    return h;
}

static void probe_read(probe *p, reading *r) {
    char line[512];
    r->before = host_now();
    probe_send(p, "t\n");
    probe_line(p, line, sizeof line);
    r->after = host_now();
    long long v[8];
    if (sscanf(line, "%lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]) != 8)
        fail_msg("clock_probe answered \"%s\"", line);
    r->rt = v[0], r->mono = v[1], r->gtod_us = v[2], r->time_s = v[3];
    r->coarse = v[4], r->tai = v[5], r->boot = v[6], r->tsget = v[7];
}

/* Do the probe's realtime clocks read ours + off, and its other clocks ours exactly? */
static bool reading_shows(const reading *r, int64_t off) {
    return r->rt >= r->before.rt + off && r->rt <= r->after.rt + off;
}

static void expect_reading(const reading *r, int64_t off) {
    int64_t lo = r->before.rt + off, hi = r->after.rt + off;
    EXPECT_IN("CLOCK_REALTIME", r->rt, lo, hi);
    EXPECT_IN("timespec_get(TIME_UTC)", r->tsget, lo, hi);
    EXPECT_IN("gettimeofday (as ns)", r->gtod_us * 1000, lo - 999, hi);
    EXPECT_IN("CLOCK_REALTIME_COARSE", r->coarse, lo - COARSE_SLACK, hi);
    EXPECT_IN("time()", r->time_s, floor_div(lo - COARSE_SLACK, NS), floor_div(hi, NS));
    EXPECT_IN("CLOCK_TAI", r->tai, r->before.tai + off, r->after.tai + off);
    EXPECT_IN("CLOCK_MONOTONIC (never shifted)", r->mono, r->before.mono, r->after.mono);
    EXPECT_IN("CLOCK_BOOTTIME (never shifted)", r->boot, r->before.boot, r->after.boot);
}

/* Set the offset and measure how soon a running probe's clocks show it. */
static void set_and_expect(probe *p, int64_t off) {
    fl_clock_offset_set(g.off, off);
    assert_int_equal(fl_clock_offset_get(g.off), off);
    int64_t t0 = host(CLOCK_MONOTONIC);
    reading r;
    int reads = 0;
    do {
        probe_read(p, &r);
        reads++;
    } while (!reading_shows(&r, off) && host(CLOCK_MONOTONIC) - t0 < 100 * MS);
    int64_t seen = host(CLOCK_MONOTONIC) - t0;
    print_message("offset %+.9f s seen by the probe after %.1f us (%d read%s)\n",
                  (double)off / NS, (double)seen / 1000, reads, reads > 1 ? "s" : "");
    expect_reading(&r, off); /* within 100 ms, or this fails */
    probe_read(p, &r);       /* and it stays */
    expect_reading(&r, off);
}

/* ---- the host's clock is not touched ---- */

static void expect_host_clock_untouched(void) {
    const char *pre = getenv("LD_PRELOAD");
    assert_true(!pre || !strstr(pre, "flclock")); /* this process must see the real clock */
    int64_t before = host(CLOCK_REALTIME);
    FILE *f = popen("env -u LD_PRELOAD date +%s%N", "r");
    assert_non_null(f);
    long long d = 0;
    int got = fscanf(f, "%lld", &d);
    int status = pclose(f);
    int64_t after = host(CLOCK_REALTIME);
    assert_int_equal(got, 1);
    assert_int_equal(status, 0);
    EXPECT_IN("date +%s%N", d, before, after);
}

static void test_host_clock_untouched_first(void **state) {
    (void)state;
    expect_host_clock_untouched();
}

static void test_host_clock_untouched_last(void **state) {
    (void)state;
    expect_host_clock_untouched();
}

/* ---- the shim ---- */

static void test_offset_zero(void **state) {
    (void)state;
    fl_clock_offset_set(g.off, 0);
    probe p;
    probe_start(&p, true, g.offset_path, NULL);
    reading r;
    probe_read(&p, &r);
    expect_reading(&r, 0);
    probe_stop(&p);
}

static void test_offset_positive_negative_reset(void **state) {
    (void)state;
    fl_clock_offset_set(g.off, 0);
    probe p;
    probe_start(&p, true, g.offset_path, NULL);
    reading r;
    probe_read(&p, &r);
    expect_reading(&r, 0);
    set_and_expect(&p, 2500 * MS);                      /* (2) +2.5 s */
    set_and_expect(&p, -1234567891LL);                  /* (3) negative, borrows nanoseconds */
    set_and_expect(&p, -3 * 86400 * NS - 999999999LL);  /* three days back */
    set_and_expect(&p, 100LL * 365 * 86400 * NS);       /* a century ahead */
    set_and_expect(&p, -100LL * 365 * 86400 * NS);      /* before 1970: negative times */
    set_and_expect(&p, 0);                              /* (4) reset */
    probe_stop(&p);
}

/* With FL_CLOCK_NO_VDSO=1 the shim reads the clock by raw syscall: same results. */
static void test_raw_syscall_mode(void **state) {
    (void)state;
    fl_clock_offset_set(g.off, 0);
    probe p;
    probe_start(&p, true, g.offset_path, "FL_CLOCK_NO_VDSO=1");
    set_and_expect(&p, 2500 * MS);
    set_and_expect(&p, -2500 * MS);
    set_and_expect(&p, 0);
    probe_stop(&p);
}

/* Every absolute-deadline wait, deadline `ms` ahead on the shimmed clock, must take `ms`
 * of real time whatever the offset: not an hour more (deadline not moved back), not
 * nothing (moved when it should not be), and asleep, not spinning (a deadline not moved
 * with a negative offset would time out at once, again and again, until the shimmed
 * clock got there). */
static void expect_deadlines(int64_t off, long ms) {
    fl_clock_offset_set(g.off, off);
    probe p;
    probe_start(&p, true, g.offset_path, NULL);
    char cmd[32], line[256];
    snprintf(cmd, sizeof cmd, "w %ld\n", ms);
    probe_send(&p, cmd);
    int count = 0;
    for (;;) {
        probe_line(&p, line, sizeof line);
        if (!strcmp(line, "end")) break;
        char name[64];
        int rc;
        long long elapsed, cpu;
        if (sscanf(line, "%63s %d %lld %lld", name, &rc, &elapsed, &cpu) != 4) {
            probe_kill(&p);
            fail_msg("clock_probe answered \"%s\"", line);
        }
        print_message("offset %+lld s: %-30s rc %3d after %7.2f ms, %5.2f ms CPU\n",
                      (long long)(off / NS), name, rc, (double)elapsed / MS, (double)cpu / MS);
        int want = strncmp(name, "clock_nanosleep", 15) == 0 ? 0 : ETIMEDOUT;
        if (rc != want) fail_msg("%s returned %d, not %d", name, rc, want);
        char what[128];
        snprintf(what, sizeof what, "%s real wait (ns)", name);
        EXPECT_IN(what, elapsed, (ms - 5) * MS, (ms + 1800) * MS);
        snprintf(what, sizeof what, "%s CPU time (ns)", name);
        EXPECT_IN(what, cpu, 0, ms * MS / 4);
        count++;
    }
    assert_int_equal(count, 16);
    probe_stop(&p);
}

static void test_deadlines_offset_ahead(void **state) { /* (5) */
    (void)state;
    expect_deadlines(3600 * NS, 200);
}

static void test_deadlines_offset_behind(void **state) {
    (void)state;
    expect_deadlines(-3600 * NS, 200);
}

static void test_deadlines_offset_zero(void **state) {
    (void)state;
    expect_deadlines(0, 50);
}

/* Offsets at the ends of the range: no overflow (deadlines saturate), no crash. */
static void test_extreme_offsets(void **state) {
    (void)state;
    expect_deadlines(INT64_MAX, 20);
    expect_deadlines(INT64_MIN, 20);
    fl_clock_offset_set(g.off, 0);
}

/* The agent strobes by flipping the offset; a reader must only ever see one of the values
 * written, never a mix of two (the halves of -1 s and +1 s mixed give about ±3.3 s). */
static volatile int strobe_stop;

static void *strobe(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&strobe_stop, __ATOMIC_RELAXED)) {
        fl_clock_offset_set(g.off, -NS);
        fl_clock_offset_set(g.off, NS);
    }
    return NULL;
}

static void test_strobe_never_torn(void **state) {
    (void)state;
    fl_clock_offset_set(g.off, 0);
    probe p;
    probe_start(&p, true, g.offset_path, NULL);
    reading r;
    probe_read(&p, &r); /* started */
    int64_t base1 = host(CLOCK_REALTIME) - host(CLOCK_MONOTONIC);
    uint64_t gen0 = fl_clock_offset_generation(g.off);
    pthread_t t;
    strobe_stop = 0;
    assert_int_equal(pthread_create(&t, NULL, strobe, NULL), 0);
    char line[256];
    probe_send(&p, "s 1000000\n");
    probe_line(&p, line, sizeof line);
    __atomic_store_n(&strobe_stop, 1, __ATOMIC_RELAXED);
    pthread_join(t, NULL);
    int64_t base2 = host(CLOCK_REALTIME) - host(CLOCK_MONOTONIC);
    uint64_t flips = fl_clock_offset_generation(g.off) - gen0;
    fl_clock_offset_set(g.off, 0);
    probe_stop(&p);
    long long lo, hi;
    long used, changes;
    assert_int_equal(sscanf(line, "%lld %lld %ld %ld", &lo, &hi, &used, &changes), 4);
    print_message("strobe: %llu offset writes; the probe saw realtime-monotonic in "
                  "[%+.6f, %+.6f] s around the host's, changing %ld times in %ld samples\n",
                  (unsigned long long)flips, (double)(lo - base1) / NS,
                  (double)(hi - base1) / NS, changes, used);
    int64_t base_lo = base1 < base2 ? base1 : base2, base_hi = base1 < base2 ? base2 : base1;
    EXPECT_IN("lowest realtime-monotonic", lo, base_lo - NS - MS, base_hi + NS + MS);
    EXPECT_IN("highest realtime-monotonic", hi, base_lo - NS - MS, base_hi + NS + MS);
    assert_true(used > 1000);
    assert_true(changes > 0); /* the flips were seen */
}

/* (6) No usable offset file: offset 0 and no crash, whatever is wrong with it. */
static void expect_unshifted(const char *clock_file, const char *what) {
    print_message("FL_CLOCK_FILE %s\n", what);
    fl_clock_offset_set(g.off, 3600 * NS); /* would show if the probe used g's file */
    probe p;
    probe_start(&p, true, clock_file, NULL);
    reading r;
    probe_read(&p, &r);
    expect_reading(&r, 0);
    probe_send(&p, "w 20\n");
    char line[256];
    do probe_line(&p, line, sizeof line);
    while (strcmp(line, "end") != 0);
    probe_stop(&p);
    fl_clock_offset_set(g.off, 0);
}

static void write_file(const char *path, const void *data, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static void test_missing_or_bad_file(void **state) {
    (void)state;
    char path[256];
    expect_unshifted(NULL, "unset");
    expect_unshifted("", "empty");
    snprintf(path, sizeof path, "%s/absent", g.dir);
    expect_unshifted(path, "names no file");
    snprintf(path, sizeof path, "%s/short", g.dir);
    write_file(path, "abc", 3);
    expect_unshifted(path, "names a 3-byte file");
    unlink(path);
    snprintf(path, sizeof path, "%s/zeros", g.dir);
    struct fl_clock_shm s;
    memset(&s, 0, sizeof s);
    write_file(path, &s, sizeof s);
    expect_unshifted(path, "names 64 zero bytes (bad magic)");
    s = (struct fl_clock_shm){.magic = FL_CLOCK_MAGIC, .version = 99, .size = sizeof s,
                              .offset_ns = 3600 * NS};
    write_file(path, &s, sizeof s);
    expect_unshifted(path, "names a file of another version");
    unlink(path);
    expect_unshifted(g.dir, "names a directory");
    snprintf(path, sizeof path, "%s/fifo", g.dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    expect_unshifted(path, "names a FIFO (must not block)");
    unlink(path);
    snprintf(path, sizeof path, "%s/unreadable", g.dir);
    s.version = FL_CLOCK_VERSION;
    write_file(path, &s, sizeof s);
    chmod(path, 0);
    if (geteuid() != 0) expect_unshifted(path, "names an unreadable file");
    unlink(path);
    /* Without LD_PRELOAD the probe is simply unshifted (a sanity check of the harness). */
    fl_clock_offset_set(g.off, 3600 * NS);
    probe p;
    probe_start(&p, false, g.offset_path, NULL);
    reading r;
    probe_read(&p, &r);
    expect_reading(&r, 0);
    probe_stop(&p);
    fl_clock_offset_set(g.off, 0);
}

/* ---- the writer ---- */

static void test_writer(void **state) {
    (void)state;
    char err[FL_CLOCK_ERR_BYTES], path[256];
    snprintf(path, sizeof path, "%s/w.offset", g.dir);

    assert_null(fl_clock_offset_open(path, false, err));
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err, path));

    mode_t old = umask(077); /* the file is 0644 whatever the umask */
    fl_clock_offset *a = fl_clock_offset_open(path, true, err);
    umask(old);
    assert_non_null(a);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(st.st_size, (off_t)sizeof(struct fl_clock_shm));
    assert_true(fl_clock_offset_get(a) == 0);

    fl_clock_offset *b = fl_clock_offset_open(path, true, err); /* the same file, kept */
    assert_non_null(b);
    uint64_t g0 = fl_clock_offset_generation(b);
    fl_clock_offset_set(a, -42);
    assert_true(fl_clock_offset_get(b) == -42);
    fl_clock_offset_set(b, INT64_MAX);
    assert_true(fl_clock_offset_get(a) == INT64_MAX);
    assert_true(fl_clock_offset_generation(a) == g0 + 2);
    fl_clock_offset_close(a);
    fl_clock_offset_close(b);
    b = fl_clock_offset_open(path, false, err); /* the offset survives closing */
    assert_non_null(b);
    assert_true(fl_clock_offset_get(b) == INT64_MAX);
    fl_clock_offset_close(b);
    fl_clock_offset_close(NULL);
    unlink(path);

    /* Not an offset file: an error, and the file is left as it was. */
    write_file(path, "hello", 5);
    assert_null(fl_clock_offset_open(path, true, err));
    assert_non_null(strstr(err, "too short"));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 5);
    char junk[64];
    memset(junk, 'x', sizeof junk);
    write_file(path, junk, sizeof junk);
    assert_null(fl_clock_offset_open(path, true, err));
    assert_non_null(strstr(err, "bad magic"));
    unlink(path);
    assert_null(fl_clock_offset_open(g.dir, true, err)); /* a directory */
    assert_non_null(strstr(err, g.dir));
    snprintf(path, sizeof path, "%s/no-such-dir/clock.offset", g.dir);
    assert_null(fl_clock_offset_open(path, true, err));
    assert_non_null(strstr(err, "directory"));
}

/* Several writers creating the file at once all end up on the one file. */
static void *create_one(void *arg) {
    char err[FL_CLOCK_ERR_BYTES];
    return fl_clock_offset_open(arg, true, err);
}

static void test_writer_create_race(void **state) {
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/race.offset", g.dir);
    for (int round = 0; round < 20; round++) {
        pthread_t t[4];
        fl_clock_offset *h[4];
        for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, create_one, path), 0);
        for (int i = 0; i < 4; i++) {
            void *r;
            pthread_join(t[i], &r);
            h[i] = r;
            assert_non_null(h[i]);
        }
        fl_clock_offset_set(h[0], round + 1);
        for (int i = 0; i < 4; i++) {
            assert_true(fl_clock_offset_get(h[i]) == round + 1);
            fl_clock_offset_close(h[i]);
        }
        assert_int_equal(unlink(path), 0);
    }
}

/* ---- cost ---- */

typedef struct {
    char name[64];
    double ns;
} bench_row;

static int probe_bench(bool preload, const char *extra, bench_row rows[8]) {
    probe p;
    probe_start(&p, preload, g.offset_path, extra);
    probe_send(&p, "b 20000\n");
    int n = 0;
    char line[256];
    for (;;) {
        probe_line(&p, line, sizeof line);
        if (!strcmp(line, "end")) break;
        if (n < 8 && sscanf(line, "%63s %lf", rows[n].name, &rows[n].ns) == 2) n++;
    }
    probe_stop(&p);
    return n;
}

static void test_cost(void **state) {
    (void)state;
    fl_clock_offset_set(g.off, 2500 * MS);
    bench_row native[8], shim[8], raw[8];
    int n = probe_bench(false, NULL, native);
    assert_int_equal(probe_bench(true, NULL, shim), n);
    assert_int_equal(probe_bench(true, "FL_CLOCK_NO_VDSO=1", raw), n);
    fl_clock_offset_set(g.off, 0);
    print_message("%-30s %10s %10s %16s   (ns per call)\n", "", "native", "shim",
                  "shim, no vDSO");
    for (int i = 0; i < n; i++)
        print_message("%-30s %10.1f %10.1f %16.1f\n", native[i].name, native[i].ns, shim[i].ns,
                      raw[i].ns);
    /* Every clock function the probe times runs under the shim, by vDSO and by raw
     * syscall alike, and returns. How fast is a figure, not a test: bench/bench_clock.sh. */
    assert_string_equal(shim[0].name, "clock_gettime_realtime");
    for (int i = 0; i < n; i++) {
        assert_string_equal(shim[i].name, native[i].name);
        assert_string_equal(raw[i].name, native[i].name);
        assert_true(shim[i].ns > 0 && raw[i].ns > 0);
    }
}

/* ---- (8) a real daemon: redis-server, linked with jemalloc ---- */

static bool find_program(const char *name, char *out, size_t n) {
    const char *path = getenv("PATH");
    if (!path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        size_t len = strcspn(path, ":");
        snprintf(out, n, "%.*s/%s", (int)len, path, name);
        if (len && access(out, X_OK) == 0) return true;
        path += len + (path[len] == ':');
    }
    return false;
}

/* `redis-cli -s sock TIME`: the server's time in ns, or -1. */
static int64_t redis_time(const char *cli, const char *sock) {
    char *argv[] = {(char *)cli, "-s", (char *)sock, "TIME", NULL};
    char **env = child_env(NULL);
    int from;
    pid_t pid = spawn(argv, env, NULL, &from, NULL);
    free_env(env);
    char buf[256] = {0};
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(from, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
    close(from);
    int status = reap(pid, 5000);
    long long s, us;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || sscanf(buf, "%lld %lld", &s, &us) != 2)
        return -1;
    return s * NS + us * 1000;
}

static void test_redis(void **state) {
    (void)state;
    char server[512], cli[512];
    if (!find_program("redis-server", server, sizeof server) ||
        !find_program("redis-cli", cli, sizeof cli)) {
        print_message("skipped: redis-server or redis-cli is not installed (Debian: "
                      "redis-server, redis-tools)\n");
        skip();
    }
    char sock[128], log[128], preload_var[512], file_var[512];
    snprintf(sock, sizeof sock, "%s/redis.sock", g.dir);
    snprintf(log, sizeof log, "%s/redis.log", g.dir);
    snprintf(preload_var, sizeof preload_var, "LD_PRELOAD=%s", FL_CLOCK_SHIM);
    snprintf(file_var, sizeof file_var, "FL_CLOCK_FILE=%s", g.offset_path);
    const char *add[] = {preload_var, file_var, NULL};
    char **env = child_env(add);
    /* A unix socket only: --port 0 opens no TCP port. */
    char *argv[] = {server, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
                    "--dir", g.dir, "--save", "", "--appendonly", "no", "--daemonize", "no",
                    NULL};
    fl_clock_offset_set(g.off, 0);
    pid_t pid = spawn(argv, env, NULL, NULL, log);
    free_env(env);
    int64_t t, before, after;
    int tries = 0, exited = 0;
    do { /* up, and answering */
        usleep(20000);
        before = host(CLOCK_REALTIME);
        t = redis_time(cli, sock);
        after = host(CLOCK_REALTIME);
        exited = waitpid(pid, NULL, WNOHANG) == pid;
    } while (t < 0 && ++tries < 250 && !exited);
    if (t < 0) {
        if (!exited) kill(pid, SIGKILL), waitpid(pid, NULL, 0);
        fail_msg("redis-server under the shim did not answer TIME (%s; log: %s)",
                 exited ? "it exited" : "killed", log);
    }
    EXPECT_IN("redis TIME, offset 0", t, before - 1000, after);
    fl_clock_offset_set(g.off, 3600 * NS);
    before = host(CLOCK_REALTIME);
    t = redis_time(cli, sock);
    after = host(CLOCK_REALTIME);
    print_message("redis-server %d under the shim: TIME - host = %+.6f s with offset +3600 s\n",
                  (int)pid, (double)(t - before) / NS);
    fl_clock_offset_set(g.off, 0);
    int64_t t0 = redis_time(cli, sock);
    kill(pid, SIGTERM); /* by its pid, never by name */
    int status = reap(pid, 5000);
    unlink(sock);
    unlink(log);
    EXPECT_IN("redis TIME, offset +1 h", t, before + 3600 * NS - 1000, after + 3600 * NS);
    assert_true(t0 > 0 && t0 < before + 60 * NS);
    assert_true(WIFEXITED(status) || WIFSIGNALED(status));
}

/* ---- set-up ---- */

static int setup(void **state) {
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    const char *tmp = getenv("TMPDIR");
    snprintf(g.dir, sizeof g.dir, "%s/fl-clock-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(g.dir)) return -1;
    snprintf(g.offset_path, sizeof g.offset_path, "%s/clock.offset", g.dir);
    char err[FL_CLOCK_ERR_BYTES];
    g.off = fl_clock_offset_open(g.offset_path, true, err);
    if (!g.off) {
        fprintf(stderr, "%s\n", err);
        rmdir(g.dir);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    fl_clock_offset_close(g.off);
    DIR *d = opendir(g.dir); /* what a failed test left */
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[512];
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", g.dir, e->d_name);
            if (unlink(path) != 0) rmdir(path);
        }
    }
    if (d) closedir(d);
    if (rmdir(g.dir) != 0) fprintf(stderr, "cannot remove %s: %s\n", g.dir, strerror(errno));
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_clock_untouched_first),
        cmocka_unit_test(test_offset_zero),
        cmocka_unit_test(test_offset_positive_negative_reset),
        cmocka_unit_test(test_raw_syscall_mode),
        cmocka_unit_test(test_deadlines_offset_ahead),
        cmocka_unit_test(test_deadlines_offset_behind),
        cmocka_unit_test(test_deadlines_offset_zero),
        cmocka_unit_test(test_extreme_offsets),
        cmocka_unit_test(test_strobe_never_torn),
        cmocka_unit_test(test_missing_or_bad_file),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_writer_create_race),
        cmocka_unit_test(test_cost),
        cmocka_unit_test(test_redis),
        cmocka_unit_test(test_host_clock_untouched_last),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
