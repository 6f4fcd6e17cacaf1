/* Strongly connected components (txn_internal.h): Tarjan's algorithm with an explicit
 * stack, since a history's dependency chains are far deeper than a thread's stack. */
#include <assert.h>
#include <stdlib.h>

#include "txn_internal.h"

#define UNSEEN UINT32_MAX

int64_t txn_scc(uint32_t n, const uint64_t *off, const uint32_t *adj, const uint8_t *lab,
                uint8_t mask, uint32_t *comp) {
    assert(n == 0 || (off && comp));
    uint32_t *index = malloc((n ? n : 1) * sizeof *index);
    uint32_t *low = malloc((n ? n : 1) * sizeof *low);
    uint32_t *stack = malloc((n ? n : 1) * sizeof *stack);   /* Tarjan's vertex stack */
    uint32_t *calls = malloc((n ? n : 1) * sizeof *calls);   /* the DFS path */
    uint64_t *next = malloc((n ? n : 1) * sizeof *next);     /* next edge to try, per vertex */
    int64_t ncomp = -1;
    if (!index || !low || !stack || !calls || !next) goto done;
    for (uint32_t v = 0; v < n; v++) index[v] = UNSEEN;
    uint32_t counter = 0, sp = 0;
    ncomp = 0;
    for (uint32_t root = 0; root < n; root++) {
        if (index[root] != UNSEEN) continue;
        uint32_t depth = 0;
        calls[depth++] = root;
        index[root] = low[root] = counter++;
        next[root] = off[root];
        stack[sp++] = root;
        comp[root] = UNSEEN; /* on the stack */
        while (depth) {
            uint32_t v = calls[depth - 1];
            bool descended = false;
            while (next[v] < off[v + 1]) {
                uint64_t e = next[v]++;
                if (!(lab[e] & mask)) continue;
                uint32_t w = adj[e];
                if (index[w] == UNSEEN) {
                    index[w] = low[w] = counter++;
                    next[w] = off[w];
                    stack[sp++] = w;
                    comp[w] = UNSEEN;
                    calls[depth++] = w;
                    descended = true;
                    break;
                }
                if (comp[w] == UNSEEN && index[w] < low[v]) low[v] = index[w];
            }
            if (descended) continue;
            depth--;
            if (low[v] == index[v]) {
                uint32_t w;
                do {
                    w = stack[--sp];
                    comp[w] = (uint32_t)ncomp;
                } while (w != v);
                ncomp++;
            }
            if (depth) {
                uint32_t parent = calls[depth - 1];
                if (low[v] < low[parent]) low[parent] = low[v];
            }
        }
    }
done:
    free(index);
    free(low);
    free(stack);
    free(calls);
    free(next);
    return ncomp;
}
