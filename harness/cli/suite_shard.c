/* Splitting a suite over CI workers (see suite_shard.h). */
#include "suite_shard.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "exit_codes.h"

int fl_shard_parse(const char *text, int *index, int *count) {
    char *end;
    errno = 0;
    long i = strtol(text, &end, 10), n = 0;
    bool ok = !errno && end != text && *end == '/';
    if (ok) {
        const char *rest = end + 1;
        n = strtol(rest, &end, 10);
        ok = !errno && end != rest && *end == '\0' && n >= 1 && n <= 1000 && i >= 1 && i <= n;
    }
    if (!ok) {
        fprintf(stderr, "faultline suite: --shard %s: want I/N with 1 <= I <= N <= 1000 "
                "(this worker's number, then how many workers)\n", text);
        return FL_EXIT_USAGE;
    }
    *index = (int)i;
    *count = (int)n;
    return 0;
}

typedef struct item {
    double seconds;
    size_t at;
} item;

static int longest_first(const void *a, const void *b) {
    const item *x = a, *y = b;
    if (x->seconds != y->seconds) return x->seconds > y->seconds ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

void fl_shard_assign(const double *seconds, size_t n, int count, int *shard_of) {
    item *items = malloc((n ? n : 1) * sizeof *items);
    double *load = calloc((size_t)count, sizeof *load);
    if (!items || !load) { /* no memory for the balance: plain round-robin */
        for (size_t i = 0; i < n; i++) shard_of[i] = (int)(i % (size_t)count) + 1;
    } else {
        for (size_t i = 0; i < n; i++) items[i] = (item){seconds[i], i};
        qsort(items, n, sizeof *items, longest_first);
        for (size_t k = 0; k < n; k++) {
            int best = 0;
            for (int s = 1; s < count; s++)
                if (load[s] < load[best]) best = s;
            load[best] += items[k].seconds;
            shard_of[items[k].at] = best + 1;
        }
    }
    free(items);
    free(load);
}
