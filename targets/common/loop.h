/* A single-threaded epoll event loop for the in-tree servers: callbacks on file
 * descriptors (level-triggered), one-shot timers on CLOCK_MONOTONIC, a hook run before
 * each sleep (where a server batches work, e.g. one fdatasync for many writes), and a stop
 * on signals (through a signalfd). It knows nothing of what the descriptors carry. */
#ifndef FL_TARGET_LOOP_H
#define FL_TARGET_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

typedef struct fl_loop fl_loop;
typedef struct fl_timer fl_timer;

/* events: the EPOLL* bits that fired. The callback may add, change or remove any fd,
 * this one included: events still queued for a removed fd are dropped. */
typedef void fl_fd_fn(fl_loop *l, int fd, uint32_t events, void *arg);
typedef void fl_timer_fn(fl_loop *l, fl_timer *t);
/* Before each sleep: return true if work remains, so the loop polls without sleeping. */
typedef bool fl_hook_fn(fl_loop *l, void *arg);

/* Embedded in its owner; the loop only points at it while it is armed. */
struct fl_timer {
    int64_t deadline_ms; /* CLOCK_MONOTONIC, as fl_mono_ms */
    size_t heap_slot;    /* 1 + index in the loop's heap; 0 when not armed */
    fl_timer_fn *fn;
    void *arg;           /* the owner's, for fn */
};

int64_t fl_mono_ms(void);

/* fds_max: descriptors are < fds_max. timers_max: armed at once, at most. NULL with err. */
fl_loop *fl_loop_new(size_t fds_max, size_t timers_max, char *err, size_t err_bytes);
void fl_loop_free(fl_loop *l);
int fl_loop_add(fl_loop *l, int fd, uint32_t events, fl_fd_fn *fn, void *arg, char *err,
                size_t err_bytes);
int fl_loop_mod(fl_loop *l, int fd, uint32_t events, char *err, size_t err_bytes);
/* Stops watching fd (the caller closes it). */
void fl_loop_del(fl_loop *l, int fd);
void fl_loop_set_hook(fl_loop *l, fl_hook_fn *fn, void *arg);

void fl_timer_init(fl_timer *t, fl_timer_fn *fn, void *arg);
/* (Re)arms t for deadline_ms: 0, or -1 when timers_max timers are already armed. */
int fl_timer_arm(fl_loop *l, fl_timer *t, int64_t deadline_ms);
void fl_timer_disarm(fl_loop *l, fl_timer *t);
static inline bool fl_timer_armed(const fl_timer *t) { return t->heap_slot != 0; }

/* Blocks sigs and stops the loop when one arrives (fl_loop_run returns its number). */
int fl_loop_stop_on_signals(fl_loop *l, const int *sigs, size_t n, char *err, size_t err_bytes);
void fl_loop_stop(fl_loop *l);
/* Runs until stopped: the signal that stopped it, 0 after fl_loop_stop, -1 with err when
 * epoll_wait fails. */
int fl_loop_run(fl_loop *l, char *err, size_t err_bytes);

#endif
