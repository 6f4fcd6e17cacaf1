/* The linearizability checker (see check.h): partition per key, search the keys in a
 * pool of threads taking turns (slices of steps that double), explain and certify
 * each verdict. */
#include "check.h"

#include <assert.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_internal.h"
#include "empty_history.h"
#include "verify.h"

#define VERIFY_TIME_MIN_S 60
#define MEMORY_LIMIT_MAX_BYTES ((size_t)2 << 30)

/* Keys take turns from one queue: a key's first turn is FIRST_SLICE_STEPS model steps
 * and each later one twice its last, so a key decidable in s steps starts its deciding
 * turn before any other key has been given more than about 2s + FIRST_SLICE_STEPS
 * steps, however many threads there are and however long the others' searches are
 * (DESIGN.md "Checkers"). */
#define FIRST_SLICE_STEPS ((uint64_t)1 << 14)

typedef struct pool {
    const fl_history *h;
    const fl_lin_options *o;
    fl_budget budget;
    key_job *jobs;
    size_t count;
    /* The run queue, under lock: a ring of count job indices (a job is queued at most
     * once: it is either queued, running on one thread, or finished). */
    pthread_mutex_t lock;
    pthread_cond_t wake;      /* a job was queued, or the last running one finished */
    size_t *queue;
    size_t head, queued;
    size_t running;           /* jobs taken off the queue and not yet given back */
    atomic_bool anomaly;      /* some key is invalid: the others may stop */
} pool;

#define WINDOW_TIME_DEFAULT_S 10.0
static const char not_checked[] =
    "not checked: another key is already invalid (--all-keys checks every key)";
static const char out_of_time[] = "check time limit reached";

/* The checker grows and frees large tables on several threads at once; with glibc's
 * defaults every large block is a fresh mmap whose page faults serialise the threads
 * on the address-space lock (measured on kv c50-ok: 2.6x the CPU time on two
 * threads). Keeping freed memory for reuse costs a little RSS and removes that. */
void fl_lin_tune_malloc(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 16 << 20);
}

static void certify(pool *p, key_job *job) {
    const fl_partition *part = job->part;
    const fl_call *calls = part->calls;
    int64_t deadline = fl_now_ns() + (int64_t)VERIFY_TIME_MIN_S * 1000000000;
    if (p->budget.deadline_ns > deadline) deadline = p->budget.deadline_ns;
    const char *why = NULL;
    bool undecided = false;
    size_t n = job->verdict == FL_VERDICT_VALID ? job->search.order_len
               : job->has_window                ? job->window.count
                                                : part->call_count;
    int64_t *positions = malloc((n ? n : 1) * sizeof *positions);
    if (!positions) {
        why = "out of memory";
    } else if (job->verdict == FL_VERDICT_VALID) {
        for (size_t i = 0; i < n; i++) positions[i] = calls[job->search.order[i]].invoke_pos;
        why = fl_verify_linearization(p->h, p->o->model->name, part->key, positions, n,
                                      job->certificate_problem,
                                      sizeof job->certificate_problem);
    } else {
        for (size_t i = 0; i < n; i++)
            positions[i] = calls[job->has_window ? job->window.calls[i] : i].invoke_pos;
        int64_t cut = job->has_window ? job->window.cut_pos : INT64_MAX;
        why = fl_verify_window(p->h, p->o->model->name, part->key, cut, positions, n,
                               deadline, &undecided, job->certificate_problem,
                               sizeof job->certificate_problem);
    }
    free(positions);
    job->certified = why == NULL ? 1 : undecided ? 2 : 0;
    if (why && why != job->certificate_problem)
        snprintf(job->certificate_problem, sizeof job->certificate_problem, "%s", why);
}

/* A key's first turn: prepare it and start its search. False when it is finished
 * without one (not checked, out of time, an op that does not fit the model). */
static bool start_job(pool *p, key_job *job) {
    fl_partition *part = job->part;
    job->certified = -1;
    if (!p->o->all_keys && atomic_load(&p->anomaly)) {
        job->verdict = FL_VERDICT_UNKNOWN;
        job->reason = not_checked;
        return false;
    }
    /* The budget bounds the whole check, not each key: a key whose turn comes after
     * the deadline is not started (a small search would finish before it looked). */
    if (p->budget.deadline_ns && fl_now_ns() > p->budget.deadline_ns) {
        job->verdict = FL_VERDICT_UNKNOWN;
        job->reason = out_of_time;
        return false;
    }
    if (fl_partition_prepare(p->h, p->o->model, part, &job->prepare_error,
                             &job->prepare_error_pos) != 0)
        return false;
    job->intern_mark = part->in.count;
    job->task = fl_search_begin(p->o->model, &part->in, part->calls, part->call_count,
                                &p->budget, -1, &job->search);
    if (!job->task) {
        job->verdict = FL_VERDICT_UNKNOWN;
        job->reason = "out of memory";
        return false;
    }
    job->slice_steps = FIRST_SLICE_STEPS;
    return true;
}

/* A decided key (its search ended): its window when invalid, its certificate when
 * asked. */
static void finish_job(pool *p, key_job *job) {
    fl_partition *part = job->part;
    /* Nothing after the search needs the states it interned (the window's searches
     * intern their own): give their memory back, often most of what the search took. */
    fl_interner_truncate(&part->in, job->intern_mark);
    job->verdict = job->search.verdict;
    job->reason = job->search.unknown_reason;
    if (job->verdict == FL_VERDICT_UNKNOWN && p->budget.cancel &&
        atomic_load(p->budget.cancel) && !strcmp(job->reason, "cancelled"))
        job->reason = not_checked;
    if (job->verdict == FL_VERDICT_INVALID) {
        atomic_store(&p->anomaly, true);
        /* Narrowing the window has its own deadline and is never cancelled. */
        fl_budget window_budget = p->budget;
        window_budget.cancel = NULL;
        double limit_s = p->o->window_time_limit_s > 0 ? p->o->window_time_limit_s
                                                       : WINDOW_TIME_DEFAULT_S;
        int64_t deadline = fl_now_ns() + (int64_t)(limit_s * 1e9);
        if (!window_budget.deadline_ns || deadline < window_budget.deadline_ns)
            window_budget.deadline_ns = deadline;
        job->has_window = fl_window_find(p->o->model, &part->in, part->calls,
                                         part->call_count, job->search.blocked_call,
                                         &window_budget, &job->window) == 0;
    }
    if (p->o->certify && job->verdict != FL_VERDICT_UNKNOWN) certify(p, job);
}

/* One turn of a key: true when it must be queued again (its slice ran out). */
static bool run_turn(pool *p, key_job *job) {
    int64_t start = fl_now_ns();
    bool again = false;
    if (!job->task && !start_job(p, job)) {
        /* finished without a search */
    } else if (!p->o->all_keys && atomic_load(&p->anomaly)) {
        fl_search_end(job->task, "cancelled");
        job->task = NULL;
        finish_job(p, job);
    } else if (!fl_search_resume(job->task, job->slice_steps)) {
        job->slice_steps *= 2;
        again = true;
    } else {
        fl_search_end(job->task, NULL);
        job->task = NULL;
        finish_job(p, job);
    }
    job->seconds += (double)(fl_now_ns() - start) / 1e9;
    return again;
}

/* The next job to run, or false when every job is finished. */
static bool take(pool *p, size_t *job) {
    pthread_mutex_lock(&p->lock);
    while (!p->queued && p->running) pthread_cond_wait(&p->wake, &p->lock);
    bool any = p->queued > 0;
    if (any) {
        *job = p->queue[p->head];
        p->head = (p->head + 1) % p->count;
        p->queued--;
        p->running++;
    }
    pthread_mutex_unlock(&p->lock);
    return any;
}

static void give_back(pool *p, size_t job, bool again) {
    pthread_mutex_lock(&p->lock);
    assert(p->running > 0);
    p->running--;
    if (again) {
        assert(p->queued < p->count);
        p->queue[(p->head + p->queued) % p->count] = job;
        p->queued++;
    }
    if (again || !p->running) pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

static void *worker(void *arg) {
    pool *p = arg;
    size_t job;
    while (take(p, &job)) give_back(p, job, run_turn(p, &p->jobs[job]));
    return NULL;
}

static int larger_first(const void *a, const void *b, void *jobs_) {
    const key_job *jobs = jobs_;
    size_t x = jobs[*(const size_t *)a].part->invoke_count;
    size_t y = jobs[*(const size_t *)b].part->invoke_count;
    return (x < y) - (x > y);
}

static int run_pool(pool *p) {
    int threads = p->o->threads > 0 ? p->o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if ((size_t)threads > p->count) threads = (int)(p->count ? p->count : 1);
    /* The first round goes largest key first, so that the long searches start early. */
    qsort_r(p->queue, p->count, sizeof *p->queue, larger_first, p->jobs);
    p->queued = p->count;
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    if (!ids) return -1;
    int started = 0;
    for (; started < threads - 1; started++)
        if (pthread_create(&ids[started], NULL, worker, p) != 0) break;
    worker(p); /* the calling thread works too */
    for (int i = 0; i < started; i++) pthread_join(ids[i], NULL);
    free(ids);
    return 0;
}

size_t fl_lin_memory_limit_default(void) {
    long pages = sysconf(_SC_PHYS_PAGES), page_bytes = sysconf(_SC_PAGESIZE);
    size_t quarter = pages > 0 && page_bytes > 0 ? (size_t)pages / 4 * (size_t)page_bytes
                                                 : MEMORY_LIMIT_MAX_BYTES;
    return quarter < MEMORY_LIMIT_MAX_BYTES ? quarter : MEMORY_LIMIT_MAX_BYTES;
}

json_t *fl_check_linearizable(const fl_history *h, const fl_lin_options *o, fl_error *err) {
    fl_partition *parts = NULL;
    size_t count = 0;
    if (fl_partition_split(h, &parts, &count) != 0) {
        fl_error_set(err, h->source, 0, 0, "out of memory splitting the history by key");
        return NULL;
    }
    if (count && !o->model) {
        fl_partitions_free(parts, count);
        fl_error_set(err, h->source, 0, 0, "no model to check the client ops with");
        return NULL;
    }
    atomic_size_t memory_used = 0;
    pool p = {.h = h, .o = o, .count = count,
              .jobs = calloc(count ? count : 1, sizeof(key_job)),
              .queue = malloc((count ? count : 1) * sizeof(size_t))};
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.wake, NULL);
    p.budget.memory_limit_bytes =
        o->memory_limit_bytes ? o->memory_limit_bytes : fl_lin_memory_limit_default();
    p.budget.memory_used = &memory_used;
    if (!o->all_keys) p.budget.cancel = &p.anomaly;
    int64_t start = fl_now_ns();
    if (o->time_limit_s > 0) p.budget.deadline_ns = start + (int64_t)(o->time_limit_s * 1e9);
    json_t *result = NULL;
    for (size_t i = 0; p.jobs && p.queue && i < count; i++) {
        p.jobs[i].part = &parts[i];
        p.queue[i] = i;
    }
    if (!p.jobs || !p.queue || run_pool(&p) != 0) {
        fl_error_set(err, h->source, 0, 0, "out of memory starting the checker");
        goto done;
    }
    result = fl_lin_summarize(h, o, p.jobs, count, (double)(fl_now_ns() - start) / 1e9, err);
    fl_empty_history_valid(h, result);
done:
    for (size_t i = 0; p.jobs && i < count; i++) {
        fl_search_result_free(&p.jobs[i].search);
        if (p.jobs[i].has_window) fl_window_free(&p.jobs[i].window);
    }
    free(p.jobs);
    free(p.queue);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.wake);
    fl_partitions_free(parts, count);
    return result;
}
