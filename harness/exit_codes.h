/* Exit codes shared by every faultline command (DESIGN.md "Exit codes"). */
#ifndef FL_EXIT_CODES_H
#define FL_EXIT_CODES_H

enum {
    FL_EXIT_VALID = 0,      /* every check passed */
    FL_EXIT_ANOMALY = 1,    /* a checker found an anomaly */
    FL_EXIT_UNKNOWN = 2,    /* a checker could not decide (budget, crash) */
    FL_EXIT_HARNESS = 3,    /* setup, SSH, a node, or a certificate that did not verify */
    FL_EXIT_USAGE = 64,     /* bad flags */
    FL_EXIT_DATAERR = 65,   /* a history, config or nodes file that does not parse */
};

/* Several results combine as 3 > 1 > 2 > 0. */
static inline int fl_exit_combine(int a, int b) {
    static const int rank[4] = {0, 2, 1, 3};
    if (a > 3 || b > 3) return a > b ? a : b;
    return rank[a] >= rank[b] ? a : b;
}

#endif
