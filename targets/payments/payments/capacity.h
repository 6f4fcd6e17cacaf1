/* fl-payments' service capacity (DESIGN.md "payments": a fixed service capacity; past it,
 * requests queue and then are shed): `capacity` slots, each holding one request for
 * `service_ms` (the work a real processor does, as time: the server sleeps on a timer, it
 * does not spin), and a FIFO of at most `queue_max` requests waiting for a slot. A request
 * offered when every slot is busy and the queue is full is shed at once.
 *
 * Pure: no clock (the caller passes the time, CLOCK_MONOTONIC ms, never decreasing) and no
 * knowledge of what a job is. Every slot serves for the same time and slots are filled in
 * turn, so jobs leave service in the order they entered it: the slots are one FIFO too,
 * and only its head's deadline matters. */
#ifndef PAY_CAPACITY_H
#define PAY_CAPACITY_H

#include <stddef.h>
#include <stdint.h>

#define PAY_CAPACITY_MAX 4096
#define PAY_QUEUE_MAX 65536
#define PAY_SERVICE_MS_MAX 60000

typedef enum { PAY_ADMIT_SERVE, PAY_ADMIT_QUEUE, PAY_ADMIT_SHED } pay_admit;

/* A ring of jobs (with the deadline of each, for the slots). */
typedef struct pay_ring {
    void **job;
    int64_t *deadline_ms;
    size_t head, count, size;
} pay_ring;

typedef struct pay_capacity {
    size_t capacity, queue_max;
    int64_t service_ms;
    int64_t now_ms;         /* the latest time seen (checks that time never goes back) */
    pay_ring serving;       /* size capacity, deadlines non-decreasing from head */
    pay_ring waiting;       /* size queue_max */
} pay_capacity;

/* capacity 1..PAY_CAPACITY_MAX, queue_max 0..PAY_QUEUE_MAX, service_ms 0..MAX. */
void pay_capacity_init(pay_capacity *c, size_t capacity, size_t queue_max, int64_t service_ms);
void pay_capacity_free(pay_capacity *c);

/* The admission decision alone: what an offer would do with in_service and queued. */
pay_admit pay_capacity_decide(size_t capacity, size_t queue_max, size_t in_service,
                              size_t queued);
/* Offers job (non-NULL) at now_ms: SERVE (in a slot until now_ms + service_ms), QUEUE
 * (waiting) or SHED (not taken: the caller answers it at once). */
pay_admit pay_capacity_offer(pay_capacity *c, void *job, int64_t now_ms);
/* When the next job leaves service (its deadline), or -1 when no slot is busy. */
int64_t pay_capacity_next_deadline(const pay_capacity *c);
/* A job whose service ended by now_ms, taken out, its slot given to the first waiting job
 * (which starts at now_ms); or NULL when none has ended. Call until NULL. */
void *pay_capacity_finish(pay_capacity *c, int64_t now_ms);
/* Any job still held (in service first), taken out without being served; NULL when none
 * is left. For shutting down. */
void *pay_capacity_drop(pay_capacity *c);

static inline size_t pay_capacity_in_service(const pay_capacity *c) { return c->serving.count; }
static inline size_t pay_capacity_queued(const pay_capacity *c) { return c->waiting.count; }

#endif
