/* Finding the smallest failing window of a non-linearizable key (see window.h). */
#include "window.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REMOVAL_SEARCHES 4000
#define TRIAL_STEPS_FACTOR 2
#define TRIAL_STEPS_MIN 10000
#define TOTAL_STEPS_FACTOR 20   /* all trials together, in units of the first search */
#define TOTAL_STEPS_MIN 2000000

/* The calls of the prefix cut at cut_pos, minus removed ones; calls still open at
 * the cut become unknown, and unknown read-only calls have nothing to check. */
static size_t make_prefix(const fl_call *calls, size_t n, int64_t cut_pos,
                          const uint8_t *removed, fl_call *out, uint32_t *map) {
    size_t count = 0;
    for (size_t c = 0; c < n && calls[c].invoke_pos < cut_pos; c++) {
        if (removed && removed[c]) continue;
        fl_call call = calls[c];
        if (call.return_pos > cut_pos) {
            if (call.read_only) continue;
            call.return_pos = FL_RETURN_NEVER;
        }
        if (map) map[count] = (uint32_t)c;
        out[count++] = call;
    }
    return count;
}

typedef struct trial {
    const fl_model *m;
    fl_interner *in;
    const fl_call *calls;
    size_t n;
    const fl_budget *budget;
    fl_call *buf;
    size_t searches;
    uint64_t baseline_steps; /* of the first search: the unreduced prefix */
    uint64_t total_steps;    /* of every search so far */
} trial;

/* 1 certainly invalid, 0 valid or undecided (undecided counts as "keep the op"). */
static int prefix_invalid(trial *t, int64_t cut_pos, const uint8_t *removed) {
    size_t count = make_prefix(t->calls, t->n, cut_pos, removed, t->buf, NULL);
    fl_search_result r;
    t->searches++;
    size_t mark = t->in->count;
    int rc = fl_search(t->m, t->in, t->buf, count, t->budget, -1, &r);
    fl_interner_truncate(t->in, mark); /* one trial's states are no use to the next */
    if (rc != 0) return 0;
    fl_search_result_free(&r);
    if (!t->baseline_steps) t->baseline_steps = r.steps;
    t->total_steps += r.steps;
    return r.verdict == FL_VERDICT_INVALID;
}

/* Remove read-only calls in blocks, halving the block size, while the prefix stays
 * invalid. Returns true when it ran to the end. */
static bool remove_reads(trial *t, int64_t cut_pos, uint32_t failing, uint8_t *removed) {
    size_t candidate_count = 0;
    uint32_t *candidates = malloc((t->n ? t->n : 1) * sizeof *candidates);
    if (!candidates) return false;
    for (size_t c = 0; c < t->n && t->calls[c].invoke_pos < cut_pos; c++)
        if (t->calls[c].read_only && c != failing && t->calls[c].return_pos <= cut_pos)
            candidates[candidate_count++] = (uint32_t)c;
    bool complete = true;
    for (size_t block = candidate_count / 2 ? candidate_count / 2 : 1; block > 0; block /= 2) {
        for (size_t start = 0; start < candidate_count; start += block) {
            if (t->searches >= MAX_REMOVAL_SEARCHES ||
                t->total_steps > t->baseline_steps * TOTAL_STEPS_FACTOR + TOTAL_STEPS_MIN ||
                (t->budget->deadline_ns && fl_now_ns() > t->budget->deadline_ns)) {
                complete = false;
                goto done;
            }
            size_t end = start + block < candidate_count ? start + block : candidate_count;
            bool any = false;
            for (size_t i = start; i < end; i++) any |= !removed[candidates[i]];
            if (!any) continue;
            uint8_t *undo = calloc(end - start, 1);
            if (!undo) {
                complete = false;
                goto done;
            }
            for (size_t i = start; i < end; i++) {
                undo[i - start] = removed[candidates[i]];
                removed[candidates[i]] = 1;
            }
            if (!prefix_invalid(t, cut_pos, removed))
                for (size_t i = start; i < end; i++) removed[candidates[i]] = undo[i - start];
            free(undo);
        }
        if (block == 1) break;
    }
done:
    free(candidates);
    return complete;
}

int fl_window_find(const fl_model *m, fl_interner *in, const fl_call *calls, size_t n,
                   int64_t blocked_call, const fl_budget *budget, fl_window *out) {
    memset(out, 0, sizeof *out);
    trial t = {m, in, calls, n, budget, malloc((n ? n : 1) * sizeof(fl_call)), 0, 0, 0};
    uint8_t *removed = calloc(n ? n : 1, 1);
    uint32_t *map = malloc((n ? n : 1) * sizeof *map);
    int rc = -1;
    if (blocked_call < 0 || (size_t)blocked_call >= n) goto done;
    uint32_t failing = (uint32_t)blocked_call;
    int64_t cut_pos = calls[failing].return_pos;
    if (!t.buf || !removed || !map || !prefix_invalid(&t, cut_pos, NULL)) goto done;
    out->cut_pos = cut_pos;
    out->failing_call = failing;
    /* Removing a read can free the search to try far more orders; a trial that costs
     * much more than the unreduced prefix did keeps its reads instead. */
    fl_budget trial_budget = *budget;
    trial_budget.max_steps = t.baseline_steps * TRIAL_STEPS_FACTOR + TRIAL_STEPS_MIN;
    t.budget = &trial_budget;
    out->minimized = remove_reads(&t, cut_pos, failing, removed);
    t.budget = budget;
    out->count = make_prefix(calls, n, cut_pos, removed, t.buf, map);
    out->calls = malloc((out->count ? out->count : 1) * sizeof *out->calls);
    out->window_calls = t.buf;
    t.buf = NULL;
    if (!out->calls) goto done;
    memcpy(out->calls, map, out->count * sizeof *map);
    int64_t watch = -1;
    for (size_t i = 0; i < out->count; i++)
        if (map[i] == failing) watch = (int64_t)i;
    if (fl_search(m, in, out->window_calls, out->count, budget, watch, &out->explain) != 0)
        goto done;
    out->searches = t.searches + 1;
    rc = 0;
done:
    free(t.buf);
    free(removed);
    free(map);
    if (rc != 0) fl_window_free(out);
    return rc;
}

void fl_window_free(fl_window *w) {
    free(w->calls);
    free(w->window_calls);
    fl_search_result_free(&w->explain);
    w->calls = NULL;
    w->window_calls = NULL;
}
