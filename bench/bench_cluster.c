/* Local cluster benchmarks: wall time of `faultline cluster up` and `down` with 5
 * nodes, and the median and p99 of a parallel `true` on every node over the kept SSH
 * sessions. Needs root; brings its own cluster up in a temporary folder and down again.
 *
 *   bench_cluster FAULTLINE_BINARY [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run the faultline binary with args in a child, quietly; its wall time in ms. */
static double timed(const char *faultline, const char *what, const char *dir) {
    double start = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(127);
        execl(faultline, faultline, "cluster", what, "--dir", dir, (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "faultline cluster %s failed\n", what);
        exit(1);
    }
    return now_ms() - start;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Parallel `true` on every node, rounds times, in this process (after up). */
static int exec_rounds(const char *nodes_file, int rounds, double *ms) {
    fl_nodes nodes;
    char err[1024];
    if (fl_nodes_read(nodes_file, &nodes, err) != 0) return fprintf(stderr, "%s\n", err), -1;
    fl_control ctl;
    if (fl_control_open(&ctl, &nodes, false, 5000, err, sizeof err) != 0)
        return fprintf(stderr, "cannot reach every node: %s\n", err), -1;
    fl_node_result results[FL_NODES_MAX];
    for (int r = 0; r < rounds; r++) {
        double start = now_ms();
        fl_control_exec_all(&ctl, "true", 5000, results);
        ms[r] = now_ms() - start;
        for (size_t i = 0; i < nodes.count; i++)
            if (results[i].rc == 0) fl_exec_result_free(&results[i].r);
    }
    fl_control_close(&ctl);
    fl_nodes_free(&nodes);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return fprintf(stderr, "usage: bench_cluster FAULTLINE [ROUNDS]\n"), 2;
    int rounds = argc > 2 ? atoi(argv[2]) : 200;
    char dir[] = "/tmp/fl-bench-cluster.XXXXXX", nodes_file[128];
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    snprintf(nodes_file, sizeof nodes_file, "%s/nodes.json", dir);
    double up = timed(argv[1], "up", dir);
    double *ms = calloc((size_t)rounds, sizeof *ms);
    int rc = exec_rounds(nodes_file, rounds, ms);
    double down = timed(argv[1], "down", dir);
    rmdir(dir);
    if (rc != 0) return 1;
    qsort(ms, (size_t)rounds, sizeof *ms, by_value);
    printf("cluster up, 5 nodes        %8.1f ms\n", up);
    printf("cluster down               %8.1f ms\n", down);
    printf("parallel `true` on 5 nodes  median %.2f ms, p99 %.2f ms (%d rounds, kept sessions)\n",
           ms[rounds / 2], ms[(rounds * 99) / 100], rounds);
    free(ms);
    return 0;
}
