/* The smallest failing window of a non-linearizable key: the shortest prefix of the
 * history that cannot be linearized (cut at the completion no search got past), with every read-only op that is not needed
 * removed. Both reductions are sound: linearizability is prefix-closed (ops still
 * open at the cut become indeterminate), and dropping an op that never changes the
 * state only removes constraints. So the window alone proves the whole key invalid. */
#ifndef FL_WINDOW_H
#define FL_WINDOW_H

#include "search.h"

typedef struct fl_window {
    int64_t cut_pos;        /* history position of the failing op's completion */
    uint32_t failing_call;  /* index into the key's calls */
    uint32_t *calls;        /* the window's calls (indices into the key's calls), sorted */
    size_t count;
    bool minimized;         /* read removal ran to the end within the budget */
    size_t searches;        /* searches it took */
    /* From a final search of the window, watching the failing op's completion. */
    fl_search_result explain;
    fl_call *window_calls;  /* the window as searched (calls open at the cut unknown) */
} fl_window;

/* calls: one key's calls, found invalid by a search whose furthest blocked call was
 * blocked_call. The prefix cut at that call's completion cannot be linearized: a
 * linearization of it would have let the search past that completion. Returns 0, or
 * -1 when the window could not be confirmed within the budget (then the whole key is
 * the only witness). */
int fl_window_find(const fl_model *m, fl_interner *in, const fl_call *calls, size_t n,
                   int64_t blocked_call, const fl_budget *budget, fl_window *out);
void fl_window_free(fl_window *w);

#endif
