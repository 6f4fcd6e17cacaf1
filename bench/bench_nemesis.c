/* How long a partition takes from decision to in force on every node, and its heal,
 * over the agents' kept SSH channels on a running cluster (median and max).
 *
 *   bench_nemesis NODES_FILE [ROUNDS]      (root; the cluster must be up) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "agents.h"
#include "nemesis.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static fl_agents agents;
static int call(void *ctx, size_t node, json_t *request, json_t **reply, char *err, size_t bytes) {
    (void)ctx;
    return fl_agents_call(&agents, node, request, reply, err, bytes);
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: bench_nemesis NODES_FILE [ROUNDS]\n"), 2;
    int rounds = argc > 2 ? atoi(argv[2]) : 50;
    fl_nodes nodes;
    fl_control control;
    char err[1024];
    if (fl_nodes_read(argv[1], &nodes, err) != 0) return fprintf(stderr, "%s\n", err), 1;
    if (fl_control_open(&control, &nodes, false, 5000, err, sizeof err) != 0 ||
        fl_agents_start(&agents, &control, 10, err, sizeof err) != 0)
        return fprintf(stderr, "%s %s\n", err, control.errors[0]), 1;
    const char *names[FL_NODES_MAX], *addrs[FL_NODES_MAX];
    for (size_t i = 0; i < nodes.count; i++) names[i] = nodes.nodes[i].name, addrs[i] = nodes.nodes[i].host;
    fl_fault_spec spec;
    fl_fault_spec_parse("partition:halves", &spec, err, sizeof err);
    fl_nemesis_io io = {NULL, nodes.count, names, addrs, call, NULL, NULL, NULL};
    fl_nemesis n;
    fl_nemesis_init(&n, &io, &spec, 1, NULL, 0);
    double *apply = calloc((size_t)rounds, sizeof *apply), *heal = calloc((size_t)rounds, sizeof *heal);
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        json_t *e = fl_nemesis_start(&n, err, sizeof err);
        double t1 = now_ms();
        json_t *s = fl_nemesis_stop(&n, err, sizeof err);
        double t2 = now_ms();
        if (!e || !s) return fprintf(stderr, "%s\n", err), 1;
        json_decref(e);
        json_decref(s);
        apply[r] = t1 - t0;
        heal[r] = t2 - t1;
    }
    qsort(apply, (size_t)rounds, sizeof *apply, by_value);
    qsort(heal, (size_t)rounds, sizeof *heal, by_value);
    printf("partition:halves on %zu nodes, decision to in force on every node: median %.2f ms, "
           "max %.2f ms\nheal on every node: median %.2f ms, max %.2f ms (%d rounds)\n",
           nodes.count, apply[rounds / 2], apply[rounds - 1], heal[rounds / 2], heal[rounds - 1],
           rounds);
    fl_agents_stop(&agents);
    fl_control_close(&control);
    fl_nodes_free(&nodes);
    free(apply);
    free(heal);
    return 0;
}
