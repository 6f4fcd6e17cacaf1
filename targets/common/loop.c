/* The epoll loop of loop.h. Timers are a binary min-heap of pointers into their owners
 * (each timer knows its slot, so disarming is O(log n)). Each fd registration carries a
 * generation in the epoll data, so an event queued for an fd that was closed (and maybe
 * reused) earlier in the same batch is recognised as stale and dropped. */
#include "loop.h"

#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define FL_LOOP_EVENTS_MAX 256

typedef struct fl_fd_slot {
    fl_fd_fn *fn; /* NULL: not watched */
    void *arg;
    uint32_t gen; /* bumped at every add */
} fl_fd_slot;

struct fl_loop {
    int epfd;
    fl_fd_slot *fds;
    size_t fds_max;
    fl_timer **heap; /* heap[i]->heap_slot == i + 1 */
    size_t heap_count, heap_max;
    fl_hook_fn *hook;
    void *hook_arg;
    int sigfd;       /* -1 unless stop_on_signals */
    bool stopped;
    int stop_signal;
};

int64_t fl_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

fl_loop *fl_loop_new(size_t fds_max, size_t timers_max, char *err, size_t err_bytes) {
    assert(fds_max > 0 && timers_max > 0);
    fl_loop *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->fds = calloc(fds_max, sizeof *l->fds);
    l->heap = calloc(timers_max, sizeof *l->heap);
    if (!l->fds || !l->heap) abort();
    l->fds_max = fds_max;
    l->heap_max = timers_max;
    l->sigfd = -1;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        snprintf(err, err_bytes, "epoll_create1: %s", strerror(errno));
        fl_loop_free(l);
        return NULL;
    }
    return l;
}

void fl_loop_free(fl_loop *l) {
    if (!l) return;
    if (l->epfd >= 0) close(l->epfd);
    if (l->sigfd >= 0) close(l->sigfd);
    free(l->fds);
    free(l->heap);
    free(l);
}

static int ctl(fl_loop *l, int op, int fd, uint32_t events, char *err, size_t err_bytes) {
    struct epoll_event ev = {.events = events,
                             .data.u64 = (uint64_t)(uint32_t)fd | (uint64_t)l->fds[fd].gen << 32};
    if (epoll_ctl(l->epfd, op, fd, &ev) == 0) return 0;
    snprintf(err, err_bytes, "epoll_ctl(%s, fd %d): %s", op == EPOLL_CTL_ADD ? "add" : "mod", fd,
             strerror(errno));
    return -1;
}

int fl_loop_add(fl_loop *l, int fd, uint32_t events, fl_fd_fn *fn, void *arg, char *err,
                size_t err_bytes) {
    assert(fn);
    if (fd < 0 || (size_t)fd >= l->fds_max) {
        snprintf(err, err_bytes, "fd %d is past the loop's limit of %zu descriptors", fd,
                 l->fds_max);
        return -1;
    }
    assert(!l->fds[fd].fn);
    l->fds[fd].gen++;
    if (ctl(l, EPOLL_CTL_ADD, fd, events, err, err_bytes) != 0) return -1;
    l->fds[fd].fn = fn;
    l->fds[fd].arg = arg;
    return 0;
}

int fl_loop_mod(fl_loop *l, int fd, uint32_t events, char *err, size_t err_bytes) {
    assert(fd >= 0 && (size_t)fd < l->fds_max && l->fds[fd].fn);
    return ctl(l, EPOLL_CTL_MOD, fd, events, err, err_bytes);
}

void fl_loop_del(fl_loop *l, int fd) {
    assert(fd >= 0 && (size_t)fd < l->fds_max && l->fds[fd].fn);
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL); /* fails only if fd is already closed */
    l->fds[fd].fn = NULL;
    l->fds[fd].arg = NULL;
}

void fl_loop_set_hook(fl_loop *l, fl_hook_fn *fn, void *arg) {
    l->hook = fn;
    l->hook_arg = arg;
}

/* ---- timers: a binary min-heap on deadline_ms ---- */

static void heap_place(fl_loop *l, size_t i, fl_timer *t) {
    l->heap[i] = t;
    t->heap_slot = i + 1;
}

static void heap_up(fl_loop *l, size_t i) {
    fl_timer *t = l->heap[i];
    while (i > 0 && l->heap[(i - 1) / 2]->deadline_ms > t->deadline_ms) {
        heap_place(l, i, l->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_place(l, i, t);
}

static void heap_down(fl_loop *l, size_t i) {
    fl_timer *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->heap_count) break;
        if (c + 1 < l->heap_count && l->heap[c + 1]->deadline_ms < l->heap[c]->deadline_ms) c++;
        if (l->heap[c]->deadline_ms >= t->deadline_ms) break;
        heap_place(l, i, l->heap[c]);
        i = c;
    }
    heap_place(l, i, t);
}

void fl_timer_init(fl_timer *t, fl_timer_fn *fn, void *arg) {
    assert(fn);
    *t = (fl_timer){.fn = fn, .arg = arg};
}

void fl_timer_disarm(fl_loop *l, fl_timer *t) {
    if (!t->heap_slot) return;
    size_t i = t->heap_slot - 1;
    assert(i < l->heap_count && l->heap[i] == t);
    t->heap_slot = 0;
    fl_timer *last = l->heap[--l->heap_count];
    if (i == l->heap_count) return;
    heap_place(l, i, last);
    heap_up(l, i);
    heap_down(l, last->heap_slot - 1);
}

int fl_timer_arm(fl_loop *l, fl_timer *t, int64_t deadline_ms) {
    assert(t->fn);
    fl_timer_disarm(l, t);
    if (l->heap_count == l->heap_max) return -1;
    t->deadline_ms = deadline_ms;
    heap_place(l, l->heap_count++, t);
    heap_up(l, l->heap_count - 1);
    return 0;
}

/* Fires the timers due now; those (re)armed by a callback for now wait for the next turn. */
static void run_timers(fl_loop *l) {
    int64_t now = fl_mono_ms();
    size_t due_max = l->heap_count;
    for (size_t i = 0; i < due_max && l->heap_count > 0; i++) {
        fl_timer *t = l->heap[0];
        if (t->deadline_ms > now) break;
        fl_timer_disarm(l, t);
        t->fn(l, t);
    }
}

/* ---- signals and the run loop ---- */

static void on_signal_fd(fl_loop *l, int fd, uint32_t events, void *arg) {
    (void)events;
    (void)arg;
    struct signalfd_siginfo si;
    if (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
        l->stop_signal = (int)si.ssi_signo;
        l->stopped = true;
    }
}

int fl_loop_stop_on_signals(fl_loop *l, const int *sigs, size_t n, char *err, size_t err_bytes) {
    assert(l->sigfd < 0);
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < n; i++) sigaddset(&set, sigs[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
        (l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        snprintf(err, err_bytes, "signalfd: %s", strerror(errno));
        return -1;
    }
    return fl_loop_add(l, l->sigfd, EPOLLIN, on_signal_fd, NULL, err, err_bytes);
}

void fl_loop_stop(fl_loop *l) { l->stopped = true; }

static int sleep_ms(const fl_loop *l, bool busy) {
    if (busy) return 0;
    if (l->heap_count == 0) return -1;
    int64_t left = l->heap[0]->deadline_ms - fl_mono_ms();
    return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

static void dispatch(fl_loop *l, const struct epoll_event *ev) {
    int fd = (int)(uint32_t)ev->data.u64;
    uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
    assert(fd >= 0 && (size_t)fd < l->fds_max);
    fl_fd_slot *s = &l->fds[fd];
    if (s->fn && s->gen == gen) s->fn(l, fd, ev->events, s->arg);
}

int fl_loop_run(fl_loop *l, char *err, size_t err_bytes) {
    struct epoll_event events[FL_LOOP_EVENTS_MAX];
    while (!l->stopped) {
        bool busy = l->hook ? l->hook(l, l->hook_arg) : false;
        if (l->stopped) break;
        int n = epoll_wait(l->epfd, events, FL_LOOP_EVENTS_MAX, sleep_ms(l, busy));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(err, err_bytes, "epoll_wait: %s", strerror(errno));
            return -1;
        }
        for (int i = 0; i < n && !l->stopped; i++) dispatch(l, &events[i]);
        run_timers(l);
    }
    return l->stop_signal;
}
