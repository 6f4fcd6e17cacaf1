/* The service slots and the waiting queue (see capacity.h). */
#include "capacity.h"

#include <assert.h>
#include <stdlib.h>

static void ring_init(pay_ring *r, size_t size) {
    *r = (pay_ring){.size = size};
    if (size == 0) return; /* --queue 0: nothing ever waits */
    r->job = calloc(size, sizeof *r->job);
    r->deadline_ms = calloc(size, sizeof *r->deadline_ms);
    if (!r->job || !r->deadline_ms) abort();
}

static void ring_free(pay_ring *r) {
    free(r->job);
    free(r->deadline_ms);
    *r = (pay_ring){0};
}

static void ring_push(pay_ring *r, void *job, int64_t deadline_ms) {
    assert(r->count < r->size);
    size_t i = (r->head + r->count) % r->size;
    r->job[i] = job;
    r->deadline_ms[i] = deadline_ms;
    r->count++;
}

static void *ring_pop(pay_ring *r) {
    assert(r->count > 0);
    void *job = r->job[r->head];
    r->head = (r->head + 1) % r->size;
    r->count--;
    return job;
}

void pay_capacity_init(pay_capacity *c, size_t capacity, size_t queue_max, int64_t service_ms) {
    assert(capacity >= 1 && capacity <= PAY_CAPACITY_MAX);
    assert(queue_max <= PAY_QUEUE_MAX);
    assert(service_ms >= 0 && service_ms <= PAY_SERVICE_MS_MAX);
    *c = (pay_capacity){.capacity = capacity, .queue_max = queue_max, .service_ms = service_ms,
                        .now_ms = INT64_MIN};
    ring_init(&c->serving, capacity);
    ring_init(&c->waiting, queue_max);
}

void pay_capacity_free(pay_capacity *c) {
    ring_free(&c->serving);
    ring_free(&c->waiting);
}

pay_admit pay_capacity_decide(size_t capacity, size_t queue_max, size_t in_service,
                              size_t queued) {
    assert(in_service <= capacity && queued <= queue_max);
    assert(queued == 0 || in_service == capacity); /* nobody waits beside a free slot */
    if (in_service < capacity) return PAY_ADMIT_SERVE;
    return queued < queue_max ? PAY_ADMIT_QUEUE : PAY_ADMIT_SHED;
}

static void see_time(pay_capacity *c, int64_t now_ms) {
    assert(now_ms >= c->now_ms); /* CLOCK_MONOTONIC */
    c->now_ms = now_ms;
}

pay_admit pay_capacity_offer(pay_capacity *c, void *job, int64_t now_ms) {
    assert(job);
    see_time(c, now_ms);
    pay_admit a = pay_capacity_decide(c->capacity, c->queue_max, c->serving.count,
                                      c->waiting.count);
    if (a == PAY_ADMIT_SERVE) ring_push(&c->serving, job, now_ms + c->service_ms);
    else if (a == PAY_ADMIT_QUEUE) ring_push(&c->waiting, job, 0);
    return a;
}

int64_t pay_capacity_next_deadline(const pay_capacity *c) {
    return c->serving.count ? c->serving.deadline_ms[c->serving.head] : -1;
}

void *pay_capacity_finish(pay_capacity *c, int64_t now_ms) {
    see_time(c, now_ms);
    if (c->serving.count == 0 || c->serving.deadline_ms[c->serving.head] > now_ms) return NULL;
    void *done = ring_pop(&c->serving);
    /* every job in service started by now_ms: its deadline is no later, the FIFO stays sorted */
    if (c->waiting.count) ring_push(&c->serving, ring_pop(&c->waiting), now_ms + c->service_ms);
    return done;
}

void *pay_capacity_drop(pay_capacity *c) {
    if (c->serving.count) return ring_pop(&c->serving);
    return c->waiting.count ? ring_pop(&c->waiting) : NULL;
}
